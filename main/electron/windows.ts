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
  /** Windows: the session is ending (logoff/shutdown) — the app must tear down now. */
  onSessionEnd?(): void;
  logger: Logger;
}

export class DashboardWindow {
  private win: BrowserWindow | null = null;
  private loaded = false;

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
      if (this.loaded) this.deps.navigate(target);
      // Still loading: reload with the new hash instead of racing the renderer's subscription.
      else this.load(win, target);
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  /** Tray left click: hide when visible and focused, show otherwise. */
  toggle(): void {
    const win = this.window;
    if (win?.isVisible() && win.isFocused()) win.hide();
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
    win.on('session-end', () => this.deps.onSessionEnd?.());
    win.webContents.on('did-finish-load', () => {
      this.loaded = true;
    });
    win.webContents.on('did-start-loading', () => {
      this.loaded = false;
    });
    win.webContents.on('render-process-gone', (_event, details) => {
      this.deps.logger.log('error', 'renderer process gone', { reason: details.reason, exitCode: details.exitCode });
    });
    this.load(win, route);
  }

  private load(win: BrowserWindow, route: string): void {
    const url = rendererUrl(this.deps.target, route);
    win.loadURL(url).catch((error: unknown) => {
      this.deps.logger.log('error', 'dashboard failed to load', { url, error: error instanceof Error ? error.message : String(error) });
    });
  }
}
