/**
 * The shell's Logger: JSON lines in `<userData>/logs/main.log` (0600, rotated once at 5 MB),
 * mirrored to the console in development. Field values under secret-looking names are
 * redacted as a last line of defence (callers never pass secrets in the first place).
 */
import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Logger, LogLevel } from '../platform/ports';

export interface ShellLogger extends Logger {
  /** Write out everything buffered and close the file; later lines go to the console only. */
  flush(): Promise<void>;
  readonly file: string | null;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_NAME = /pass(word|wd)?$|secret|token|credential|cookie|authorization/i;
const ROTATE_BYTES = 5 * 1024 * 1024;

export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_NAME.test(key)) out[key] = '[redacted]';
    else if (value instanceof Error) out[key] = value.message;
    else if (value && typeof value === 'object' && !Array.isArray(value)) out[key] = redactFields(value as Record<string, unknown>);
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
}

export function createFileLogger(options: FileLoggerOptions): ShellLogger {
  const minLevel = LEVELS[options.minLevel ?? 'info'];
  const now = options.now ?? Date.now;
  let stream: WriteStream | null = null;
  let file: string | null = null;
  let consoleToo = options.console ?? false;

  if (options.dir) {
    try {
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
      file = path.join(options.dir, 'main.log');
      try {
        if (statSync(file).size > ROTATE_BYTES) renameSync(file, `${file}.1`);
      } catch {
        // no log yet
      }
      stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
      stream.on('error', (error) => {
        console.error(`[nut-sentinel] log file ${file} failed: ${error.message}`);
        stream = null;
        consoleToo = true;
      });
    } catch (error) {
      console.error(`[nut-sentinel] cannot open a log file in ${options.dir}: ${error instanceof Error ? error.message : String(error)}`);
      stream = null;
      file = null;
      consoleToo = true;
    }
  } else {
    consoleToo = options.console ?? true;
  }

  return {
    get file() {
      return file;
    },
    log(level, message, fields) {
      if (LEVELS[level] < minLevel) return;
      const line = JSON.stringify({ t: new Date(now()).toISOString(), level, msg: message, ...(fields ? redactFields(fields) : {}) });
      stream?.write(`${line}\n`);
      if (consoleToo) (level === 'error' || level === 'warn' ? console.error : console.log)(line);
    },
    flush() {
      const s = stream;
      stream = null;
      consoleToo = true;
      if (!s) return Promise.resolve();
      return new Promise<void>((resolve) => s.end(() => resolve()));
    },
  };
}
