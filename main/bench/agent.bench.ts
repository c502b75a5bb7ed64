/**
 * Resource use of the headless agent (`nut-sentinel agent --config FILE`, main/cli/index.ts) as a
 * separate Node process monitoring 1 and 20 UPSes of a real upsd (one rig with 20 UPS sections,
 * main/testing/upsd-rig.ts) with the product's default timings (status every 0.5 s, every
 * variable + LIST CLIENT + NUMLOGINS every 5 s, a history sample every 5 s into SQLite):
 *
 * - CPU: utime + stime of the agent process from /proc/<pid>/stat over the measuring window (after
 *   every UPS is logged in and a warm-up), as % of one core;
 * - memory: peak RSS (VmHWM, whole life including start-up) and the highest VmRSS sampled each
 *   second inside the window, from /proc/<pid>/status.
 *
 * The agent measured is the one users run, `node out/main/cli.js` (the package's `bin`), as
 * `npm run build` produced it (main/bench/build-check.ts: refused without a build, warned when
 * stale) — unless the self-contained agent (`npm run dist:agent`, main/packaging) is built, which
 * is then what is measured (the artifact servers run). NUT_BENCH_AGENT_ENTRY picks another built
 * entry (`out/main/cli.js` for the bundle under this node), or `source` for the sources through
 * tsx's loader (`node --import tsx main/cli/index.ts`, the dev script `npm run agent`; tsx's
 * esbuild helper is a separate process and not counted); NUT_BENCH_AGENT_NODE_FLAGS passes
 * Node/V8 flags (e.g. "--max-semi-space-size=1").
 * Env: NUT_BENCH_AGENT_SECONDS (default 60), NUT_BENCH_AGENT_COUNTS (default "0,1,20,20-off"; 0 = a
 * baseline agent with nothing configured: Node plus the idle app core; "-off" = history.enabled
 * false). The figures end with the issue's targets for 20 UPSes (AGENT_TARGETS), met or not.
 * Figures and targets, no exit code for a missed target. Needs root and nut-server 2.8.0.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, waitFor } from '../testing/net.js';
import {
  RIG_USERS,
  type Rig,
  SYNOLOGY_UPS_VARS,
  startUpsdRig,
  stopWarmDrivers,
} from '../testing/upsd-rig.js';
import { CLI_ENTRY } from '../testing/web-process.js';
import { version } from '../../package.json';
import { builtAgentExecutable } from '../packaging/artifact.js';
import { checkBuild } from './build-check.js';

export interface AgentRun {
  upses: number;
  /** history.enabled (false: no SQLite, events and outbox in memory). */
  history: boolean;
  seconds: number;
  /** CPU time (user + system) over the window, % of one core. */
  cpuPercent: number;
  cpuMsUser: number;
  cpuMsSystem: number;
  /** VmHWM at the end (MB): the peak over the whole life of the process. */
  peakRssMb: number;
  /** Highest VmRSS sampled (1 s) inside the window, and at its end (MB). */
  windowMaxRssMb: number;
  endRssMb: number;
  /** At the end: anonymous (heap, stacks, WebAssembly memory) and file-backed (code) resident MB. */
  endAnonMb: number;
  endFileMb: number;
  /** From spawn until every UPS was logged in (ms; polled every 200 ms). */
  startupMs: number;
  /** From spawn until the agent printed its first LOGIN event (ms), null without UPSes. */
  firstLoginMs: number | null;
  /** Lines the agent printed during the window (events would show here; expect none). */
  linesInWindow: number;
  /** NUMLOGINS summed over the UPSes right after SIGTERM + exit (expect 0: clean LOGOUT). */
  loginsAfterStop: number;
}

