/**
 * The event log and the metrics history, in one SQLite file (node-sqlite3-wasm: SQLite built to
 * WebAssembly with a Node `fs` VFS, so the tray app and the headless agent share one engine and
 * one file format with no native rebuild). No electron import: both hosts use this as is.
 *
 * Journal mode. The package's VFS has no shared-memory methods and locks with a `<db>.lock`
 * directory, so `journal_mode=WAL` is silently refused in the default locking mode (SQLite keeps
 * `delete`). With `locking_mode=EXCLUSIVE` SQLite keeps the WAL index in heap memory and WAL
 * works: one fsync per commit (`synchronous=FULL`, so an appended event survives a power cut, not
 * only an app crash), append-only writes, crash recovery from the `-wal` file on the next open.
 * The cost of EXCLUSIVE is that no other connection can read the file while it is open, which we
 * want anyway (see owner-lock.ts). If WAL is ever refused the store falls back to
 * `journal_mode=TRUNCATE` (rollback journal, equally crash safe, two fsyncs per commit) and says
 * so in {@link HistoryStats.journalMode}.
 *
 * Write path. Events are committed at once (autocommit, fsync) because the one just before a
 * crash or power loss is the one that matters. Samples are buffered and written in one
 * transaction per second (or every `flushMaxRows` rows), so the hot path costs an array push.
 * Reads flush first, so a query always sees what was appended.
 *
 * Failure policy. A file that cannot be opened, read, migrated or checked is moved aside as
 * `<file>.corrupt-<timestamp>` (with its `-wal`), a fresh file is started, and the store records
 * it in {@link HistoryStore.recoveries}, logs it and writes a `system` event `HISTORY_RESET`. If
 * even a fresh file cannot be made (read-only folder, disk full) the store runs in memory and says
 * so ({@link HistoryStore.inMemory}). The only error `open` throws is {@link HistoryLockedError}
 * (another live process, or another store in this process, has the file open), unless
 * `memoryFallback: false` asks for the underlying error instead of the in-memory fallback.
 *
 * Inspection. Stop the app and open the file with the sqlite3 CLI (`samples_view` joins the UPS
 * names in), or call {@link HistoryStore.exportCopy} while it runs. Do not point the CLI at the
 * live file: it does not see the VFS's directory lock and, on exit, would checkpoint the WAL
 * under the running app.
 *
 * Crash note: samples still in the buffer (at most about one second of them) are lost on a crash;
 * everything committed survives.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  EventQuerySchema,
  SampleQuerySchema,
  StoredEventSchema,
  sampleBucketMs,
  type EventKind,
  type EventQuery,
  type MetricSample,
  type SampleQuery,
  type Severity,
  type StoredEvent,
} from '../../shared/history';
import { systemClock } from '../platform/node-ports';
import type { Clock, Logger, TimerHandle } from '../platform/ports';
import {
  FsdReportHeaderSchema,
  type FsdReportHeader,
  type HistoryLog,
  type OutboxRow,
  type OutboxState,
  type PruneResult,
  type StoredOutageRow,
} from './history-log';
import { NewerSchemaError, SCHEMA_VERSION, migrate, userVersion } from './migrations';
import { HistoryLockedError, acquireOwnerLock, vfsLockDirPath, type OwnerLock } from './owner-lock';
import {
  Database,
  allRows,
  asNumber,
  asString,
  classifySqliteError,
  sqliteEngine,
  type BindValues,
  type Row,
  type SqlValue,
  type SqliteDatabase,
  type Statement,
} from './sqlite';

export { HistoryLockedError } from './owner-lock';
export {
  FsdReportHeaderSchema,
  type FsdReportHeader,
  type HistoryLog,
  type OutboxRow,
  type OutboxState,
  type PruneResult,
  type StoredOutageRow,
} from './history-log';

const DAY_MS = 86_400_000;
/** `HistoryStore.open(':memory:', …)`: a store that keeps nothing on disk, on purpose. */
const MEMORY_PATH = ':memory:';

export interface HistoryStoreOptions {
  /** Events and samples older than this are deleted by {@link HistoryStore.prune}. */
  retentionDays: number;
  /** At most this many events are kept (the oldest go first). */
  maxEvents: number;
  clock?: Clock;
  logger?: Logger;
  /** Buffered samples are written at most this long after they were appended (default 1000 ms). */
  flushIntervalMs?: number;
  /** …or as soon as this many are buffered (default 500). */
  flushMaxRows?: number;
  /** FSD test reports kept, newest first (default 500). They are not pruned by age. */
  maxFsdReports?: number;
  /**
   * When to run `PRAGMA quick_check` on an existing file at open. It reads the whole file (about
   * 1 s for a 77 MB month of 5 s samples from 4 UPSes), so by default only after the previous
   * owner died without closing (crash, power loss): `after-crash`. Damage found later, on use,
   * is recovered from the same way.
   */
  checkOnOpen?: 'always' | 'after-crash' | 'never';
  /** Prune once right after opening (default true). */
  pruneOnOpen?: boolean;
  /** When not even a fresh file can be created, keep working in memory instead of throwing (default true). */
  memoryFallback?: boolean;
  /** Rows deleted per transaction while pruning (default 20,000), so a big backlog does not swell the WAL. */
  pruneChunkRows?: number;
}

