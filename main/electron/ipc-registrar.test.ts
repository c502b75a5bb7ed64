import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import type { WebContents } from 'electron';
import { INVOKE_CHANNELS } from '../../shared/ipc';
import {
  electronMock,
  MockBrowserWindow,
  type MockInvokeEvent,
  MockWebContents,
  MockWebFrame,
  resetElectronMock,
} from '../testing/electron-mock';
import { FORBIDDEN_SENDER, registerIpc } from './ipc-registrar';
import { isTrustedRendererUrl, rendererTarget } from './paths';
import { fakeCore, recordingLogger, snapshot, ups } from './testing/fixtures';

const INDEX = '/opt/nut-sentinel/out/renderer/index.html';
const target = rendererTarget({ rendererIndex: INDEX, isPackaged: true, devUrl: undefined });
const OUR_URL = 'nut-sentinel://renderer/index.html#/settings';

function setup() {
  const core = fakeCore(snapshot([ups()]));
  const logger = recordingLogger();
  const win = new MockBrowserWindow({});
  win.webContents.mainFrame.url = OUR_URL;
  let current: MockWebContents | null = win.webContents;
  const registrar = registerIpc({
    handlers: core.handlers,
    onPush: (channel, listener) => core.onPush(channel, listener),
    getWebContents: () => current as unknown as WebContents | null,
    isTrustedUrl: (url) => isTrustedRendererUrl(url, target),
    logger,
  });
  const fromOurs = (): MockInvokeEvent => ({
    sender: win.webContents,
    senderFrame: win.webContents.mainFrame,
  });
  return { core, logger, win, registrar, fromOurs, dropWindow: () => (current = null) };
}

