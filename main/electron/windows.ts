/**
 * The dashboard window. Created on first use and then kept: closing it only hides it (this is
 * a tray app); it is destroyed on Quit. Routes (`/ups/<id>`, `/fsd-test`, `/settings`) are
 * loaded as the URL hash on first load and pushed as `app:navigate` afterwards.
 */
import { BrowserWindow, type BrowserWindowConstructorOptions, type WebContents } from 'electron';
import type { Logger } from '../platform/ports';
import { APP_NAME } from './constants';
import { type RendererTarget, rendererUrl } from './paths';
import { safeRoute } from './routes';

export interface WindowOptionsInput {
  preload: string;
  /** Window icon (Linux/Windows taskbar); macOS uses the bundle icon. */
  icon?: string;
  /** DevTools only in development. */
  devTools: boolean;
}

/** The dashboard's BrowserWindow options (pure, so tests can assert every security setting). */
export function dashboardWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    title: APP_NAME,
    width: 1180,
    height: 780,
    minWidth: 760,
    minHeight: 520,
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#111418',
    ...(input.icon ? { icon: input.icon } : {}),
    webPreferences: {
      preload: input.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: input.devTools,
    },
  };
}

export interface DashboardWindowDeps extends WindowOptionsInput {
  target: RendererTarget;
  /** While quitting, 'close' really closes. */
  isQuitting(): boolean;
  /** Push `app:navigate` to the loaded page (the IPC registrar's whitelisted send). */
  navigate(route: string): void;
  logger: Logger;
  /** Tests: the clock for the blur-before-click and crash-loop windows. */
  now?: () => number;
}

/** A blur this soon before a tray click was caused by the click itself (Windows takes focus first). */
export const BLUR_BEFORE_CLICK_MS = 400;
/** At most this many renderer crashes are recovered within CRASH_WINDOW_MS; then the window is given up until shown again. */
export const MAX_CRASH_RECOVERIES = 3;
export const CRASH_WINDOW_MS = 60_000;

/** Electron's loadURL rejects with this when a newer load superseded it (not a failure). */
function isAbortedLoad(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { code?: unknown }).code === 'ERR_ABORTED' ||
      (error as { errno?: unknown }).errno === -3)
  );
}

export class DashboardWindow {
  private win: BrowserWindow | null = null;
  private loaded = false;
  private route = '/';
  private lastBlurAt = Number.NEGATIVE_INFINITY;
  private crashes: number[] = [];

  constructor(private readonly deps: DashboardWindowDeps) {}

  /** The live window, if any. */
  get window(): BrowserWindow | null {
    return this.win && !this.win.isDestroyed() ? this.win : null;
  }

  get webContents(): WebContents | null {
    const win = this.window;
    return win && !win.webContents.isDestroyed() ? win.webContents : null;
  }

  /** Show (creating it if needed) and open `route` when given. */
  show(route?: string): void {
    const win = this.window;
    if (!win) {
      this.create(safeRoute(route ?? '/'));
      return;
    }
    if (route !== undefined) {
      const target = safeRoute(route);
      this.route = target;
      if (this.loaded) this.deps.navigate(target);
      // Still loading: reload with the new hash instead of racing the renderer's subscription.
      else this.load(win, target);
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  /**
   * Tray left click: hide when visible and focused, show otherwise. On Windows the click on the
   * tray takes the focus before the click event arrives, so a blur just before counts as focused.
   */
  toggle(): void {
    const win = this.window;
    const now = (this.deps.now ?? Date.now)();
    const focused = !!win && (win.isFocused() || now - this.lastBlurAt <= BLUR_BEFORE_CLICK_MS);
    if (win?.isVisible() && focused) win.hide();
    else this.show();
  }

  hide(): void {
    this.window?.hide();
  }

  /** Really close (teardown). */
  destroy(): void {
    const win = this.window;
    this.win = null;
    if (win) win.destroy();
  }

  private create(route: string): void {
    const win = new BrowserWindow(dashboardWindowOptions(this.deps));
    this.win = win;
    this.loaded = false;
    this.lastBlurAt = Number.NEGATIVE_INFINITY;
    win.setMenu(null);
    win.once('ready-to-show', () => {
      win.show();
      win.focus();
    });
    win.on('close', (event) => {
      if (this.deps.isQuitting()) return;
      event.preventDefault();
      win.hide();
    });
    win.on('closed', () => {
      if (this.win === win) this.win = null;
    });
    win.on('blur', () => {
      this.lastBlurAt = (this.deps.now ?? Date.now)();
    });
    win.webContents.on('did-finish-load', () => {
      this.loaded = true;
      this.deps.logger.log('info', 'dashboard loaded', { url: win.webContents.getURL() });
    });
    win.webContents.on('did-start-loading', () => {
      this.loaded = false;
    });
    win.webContents.on('render-process-gone', (_event, details) => this.recover(win, details));
    this.load(win, route);
  }

  /** A crashed or killed renderer leaves a blank window: reload it, unless it keeps crashing. */
  private recover(win: BrowserWindow, details: { reason: string; exitCode: number }): void {
    this.loaded = false;
    if (details.reason === 'clean-exit' || this.deps.isQuitting() || win.isDestroyed()) return;
    const now = (this.deps.now ?? Date.now)();
    this.crashes = [...this.crashes.filter((at) => now - at < CRASH_WINDOW_MS), now];
    if (this.crashes.length > MAX_CRASH_RECOVERIES) {
      this.deps.logger.log(
        'error',
        'renderer keeps crashing: the dashboard is closed until it is opened again',
        {
          reason: details.reason,
          exitCode: details.exitCode,
          crashes: this.crashes.length,
        },
      );
      this.crashes = [];
      this.destroy();
      return;
    }
    this.deps.logger.log('error', 'renderer process gone: reloading the dashboard', {
      reason: details.reason,
      exitCode: details.exitCode,
    });
    this.load(win, this.route);
  }

  private load(win: BrowserWindow, route: string): void {
    this.route = route;
    const url = rendererUrl(this.deps.target, route);
    win.loadURL(url).catch((error: unknown) => {
      // A newer load (another route, a reload) superseded this one: not a failure.
      if (isAbortedLoad(error)) return;
      this.deps.logger.log('error', 'dashboard failed to load', {
        url,
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }
}