/** Something the store did to keep going: a file set aside, or a fall back to memory. */
export interface HistoryRecovery {
  at: number;
  reason: 'corrupt' | 'newer-schema' | 'unopenable';
  /** What SQLite or the file system said. */
  error: string;
  /** Where the bad file went; null if it could not be moved (or there was none). */
  movedTo: string | null;
  /** true: the store runs in memory from here on (nothing is persisted). */
  inMemory: boolean;
  /** What to do about it, when the file system's answer tells. */
  fix?: string;
}

function rowToOutbox(row: Row): OutboxRow {
  return {
    id: asNumber(row.id) ?? 0,
    key: asString(row.key) ?? '',
    channel: asString(row.channel) ?? '',
    createdAt: asNumber(row.created_at) ?? 0,
    message: asString(row.message) ?? '{}',
    state: (asString(row.state) ?? 'pending') as OutboxState,
    attempts: asNumber(row.attempts) ?? 0,
    nextAt: asNumber(row.next_at) ?? 0,
    lastError: asString(row.last_error),
  };
}

export interface HistoryStats {
  path: string;
  inMemory: boolean;
  journalMode: string;
  /** SQLite `synchronous`: `full` = every commit is fsynced. */
  synchronous: string;
  schemaVersion: number;
  events: number;
  samples: number;
  monitors: number;
  fsdReports: number;
  /** Samples appended but not yet written. */
  pendingSamples: number;
  /** Database file plus its WAL, in bytes. */
  fileBytes: number;
  walBytes: number;
  pageSize: number;
  pageCount: number;
  freePages: number;
  oldestEventAt: number | null;
  oldestSampleAt: number | null;
}

/** Outage records kept (newest first); not pruned by age, so a battery's whole life stays comparable. */
const MAX_OUTAGES = 20_000;

function parseJson(value: SqlValue | undefined): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

interface EventRow {
  id: SqlValue;
  at: SqlValue;
  monitor_id: SqlValue;
  kind: SqlValue;
  type: SqlValue;
  severity: SqlValue;
  message: SqlValue;
  data: SqlValue;
}

const SAMPLE_COLUMNS = 'at, charge, runtime, load, input_voltage, status';
const EVENT_COLUMNS = 'id, at, monitor_id, kind, type, severity, message, data';
/** Prepared statements for ad-hoc event queries kept at most. */
const STATEMENT_CACHE_LIMIT = 64;

class OpenFailure extends Error {
  constructor(
    readonly reason: 'corrupt' | 'newer-schema' | 'unopenable',
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The fix for a history folder that cannot be created or written, from the file system's code. */
export function folderFix(error: unknown, file: string): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const folder = path.dirname(file);
  if (code === 'EEXIST' || code === 'ENOTDIR')
    return `Something on the path ${folder} is a file, not a folder: give the history a folder (the agent's --data-dir).`;
  if (code === 'EACCES' || code === 'EPERM') {
    const uid = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
    return `This user${uid} may not write ${folder}: change its owner or permissions, or give another --data-dir.`;
  }
  if (code === 'EROFS') return `${folder} is on a read-only file system: give another --data-dir.`;
  return undefined;
}

/** Unknown stays null: NaN, ±Infinity and non-numbers are not readings. -0 is 0. */
function reading(value: unknown): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  return value === 0 ? 0 : value;
}

function stringifyData(data: Record<string, unknown>): string {
  try {
    return JSON.stringify(data);
  } catch (error) {
    // BigInt, cycles: keep the event, say why its data is missing.
    return JSON.stringify({ unserializable: errorText(error) });
  }
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    return { value };
  } catch {
    return { raw: text };
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function timestampSuffix(now: number): string {
  return new Date(now).toISOString().replace(/[:.]/g, '-');
}

function fileSize(filePath: string): number {
  try {
    return fs.statSync(filePath).size;
  } catch {
    return 0;
  }
}

interface OpenedDatabase {
  db: SqliteDatabase;
  journalMode: string;
}

/** Opens, configures, checks and migrates one database file; throws {@link OpenFailure} or HistoryLockedError. */
function openDatabase(filePath: string | null, quickCheck: boolean): OpenedDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(filePath ?? ':memory:');
  } catch (error) {
    throw new OpenFailure('unopenable', error);
  }
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    // The first read: a non-database file fails here ("file is not a database").
    const pageCount = asNumber(db.all('PRAGMA page_count')[0]?.page_count) ?? 0;
    // A newer app's file is left exactly as it is (not even switched to WAL).
    const version = userVersion(db);
    if (version > SCHEMA_VERSION) throw new NewerSchemaError(version);
    // Must precede the first table; lets prune hand freed pages back to the file system.
    if (pageCount === 0) db.exec('PRAGMA auto_vacuum = INCREMENTAL');
    let journalMode = asString(db.all('PRAGMA journal_mode = WAL')[0]?.journal_mode) ?? 'unknown';
    if (filePath !== null && journalMode !== 'wal') {
      journalMode =
        asString(db.all('PRAGMA journal_mode = TRUNCATE')[0]?.journal_mode) ?? 'unknown';
    }
    db.exec('PRAGMA synchronous = FULL');
    // Truncate the WAL back to 4 MiB after a checkpoint (a big prune can swell it).
    db.exec('PRAGMA journal_size_limit = 4194304');
    if (quickCheck && pageCount > 0) {
      const rows = db.all('PRAGMA quick_check');
      const verdict = rows.map((r) => asString(r.quick_check) ?? '').join('; ');
      if (verdict !== 'ok')
        throw new Error(`database disk image is malformed: ${verdict.slice(0, 500)}`);
    }
    migrate(db);
    return { db, journalMode };
  } catch (error) {
    try {
      db.close();
    } catch {
      // Closing a half-open connection can fail too; the file is handled by the caller.
    }
    if (error instanceof NewerSchemaError) throw new OpenFailure('newer-schema', error);
    if (classifySqliteError(error) === 'locked' && filePath !== null) {
      throw new HistoryLockedError(
        filePath,
        null,
        sqliteEngine === 'node:sqlite'
          ? 'another program holds SQLite’s lock on it without an owner file; close that program'
          : `SQLite's lock directory ${vfsLockDirPath(filePath)} exists without an owner file; if no program uses the file, remove that directory`,
      );
    }
    throw new OpenFailure(classifySqliteError(error) === 'io' ? 'unopenable' : 'corrupt', error);
  }
}