export interface AgentBenchResult {
  entry: string;
  loadAverage: number;
  cpus: number;
  runs: AgentRun[];
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PASSWORD_ENV = 'NUT_BENCH_AGENT_PASSWORD';

export function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process in clock ticks (/proc/<pid>/stat fields 14 and 15). */
export function cpuTicks(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/** A `VmXXX:   1234 kB` (or `RssXXX:`) line of /proc/<pid>/status in MB. */
export function vm(pid: number, key: 'VmHWM' | 'VmRSS' | 'RssAnon' | 'RssFile'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** The built entry to measure (the self-contained agent when built), or null for the sources through tsx. */
export function builtEntry(): string | null {
  const entry = process.env.NUT_BENCH_AGENT_ENTRY;
  if (entry === 'source') return null;
  if (entry) return path.resolve(root, entry);
  const artifact = selfContainedAgent();
  return artifact ?? CLI_ENTRY;
}

function selfContainedAgent(): string | null {
  let executable: string;
  try {
    executable = builtAgentExecutable(version);
  } catch {
    return null;
  }
  return installedCopy(executable);
}

let installed: { from: string; executable: string } | null = null;

/**
 * The self-contained agent as a user installs it: its release archive (the .tar.gz next to the
 * folder, what the .deb and the README's steps unpack too) extracted into a fresh folder, once
 * per bench run. Not the file `npm run dist:agent` just wrote: postject writes the 122 MiB
 * executable in one piece, which leaves it in the page cache as large folios, and this kernel
 * maps a whole folio on a fault — ≈ 15 MB more file-backed RSS (measured: 108 vs 93 MB peak for
 * 20 UPSes before the V8 flags) that no installed copy has (unpacked by tar or dpkg, or read
 * from disk after a reboot). NUT_BENCH_AGENT_ENTRY=dist/agent/… measures the built file as is.
 */
function installedCopy(executable: string): string {
  if (installed?.from === executable) return installed.executable;
  const folder = path.dirname(executable);
  const archive = `${folder}.tar.gz`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nut-bench-agent-install-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  execFileSync('tar', ['xzf', archive, '-C', dir]);
  const [unpacked] = readdirSync(dir);
  installed = {
    from: executable,
    executable: path.join(dir, unpacked!, path.basename(executable)),
  };
  return installed.executable;
}

/** How the entry is shown in the figures (the installed copy by the archive it came from). */
function shownEntry(file: string): string {
  return installed?.executable === file
    ? `${path.relative(root, `${path.dirname(installed.from)}.tar.gz`)}, unpacked`
    : path.relative(root, file);
}

export function agentCommand(
  configPath: string,
  dataDir: string,
): { file: string; args: string[]; entry: string; env?: NodeJS.ProcessEnv } {
  const entry = builtEntry();
  const nodeFlags = (process.env.NUT_BENCH_AGENT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const agentArgs = ['agent', '--config', configPath, '--data-dir', dataDir, '--no-notify'];
  const shown = (script: string) => ['node', ...nodeFlags, script].join(' ');
  if (entry && !/\.[cm]?js$/.test(entry)) {
    // The self-contained executable (npm run dist:agent): V8 flags only through NODE_OPTIONS.
    return {
      file: entry,
      args: agentArgs,
      entry: `${nodeFlags.length > 0 ? `NODE_OPTIONS="${nodeFlags.join(' ')}" ` : ''}${shownEntry(entry)}`,
      env: nodeFlags.length > 0 ? { NODE_OPTIONS: nodeFlags.join(' ') } : {},
    };
  }
  if (entry)
    return {
      file: process.execPath,
      args: [...nodeFlags, path.resolve(entry), ...agentArgs],
      entry: shown(path.relative(root, path.resolve(entry))),
    };
  const cli = path.join(root, 'main/cli/index.ts');
  return {
    file: process.execPath,
    args: [...nodeFlags, '--import', 'tsx', cli, ...agentArgs],
    entry: shown(`--import tsx ${path.relative(root, cli)}`),
  };
}

async function measure(
  count: number,
  history: boolean,
  seconds: number,
): Promise<{ run: AgentRun; entry: string }> {
  const upses = Array.from({ length: count }, (_, i) => ({
    name: `ups${i + 1}`,
    desc: `Bench UPS ${i + 1}`,
    vars: SYNOLOGY_UPS_VARS,
  }));
  let rig: Rig | undefined;
  let child: ChildProcess | undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nut-bench-agent-'));
  try {
    // 0 UPSes: a baseline (Node + the idle app core), no rig.
    rig =
      count > 0 ? await startUpsdRig({ upses, prewarm: false, startTimeoutMs: 60_000 }) : undefined;
    const config = {
      version: 1,
      masters: !rig
        ? []
        : [
            {
              id: 'bench',
              label: 'Bench rig',
              host: rig.host,
              port: rig.port,
              ups: upses.map((u) => ({
                name: u.name,
                role: 'secondary',
                username: RIG_USERS.monuser.name,
                password: { source: 'env', name: PASSWORD_ENV },
              })),
            },
          ],
      // Product defaults for timing, history and notifications; a harmless shutdown command anyway.
      shutdown: { command: { file: '/bin/true', args: [] }, dryRun: true },
      ...(history ? {} : { history: { enabled: false } }),
    };
    const configPath = path.join(dir, 'config.json');
    await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    const command = agentCommand(configPath, dir);
    const spawnedAt = performance.now();
    const agent = spawn(command.file, command.args, {
      cwd: root,
      env: {
        ...process.env,
        ...command.env,
        [PASSWORD_ENV]: RIG_USERS.monuser.password,
        NUT_SENTINEL_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = agent;
    let lines = 0;
    let output = '';
    let firstLoginMs: number | null = null;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (firstLoginMs === null && /EVENT LOGIN \[/.test(text))
        firstLoginMs = performance.now() - spawnedAt;
      lines += text.split('\n').length - 1;
      if (output.length < 20_000) output += text;
    };
    agent.stdout.on('data', onData);
    agent.stderr.on('data', onData);
    const pid = agent.pid!;
    const r = rig;
    await waitFor(
      async () => {
        if (agent.exitCode !== null)
          throw new Error(`the agent exited (code ${agent.exitCode}):\n${output}`);
        if (!r) return /monitoring 0 UPS/.test(output);
        const logins = await Promise.all(upses.map((u) => r.numLogins(u.name).catch(() => 0)));
        return logins.every((n) => n === 1);
      },
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        description: `the agent to log in to ${count} UPS(es)`,
      },
    );
    const startupMs = performance.now() - spawnedAt;
    await sleep(5_000); // warm-up: first full polls, first history samples, JIT

    const ticks = clockTicks();
    const linesBefore = lines;
    const before = cpuTicks(pid);
    const t0 = performance.now();
    let windowMaxRssMb = vm(pid, 'VmRSS');
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(1_000);
      windowMaxRssMb = Math.max(windowMaxRssMb, vm(pid, 'VmRSS'));
    }
    const after = cpuTicks(pid);
    const wallMs = performance.now() - t0;
    const peakRssMb = vm(pid, 'VmHWM');
    const endRssMb = vm(pid, 'VmRSS');
    const endAnonMb = vm(pid, 'RssAnon');
    const endFileMb = vm(pid, 'RssFile');
    const cpuMsUser = ((after.user - before.user) / ticks) * 1000;
    const cpuMsSystem = ((after.system - before.system) / ticks) * 1000;
    const linesInWindow = lines - linesBefore;

    const exited = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
    agent.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    child = undefined;
    const loginsAfterStop = r
      ? (await Promise.all(upses.map((u) => r.numLogins(u.name).catch(() => 0)))).reduce(
          (a, b) => a + b,
          0,
        )
      : 0;

    return {
      entry: command.entry,
      run: {
        upses: count,
        history,
        seconds: Math.round(wallMs / 100) / 10,
        cpuPercent: ((cpuMsUser + cpuMsSystem) / wallMs) * 100,
        cpuMsUser,
        cpuMsSystem,
        peakRssMb,
        windowMaxRssMb,
        endRssMb,
        endAnonMb,
        endFileMb,
        startupMs,
        firstLoginMs,
        linesInWindow,
        loginsAfterStop,
      },
    };
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rig?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** One agent run: `20` (history on) or `20-off` (history.enabled: false). */
export interface AgentCase {
  upses: number;
  history: boolean;
}

export function parseCases(text: string): AgentCase[] {
  return text.split(',').map((token) => {
    const match = /^\s*(\d+)(-off)?\s*$/.exec(token);
    if (!match)
      throw new Error(
        `NUT_BENCH_AGENT_COUNTS: "${token}" is not a UPS count (e.g. 20) or a count with history off (20-off)`,
      );
    return { upses: Number(match[1]), history: match[2] === undefined };
  });
}

/** The targets (issue 12): 20 UPSes, peak RSS ≤ 55 MB with history on, ≤ 50 MB off, LOGIN ≤ 0.5 s. */
export const AGENT_TARGETS = {
  cpuPercent: 1,
  peakRssMbHistoryOn: 55,
  peakRssMbHistoryOff: 50,
  firstLoginMs: 500,
} as const;

export async function benchAgent(
  options: { seconds?: number; cases?: AgentCase[] } = {},
): Promise<AgentBenchResult> {
  const seconds = options.seconds ?? Number(process.env.NUT_BENCH_AGENT_SECONDS ?? 60);
  const cases = options.cases ?? parseCases(process.env.NUT_BENCH_AGENT_COUNTS ?? '0,1,20,20-off');
  const entryFile = builtEntry();
  const warning = entryFile ? checkBuild([entryFile], 'agent') : null;
  if (warning) console.log(`agent: warning: ${warning}`);
  const loadAverage = os.loadavg()[0]!;
  const runs: AgentRun[] = [];
  let entry = '';
  try {
    for (const c of cases) {
      console.log(
        `agent: ${c.upses} UPS(es), history ${c.history ? 'on' : 'off'}, measuring ${seconds} s …`,
      );
      const measured = await measure(c.upses, c.history, seconds);
      entry = measured.entry;
      runs.push(measured.run);
    }
  } finally {
    await stopWarmDrivers();
  }
  const loadAfter = os.loadavg()[0]!;
  console.log(
    `\nheadless agent (${entry}), default timings, load ${loadAverage.toFixed(2)} → ${loadAfter.toFixed(2)} on ${os.cpus().length} CPUs`,
  );
  console.log(
    '  UPSes  history   CPU (% of one core)   user+sys ms   peak RSS (VmHWM)   max RSS in window   anon + file at end   start-up   first LOGIN   lines   logins after stop',
  );
  for (const r of runs) {
    console.log(
      `  ${String(r.upses).padStart(5)}  ${(r.history ? 'on' : 'off').padEnd(7)}   ${r.cpuPercent.toFixed(2).padStart(8)} %            ${(r.cpuMsUser + r.cpuMsSystem).toFixed(0).padStart(6)}     ${r.peakRssMb.toFixed(1).padStart(8)} MB        ${r.windowMaxRssMb.toFixed(1).padStart(8)} MB     ${r.endAnonMb.toFixed(1).padStart(5)} + ${r.endFileMb.toFixed(1).padStart(5)} MB   ${(r.startupMs / 1000).toFixed(1).padStart(5)} s   ${r.firstLoginMs === null ? '          -' : `${(r.firstLoginMs / 1000).toFixed(2).padStart(9)} s`}   ${String(r.linesInWindow).padStart(5)}   ${r.loginsAfterStop}`,
    );
  }
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  for (const history of [true, false]) {
    const twenty = runs.find((r) => r.upses === 20 && r.history === history);
    if (!twenty) continue;
    const rssTarget = history
      ? AGENT_TARGETS.peakRssMbHistoryOn
      : AGENT_TARGETS.peakRssMbHistoryOff;
    const login = twenty.firstLoginMs;
    console.log(
      `targets for 20 UPSes, history ${history ? 'on' : 'off'}: ` +
        `CPU < ${AGENT_TARGETS.cpuPercent} % of one core: ${met(twenty.cpuPercent < AGENT_TARGETS.cpuPercent)} (${twenty.cpuPercent.toFixed(2)} %); ` +
        `peak RSS <= ${rssTarget} MB: ${met(twenty.peakRssMb <= rssTarget)} (${twenty.peakRssMb.toFixed(1)} MB); ` +
        `first LOGIN <= ${AGENT_TARGETS.firstLoginMs / 1000} s: ${met(login !== null && login <= AGENT_TARGETS.firstLoginMs)} (${login === null ? 'none' : `${(login / 1000).toFixed(2)} s`})`,
    );
  }
  return { entry, loadAverage, cpus: os.cpus().length, runs };
}
