/**
 * The app's desktop NotifierPort: main/notify's node-notifier notifier, wired so that clicking
 * a notification opens its view (the window is shown and `app:navigate` pushed). The core
 * wraps this port in its NotificationPolicy (pause, de-duplication, rate limit).
 *
 * Clicks are reported on macOS and Windows; notify-send (Linux) cannot report them.
 */
import type { Logger, NotifierPort } from '../platform/ports';
import { createDesktopNotifier, type DesktopNotifierOptions, type NodeNotifierLike } from '../notify/desktop-notifier';
import { APP_ID, APP_NAME } from './constants';
import { safeRoute } from './routes';

export interface ShellNotifierDeps {
  /** Show the dashboard at this route. */
  openRoute(route: string): void;
  /** Absolute path of the notification icon (PNG). */
  icon?: string;
  logger: Logger;
  platform?: NodeJS.Platform;
  /** Tests: a fake node-notifier. */
  notifier?: NodeNotifierLike;
}

export function shellNotifierOptions(deps: ShellNotifierDeps): DesktopNotifierOptions {
  const platform = deps.platform ?? process.platform;
  return {
    // Windows attributes toasts to an AppUserModelID: ours (set by the shell and by the installer's shortcut).
    appName: platform === 'win32' ? APP_ID : APP_NAME,
    ...(deps.icon ? { icon: deps.icon } : {}),
    ...(deps.notifier ? { notifier: deps.notifier } : {}),
    platform,
    logger: deps.logger,
    onActivate: (route) => {
      const target = safeRoute(route);
      deps.logger.log('info', 'notification clicked', { route: target });
      deps.openRoute(target);
    },
  };
}

export function createShellNotifier(deps: ShellNotifierDeps): NotifierPort {
  return createDesktopNotifier(shellNotifierOptions(deps));
}