/** The file could not be used even after setting it aside (or must not be set aside). */
class StartFailure extends Error {
  constructor(
    readonly reason: HistoryRecovery['reason'],
    message: string,
    readonly movedTo: string | null,
  ) {
    super(message);
  }
}

/**
 * Opens the file; if it is corrupt, unreadable or from a newer version, moves it aside (recorded
 * in `recoveries`) and opens a fresh one. A full disk is not the file's fault: nothing is moved.
 */
function openOrSetAside(
  filePath: string,
  quickCheck: boolean,
  clock: Clock,
  recoveries: HistoryRecovery[],
): OpenedDatabase {
  try {
    return openDatabase(filePath, quickCheck);
  } catch (error) {
    if (!(error instanceof OpenFailure)) throw error;
    if (classifySqliteError(error.cause) === 'full')
      throw new StartFailure('unopenable', error.message, null);
    const label =
      error.cause instanceof NewerSchemaError ? `newer-v${error.cause.version}` : 'corrupt';
    let movedTo: string | null = null;
    try {
      movedTo = moveAside(filePath, label, clock.now());
      const opened = openDatabase(filePath, false);
      recoveries.push({
        at: clock.now(),
        reason: error.reason,
        error: error.message,
        movedTo,
        inMemory: false,
      });
      return opened;
    } catch (second) {
      throw new StartFailure(error.reason, `${error.message}; then: ${errorText(second)}`, movedTo);
    }
  }
}

/** Moves the database file (and its journal files) aside; returns the new name of the main file. */
function moveAside(filePath: string, label: string, now: number): string | null {
  if (!fs.existsSync(filePath)) return null;
  const target = `${filePath}.${label}-${timestampSuffix(now)}`;
  fs.renameSync(filePath, target);
  for (const suffix of ['-wal', '-journal', '-shm']) {
    try {
      fs.renameSync(filePath + suffix, target + suffix);
    } catch {
      // Absent, most of the time.
    }
  }
  return target;
}

export class HistoryStore implements HistoryLog {
  /** Recoveries done so far (at open, or later when the file turned out to be corrupt). */
  readonly recoveries: HistoryRecovery[] = [];

  private db: SqliteDatabase;
  private journalMode: string;
  private memory: boolean;
  private closed = false;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly flushIntervalMs: number;
  private readonly flushMaxRows: number;
  private retentionDays: number;
  private maxEvents: number;
  private maxFsdReports: number;
  private readonly pruneChunkRows: number;

  private pending: MetricSample[] = [];
  private warnedLateSample = false;
  private flushTimer: TimerHandle | null = null;
  private readonly monitorIds = new Map<string, number>();
  private statements = new Map<string, Statement>();

  private constructor(
    readonly path: string,
    opened: OpenedDatabase,
    private lock: OwnerLock | null,
    options: HistoryStoreOptions,
    clock: Clock,
  ) {
    this.db = opened.db;
    this.journalMode = opened.journalMode;
    this.memory = lock === null;
    this.clock = clock;
    this.logger = options.logger;
    this.flushIntervalMs = Math.max(0, options.flushIntervalMs ?? 1000);
    this.flushMaxRows = Math.max(1, options.flushMaxRows ?? 500);
    this.retentionDays = options.retentionDays;
    this.maxEvents = options.maxEvents;
    this.maxFsdReports = options.maxFsdReports ?? 500;
    this.pruneChunkRows = Math.max(1, Math.floor(options.pruneChunkRows ?? 20_000));
  }

