/**
 * App state: the core's snapshot (initial `app:get-snapshot`, then `app:snapshot` pushes), the
 * transport's state, recent live events, a shared one-second clock for data ages, and the
 * announcements read out by screen readers when a UPS changes state.
 */
import { useEffect } from 'react';
import { create } from 'zustand';
import type { StoredEvent } from '../../shared/history';
import type { AppSnapshot, UpsSnapshot } from '../../shared/snapshot';
import { type TransportState, api, errorText } from './api';
import { LEVEL_LABEL, upsTitle } from './format';
import { navigate } from './router';

export interface AppState {
  snapshot: AppSnapshot | null;
  /** Local Date.now() when the snapshot arrived: the core's clock is estimated from it. */
  receivedAt: number;
  transport: TransportState;
  loadError: string | null;
  /** Events pushed since the page opened, newest last (bounded). */
  liveEvents: StoredEvent[];
  announcement: { text: string; seq: number; assertive: boolean };
  /** A short visible confirmation ("Saved."), also announced. */
  toast: { text: string; seq: number } | null;
  /** Bumped when the config was saved from this UI, so views reload it. */
  configVersion: number;
}

const MAX_LIVE_EVENTS = 300;

export const useApp = create<AppState>(() => ({
  snapshot: null,
  receivedAt: 0,
  transport: api.transportState,
  loadError: null,
  liveEvents: [],
  announcement: { text: '', seq: 0, assertive: false },
  toast: null,
  configVersion: 0,
}));

/** A one-second tick shared by every "updated 3 s ago". */
export const useClock = create<{ now: number }>(() => ({ now: Date.now() }));

export function useNow(): number {
  return useClock((s) => s.now);
}

/** The core's current time, estimated from the snapshot's `at` (the ages the core means). */
export function useCoreNow(): number {
  const now = useNow();
  const at = useApp((s) => s.snapshot?.at);
  const receivedAt = useApp((s) => s.receivedAt);
  return at === undefined ? now : at + (now - receivedAt);
}

export function announce(text: string, assertive = false): void {
  useApp.setState((s) => ({ announcement: { text, seq: s.announcement.seq + 1, assertive } }));
}

/** Show a short confirmation for a few seconds (and announce it). */
export function toast(text: string): void {
  announce(text);
  const seq = useApp.getState().announcement.seq;
  useApp.setState({ toast: { text, seq } });
  setTimeout(() => {
    if (useApp.getState().toast?.seq === seq) useApp.setState({ toast: null });
  }, 4000);
}

export function markConfigSaved(): void {
  useApp.setState((s) => ({ configVersion: s.configVersion + 1 }));
}

function describeChange(before: UpsSnapshot | undefined, after: UpsSnapshot): string | null {
  if (!before) return null;
  if (
    before.level === after.level &&
    before.connection === after.connection &&
    before.shutdown.phase === after.shutdown.phase
  )
    return null;
  if (after.connection === 'login-refused' && before.connection !== 'login-refused')
    return `${upsTitle(after)}: login refused by the master.`;
  if (after.connection === 'not-permitted' && before.connection !== 'not-permitted')
    return `${upsTitle(after)}: the master does not permit this machine.`;
  if (after.shutdown.phase !== before.shutdown.phase && after.shutdown.phase !== 'none')
    return `${upsTitle(after)}: shutdown ${after.shutdown.phase.replace('-', ' ')}.`;
  return `${upsTitle(after)}: ${after.level === before.level ? after.statusText : LEVEL_LABEL[after.level]}.`;
}

const TRAY_TITLE: Record<AppSnapshot['tray']['level'], string> = {
  online: 'On line',
  'on-battery': 'On battery',
  'low-battery': 'Low battery',
  'shutting-down': 'Shutting down',
  'comm-lost': 'UPS unreachable',
  'not-configured': 'Not configured',
};

function acceptSnapshot(snapshot: AppSnapshot): void {
  const previous = useApp.getState().snapshot;
  if (previous && snapshot.at < previous.at) return; // an older snapshot raced a newer one
  if (previous) {
    const byId = new Map(previous.ups.map((u) => [u.monitorId, u]));
    const changes = snapshot.ups
      .map((u) => describeChange(byId.get(u.monitorId), u))
      .filter((t): t is string => t !== null);
    if (changes.length > 0) {
      const urgent = snapshot.ups.some((u) => {
        const b = byId.get(u.monitorId);
        return (
          b &&
          b.level !== u.level &&
          (u.level === 'low-battery' ||
            u.level === 'shutting-down' ||
            u.connection === 'login-refused' ||
            u.connection === 'not-permitted')
        );
      });
      announce(changes.join(' '), urgent);
    }
  }
  useApp.setState({ snapshot, receivedAt: Date.now(), loadError: null });
  // A short title that changes only with the state (not with every "updated N s ago").
  const title =
    snapshot.ups.length === 0
      ? 'NUT Sentinel'
      : `${TRAY_TITLE[snapshot.tray.level]}${snapshot.tray.charge === null ? '' : ` · ${Math.round(snapshot.tray.charge)} %`} — NUT Sentinel`;
  if (document.title !== title) document.title = title;
}

async function loadSnapshot(): Promise<void> {
  try {
    acceptSnapshot(await api.invoke('app:get-snapshot', undefined));
  } catch (error) {
    useApp.setState({ loadError: errorText(error).message });
  }
}

let started = false;

/** Wire the store to the API once (main.tsx). */
export function startStore(): void {
  if (started) return;
  started = true;
  api.subscribe('app:snapshot', acceptSnapshot);
  api.subscribe('events:appended', (event) => {
    useApp.setState((s) => ({
      liveEvents: [...s.liveEvents.slice(-(MAX_LIVE_EVENTS - 1)), event],
    }));
  });
  api.subscribe('app:navigate', (route) => navigate(route));
  api.onStateChange((transport) => {
    useApp.setState({ transport });
    // After a reconnect the pushes we missed are gone: fetch the current state.
    if (transport.kind === 'open') void loadSnapshot();
  });
  setInterval(() => useClock.setState({ now: Date.now() }), 1000);
  // The bridge loads on its first 'open'; the preload is open from the start.
  if (api.transportState.kind === 'open') void loadSnapshot();
}

/** Run an effect for every live event pushed after mount. */
export function useLiveEvents(onEvent: (event: StoredEvent) => void): void {
  useEffect(
    () =>
      useApp.subscribe((state, prev) => {
        if (state.liveEvents === prev.liveEvents) return;
        const seen = new Set(prev.liveEvents);
        for (const e of state.liveEvents) if (!seen.has(e)) onEvent(e);
      }),
    [onEvent],
  );
}
