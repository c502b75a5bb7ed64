/**
 * The CI check of the packaged app reads main.log: these tests prove the shell really writes the
 * lines it looks for (the real shell under the electron mock, first run, SIGTERM), and that the
 * check fails when any of them is missing or out of order.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { fakeCore } from '../electron/testing/fixtures';
import { startShell } from '../electron/shell';
import { electronMock, resetElectronMock } from '../testing/electron-mock';
import { checkPackagedLog, isStarted, LOGGED_TEARDOWN_STEPS, parseLog } from './check-packaged-app';

let tmp: string;
beforeEach(async () => {
  resetElectronMock();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nut-packaged-check-'));
  electronMock.setPath('userData', path.join(tmp, 'userData'));
  electronMock.setPath('appPath', path.join(tmp, 'app'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** What the packaged app logs for a first run that is quit with SIGTERM (the shell under the mock). */
async function firstRunThenSigterm(): Promise<string> {
  const signals = new EventEmitter();
  const handle = startShell({
    createCore: () => Promise.resolve(fakeCore()),
    mainDir: path.join(tmp, 'app', 'out', 'main'),
    platform: 'linux',
    env: {},
    argv: ['nut-sentinel'],
    logToConsole: false,
    signals,
  });
  electronMock.setReady();
  await handle.started;
  electronMock.windows[0]!.webContents.finishLoad();
  signals.emit('SIGTERM');
  await handle.teardown.run();
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(electronMock.appState.quitted).toBe(true);
  return readFile(path.join(tmp, 'userData', 'logs', 'main.log'), 'utf8');
}

describe('check-packaged-app', () => {
  it('the shell’s own log of start → SIGTERM passes the check', async () => {
    const log = await firstRunThenSigterm();
    expect(isStarted(parseLog(log).lines)).toBe(true);
    expect(checkPackagedLog(log)).toEqual([]);
  });

  it('fails when the dashboard never loaded, the tray is missing, a step is missing or the log was not flushed last', async () => {
    const log = await firstRunThenSigterm();
    const lines = log.trimEnd().split('\n');
    const without = (predicate: (line: string) => boolean) =>
      `${lines.filter((line) => !predicate(line)).join('\n')}\n`;
    expect(checkPackagedLog(without((l) => l.includes('"msg":"dashboard loaded"')))).toEqual([
      expect.stringContaining('never finished loading'),
    ]);
    expect(checkPackagedLog(without((l) => l.includes('"msg":"tray created"')))).toEqual([
      expect.stringContaining('tray was never created'),
    ]);
    expect(checkPackagedLog(without((l) => l.includes('"step":"destroy-tray"')))).toEqual([
      expect.stringContaining('teardown steps ran as'),
    ]);
    expect(checkPackagedLog(without((l) => l.includes('"msg":"stopped"')))).toEqual([
      expect.stringContaining('not "stopped"'),
    ]);
    expect(
      checkPackagedLog(
        log.replaceAll('nut-sentinel://renderer/index.html', 'file:///opt/app/index.html'),
      ),
    ).toEqual([expect.stringContaining('not nut-sentinel://renderer/index.html')]);
    expect(checkPackagedLog(`${log}not json\n`)).toContain(
      'main.log line ' + String(lines.length + 1) + ' is not a JSON log line: not json',
    );
    expect(checkPackagedLog('')).toHaveLength(5);
    expect(LOGGED_TEARDOWN_STEPS[0]).toBe('mark-quitting');
  });
});
