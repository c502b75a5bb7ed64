/**
 * A tiny hash router (no dependency). Routes are what the core's notifications send on
 * `app:navigate` (e.g. `/ups/nas/ups`), so they are plain paths:
 *
 *   /                              dashboard
 *   /ups/<masterId>/<upsName>[/<tab>]   tab: history | variables | clients | events | outages | battery | controls | what-if | fsd-test
 *   /clients   /events   /outages
 *   /settings[/<section>]          section: masters | hooks | shutdown | notifications | import | general
 *   /settings/masters/new?preset=synology|proxmox|generic[&host=…&port=…&ups=…&label=…]  (prefilled by Find masters)
 *   /settings/masters/<masterId>
 */
import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';

export const UPS_TABS = [
  'history',
  'variables',
  'clients',
  'events',
  'outages',
  'battery',
  'controls',
  'what-if',
  'fsd-test',
] as const;
export type UpsTab = (typeof UPS_TABS)[number];
export const SETTINGS_SECTIONS = [
  'masters',
  'hooks',
  'shutdown',
  'notifications',
  'import',
  'service',
  'general',
] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];
export type PresetName = 'synology' | 'proxmox' | 'generic';

/** What "Find masters" fills in for a new master. */
export interface MasterPrefill {
  host: string;
  port: number;
  ups: string;
  label: string;
}

export type Route =
  | { name: 'dashboard' }
  | { name: 'ups'; monitorId: string; tab: UpsTab }
  | { name: 'clients' }
  | { name: 'events' }
  | { name: 'outages' }
  | { name: 'settings'; section: SettingsSection }
  | { name: 'master-edit'; masterId: string | null; preset: PresetName; prefill?: MasterPrefill }
  | { name: 'not-found'; path: string };

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [pathPart = '/', query = ''] = raw.split('?');
  const params = new URLSearchParams(query);
  const parts = pathPart.split('/').filter(Boolean).map(safeDecode);
  const [head, ...rest] = parts;
  if (head === undefined) return { name: 'dashboard' };
  if (head === 'ups') {
    // Accept both /ups/master/ups and /ups/master%2Fups.
    const ids = rest.flatMap((p) => p.split('/'));
    const last = ids.at(-1);
    const tab =
      (UPS_TABS as readonly string[]).includes(last ?? '') && ids.length === 3
        ? (last as UpsTab)
        : 'history';
    const idParts = ids.length === 3 ? ids.slice(0, 2) : ids;
    if (idParts.length !== 2) return { name: 'not-found', path: pathPart };
    return { name: 'ups', monitorId: idParts.join('/'), tab };
  }
  if (head === 'clients' && rest.length === 0) return { name: 'clients' };
  if (head === 'events' && rest.length === 0) return { name: 'events' };
  if (head === 'outages' && rest.length === 0) return { name: 'outages' };
  if (head === 'settings') {
    const [section, id] = rest;
    if (section === undefined) return { name: 'settings', section: 'masters' };
    if (section === 'masters' && id !== undefined) {
      const preset = params.get('preset');
      const host = params.get('host');
      const port = Number(params.get('port') ?? 3493);
      return {
        name: 'master-edit',
        masterId: id === 'new' ? null : id,
        preset: preset === 'synology' || preset === 'proxmox' ? preset : 'generic',
        ...(id === 'new' && host
          ? {
              prefill: {
                host,
                port: Number.isInteger(port) && port > 0 && port < 65_536 ? port : 3493,
                ups: params.get('ups') ?? '',
                label: params.get('label') ?? '',
              },
            }
          : {}),
      };
    }
    if ((SETTINGS_SECTIONS as readonly string[]).includes(section) && id === undefined)
      return { name: 'settings', section: section as SettingsSection };
  }
  return { name: 'not-found', path: pathPart };
}

export function routePath(route: Route): string {
  switch (route.name) {
    case 'dashboard':
      return '/';
    case 'ups':
      return `/ups/${route.monitorId.split('/').map(encodeURIComponent).join('/')}${route.tab === 'history' ? '' : `/${route.tab}`}`;
    case 'clients':
      return '/clients';
    case 'events':
      return '/events';
    case 'outages':
      return '/outages';
    case 'settings':
      return `/settings/${route.section}`;
    case 'master-edit':
      if (route.masterId !== null) return `/settings/masters/${encodeURIComponent(route.masterId)}`;
      return `/settings/masters/new?${new URLSearchParams({ preset: route.preset, ...(route.prefill ? { host: route.prefill.host, port: String(route.prefill.port), ups: route.prefill.ups, label: route.prefill.label } : {}) }).toString()}`;
    case 'not-found':
      return route.path;
  }
}

export function href(route: Route): string {
  return `#${routePath(route)}`;
}

export function upsHref(monitorId: string, tab: UpsTab = 'history'): string {
  return href({ name: 'ups', monitorId, tab });
}

export function navigate(path: string): void {
  const target = path.startsWith('#') ? path : `#${path.startsWith('/') ? path : `/${path}`}`;
  if (window.location.hash !== target) window.location.hash = target;
}

/**
 * `navigate` for after an await (a save, a removal): once the calling view is gone, the user has
 * gone somewhere else and that choice stands, so it does nothing.
 */
export function useNavigateWhileShown(): (path: string) => void {
  const shown = useRef(true);
  useEffect(() => {
    shown.current = true;
    return () => {
      shown.current = false;
    };
  }, []);
  return useCallback((path: string) => {
    if (shown.current) navigate(path);
  }, []);
}

function subscribe(callback: () => void): () => void {
  window.addEventListener('hashchange', callback);
  return () => window.removeEventListener('hashchange', callback);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
