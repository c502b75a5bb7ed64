/**
 * The SQLite engine of the self-contained agent: Node's built-in `node:sqlite` behind the subset
 * of node-sqlite3-wasm's API that the history store uses (main/history/sqlite.ts), so the store's
 * code is the same on both engines. The agent's build points sqlite.ts at this module
 * (main/packaging/agent-build.ts); everything else (Electron, the CLI from a clone, the tests on
 * Node 20) keeps node-sqlite3-wasm, which needs no native module and no particular Node.
 *
 * Why: the WebAssembly engine cost the 20-UPS agent 5–10 MB of peak RSS (its compiled code and
 * its own heap); the SQLite compiled into Node costs ≈ 2 MB. The file format is SQLite's either way, so a
 * history file moves between the two. Locking differs (the wasm VFS makes a `<db>.lock`
 * directory, native SQLite takes POSIX/Windows file locks); main/history/owner-lock.ts keeps
 * one owner per file across both.
 */

/** The part of node:sqlite used here (declared here: the project's @types/node is Node 20's). */
interface NodeSqliteStatement {
  run(...values: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  all(...values: unknown[]): unknown[];
}
interface NodeSqliteDatabase {
  readonly isOpen: boolean;
  readonly isTransaction: boolean;
  exec(sql: string): void;
  prepare(sql: string): NodeSqliteStatement;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (filename: string) => NodeSqliteDatabase;
}

/** Tells main/history/sqlite.ts which engine it was given. */
export const engine = 'node:sqlite';

type NativeValue = null | number | bigint | string | Uint8Array;
type BindValue = NativeValue | boolean;
/** The store binds positional values only. */
type BindValues = readonly BindValue[] | undefined;
type Row = Record<string, NativeValue>;

/**
 * node:sqlite is unflagged since Node 22.13. process.getBuiltinModule rather than an import: the
 * project's bundlers and types target Node 20, which has no such module. (Its one-time
 * "experimental" warning is turned off by the executable's execArgv, agent-build.ts.)
 */
const nodeSqlite = (
  process as unknown as { getBuiltinModule(id: string): unknown }
).getBuiltinModule('node:sqlite') as NodeSqliteModule;

/** node-sqlite3-wasm binds booleans as 0/1; node:sqlite refuses them. */
function bindable(value: BindValue): NativeValue {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

function bindArguments(values: BindValues): NativeValue[] {
  return (values ?? []).map(bindable);
}

/** SQLite's message alone, as node-sqlite3-wasm reports it (callers classify by message). */
export class SQLite3Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SQLite3Error';
  }
}

function sqliteCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    const native = error as { code?: unknown; errstr?: unknown; message?: unknown };
    if (native.code === 'ERR_SQLITE_ERROR') throw new SQLite3Error(String(native.message));
    throw error;
  }
}

export class Statement {
  private finalized = false;

  constructor(
    private readonly db: Database,
    private readonly statement: NodeSqliteStatement,
  ) {}

  run(values?: BindValues): { changes: number | bigint; lastInsertRowid: number | bigint } {
    this.assertReady();
    return sqliteCall(() => this.statement.run(...bindArguments(values)));
  }

  all(values?: BindValues): Row[] {
    this.assertReady();
    return sqliteCall(() => this.statement.all(...bindArguments(values)) as Row[]);
  }

  /** node:sqlite finalizes statements when they are collected or the database closes. */
  finalize(): void {
    if (this.finalized) throw new SQLite3Error('Statement already finalized');
    this.finalized = true;
  }

  private assertReady(): void {
    if (this.finalized) throw new SQLite3Error('Statement already finalized');
    if (!this.db.isOpen) throw new SQLite3Error('Database is closed');
  }
}

export class Database {
  private readonly db: NodeSqliteDatabase;

  constructor(filename: string) {
    try {
      this.db = new nodeSqlite.DatabaseSync(filename);
    } catch (error) {
      throw new SQLite3Error(
        `Could not open the database "${filename}": ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  get inTransaction(): boolean {
    this.assertOpen();
    return this.db.isTransaction;
  }

  exec(sql: string): void {
    this.assertOpen();
    sqliteCall(() => this.db.exec(sql));
  }

  prepare(sql: string): Statement {
    this.assertOpen();
    return new Statement(
      this,
      sqliteCall(() => this.db.prepare(sql)),
    );
  }

  all(sql: string, values?: BindValues): Row[] {
    return this.prepare(sql).all(values);
  }

  close(): void {
    this.assertOpen();
    sqliteCall(() => this.db.close());
  }

  private assertOpen(): void {
    if (!this.db.isOpen) throw new SQLite3Error('Database already closed');
  }
}
