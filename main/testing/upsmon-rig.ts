/**
 * A real `/lib/nut/upsmon` 2.8.0 (primary or secondary) against a rig from upsd-rig.ts, for tests
 * that compare our monitor with the reference implementation or need a real primary that sets FSD
 * and waits for secondaries (main/monitor/README.md §1.6–1.8).
 *
 * - NOTIFYCMD is a script that appends `<epoch ns>\t<NOTIFYTYPE>\t<UPSNAME>\t<message>` to a file
 *   (one printf = one O_APPEND write, so forked notifications never interleave); {@link UpsmonRig.events}
 *   parses it.
 * - SHUTDOWNCMD is a harmless script that only appends a timestamp to a file (NEVER a real shutdown);
 *   POWERDOWNFLAG points into the rig dir too (upsmon 2.8.0 creates it on shutdown, also on secondaries).
 * - upsmon 2.8.0 always writes its pid to the compiled-in `/run/nut/upsmon.pid` and refuses to start
 *   while another instance's pid file is there. Each instance therefore runs in its own mount
 *   namespace: `unshare -m --propagation private` and a private tmpfs on `/run/nut` (or on `/run`
 *   with a fresh `nut/` when the host has no /run/nut), so several upsmons run at once and the host's
 *   /run/nut is never touched (verified: the pid file only exists inside the namespace).
 * - Runs as one root process (`-p`, RUN_AS_USER root) in the foreground with `-D`, so its log lines
 *   land in {@link UpsmonRig.logs}; started through `setpriv --pdeathsig SIGKILL` like the rig's
 *   other processes.
 *
 * Needs root (mount namespaces), util-linux `unshare`, nut-client 2.8.0.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { sleep, waitFor } from './net.js';
import {
  ManagedProcess,
  NUT_BINARIES,
  RIG_USERS,
  makeTempDir,
  removeTempDir,
  type LogSink,
  type Rig,
} from './upsd-rig.js';

/** Every notification type upsmon 2.8.0 knows (main/monitor/README.md §1.8); all are sent to NOTIFYCMD. */
export const UPSMON_NOTIFY_TYPES = [
  'ONLINE',
  'ONBATT',
  'LOWBATT',
  'FSD',
  'COMMOK',
  'COMMBAD',
  'SHUTDOWN',
  'REPLBATT',
  'NOCOMM',
  'NOPARENT',
] as const;

export interface UpsmonMonitor {
  /** UPS name on the server. */
  ups: string;
  host: string;
  port: number;
  /** MONITOR power value (default 1; 0 = monitoring only). */
  powerValue?: number;
  user: string;
  password: string;
  role: 'primary' | 'secondary';
}

export interface UpsmonOptions {
  /** The server to monitor; `ups` defaults to its first UPS. Ignored when `monitors` is given. */
  rig?: Rig;
  ups?: string;
  /** Default `secondary`. */
  role?: 'primary' | 'secondary';
  /** Default: `monuser`/`secret` for a secondary, `monprimary`/`primarypass` for a primary. */
  user?: { name: string; password: string };
  /** Explicit MONITOR lines (several UPSes / servers). */
  monitors?: readonly UpsmonMonitor[];
  /** upsmon.conf timings in seconds; defaults are small so tests run fast. */
  pollFreq?: number; // default 1 (NUT: 5)
  pollFreqAlert?: number; // default 1 (NUT: 5)
  deadTime?: number; // default 6 (NUT: 15)
  hostSync?: number; // default 5 (NUT: 15)
  finalDelay?: number; // default 1 (NUT: 5)
  minSupplies?: number; // default 1
  nocommWarnTime?: number; // NUT default 300
  rbWarnTime?: number; // NUT default 43200
  /** Extra raw upsmon.conf lines. */
  extraConfig?: readonly string[];
  /** Number of `-D` flags (default 1: login/poll lines in logs(), and needed to detect the login). */
  debug?: number;
  /** Wait until upsmon reports "Logged into UPS" for every MONITOR (default true). */
  waitForLogin?: boolean;
  /**
   * Run inside this network namespace (a name under /run/netns, e.g. from main/testing/netns.ts),
   * via `nsenter --net=…` before `unshare -m`: upsmon then connects from that namespace's address.
   */
  netns?: string;
  startTimeoutMs?: number;
}

export interface UpsmonEvent {
  /** Epoch milliseconds (sub-millisecond precision) when NOTIFYCMD ran. */
  atMs: number;
  /** NOTIFYTYPE, e.g. `ONBATT`. */
  type: string;
  /** UPSNAME: the MONITOR system string (`ups@127.0.0.1:port`); empty for SHUTDOWN/NOPARENT. */
  ups: string;
  /** The notification text (NOTIFYCMD's argument). */
  message: string;
}

