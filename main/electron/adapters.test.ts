import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { electronMock, Notification, resetElectronMock } from '../testing/electron-mock';
import { createFileLogger, redactFields } from './logger';
import {
  applyStartAtLogin,
  autostartEntry,
  desktopExecQuote,
  type LoginItemEnv,
} from './login-item';
import nodeNotifier from 'node-notifier';
import {
  createShellNotifier,
  electronNotificationOptions,
  shellNotifierOptions,
} from './notifications';
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
    expect(
      electronMock.powerMonitor.listenerCount('suspend') +
        electronMock.powerMonitor.listenerCount('resume'),
    ).toBe(0);
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

  it('system shutdown (Linux, macOS) is delayed (preventDefault) and the teardown starts', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      electronMock.setPlatform(platform);
      const teardown = vi.fn();
      const off = onSystemShutdown(teardown);
      const event = electronMock.emitSystemShutdown();
      expect(event.defaultPrevented).toBe(true);
      expect(teardown).toHaveBeenCalledTimes(1);
      off();
      expect(electronMock.powerMonitor.listenerCount('shutdown')).toBe(0);
    }
    // Electron has no such event on Windows (the session-end watcher window covers it there).
    electronMock.setPlatform('win32');
    expect(() => electronMock.emitSystemShutdown()).toThrow(/only on Linux and macOS/);
  });
});