  /**
   * Opens (creating folders and file as needed) the history at `filePath`, or an in-memory one
   * for `':memory:'`. Never throws for a bad
   * file (see the module comment); throws {@link HistoryLockedError} when another live process
   * or another store in this process has it open.
   */
  static open(filePath: string, options: HistoryStoreOptions): HistoryStore {
    const clock = options.clock ?? systemClock;
    if (filePath === MEMORY_PATH) {
      // Asked for (tests, demo mode): not a recovery, nothing to report.
      const store = new HistoryStore(MEMORY_PATH, openDatabase(null, false), null, options, clock);
      if (options.pruneOnOpen ?? true) store.prune();
      return store;
    }
    const resolved = path.resolve(filePath);
    const checkPolicy = options.checkOnOpen ?? 'after-crash';
    const recoveries: HistoryRecovery[] = [];
    /** Nothing on disk can be used: run in memory (or throw, if that is not allowed). */
    const fallBack = (error: unknown): void => {
      if (error instanceof HistoryLockedError || options.memoryFallback === false) throw error;
      const fix = folderFix(error, resolved);
      recoveries.push({
        at: clock.now(),
        reason: error instanceof StartFailure ? error.reason : 'unopenable',
        error: errorText(error),
        movedTo: error instanceof StartFailure ? error.movedTo : null,
        inMemory: true,
        ...(fix ? { fix } : {}),
      });
    };

    let lock: OwnerLock | null = null;
    let store: HistoryStore | null = null;
    try {
      fs.mkdirSync(path.dirname(resolved), { recursive: true });
      lock = acquireOwnerLock(resolved, clock.now());
    } catch (error) {
      fallBack(error);
    }
    if (lock !== null) {
      try {
        const check =
          checkPolicy === 'always' || (checkPolicy === 'after-crash' && lock.clearedStale !== null);
        const opened = openOrSetAside(resolved, check, clock, recoveries);
        store = new HistoryStore(resolved, opened, lock, options, clock);
      } catch (error) {
        lock.release();
        fallBack(error);
      }
    }

    // In memory only when nothing else worked (and memoryFallback allows it).
    store ??= new HistoryStore(resolved, openDatabase(null, false), null, options, clock);
    store.recoveries.push(...recoveries);
    for (const recovery of recoveries) store.reportRecovery(recovery);
    if (lock?.clearedStale) {
      store.logger?.log('info', 'history: cleared the lock of a process that is gone', {
        path: resolved,
        staleOwner: lock.clearedStale === 'unreadable' ? 'unreadable' : lock.clearedStale.pid,
      });
    }
    if (options.pruneOnOpen ?? true) {
      try {
        store.prune();
      } catch (error) {
        store.logger?.log('warn', 'history: prune at open failed', { error: errorText(error) });
      }
    }
    return store;
  }

  /** Samples appended and not yet written. */
  get pendingSamples(): number {
    return this.pending.length;
  }

  /** true when the file could not be used and nothing is persisted. */
  get inMemory(): boolean {
    return this.memory;
  }

  /** Applies changed history settings (they take effect at the next prune). */
  setLimits(limits: { retentionDays?: number; maxEvents?: number; maxFsdReports?: number }): void {
    if (limits.retentionDays !== undefined) this.retentionDays = limits.retentionDays;
    if (limits.maxEvents !== undefined) this.maxEvents = limits.maxEvents;
    if (limits.maxFsdReports !== undefined) this.maxFsdReports = limits.maxFsdReports;
  }

  // ---------------------------------------------------------------- events

