/**
 * Harness for the monitor's scenario tests against a real upsd (main/testing/upsd-rig.ts): a
 * MonitorService with the production parts (NutClient, NodeProcessRunner, HookDispatcher,
 * NotificationPolicy in front of a recording notifier) and hooks that are tiny /bin/sh scripts.
 *
 * Every hook and the shutdown command append one line `<epoch ns> <TYPE> <UPSNAME>` to one log
 * file, taking the time first thing, so tests see the exact order, set and timing of what ran:
 * - per-event hook (all NotifyTypes, UPS `*`):  `<ns> ONBATT ups@127.0.0.1:PORT`
 * - the shutdown command (dryRun false):        `<ns> SHUTDOWNCMD -`
 * - the upssched CMDSCRIPT (if configured):     `<ns> TIMER <timer name>`
 * Benchmarks use it too (no vitest here; the test lifecycle is in use-scenarios.ts).
 * Never a real shutdown: the "shutdown command" is the script.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type Config,
  ConfigSchema,
  type ConfigInput,
  type Timing,
  type UpsschedRule,
  upsSystemName,
} from '../../../shared/config';
import type { MetricSample, StoredEvent } from '../../../shared/history';
import { NOTIFY_TYPES } from '../../../shared/notify-types';
import type { UpsSnapshot } from '../../../shared/snapshot';
import { NodeProcessRunner, systemClock } from '../../platform/node-ports';
import type { LogLevel, Logger } from '../../platform/ports';
import { NotificationPolicy, RecordingNotifier } from '../../notify/notification-policy';
import { RIG_USERS, type Rig } from '../../testing/upsd-rig';
import net from 'node:net';
import { sleep, waitFor } from '../../testing/net';
import type { NutClient, NutClientOptions } from '../../nut/client';
import { MonitorService } from '../monitor-service';
import type { UpsSession } from '../ups-session';

/** Short but realistic timings (seconds) for scenario tests. */
export const SCENARIO_TIMING: Partial<Timing> = {
  statusPollSeconds: 0.25,
  fullPollSeconds: 1,
  hostSyncSeconds: 3,
  finalDelaySeconds: 1,
  deadTimeSeconds: 4,
  noCommWarnSeconds: 300,
  connectTimeoutSeconds: 2,
  requestTimeoutSeconds: 2,
};

export interface HookLine {
  /** Epoch ms (sub-ms precision) taken by the hook process itself, first thing. */
  at: number;
  /** NOTIFYTYPE, `SHUTDOWNCMD` or `TIMER`. */
  type: string;
  /** UPSNAME ('' for SHUTDOWN), `-` for SHUTDOWNCMD, the timer name for TIMER. */
  arg: string;
}

export interface ScenarioUps {
  /** UPS name on the rig. */
  name: string;
  username?: string;
  password?: string;
  role?: 'secondary' | 'monitor-only';
  expectedClients?: string[];
}

export interface ScenarioOptions {
  rig: Rig;
  /** UPSes to monitor on the rig; default the rig's first UPS as `monuser`/`secret`. */
  ups?: ScenarioUps[];
  timing?: Partial<Timing>;
  /** Timings the `timing` overrides apply to; default SCENARIO_TIMING ({} = the product defaults). */
  baseTiming?: Partial<Timing>;
  upssched?: UpsschedRule[];
  latchedFsdAtStart?: 'ignore-while-online' | 'ask' | 'obey';
  /** shutdown.minSupplies (upsmon MINSUPPLIES); default null: any critical secondary UPS shuts down. */
  minSupplies?: number;
  notifications?: { dedupeSeconds?: number; desktop?: boolean; paused?: boolean };
  /** Desktop notifications per minute of the policy (default 6, like production). */
  maxPerMinute?: number;
  /** Reuse a directory (and so the hook log) of an earlier scenario. */
  dir?: string;
  label?: string;
  /** How sessions connect (default NutClient.connect): e.g. from another local address. */
  connect?: (options: NutClientOptions) => Promise<NutClient>;
}

/** A shell script that appends `<epoch ms> <word> <word>` to `log` (time taken first). */
function writeScript(file: string, log: string, type: string, arg: string): void {
  writeFileSync(file, `#!/bin/sh\nt=$(date +%s%N)\necho "$t ${type} ${arg}" >> '${log}'\n`, {
    mode: 0o755,
  });
  chmodSync(file, 0o755);
}

/** Creates the hook scripts in a fresh temp dir; returns the dir. */
export function makeHookDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'nut-scenario-'));
  const log = path.join(dir, 'hooks.log');
  writeFileSync(log, '');
  writeScript(path.join(dir, 'hook.sh'), log, '$NOTIFYTYPE', '$UPSNAME');
  writeScript(path.join(dir, 'shutdown.sh'), log, 'SHUTDOWNCMD', '-');
  writeScript(path.join(dir, 'cmdscript.sh'), log, 'TIMER', '$1');
  return dir;
}

