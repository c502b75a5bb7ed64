/**
 * The what-if timeline against a real master-mode FSD test: a real upsd + dummy-ups on the bridge
 * of a private test network, two real upsmon 2.8 secondaries in their own namespaces whose
 * SHUTDOWNCMDs take known times (they sleep, stamping when they start and end), and the real core
 * (createAppCore, history on disk) driven through the API. After a local and a master-mode FSD
 * test, `nut-sentinel what-if` (a separate process on the same history) must place each
 * secondary where its own SHUTDOWNCMD says it went down, and exit 4 → 0 → 3 as the measurements
 * arrive and the master's shutdown time is given — asking the running core through its control
 * socket (a background service holds the history), and on its own once that core has stopped.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsdReportSchema, type FsdReport } from '../../shared/fsd-test';
import type { InvokeChannel, ResponseOf } from '../../shared/ipc';
import { type WhatIfResult, WhatIfResultSchema } from '../../shared/what-if';
import { startControlServer } from '../control/control-server';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import { dispatchInvoke } from '../core/dispatch';
import { EXIT } from '../cli/exit-codes';
import type { Logger } from '../platform/ports';
import { waitFor } from '../testing/net';
import { type TestNetwork, createTestNetwork } from '../testing/netns';
import { RIG_USERS, type Rig, startUpsdRig } from '../testing/upsd-rig';
import { type UpsmonRig, startUpsmon } from '../testing/upsmon-rig';

const quiet: Logger = { log: () => undefined };
const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CLI = path.join(ROOT, 'main/cli/index.ts');
const UPS = 'ups';
const MONITOR = `lab/${UPS}`;
const HOSTSYNC = 10;
/** How long each secondary's SHUTDOWNCMD takes (it logs out when it returns). */
const SHUTDOWN_SECONDS = [1, 3] as const;

function whatIfCli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CLI, 'what-if', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A SHUTDOWNCMD that takes `seconds`, stamping its start and end (epoch ms) in a log. */
async function timedShutdown(dir: string, name: string, seconds: number) {
  const script = path.join(dir, `${name}.sh`);
  const log = path.join(dir, `${name}.log`);
  await fsp.writeFile(
    script,
    `#!/bin/sh\n# Harmless SHUTDOWNCMD: never a real shutdown.\nprintf 'start %s\\n' "$(date +%s%3N)" >> '${log}'\nsleep ${seconds}\nprintf 'end %s\\n' "$(date +%s%3N)" >> '${log}'\n`,
    { mode: 0o755 },
  );
  return {
    script,
    endedAt(): number | null {
      const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
      const match = /^end (\d+)$/m.exec(text);
      return match ? Number(match[1]) : null;
    },
  };
}

