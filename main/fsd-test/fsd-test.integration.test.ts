/**
 * The guarded FSD test against real parts: a real upsd + dummy-ups (upsd-rig.ts) listening on the
 * bridge of a private test network (netns.ts), several real upsmon 2.8.0 secondaries each in its
 * own network namespace (so each has its own address in LIST CLIENT) and mount namespace (its own
 * /run/nut/upsmon.pid), with harmless SHUTDOWNCMDs that only append timestamps; the real app core
 * (createAppCore) with this machine's own monitoring session, driven through the API exactly as
 * the transports do (dispatchInvoke: schema validation + ApiRequestError mapping).
 *
 * What is compared with what the server saw:
 * - disconnect times in the report vs the secondaries' own SHUTDOWNCMD timestamps and vs an
 *   independent LIST CLIENT sampler on a raw connection (main/testing/net.ts, not our client);
 * - "no FSD" vs ups.status read from the server afterwards, and (local mode, abort) vs every
 *   request line the core sent, recorded by a TCP proxy in front of upsd.
 * The rig is restarted after every test that set FSD (the latch).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FsdReport, FsdReportSchema, type FsdRunView } from '../../shared/fsd-test';
import type { StoredEvent } from '../../shared/history';
import type { InvokeChannel, ResponseOf } from '../../shared/ipc';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import { dispatchInvoke } from '../core/dispatch';
import type { Logger, SecretStore } from '../platform/ports';
import { RawNutConnection, sleep, tokenize, waitFor } from '../testing/net';
import { type RecordingProxy, startRecordingProxy } from '../testing/recording-proxy';
import { type TestNetwork, createTestNetwork } from '../testing/netns';
import { RIG_USERS, type Rig, startUpsdRig } from '../testing/upsd-rig';
import { type UpsmonRig, startUpsmon } from '../testing/upsmon-rig';

const quiet: Logger = { log: () => undefined };
const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CLI = path.join(ROOT, 'main/cli/index.ts');

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `nut-sentinel …` as users run it (a separate Node process); `onOutput` sees stdout as it comes. */
function nutSentinel(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    onOutput?: (stdout: string, child: ReturnType<typeof spawn>) => void;
    timeoutMs?: number;
    /** Run as another local user: nobody, with no groups. */
    asNobody?: boolean;
  } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const argv = [TSX, CLI, ...args];
    const [command, ...rest] = options.asNobody
      ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv]
      : argv;
    const child = spawn(command!, rest, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nut-sentinel ${args.join(' ')} did not end in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      options.onOutput?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
const UPS = 'ups';
/** `fsd-test` arguments for a local-mode test of the rig's UPS without a countdown. */
const LOCAL_TEST_NOW = ['--ups', `lab/${UPS}`, '--mode', 'local', '--countdown', '0'];

function memorySecrets(): SecretStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    get: (key) => Promise.resolve(values.get(key)),
    set: (key, value) => {
      values.set(key, value);
      return Promise.resolve();
    },
    delete: (key) => {
      values.delete(key);
      return Promise.resolve();
    },
  };
}

