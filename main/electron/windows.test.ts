import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { electronMock, resetElectronMock } from '../testing/electron-mock';
import { rendererTarget } from './paths';
import { RENDERER_INDEX_URL } from './renderer-protocol';
import { recordingLogger } from './testing/fixtures';
import { DashboardWindow, dashboardWindowOptions } from './windows';

const INDEX = '/opt/nut-sentinel/out/renderer/index.html';
const fileTarget = rendererTarget({ rendererIndex: INDEX, isPackaged: true, devUrl: undefined });
const INDEX_URL = RENDERER_INDEX_URL;

describe('dashboardWindowOptions', () => {
  it('locks the renderer down', () => {
    const options = dashboardWindowOptions({
      preload: '/opt/nut-sentinel/out/main/preload.cjs',
      devTools: false,
    });
    expect(options.show).toBe(false);
    expect(options.webPreferences).toEqual(
      expect.objectContaining({
        preload: '/opt/nut-sentinel/out/main/preload.cjs',
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
        devTools: false,
      }),
    );
  });

  it('has no icon key unless one is given; DevTools follow the flag', () => {
    expect(dashboardWindowOptions({ preload: 'p', devTools: true })).not.toHaveProperty('icon');
    expect(dashboardWindowOptions({ preload: 'p', devTools: true, icon: '/i.png' }).icon).toBe(
      '/i.png',
    );
    expect(dashboardWindowOptions({ preload: 'p', devTools: true }).webPreferences?.devTools).toBe(
      true,
    );
  });
});

