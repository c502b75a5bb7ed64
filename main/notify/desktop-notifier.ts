/**
 * The desktop NotifierPort on node-notifier (the same code for the tray app and the headless
 * agent): notify-send on Linux/BSD (a session D-Bus with a notification server is needed; no X
 * display), Notification Center on macOS, toasts on Windows.
 *
 * node-notifier runs notify-send through a shell with every value double-quoted and `"$\``
 * escaped; we additionally strip control characters and bound the lengths, so a UPS name or a
 * configured message can neither break the quoting nor flood the screen. The body of a freedesktop
 * notification is markup (a Pango/HTML subset: <b>, <a href>, <img src>, entities), so on Linux
 * and the BSDs text from the NUT server (ups.alarm, descriptions, values) is escaped for it:
 * it shows literally and can neither restyle the notification nor add links or images.
 */
import nodeNotifier from 'node-notifier';
import type { DesktopNotification, Logger, NotifierPort } from '../platform/ports';

/** The part of node-notifier we use (injectable for tests and for a custom notify-send path). */
export interface NodeNotifierLike {
  notify(
    options: Record<string, unknown>,
    callback: (error: Error | string | null, response?: string) => void,
  ): unknown;
  on?(
    event: 'click',
    listener: (notifierObject: unknown, options: Record<string, unknown>) => void,
  ): unknown;
}

export interface DesktopNotifierOptions {
  /** Shown as the sender (notify-send --app-name). Default `NUT Sentinel`. */
  appName?: string;
  /** Absolute path of an icon (PNG). */
  icon?: string;
  /** Seconds a normal notification stays (notify-send --expire-time). Default 10. */
  expireSeconds?: number;
  /** Defaults to node-notifier's platform notifier. */
  notifier?: NodeNotifierLike;
  /** Called with the notification's route when the user clicks it (macOS/Windows; notify-send cannot report clicks). */
  onActivate?: (route: string) => void;
  /** Rejects a notify() that takes longer than this (a hung notification server). Default 15 s. */
  timeoutMs?: number;
  logger?: Logger;
  platform?: NodeJS.Platform;
}

const MAX_TITLE = 120;
const MAX_BODY = 1000;

/** Removes control characters (newlines become spaces) and bounds the length. */
export function cleanText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function explain(error: Error | string, platform: NodeJS.Platform): Error {
  const text = typeof error === 'string' ? error : error.message;
  if (platform === 'linux' && /notify-send must be installed|not found|ENOENT/i.test(text)) {
    return new Error(
      `Desktop notification failed: notify-send is not installed (Debian/Ubuntu: apt install libnotify-bin). ${text}`,
    );
  }
  if (
    platform === 'linux' &&
    /ServiceUnknown|org\.freedesktop\.Notifications|DBUS_SESSION_BUS_ADDRESS|Cannot autolaunch|dbus/i.test(
      text,
    )
  ) {
    return new Error(
      'Desktop notification failed: no notification server answered on the session D-Bus ' +
        `(is a desktop session running, and DBUS_SESSION_BUS_ADDRESS set for this process?). ${text.trim()}`,
    );
  }
  return new Error(`Desktop notification failed: ${text.trim()}`);
}

/** Escapes text for a freedesktop notification body (markup); the summary is plain text. */
export function escapeNotificationMarkup(text: string): string {
  // Quotes only matter inside tags, and there can be none left.
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function createDesktopNotifier(options: DesktopNotifierOptions = {}): NotifierPort {
  const notifier: NodeNotifierLike = options.notifier ?? nodeNotifier;
  const platform = options.platform ?? process.platform;
  const appName = options.appName ?? 'NUT Sentinel';
  const expireSeconds = options.expireSeconds ?? 10;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const clickable = platform === 'darwin' || platform === 'win32';

  if (clickable && options.onActivate && notifier.on) {
    const onActivate = options.onActivate;
    notifier.on('click', (_object, clicked) => {
      const route = clicked.route;
      if (typeof route === 'string') onActivate(route);
    });
  }

  return {
    notify(notification: DesktopNotification): Promise<void> {
      const payload: Record<string, unknown> = {
        title: cleanText(notification.title, MAX_TITLE),
        message: cleanText(notification.body, MAX_BODY) || ' ',
      };
      if (options.icon) payload.icon = options.icon;
      if (platform === 'linux' || platform.endsWith('bsd')) {
        payload.message = escapeNotificationMarkup(payload.message as string);
        payload.urgency = notification.urgency;
        payload['app-name'] = cleanText(appName, 60);
        payload.category = 'device';
        // Seconds (node-notifier multiplies by 1000); 0 = critical ones stay until dismissed.
        payload['expire-time'] = notification.urgency === 'critical' ? 0 : expireSeconds;
      } else {
        payload.appID = appName;
        if (clickable && options.onActivate && notification.route) {
          payload.wait = true;
          payload.route = notification.route;
        }
      }
      if (payload.wait === true) {
        // The callback only comes with the user's click or the toast's dismissal: do not hold
        // the caller; report a failure to start through the logger.
        try {
          notifier.notify(payload, (error) => {
            if (error instanceof Error)
              options.logger?.log('warn', explain(error, platform).message);
          });
          return Promise.resolve();
        } catch (error) {
          return Promise.reject(explain(error instanceof Error ? error : String(error), platform));
        }
      }
      return new Promise<void>((resolve, reject) => {
        let done = false;
        const timer = setTimeout(() => {
          if (done) return;
          done = true;
          reject(
            new Error(
              `Desktop notification failed: the notifier did not answer within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        try {
          notifier.notify(payload, (error) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            // node-notifier passes notify-send's stderr as the "error" even when it succeeded.
            if (error instanceof Error) reject(explain(error, platform));
            else {
              if (typeof error === 'string' && error.trim() !== '') {
                options.logger?.log('debug', 'notifier wrote to stderr', {
                  stderr: error.trim().slice(0, 500),
                });
              }
              resolve();
            }
          });
        } catch (error) {
          done = true;
          clearTimeout(timer);
          reject(explain(error instanceof Error ? error : String(error), platform));
        }
      });
    },
  };
}
