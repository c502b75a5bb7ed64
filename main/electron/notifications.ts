/**
 * The app's desktop NotifierPort, wired so that clicking a notification opens its view (the
 * window is shown and `app:navigate` pushed). The core wraps this port in its
 * NotificationPolicy (pause, de-duplication, rate limit).
 *
 * - Windows and macOS: Electron's own Notification. Clicks arrive in this process; toasts are
 *   attributed to our AppUserModelID (set by the shell and the installer's shortcut) and macOS
 *   notifications to the app itself; no helper program has to be shipped or signed. (node-notifier
 *   would delete the route — an option its Windows path does not know — before emitting
 *   `click`, and on macOS attribute everything to "terminal-notifier".)
 * - Linux: main/notify's node-notifier notifier (notify-send), as in the headless agent;
 *   notify-send cannot report clicks.
 */
import { Notification, type NotificationConstructorOptions } from 'electron';
import type { DesktopNotification, Logger, NotifierPort } from '../platform/ports';
import {
  cleanText,
  createDesktopNotifier,
  type DesktopNotifierOptions,
  type NodeNotifierLike,
} from '../notify/desktop-notifier';
import { APP_NAME } from './constants';
import { safeRoute } from './routes';

export interface ShellNotifierDeps {
  /** Show the dashboard at this route. */
  openRoute(route: string): void;
  /** Absolute path of the notification icon (PNG), readable by other programs (unpacked). */
  icon?: string;
  logger: Logger;
  platform?: NodeJS.Platform;
  /** Tests (Linux path): the node-notifier instance. */
  notifier?: NodeNotifierLike;
}

const MAX_TITLE = 120;
const MAX_BODY = 1000;

function onClick(deps: ShellNotifierDeps, route: string | undefined): void {
  const target = safeRoute(route);
  deps.logger.log('info', 'notification clicked', { route: target });
  deps.openRoute(target);
}

/** node-notifier options for the Linux path (notify-send: no clicks). */
export function shellNotifierOptions(deps: ShellNotifierDeps): DesktopNotifierOptions {
  return {
    appName: APP_NAME,
    ...(deps.icon ? { icon: deps.icon } : {}),
    ...(deps.notifier ? { notifier: deps.notifier } : {}),
    platform: deps.platform ?? process.platform,
    logger: deps.logger,
  };
}

/** The Electron Notification options for one notification on `platform` (Windows or macOS). */
export function electronNotificationOptions(
  notification: DesktopNotification,
  platform: NodeJS.Platform,
  icon?: string,
): NotificationConstructorOptions {
  const options: NotificationConstructorOptions = {
    title: cleanText(notification.title, MAX_TITLE),
    body: cleanText(notification.body, MAX_BODY),
    silent: notification.urgency === 'low',
  };
  if (platform === 'win32') {
    // Critical ones stay until dismissed; macOS has no such option (alert style is the user's choice).
    options.timeoutType = notification.urgency === 'critical' ? 'never' : 'default';
    options.urgency = notification.urgency;
    if (icon) options.icon = icon;
  }
  return options;
}

/** Windows/macOS: Electron's Notification; a click opens the notification's route. */
export function createElectronNotifier(deps: ShellNotifierDeps): NotifierPort {
  const platform = deps.platform ?? process.platform;
  // Electron forgets the click of a Notification object that was garbage-collected: keep each
  // one until the OS is done with it.
  const live = new Set<Notification>();
  return {
    notify(notification) {
      if (!Notification.isSupported()) {
        return Promise.reject(
          new Error(
            'Desktop notification failed: this system does not support notifications (Electron Notification.isSupported() is false).',
          ),
        );
      }
      const note = new Notification(electronNotificationOptions(notification, platform, deps.icon));
      live.add(note);
      note.on('click', () => onClick(deps, notification.route));
      note.on('close', () => live.delete(note));
      note.on('failed', (_event, error) => {
        live.delete(note);
        deps.logger.log('warn', 'Desktop notification failed', {
          error: String(error),
          key: notification.key,
        });
      });
      try {
        note.show();
      } catch (error) {
        live.delete(note);
        return Promise.reject(
          new Error(
            `Desktop notification failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      }
      return Promise.resolve();
    },
  };
}

export function createShellNotifier(deps: ShellNotifierDeps): NotifierPort {
  const platform = deps.platform ?? process.platform;
  if (platform === 'win32' || platform === 'darwin') return createElectronNotifier(deps);
  return createDesktopNotifier(shellNotifierOptions(deps));
}