describe('shell notifier', () => {
  const notification = {
    key: 'LOWBATT:ups@nas',
    title: 'Low battery',
    body: 'ups@nas is on battery\nand low',
    urgency: 'critical',
    route: '/ups/nas%2Fups',
  } as const;

  it.each(['win32', 'darwin'] as const)(
    '%s: Electron’s own Notification; a click in this process opens the route (sanitised)',
    async (platform) => {
      electronMock.setPlatform(platform);
      const openRoute = vi.fn();
      const notifier = createShellNotifier({
        openRoute,
        platform,
        logger: recordingLogger(),
        icon: '/opt/app/icon.png',
      });
      await notifier.notify(notification);
      const [note] = electronMock.notifications;
      expect(note!.shown).toBe(true);
      expect(note!.options).toMatchObject({
        title: 'Low battery',
        body: 'ups@nas is on battery and low',
      });
      note!.click();
      expect(openRoute).toHaveBeenCalledWith('/ups/nas%2Fups');
      await notifier.notify({ ...notification, route: 'javascript:alert(1)' });
      electronMock.notifications[1]!.click();
      expect(openRoute).toHaveBeenLastCalledWith('/');
    },
  );

  it('per-platform options: Windows critical toasts stay and carry the icon; macOS uses the app icon', () => {
    expect(electronNotificationOptions(notification, 'win32', '/i.png')).toEqual({
      title: 'Low battery',
      body: 'ups@nas is on battery and low',
      silent: false,
      timeoutType: 'never',
      urgency: 'critical',
      icon: '/i.png',
    });
    expect(
      electronNotificationOptions({ ...notification, urgency: 'normal' }, 'win32').timeoutType,
    ).toBe('default');
    expect(electronNotificationOptions(notification, 'darwin', '/i.png')).toEqual({
      title: 'Low battery',
      body: 'ups@nas is on battery and low',
      silent: false,
    });
  });

  it('a notification the OS could not show is logged; unsupported systems get an explained error', async () => {
    electronMock.setPlatform('win32');
    const logger = recordingLogger();
    const notifier = createShellNotifier({ openRoute: vi.fn(), platform: 'win32', logger });
    await notifier.notify(notification);
    electronMock.notifications[0]!.fail('toast failed: 0x80070490');
    expect(logger.text()).toMatch(/Desktop notification failed.*0x80070490/);
    Notification.isSupported.mockReturnValueOnce(false);
    await expect(notifier.notify(notification)).rejects.toThrow(/does not support notifications/);
  });

  it('Linux goes through node-notifier (not Electron): its real notify-send mapping gets our options', async () => {
    // node-notifier's real NotifySend runs `notify-send` from PATH: a recording stand-in here.
    const bin = path.join(tmp, 'bin');
    const argsFile = path.join(tmp, 'args.txt');
    await mkdir(bin);
    await writeFile(
      path.join(bin, 'notify-send'),
      `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${argsFile}'\n`,
      { mode: 0o755 },
    );
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ''}`;
    try {
      const notifier = createShellNotifier({
        openRoute: vi.fn(),
        platform: 'linux',
        icon: '/opt/NUT Sentinel/resources/app.asar.unpacked/assets/app/icon.png',
        logger: recordingLogger(),
        notifier: new nodeNotifier.NotifySend(),
      });
      await notifier.notify(notification);
    } finally {
      process.env.PATH = savedPath;
    }
    const args = (await readFile(argsFile, 'utf8')).trimEnd().split('\n');
    expect(args.slice(0, 2)).toEqual(['Low battery', 'ups@nas is on battery and low']);
    expect(args).toEqual(
      expect.arrayContaining([
        '--urgency',
        'critical',
        '--app-name',
        'NUT Sentinel',
        '--category',
        'device',
        '--icon',
        '/opt/NUT Sentinel/resources/app.asar.unpacked/assets/app/icon.png',
        '--expire-time',
        '0',
      ]),
    );
    // node-notifier passes no route to notify-send (it cannot report clicks) and Electron's Notification is not used.
    expect(args.join(' ')).not.toContain('/ups/');
    expect(electronMock.notifications).toHaveLength(0);
    expect(
      shellNotifierOptions({ openRoute: vi.fn(), platform: 'linux', logger: recordingLogger() })
        .appName,
    ).toBe('NUT Sentinel');
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
    expect(await readFile(file, 'utf8')).toContain(
      'Exec="/opt/NUT Sentinel/nut-sentinel" --hidden',
    );
    expect(await applyStartAtLogin(true, env())).toBe('unchanged');
    expect(
      await applyStartAtLogin(
        true,
        env({ env: { APPIMAGE: '/home/u/Apps/NUT-Sentinel.AppImage' } }),
      ),
    ).toBe('enabled');
    expect(await readFile(file, 'utf8')).toContain(
      'Exec=/home/u/Apps/NUT-Sentinel.AppImage --hidden',
    );
    expect(await applyStartAtLogin(false, env())).toBe('disabled');
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await applyStartAtLogin(false, env())).toBe('unchanged');
  });

  it('Linux: honours XDG_CONFIG_HOME', async () => {
    const configHome = path.join(tmp, 'xdg');
    await applyStartAtLogin(true, env({ env: { XDG_CONFIG_HOME: configHome } }));
    expect(
      await readFile(path.join(configHome, 'autostart', 'nut-sentinel.desktop'), 'utf8'),
    ).toContain('[Desktop Entry]');
  });

  it('macOS/Windows: app.setLoginItemSettings, only on change', async () => {
    expect(await applyStartAtLogin(true, env({ platform: 'darwin' }))).toBe('enabled');
    expect(electronMock.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true });
    expect(await applyStartAtLogin(true, env({ platform: 'darwin' }))).toBe('unchanged');
    expect(await applyStartAtLogin(false, env({ platform: 'win32' }))).toBe('disabled');
    expect(electronMock.app.setLoginItemSettings).toHaveBeenLastCalledWith({
      openAtLogin: false,
      args: ['--hidden'],
    });
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
    expect(autostartEntry({ env: {}, execPath: '/x' })).toMatch(
      /^\[Desktop Entry\]\nType=Application\n/,
    );
  });
});

describe('file logger', () => {
  it('writes JSON lines (0600), redacts secret-looking fields, flushes', async () => {
    const logger = createFileLogger({ dir: path.join(tmp, 'logs'), now: () => 0 });
    logger.log('info', 'hello', {
      key: 'nut-password:nas:ups',
      password: 'hunter2',
      nested: { token: 't0k', ok: 1 },
    });
    logger.log('debug', 'hidden below info');
    await logger.flush();
    const text = await readFile(path.join(tmp, 'logs', 'main.log'), 'utf8');
    expect(text).toBe(
      '{"t":"1970-01-01T00:00:00.000Z","level":"info","msg":"hello","key":"nut-password:nas:ups","password":"[REDACTED]","nested":{"token":"[REDACTED]","ok":1}}\n',
    );
    if (process.platform !== 'win32')
      expect((await stat(path.join(tmp, 'logs', 'main.log'))).mode & 0o777).toBe(0o600);
  });

  it('rotates by size while the app runs, keeping one older generation; every line survives in one of the two', async () => {
    const dir = path.join(tmp, 'logs');
    const logger = createFileLogger({ dir, maxBytes: 4096, now: () => 0 });
    const lines = Array.from({ length: 120 }, (_, i) => `line ${String(i).padStart(3, '0')}`);
    for (const line of lines) logger.log('info', line, { pad: 'x'.repeat(40) });
    const main = await readFile(path.join(dir, 'main.log'), 'utf8');
    const older = await readFile(path.join(dir, 'main.log.1'), 'utf8');
    expect(Buffer.byteLength(main)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(older)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(older)).toBeGreaterThan(4096 - 200);
    // The newest lines are in main.log, the ones just before them in main.log.1, in order, nothing cut.
    const kept = `${older}${main}`
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(kept).toEqual(lines.slice(lines.length - kept.length));
    expect(kept.at(-1)).toBe('line 119');
    if (process.platform !== 'win32')
      expect((await stat(path.join(dir, 'main.log'))).mode & 0o777).toBe(0o600);
    logger.log('info', 'after rotation');
    await logger.flush();
    expect(await readFile(path.join(dir, 'main.log'), 'utf8')).toMatch(
      /"msg":"after rotation"}\n$/,
    );
  });

  it('flushSync makes the log durable at once (Windows session-end) and later lines go to the console', () => {
    const dir = path.join(tmp, 'logs');
    const logger = createFileLogger({ dir, now: () => 0 });
    logger.log('warn', 'session ending');
    logger.flushSync();
    expect(readFileSync(path.join(dir, 'main.log'), 'utf8')).toContain('"msg":"session ending"');
    const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    logger.log('info', 'late');
    expect(spy).toHaveBeenCalledWith(expect.stringContaining('"msg":"late"'));
    spy.mockRestore();
    expect(readFileSync(path.join(dir, 'main.log'), 'utf8')).not.toContain('late');
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
    expect(
      redactFields({
        channel: 'config:save',
        passwd: 'x',
        Authorization: 'y',
        error: new Error('e'),
      }),
    ).toEqual({
      channel: 'config:save',
      passwd: '[REDACTED]',
      Authorization: '[REDACTED]',
      error: 'e',
    });
  });
});