  /** Writes the event at once (committed and synced before returning) and returns it with its id. */
  appendEvent(event: StoredEvent): StoredEvent {
    this.assertOpen();
    const parsed = StoredEventSchema.parse(event);
    const id = this.withRecovery(() => {
      const info = this.stmt(
        'INSERT INTO events (at, monitor_id, kind, type, severity, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run([
        parsed.at,
        parsed.monitorId,
        parsed.kind,
        parsed.type,
        parsed.severity,
        parsed.message,
        parsed.data === undefined ? null : stringifyData(parsed.data),
      ]);
      return Number(info.lastInsertRowid);
    });
    return { ...parsed, id };
  }

  /**
   * Events matching every given filter, newest first (by `at`, then id). `from`/`to` are
   * inclusive; `text` is a substring of the message (case-insensitive for ASCII); an empty `kinds`
   * or `types` list matches nothing.
   */
  queryEvents(query: EventQuery): StoredEvent[] {
    this.assertOpen();
    const q = EventQuerySchema.parse(query);
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (q.monitorId !== undefined) {
      where.push('monitor_id = ?');
      values.push(q.monitorId);
    }
    if (q.kinds !== undefined) {
      if (q.kinds.length === 0) return [];
      where.push(`kind IN (${q.kinds.map(() => '?').join(', ')})`);
      values.push(...q.kinds);
    }
    if (q.types !== undefined) {
      if (q.types.length === 0) return [];
      where.push(`type IN (${q.types.map(() => '?').join(', ')})`);
      values.push(...q.types);
    }
    if (q.from !== undefined) {
      where.push('at >= ?');
      values.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('at <= ?');
      values.push(q.to);
    }
    if (q.text !== undefined && q.text !== '') {
      where.push("message LIKE ? ESCAPE '\\'");
      values.push(`%${escapeLike(q.text)}%`);
    }
    const sql =
      `SELECT ${EVENT_COLUMNS} FROM events` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY at DESC, id DESC LIMIT ?';
    values.push(q.limit);
    const rows = this.withRecovery(() => this.rows(sql, values)) as unknown as EventRow[];
    return rows.map(rowToEvent);
  }

  // ---------------------------------------------------------------- samples

  /**
   * Buffers one sample; it is written within `flushIntervalMs` (or at once when the buffer is
   * full). Missing readings stay null. One sample per UPS and millisecond: a second one with the
   * same `at` replaces the first. After {@link close} samples are dropped (logged once), not thrown.
   */
  appendSample(sample: MetricSample): void {
    if (this.closed) {
      // A sampler tick racing shutdown: not worth an exception in a timer.
      if (!this.warnedLateSample)
        this.logger?.log('warn', 'history: sample appended after close was dropped');
      this.warnedLateSample = true;
      return;
    }
    if (typeof sample.monitorId !== 'string' || !Number.isFinite(sample.at)) {
      throw new TypeError('a sample needs a monitorId and a finite `at`');
    }
    this.pending.push({
      at: sample.at,
      monitorId: sample.monitorId,
      charge: reading(sample.charge),
      runtime: reading(sample.runtime),
      load: reading(sample.load),
      inputVoltage: reading(sample.inputVoltage),
      status: typeof sample.status === 'string' ? sample.status : null,
    });
    if (this.pending.length >= this.flushMaxRows) {
      this.flushQuietly();
    } else if (this.flushTimer === null) {
      this.flushTimer = this.clock.setTimeout(() => {
        this.flushTimer = null;
        this.flushQuietly();
      }, this.flushIntervalMs);
    }
  }

  /** Writes buffered samples now, in one transaction; returns how many. Throws on failure (the batch is dropped). */
  flush(): number {
    this.assertOpen();
    if (this.flushTimer !== null) {
      this.clock.clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.pending.length === 0) return 0;
    const batch = this.pending;
    this.pending = [];
    this.withRecovery(() => this.writeSamples(batch));
    return batch.length;
  }

  /**
   * Samples of one UPS in [from, to] (inclusive), oldest first. With at most `maxPoints` samples
   * in the range they come back unchanged; with more, they are averaged into time buckets of
   * {@link sampleBucketMs} width: one point per bucket that has samples (`at` = bucket start,
   * each reading = the average of its non-null values, null when all were null, `status` = that
   * of the bucket's latest sample). A bucket without samples has no point: gaps stay gaps.
   */
  querySamples(query: SampleQuery): MetricSample[] {
    this.assertOpen();
    const q = SampleQuerySchema.parse(query);
    if (q.to < q.from) return [];
    this.flushQuietly();
    return this.withRecovery(() => {
      const monitor = this.monitorKey(q.monitorId, false);
      if (monitor === null) return [];
      const raw = this.rows(
        `SELECT ${SAMPLE_COLUMNS} FROM samples WHERE monitor = ? AND at >= ? AND at <= ? ORDER BY at LIMIT ?`,
        [monitor, q.from, q.to, q.maxPoints + 1],
      );
      if (raw.length <= q.maxPoints) {
        return raw.map((row) => rowToSample(q.monitorId, asNumber(row.at) ?? 0, row));
      }
      const width = sampleBucketMs(q.from, q.to, q.maxPoints);
      // SQLite: with exactly one max() aggregate, the bare column `status` comes from the row holding the max.
      const rows = this.rows(
        `SELECT CAST((at - ?1) / ?2 AS INTEGER) AS bucket, max(at) AS last_at, status,
                avg(charge) AS charge, avg(runtime) AS runtime, avg(load) AS load, avg(input_voltage) AS input_voltage
           FROM samples WHERE monitor = ?3 AND at >= ?1 AND at <= ?4
           GROUP BY bucket ORDER BY bucket`,
        [q.from, width, monitor, q.to],
      );
      return rows.map((row) =>
        rowToSample(q.monitorId, q.from + (asNumber(row.bucket) ?? 0) * width, row),
      );
    });
  }

  // ---------------------------------------------------------------- FSD test reports

  /** Stores (or replaces, by id) one FSD test report. Its JSON is kept whole. */
  saveFsdReport<T extends { id: string; at: number; monitorId: string }>(report: T): void {
    this.assertOpen();
    const header = FsdReportHeaderSchema.parse(report);
    const json = JSON.stringify(report);
    this.withRecovery(() =>
      this.stmt(
        'INSERT OR REPLACE INTO fsd_reports (id, at, monitor_id, report) VALUES (?, ?, ?, ?)',
      ).run([header.id, header.at, header.monitorId, json]),
    );
  }

  /** Reports, newest first, of one UPS or of all. */
  listFsdReports(monitorId?: string, limit = 100): FsdReportHeader[] {
    this.assertOpen();
    const rows = this.withRecovery(() =>
      monitorId === undefined
        ? this.rows('SELECT report FROM fsd_reports ORDER BY at DESC, id DESC LIMIT ?', [limit])
        : this.rows(
            'SELECT report FROM fsd_reports WHERE monitor_id = ? ORDER BY at DESC, id DESC LIMIT ?',
            [monitorId, limit],
          ),
    );
    return rows.map((row) => parseReport(row.report)).filter((report) => report !== null);
  }

  getFsdReport(id: string): FsdReportHeader | null {
    this.assertOpen();
    const row = this.withRecovery(
      () => this.rows('SELECT report FROM fsd_reports WHERE id = ?', [id])[0],
    );
    return row === undefined ? null : parseReport(row.report);
  }

  // ---------------------------------------------------------------- outage records

  /** Stores (or replaces, by id) one outage record; `openState` while it is in progress, else null. */
  saveOutage(row: StoredOutageRow): void {
    this.assertOpen();
    this.withRecovery(() =>
      this.stmt(
        'INSERT OR REPLACE INTO outages (id, monitor_id, started_at, ended_at, record, open_state) VALUES (?, ?, ?, ?, ?, ?)',
      ).run([
        row.id,
        row.monitorId,
        row.startedAt,
        row.endedAt,
        JSON.stringify(row.record),
        row.openState === null ? null : JSON.stringify(row.openState),
      ]),
    );
    if (row.endedAt !== null) this.pruneOutages();
  }

  /** Outage rows, newest first, of one UPS or of all; `openOnly`: those still in progress. */
  listOutages(
    options: { monitorId?: string; limit?: number; openOnly?: boolean } = {},
  ): StoredOutageRow[] {
    this.assertOpen();
    const where: string[] = [];
    const values: SqlValue[] = [];
    if (options.monitorId !== undefined) {
      where.push('monitor_id = ?');
      values.push(options.monitorId);
    }
    if (options.openOnly) where.push('open_state IS NOT NULL');
    values.push(options.limit ?? 500);
    const rows = this.withRecovery(() =>
      this.rows(
        `SELECT id, monitor_id, started_at, ended_at, record, open_state FROM outages${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`,
        values,
      ),
    );
    return rows.flatMap((row) => {
      const record = parseJson(row.record);
      if (record === undefined) return [];
      const openState = row.open_state === null ? null : (parseJson(row.open_state) ?? null);
      return [
        {
          id: asString(row.id) ?? '',
          monitorId: asString(row.monitor_id) ?? '',
          startedAt: asNumber(row.started_at) ?? 0,
          endedAt: asNumber(row.ended_at),
          record,
          openState,
        },
      ];
    });
  }

  getOutage(id: string): StoredOutageRow | null {
    this.assertOpen();
    const row = this.withRecovery(
      () =>
        this.rows(
          'SELECT id, monitor_id, started_at, ended_at, record, open_state FROM outages WHERE id = ?',
          [id],
        )[0],
    );
    if (!row) return null;
    const record = parseJson(row.record);
    if (record === undefined) return null;
    return {
      id: asString(row.id) ?? '',
      monitorId: asString(row.monitor_id) ?? '',
      startedAt: asNumber(row.started_at) ?? 0,
      endedAt: asNumber(row.ended_at),
      record,
      openState: row.open_state === null ? null : (parseJson(row.open_state) ?? null),
    };
  }

  private pruneOutages(): void {
    this.stmt(
      'DELETE FROM outages WHERE id IN (SELECT id FROM outages ORDER BY started_at DESC, id DESC LIMIT -1 OFFSET ?)',
    ).run([MAX_OUTAGES]);
  }

  // ---------------------------------------------------------------- alert outbox

  /**
   * Queues a message for a channel unless one with the same idempotency key is already queued
   * (or was delivered); committed before returning, so it survives a crash. Returns whether it was new.
   */
  enqueueOutbox(entry: {
    key: string;
    channel: string;
    createdAt: number;
    message: string;
    nextAt?: number;
  }): boolean {
    this.assertOpen();
    return this.withRecovery(
      () =>
        this.stmt(
          'INSERT OR IGNORE INTO outbox (key, channel, created_at, message, state, attempts, next_at) VALUES (?, ?, ?, ?, ?, 0, ?)',
        ).run([
          entry.key,
          entry.channel,
          entry.createdAt,
          entry.message,
          'pending',
          entry.nextAt ?? entry.createdAt,
        ]).changes > 0,
    );
  }

  /** Pending outbox rows (oldest first), all of them or those due by `dueBy`. */
  pendingOutbox(options: { dueBy?: number; channel?: string; limit?: number } = {}): OutboxRow[] {
    this.assertOpen();
    const rows = this.withRecovery(() =>
      this.rows(
        `SELECT * FROM outbox WHERE state = 'pending' AND next_at <= ?1 AND (?2 IS NULL OR channel = ?2) ORDER BY created_at, id LIMIT ?3`,
        [options.dueBy ?? Number.MAX_SAFE_INTEGER, options.channel ?? null, options.limit ?? 1000],
      ),
    );
    return rows.map(rowToOutbox);
  }

  /** Records the outcome of one attempt: delivered, retry at `nextAt`, or given up (`failed`). */
  updateOutbox(
    id: number,
    update: {
      state: OutboxState;
      attempts: number;
      nextAt?: number;
      lastError?: string | null;
      doneAt?: number | null;
    },
  ): void {
    this.assertOpen();
    this.withRecovery(() =>
      this.stmt(
        'UPDATE outbox SET state = ?, attempts = ?, next_at = coalesce(?, next_at), last_error = ?, done_at = ? WHERE id = ?',
      ).run([
        update.state,
        update.attempts,
        update.nextAt ?? null,
        update.lastError ?? null,
        update.doneAt ?? null,
        id,
      ]),
    );
  }

  /** Counts per channel and state (for the delivery status). */
  outboxCounts(): { channel: string; state: OutboxState; count: number }[] {
    this.assertOpen();
    return this.withRecovery(() =>
      this.rows('SELECT channel, state, count(*) AS n FROM outbox GROUP BY channel, state'),
    ).map((row) => ({
      channel: asString(row.channel) ?? '',
      state: (asString(row.state) ?? 'pending') as OutboxState,
      count: asNumber(row.n) ?? 0,
    }));
  }

  /** Drops finished rows older than `before` (pending ones stay until delivered or given up). */
  pruneOutbox(before: number): number {
    this.assertOpen();
    return this.withRecovery(
      () =>
        this.stmt("DELETE FROM outbox WHERE state != 'pending' AND created_at < ?").run([before])
          .changes,
    );
  }

  // ---------------------------------------------------------------- upkeep

  /**
   * Deletes events and samples older than `retentionDays` before `now`, events beyond
   * `maxEvents` (oldest first) and FSD reports beyond `maxFsdReports`, then returns freed pages
   * to the file system so the file stays bounded. Call it periodically (e.g. hourly).
   */
  prune(now: number = this.clock.now()): PruneResult {
    this.assertOpen();
    this.flushQuietly();
    const cutoff = now - this.retentionDays * DAY_MS;
    return this.withRecovery(() => {
      const result: PruneResult = { events: 0, samples: 0, fsdReports: 0, freedPages: 0 };
      result.events += this.deleteInChunks(
        'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY at LIMIT ?)',
        [cutoff],
      );
      result.events += this.deleteInChunks(
        'DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY at DESC, id DESC LIMIT ? OFFSET ?)',
        [this.pruneChunkRows, this.maxEvents],
        false,
      );
      for (const row of this.rows('SELECT id FROM monitors'))
        result.samples += this.pruneSamples(asNumber(row.id) ?? -1, cutoff);
      result.fsdReports += this.stmt(
        'DELETE FROM fsd_reports WHERE id IN (SELECT id FROM fsd_reports ORDER BY at DESC, id DESC LIMIT -1 OFFSET ?)',
      ).run([this.maxFsdReports]).changes;
      result.freedPages = this.vacuumIfWorthIt();
      return result;
    });
  }

  stats(): HistoryStats {
    this.assertOpen();
    this.flushQuietly();
    const count = (sql: string): number => asNumber(this.rows(sql)[0]?.n) ?? 0;
    const pragma = (name: string): number =>
      asNumber((this.db.all(`PRAGMA ${name}`) as Row[])[0]?.[name]) ?? 0;
    const pageSize = pragma('page_size');
    const pageCount = pragma('page_count');
    const walBytes = this.memory ? 0 : fileSize(`${this.path}-wal`);
    return {
      path: this.path,
      inMemory: this.memory,
      journalMode: this.journalMode,
      synchronous: ['off', 'normal', 'full', 'extra'][pragma('synchronous')] ?? 'unknown',
      schemaVersion: SCHEMA_VERSION,
      events: count('SELECT count(*) AS n FROM events'),
      samples: count('SELECT count(*) AS n FROM samples'),
      monitors: count('SELECT count(*) AS n FROM monitors'),
      fsdReports: count('SELECT count(*) AS n FROM fsd_reports'),
      pendingSamples: this.pending.length,
      fileBytes: (this.memory ? pageSize * pageCount : fileSize(this.path)) + walBytes,
      walBytes,
      pageSize,
      pageCount,
      freePages: pragma('freelist_count'),
      oldestEventAt: asNumber(this.rows('SELECT min(at) AS n FROM events')[0]?.n),
      oldestSampleAt: asNumber(this.rows('SELECT min(at) AS n FROM samples')[0]?.n),
    };
  }

  /**
   * Writes a consistent, compacted copy of the history to `targetPath` (which must not exist), in
   * rollback-journal mode: the way to look at a running app's history with the sqlite3 CLI or to
   * attach it to a support bundle. The live file is held exclusively through a lock the CLI does
   * not know about, so it must not be opened by other tools while the app runs.
   */
  exportCopy(targetPath: string): void {
    this.assertOpen();
    this.flush();
    fs.mkdirSync(path.dirname(path.resolve(targetPath)), { recursive: true });
    this.stmt('VACUUM INTO ?').run([path.resolve(targetPath)]);
  }

  /** Writes buffered samples, checkpoints and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } catch (error) {
      this.logger?.log('error', 'history: samples lost at close', { error: errorText(error) });
    }
    this.closed = true;
    this.closeDatabase();
    this.lock?.release();
    this.lock = null;
  }

  // ---------------------------------------------------------------- internals

  private assertOpen(): void {
    if (this.closed) throw new Error('the history store is closed');
  }

  private rows(sql: string, values?: BindValues): Row[] {
    return allRows(this.stmt(sql), values);
  }

  private stmt(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) {
        // Evict the least recently added (Map keeps insertion order).
        const [oldestSql, oldest] = this.statements.entries().next().value as [string, Statement];
        oldest.finalize();
        this.statements.delete(oldestSql);
      }
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** The integer key of a monitor id; creates it when `create` (inside the caller's transaction). */
  private monitorKey(monitorId: string, create: boolean): number | null {
    const cached = this.monitorIds.get(monitorId);
    if (cached !== undefined) return cached;
    let row = this.rows('SELECT id FROM monitors WHERE monitor_id = ?', [monitorId])[0];
    if (row === undefined) {
      if (!create) return null;
      this.stmt('INSERT INTO monitors (monitor_id) VALUES (?)').run([monitorId]);
      row = this.rows('SELECT id FROM monitors WHERE monitor_id = ?', [monitorId])[0];
    }
    const key = asNumber(row?.id);
    if (key === null) throw new Error(`history: no key for monitor ${monitorId}`);
    this.monitorIds.set(monitorId, key);
    return key;
  }

  private writeSamples(batch: readonly MetricSample[]): void {
    const insert = this.stmt(
      'INSERT OR REPLACE INTO samples (monitor, at, charge, runtime, load, input_voltage, status) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const s of batch) {
        insert.run([
          this.monitorKey(s.monitorId, true),
          s.at,
          s.charge,
          s.runtime,
          s.load,
          s.inputVoltage,
          s.status,
        ]);
      }
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isOpen && this.db.inTransaction) this.db.exec('ROLLBACK');
      // Keys created in the rolled-back transaction are gone again.
      this.monitorIds.clear();
      throw error;
    }
  }

  /** For timers and the hot path: a failed flush is logged, never thrown. */
  private flushQuietly(): void {
    try {
      this.flush();
    } catch (error) {
      this.logger?.log('error', 'history: could not write samples; this batch is lost', {
        error: errorText(error),
      });
    }
  }

  /** Runs `sql` (whose last parameter is the chunk size, unless `limitLast` is false) until nothing is left. */
  private deleteInChunks(sql: string, values: unknown[], limitLast = true): number {
    const statement = this.stmt(sql);
    const bind = (limitLast ? [...values, this.pruneChunkRows] : values) as BindValues;
    let total = 0;
    for (;;) {
      const changes = statement.run(bind).changes;
      total += changes;
      if (changes < this.pruneChunkRows) return total;
    }
  }

  /**
   * Deletes one UPS's samples before `cutoff` as primary-key range deletes of at most
   * `pruneChunkRows` rows each (times are unique per UPS, so the chunk-th row bounds a chunk).
   * About 5× faster than `at IN (SELECT … LIMIT n)`, which seeks row by row.
   */
  private pruneSamples(monitor: number, cutoff: number): number {
    let total = 0;
    for (;;) {
      const bound = asNumber(
        this.rows(
          'SELECT at FROM samples WHERE monitor = ? AND at < ? ORDER BY at LIMIT 1 OFFSET ?',
          [monitor, cutoff, this.pruneChunkRows],
        )[0]?.at,
      );
      total += this.stmt('DELETE FROM samples WHERE monitor = ? AND at < ?').run([
        monitor,
        bound ?? cutoff,
      ]).changes;
      if (bound === null) return total;
    }
  }

  private vacuumIfWorthIt(): number {
    const free = asNumber(this.db.all('PRAGMA freelist_count')[0]?.freelist_count) ?? 0;
    const pages = asNumber(this.db.all('PRAGMA page_count')[0]?.page_count) ?? 0;
    if (free < 64 || free < pages / 20) return 0;
    this.db.exec('PRAGMA incremental_vacuum');
    if (!this.memory && this.journalMode === 'wal') this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    return free - (asNumber(this.db.all('PRAGMA freelist_count')[0]?.freelist_count) ?? 0);
  }

  /**
   * Runs a database operation; if SQLite reports the file corrupt, sets the file aside, starts a
   * fresh one and runs the operation once more on it.
   */
  private withRecovery<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      if (this.memory || classifySqliteError(error) !== 'corrupt') throw error;
      this.recoverFromCorruption(error);
      return operation();
    }
  }

  private recoverFromCorruption(error: unknown): void {
    const now = this.clock.now();
    this.closeDatabase();
    let movedTo: string | null = null;
    let recovery: HistoryRecovery;
    try {
      movedTo = moveAside(this.path, 'corrupt', now);
      const opened = openDatabase(this.path, false);
      this.db = opened.db;
      this.journalMode = opened.journalMode;
      recovery = { at: now, reason: 'corrupt', error: errorText(error), movedTo, inMemory: false };
    } catch (second) {
      const opened = openDatabase(null, false);
      this.db = opened.db;
      this.journalMode = opened.journalMode;
      this.memory = true;
      this.lock?.release();
      this.lock = null;
      recovery = {
        at: now,
        reason: 'corrupt',
        error: `${errorText(error)}; then: ${errorText(second)}`,
        movedTo,
        inMemory: true,
      };
    }
    this.recoveries.push(recovery);
    this.reportRecovery(recovery);
  }

  private closeDatabase(): void {
    if (this.flushTimer !== null) {
      this.clock.clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    for (const statement of this.statements.values()) {
      try {
        statement.finalize();
      } catch {
        // A statement of a broken connection; it goes with the connection.
      }
    }
    this.statements = new Map();
    this.monitorIds.clear();
    try {
      if (this.db.isOpen) this.db.close();
    } catch (error) {
      this.logger?.log('warn', 'history: closing the database failed', { error: errorText(error) });
    }
  }

  /** Logs a recovery and records it as a `system` event in the (new) history. */
  private reportRecovery(recovery: HistoryRecovery): void {
    const where = recovery.movedTo === null ? '' : ` It was moved to ${recovery.movedTo}.`;
    const then = recovery.inMemory
      ? ' History is kept in memory only until the app restarts.'
      : ' A new history file was started.';
    const cause =
      recovery.reason === 'newer-schema'
        ? 'was written by a newer version of the app'
        : recovery.reason === 'corrupt'
          ? 'is damaged'
          : 'could not be opened';
    const fix = recovery.fix ? ` ${recovery.fix}` : '';
    const message = `The history file ${this.path} ${cause} (${recovery.error}).${where}${then}${fix}`;
    this.logger?.log('error', `history: ${message}`, { ...recovery });
    try {
      this.appendEvent({
        at: recovery.at,
        monitorId: '*',
        kind: 'system',
        type: 'HISTORY_RESET',
        severity: 'warning',
        message,
        data: { reason: recovery.reason, movedTo: recovery.movedTo, inMemory: recovery.inMemory },
      });
    } catch (error) {
      this.logger?.log('error', 'history: could not record the recovery event', {
        error: errorText(error),
      });
    }
  }
}

function rowToEvent(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    id: asNumber(row.id) ?? 0,
    at: asNumber(row.at) ?? 0,
    monitorId: asString(row.monitor_id) ?? '',
    kind: (asString(row.kind) ?? 'system') as EventKind,
    type: asString(row.type) ?? '',
    severity: (asString(row.severity) ?? 'info') as Severity,
    message: asString(row.message) ?? '',
  };
  const data = asString(row.data);
  if (data !== null) event.data = parseJsonObject(data);
  return event;
}

function rowToSample(monitorId: string, at: number, row: Row): MetricSample {
  return {
    at,
    monitorId,
    charge: asNumber(row.charge),
    runtime: asNumber(row.runtime),
    load: asNumber(row.load),
    inputVoltage: asNumber(row.input_voltage),
    status: asString(row.status),
  };
}

/** A stored report, or null if its JSON was altered outside the app and lost its header. */
function parseReport(value: SqlValue | undefined): FsdReportHeader | null {
  const parsed = FsdReportHeaderSchema.safeParse(parseJsonObject(asString(value) ?? '{}'));
  return parsed.success ? parsed.data : null;
}
