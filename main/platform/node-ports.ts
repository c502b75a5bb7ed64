/**
 * Production implementations of the core ports for plain Node (tray app, headless agent and
 * browser bridge alike): the system clock, a shell-free process runner and a console logger.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import {
  type ChildEnvironmentPolicy,
  NO_EXTRA_ENVIRONMENT,
  childEnvironment,
} from './child-environment';
import type {
  Clock,
  LogLevel,
  Logger,
  ProcessResult,
  ProcessRunOptions,
  ProcessRunner,
  TimerHandle,
} from './ports';

/** The real clock: Date.now for the wall clock, performance.now for monotonic time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn: () => void, ms: number): TimerHandle {
    // Node caps timers at 2^31-1 ms (~24.8 days) and fires at once beyond it; clamp instead.
    const id = setTimeout(fn, Math.min(Math.max(0, ms), 2_147_483_647));
    return { id };
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
};

export interface NodeProcessRunnerOptions {
  /** Bytes of stdout and of stderr kept (the last ones); default 64 KiB each. */
  maxOutputBytes?: number;
  /** Time between SIGTERM and SIGKILL after a timeout; default 2000 ms. */
  killGraceMs?: number;
  /** Time allowed after the process exited for its pipes to drain; default 250 ms. */
  drainMs?: number;
  /** What the child's environment may hold beyond the allow-list; read at each start (the config can change). */
  environment?: () => ChildEnvironmentPolicy;
}

/** Keeps the last `limit` bytes of a stream and counts what was dropped. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  text(): string {
    const body = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `[… ${this.dropped} earlier bytes dropped]\n${body}` : body;
  }
}

/** An actionable explanation of why a program could not be started. */
export function describeSpawnError(
  file: string,
  error: NodeJS.ErrnoException,
  cwd?: string,
): string {
  switch (error.code) {
    case 'ENOENT':
      return (
        `cannot run "${file}": not found (ENOENT). Give the program's absolute path, check that its "#!" ` +
        `interpreter exists${cwd ? ` and that the working directory "${cwd}" exists` : ''}. ` +
        'Commands run without a shell: put each argument in "args", not in the program path.'
      );
    case 'EACCES':
      return (
        `cannot run "${file}": permission denied (EACCES). Make it executable (chmod +x "${file}") ` +
        'and check that this user may read it and enter its folders.'
      );
    case 'ENOEXEC':
      return `cannot run "${file}": not an executable format (ENOEXEC). A script needs a "#!" line such as "#!/bin/sh".`;
    case 'E2BIG':
      return `cannot run "${file}": the argument list or environment is too large (E2BIG).`;
    default:
      return `cannot run "${file}": ${error.code ?? 'error'}: ${error.message}`;
  }
}

/**
 * Runs programs with spawn (never through a shell). The child gets its own process group on
 * POSIX so that a timeout ends the whole tree a hook script started (SIGTERM, then SIGKILL after
 * a grace period). Output is captured but bounded. The child's environment is the allow-list of
 * ./child-environment.ts (never the agent's whole environment) plus what the caller gives.
 */
export class NodeProcessRunner implements ProcessRunner {
  private readonly maxOutputBytes: number;
  private readonly killGraceMs: number;
  private readonly drainMs: number;
  private readonly environment: () => ChildEnvironmentPolicy;

  constructor(options: NodeProcessRunnerOptions = {}) {
    this.environment = options.environment ?? (() => NO_EXTRA_ENVIRONMENT);
    this.maxOutputBytes = options.maxOutputBytes ?? 64 * 1024;
    this.killGraceMs = options.killGraceMs ?? 2000;
    this.drainMs = options.drainMs ?? 250;
  }