export interface UpsmonRig {
  readonly pid: number;
  readonly dir: string;
  readonly configFile: string;
  /** MONITOR system strings, e.g. `ups@127.0.0.1:40123` (what UPSNAME contains). */
  readonly systems: readonly string[];
  readonly running: boolean;
  readonly exited: Promise<void>;
  /** Notifications so far, in file order (upsmon forks one NOTIFYCMD per event: order is not guaranteed). */
  events(): UpsmonEvent[];
  /** Resolves with the first event of `type` (for `ups`, at or after `sinceMs` epoch ms) once it is there. */
  waitForEvent(
    type: string,
    options?: { ups?: string; sinceMs?: number; timeoutMs?: number },
  ): Promise<UpsmonEvent>;
  /** Epoch ms of each SHUTDOWNCMD run. */
  shutdownCalls(): number[];
  waitForShutdown(options?: { timeoutMs?: number }): Promise<number>;
  /** Whether upsmon created its POWERDOWNFLAG file. */
  powerdownFlagExists(): boolean;
  /** `upsmon -c fsd` (SIGUSR1): forced shutdown, as a primary also sets FSD on the server. */
  requestFsd(): void;
  /** `upsmon -c reload` (SIGHUP). */
  reload(): void;
  logs(): string;
  /** SIGTERM (upsmon logs out), SIGKILL after a grace period; removes the dir. Idempotent. */
  stop(): Promise<void>;
}

function epochNsToMs(ns: string): number {
  // 19 digits do not fit a double exactly; split seconds and the rest.
  return Number(ns.slice(0, -6)) + Number(ns.slice(-6)) / 1e6;
}

function parseEvents(text: string): UpsmonEvent[] {
  const events: UpsmonEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [ns = '', type = '', ups = '', ...message] = line.split('\t');
    if (!/^\d{10,}$/.test(ns)) continue;
    events.push({ atMs: epochNsToMs(ns), type, ups, message: message.join('\t') });
  }
  return events;
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The shell step that runs inside the new mount namespace before exec'ing upsmon. No user data in it. */
const NAMESPACE_SCRIPT =
  'set -e; ' +
  'if [ -d /run/nut ]; then mount -t tmpfs -o mode=0755,size=1m upsmon-rig /run/nut; ' +
  'else mount -t tmpfs -o mode=0755,size=1m upsmon-rig /run; mkdir -p /run/nut; fi; ' +
  'exec "$0" "$@"';

