import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { defaultConfig } from '../../shared/config';
import { electronMock, mockEvent, resetElectronMock } from '../testing/electron-mock';
import { USER_DATA_ENV } from './constants';
import { RENDERER_CSP } from '../../shared/renderer-policy';
import { type CoreFactoryDeps, type ShellHandle, startShell } from './shell';
import { type FakeCore, fakeCore, snapshot, ups } from './testing/fixtures';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let tmp: string;
let userData: string;
let appRoot: string;
let handle: ShellHandle | null = null;

beforeEach(async () => {
  resetElectronMock();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nut-shell-'));
  userData = path.join(tmp, 'userData');
  appRoot = path.join(tmp, 'app');
  electronMock.setPath('userData', userData);
  electronMock.setPath('appPath', appRoot);
});

afterEach(async () => {
  // Always tear down (clears the tray refresh timer, flushes the log file).
  if (handle && !handle.teardown.started && handle.phase !== 'second-instance')
    await handle.teardown.run();
  handle = null;
  await rm(tmp, { recursive: true, force: true });
});

interface StartOptions {
  platform?: NodeJS.Platform;
  core?: FakeCore;
  createCore?: (deps: CoreFactoryDeps) => Promise<FakeCore>;
  env?: NodeJS.ProcessEnv;
  argv?: string[];
  loginItemEnv?: Parameters<typeof startShell>[0]['loginItemEnv'];
  createNotifier?: Parameters<typeof startShell>[0]['createNotifier'];
}

function start(options: StartOptions = {}) {
  // The mock imitates the same platform the shell is told it runs on.
  electronMock.setPlatform(options.platform ?? 'linux');
  const core = options.core ?? fakeCore();
  const createCore = vi.fn(options.createCore ?? (() => Promise.resolve(core)));
  handle = startShell({
    createCore,
    mainDir: path.join(appRoot, 'out', 'main'),
    platform: options.platform ?? 'linux',
    env: options.env ?? {},
    argv: options.argv ?? ['electron', '.'],
    trayRefreshMs: 60_000,
    logToConsole: false,
    ...(options.loginItemEnv ? { loginItemEnv: options.loginItemEnv } : {}),
    ...(options.createNotifier ? { createNotifier: options.createNotifier } : {}),
  });
  const h = handle;
  return {
    core,
    createCore,
    handle: h,
    ready: async () => {
      electronMock.setReady();
      await h.started;
    },
  };
}

