import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { electronMock, mockEvent, resetElectronMock } from '../testing/electron-mock';
import { rendererTarget } from './paths';
import { recordingLogger } from './testing/fixtures';
import { DashboardWindow, dashboardWindowOptions } from './windows';

const INDEX = '/opt/nut-sentinel/out/renderer/index.html';
const fileTarget = rendererTarget({ rendererIndex: INDEX, isPackaged: true, devUrl: undefined });
const INDEX_URL = pathToFileURL(INDEX).href;

describe('dashboardWindowOptions', () => {
  it('locks the renderer down', () => {
    const options = dashboardWindowOptions({ preload: '/opt/nut-sentinel/out/main/preload.cjs', devTools: false });
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
    expect(dashboardWindowOptions({ preload: 'p', devTools: true, icon: '/i.png' }).icon).toBe('/i.png');
    expect(dashboardWindowOptions({ preload: 'p', devTools: true }).webPreferences?.devTools).toBe(true);
  });
});

describe('DashboardWindow', () => {
  beforeEach(() => resetElectronMock());

  function make(options: { quitting?: boolean; target?: ReturnType<typeof rendererTarget> } = {}) {
    let quitting = options.quitting ?? false;
    const navigate = vi.fn();
    const onSessionEnd = vi.fn();
    const dashboard = new DashboardWindow({
      target: options.target ?? fileTarget,
      preload: '/opt/nut-sentinel/out/main/preload.cjs',
      devTools: false,
      isQuitting: () => quitting,
      navigate,
      onSessionEnd,
      logger: recordingLogger(),
    });
    return { dashboard, navigate, onSessionEnd, setQuitting: (q: boolean) => (quitting = q) };
  }

  it('is created lazily, hidden, and shown on ready-to-show with the route as hash', () => {
    const { dashboard } = make();
    expect(electronMock.windows).toHaveLength(0);
    dashboard.show('/settings');
    const win = electronMock.windows[0]!;
    expect(win.options).toMatchObject({ show: false, webPreferences: { sandbox: true, contextIsolation: true } });
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
    const dev = rendererTarget({ rendererIndex: INDEX, isPackaged: false, devUrl: 'http://localhost:5173/' });
    const { dashboard } = make({ target: dev });
    dashboard.show('/settings');
    expect(electronMock.windows[0]!.loadURL).toHaveBeenCalledWith('http://localhost:5173/#/settings');
  });

  it('reports the Windows session end', () => {
    const { dashboard, onSessionEnd } = make();
    dashboard.show();
    electronMock.windows[0]!.emit('session-end', mockEvent());
    expect(onSessionEnd).toHaveBeenCalledTimes(1);
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