/** Every request line a client sends to upsd through it, with the connection number. */
/** The script of a secondary whose SHUTDOWNCMD hangs: timestamps before and after a long sleep. */
async function hangingShutdown(
  dir: string,
  seconds: number,
): Promise<{ script: string; log: string; times(): { start: number | null; end: number | null } }> {
  const script = path.join(dir, 'hang-shutdown.sh');
  const log = path.join(dir, 'hang-shutdown.log');
  await fsp.writeFile(
    script,
    `#!/bin/sh\n# Harmless SHUTDOWNCMD that hangs: never a real shutdown.\nprintf 'start %s\\n' "$(date +%s%N)" >> '${log}'\nsleep ${seconds}\nprintf 'end %s\\n' "$(date +%s%N)" >> '${log}'\n`,
    { mode: 0o755 },
  );
  const stamp = (text: string, word: string): number | null => {
    const match = new RegExp(`^${word} (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]!.slice(0, -6)) + Number(match[1]!.slice(-6)) / 1e6 : null;
  };
  return {
    script,
    log,
    times: () => {
      const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
      return { start: stamp(text, 'start'), end: stamp(text, 'end') };
    },
  };
}

interface Harness {
  core: CoreService;
  dir: string;
  /** This machine's shutdown command (a harmless script) appends here. */
  commandLog: string;
  /** This machine's SHUTDOWN hook appends here. */
  hookLog: string;
  events: StoredEvent[];
  progress: FsdRunView[];
}

describe('guarded FSD test against a real upsd, real upsmon secondaries in their own network namespaces', () => {
  let network: TestNetwork;
  let rig: Rig;
  let tmp: string;
  const upsmons: UpsmonRig[] = [];
  const cores: CoreService[] = [];
  const proxies: RecordingProxy[] = [];
  let latched = false;

  beforeAll(async () => {
    network = await createTestNetwork({ hosts: 4 });
    rig = await startUpsdRig({
      listen: network.hostAddress,
      extraUsers: [{ name: 'fsdonly', password: 'fsdpass', actions: ['FSD'] }],
    });
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'nut-fsd-test-'));
  });

  afterEach(async () => {
    await Promise.all(cores.splice(0).map((core) => core.stop()));
    for (const upsmon of upsmons) {
      try {
        process.kill(upsmon.pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await Promise.all(upsmons.splice(0).map((upsmon) => upsmon.stop()));
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    if (latched) await rig.restart();
    latched = false;
  });

  afterAll(async () => {
    await rig?.stop();
    await network?.cleanup();
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  });

  async function secondary(
    index: number,
    options: { extraConfig?: string[] } = {},
  ): Promise<UpsmonRig> {
    const upsmon = await startUpsmon({
      rig,
      netns: network.hosts[index]!.netns,
      finalDelay: 1,
      ...(options.extraConfig ? { extraConfig: options.extraConfig } : {}),
    });
    upsmons.push(upsmon);
    return upsmon;
  }

  /** A config file for this machine (as the app or the agent would have it), with harmless hooks and shutdown command. */
  async function writeConfig(
    options: { dryRun?: boolean; host?: string; port?: number; expectedClients?: string[] } = {},
  ) {
    const dir = await fsp.mkdtemp(path.join(tmp, 'core-'));
    const passwordFile = path.join(dir, 'monuser.password');
    await fsp.writeFile(passwordFile, `${RIG_USERS.monuser.password}\n`, { mode: 0o600 });
    const commandLog = path.join(dir, 'shutdown-command.log');
    const hookLog = path.join(dir, 'hook.log');
    const hook = path.join(dir, 'shutdown-hook.sh');
    await fsp.writeFile(
      hook,
      `#!/bin/sh\nprintf '%s %s\\n' "$(date +%s%N)" "$NOTIFYTYPE" >> '${hookLog}'\necho "hook says hello to $NOTIFYTYPE"\necho "hook warning" >&2\nsleep 0.3\n`,
      { mode: 0o755 },
    );
    const config = {
      masters: [
        {
          id: 'lab',
          label: 'Lab master',
          host: options.host ?? rig.host,
          port: options.port ?? rig.port,
          ups: [
            {
              name: UPS,
              username: RIG_USERS.monuser.name,
              password: { source: 'file', path: passwordFile },
              expectedClients: options.expectedClients ?? [],
            },
          ],
        },
      ],
      timing: {
        statusPollSeconds: 0.25,
        fullPollSeconds: 1,
        finalDelaySeconds: 1,
        connectTimeoutSeconds: 3,
        requestTimeoutSeconds: 4,
      },
      shutdown: {
        command: {
          file: '/bin/sh',
          args: ['-c', `printf '%s\\n' "$(date +%s%N)" >> '${commandLog}'`],
        },
        dryRun: options.dryRun ?? true,
      },
      hooks: { eventHooks: [{ events: ['SHUTDOWN'], command: { file: hook } }] },
      notifications: { desktop: false },
    };
    const configPath = path.join(dir, 'config.json');
    await fsp.writeFile(configPath, JSON.stringify(config, null, 2));
    return { dir, configPath, commandLog, hookLog };
  }

  async function harness(
    options: {
      dryRun?: boolean;
      host?: string;
      port?: number;
      expectedClients?: string[];
      secrets?: SecretStore;
    } = {},
  ): Promise<Harness> {
    const { dir, configPath, commandLog, hookLog } = await writeConfig(options);
    const core = await createAppCore({
      configPath,
      dataDir: dir,
      secrets: options.secrets ?? null,
      notifier: null,
      logger: quiet,
      historyInMemory: true,
    });
    cores.push(core);
    const events: StoredEvent[] = [];
    const progress: FsdRunView[] = [];
    core.onPush('events:appended', (event) => events.push(event));
    core.onPush('fsd:progress', (view) => progress.push(view));
    await core.start();
    await waitFor(
      () =>
        core.snapshot().ups[0]?.loggedIn === true && core.snapshot().ups[0]?.clients.at !== null,
      { timeoutMs: 15_000, description: 'this machine logged in' },
    );
    return { core, dir, commandLog, hookLog, events, progress };
  }

  async function call<C extends InvokeChannel>(
    core: CoreService,
    channel: C,
    request: unknown,
  ): Promise<ResponseOf<C>> {
    const result = await dispatchInvoke(core.handlers, channel, request);
    if (!result.ok)
      throw Object.assign(new Error(`${channel}: ${result.error.code}: ${result.error.message}`), {
        apiError: result.error,
      });
    return result.response as ResponseOf<C>;
  }

  async function refused(
    core: CoreService,
    channel: InvokeChannel,
    request: unknown,
  ): Promise<{ code: string; message: string; fix?: string }> {
    const result = await dispatchInvoke(core.handlers, channel, request);
    if (result.ok) throw new Error(`${channel} was expected to be refused`);
    return result.error;
  }

  async function finished(
    core: CoreService,
    runId: string,
    timeoutMs: number,
  ): Promise<{ view: FsdRunView; report: FsdReport }> {
    const view = await waitFor(
      async () => {
        const current = await call(core, 'fsd:get-run', { runId });
        return current &&
          current.reportId !== null &&
          !['countdown', 'running'].includes(current.state)
          ? current
          : undefined;
      },
      { timeoutMs, intervalMs: 100, description: `FSD test run ${runId} to end` },
    );
    const exported = await call(core, 'fsd:get-report', { id: view.reportId, format: 'json' });
    return { view, report: FsdReportSchema.parse(JSON.parse(exported.content)) };
  }

  async function statusOnServer(): Promise<string> {
    const probe = await rig.probe(UPS);
    if (probe.status === undefined) throw new Error(`no status: ${probe.error}`);
    return probe.status;
  }

  it('master mode: reports when each secondary logged out, as the server saw it; a hanging SHUTDOWNCMD is late, a stopped upsmon never leaves; the latch follow-up notices the restart', async () => {
    const hostSyncSeconds = 6;
    const hang = await hangingShutdown(tmp, 8);
    const [s1, s2] = [await secondary(0), await secondary(1)];
    await secondary(2, { extraConfig: [`SHUTDOWNCMD "${hang.script}"`] });
    const s4 = await secondary(3);
    const [a1, a2, a3, a4] = network.hosts.map((host) => host.address);
    const h = await harness({
      dryRun: true,
      expectedClients: [a1!, a2!, a3!, a4!, '198.19.255.254'],
    });
    expect(await rig.numLogins(UPS)).toBe(5);

    const preflight = await call(h.core, 'fsd:preflight', {
      monitorId: `lab/${UPS}`,
      mode: 'master',
      credential: {
        source: 'entered',
        username: RIG_USERS.monprimary.name,
        password: RIG_USERS.monprimary.password,
      },
      hostSyncSeconds,
    });
    expect(preflight.master.version).toMatch(/upsd 2\.8\.0/);
    expect(preflight.ups.status).toBe('OL');
    expect(preflight.credential.verdict).toBe('primary-granted');
    expect(preflight.clients.list?.map((c) => c.address).sort()).toEqual(
      [a1, a2, a3, a4, network.hostAddress].sort(),
    );
    expect(preflight.clients.list?.find((c) => c.isThisMachine)?.address).toBe(network.hostAddress);
    expect(preflight.clients.otherSecondaries).toBe(4);
    expect(preflight.clients.missingExpected).toEqual(['198.19.255.254']);
    expect(preflight.blockers).toBe(0);
    const checks = new Map(preflight.checks.map((c) => [c.id, c]));
    expect(checks.get('fsd-right')?.status).toBe('ok');
    expect(checks.get('this-machine-shutdown')?.status).toBe('ok');
    expect(checks.get('master-shuts-down')?.status).toBe('warning');
    expect(checks.get('expected-missing')?.detail).toContain('198.19.255.254');
    expect(preflight.timeBudget).toMatchObject({
      hostSyncSeconds,
      hostSyncSource: 'request',
      finalDelaySeconds: 1,
      batteryRuntimeSeconds: 3007,
    });
    expect(preflight.thisMachine.hooks).toHaveLength(1);
    // The preflight never sets FSD.
    expect(await statusOnServer()).toBe('OL');

    // The guard: no typed confirmation (or a wrong one) → refused, nothing sent.
    expect(
      (await refused(h.core, 'fsd:start', { preflightId: preflight.id, countdownSeconds: 0 })).code,
    ).toBe('FSD-CONFIRMATION-REQUIRED');
    expect(
      (
        await refused(h.core, 'fsd:start', {
          preflightId: preflight.id,
          confirmUpsName: 'UPS',
          countdownSeconds: 0,
        })
      ).code,
    ).toBe('FSD-CONFIRMATION-REQUIRED');
    expect(await statusOnServer()).toBe('OL');

    // s4 stops answering (its connection stays open): it cannot react to the FSD.
    process.kill(s4.pid, 'SIGSTOP');

    // An independent observer of the server: LIST CLIENT every 50 ms on a raw connection.
    const observer = await RawNutConnection.connect(rig.host, rig.port);
    const seen: { at: number; addresses: string[] }[] = [];
    let observing = true;
    const observation = (async () => {
      while (observing) {
        const at = Date.now();
        const lines = await observer.list(`LIST CLIENT ${UPS}`);
        seen.push({ at, addresses: lines.map((line) => tokenize(line)[2] ?? '') });
        await sleep(50);
      }
    })();
    const goneAt = (address: string, after: number): number | null =>
      seen.find((s) => s.at >= after && !s.addresses.includes(address))?.at ?? null;

    latched = true;
    const started = await call(h.core, 'fsd:start', {
      preflightId: preflight.id,
      confirmUpsName: UPS,
      countdownSeconds: 1,
      graceSeconds: 8,
    });
    expect(started.state).toBe('countdown');
    const { view, report } = await finished(h.core, started.runId, 60_000);
    observing = false;
    await observation;
    await observer.close();

    expect(view.state).toBe('finished');
    expect(report.outcome).toBe('completed');
    expect(report.fsdSetAt).not.toBeNull();
    const fsdSetAt = report.fsdSetAt!;
    expect(await statusOnServer()).toBe('FSD OL');
    expect(rig.logs()).toMatch(/set FSD on UPS \[ups\]/); // what the absence checks below rely on

    const row = (address: string, own = false) =>
      report.secondaries.find((s) => s.address === address && s.isThisMachine === own)!;
    expect(report.secondaries).toHaveLength(5);
    // s1, s2: upsmon ran SHUTDOWNCMD (timestamp), exited, and upsd dropped the client.
    for (const [upsmon, address] of [
      [s1, a1],
      [s2, a2],
    ] as const) {
      const shutdownAt = upsmon.shutdownCalls()[0]!;
      const result = row(address!);
      expect(result.verdict).toBe('in-time');
      expect(result.leftAt).not.toBeNull();
      expect(result.leftAt!).toBeGreaterThanOrEqual(shutdownAt - 50);
      expect(result.leftAt!).toBeLessThanOrEqual(shutdownAt + 1500);
      expect(Math.abs(result.leftAt! - goneAt(address!, fsdSetAt)!)).toBeLessThanOrEqual(700);
      expect(result.leftAtMs).toBe(Math.round(result.leftAt! - fsdSetAt));
    }
    // s3: its SHUTDOWNCMD hung for 8 s; it logged out only when it returned, after HOSTSYNC.
    const { end } = hang.times();
    const late = row(a3!);
    expect(late.verdict).toBe('late');
    expect(late.leftAtMs!).toBeGreaterThan(hostSyncSeconds * 1000);
    expect(late.leftAt!).toBeGreaterThanOrEqual(end! - 50);
    expect(late.leftAt!).toBeLessThanOrEqual(end! + 1500);
    expect(Math.abs(late.leftAt! - goneAt(a3!, fsdSetAt)!)).toBeLessThanOrEqual(700);
    // s4: stopped, still logged in on the server at the end.
    expect(row(a4!)).toMatchObject({ verdict: 'never', leftAt: null });
    expect(await rig.listClients(UPS)).toContain(a4);
    expect(goneAt(a4!, fsdSetAt)).toBeNull();
    // This machine ran its dry-run sequence on the FSD and logged out within HOSTSYNC.
    const own = row(network.hostAddress, true);
    expect(own.verdict).toBe('in-time');
    expect(fs.existsSync(h.commandLog)).toBe(false); // dry run: the command itself never ran
    expect(fs.readFileSync(h.hookLog, 'utf8')).toMatch(/ SHUTDOWN$/m); // the hooks did
    expect(
      report.timeline.some(
        (e) => e.kind === 'this-machine' && /Dry run: would run/.test(e.message),
      ),
    ).toBe(true);
    expect(
      report.timeline.filter((e) => e.kind === 'this-machine').map((e) => e.data?.type),
    ).toEqual(
      expect.arrayContaining([
        'FSD',
        'SHUTDOWN',
        'SHUTDOWN_BEGINS',
        'SHUTDOWN_COMMAND',
        'HOOK_RUN',
      ]),
    );

    // A rehearsal logs in again by itself: at the end the master counts the stopped upsmon and this machine.
    expect(
      report.timeline.some(
        (e) => e.kind === 'client-joined' && e.data?.address === network.hostAddress,
      ),
    ).toBe(true);
    expect(report.numLogins).toEqual({ before: 5, after: 2 });
    const kinds = report.timeline.map((e) => e.kind);
    expect(kinds).toContain('fsd-set');
    expect(kinds).toContain('fsd-visible');
    expect(kinds.filter((k) => k === 'client-left')).toHaveLength(4);
    expect(kinds.filter((k) => k === 'numlogins').length).toBeGreaterThanOrEqual(2);
    expect(report.timeline.some((e) => e.kind === 'note' && e.message.startsWith('HOSTSYNC'))).toBe(
      true,
    );
    expect(report.summary.join(' ')).toMatch(
      /2 of 4 secondaries did not log out within HOSTSYNC 6 s/,
    );
    expect(report.summary.join(' ')).toContain(`${a3} left late`);
    expect(report.summary.join(' ')).toContain(`${a4} was still logged in at the end`);
    // The run ended at the deadline (HOSTSYNC + grace), since s4 never left.
    expect(report.finishedAt - fsdSetAt).toBeGreaterThanOrEqual((hostSyncSeconds + 8) * 1000 - 50);
    expect(view.remaining.map((c) => c.address)).toEqual([a4]);
    expect(h.progress.some((p) => p.state === 'countdown')).toBe(true);
    expect(h.progress.some((p) => p.state === 'running')).toBe(true);

    // History and exports.
    const summaries = await call(h.core, 'fsd:list-reports', { monitorId: `lab/${UPS}` });
    expect(summaries[0]).toMatchObject({
      id: report.id,
      mode: 'master',
      outcome: 'completed',
      inTime: 2,
      late: 1,
      never: 1,
    });
    const markdown = await call(h.core, 'fsd:get-report', { id: report.id, format: 'markdown' });
    expect(markdown.mimeType).toBe('text/markdown');
    expect(markdown.fileName).toMatch(/^fsd-test-master-ups-.*\.md$/);
    expect(markdown.content).toContain(`| ${a3} |  | `);
    expect(markdown.content).toContain('**late**');
    expect(markdown.content).toContain('**never**');
    expect(markdown.content).toContain('## The FSD latch');
    expect(h.events.some((e) => e.kind === 'fsd-test' && e.type === 'FSD_SET')).toBe(true);

    // The latch: still set after the test, explained; noticed once upsd restarts.
    expect(report.latch).toMatchObject({ watching: true, clearedAt: null });
    expect(report.latch!.note).toMatch(/until upsd itself is restarted/);
    await sleep(300);
    expect(await statusOnServer()).toBe('FSD OL');
    expect(h.events.some((e) => e.type === 'FSD_LATCH_CLEARED')).toBe(false);
    process.kill(s4.pid, 'SIGCONT');
    await s4.stop();
    const restartedAt = Date.now();
    await rig.restart();
    latched = false;
    const cleared = await waitFor(() => h.events.find((e) => e.type === 'FSD_LATCH_CLEARED'), {
      timeoutMs: 20_000,
      description: 'FSD latch cleared event',
    });
    expect(cleared.at).toBeGreaterThanOrEqual(restartedAt);
    expect(cleared.message).toMatch(/FSD latch cleared/);
    const after = await call(h.core, 'fsd:get-report', { id: report.id, format: 'json' });
    expect(after.report.latch?.clearedAt).toBe(cleared.at);
    expect(after.report.timeline.at(-1)?.kind).toBe('latch-cleared');
    expect((await call(h.core, 'fsd:get-run', { runId: started.runId }))?.latch?.clearedAt).toBe(
      cleared.at,
    );
    // This machine's monitor, which had run its dry-run shutdown on the FSD, is counted again.
    await waitFor(async () => (await rig.listClients(UPS)).includes(network.hostAddress), {
      timeoutMs: 15_000,
      description: 'this machine logged in again',
    });
  }, 150_000);

  it('preflight: a secondary-only credential is caught with ACCESS-DENIED explained; no FSD is ever sent', async () => {
    const logMark = rig.logs().length;
    const h = await harness({ dryRun: true });
    const monitorId = `lab/${UPS}`;
    const check = async (username: string, password: string) => {
      const preflight = await call(h.core, 'fsd:preflight', {
        monitorId,
        mode: 'master',
        credential: { source: 'entered', username, password },
      });
      return { preflight, right: preflight.checks.find((c) => c.id === 'fsd-right')! };
    };

    const secondaryOnly = await check(RIG_USERS.monuser.name, RIG_USERS.monuser.password);
    expect(secondaryOnly.preflight.credential.verdict).toBe('denied');
    expect(secondaryOnly.right.status).toBe('blocker');
    expect(secondaryOnly.right.overridable).toBe(true);
    expect(secondaryOnly.right.detail).toContain('ERR ACCESS-DENIED');
    expect(secondaryOnly.right.detail).toContain('no primary/FSD right');
    expect(secondaryOnly.right.detail).toContain('`upsmon secondary`');
    expect(secondaryOnly.right.fix).toContain('actions = FSD');
    const blocked = await refused(h.core, 'fsd:start', {
      preflightId: secondaryOnly.preflight.id,
      confirmUpsName: UPS,
      countdownSeconds: 0,
    });
    expect(blocked.code).toBe('FSD-BLOCKED');
    expect(blocked.message).toContain('ACCESS-DENIED');

    const wrongPassword = await check(RIG_USERS.monprimary.name, 'not-the-password');
    expect(wrongPassword.preflight.credential.verdict).toBe('denied');

    // actions = FSD only: FSD would work, but PRIMARY cannot prove it: an overridable blocker.
    const fsdOnly = await check('fsdonly', 'fsdpass');
    expect(fsdOnly.right.status).toBe('blocker');
    expect(fsdOnly.right.overridable).toBe(true);
    expect(fsdOnly.right.fix).toMatch(/cannot be verified without really setting FSD/);

    const granted = await check(RIG_USERS.monprimary.name, RIG_USERS.monprimary.password);
    expect(granted.preflight.credential.verdict).toBe('primary-granted');
    expect(granted.right.status).toBe('ok');

    // No credential at all: a blocker that cannot be overridden.
    const none = await call(h.core, 'fsd:preflight', { monitorId, mode: 'master' });
    expect(none.hardBlocked).toBe(true);
    expect(
      (
        await refused(h.core, 'fsd:start', {
          preflightId: none.id,
          confirmUpsName: UPS,
          overrideBlockers: true,
          countdownSeconds: 0,
        })
      ).code,
    ).toBe('FSD-BLOCKED');

    // A stored credential is refused headless without a store, and an unknown UPS is explained.
    expect(
      (
        await refused(h.core, 'fsd:preflight', {
          monitorId,
          mode: 'master',
          credential: { source: 'entered', username: 'x', password: 'y', remember: true },
        })
      ).code,
    ).toBe('NO-SECRET-STORE');
    expect(
      (await refused(h.core, 'fsd:preflight', { monitorId: 'lab/nosuch', mode: 'master' })).code,
    ).toBe('UNKNOWN-MONITOR');

    await sleep(500);
    expect(await statusOnServer()).toBe('OL');
    expect(rig.logs().slice(logMark)).not.toMatch(/set FSD/i);
  }, 60_000);

  it('master mode with an overridden blocker (a user with only `actions = FSD`) and a remembered credential: FSD is set, the run ends when this machine logged out', async () => {
    const secrets = memorySecrets();
    const h = await harness({ dryRun: true, secrets });
    const monitorId = `lab/${UPS}`;
    const preflight = await call(h.core, 'fsd:preflight', {
      monitorId,
      mode: 'master',
      credential: { source: 'entered', username: 'fsdonly', password: 'fsdpass', remember: true },
      hostSyncSeconds: 5,
    });
    expect(preflight.credential.storedAvailable).toBe(true);
    expect([...secrets.values.keys()]).toEqual(['nut-fsd-credential:lab:ups']);
    const again = await call(h.core, 'fsd:preflight', {
      monitorId,
      mode: 'master',
      credential: { source: 'stored' },
      hostSyncSeconds: 5,
    });
    expect(again.credential).toMatchObject({
      source: 'stored',
      username: 'fsdonly',
      verdict: 'denied',
    });
    expect(preflight.clients.otherSecondaries).toBe(0);
    expect(
      (
        await refused(h.core, 'fsd:start', {
          preflightId: again.id,
          confirmUpsName: UPS,
          countdownSeconds: 0,
        })
      ).code,
    ).toBe('FSD-BLOCKED');

    latched = true;
    const started = await call(h.core, 'fsd:start', {
      preflightId: again.id,
      confirmUpsName: UPS,
      overrideBlockers: true,
      countdownSeconds: 0,
      graceSeconds: 5,
    });
    const { report } = await finished(h.core, started.runId, 40_000);
    expect(report.outcome).toBe('completed');
    expect(report.overridden).toEqual(['fsd-right']);
    expect(report.credentialUser).toBe('fsdonly');
    expect(await statusOnServer()).toBe('FSD OL');
    expect(report.secondaries).toEqual([
      expect.objectContaining({ isThisMachine: true, verdict: 'in-time' }),
    ]);
    // Ended when this machine had logged out, long before HOSTSYNC + grace.
    expect(report.finishedAt - report.fsdSetAt!).toBeLessThan(5_000);
    expect(report.summary[0]).toBe('No secondary other than this machine was logged in.');

    // A second start needs a fresh preflight.
    expect(
      (
        await refused(h.core, 'fsd:start', {
          preflightId: again.id,
          confirmUpsName: UPS,
          overrideBlockers: true,
        })
      ).code,
    ).toBe('FSD-PREFLIGHT-EXPIRED');
    expect(await call(h.core, 'fsd:forget-credential', { monitorId })).toEqual({
      ok: true,
      removed: true,
    });
    expect(secrets.values.size).toBe(0);
  }, 60_000);

  it('local mode never touches the master (no FSD, nothing privileged, the session stays logged in) and reports the hooks’ output and the timings', async () => {
    const s1 = await secondary(0);
    const proxy = await startRecordingProxy({ host: rig.host, port: rig.port });
    proxies.push(proxy);
    const h = await harness({ dryRun: false, host: proxy.host, port: proxy.port });
    const monitorId = `lab/${UPS}`;
    const numLogins = await rig.numLogins(UPS);
    expect(numLogins).toBe(2);

    const preflight = await call(h.core, 'fsd:preflight', { monitorId, mode: 'local' });
    expect(preflight.dryRun).toBe(true);
    expect(preflight.blockers).toBe(0);
    expect(preflight.credential.verdict).toBe('not-needed');
    expect(preflight.checks.find((c) => c.id === 'master-untouched')?.status).toBe('info');
    expect(preflight.checks.find((c) => c.id === 'this-machine-shutdown')).toMatchObject({
      status: 'ok',
      title: 'Dry run',
    });
    expect(preflight.thisMachine.willReallyShutDown).toBe(false);

    const mark = proxy.lines.length;
    const started = await call(h.core, 'fsd:start', {
      preflightId: preflight.id,
      countdownSeconds: 1,
    });
    const { report } = await finished(h.core, started.runId, 30_000);
    expect(report.outcome).toBe('completed');
    const local = report.local!;
    expect(local.dryRun).toBe(true);
    expect(local.hooks).toHaveLength(1);
    expect(local.hooks[0]).toMatchObject({
      source: 'event-hook',
      exitCode: 0,
      timedOut: false,
      spawnError: null,
    });
    expect(local.hooks[0]!.stdout).toBe('hook says hello to SHUTDOWN\n');
    expect(local.hooks[0]!.stderr).toBe('hook warning\n');
    expect(local.hooks[0]!.durationMs).toBeGreaterThanOrEqual(290);
    expect(local.hooks[0]!.startedAtMs).toBeLessThan(1000);
    expect(local.measured.finalDelayMs!).toBeGreaterThanOrEqual(1000);
    expect(local.measured.hooksMs).toBeGreaterThanOrEqual(290);
    expect(local.measured.totalMs).toBeGreaterThanOrEqual(1000);
    expect(local.command).toMatchObject({ dryRun: true, program: '/bin/sh', exitCode: null });
    expect(local.sessionLoggedOut).toBe(false);
    expect(fs.existsSync(h.commandLog)).toBe(false);
    expect(fs.readFileSync(h.hookLog, 'utf8')).toMatch(/ SHUTDOWN$/m);
    expect(report.timeline.map((e) => e.kind)).toEqual(
      expect.arrayContaining([
        'countdown',
        'notify',
        'hook',
        'final-delay',
        'shutdown-command',
        'finished',
      ]),
    );
    expect(report.summary.join(' ')).toContain('The master was not touched');

    // The server saw nothing: no FSD, NUMLOGINS unchanged, and the core sent nothing privileged.
    await sleep(500);
    expect(await statusOnServer()).toBe('OL');
    expect(await rig.numLogins(UPS)).toBe(numLogins);
    const sent = proxy.lines.slice(mark).map((l) => l.line);
    expect(sent.length).toBeGreaterThan(0); // the live session kept polling through the proxy
    expect(
      sent.filter((line) =>
        /^(FSD|PRIMARY|MASTER|LOGOUT|USERNAME|PASSWORD|LOGIN|SET|INSTCMD)\b/i.test(line),
      ),
    ).toEqual([]);
    expect(s1.shutdownCalls()).toEqual([]);
    expect(h.core.snapshot().ups[0]!.loggedIn).toBe(true);

    // A real local run (explicit opt-in: dryRun false) runs the command and logs the session out
    // like upsmon, then back in since this machine is still running; still no FSD anywhere.
    const real = await call(h.core, 'fsd:preflight', { monitorId, mode: 'local', dryRun: false });
    expect(real.checks.find((c) => c.id === 'this-machine-shutdown')).toMatchObject({
      status: 'warning',
    });
    expect(real.thisMachine.willReallyShutDown).toBe(true);
    const markReal = proxy.lines.length;
    // Started from the preflight's fields (no id), and the start's own dryRun (redoes the preflight).
    const startedReal = await call(h.core, 'fsd:start', {
      preflight: { monitorId, mode: 'local' },
      dryRun: false,
      countdownSeconds: 0,
    });
    expect(startedReal.preflightId).not.toBe(real.id);
    const { report: realReport } = await finished(h.core, startedReal.runId, 30_000);
    expect(realReport.local).toMatchObject({
      dryRun: false,
      sessionLoggedOut: true,
      sessionResumed: true,
    });
    expect(realReport.checks.find((c) => c.id === 'this-machine-shutdown')?.status).toBe('warning');
    expect(realReport.local!.command).toMatchObject({
      dryRun: false,
      exitCode: 0,
      timedOut: false,
    });
    expect(realReport.local!.command!.durationMs).not.toBeNull();
    expect(fs.readFileSync(h.commandLog, 'utf8').trim().split('\n')).toHaveLength(1);
    const sentReal = proxy.lines.slice(markReal).map((l) => l.line);
    expect(sentReal).toContain('LOGOUT');
    expect(sentReal.some((line) => /^FSD\b/i.test(line))).toBe(false);
    await waitFor(
      async () => (await rig.numLogins(UPS)) === numLogins && h.core.snapshot().ups[0]!.loggedIn,
      { timeoutMs: 15_000, description: 'logged in again' },
    );
    expect(await statusOnServer()).toBe('OL');
    expect(s1.shutdownCalls()).toEqual([]);

    // The next master-mode preflight uses the measured duration in its time budget.
    const next = await call(h.core, 'fsd:preflight', {
      monitorId,
      mode: 'master',
      credential: {
        source: 'entered',
        username: RIG_USERS.monprimary.name,
        password: RIG_USERS.monprimary.password,
      },
    });
    expect(next.timeBudget.measuredReportId).toBe(realReport.id);
    expect(next.timeBudget.measuredShutdownSeconds).toBeCloseTo(
      realReport.local!.measured.totalMs / 1000,
      1,
    );
    expect(next.checks.find((c) => c.id === 'this-machine-shutdown')).toMatchObject({
      status: 'blocker',
      overridable: true,
    });

    // Redundant supplies (MINSUPPLIES 1) with a second UPS feeding this machine: FSD on this UPS alone leaves it up.
    const { config } = await call(h.core, 'config:get', undefined);
    const secondFeed = { ...config.masters[0]!, id: 'lab-b', label: 'Second feed' };
    await call(h.core, 'config:save', {
      config: {
        ...config,
        masters: [...config.masters, secondFeed],
        shutdown: { ...config.shutdown, minSupplies: 1 },
      },
    });
    const redundant = await call(h.core, 'fsd:preflight', {
      monitorId,
      mode: 'master',
      credential: {
        source: 'entered',
        username: RIG_USERS.monprimary.name,
        password: RIG_USERS.monprimary.password,
      },
    });
    expect(redundant.checks.find((c) => c.id === 'this-machine-shutdown')).toMatchObject({
      status: 'warning',
      title: 'This machine stays up',
    });
    expect(redundant.checks.find((c) => c.id === 'this-machine-shutdown')?.detail).toContain(
      'MINSUPPLIES is 1 and the other UPSes feeding this machine supply 1',
    );
    expect(redundant.thisMachine.willReallyShutDown).toBe(false);
  }, 90_000);

  it('an abort during the countdown sends nothing to the server', async () => {
    const proxy = await startRecordingProxy({ host: rig.host, port: rig.port });
    proxies.push(proxy);
    const s1 = await secondary(0);
    const h = await harness({ dryRun: true, host: proxy.host, port: proxy.port });
    const preflight = await call(h.core, 'fsd:preflight', {
      monitorId: `lab/${UPS}`,
      mode: 'master',
      credential: {
        source: 'entered',
        username: RIG_USERS.monprimary.name,
        password: RIG_USERS.monprimary.password,
      },
    });
    expect(preflight.blockers).toBe(0);
    const connectionsBefore = proxy.connections();
    const mark = proxy.lines.length;
    const started = await call(h.core, 'fsd:start', {
      preflightId: preflight.id,
      confirmUpsName: UPS,
      countdownSeconds: 3,
    });
    expect(started.state).toBe('countdown');
    expect(started.countdown.secondsLeft).toBe(3);
    await sleep(500);
    const aborted = await call(h.core, 'fsd:abort', { runId: started.runId });
    expect(aborted.state).toBe('aborted');
    // Well past the end of the countdown: still nothing.
    await sleep(3500);
    const { report } = await finished(h.core, started.runId, 5_000);
    expect(report.outcome).toBe('aborted');
    expect(report.fsdSetAt).toBeNull();
    expect(report.summary[0]).toBe('Aborted before anything was sent to the master.');
    expect(report.latch).toBeNull();

    expect(proxy.connections()).toBe(connectionsBefore); // no connection was even opened
    const sent = proxy.lines.slice(mark).map((l) => l.line);
    expect(
      sent.filter(
        (line) =>
          !/^(GET VAR ups ups\.status|LIST VAR ups|LIST CLIENT ups|GET NUMLOGINS ups|VER)$/.test(
            line,
          ),
      ),
    ).toEqual([]);
    expect(await statusOnServer()).toBe('OL');
    expect(s1.shutdownCalls()).toEqual([]);
    expect(s1.events().some((e) => e.type === 'FSD')).toBe(false);
    expect(h.events.some((e) => e.type === 'FSD_TEST_ABORTED')).toBe(true);
  }, 60_000);
  describe('nut-sentinel fsd-test (the headless CLI, a separate process)', () => {
    const credentialEnv = {
      FSD_TEST_PASSWORD: RIG_USERS.monprimary.password,
      FSD_TEST_SECONDARY_PASSWORD: RIG_USERS.monuser.password,
    };

    it('local mode: preflight, timeline and the Markdown report; exit 0; nothing sent to the master', async () => {
      const { configPath, dir, hookLog, commandLog } = await writeConfig({ dryRun: false });
      const run = await nutSentinel([
        'fsd-test',
        '--config',
        configPath,
        '--data-dir',
        dir,
        ...LOCAL_TEST_NOW,
      ]);
      expect(run.code).toBe(0);
      expect(run.stderr).not.toMatch(/ERROR|Refused/);
      expect(run.stderr).toContain('dry run: would run /bin/sh'); // warnings go to stderr
      expect(run.stdout).toContain(`FSD test preflight (local mode) — ups@${rig.host}:${rig.port}`);
      expect(run.stdout).toMatch(/\[ok +\] Dry run: The shutdown command/);
      expect(run.stdout).toMatch(/hook +Hook .*shutdown-hook\.sh on SHUTDOWN exited with code 0/);
      expect(run.stdout).toContain('# FSD test (local mode)');
      expect(run.stdout).toContain('hook says hello to SHUTDOWN');
      expect(fs.readFileSync(hookLog, 'utf8')).toMatch(/ SHUTDOWN$/m);
      expect(fs.existsSync(commandLog)).toBe(false);
      expect(await statusOnServer()).toBe('OL');
    }, 60_000);

    it('master mode: refused without the typed confirmation, and with a secondary-only credential (ACCESS-DENIED explained)', async () => {
      const { configPath, dir } = await writeConfig({ dryRun: true });
      const base = [
        'fsd-test',
        '--config',
        configPath,
        '--data-dir',
        dir,
        '--ups',
        `lab/${UPS}`,
        '--mode',
        'master',
        '--countdown',
        '0',
      ];
      const unconfirmed = await nutSentinel(
        [...base, '--user', RIG_USERS.monprimary.name, '--password-env', 'FSD_TEST_PASSWORD'],
        { env: credentialEnv },
      );
      expect(unconfirmed.code).toBe(1);
      expect(unconfirmed.stderr).toContain(
        'Refused (FSD-CONFIRMATION-REQUIRED): Type the UPS name "ups" to confirm',
      );
      const secondaryOnly = await nutSentinel(
        [
          ...base,
          '--user',
          RIG_USERS.monuser.name,
          '--password-env',
          'FSD_TEST_SECONDARY_PASSWORD',
          '--confirm',
          UPS,
        ],
        { env: credentialEnv },
      );
      expect(secondaryOnly.code).toBe(1);
      expect(secondaryOnly.stdout).toMatch(
        /\[BLOCKER\] Credential with the FSD right: The master answered ERR ACCESS-DENIED/,
      );
      expect(secondaryOnly.stderr).toContain('Refused (FSD-BLOCKED)');
      const noPassword = await nutSentinel([...base, '--user', RIG_USERS.monprimary.name]);
      expect(noPassword.code).toBe(2);
      expect(noPassword.stderr).toContain('--password-env VAR');
      expect(await statusOnServer()).toBe('OL');
    }, 90_000);

    it('master mode: Ctrl-C during the countdown aborts (exit 130) and nothing is sent', async () => {
      const { configPath, dir } = await writeConfig({ dryRun: true });
      let interrupted = false;
      const run = await nutSentinel(
        [
          'fsd-test',
          '--config',
          configPath,
          '--data-dir',
          dir,
          '--ups',
          `lab/${UPS}`,
          '--mode',
          'master',
          '--user',
          RIG_USERS.monprimary.name,
          '--password-env',
          'FSD_TEST_PASSWORD',
          '--confirm',
          UPS,
          '--countdown',
          '5',
        ],
        {
          env: credentialEnv,
          onOutput: (stdout, child) => {
            if (!interrupted && /FSD in \d s… \(Ctrl-C aborts/.test(stdout)) {
              interrupted = true;
              child.kill('SIGINT');
            }
          },
        },
      );
      expect(interrupted).toBe(true);
      expect(run.code).toBe(130);
      expect(run.stdout).toContain('Aborted during the countdown: nothing was sent.');
      expect(run.stdout).toContain('Result: **aborted**');
      await sleep(5500); // past the end of the countdown
      expect(await statusOnServer()).toBe('OL');
    }, 60_000);

    it('master mode end to end with --json: FSD set, the secondary’s disconnect reported, exit 0', async () => {
      const upsmon = await secondary(0);
      const { configPath, dir } = await writeConfig({ dryRun: true });
      latched = true;
      const run = await nutSentinel(
        [
          'fsd-test',
          '--config',
          configPath,
          '--data-dir',
          dir,
          '--ups',
          `lab/${UPS}`,
          '--mode',
          'master',
          '--user',
          RIG_USERS.monprimary.name,
          '--password-env',
          'FSD_TEST_PASSWORD',
          '--confirm',
          UPS,
          '--countdown',
          '0',
          '--hostsync',
          '5',
          '--grace',
          '2',
          '--json',
        ],
        { env: credentialEnv },
      );
      expect(run.code).toBe(0);
      const report = FsdReportSchema.parse(JSON.parse(run.stdout));
      expect(run.stderr).toContain('FSD test preflight (master mode)');
      expect(report.outcome).toBe('completed');
      expect(await statusOnServer()).toBe('FSD OL');
      const other = report.secondaries.find((s) => !s.isThisMachine)!;
      expect(other).toMatchObject({ address: network.hosts[0]!.address, verdict: 'in-time' });
      const shutdownAt = upsmon.shutdownCalls()[0]!;
      expect(other.leftAt!).toBeGreaterThanOrEqual(shutdownAt - 50);
      expect(other.leftAt!).toBeLessThanOrEqual(shutdownAt + 1500);
    }, 90_000);
    it('only the tested UPS’s warnings; an unknown UPS and an invalid config are refused before any connection', async () => {
      const proxy = await startRecordingProxy({ host: rig.host, port: rig.port });
      proxies.push(proxy);
      const { configPath, dir } = await writeConfig({ host: proxy.host, port: proxy.port });
      const config = JSON.parse(await fsp.readFile(configPath, 'utf8')) as {
        masters: { id: string; label: string; host: string; port: number; ups: unknown[] }[];
      };
      // A second master nothing answers for: its troubles are not this test's.
      config.masters.push({
        ...config.masters[0]!,
        id: 'other',
        label: 'Other',
        host: '127.0.0.1',
        port: 1,
      });
      await fsp.writeFile(configPath, JSON.stringify(config));
      const base = ['fsd-test', '--config', configPath, '--data-dir', dir, '--mode', 'local'];

      const unknown = await nutSentinel([...base, '--ups', 'lab/nosuch']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain(
        `error: No monitored UPS lab/nosuch in ${configPath} (have: lab/ups, other/ups).`,
      );
      expect(proxy.connections()).toBe(0);

      const run = await nutSentinel([...base, '--ups', `lab/${UPS}`, '--countdown', '0']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Result: **completed**');
      expect(run.stderr).toContain('dry run: would run /bin/sh');
      expect(run.stderr).not.toContain('127.0.0.1:1');

      const invalid = path.join(dir, 'invalid.json');
      await fsp.writeFile(invalid, '{ "masters": [ { "id": "lab" } ] }\n');
      const connectionsBefore = proxy.connections();
      const refused = await nutSentinel([
        ...base.map((arg) => (arg === configPath ? invalid : arg)),
        '--ups',
        `lab/${UPS}`,
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${invalid}:1:16: masters[0].label: required setting`);
      expect(refused.stderr).not.toContain('No monitored UPS');
      expect(proxy.connections()).toBe(connectionsBefore);
    }, 60_000);

    it('with the background service running, the test runs in it (one LOGIN from this machine); a user it refuses gets an error, not a second monitor', async () => {
      const { configPath, dir, hookLog } = await writeConfig({ dryRun: true });
      const socket = path.join(dir, 'control.sock');
      let agentOutput = '';
      const agent = spawn(
        TSX,
        [
          CLI,
          'agent',
          '--config',
          configPath,
          '--data-dir',
          path.join(dir, 'service-data'),
          '--no-notify',
          '--control-socket',
          socket,
          '--control-group',
          'root',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.stdout.on('data', (chunk: Buffer) => (agentOutput += chunk.toString()));
      agent.stderr.on('data', (chunk: Buffer) => (agentOutput += chunk.toString()));
      try {
        await waitFor(() => /EVENT LOGIN \[lab\/ups\]/.test(agentOutput), {
          timeoutMs: 20_000,
          description: `the service's LOGIN (output: ${agentOutput})`,
        });
        const run = await nutSentinel(['fsd-test', '--control-socket', socket, ...LOCAL_TEST_NOW]);
        expect(run.code).toBe(0);
        expect(run.stdout).toContain(
          `Attached to the background service (${socket}): the test runs in its monitoring.`,
        );
        expect(run.stdout).toMatch(/logged in: .*\[this machine\]; NUMLOGINS 1$/m);
        expect(run.stdout).toContain('Result: **completed**');
        // The service ran it: its hook, its event log.
        expect(run.stdout).toContain('hook says hello to SHUTDOWN');
        expect(fs.readFileSync(hookLog, 'utf8')).toMatch(/ SHUTDOWN$/m);
        expect(agentOutput).toMatch(/EVENT FSD_TEST_FINISHED \[lab\/ups\]/);

        const refused = await nutSentinel(
          [
            'fsd-test',
            '--control-socket',
            socket,
            '--ups',
            `lab/${UPS}`,
            '--mode',
            'local',
            '--config',
            configPath,
          ],
          { asNobody: true, env: { HOME: '/tmp' } },
        );
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          `Error: The background service runs on this machine (${socket}) and the test must run in it, but it refused this user:`,
        );
        expect(await rig.numLogins(UPS)).toBe(1);
      } finally {
        agent.kill('SIGTERM');
        await exited;
      }
    }, 90_000);
  });
});