export function readHookLog(dir: string): HookLine[] {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'hooks.log'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [ns = '', type = '', ...rest] = line.split(' ');
      // 19 digits of ns do not fit a double exactly: seconds part + the rest.
      return {
        at: Number(ns.slice(0, -6)) + Number(ns.slice(-6)) / 1e6,
        type,
        arg: rest.join(' '),
      };
    })
    .sort((a, b) => a.at - b.at);
}

export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  constructor(private readonly label: string) {}
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    this.lines.push(
      `${new Date().toISOString()} ${this.label} ${level.toUpperCase()} ${message}${extra}`,
    );
    if (this.lines.length > 5_000) this.lines.splice(0, 1_000);
  }
}

export class Scenario {
  readonly events: StoredEvent[] = [];
  readonly samples: MetricSample[] = [];
  readonly recorder = new RecordingNotifier();
  readonly policy: NotificationPolicy;
  readonly service: MonitorService;
  readonly logger: MemoryLogger;
  readonly config: Config;
  private stopped = false;

  private constructor(
    readonly rig: Rig,
    readonly dir: string,
    options: ScenarioOptions,
    private readonly ownsDir: boolean,
  ) {
    this.logger = new MemoryLogger(options.label ?? 'monitor');
    const upses = options.ups ?? [{ name: rig.upses[0]!.name }];
    const passwords = new Map(upses.map((u) => [u.name, u.password ?? RIG_USERS.monuser.password]));
    const input: ConfigInput = {
      masters: [
        {
          id: 'rig',
          label: 'Rig',
          host: rig.host,
          port: rig.port,
          ups: upses.map((u) => ({
            name: u.name,
            role: u.role ?? 'secondary',
            username: u.username ?? RIG_USERS.monuser.name,
            password: { source: 'store' as const },
            expectedClients: u.expectedClients ?? [],
          })),
        },
      ],
      timing: { ...(options.baseTiming ?? SCENARIO_TIMING), ...options.timing },
      hooks: {
        eventHooks: [
          {
            events: [...NOTIFY_TYPES],
            ups: '*',
            command: { file: path.join(dir, 'hook.sh'), args: [] },
            timeoutSeconds: 10,
          },
        ],
        ...(options.upssched
          ? {
              upssched: {
                cmdScript: { file: path.join(dir, 'cmdscript.sh'), args: [] },
                rules: options.upssched,
              },
            }
          : {}),
        timeoutSeconds: 10,
      },
      shutdown: {
        command: { file: path.join(dir, 'shutdown.sh'), args: [] },
        dryRun: false,
        timeoutSeconds: 10,
        latchedFsdAtStart: options.latchedFsdAtStart ?? 'ignore-while-online',
        minSupplies: options.minSupplies ?? null,
      },
      notifications: { desktop: true, paused: false, dedupeSeconds: 60, ...options.notifications },
      history: { sampleSeconds: 1 },
    };
    this.config = ConfigSchema.parse(input);
    this.policy = new NotificationPolicy(this.recorder, {
      clock: systemClock,
      settings: () => this.config.notifications,
      logger: this.logger,
      ...(options.maxPerMinute !== undefined ? { maxPerMinute: options.maxPerMinute } : {}),
    });
    this.service = new MonitorService(this.config, {
      clock: systemClock,
      logger: this.logger,
      runner: new NodeProcessRunner(),
      notifier: this.policy,
      recordEvent: (event) => this.events.push(event),
      recordSample: (sample) => this.samples.push(sample),
      password: (_master, ups) => Promise.resolve(passwords.get(ups.name)),
      ...(options.connect ? { connect: options.connect } : {}),
    });
  }

  /** Builds and starts the service. */
  static start(options: ScenarioOptions): Scenario {
    const dir = options.dir ?? makeHookDir();
    const scenario = new Scenario(options.rig, dir, options, options.dir === undefined);
    scenario.service.start();
    return scenario;
  }

  /** The UPS system string (`ups@127.0.0.1:PORT`), UPSNAME of the hooks. */
  systemName(ups = this.rig.upses[0]!.name): string {
    return upsSystemName({ host: this.rig.host, port: this.rig.port }, ups);
  }

  session(ups = this.rig.upses[0]!.name): UpsSession {
    const session = this.service.session(`rig/${ups}`);
    if (!session) throw new Error(`no session for ${ups}`);
    return session;
  }

  snapshot(ups = this.rig.upses[0]!.name): UpsSnapshot {
    return this.service.upsSnapshot(this.session(ups));
  }

  hooks(): HookLine[] {
    return readHookLog(this.dir);
  }

  /** The hook log as `TYPE` words (SHUTDOWN, SHUTDOWNCMD, TIMER included), in time order. */
  hookTypes(): string[] {
    return this.hooks().map((h) => h.type);
  }

  notifyEvents(): StoredEvent[] {
    return this.events.filter((e) => e.kind === 'notify');
  }

