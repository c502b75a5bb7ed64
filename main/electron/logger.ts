/**
 * The shell's Logger: JSON lines in `<userData>/logs/main.log` (0600), mirrored to the console
 * in development. The file is rotated by size — at start and while the app runs — to
 * `main.log.1` (one generation kept), so a long-running tray app never grows its log without
 * bound. Lines are written synchronously: a tray app logs little, and a line logged just before
 * the OS ends the session (Windows `session-end`) is on disk when the handler returns. Field
 * values under secret-looking names are redacted as a last line of defence (callers never pass
 * secrets in the first place).
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Logger, LogLevel } from '../platform/ports';
import { REDACTED } from '../platform/redaction';

export interface ShellLogger extends Logger {
  /** Make everything durable and close the file; later lines go to the console only. */
  flush(): Promise<void>;
  /** The same, synchronously (Windows session-end: nothing asynchronous runs after it). */
  flushSync(): void;
  readonly file: string | null;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_NAME = /pass(word|wd)?$|secret|token|credential|cookie|authorization/i;
/** main.log is rotated when the next line would make it larger than this. */
export const LOG_ROTATE_BYTES = 5 * 1024 * 1024;

export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_NAME.test(key)) out[key] = REDACTED;
    else if (value instanceof Error) out[key] = value.message;
    else if (value && typeof value === 'object' && !Array.isArray(value))
      out[key] = redactFields(value as Record<string, unknown>);
    else out[key] = value;
  }
  return out;
}

export interface FileLoggerOptions {
  /** Folder of main.log; null: console only. */
  dir: string | null;
  minLevel?: LogLevel;
  console?: boolean;
  now?: () => number;
  /** Rotation size (default 5 MiB). */
  maxBytes?: number;
}

export function createFileLogger(options: FileLoggerOptions): ShellLogger {
  const minLevel = LEVELS[options.minLevel ?? 'info'];
  const now = options.now ?? Date.now;
  const maxBytes = options.maxBytes ?? LOG_ROTATE_BYTES;
  let fd: number | null = null;
  let size = 0;
  let file: string | null = null;
  let consoleToo = options.console ?? false;

  const fileFailed = (what: string, error: unknown): void => {
    console.error(
      `[nut-sentinel] ${what}: ${error instanceof Error ? error.message : String(error)}`,
    );
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already broken
      }
    }
    fd = null;
    consoleToo = true;
  };

  const open = (target: string): void => {
    fd = openSync(target, 'a', 0o600);
    size = fstatSync(fd).size;
  };

  /** main.log → main.log.1 (replacing the older one), then a fresh main.log. */
  const rotate = (target: string): void => {
    if (fd !== null) closeSync(fd);
    fd = null;
    renameSync(target, `${target}.1`);
    open(target);
  };

  if (options.dir) {
    try {
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
      file = path.join(options.dir, 'main.log');
      open(file);
      if (size > maxBytes) rotate(file);
    } catch (error) {
      fileFailed(`cannot open a log file in ${options.dir}`, error);
      file = null;
    }
  } else {
    consoleToo = options.console ?? true;
  }

  const write = (line: string): void => {
    if (fd === null || file === null) return;
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    try {
      if (size > 0 && size + bytes.length > maxBytes) rotate(file);
      if (fd === null) return;
      writeSync(fd, bytes);
      size += bytes.length;
    } catch (error) {
      fileFailed(`log file ${file} failed`, error);
    }
  };

  const flushSync = (): void => {
    const current = fd;
    fd = null;
    consoleToo = true;
    if (current === null) return;
    try {
      fsyncSync(current);
    } catch {
      // fsync is not supported everywhere (some network filesystems): the data was written.
    }
    closeSync(current);
  };

  return {
    get file() {
      return file;
    },
    log(level, message, fields) {
      if (LEVELS[level] < minLevel) return;
      const line = JSON.stringify({
        t: new Date(now()).toISOString(),
        level,
        msg: message,
        ...(fields ? redactFields(fields) : {}),
      });
      write(line);
      if (consoleToo) (level === 'error' || level === 'warn' ? console.error : console.log)(line);
    },
    flush() {
      try {
        flushSync();
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    flushSync,
  };
}