describe('what-if against a real master-mode FSD test with two secondaries of known shutdown times', () => {
  let network: TestNetwork;
  let rig: Rig;
  let tmp: string;
  const upsmons: UpsmonRig[] = [];
  let core: CoreService | undefined;

  beforeAll(async () => {
    network = await createTestNetwork({ hosts: 2 });
    rig = await startUpsdRig({ listen: network.hostAddress });
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'nut-what-if-'));
  });

  afterAll(async () => {
    await core?.stop();
    await Promise.all(upsmons.map((upsmon) => upsmon.stop()));
    await rig?.stop();
    await network?.cleanup();
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  });

  async function call<C extends InvokeChannel>(
    channel: C,
    request: unknown,
  ): Promise<ResponseOf<C>> {
    const result = await dispatchInvoke(core!.handlers, channel, request);
    if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
    return result.response as ResponseOf<C>;
  }

  async function fsdTest(request: Record<string, unknown>, confirm?: string): Promise<FsdReport> {
    const preflight = await call('fsd:preflight', { monitorId: MONITOR, ...request });
    const started = await call('fsd:start', {
      preflightId: preflight.id,
      countdownSeconds: 0,
      graceSeconds: 2,
      ...(confirm ? { confirmUpsName: confirm } : {}),
    });
    const view = await waitFor(
      async () => {
        const current = await call('fsd:get-run', { runId: started.runId });
        return current &&
          current.reportId !== null &&
          !['countdown', 'running'].includes(current.state)
          ? current
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, description: 'the FSD test to end' },
    );
    const exported = await call('fsd:get-report', { id: view.reportId, format: 'json' });
    return FsdReportSchema.parse(JSON.parse(exported.content));
  }

  it('places each secondary where its SHUTDOWNCMD ended; exit 4 before the tests, 0 with the margin, 3 when the battery runs out first', async () => {
    const shutdowns = await Promise.all(
      SHUTDOWN_SECONDS.map((seconds, i) => timedShutdown(tmp, `secondary-${i}`, seconds)),
    );
    for (const [i, shutdown] of shutdowns.entries())
      upsmons.push(
        await startUpsmon({
          rig,
          netns: network.hosts[i]!.netns,
          finalDelay: 1,
          extraConfig: [`SHUTDOWNCMD "${shutdown.script}"`],
        }),
      );

    const dir = await fsp.mkdtemp(path.join(tmp, 'core-'));
    const passwordFile = path.join(dir, 'monuser.password');
    await fsp.writeFile(passwordFile, `${RIG_USERS.monuser.password}\n`, { mode: 0o600 });
    const configPath = path.join(dir, 'config.json');
    await fsp.writeFile(
      configPath,
      JSON.stringify({
        masters: [
          {
            id: 'lab',
            label: 'Lab master',
            host: rig.host,
            port: rig.port,
            ups: [
              {
                name: UPS,
                username: RIG_USERS.monuser.name,
                password: { source: 'file', path: passwordFile },
              },
            ],
          },
        ],
        timing: { statusPollSeconds: 0.25, fullPollSeconds: 1, finalDelaySeconds: 1 },
        shutdown: { command: { file: '/bin/true', args: [] }, dryRun: true },
        notifications: { desktop: false },
      }),
    );
    // Never the machine's own service: a socket of this test (nothing listens until it serves).
    const endpoint = path.join(tmp, 'control.sock');
    const cli = (...extra: string[]) =>
      whatIfCli([
        MONITOR,
        '--config',
        configPath,
        '--data-dir',
        dir,
        '--control-socket',
        endpoint,
        '--json',
        ...extra,
      ]);

    // Nothing measured yet: the margin cannot be told, and the answer says what to run.
    const before = await cli();
    expect(before.stderr).toBe('');
    expect(before.code).toBe(EXIT.unknown);
    const unknown = WhatIfResultSchema.parse(JSON.parse(before.stdout));
    expect(unknown.verdict).toBe('unknown');
    expect(unknown.missing.map((m) => m.what)).toEqual([
      "this machine's shutdown duration",
      "the other secondaries' logout times",
      "the master's own shutdown duration",
    ]);
    expect(unknown.missing[1]!.fix).toMatch(/FSD test in master mode/);
    // LB where the UPS's own thresholds put it: the earlier of battery.runtime.low and battery.charge.low.
    const read = async (name: string) => Number(await rig.getVar(UPS, name));
    const [charge, runtime, chargeLow, runtimeLow] = await Promise.all(
      ['battery.charge', 'battery.runtime', 'battery.charge.low', 'battery.runtime.low'].map(read),
    );
    const expectedLow =
      Math.round(
        Math.min(runtime! - runtimeLow!, (runtime! * (charge! - chargeLow!)) / charge!) * 10,
      ) / 10;
    expect(unknown.lowBatteryAt).toBe(expectedLow);

    core = await createAppCore({
      configPath,
      dataDir: dir,
      secrets: null,
      notifier: null,
      logger: quiet,
    });
    await core.start();
    await waitFor(() => core!.snapshot().ups[0]?.loggedIn === true, {
      timeoutMs: 15_000,
      description: 'this machine logged in',
    });
    const local = await fsdTest({ mode: 'local' });
    expect(local.outcome).toBe('completed');
    const master = await fsdTest(
      {
        mode: 'master',
        hostSyncSeconds: HOSTSYNC,
        credential: {
          source: 'entered',
          username: RIG_USERS.monprimary.name,
          password: RIG_USERS.monprimary.password,
        },
      },
      UPS,
    );
    expect(master.outcome).toBe('completed');
    const fsdSetAt = master.fsdSetAt!;

    // While a background service runs, it holds the history: the command asks it.
    const server = await startControlServer({
      core,
      endpoint,
      logger: quiet,
      version: 'test',
      group: null,
      handoverMs: 0,
    });
    server.setRunning();
    const viaService = await cli('--master-shutdown', '30');
    // The service's config is what counts: no config file of our own is needed.
    const absentConfig = path.join(tmp, 'nowhere', 'config.json');
    const withoutConfig = (...extra: string[]) =>
      whatIfCli([
        MONITOR,
        '--config',
        absentConfig,
        '--control-socket',
        endpoint,
        '--json',
        ...extra,
      ]);
    const serviceOnly = await withoutConfig('--master-shutdown', '30');
    expect(serviceOnly.stderr).toContain(`Asked the background service (${endpoint})`);
    expect(serviceOnly.code).toBe(EXIT.ok);
    // An unknown UPS is looked for in the service's monitoring, and said so.
    const unknownUps = await whatIfCli([
      'lab/nope',
      '--config',
      absentConfig,
      '--control-socket',
      endpoint,
    ]);
    expect(unknownUps.code).toBe(EXIT.usage);
    expect(unknownUps.stderr).toContain(
      `No monitored UPS lab/nope by the background service (have: ${MONITOR}).`,
    );
    await server.close();
    // Neither a service nor a config: said so, and nothing is created where the config would be.
    const neither = await withoutConfig();
    expect(neither.code).toBe(EXIT.usage);
    expect(neither.stderr).toContain(
      `No config file at ${absentConfig} (and no background service to ask).`,
    );
    expect(fs.existsSync(path.dirname(absentConfig))).toBe(false);
    await core.stop();
    core = undefined;
    expect(viaService.stderr).toContain(`Asked the background service (${endpoint})`);
    expect(viaService.code).toBe(EXIT.ok);
    const fromService = WhatIfResultSchema.parse(JSON.parse(viaService.stdout));
    expect(fromService.missing).toEqual([]);

    // Clear the FSD latch (upsd keeps FSD until restarted), as after a real test.
    await rig.restart();

    // No service: its own core on the same config and history gives the same timeline.
    const measured = await cli('--master-shutdown', '30');
    expect(measured.stderr).toBe('');
    expect(measured.code).toBe(EXIT.ok);
    const result: WhatIfResult = WhatIfResultSchema.parse(JSON.parse(measured.stdout));
    expect(result.steps.filter((s) => s.id === 'secondary-logout')).toEqual(
      fromService.steps.filter((s) => s.id === 'secondary-logout'),
    );
    expect(result.missing).toEqual([]);
    expect(result.verdict).toBe('ok');
    const fsdAt = result.fsdAt!;
    expect(fsdAt).toBeCloseTo(expectedLow + 5, 5);
    const logouts = result.steps.filter((s) => s.id === 'secondary-logout');
    expect(logouts).toHaveLength(2);
    const offsets: number[] = [];
    for (const [i, shutdown] of shutdowns.entries()) {
      const address = network.hosts[i]!.address;
      const step = logouts.find((s) => s.label.startsWith(address))!;
      expect(step.basis).toBe('measured');
      // Independent of our report: the secondary's own SHUTDOWNCMD end, relative to FSD set.
      const endedAfter = (shutdown.endedAt()! - fsdSetAt) / 1000;
      const offset = step.atSeconds! - fsdAt;
      offsets.push(offset);
      expect(offset).toBeGreaterThanOrEqual(endedAfter - 0.1);
      expect(offset).toBeLessThanOrEqual(endedAfter + 1.5);
      // FINALDELAY 1 s + the known shutdown time, seen at upsmon's next 1 s poll.
      expect(offset).toBeGreaterThanOrEqual(1 + SHUTDOWN_SECONDS[i]!);
      expect(offset).toBeLessThanOrEqual(1 + SHUTDOWN_SECONDS[i]! + 1 + 1.5);
    }
    // t2: the slower secondary (well within HOSTSYNC); t3: the master's FINALDELAY and shutdown.
    expect(offsets[1]!).toBeGreaterThan(offsets[0]!);
    expect(result.secondariesDownAt).toBeCloseTo(fsdAt + Math.max(...offsets), 0);
    expect(result.masterDownAt).toBeCloseTo(result.secondariesDownAt! + 5 + 30, 5);
    const thisMachine = result.steps.find((s) => s.id === 'this-machine-down')!;
    expect(thisMachine.basis).toBe('measured');
    expect(result.warnings).toContain(
      "This machine's shutdown was measured in a dry run: the operating system's own shutdown is not included.",
    );
    expect(result.emptyAt).toBe(runtime);
    expect(result.marginSeconds).toBeCloseTo(runtime! - result.masterDownAt!, 5);

    // A master that takes an hour to go down does not fit: a "no", exit 3.
    const tooSlow = await cli('--master-shutdown', '3600');
    expect(tooSlow.code).toBe(EXIT.negative);
    const negative = WhatIfResultSchema.parse(JSON.parse(tooSlow.stdout));
    expect(negative.verdict).toBe('negative');
    expect(negative.marginSeconds!).toBeLessThan(0);
    expect(negative.warnings[0]).toMatch(/^The margin is negative/);

    // The text form shows the same timeline.
    const text = await whatIfCli([
      MONITOR,
      '--config',
      configPath,
      '--data-dir',
      dir,
      '--control-socket',
      endpoint,
      '--master-shutdown',
      '30',
    ]);
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toContain(`What if the power failed now — ${MONITOR}`);
    expect(text.stdout).toMatch(/OK: Everything is down .* before the battery runs out\./);
  }, 180_000);
});
