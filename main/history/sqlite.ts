/**
 * The one place that loads node-sqlite3-wasm (SQLite compiled to WebAssembly with a Node `fs`
 * VFS: no native module, so the same node_modules serves Electron and plain Node).
 *
 * The package is CommonJS and compiles its WebAssembly as it loads, so it is loaded with
 * `require` right here, after the V8 tuning (Liftoff only, see main/platform/v8-tuning.ts) is in
 * place; a static `import` would be hoisted above it. Types come from its ambient declaration.
 */
import { createRequire } from 'node:module';
import type * as NodeSqlite3Wasm from 'node-sqlite3-wasm';
import type {
  BindValues,
  Database as SqliteDatabase,
  SQLiteValue,
  Statement,
} from 'node-sqlite3-wasm';
import { applyV8Tuning } from '../platform/v8-tuning';

export type { BindValues, SqliteDatabase, Statement };

applyV8Tuning();
const sqlite = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof NodeSqlite3Wasm;

export const { Database } = sqlite;

/**
 * The engine this build runs on: node-sqlite3-wasm, or node:sqlite where the agent's build
 * switches the line above to main/history/sqlite-native.ts. They differ only in locking.
 */
export const sqliteEngine: 'node-sqlite3-wasm' | 'node:sqlite' =
  (sqlite as { engine?: 'node:sqlite' }).engine ?? 'node-sqlite3-wasm';

/**
 * SQLite3Error carries only `sqlite3_errmsg` text (no result code), so failures are classified by
 * SQLite's fixed English messages.
 */
export type SqliteFailure = 'corrupt' | 'locked' | 'full' | 'io' | 'other';

export function classifySqliteError(error: unknown): SqliteFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (
    /file is not a database|database disk image is malformed|malformed database schema|database corruption/i.test(
      message,
    )
  ) {
    return 'corrupt';
  }
  if (/database is locked|database table is locked/i.test(message)) return 'locked';
  if (/database or disk is full/i.test(message)) return 'full';
  if (/disk I\/O error|unable to open database file|could not open the database/i.test(message))
    return 'io';
  return 'other';
}

/** A column value as it comes back from node-sqlite3-wasm. */
export type SqlValue = SQLiteValue;
/** A result row (we never use the `expand` option, so rows are flat). */
export type Row = Record<string, SqlValue>;

/** `statement.all` with flat rows. */
export function allRows(statement: Statement, values?: BindValues): Row[] {
  return statement.all(values) as Row[];
}

export function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
