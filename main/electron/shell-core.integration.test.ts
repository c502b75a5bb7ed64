/**
 * The shell with the REAL core (main/core/app-core.ts) behind the central electron mock: the
 * factory accepts the shell's deps, the dashboard's IPC reaches the real handlers, the tray
 * follows the real snapshot, and Quit stops the real core before the tray goes.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { createAppCore } from '../core/app-core';
import { electronMock, resetElectronMock } from '../testing/electron-mock';
import { type ShellHandle, startShell } from './shell';

let tmp: string;
let userData: string;
let handle: ShellHandle | null = null;

beforeEach(async () => {
  resetElectronMock();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nut-shell-core-'));
  userData = path.join(tmp, 'userData');
  electronMock.setPath('userData', userData);
  electronMock.setPath('appPath', path.join(tmp, 'app'));
});

afterEach(async () => {
  if (handle && !handle.teardown.started) await handle.teardown.run();
  handle = null;
  await rm(tmp, { recursive: true, force: true });
});

async function startWithRealCore() {
  const createCore = vi.fn(createAppCore);
  handle = startShell({
    createCore,
    mainDir: path.join(tmp, 'app', 'out', 'main'),
    platform: 'linux',
    env: {},
    argv: ['electron', '.'],
    logToConsole: false,
  });
  electronMock.setReady();
  await handle.started;
  return { handle, createCore };
}

describe('shell + real app core', () => {
  it('starts unconfigured, serves IPC from the dashboard, and quits cleanly', async () => {
    const { handle } = await startWithRealCore();
    expect(handle.phase).toBe('running');
    expect(electronMock.trays[0]!.image.path).toMatch(/not-configured\.png$/);
    const win = electronMock.windows[0]!; // first run: Settings opened
    win.webContents.finishLoad();
    const event = { sender: win.webContents, senderFrame: win.webContents.mainFrame };

    const snapshot = (await electronMock.ipcMain.invokeFrom(event, 'app:get-snapshot')) as {
      ok: boolean;
      response: { ups: unknown[]; tray: { level: string } };
    };
    expect(snapshot).toMatchObject({
      ok: true,
      response: { ups: [], tray: { level: 'not-configured' } },
    });

    const config = (await electronMock.ipcMain.invokeFrom(event, 'config:get')) as {
      ok: boolean;
      response: { path: string };
    };
    expect(config).toMatchObject({
      ok: true,
      response: { path: path.join(userData, 'config.json') },
    });

    const paused = await electronMock.ipcMain.invokeFrom(event, 'notifications:set-paused', {
      paused: true,
    });
    expect(paused).toEqual({ ok: true, response: { paused: true } });

    electronMock.trays[0]!.contextMenu!.click('quit');
    await handle.teardown.run();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(electronMock.appState.quitted).toBe(true);
    expect(handle.phase).toBe('stopped');
    expect(await readFile(path.join(userData, 'logs', 'main.log'), 'utf8')).toMatch(
      /"msg":"stopped"/,
    );
  });

  it('a broken config file is shown in the tray and opens Settings', async () => {
    await mkdir(userData, { recursive: true });
    await writeFile(path.join(userData, 'config.json'), '{ "masters": [ }');
    await startWithRealCore();
    const menu = electronMock.trays[0]!.contextMenu!;
    expect(menu.items[0]!.label).toMatch(/^Configuration not loaded: /);
    expect(electronMock.windows[0]!.loadURL).toHaveBeenCalledWith(
      expect.stringMatching(/#\/settings$/),
    );
  });

  it('a shutdown command that does not exist here is shown in the tray', async () => {
    await mkdir(userData, { recursive: true });
    const missing = path.join(tmp, 'no-such-shutdown');
    await writeFile(
      path.join(userData, 'config.json'),
      JSON.stringify({ shutdown: { command: { file: missing, args: [] } } }),
    );
    await startWithRealCore();
    // The message, shortened for a menu.
    await vi.waitFor(() =>
      expect(electronMock.trays[0]!.contextMenu!.items[0]!.label).toMatch(
        `The shutdown command cannot run on this machine: ${missing} does not exist on this machine`,
      ),
    );
    expect(electronMock.trays[0]!.toolTip).toContain(
      'The shutdown command cannot run on this machine',
    );
  });
});