describe('DashboardWindow', () => {
  beforeEach(() => resetElectronMock());

  function make(options: { quitting?: boolean; target?: ReturnType<typeof rendererTarget> } = {}) {
    let quitting = options.quitting ?? false;
    let now = 1_000_000;
    const navigate = vi.fn();
    const logger = recordingLogger();
    const dashboard = new DashboardWindow({
      target: options.target ?? fileTarget,
      preload: '/opt/nut-sentinel/out/main/preload.cjs',
      devTools: false,
      isQuitting: () => quitting,
      navigate,
      logger,
      now: () => now,
    });
    return {
      dashboard,
      navigate,
      logger,
      setQuitting: (q: boolean) => (quitting = q),
      advance: (ms: number) => (now += ms),
    };
  }

  it('is created lazily, hidden, and shown on ready-to-show with the route as hash', () => {
    const { dashboard } = make();
    expect(electronMock.windows).toHaveLength(0);
    dashboard.show('/settings');
    const win = electronMock.windows[0]!;
    expect(win.options).toMatchObject({
      show: false,
      webPreferences: { sandbox: true, contextIsolation: true },
    });
    expect(win.loadURL).toHaveBeenCalledWith(`${INDEX_URL}#/settings`);
    expect(win.isVisible()).toBe(false);
    win.emit('ready-to-show');
    expect(win.isVisible()).toBe(true);
  });

  it('closing hides (tray app); while quitting it really closes', () => {
    const { dashboard, setQuitting } = make();
    dashboard.show();
    const win = electronMock.windows[0]!;
    win.emit('ready-to-show');
    win.close();
    expect(win.isDestroyed()).toBe(false);
    expect(win.isVisible()).toBe(false);
    setQuitting(true);
    win.close();
    expect(win.isDestroyed()).toBe(true);
    expect(dashboard.window).toBeNull();
  });

  it('an open, loaded window navigates by push instead of reloading', () => {
    const { dashboard, navigate } = make();
    dashboard.show('/');
    const win = electronMock.windows[0]!;
    win.webContents.finishLoad();
    dashboard.show('/ups/nas%2Fups');
    expect(navigate).toHaveBeenCalledWith('/ups/nas%2Fups');
    expect(win.loadURL).toHaveBeenCalledTimes(1);
    expect(electronMock.windows).toHaveLength(1);
    expect(win.isVisible()).toBe(true);
  });

  it('a window still loading gets the new route as a new hash (no push into a page that is not listening yet)', () => {
    const { dashboard, navigate } = make();
    dashboard.show('/');
    dashboard.show('/fsd-test');
    const win = electronMock.windows[0]!;
    expect(navigate).not.toHaveBeenCalled();
    expect(win.loadURL).toHaveBeenLastCalledWith(`${INDEX_URL}#/fsd-test`);
  });

  it('routes outside the small route grammar become the dashboard', () => {
    const { dashboard } = make();
    dashboard.show('javascript:alert(1)');
    expect(electronMock.windows[0]!.loadURL).toHaveBeenCalledWith(`${INDEX_URL}#/`);
    resetElectronMock();
    const second = make();
    second.dashboard.show('//evil.example/x');
    expect(electronMock.windows[0]!.loadURL).toHaveBeenCalledWith(`${INDEX_URL}#/`);
  });

  it('focus is not visibility: a visible window that lost the focus is shown (raised) by toggle, not hidden', () => {
    const { dashboard, advance } = make();
    dashboard.toggle();
    const win = electronMock.windows[0]!;
    win.emit('ready-to-show');
    win.blur();
    advance(5_000);
    expect(win.isVisible()).toBe(true);
    expect(win.isFocused()).toBe(false);
    dashboard.toggle();
    expect(win.isVisible()).toBe(true);
    expect(win.isFocused()).toBe(true);
  });

  it('Windows: the click on the tray takes the focus first — a blur just before the click still hides', () => {
    const { dashboard, advance } = make();
    dashboard.toggle();
    const win = electronMock.windows[0]!;
    win.emit('ready-to-show');
    advance(10_000);
    // What Windows does: the window loses focus to the taskbar, then the tray's click arrives.
    win.blur();
    advance(50);
    dashboard.toggle();
    expect(win.isVisible()).toBe(false);
  });

  it('a superseded load (ERR_ABORTED) is not a failure; a real failure is logged', async () => {
    const { dashboard, logger } = make();
    dashboard.show('/');
    dashboard.show('/fsd-test');
    const win = electronMock.windows[0]!;
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(logger.text()).not.toContain('failed to load');
    win.webContents.failLoad(-6, 'ERR_FILE_NOT_FOUND');
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(logger.text()).toMatch(/dashboard failed to load.*ERR_FILE_NOT_FOUND/);
  });

  it('logs when the dashboard has loaded (the packaged-app check in CI reads it)', () => {
    const { dashboard, logger } = make();
    dashboard.show('/settings');
    electronMock.windows[0]!.webContents.finishLoad();
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        message: 'dashboard loaded',
        fields: { url: `${INDEX_URL}#/settings` },
      }),
    );
  });

  it('a crashed renderer is reloaded at its route; a crash loop gives the window up until it is opened again', () => {
    const { dashboard, logger, advance } = make();
    dashboard.show('/settings');
    const win = electronMock.windows[0]!;
    win.webContents.finishLoad();
    dashboard.show('/fsd-test');
    for (let i = 0; i < 3; i++) {
      advance(1_000);
      win.webContents.crash('crashed', 139);
      expect(win.loadURL).toHaveBeenLastCalledWith(`${INDEX_URL}#/fsd-test`);
      win.webContents.finishLoad();
    }
    expect(win.loadURL).toHaveBeenCalledTimes(4);
    advance(1_000);
    win.webContents.crash('oom', 0);
    expect(win.loadURL).toHaveBeenCalledTimes(4);
    expect(win.isDestroyed()).toBe(true);
    expect(logger.text()).toContain('renderer keeps crashing');
    // Opening it again starts over with a fresh window.
    dashboard.show();
    expect(electronMock.windows).toHaveLength(2);
  });

  it('crashes far apart are each recovered; a clean exit or a quit is not a crash', () => {
    const { dashboard, advance, setQuitting } = make();
    dashboard.show('/');
    const win = electronMock.windows[0]!;
    for (let i = 0; i < 6; i++) {
      advance(61_000);
      win.webContents.crash('killed', 9);
    }
    expect(win.loadURL).toHaveBeenCalledTimes(7);
    win.webContents.crash('clean-exit', 0);
    setQuitting(true);
    win.webContents.crash('crashed', 139);
    expect(win.loadURL).toHaveBeenCalledTimes(7);
  });

  it('toggle hides a visible focused window and shows a hidden one', () => {
    const { dashboard } = make();
    dashboard.toggle();
    const win = electronMock.windows[0]!;
    win.emit('ready-to-show');
    expect(win.isVisible()).toBe(true);
    dashboard.toggle();
    expect(win.isVisible()).toBe(false);
    dashboard.toggle();
    expect(win.isVisible()).toBe(true);
    expect(electronMock.windows).toHaveLength(1);
  });

  it('loads the dev server URL for a dev target', () => {
    const dev = rendererTarget({
      rendererIndex: INDEX,
      isPackaged: false,
      devUrl: 'http://localhost:5173/',
    });
    const { dashboard } = make({ target: dev });
    dashboard.show('/settings');
    expect(electronMock.windows[0]!.loadURL).toHaveBeenCalledWith(
      'http://localhost:5173/#/settings',
    );
  });

  it('destroy() closes for real', () => {
    const { dashboard } = make();
    dashboard.show();
    const win = electronMock.windows[0]!;
    dashboard.destroy();
    expect(win.isDestroyed()).toBe(true);
    expect(dashboard.webContents).toBeNull();
  });
});
