/**
 * Debian's upsd and dummy-ups as private child processes: what `web --demo` runs as its real
 * master (main/demo/real-master.ts), and what the test rig (main/testing/upsd-rig.ts) builds on.
 * Product code, so the built CLI never ships test helpers; nothing here imports electron.
 *
 * - {@link ManagedProcess}: a child this process owns, started through `setpriv --pdeathsig
 *   SIGKILL` so it dies with us even when we are killed hard; an exit handler is a second net.
 * - {@link makeTempDir}: temp dirs removed at exit; leftovers of dead processes are swept.
 * - {@link pingDriver}: wait until a driver serves its socket.
 * - {@link getFreePort}, {@link waitFor}, {@link sleep}: the small waits both need.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../platform/process-alive';

/** Debian's nut-server binaries (/sbin/upsd is a wrapper script: run the daemons from /lib/nut). */
export const NUT_DAEMONS = {
  upsd: '/lib/nut/upsd',
  dummyUps: '/lib/nut/dummy-ups',
  setpriv: '/usr/bin/setpriv',
} as const;

/** Whether upsd and dummy-ups can run here: installed, and root (they are started with `-u root`). */
export function canRunNutDaemons(): boolean {
  return (
    fs.existsSync(NUT_DAEMONS.upsd) &&
    fs.existsSync(NUT_DAEMONS.dummyUps) &&
    process.getuid?.() === 0
  );
}

// ---------------------------------------------------------------------------------------------
// Waiting and ports

/**
 * A TCP port that was free on `host` a moment ago (bind to port 0, read the port, release it).
 * Another process may grab it before you bind: callers must retry on EADDRINUSE (the rig does).
 */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`getFreePort: unexpected server address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Shown in the timeout error. */
  description?: string;
}

/**
 * Calls `check` every `intervalMs` until it returns a value other than `undefined`/`false`, and
 * resolves with that value. Exceptions thrown by `check` propagate (use try/catch inside to ignore).
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitForOptions = {},
): Promise<T> {
  const { timeoutMs = 5_000, intervalMs = 20, description = 'condition' } = options;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (performance.now() >= deadline)
      throw new Error(`waitFor: timed out after ${timeoutMs} ms waiting for ${description}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Config files

/** A value in double quotes for upsd/ups.conf files (`\\`, `"` and `#` escaped, as NUT's parser wants). */
export function confQuote(value: string): string {
  return `"${value.replace(/[\\"#]/g, (c) => `\\${c}`)}"`;
}

export interface DummyUps {
  name: string;
  /** `desc = "..."` (GET UPSDESC / LIST UPS). */
  desc?: string;
  /** Seconds between dummy-ups update passes (NUT's default 2; each pass sleeps 1 s). */
  pollInterval: number;
}

/** The ups.conf section of one dummy-ups UPS whose `<name>.dev` file lives in `etcDir`. */
export function dummyUpsSection(ups: DummyUps, etcDir: string): string[] {
  const lines = [
    `[${ups.name}]`,
    '\tdriver = dummy-ups',
    `\tport = ${path.join(etcDir, `${ups.name}.dev`)}`,
    '\tmode = dummy-once',
    `\tpollinterval = ${ups.pollInterval}`,
  ];
  if (ups.desc !== undefined) lines.push(`\tdesc = ${confQuote(ups.desc)}`);
  return lines;
}

