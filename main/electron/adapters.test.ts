import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { electronMock, mockEvent, resetElectronMock } from '../testing/electron-mock';
import { createFileLogger, redactFields } from './logger';
import { applyStartAtLogin, autostartEntry, desktopExecQuote, type LoginItemEnv } from './login-item';
import { createShellNotifier, shellNotifierOptions } from './notifications';
import { createPowerMonitorPort, onSystemShutdown } from './power-monitor';
import { recordingLogger } from './testing/fixtures';

let tmp: string;
beforeEach(async () => {
  resetElectronMock();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nut-adapters-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('PowerMonitorPort', () => {
  it('delivers suspend and resume until unsubscribed', () => {
    const port = createPowerMonitorPort();
    const suspend = vi.fn();
    const resume = vi.fn();
    const offSuspend = port.onSuspend(suspend);
    const offResume = port.onResume(resume);
    electronMock.powerMonitor.emit('suspend');
    electronMock.powerMonitor.emit('resume');
    offSuspend();
    offSuspend();
    electronMock.powerMonitor.emit('suspend');
    electronMock.powerMonitor.emit('resume');
    offResume();
    expect(suspend).toHaveBeenCalledTimes(1);
    expect(resume).toHaveBeenCalledTimes(2);
    expect(electronMock.powerMonitor.listenerCount('suspend') + electronMock.powerMonitor.listenerCount('resume')).toBe(0);
  });

  it('the same listener subscribed twice is called twice and unsubscribes separately', () => {
    const port = createPowerMonitorPort();
    const listener = vi.fn();
    const off1 = port.onResume(listener);
    port.onResume(listener);
    off1();
    electronMock.powerMonitor.emit('resume');
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('system shutdown is delayed (preventDefault) and the teardown starts', () => {
    const teardown = vi.fn();
    const off = onSystemShutdown(teardown);
    const event = mockEvent();
    electronMock.powerMonitor.emit('shutdown', event);
    expect(event.defaultPrevented).toBe(true);
    expect(teardown).toHaveBeenCalledTimes(1);
    off();
    expect(electronMock.powerMonitor.listenerCount('shutdown')).toBe(0);
  });
});

describe('shell notifier (main/notify wired to the window)', () => {
  function fakeNodeNotifier() {
    const clicks: Array<(object: unknown, options: Record<string, unknown>) => void> = [];
    const shown: Array<Record<string, unknown>> = [];
    return {
      clicks,
      shown,
      notify: (options: Record<string, unknown>, callback: (error: Error | string | null) => void) => {
        shown.push(options);
        if (options.wait !== true) callback(null);
      },
      on: (_event: 'click', listener: (object: unknown, options: Record<string, unknown>) => void) => clicks.push(listener),
    };
  }

  it.each(['win32', 'darwin'] as const)('%s: a click opens the notification’s route (sanitised)', async (platform) => {
    const fake = fakeNodeNotifier();
    const openRoute = vi.fn();
    const notifier = createShellNotifier({ openRoute, platform, logger: recordingLogger(), notifier: fake });
    await notifier.notify({ key: 'LOWBATT:ups@nas', title: 'Low battery', body: 'x', urgency: 'critical', route: '/ups/nas%2Fups' });
    for (const click of fake.clicks) click({}, fake.shown[0]!);
    expect(openRoute).toHaveBeenCalledWith('/ups/nas%2Fups');
    for (const click of fake.clicks) click({}, { route: 'javascript:alert(1)' });
    expect(openRoute).toHaveBeenLastCalledWith('/');
  });

  it('Windows toasts carry our AppUserModelID; Linux names the app', () => {
    const logger = recordingLogger();
    expect(shellNotifierOptions({ openRoute: vi.fn(), platform: 'win32', logger }).appName).toBe('io.github.nutsentinel.app');
    expect(shellNotifierOptions({ openRoute: vi.fn(), platform: 'linux', logger }).appName).toBe('NUT Sentinel');
  });

  it('Linux (notify-send) cannot report clicks: no listener, notification still shown', async () => {
    const fake = fakeNodeNotifier();
    const notifier = createShellNotifier({ openRoute: vi.fn(), platform: 'linux', logger: recordingLogger(), notifier: fake });
    await notifier.notify({ key: 'k', title: 'T', body: 'B', urgency: 'normal', route: '/settings' });
    expect(fake.clicks).toHaveLength(0);
    expect(fake.shown[0]).toMatchObject({ title: 'T', 'app-name': 'NUT Sentinel' });
  });
});

describe('start at login', () => {
  const env = (over: Partial<LoginItemEnv> = {}): LoginItemEnv => ({
    platform: 'linux',
    isPackaged: true,
    execPath: '/opt/NUT Sentinel/nut-sentinel',
    env: {},
    homedir: tmp,
    logger: recordingLogger(),
    ...over,
  });

  it('Linux: writes and removes an XDG autostart entry (AppImage path when run as one)', async () => {
    const file = path.join(tmp, '.config', 'autostart', 'nut-sentinel.desktop');
    expect(await applyStartAtLogin(true, env())).toBe('enabled');
    expect(await readFile(file, 'utf8')).toContain('Exec="/opt/NUT Sentinel/nut-sentinel" --hidden');
    expect(await applyStartAtLogin(true, env())).toBe('unchanged');
    expect(await applyStartAtLogin(true, env({ env: { APPIMAGE: '/home/u/Apps/NUT-Sentinel.AppImage' } }))).toBe('enabled');
    expect(await readFile(file, 'utf8')).toContain('Exec=/home/u/Apps/NUT-Sentinel.AppImage --hidden');
    expect(await applyStartAtLogin(false, env())).toBe('disabled');
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await applyStartAtLogin(false, env())).toBe('unchanged');
  });

  it('Linux: honours XDG_CONFIG_HOME', async () => {
    const configHome = path.join(tmp, 'xdg');
    await applyStartAtLogin(true, env({ env: { XDG_CONFIG_HOME: configHome } }));
    expect(await readFile(path.join(configHome, 'autostart', 'nut-sentinel.desktop'), 'utf8')).toContain('[Desktop Entry]');
  });

  it('macOS/Windows: app.setLoginItemSettings, only on change', async () => {
    expect(await applyStartAtLogin(true, env({ platform: 'darwin' }))).toBe('enabled');
    expect(electronMock.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true });
    expect(await applyStartAtLogin(true, env({ platform: 'darwin' }))).toBe('unchanged');
    expect(await applyStartAtLogin(false, env({ platform: 'win32' }))).toBe('disabled');
    expect(electronMock.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: false, args: ['--hidden'] });
    expect(electronMock.app.setLoginItemSettings).toHaveBeenCalledTimes(2);
  });

  it('an unpackaged (dev) app never registers the bare Electron binary', async () => {
    expect(await applyStartAtLogin(true, env({ isPackaged: false }))).toBe('skipped-unpackaged');
    expect(electronMock.app.setLoginItemSettings).not.toHaveBeenCalled();
    await expect(stat(path.join(tmp, '.config'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('quotes Exec arguments per the Desktop Entry spec', () => {
    expect(desktopExecQuote('/usr/bin/nut-sentinel')).toBe('/usr/bin/nut-sentinel');
    expect(desktopExecQuote('/a b/$HOME`x`"q"\\')).toBe('"/a b/\\$HOME\\`x\\`\\"q\\"\\\\"');
    expect(autostartEntry({ env: {}, execPath: '/x' })).toMatch(/^\[Desktop Entry\]\nType=Application\n/);
  });
});

describe('file logger', () => {
  it('writes JSON lines (0600), redacts secret-looking fields, flushes', async () => {
    const logger = createFileLogger({ dir: path.join(tmp, 'logs'), now: () => 0 });
    logger.log('info', 'hello', { key: 'nut-password:nas:ups', password: 'hunter2', nested: { token: 't0k', ok: 1 } });
    logger.log('debug', 'hidden below info');
    await logger.flush();
    const text = await readFile(path.join(tmp, 'logs', 'main.log'), 'utf8');
    expect(text).toBe('{"t":"1970-01-01T00:00:00.000Z","level":"info","msg":"hello","key":"nut-password:nas:ups","password":"[redacted]","nested":{"token":"[redacted]","ok":1}}\n');
    if (process.platform !== 'win32') expect((await stat(path.join(tmp, 'logs', 'main.log'))).mode & 0o777).toBe(0o600);
  });

  it('rotates a log over 5 MB once at start', async () => {
    const dir = path.join(tmp, 'logs');
    const first = createFileLogger({ dir });
    await first.flush();
    await writeFile(path.join(dir, 'main.log'), Buffer.alloc(5 * 1024 * 1024 + 1, 0x61));
    const second = createFileLogger({ dir });
    second.log('warn', 'fresh');
    await second.flush();
    expect((await stat(path.join(dir, 'main.log.1'))).size).toBe(5 * 1024 * 1024 + 1);
    expect(await readFile(path.join(dir, 'main.log'), 'utf8')).toMatch(/"msg":"fresh"/);
  });

  it('redactFields keeps ordinary fields', () => {
    expect(redactFields({ channel: 'config:save', passwd: 'x', Authorization: 'y', error: new Error('e') })).toEqual({
      channel: 'config:save',
      passwd: '[redacted]',
      Authorization: '[redacted]',
      error: 'e',
    });
  });
});
