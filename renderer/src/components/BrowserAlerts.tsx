/**
 * Browser mode (`nut-sentinel web`): the desktop notifier is the core's, but a person watching
 * the page in a browser also needs to hear about the events that matter. For ONBATT, LOWBATT, FSD,
 * SHUTDOWN, COMMBAD, a refused LOGIN and a change of the address the master sees this machine as,
 * the page shows a banner and, once the user allowed it
 * (asked from a click, as browsers require), a Web Notification. The sidebar says when the
 * permission is missing instead of "Notifications on".
 */
import { useCallback, useState, useSyncExternalStore } from 'react';
import type { StoredEvent } from '../../../shared/history';
import { notifyTitle } from '../../../shared/notify-types';
import { api } from '../api';
import { BellIcon, BellOffIcon } from '../icons';
import { useLiveEvents } from '../store';
import { RichText } from './common';

export const BROWSER_ALERT_TYPES: ReadonlySet<string> = new Set([
  'ONBATT',
  'LOWBATT',
  'FSD',
  'SHUTDOWN',
  'COMMBAD',
  'LOGIN_REFUSED',
]);

/** Only where the page is the user's window on the core (not inside the Electron app). */
export function browserAlertsApply(): boolean {
  return api.kind === 'bridge';
}

/**
 * Not a upsmon notification, but as urgent: the master's allow-list may no longer admit this
 * machine (Synology's permitted devices, a firewall rule), so the next outage would go unseen.
 */
const ADDRESS_CHANGED = 'ADDRESS_CHANGED';

export function isBrowserAlert(event: Pick<StoredEvent, 'kind' | 'type'>): boolean {
  return event.kind === 'notify'
    ? BROWSER_ALERT_TYPES.has(event.type)
    : event.kind === 'system' && event.type === ADDRESS_CHANGED;
}

function alertTitle(type: string): string {
  return type === ADDRESS_CHANGED ? 'This machine’s address changed' : notifyTitle(type);
}

type Permission = NotificationPermission | 'unsupported';

let permissionListeners: (() => void)[] = [];
const queryPermission = (): Permission =>
  typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
// Reading Notification.permission asks the browser process (milliseconds under load): read it once,
// again after our own request, and when the tab regains focus (the user may have changed it).
let cachedPermission: Permission | null = null;
const readPermission = (): Permission => (cachedPermission ??= queryPermission());
function refreshPermission(): void {
  const next = queryPermission();
  if (next === cachedPermission) return;
  cachedPermission = next;
  for (const listener of permissionListeners) listener();
}
const subscribePermission = (listener: () => void) => {
  if (permissionListeners.length === 0) window.addEventListener('focus', refreshPermission);
  permissionListeners.push(listener);
  return () => {
    permissionListeners = permissionListeners.filter((l) => l !== listener);
    if (permissionListeners.length === 0) window.removeEventListener('focus', refreshPermission);
  };
};

export function useNotificationPermission(): Permission {
  return useSyncExternalStore(subscribePermission, readPermission);
}

async function askPermission(): Promise<void> {
  if (typeof Notification === 'undefined') return;
  await Notification.requestPermission();
  refreshPermission();
}

/** The sidebar line: on, or what is missing and the click that fixes it. */
export function NotificationPermissionNote() {
  const permission = useNotificationPermission();
  if (permission === 'granted') {
    return (
      <span
        className="muted small notif-on"
        data-testid="browser-notifications"
        data-permission={permission}
      >
        <BellIcon size={14} /> Notifications on
      </span>
    );
  }
  if (permission === 'default') {
    return (
      <button
        type="button"
        className="button button-small"
        onClick={() => void askPermission()}
        data-testid="browser-notifications"
        data-permission={permission}
      >
        <BellOffIcon size={14} /> Browser notifications are off — turn on
      </button>
    );
  }
  return (
    <span
      className="small text-warn"
      data-testid="browser-notifications"
      data-permission={permission}
    >
      <BellOffIcon size={14} />{' '}
      {permission === 'denied'
        ? 'Browser notifications are blocked: allow them in this site’s settings. Alerts show as banners here.'
        : 'This browser cannot show notifications: alerts show as banners here.'}
    </span>
  );
}

/** Banners for the latest alerts (newest first), each dismissable, and the Web Notification. */
export function BrowserAlerts() {
  const [alerts, setAlerts] = useState<StoredEvent[]>([]);
  const onEvent = useCallback((event: StoredEvent) => {
    if (!isBrowserAlert(event)) return;
    setAlerts((list) => [event, ...list].slice(0, 3));
    if (readPermission() === 'granted') {
      try {
        new Notification(`NUT Sentinel: ${alertTitle(event.type)}`, {
          body: event.message,
          tag: `${event.type}:${event.monitorId}`,
        });
      } catch {
        // Some browsers allow notifications only from a service worker: the banner remains.
      }
    }
  }, []);
  useLiveEvents(onEvent);
  if (alerts.length === 0) return null;
  return (
    <div className="alert-banners" role="alert" data-testid="alert-banners">
      {alerts.map((event) => (
        <div
          key={`${event.id ?? event.at}-${event.type}`}
          className={`alert-banner sev-${event.severity}`}
          data-testid="alert-banner"
          data-type={event.type}
        >
          <strong>{alertTitle(event.type)}</strong>{' '}
          <span>
            <RichText text={event.message} />
          </span>
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={() => setAlerts((list) => list.filter((e) => e !== event))}
            aria-label="Dismiss"
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
