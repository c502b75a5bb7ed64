/**
 * Windows logoff/shutdown. There `before-quit` does not fire, and `query-session-end` /
 * `session-end` are events of a window — while the dashboard window exists only once shown
 * (a login-item start has none). So the shell keeps one small hidden window, never loaded and
 * never shown, just to hear them:
 * - `query-session-end` (WM_QUERYENDSESSION): the session may end — run the short, bounded
 *   teardown now (parallel LOGOUT, then flush). Unless Windows says it is critical, the end is
 *   delayed (preventDefault) while it runs; the app quits when it is done, which lets Windows go on.
 * - `session-end` (WM_ENDSESSION): the session ends; nothing asynchronous runs after this
 *   handler returns, so only a last synchronous flush is possible.
 */
import { BrowserWindow } from 'electron';
import type { Logger } from '../platform/ports';

export interface SessionEndDeps {
  /** Start the fast teardown (the quit guard's urgent quit). */
  onQueryEnd(reasons: readonly string[]): void;
  /** The last synchronous flush (logs, anything still buffered). */
  onEnd(reasons: readonly string[]): void;
  logger: Logger;
}

export class SessionEndWindow {
  private readonly win: BrowserWindow;

  constructor(deps: SessionEndDeps) {
    this.win = new BrowserWindow({
      show: false,
      width: 1,
      height: 1,
      skipTaskbar: true,
      focusable: false,
      title: 'NUT Sentinel session watcher',
      webPreferences: {
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        devTools: false,
        javascript: false,
      },
    });
    this.win.on('query-session-end', (event) => {
      const reasons = [...(event.reasons ?? [])];
      if (!reasons.includes('critical')) event.preventDefault();
      deps.logger.log('warn', 'Windows is ending the session', {
        reasons,
        delayed: !reasons.includes('critical'),
      });
      deps.onQueryEnd(reasons);
    });
    this.win.on('session-end', (event) => {
      const reasons = [...(event.reasons ?? [])];
      deps.logger.log('warn', 'Windows session ended', { reasons });
      deps.onEnd(reasons);
    });
  }

  /** The watcher window itself (tests, and the smoke test tells it from the dashboard by this). */
  get window(): BrowserWindow {
    return this.win;
  }

  destroy(): void {
    if (!this.win.isDestroyed()) this.win.destroy();
  }
}