/** Starts a real upsmon; always `await upsmon.stop()`. */
export async function startUpsmon(options: UpsmonOptions): Promise<UpsmonRig> {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new Error(
      `startUpsmon: needs root (a private mount namespace for /run/nut/upsmon.pid); running as uid ${String(uid)}`,
    );
  }
  const monitors = options.monitors ?? defaultMonitors(options);
  if (monitors.length === 0) throw new Error('startUpsmon: no MONITOR (give `rig` or `monitors`)');
  for (const monitor of monitors) {
    for (const word of [monitor.ups, monitor.host, monitor.user, monitor.password]) {
      if (!/^[\x21-\x7e]+$/.test(word) || /["\\#]/.test(word))
        throw new Error(
          `startUpsmon: ${JSON.stringify(word)} cannot be written into a MONITOR line`,
        );
    }
  }
  const dir = await makeTempDir('upsmon');
  const logLines: string[] = [];
  const t0 = performance.now();
  const sink: LogSink = (label, line) => {
    logLines.push(`+${(performance.now() - t0).toFixed(0).padStart(6)}ms [${label}] ${line}`);
    if (logLines.length > 5_000) logLines.splice(0, 1_000);
  };
  const files = {
    config: path.join(dir, 'upsmon.conf'),
    notify: path.join(dir, 'notify.sh'),
    shutdown: path.join(dir, 'shutdown.sh'),
    events: path.join(dir, 'events.log'),
    shutdownLog: path.join(dir, 'shutdown.log'),
    powerdownFlag: path.join(dir, 'killpower'),
  };
  const systems = monitors.map(
    (m) => `${m.ups}@${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}`,
  );
  let child: ManagedProcess | undefined;
  try {
    await fsp.writeFile(
      files.notify,
      `#!/bin/sh\n# upsmon NOTIFYCMD of the test rig: record, never act.\nprintf '%s\\t%s\\t%s\\t%s\\n' "$(date +%s%N)" "$NOTIFYTYPE" "$UPSNAME" "$1" >> '${files.events}'\n`,
      { mode: 0o755 },
    );
    await fsp.writeFile(
      files.shutdown,
      `#!/bin/sh\n# upsmon SHUTDOWNCMD of the test rig: NEVER a real shutdown, only a timestamp.\nprintf '%s\\n' "$(date +%s%N)" >> '${files.shutdownLog}'\n`,
      { mode: 0o755 },
    );
    const config = [
      ...monitors.map(
        (m, i) => `MONITOR ${systems[i]} ${m.powerValue ?? 1} ${m.user} ${m.password} ${m.role}`,
      ),
      `MINSUPPLIES ${options.minSupplies ?? 1}`,
      `SHUTDOWNCMD "${files.shutdown}"`,
      `NOTIFYCMD "${files.notify}"`,
      `POWERDOWNFLAG ${files.powerdownFlag}`,
      `POLLFREQ ${options.pollFreq ?? 1}`,
      `POLLFREQALERT ${options.pollFreqAlert ?? 1}`,
      `DEADTIME ${options.deadTime ?? 6}`,
      `HOSTSYNC ${options.hostSync ?? 5}`,
      `FINALDELAY ${options.finalDelay ?? 1}`,
      ...(options.nocommWarnTime === undefined ? [] : [`NOCOMMWARNTIME ${options.nocommWarnTime}`]),
      ...(options.rbWarnTime === undefined ? [] : [`RBWARNTIME ${options.rbWarnTime}`]),
      'RUN_AS_USER root',
      ...UPSMON_NOTIFY_TYPES.map((type) => `NOTIFYFLAG ${type} SYSLOG+EXEC`),
      ...(options.extraConfig ?? []),
      '',
    ].join('\n');
    await fsp.writeFile(files.config, config, { mode: 0o640 });

    const debugFlags = Array<string>(options.debug ?? 1).fill('-D');
    const unshare = [
      'unshare',
      '-m',
      '--propagation',
      'private',
      '/bin/sh',
      '-c',
      NAMESPACE_SCRIPT,
      NUT_BINARIES.upsmon,
      '-p',
      '-F',
      ...debugFlags,
    ];
    if (options.netns !== undefined && !/^[A-Za-z0-9_.-]+$/.test(options.netns))
      throw new Error(`startUpsmon: bad netns name ${JSON.stringify(options.netns)}`);
    const [file, ...argv] =
      options.netns === undefined
        ? unshare
        : ['nsenter', `--net=/run/netns/${options.netns}`, ...unshare];
    child = new ManagedProcess('upsmon', file!, argv, {
      env: { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: dir, NUT_ALTPIDPATH: dir },
      cwd: dir,
      sink,
    });
    const started = child;
    if ((options.waitForLogin ?? true) && (options.debug ?? 1) > 0) {
      for (const system of systems) {
        await waitFor(
          () => {
            if (!started.running)
              throw new Error(`upsmon exited during start-up (code ${String(started.exitCode)})`);
            const refused = started.output.find(
              (line) =>
                line.includes(`UPS [${system}] failed`) ||
                line.includes(`Can't login to UPS [${system}]`),
            );
            if (refused) throw new Error(`upsmon could not LOGIN to ${system}: ${refused.trim()}`);
            return started.output.some((line) => line.includes(`Logged into UPS ${system}`));
          },
          {
            timeoutMs: options.startTimeoutMs ?? 15_000,
            intervalMs: 10,
            description: `upsmon to log into ${system}`,
          },
        );
      }
    }
  } catch (error) {
    await child?.stop();
    await removeTempDir(dir);
    throw new Error(
      `startUpsmon failed: ${(error as Error).message}\n--- upsmon logs ---\n${logLines.join('\n')}`,
      { cause: error },
    );
  }
  const proc = child;
  let stopped = false;
  const events = (): UpsmonEvent[] => parseEvents(readIfExists(files.events));
  const shutdownCalls = (): number[] =>
    readIfExists(files.shutdownLog)
      .split('\n')
      .filter((line) => /^\d{10,}$/.test(line))
      .map(epochNsToMs);
  return {
    pid: proc.pid,
    dir,
    configFile: files.config,
    systems,
    get running() {
      return proc.running;
    },
    exited: proc.exited,
    events,
    async waitForEvent(type, waitOptions = {}) {
      const { ups, sinceMs = 0, timeoutMs = 20_000 } = waitOptions;
      try {
        return await waitFor(
          () =>
            events().find(
              (e) => e.type === type && e.atMs >= sinceMs && (ups === undefined || e.ups === ups),
            ),
          {
            timeoutMs,
            intervalMs: 20,
            description: `upsmon event ${type}${ups ? ` for ${ups}` : ''}`,
          },
        );
      } catch (error) {
        throw new Error(
          `${(error as Error).message}; events so far: ${JSON.stringify(events())}\n--- upsmon logs ---\n${logLines.join('\n')}`,
          { cause: error },
        );
      }
    },
    shutdownCalls,
    async waitForShutdown(waitOptions = {}) {
      const calls = await waitFor(
        () => (shutdownCalls().length > 0 ? shutdownCalls() : undefined),
        {
          timeoutMs: waitOptions.timeoutMs ?? 30_000,
          intervalMs: 20,
          description: 'SHUTDOWNCMD',
        },
      );
      return calls[0]!;
    },
    powerdownFlagExists: () => fs.existsSync(files.powerdownFlag),
    requestFsd: () => proc.signal('SIGUSR1'),
    reload: () => proc.signal('SIGHUP'),
    logs: () => logLines.join('\n'),
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc.stop();
      // Let any NOTIFYCMD still being forked finish writing before the dir goes away.
      await sleep(20);
      await removeTempDir(dir);
    },
  };
}

function defaultMonitors(options: UpsmonOptions): UpsmonMonitor[] {
  const { rig } = options;
  if (!rig) return [];
  const role = options.role ?? 'secondary';
  const user = options.user ?? (role === 'primary' ? RIG_USERS.monprimary : RIG_USERS.monuser);
  return [
    {
      ups: options.ups ?? rig.upses[0]!.name,
      host: rig.host,
      port: rig.port,
      user: user.name,
      password: user.password,
      role,
    },
  ];
}
