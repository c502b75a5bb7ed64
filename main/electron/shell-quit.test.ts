/**
 * Quitting the desktop app never hangs on a master that never answers LOGOUT: the shell (under
 * the central electron mock) runs the REAL core against the scripted mute master
 * (main/testing/mute-logout-master.ts), the request timeout is 120 s, and Quit from the tray
 * still completes its stop-core step within the core's deadline, and the history file is
 * flushed and closed (this process can open it again and read the stop event).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { createAppCore } from '../core/app-core';
import { HistoryStore } from '../history/history-store';
import { electronMock, resetElectronMock } from '../testing/electron-mock';
import type { FaultServer } from '../testing/fault-server';
import { MUTE_MASTER_UPS, startMuteLogoutMaster } from '../testing/mute-logout-master';
import { waitFor } from '../testing/net';
import { CORE_STOP_DEADLINE_MS, type ShellHandle, startShell } from './shell';

const PASSWORD_ENV = 'NUT_SENTINEL_TEST_MUTE_PASSWORD';
let tmp: string;
let userData: string;
let master: FaultServer;
let handle: ShellHandle | null = null;

beforeEach(async () => {
  resetElectronMock();
  master = await startMuteLogoutMaster();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nut-shell-quit-'));
  userData = path.join(tmp, 'userData');
  electronMock.setPath('userData', userData);
  electronMock.setPath('appPath', path.join(tmp, 'app'));
  process.env[PASSWORD_ENV] = 'secret';
});

afterEach(async () => {
  if (handle && !handle.teardown.started) await handle.teardown.run();
  handle = null;
  delete process.env[PASSWORD_ENV];
  await master.close();
  await rm(tmp, { recursive: true, force: true });
});

async function startOnMuteMaster(): Promise<ShellHandle> {
  await mkdir(userData, { recursive: true });
  await writeFile(
    path.join(userData, 'config.json'),
    JSON.stringify({
      masters: [
        {
          id: 'mute',
          label: 'Mute master',
          host: master.host,
          port: master.port,
          ups: [
            {
              name: MUTE_MASTER_UPS,
              username: 'monuser',
              password: { source: 'env', name: PASSWORD_ENV },
            },
          ],
        },
      ],
      timing: { requestTimeoutSeconds: 120 },
      shutdown: { dryRun: true },
    }),
  );
  const shell = startShell({
    createCore: createAppCore,
    mainDir: path.join(tmp, 'app', 'out', 'main'),
    platform: 'linux',
    env: {},
    argv: ['electron', '.', '--hidden'],
    logToConsole: false,
    // No background service here: the app runs its own core.
    controlEndpoint: path.join(tmp, 'no-service', 'control.sock'),
    serviceAgent: null,
  });
  electronMock.setReady();
  handle = shell;
  await shell.started;
  expect(shell.phase).toBe('running');
  await waitFor(() => master.received.some((line) => line.startsWith('LOGIN ')), {
    timeoutMs: 10_000,
    description: 'the LOGIN on the mute master',
  });

  return shell;
}

/** The history file can be opened again (the core closed it) and records the dropped session. */
function expectHistoryClosedWithDrop(): void {
  const history = HistoryStore.open(path.join(userData, 'history.sqlite3'), {
    retentionDays: 30,
    maxEvents: 1000,
  });
  try {
    const messages = history.queryEvents({ limit: 50 }).map((e) => e.message);
    expect(messages).toContainEqual(expect.stringMatching(/did not answer LOGOUT within/));
    expect(messages).toContainEqual(
      expect.stringMatching(/^Monitoring stopped.* did not answer LOGOUT in time\.$/),
    );
  } finally {
    history.close();
  }
}

describe('quit with a master that never answers LOGOUT', () => {
  it('the stop-core step finishes within the deadline and the history is closed', async () => {
    const shell = await startOnMuteMaster();
    electronMock.trays[0]!.contextMenu!.click('quit');
    const reports = await shell.teardown.run();
    const stopCore = reports.find((r) => r.name === 'stop-core')!;
    // Finished by the core's own deadline, not abandoned by the step's 15 s budget.
    expect(stopCore.outcome).toBe('ok');
    expect(stopCore.ms).toBeLessThan(CORE_STOP_DEADLINE_MS + 2_000);
    expect(master.received).toContain('LOGOUT');
    expect(shell.phase).toBe('stopped');

    expectHistoryClosedWithDrop();
  }, 30_000);

  it('the session ending during a normal quit cuts the wait to the urgent deadline', async () => {
    const shell = await startOnMuteMaster();
    electronMock.trays[0]!.contextMenu!.click('quit');
    const running = shell.teardown.run();
    await waitFor(() => master.received.includes('LOGOUT'), { timeoutMs: 5_000 });
    const hurriedAt = performance.now();
    shell.teardown.hurry();
    const reports = await running;
    const stopCore = reports.find((r) => r.name === 'stop-core')!;
    // Not abandoned by the step's 3 s urgent budget: the core gave up first and closed the history.
    expect(stopCore.outcome).toBe('ok');
    expect(performance.now() - hurriedAt).toBeLessThan(CORE_STOP_DEADLINE_MS);
    expectHistoryClosedWithDrop();
  }, 30_000);
});
