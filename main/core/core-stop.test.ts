/**
 * Stopping the REAL core (createAppCore, with its history file) while a master never answers
 * LOGOUT (main/testing/mute-logout-master.ts on the scripted fault server): without a deadline
 * the stop waits on the reply (here up to the 120 s request timeout); `stop({ deadlineMs })`
 * drops the session in time, records why, and still flushes and closes the history.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { passwordKey } from '../../shared/config';
import { HistoryStore } from '../history/history-store';
import { settlesWithin } from '../monitor/deadline';
import type { FaultServer } from '../testing/fault-server';
import { MemorySecretStore } from '../testing/memory-secret-store';
import { MUTE_MASTER_UPS, startMuteLogoutMaster } from '../testing/mute-logout-master';
import { waitFor } from '../testing/net';
import { createAppCore } from './app-core';
import type { CoreService } from './core-service';

let master: FaultServer;
let dir: string;
const cores: CoreService[] = [];

beforeEach(async () => {
  master = await startMuteLogoutMaster();
  dir = await mkdtemp(path.join(tmpdir(), 'core-stop-'));
});

afterEach(async () => {
  // A stop with a short deadline ends anything still open.
  for (const core of cores.splice(0)) await core.stop({ deadlineMs: 200 });
  await master.close();
  await rm(dir, { recursive: true, force: true });
});

async function monitoringCore(): Promise<CoreService> {
  const configPath = path.join(dir, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      masters: [
        {
          id: 'mute',
          label: 'Mute master',
          host: master.host,
          port: master.port,
          ups: [{ name: MUTE_MASTER_UPS, username: 'monuser' }],
        },
      ],
      // Were the LOGOUT waited for, only this would end it.
      timing: { requestTimeoutSeconds: 120 },
      shutdown: { dryRun: true },
    }),
  );
  const core = await createAppCore({
    configPath,
    dataDir: dir,
    secrets: new MemorySecretStore({ [passwordKey('mute', MUTE_MASTER_UPS)]: 'secret' }),
    notifier: null,
    logger: { log: () => undefined },
  });
  cores.push(core);
  await core.start();
  await waitFor(() => core.snapshot().ups[0]?.loggedIn === true, {
    timeoutMs: 10_000,
    description: 'the LOGIN on the mute master',
  });
  return core;
}

function historyEvents() {
  // Opening the file in this process fails while the core's store still has it open.
  const history = HistoryStore.open(path.join(dir, 'history.sqlite3'), {
    retentionDays: 30,
    maxEvents: 1000,
  });
  try {
    return history.queryEvents({ limit: 100 });
  } finally {
    history.close();
  }
}

describe('core.stop with a master that never answers LOGOUT', () => {
  it('without a deadline the stop waits on the reply', async () => {
    const core = await monitoringCore();
    const stopping = core.stop();
    expect(await settlesWithin(stopping, 1_500)).toBe(false);
    expect(master.received).toContain('LOGOUT');
  });

  it('with a deadline: drops the session in time, says why, and closes the history', async () => {
    const core = await monitoringCore();
    const before = performance.now();
    await core.stop({ deadlineMs: 1_000 });
    // Well inside the 120 s the LOGOUT would have waited (a bound, not a speed target).
    expect(performance.now() - before).toBeLessThan(5_000);
    expect(master.received).toContain('LOGOUT');
    await waitFor(() => master.connections.every((c) => c.closed), {
      timeoutMs: 2_000,
      description: 'the dropped connection',
    });
    const messages = historyEvents().map((e) => `${e.severity} ${e.message}`);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^warning .*did not answer LOGOUT within \d+ ms: closed the connection without it/,
      ),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^warning Monitoring stopped; closed the connections without LOGOUT: ups@127\.0\.0\.1:\d+ did not answer LOGOUT in time\.$/,
      ),
    );
  });
});