  /** Waits until the hook log has `count` lines of this type; returns the last of them. */
  async waitHook(
    type: string,
    options: { count?: number; timeoutMs?: number } = {},
  ): Promise<HookLine> {
    const count = options.count ?? 1;
    return waitFor(
      () => {
        const lines = this.hooks().filter((h) => h.type === type);
        return lines.length >= count ? lines[count - 1] : undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 10_000,
        intervalMs: 20,
        description: `${count}× hook ${type} (have: ${this.hookTypes().join(' ') || 'none'})`,
      },
    );
  }

  /** Waits until this session has read a status equal to `status` (e.g. after a rig.setStatus). */
  async waitStatus(
    status: string,
    options: { ups?: string; timeoutMs?: number } = {},
  ): Promise<void> {
    const session = this.session(options.ups);
    await waitFor(() => session.view.status === status && session.view.comm === 'ok', {
      timeoutMs: options.timeoutMs ?? 10_000,
      intervalMs: 10,
      description: `monitor to read status "${status}" (has "${String(session.view.status)}", comm ${session.view.comm})`,
    });
  }

  /** Waits until connected, logged in (secondaries) and a status has been read. */
  async ready(
    options: { ups?: string; timeoutMs?: number; loggedIn?: boolean } = {},
  ): Promise<void> {
    const session = this.session(options.ups);
    const wantLogin = options.loggedIn ?? session.settings.ups.role === 'secondary';
    await waitFor(
      () =>
        session.view.comm === 'ok' &&
        session.view.connected &&
        (!wantLogin || session.view.loggedIn),
      {
        timeoutMs: options.timeoutMs ?? 15_000,
        intervalMs: 10,
        description: `monitor of ${session.systemName} to be ready (comm ${session.view.comm}, connected ${String(session.view.connected)}, login ${session.view.login})`,
      },
    );
  }

  /** Waits until the full poll (LIST VAR, LIST CLIENT, NUMLOGINS) has produced a reading newer than `after`. */
  async waitFullPoll(after: number, ups?: string, timeoutMs = 10_000): Promise<void> {
    const session = this.session(ups);
    await waitFor(() => (session.clients?.at ?? 0) > after && (session.variablesAt ?? 0) > after, {
      timeoutMs,
      intervalMs: 20,
      description: 'a full poll',
    });
  }

  /** The logs of the monitor and the rig, for failure reports. */
  dump(): string {
    const hooks = this.hooks()
      .map((h) => `${new Date(h.at).toISOString()} ${h.type} ${h.arg}`)
      .join('\n');
    return `--- hooks ---\n${hooks}\n--- monitor log ---\n${this.logger.lines.join('\n')}\n--- rig log (tail) ---\n${this.rig.logs().split('\n').slice(-80).join('\n')}`;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.service.stop();
    this.policy.dispose();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls GET NUMLOGINS until it equals `expected`; returns how long that took (ms). */
export async function waitNumLogins(
  rig: Rig,
  ups: string,
  expected: number,
  timeoutMs = 5_000,
): Promise<number> {
  const started = Date.now();
  let last = -1;
  await waitFor(
    async () => {
      last = await rig.numLogins(ups);
      return last === expected;
    },
    { timeoutMs, intervalMs: 20, description: `NUMLOGINS ${ups} = ${expected} (last ${last})` },
  );
  return Date.now() - started;
}

/**
 * A second secondary (another machine) logged in from `localAddress`: Linux routes all of 127/8
 * to lo, so upsd sees another client address. Close the socket to make it leave.
 */
export async function loginFrom(
  localAddress: string,
  port: number,
  ups: string,
): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const user = RIG_USERS.upsmonclient;
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.write(`USERNAME ${user.name}\nPASSWORD ${user.password}\nLOGIN ${ups}\n`);
  await waitFor(
    () =>
      received.split('\n').filter((l) => l.startsWith('OK')).length === 3 ||
      received.includes('ERR'),
    { timeoutMs: 5_000, description: 'the second client to log in' },
  );
  if (received.includes('ERR')) throw new Error(`second client LOGIN failed: ${received}`);
  return socket;
}

/** Sets a status and returns when the SET was sent and when upsd was seen reporting it. */
export async function setStatusTimed(
  rig: Rig,
  ups: string,
  status: string,
): Promise<{ sent: number; visible: number }> {
  const sent = Date.now();
  await rig.setStatus(ups, status);
  return { sent, visible: Date.now() };
}

/** Asserts nothing new reaches the hook log for `ms` (returns the lines seen meanwhile). */
export async function quietFor(scenario: Scenario, ms: number): Promise<HookLine[]> {
  // Hook programs already started belong to what happened before: let them finish first.
  await scenario.service.hooks.idle();
  const before = scenario.hooks().length;
  await sleep(ms);
  return scenario.hooks().slice(before);
}

/** Sorted copy (for comparing sets of hook types regardless of same-instant ordering). */
export function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

/** A listener in upsd's place that drops every connection: each accept is one reconnect attempt. */
export async function countReconnectAttempts(
  host: string,
  port: number,
  ms: number,
): Promise<number[]> {
  const attempts: number[] = [];
  const server = net.createServer((socket) => {
    attempts.push(Date.now());
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  try {
    await sleep(ms);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return attempts;
}
