/**
 * The history schema, versioned with SQLite's `user_version`: migration N (1-based) takes a file
 * from version N-1 to N inside one transaction. Append new migrations; never edit a shipped one.
 *
 * Layout notes (readable with the sqlite3 CLI, see `samples_view`):
 * - `events`: one row per event, AUTOINCREMENT so an id is never reused after pruning.
 * - `monitors`: interns `master-id/ups-name` to a small integer for the sample rows.
 * - `samples`: WITHOUT ROWID, clustered on (monitor, at): a range query for one UPS reads
 *   contiguous pages, and the primary key is the (monitor, at) index. NULL = unknown, never 0.
 *   No foreign key to `monitors` (an extra lookup on every insert; the store keeps them in step).
 * - `fsd_reports`: the FSD test's JSON reports, whole.
 * - `outbox`: remote alerts per channel until delivered (main/channels/outbox.ts); `key` is the
 *   idempotency key (message id + channel), so a message is queued once however often it is offered.
 * - `outages`: one row per outage (main/outages), the record as JSON; `open_state` holds the
 *   tracker's running sums while the outage is in progress (NULL once it ended), so an outage
 *   survives a restart. Not pruned by age: the capacity estimate compares a battery's whole life.
 */
import type { SqliteDatabase } from './sqlite';

export const MIGRATIONS: readonly string[] = [
  // 1: initial schema
  `
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    monitor_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    type TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT
  );
  CREATE INDEX events_monitor_at ON events (monitor_id, at);
  CREATE INDEX events_at ON events (at);

  CREATE TABLE monitors (
    id INTEGER PRIMARY KEY,
    monitor_id TEXT NOT NULL UNIQUE
  );

  CREATE TABLE samples (
    monitor INTEGER NOT NULL,
    at INTEGER NOT NULL,
    charge REAL,
    runtime REAL,
    load REAL,
    input_voltage REAL,
    status TEXT,
    PRIMARY KEY (monitor, at)
  ) WITHOUT ROWID;

  CREATE VIEW samples_view AS
    SELECT m.monitor_id, s.at, strftime('%Y-%m-%dT%H:%M:%fZ', s.at / 1000.0, 'unixepoch') AS time_utc,
           s.charge, s.runtime, s.load, s.input_voltage, s.status
    FROM samples s JOIN monitors m ON m.id = s.monitor;

  CREATE TABLE fsd_reports (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    monitor_id TEXT NOT NULL,
    report TEXT NOT NULL
  );
  CREATE INDEX fsd_reports_monitor_at ON fsd_reports (monitor_id, at);
  CREATE INDEX fsd_reports_at ON fsd_reports (at);
  `,
  // 2: the alert outbox
  `
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    message TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT,
    done_at INTEGER
  );
  CREATE INDEX outbox_state_next ON outbox (state, next_at);
  CREATE INDEX outbox_created ON outbox (created_at);
  `,
  // 3: outage records (main/outages): the record as JSON, plus the tracker's running state while open
  `
  CREATE TABLE outages (
    id TEXT PRIMARY KEY,
    monitor_id TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    record TEXT NOT NULL,
    open_state TEXT
  );
  CREATE INDEX outages_monitor_started ON outages (monitor_id, started_at);
  CREATE INDEX outages_started ON outages (started_at);
  `,
  // 4: one naming scheme for event types, upsmon's (ONBATT, LOGIN_REFUSED): our own system, hook
  // and FSD-test types were kebab-case (login, hook-run, shutdown-begins). A refused LOGIN was
  // also logged as a system event next to its LOGIN_REFUSED notification: the twin goes.
  `
  DELETE FROM events
  WHERE kind = 'system' AND type = 'login-refused'
    AND EXISTS (
      SELECT 1 FROM events n
      WHERE n.kind = 'notify' AND n.type = 'LOGIN_REFUSED'
        AND n.monitor_id = events.monitor_id AND abs(n.at - events.at) <= 5000
    );
  UPDATE events SET type = upper(replace(type, '-', '_'))
  WHERE type <> upper(replace(type, '-', '_'));
  UPDATE outages SET record = json_set(record, '$.events', json((
    SELECT json_group_array(
      json_set(e.value, '$.type', upper(replace(json_extract(e.value, '$.type'), '-', '_')))
    )
    FROM json_each(outages.record, '$.events') e
  )))
  WHERE json_type(record, '$.events') = 'array';
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The file was written by a newer app version; it is set aside rather than misread. */
export class NewerSchemaError extends Error {
  constructor(readonly version: number) {
    super(
      `the history file has schema version ${version}, newer than this app's ${SCHEMA_VERSION}`,
    );
    this.name = 'NewerSchemaError';
  }
}

export function userVersion(db: SqliteDatabase): number {
  const row = db.all('PRAGMA user_version')[0];
  const value = row?.user_version;
  return typeof value === 'number' ? value : 0;
}

/** Brings the file to {@link SCHEMA_VERSION}; returns the version it found. */
export function migrate(db: SqliteDatabase): number {
  const found = userVersion(db);
  if (found > SCHEMA_VERSION) throw new NewerSchemaError(found);
  for (let version = found; version < SCHEMA_VERSION; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
  return found;
}