  run(file: string, args: readonly string[], options: ProcessRunOptions): Promise<ProcessResult> {
    const startedAt = Date.now();
    const t0 = performance.now();
    const posix = process.platform !== 'win32';
    const stdout = new TailBuffer(this.maxOutputBytes);
    const stderr = new TailBuffer(this.maxOutputBytes);

    return new Promise<ProcessResult>((resolve) => {
      let child: ChildProcess;
      let settled = false;
      let timedOut = false;
      let spawnError: string | undefined;
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      const timers: ReturnType<typeof setTimeout>[] = [];

      const finish = () => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        child.stdout?.destroy();
        child.stderr?.destroy();
        const result: ProcessResult = {
          exitCode,
          signal: exitSignal,
          stdout: stdout.text(),
          stderr: stderr.text(),
          timedOut,
          startedAt,
          durationMs: Math.round((performance.now() - t0) * 10) / 10,
        };
        if (spawnError !== undefined) result.spawnError = spawnError;
        resolve(result);
      };

      const kill = (signal: NodeJS.Signals) => {
        if (child.pid === undefined) return;
        try {
          // The negative pid addresses the process group (detached: true made the child its leader).
          if (posix) process.kill(-child.pid, signal);
          else child.kill(signal);
        } catch {
          // Already gone.
        }
      };

      try {
        child = spawn(file, [...args], {
          cwd: options.cwd,
          env: { ...childEnvironment(process.env, this.environment()), ...options.env },
          stdio: ['ignore', 'pipe', 'pipe'],
          shell: false,
          windowsHide: true,
          detached: posix,
        });
      } catch (error) {
        // Synchronous failures: invalid arguments (e.g. a NUL byte) rather than a missing program.
        spawnError = describeSpawnError(file, error as NodeJS.ErrnoException, options.cwd);
        child = { pid: undefined } as ChildProcess;
        finish();
        return;
      }

      child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

      child.once('spawn', () => {
        try {
          options.onSpawn?.(child.pid);
        } catch {
          // A listener's failure must not affect the run.
        }
      });

      child.once('error', (error: NodeJS.ErrnoException) => {
        // 'error' without a pid: the program could not be started. With a pid it was a kill
        // failure, which the exit/close events still conclude.
        if (child.pid === undefined) {
          spawnError = describeSpawnError(file, error, options.cwd);
          finish();
        }
      });

      child.once('exit', (code, signal) => {
        exitCode = code;
        exitSignal = signal;
        // 'close' normally follows at once; a grandchild that escaped the process group may hold
        // the pipes open, so do not wait for it forever.
        timers.push(setTimeout(finish, this.drainMs));
      });

      child.once('close', (code, signal) => {
        exitCode = code;
        exitSignal = signal;
        finish();
      });

      const timeoutMs = Math.max(0, options.timeoutMs);
      timers.push(
        setTimeout(() => {
          if (settled || exitCode !== null || exitSignal !== null) return;
          timedOut = true;
          kill('SIGTERM');
          timers.push(
            setTimeout(() => {
              kill('SIGKILL');
              // Conclude even if the process cannot be reaped (e.g. stuck in the kernel).
              timers.push(setTimeout(finish, Math.max(this.drainMs, 1000)));
            }, this.killGraceMs),
          );
        }, timeoutMs),
      );
    });
  }
}

const levelOrder: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger writing one line per entry to stderr (stdout stays free for CLI output). */
export function createConsoleLogger(minLevel: LogLevel = 'info'): Logger {
  return {
    log(level, message, fields) {
      if (levelOrder[level] < levelOrder[minLevel]) return;
      let extra = '';
      if (fields && Object.keys(fields).length > 0) {
        try {
          extra = ` ${JSON.stringify(fields)}`;
        } catch {
          extra = ' [unserialisable fields]';
        }
      }
      process.stderr.write(
        `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${extra}\n`,
      );
    },
  };
}

/** Console logger at level info, or at the level in NUT_SENTINEL_LOG_LEVEL. */
export const consoleLogger: Logger = createConsoleLogger(
  (['debug', 'info', 'warn', 'error'] as const).find(
    (l) => l === process.env.NUT_SENTINEL_LOG_LEVEL,
  ) ?? 'info',
);