describe('registerIpc', () => {
  beforeEach(() => resetElectronMock());

  it('registers exactly the invoke channels of shared/ipc.ts', () => {
    setup();
    expect([...electronMock.ipcMain.handlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
  });

  it('accepts a valid call from our window and returns the envelope', async () => {
    const { core, fromOurs } = setup();
    const result = await electronMock.ipcMain.invokeFrom(fromOurs(), 'notifications:set-paused', {
      paused: true,
    });
    expect(result).toEqual({ ok: true, response: { paused: true } });
    expect(core.handlers['notifications:set-paused']).toHaveBeenCalledWith({ paused: true });
  });

  it('passes the schema-parsed request (defaults applied) to the handler', async () => {
    const { core, fromOurs } = setup();
    await electronMock.ipcMain.invokeFrom(fromOurs(), 'config:test-connection', {
      host: 'nas',
      port: 3493,
    });
    expect(core.handlers['config:test-connection']).toHaveBeenCalledWith(
      expect.objectContaining({
        host: 'nas',
        port: 3493,
        upsName: '',
        username: '',
        tls: expect.objectContaining({ mode: 'off' }),
      }),
    );
  });

  it('rejects an invalid payload without calling the handler', async () => {
    const { core, fromOurs, logger } = setup();
    const result = await electronMock.ipcMain.invokeFrom(fromOurs(), 'notifications:set-paused', {
      paused: 'yes',
    });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'INVALID-REQUEST', message: expect.stringContaining('paused') },
    });
    expect(core.handlers['notifications:set-paused']).not.toHaveBeenCalled();
    expect(logger.text()).toContain('IPC call rejected');
  });

  it('rejects a foreign webContents, and logs it without the payload', async () => {
    const { core, logger } = setup();
    const foreign = new MockWebContents();
    foreign.mainFrame.url = OUR_URL; // even with our URL: it is not our window
    const result = await electronMock.ipcMain.invokeFrom(
      { sender: foreign, senderFrame: foreign.mainFrame },
      'secrets:set-password',
      {
        masterId: 'nas',
        upsName: 'ups',
        password: 'hunter2',
      },
    );
    expect(result).toEqual(FORBIDDEN_SENDER);
    expect(core.handlers['secrets:set-password']).not.toHaveBeenCalled();
    expect(logger.text()).toContain('IPC call refused');
    expect(logger.text()).toContain('not the dashboard webContents');
    expect(logger.text()).not.toContain('hunter2');
  });

  it('rejects our window when it shows a foreign URL, from a subframe, or without a frame', async () => {
    const { core, win, logger } = setup();
    const evil = await electronMock.ipcMain.invokeFrom(
      { sender: win.webContents, senderFrame: new MockWebFrame('https://evil.example/') },
      'app:get-snapshot',
    );
    // The built index.html as a file:// page (the old origin) is not ours any more, nor another page of our scheme.
    const otherFile = await electronMock.ipcMain.invokeFrom(
      {
        sender: win.webContents,
        senderFrame: new MockWebFrame(`${pathToFileURL(INDEX).href}#/settings`),
      },
      'app:get-snapshot',
    );
    const otherPage = await electronMock.ipcMain.invokeFrom(
      {
        sender: win.webContents,
        senderFrame: new MockWebFrame('nut-sentinel://renderer/assets/evil.html'),
      },
      'app:get-snapshot',
    );
    const subframe = await electronMock.ipcMain.invokeFrom(
      {
        sender: win.webContents,
        senderFrame: new MockWebFrame(OUR_URL, win.webContents.mainFrame),
      },
      'app:get-snapshot',
    );
    const gone = await electronMock.ipcMain.invokeFrom(
      { sender: win.webContents, senderFrame: null },
      'app:get-snapshot',
    );
    for (const result of [evil, otherFile, otherPage, subframe, gone])
      expect(result).toEqual(FORBIDDEN_SENDER);
    expect(core.handlers['app:get-snapshot']).not.toHaveBeenCalled();
    expect(logger.lines.map((l) => l.fields?.reason)).toEqual([
      'untrusted URL',
      'untrusted URL',
      'untrusted URL',
      'not the main frame',
      'sender frame is gone',
    ]);
  });

  it('rejects everything when there is no window', async () => {
    const { dropWindow, fromOurs } = setup();
    dropWindow();
    expect(await electronMock.ipcMain.invokeFrom(fromOurs(), 'app:get-snapshot')).toEqual(
      FORBIDDEN_SENDER,
    );
  });

  it('turns handler failures into explained errors (no stack)', async () => {
    const { core, fromOurs } = setup();
    core.handlers['ups:get-variables'].mockRejectedValueOnce(
      Object.assign(new Error('boom'), {
        code: 'UNKNOWN-UPS',
        explanation: 'No such UPS.',
        fix: 'Check the name.',
      }),
    );
    const result = await electronMock.ipcMain.invokeFrom(fromOurs(), 'ups:get-variables', {
      monitorId: 'nas/ups',
    });
    expect(result).toEqual({
      ok: false,
      error: { code: 'UNKNOWN-UPS', message: 'No such UPS.', fix: 'Check the name.' },
    });
    expect(JSON.stringify(result)).not.toMatch(/at .*\.ts/);
  });

  it('forwards core pushes to our window on whitelisted channels', () => {
    const { core, win } = setup();
    const next = snapshot([ups({ level: 'on-battery' })]);
    core.emit('app:snapshot', next);
    core.emit('app:navigate', '/ups/nas%2Fups');
    expect(win.webContents.send.mock.calls).toEqual([
      ['app:snapshot', next],
      ['app:navigate', '/ups/nas%2Fups'],
    ]);
  });

  it('send() refuses channels outside the whitelist and sanitises routes', () => {
    const { registrar, win, logger } = setup();
    (registrar.send as (channel: string, payload: unknown) => void)('shell:exec', 'rm -rf /');
    registrar.send('app:navigate', 'javascript:alert(1)');
    expect(win.webContents.send.mock.calls).toEqual([['app:navigate', '/']]);
    expect(logger.text()).toContain('outside the whitelist');
  });

  it('drops pushes when the window is gone or destroyed', () => {
    const { core, win, dropWindow } = setup();
    win.destroy();
    core.emit('app:navigate', '/');
    dropWindow();
    core.emit('app:navigate', '/');
    expect(win.webContents.send).not.toHaveBeenCalled();
  });

  it('dispose() removes every handler and push subscription, and can run twice', async () => {
    const { registrar, core, fromOurs } = setup();
    expect(core.listenerCount('app:snapshot')).toBe(1);
    registrar.dispose();
    registrar.dispose();
    expect(electronMock.ipcMain.handlers.size).toBe(0);
    expect(core.listenerCount('app:snapshot')).toBe(0);
    await expect(electronMock.ipcMain.invokeFrom(fromOurs(), 'app:get-snapshot')).rejects.toThrow(
      /No handler/,
    );
    // A second registration works again (Electron refuses duplicate handlers).
    setup();
    expect(electronMock.ipcMain.handlers.size).toBe(INVOKE_CHANNELS.length);
  });
});