describe('startShell: phases', () => {
  it('before-ready: identity, single-instance lock, sandbox, security handlers — and nothing else until ready', () => {
    const { createCore, handle } = start();
    expect(handle.phase).toBe('before-ready');
    expect(electronMock.app.setName).toHaveBeenCalledWith('NUT Sentinel');
    expect(electronMock.app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(electronMock.app.enableSandbox).toHaveBeenCalled();
    expect(electronMock.app.listenerCount('web-contents-created')).toBe(1);
    expect(electronMock.app.listenerCount('before-quit')).toBe(1);
    expect(electronMock.app.listenerCount('window-all-closed')).toBe(1);
    expect(createCore).not.toHaveBeenCalled();
    expect(electronMock.trays).toHaveLength(0);
  });

  it('ready → ui → running: core from the factory with the shell’s ports, tray, IPC, core.start()', async () => {
    const core = fakeCore(snapshot([ups()]));
    const { createCore, ready, handle } = start({ core });
    await ready();
    expect(handle.phase).toBe('running');
    expect(createCore).toHaveBeenCalledTimes(1);
    const deps = createCore.mock.calls[0]![0];
    expect(deps.configPath).toBe(path.join(userData, 'config.json'));
    expect(deps.dataDir).toBe(userData);
    expect(deps.appVersion).toBe('0.0.0-test');
    expect(typeof deps.secrets.get).toBe('function');
    expect(typeof deps.notifier.notify).toBe('function');
    expect(typeof deps.powerMonitor.onSuspend).toBe('function');
    expect(typeof deps.logger.log).toBe('function');
    expect(core.start).toHaveBeenCalledTimes(1);
    expect(electronMock.trays).toHaveLength(1);
    expect(electronMock.trays[0]!.image.path).toBe(
      path.join(appRoot, 'assets', 'tray', 'linux', 'online-100.png'),
    );
    expect(electronMock.ipcMain.handlers.size).toBeGreaterThan(0);
    expect(electronMock.session.defaultSession.permissionRequestHandler).not.toBeNull();
    expect(electronMock.session.defaultSession.headersListener).not.toBeNull();
    // Configured: the window stays hidden until asked for.
    expect(electronMock.windows).toHaveLength(0);
  });

  it('the ports given to the core are live: power events reach it', async () => {
    const { createCore, ready } = start();
    await ready();
    const { powerMonitor } = createCore.mock.calls[0]![0];
    const suspended = vi.fn();
    const off = powerMonitor.onSuspend(suspended);
    electronMock.powerMonitor.emit('suspend');
    off();
    electronMock.powerMonitor.emit('suspend');
    expect(suspended).toHaveBeenCalledTimes(1);
  });

  it('first run (no UPS): opens Settings, hardened, with our preload', async () => {
    const { ready } = start();
    await ready();
    const win = electronMock.windows[0]!;
    expect(win.loadURL).toHaveBeenCalledWith('nut-sentinel://renderer/index.html#/settings');
    expect(win.options).toMatchObject({
      webPreferences: {
        preload: path.join(appRoot, 'out', 'main', 'preload.cjs'),
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
      },
    });
    // web-contents-created hardened it.
    expect(win.webContents.windowOpenHandler?.({ url: 'https://example.com' })).toEqual({
      action: 'deny',
    });
  });

  it('first run with --hidden (login item) stays in the tray', async () => {
    const { ready } = start({ argv: ['nut-sentinel', '--hidden'] });
    await ready();
    expect(electronMock.windows).toHaveLength(0);
  });

  it('a config file that could not be loaded opens Settings even when started hidden', async () => {
    const { ready } = start({
      argv: ['nut-sentinel', '--hidden'],
      core: fakeCore(snapshot([], { configProblem: 'config.json: bad JSON' })),
    });
    await ready();
    expect(electronMock.windows[0]!.loadURL).toHaveBeenCalledWith(
      expect.stringMatching(/#\/settings$/),
    );
  });

  it('a second instance quits at once; the first shows its window on second-instance', async () => {
    electronMock.setSingleInstanceLock(false);
    const second = start();
    expect(second.handle.phase).toBe('second-instance');
    expect(electronMock.app.quit).toHaveBeenCalled();
    expect(electronMock.app.whenReady).not.toHaveBeenCalled();
    handle = null;

    resetElectronMock();
    electronMock.setPath('userData', userData);
    electronMock.setPath('appPath', appRoot);
    const first = start({ core: fakeCore(snapshot([ups()])) });
    await first.ready();
    expect(electronMock.windows).toHaveLength(0);
    electronMock.app.emit('second-instance', mockEvent(), ['nut-sentinel'], '/');
    expect(electronMock.windows).toHaveLength(1);
  });

  it('macOS: the launch’s own activate does not open the window; a later one does', async () => {
    const { ready } = start({ platform: 'darwin', core: fakeCore(snapshot([ups()])) });
    electronMock.app.emit('activate', mockEvent(), false);
    await ready();
    expect(electronMock.windows).toHaveLength(0);
    electronMock.app.emit('activate', mockEvent(), false);
    expect(electronMock.windows).toHaveLength(1);
  });

  it('honours the userData override before taking the lock (the lock is per userData)', () => {
    const override = path.join(tmp, 'custom');
    start({ env: { [USER_DATA_ENV]: override } });
    expect(electronMock.app.setPath).toHaveBeenCalledWith('userData', override);
    expect(electronMock.indexOf('app', 'setPath')).toBeLessThan(
      electronMock.indexOf('app', 'requestSingleInstanceLock'),
    );
  });

  it('macOS: no dock icon, an Edit menu for shortcuts; Windows: AppUserModelID', async () => {
    const mac = start({ platform: 'darwin' });
    expect(electronMock.app.dock!.hide).toHaveBeenCalled();
    await mac.ready();
    expect(electronMock.Menu.setApplicationMenu).toHaveBeenCalledWith(
      expect.objectContaining({ items: [{ role: 'appMenu' }, { role: 'editMenu' }] }),
    );
    await mac.handle.teardown.run();

    resetElectronMock();
    electronMock.setPath('userData', userData);
    electronMock.setPath('appPath', appRoot);
    start({ platform: 'win32' });
    expect(electronMock.app.setAppUserModelId).toHaveBeenCalledWith('io.github.nutsentinel.app');
    expect(electronMock.app.dock!.hide).not.toHaveBeenCalled();
  });

  it('a failing core factory is reported in a dialog and the app quits', async () => {
    const { ready, handle } = start({
      createCore: () =>
        Promise.reject(
          Object.assign(new Error('config.json: line 3: unexpected token'), {
            fix: 'Fix the file or move it away.',
          }),
        ),
    });
    await ready();
    expect(electronMock.dialog.showErrorBox).toHaveBeenCalledWith(
      'NUT Sentinel could not start',
      expect.stringContaining('Fix the file or move it away.'),
    );
    await handle.teardown.run();
    await sleep(5);
    expect(electronMock.appState.quitted).toBe(true);
    expect(electronMock.trays).toHaveLength(0);
  });

  it('a quit requested before ready never creates the core', async () => {
    const { createCore, handle, ready } = start();
    electronMock.app.quit();
    await handle.teardown.run();
    await ready();
    expect(createCore).not.toHaveBeenCalled();
    expect(electronMock.appState.quitted).toBe(true);
  });
});

describe('startShell: tray, windows and IPC wiring', () => {
  it('snapshot pushes drive the tray icon', async () => {
    const core = fakeCore(snapshot([ups()]));
    const { ready } = start({ core });
    await ready();
    core.emit('app:snapshot', snapshot([ups({ level: 'on-battery', metrics: { charge: 48 } })]));
    expect(electronMock.trays[0]!.image.path).toMatch(/on-battery-50\.png$/);
  });

  it('tray items: Settings and FSD test open their views, Pause toggles through the core', async () => {
    const core = fakeCore(snapshot([ups()]));
    const { ready } = start({ core });
    await ready();
    const menu = () => electronMock.trays[0]!.contextMenu!;
    menu().click('settings');
    const win = electronMock.windows[0]!;
    expect(win.loadURL).toHaveBeenLastCalledWith(expect.stringMatching(/#\/settings$/));
    win.webContents.finishLoad();
    menu().click('fsd-test');
    expect(win.webContents.send).toHaveBeenCalledWith('app:navigate', '/fsd-test');
    menu().click('toggle-pause');
    await sleep(1);
    expect(core.handlers['notifications:set-paused']).toHaveBeenCalledWith({ paused: true });
    expect(menu().items.find((i) => i.id === 'toggle-pause')).toMatchObject({ checked: true });
  });

  it('IPC from the dashboard reaches the core; a saved config re-applies start at login', async () => {
    const core = fakeCore();
    const home = path.join(tmp, 'home');
    const config = { ...defaultConfig(), startAtLogin: true };
    core.handlers['config:get'].mockResolvedValue({ config, storedPasswords: [], path: 'x' });
    const { ready } = start({
      core,
      loginItemEnv: {
        isPackaged: true,
        homedir: home,
        env: {},
        execPath: '/opt/NUT Sentinel/nut-sentinel',
      },
    });
    await ready();
    const autostart = path.join(home, '.config', 'autostart', 'nut-sentinel.desktop');
    expect(await readFile(autostart, 'utf8')).toContain(
      'Exec="/opt/NUT Sentinel/nut-sentinel" --hidden',
    );

    const win = electronMock.windows[0]!;
    win.webContents.finishLoad();
    core.handlers['config:get'].mockResolvedValue({
      config: { ...config, startAtLogin: false },
      storedPasswords: [],
      path: 'x',
    });
    const result = await electronMock.ipcMain.invokeFrom(
      { sender: win.webContents, senderFrame: win.webContents.mainFrame },
      'config:save',
      { config: {} },
    );
    expect(result).toEqual({ ok: true, response: { ok: true } });
    await expect(readFile(autostart, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('Windows: notification clicks open the view (Electron Notification, click in-process → window at the route)', async () => {
    const { createCore, ready } = start({ platform: 'win32', core: fakeCore(snapshot([ups()])) });
    await ready();
    const { notifier } = createCore.mock.calls[0]![0];
    await notifier.notify({
      key: 'ONBATT:ups@nas',
      title: 'On battery',
      body: 'ups@nas is on battery',
      urgency: 'normal',
      route: '/ups/nas%2Fups',
    });
    expect(electronMock.notifications[0]!.options).toMatchObject({ title: 'On battery' });
    const dashboards = () => electronMock.windows.filter((w) => w.options.title === 'NUT Sentinel');
    expect(dashboards()).toHaveLength(0);
    electronMock.notifications[0]!.click();
    expect(dashboards()).toHaveLength(1);
    expect(dashboards()[0]!.loadURL).toHaveBeenCalledWith(
      'nut-sentinel://renderer/index.html#/ups/nas%2Fups',
    );
  });
});

describe('startShell: the renderer scheme', () => {
  it('registers nut-sentinel:// as privileged before ready and serves the built renderer from it after', async () => {
    const renderer = path.join(appRoot, 'out', 'renderer');
    await mkdir(path.join(renderer, 'assets'), { recursive: true });
    await writeFile(path.join(renderer, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(path.join(renderer, 'assets', 'index-abc.js'), 'export {};');
    const { ready } = start();
    expect(electronMock.protocol.privileged).toEqual([
      {
        scheme: 'nut-sentinel',
        privileges: expect.objectContaining({
          standard: true,
          secure: true,
          supportFetchAPI: true,
        }),
      },
    ]);
    expect(electronMock.protocol.handlers.size).toBe(0);
    await ready();
    const index = await electronMock.protocol.request(
      'nut-sentinel://renderer/index.html#/settings',
    );
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    const script = await electronMock.protocol.request(
      'nut-sentinel://renderer/assets/index-abc.js',
    );
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(
      (await electronMock.protocol.request('nut-sentinel://renderer/%2e%2e/%2e%2e/package.json'))
        .status,
    ).toBe(404);
    expect(
      (await electronMock.protocol.request('nut-sentinel://renderer/..%2F..%2Fmain%2Fapp.js'))
        .status,
    ).toBe(403);
  });
});

describe('startShell: quit', () => {
  it('Quit from the tray: core.stop (LOGOUT) completes before the tray is destroyed; the app quits only after the teardown', async () => {
    const core = fakeCore(snapshot([]), { stopMs: 40 });
    const { ready, handle } = start({ core });
    await ready();
    const win = electronMock.windows[0]!;
    electronMock.trays[0]!.contextMenu!.click('quit');
    await sleep(10);
    // Still tearing down: not quitted, core stopping.
    expect(handle.phase).toBe('stopping');
    expect(electronMock.appState.quitted).toBe(false);
    await handle.teardown.run();
    await sleep(5);
    expect(electronMock.appState.quitted).toBe(true);
    expect(handle.phase).toBe('stopped');

    const i = (target: string, method: string) => electronMock.indexOf(target, method);
    expect(i('core', 'stop:begin')).toBeGreaterThan(-1);
    expect(i('core', 'stop:end')).toBeLessThan(i('ipcMain', 'removeHandler'));
    expect(i('ipcMain', 'removeHandler')).toBeLessThan(i('Tray', 'destroy'));
    expect(i('Tray', 'destroy')).toBeLessThan(i('BrowserWindow', 'destroy'));
    expect(core.stop).toHaveBeenCalledTimes(1);
    expect(core.listenerCount('app:snapshot')).toBe(0);
    expect(win.isDestroyed()).toBe(true);
    expect(electronMock.callsOf('app', 'quit').length).toBeGreaterThanOrEqual(2);
    // The log was flushed to userData/logs.
    expect(await readFile(path.join(userData, 'logs', 'main.log'), 'utf8')).toMatch(
      /"msg":"stopped"/,
    );
  });

  it('closing the window only hides it; the app keeps running', async () => {
    const { ready, core } = start();
    await ready();
    const win = electronMock.windows[0]!;
    win.close();
    expect(win.isDestroyed()).toBe(false);
    expect(core.stop).not.toHaveBeenCalled();
    expect(electronMock.appState.quitted).toBe(false);
  });

  it('Linux system shutdown (logind, ~5 s): delayed, and LOGOUT gets about 3 s before the rest of the teardown runs', async () => {
    // A master that never answers the LOGOUT: core.stop() hangs.
    const core = fakeCore(snapshot([ups()]), { stopMs: 60_000 });
    const { ready, handle } = start({ core });
    await ready();
    const began = Date.now();
    const event = electronMock.emitSystemShutdown();
    expect(event.defaultPrevented).toBe(true);
    const reports = await handle.teardown.run();
    const elapsed = Date.now() - began;
    await sleep(5);
    expect(core.stop).toHaveBeenCalledTimes(1);
    expect(reports.find((r) => r.name === 'stop-core')).toMatchObject({ outcome: 'timed-out' });
    expect(reports.map((r) => r.name)).toEqual([
      'mark-quitting',
      'stop-core',
      'cancel-timers',
      'dispose-ipc',
      'destroy-tray',
      'close-window',
      'flush-logs',
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(4_500);
    expect(electronMock.appState.quitted).toBe(true);
    expect(await readFile(path.join(userData, 'logs', 'main.log'), 'utf8')).toMatch(
      /fast teardown.*\n(.*\n)*.*"msg":"stopped"/,
    );
  });

  it('Windows: a hidden watcher window exists from the start (no dashboard needed) for query-session-end / session-end', async () => {
    const { ready, core, handle } = start({ platform: 'win32', core: fakeCore(snapshot([ups()])) });
    await ready();
    // Started configured and hidden: no dashboard, but the watcher window.
    expect(electronMock.windows).toHaveLength(1);
    const watcher = electronMock.windows[0]!;
    expect(watcher.options).toMatchObject({ show: false, skipTaskbar: true });
    expect(watcher.loadURL).not.toHaveBeenCalled();
    expect(watcher.isVisible()).toBe(false);

    const query = Object.assign(mockEvent(), { reasons: ['logoff'] });
    watcher.emit('query-session-end', query);
    // Windows waits while the short teardown runs; the app quits when it is done.
    expect(query.defaultPrevented).toBe(true);
    await handle.teardown.run();
    await sleep(5);
    expect(core.stop).toHaveBeenCalledTimes(1);
    expect(electronMock.appState.quitted).toBe(true);
    expect(watcher.isDestroyed()).toBe(true);
  });

  it('Windows: a critical session end is not delayed; session-end flushes the log synchronously', async () => {
    const { ready } = start({
      platform: 'win32',
      core: fakeCore(snapshot([ups()]), { stopMs: 60_000 }),
    });
    await ready();
    const watcher = electronMock.windows[0]!;
    const query = Object.assign(mockEvent(), { reasons: ['critical'] });
    watcher.emit('query-session-end', query);
    expect(query.defaultPrevented).toBe(false);
    watcher.emit('session-end', Object.assign(mockEvent(), { reasons: ['critical'] }));
    // Nothing asynchronous ran in between, yet the log is on disk.
    const log = readFileSync(path.join(userData, 'logs', 'main.log'), 'utf8');
    expect(log).toContain('"msg":"Windows session ended"');
  });

  it('the dashboard’s hide-on-close would cancel Electron’s quit: the teardown destroys it before quitting', async () => {
    const { ready } = start();
    await ready();
    const win = electronMock.windows[0]!;
    win.emit('ready-to-show');
    expect(win.isVisible()).toBe(true);
    // A quit while the window is open (like Electron, the mock cancels a quit whose window close is prevented).
    electronMock.app.quit();
    await handle!.teardown.run();
    await sleep(5);
    expect(electronMock.callsOf('app', 'quit:cancelled-by-window')).toHaveLength(0);
    expect(electronMock.appState.quitted).toBe(true);
  });
});
