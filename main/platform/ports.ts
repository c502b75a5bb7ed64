/**
 * The ports through which the Electron-free core touches the outside world. Production code
 * passes the real implementations (main/platform/node-ports.ts); tests pass fakes or real ones.
 * Nothing here imports electron: the same core runs in the tray app, the headless agent and
 * the browser bridge.
 */
import type { DesktopNotification } from '../../shared/ipc';

/** Wall-clock and monotonic time plus timers, injectable so the state machine and timers are testable. */
export interface Clock {
  /** Milliseconds since the epoch (for logs, history and reports). */
  now(): number;
  /** Monotonic milliseconds (for durations and deadlines; never jumps with the wall clock). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  /** Opaque; only for clearTimeout. */
  readonly id: unknown;
}

/** Result of running an external program (hooks, shutdown command). Never through a shell. */
export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
  startedAt: number;
  durationMs: number;
}

/** The record of a run whose runner itself threw (a runner must not, but the record must not be lost). */
export function runnerFailure(error: unknown, startedAt: number): ProcessResult {
  return {
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    timedOut: false,
    spawnError: error instanceof Error ? error.message : String(error),
    startedAt,
    durationMs: 0,
  };
}

export interface ProcessRunOptions {
  env?: Record<string, string>;
  timeoutMs: number;
  cwd?: string;
  /**
   * Called once the program has been started (spawned), before it finishes; not called
   * when it could not be started. Lets the shutdown step return as soon as the shutdown
   * command runs. Runners that cannot tell may skip it (callers then wait for completion).
   */
  onSpawn?: (pid: number | undefined) => void;
}

export interface ProcessRunner {
  run(file: string, args: readonly string[], options: ProcessRunOptions): Promise<ProcessResult>;
}

/** OS sleep/resume notifications (Electron powerMonitor in the app; none in the agent). */
export interface PowerMonitorPort {
  onSuspend(listener: () => void): () => void;
  onResume(listener: () => void): () => void;
}

/** A desktop notification. The app and the headless agent share this port. */
/** Inferred from the contract's schema (the same shape `notifications:recent` returns). */
export type { DesktopNotification } from '../../shared/ipc';

export interface NotifierPort {
  notify(notification: DesktopNotification): Promise<void>;
}

/** Secrets (NUT passwords) live outside the config file: safeStorage in the app, a 0600 file or env in the agent. */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  /** `fields.monitorId` names the UPS an entry is about; without it the entry is about the whole machine. */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}