/** A dummy-ups `.dev` file: one `name: value` line per variable (`driver.*` are the driver's own). */
export function dummyUpsDevFile(vars: Readonly<Record<string, string>>): string {
  const lines = Object.entries(vars)
    .filter(([name]) => !name.startsWith('driver.'))
    .map(([name, value]) => `${name}: ${value}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Process and temp-dir bookkeeping

const liveProcesses = new Set<ManagedProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Kills every live child (SIGKILL) and removes every registered temp dir, synchronously. */
function cleanUpNow(): void {
  for (const child of liveProcesses) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveProcesses.clear();
  for (const dir of liveDirs) fs.rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

const TERMINATING_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', cleanUpNow);
  // vitest ends its fork workers with SIGTERM, which skips 'exit' handlers: when nobody else
  // handles the signal, clean up, then re-raise it once our listeners are gone so that it does
  // what it would have done. Children would die anyway (pdeathsig); this also removes the dirs.
  // A program that handles the signal itself (`web --demo` on Ctrl-C) stops its daemons in
  // order, after logging out of them, and the 'exit' hook ends whatever is left.
  const listeners = new Map<NodeJS.Signals, () => void>();
  for (const signal of TERMINATING_SIGNALS) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return;
      cleanUpNow();
      for (const [other, listener] of listeners) process.off(other, listener);
      process.kill(process.pid, signal);
    };
    listeners.set(signal, onSignal);
    process.on(signal, onSignal);
  }
}

const hasSetpriv = fs.existsSync(NUT_DAEMONS.setpriv);
/** Temp dirs are named `nut-rig-<pid>-<kind>-XXXXXX` so leftovers of dead processes can be swept. */
const TEMP_PREFIX = 'nut-rig-';
let sweptStaleDirs = false;

/** Removes temp dirs left behind by test processes that died without running their exit handler. */
function sweepStaleDirs(): void {
  if (sweptStaleDirs) return;
  sweptStaleDirs = true;
  let entries: string[];
  try {
    entries = fs.readdirSync(os.tmpdir());
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^nut-rig-(\d+)-/.exec(entry);
    if (!match || Number(match[1]) === process.pid || isProcessAlive(Number(match[1]))) continue;
    fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
  }
}

/** A temp dir removed at process exit unless released earlier. */
export async function makeTempDir(kind: string): Promise<string> {
  installExitHook();
  sweepStaleDirs();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `${TEMP_PREFIX}${process.pid}-${kind}-`));
  liveDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

export type LogSink = (label: string, line: string) => void;

/**
 * A child process the rig owns. Started via `setpriv --pdeathsig SIGKILL` (the pid stays the same
 * across setpriv's exec), so it also dies when the test process is killed hard.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  running = true;
  frozen = false;
  /** Where output lines go; can be redirected (warm driver sets change owner). */
  sink: LogSink;
  /** This process's own output lines (the first 1000). */
  readonly output: string[] = [];

  constructor(
    readonly label: string,
    file: string,
    args: readonly string[],
    options: { env: NodeJS.ProcessEnv; cwd?: string; sink: LogSink; pdeathsig?: boolean },
  ) {
    installExitHook();
    this.sink = options.sink;
    const wrap = hasSetpriv && options.pdeathsig !== false;
    const [cmd, argv] = wrap
      ? [NUT_DAEMONS.setpriv, ['--pdeathsig', 'SIGKILL', '--', file, ...args]]
      : [file, [...args]];
    this.child = spawn(cmd, argv, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own session: a terminal's Ctrl-C reaches only us, and we stop it after logging out.
      // Only with pdeathsig, which still ends it if we die.
      detached: wrap,
    });
    if (this.child.pid === undefined) throw new Error(`could not start ${file}`);
    this.pid = this.child.pid;
    liveProcesses.add(this);
    // Never keep the test process alive by ourselves: rigs are stopped explicitly, and the exit
    // handler (plus pdeathsig) ends whatever is left when the process exits.
    this.child.unref();
    for (const stream of [this.child.stdout, this.child.stderr])
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    const pipeLines = (stream: NodeJS.ReadableStream | null): void => {
      if (!stream) return;
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        rest += chunk;
        const lines = rest.split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) this.emitLine(line);
      });
      stream.on('end', () => {
        if (rest.trim()) this.emitLine(rest);
      });
    };
    pipeLines(this.child.stdout);
    pipeLines(this.child.stderr);
    this.exited = new Promise<void>((resolve) => {
      this.child.once('error', (error) => {
        this.sink(this.label, `spawn error: ${error.message}`);
        this.running = false;
        liveProcesses.delete(this);
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.running = false;
        liveProcesses.delete(this);
        this.sink(
          this.label,
          `exited (pid ${this.pid}, code ${String(code)}, signal ${String(signal)})`,
        );
        resolve();
      });
    });
  }

  private emitLine(line: string): void {
    if (this.output.length < 1_000) this.output.push(line);
    this.sink(this.label, line);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // raced with exit
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited (and was reaped). */
  async stop(graceMs = 2_000): Promise<void> {
    if (!this.running) return this.exited;
    this.signal('SIGTERM');
    if (this.frozen) this.signal('SIGCONT');
    this.frozen = false;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      sleep(graceMs).then(() => true),
    ]);
    if (timedOut) this.signal('SIGKILL');
    await this.exited;
  }
}

// ---------------------------------------------------------------------------------------------
// Drivers

/**
 * Connects to a driver's unix socket (the upsd↔driver protocol), sends PING and resolves with the
 * still-open socket once PONG arrives. Keep it open (it drains whatever the driver broadcasts) until
 * the driver has exited: dummy-ups 2.8.0 does not notice a client that went away, and the next
 * broadcast to it aborts the driver (`send_to_all ... Broken pipe`, then `*** bit out of range 0 -
 * FD_SETSIZE on fd_set ***`, SIGABRT; an upsd restart with old drivers hits the same bug, see main/nut/README.md).
 */
export async function pingDriver(socketPath: string, timeoutMs = 5_000): Promise<net.Socket> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await pingOnce(socketPath, Math.max(100, deadline - performance.now()));
    } catch (error) {
      // The socket file appears at bind(), a moment before listen(): retry refusals until the deadline.
      const code = (error as { code?: string }).code;
      if ((code !== 'ECONNREFUSED' && code !== 'ENOENT') || performance.now() >= deadline)
        throw error;
      await sleep(10);
    }
  }
}

function pingOnce(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ path: socketPath });
    let buffer = '';
    let done = false;
    const timer = setTimeout(
      () => fail(new Error(`driver at ${socketPath} did not answer PING within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (error: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write('PING\n'));
    socket.on('data', (chunk: string) => {
      if (done) return; // drained
      buffer += chunk;
      if (/(^|\n)PONG\r?\n/.test(buffer)) {
        done = true;
        clearTimeout(timer);
        buffer = '';
        resolve(socket);
      } else if (buffer.length > 65_536) buffer = buffer.slice(-1_024);
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      fail(
        Object.assign(new Error(`driver socket ${socketPath}: ${error.message}`), {
          code: error.code,
        }),
      ),
    );
    socket.on('close', () =>
      fail(new Error(`driver at ${socketPath} closed the socket before PONG`)),
    );
  });
}
