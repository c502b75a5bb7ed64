/**
 * What every command gets besides its parsed arguments: where to write, the environment, and a
 * way to turn an async action that returns an exit code into a commander action.
 */
import type { Logger, LogLevel } from '../platform/ports';
import { EXIT } from './exit-codes';

/** A wrong command line that commander cannot see (e.g. a malformed UPS@HOST): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export class CliContext {
  /** Set by the action that ran; commander itself ignores return values. */
  exitCode: number = EXIT.ok;

  constructor(readonly io: CliIo) {}

  /** Wraps an action: its resolved number becomes the process's exit code. */
  action<A extends unknown[]>(run: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
    return async (...args: A) => {
      this.exitCode = await run(...args);
    };
  }

  /** Writes a line (or several) to stdout. */
  print(text = ''): void {
    this.io.out.write(`${text}\n`);
  }

  /** `--json` output: one pretty-printed document on stdout. */
  printJson(value: unknown): void {
    this.io.out.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Writes to stderr (errors, warnings, progress that is not the command's data). */
  warn(text: string): void {
    this.io.err.write(`${text}\n`);
  }

  logLevel(): LogLevel {
    return (
      (['debug', 'info', 'warn', 'error'] as const).find(
        (l) => l === this.io.env.NUT_SENTINEL_LOG_LEVEL,
      ) ?? 'info'
    );
  }

  /** The agent's log: one readable line per entry on stdout (a service manager's journal keeps it). */
  logger(minLevel: LogLevel = this.logLevel()): Logger {
    return {
      log: (level, message) => {
        if (LEVELS[level] < LEVELS[minLevel]) return;
        this.io.out.write(
          `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`,
        );
      },
    };
  }
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
