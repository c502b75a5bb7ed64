/**
 * The history with `history.enabled: false` (config): nothing is written to disk and SQLite's
 * WebAssembly (./sqlite.ts) is never loaded — the memory a small machine saves that way is
 * measured by `npm run bench -- agent`. What still works, in memory and only until the process
 * stops:
 *
 * - the event log: the last {@link MEMORY_EVENT_LIMIT} events (or `history.maxEvents` if lower
 *   — it cannot be, its minimum is 1,000), pruned by `retentionDays` like the file's;
 * - the alert outbox: messages are queued, delivered and retried with backoff as usual, but a
 *   message still pending when the process stops (or crashes) is lost instead of delivered after
 *   the next start;
 * - FSD test reports: the last {@link MEMORY_FSD_REPORT_LIMIT};
 * - outage records: the last {@link MEMORY_OUTAGE_LIMIT} (an outage in progress at a restart is
 *   not continued: its tracker state is gone with the process).
 *
 * Metrics samples are not kept at all: the charts stay empty (the live readings are unaffected).
 */
import {
  EventQuerySchema,
  StoredEventSchema,
  type EventQuery,
  type MetricSample,
  type SampleQuery,
  type StoredEvent,
} from '../../shared/history';
import { systemClock } from '../platform/node-ports';
import type { Clock } from '../platform/ports';
import {
  FsdReportHeaderSchema,
  type FsdReportHeader,
  type HistoryLog,
  type OutboxRow,
  type OutboxState,
  type PruneResult,
  type StoredOutageRow,
} from './history-log';

/** Events kept in memory at most (the newest). */
export const MEMORY_EVENT_LIMIT = 1000;
/** FSD test reports kept in memory at most (the newest). */
export const MEMORY_FSD_REPORT_LIMIT = 50;
/** Outage records kept in memory at most (the newest by start). */
export const MEMORY_OUTAGE_LIMIT = 100;

const DAY_MS = 86_400_000;

export interface MemoryHistoryOptions {
  retentionDays: number;
  maxEvents: number;
  clock?: Clock;
}

interface OutboxEntry extends OutboxRow {
  doneAt: number | null;
}

/** ASCII-only case folding, as SQLite's LIKE does it (the file store's text filter). */
function foldAscii(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function newestFirst(a: { at: number; id?: number }, b: { at: number; id?: number }): number {
  return b.at - a.at || (b.id ?? 0) - (a.id ?? 0);
}

function outageNewestFirst(a: StoredOutageRow, b: StoredOutageRow): number {
  return b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export class MemoryHistory implements HistoryLog {
  readonly inMemory = true;
  private readonly clock: Clock;
  private retentionDays: number;
  private maxEvents: number;
  private maxFsdReports = MEMORY_FSD_REPORT_LIMIT;
  /** Oldest first (appended in order; `at` may be out of order, queries sort). */
  private events: StoredEvent[] = [];
  private nextEventId = 1;
  private readonly reports = new Map<string, { header: FsdReportHeader; json: string }>();
  /** By id; rows are kept as JSON, so what callers get back is a copy, as from the file. */
  private readonly outages = new Map<string, { row: StoredOutageRow; json: string }>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly outboxById = new Map<number, OutboxEntry>();
  private nextOutboxId = 1;
  private closed = false;

  constructor(options: MemoryHistoryOptions) {
    this.clock = options.clock ?? systemClock;
    this.retentionDays = options.retentionDays;
    this.maxEvents = options.maxEvents;
  }

  setLimits(limits: { retentionDays?: number; maxEvents?: number; maxFsdReports?: number }): void {
    if (limits.retentionDays !== undefined) this.retentionDays = limits.retentionDays;
    if (limits.maxEvents !== undefined) this.maxEvents = limits.maxEvents;
    if (limits.maxFsdReports !== undefined)
      this.maxFsdReports = Math.min(limits.maxFsdReports, MEMORY_FSD_REPORT_LIMIT);
  }

  private get eventLimit(): number {
    return Math.min(this.maxEvents, MEMORY_EVENT_LIMIT);
  }

  appendEvent(event: StoredEvent): StoredEvent {
    this.assertOpen();
    const stored = { ...StoredEventSchema.parse(event), id: this.nextEventId++ };
    this.events.push(stored);
    // Drop in chunks so that a full log does not shift the array on every event.
    if (this.events.length > this.eventLimit + 100) this.trimEvents();
    return stored;
  }

  queryEvents(query: EventQuery): StoredEvent[] {
    this.assertOpen();
    const q = EventQuerySchema.parse(query);
    if (q.kinds?.length === 0 || q.types?.length === 0) return [];
    const text = q.text ? foldAscii(q.text) : '';
    const matches = this.newestEvents().filter(
      (e) =>
        (q.monitorId === undefined || e.monitorId === q.monitorId) &&
        (q.kinds === undefined || q.kinds.includes(e.kind)) &&
        (q.types === undefined || q.types.includes(e.type)) &&
        (q.from === undefined || e.at >= q.from) &&
        (q.to === undefined || e.at <= q.to) &&
        (text === '' || foldAscii(e.message).includes(text)),
    );
    return matches.slice(0, q.limit);
  }

  /** Samples are not kept with history off. */
  appendSample(sample: MetricSample): void {
    if (typeof sample.monitorId !== 'string' || !Number.isFinite(sample.at))
      throw new TypeError('a sample needs a monitorId and a finite `at`');
  }

  querySamples(_query: SampleQuery): MetricSample[] {
    this.assertOpen();
    return [];
  }

  saveFsdReport<T extends { id: string; at: number; monitorId: string }>(report: T): void {
    this.assertOpen();
    const header = FsdReportHeaderSchema.parse(report);
    this.reports.delete(header.id);
    this.reports.set(header.id, { header, json: JSON.stringify(report) });
    this.trimReports();
  }

  listFsdReports(monitorId?: string, limit = 100): FsdReportHeader[] {
    this.assertOpen();
    return [...this.reports.values()]
      .map((r) => r.header)
      .filter((h) => monitorId === undefined || h.monitorId === monitorId)
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit)
      .map((h) => this.getFsdReport(h.id)!);
  }

  getFsdReport(id: string): FsdReportHeader | null {
    this.assertOpen();
    const entry = this.reports.get(id);
    // A copy, as the file store parses its JSON: callers cannot change what is stored.
    return entry ? FsdReportHeaderSchema.parse(JSON.parse(entry.json)) : null;
  }

  saveOutage(row: StoredOutageRow): void {
    this.assertOpen();
    this.outages.delete(row.id);
    this.outages.set(row.id, { row, json: JSON.stringify(row) });
    if (row.endedAt !== null && this.outages.size > MEMORY_OUTAGE_LIMIT) {
      const oldest = [...this.outages.values()]
        .map((o) => o.row)
        .sort(outageNewestFirst)
        .slice(MEMORY_OUTAGE_LIMIT);
      for (const old of oldest) this.outages.delete(old.id);
    }
  }

  listOutages(
    options: { monitorId?: string; limit?: number; openOnly?: boolean } = {},
  ): StoredOutageRow[] {
    this.assertOpen();
    return [...this.outages.values()]
      .filter(
        ({ row }) =>
          (options.monitorId === undefined || row.monitorId === options.monitorId) &&
          (!options.openOnly || row.openState !== null),
      )
      .sort((a, b) => outageNewestFirst(a.row, b.row))
      .slice(0, options.limit ?? 500)
      .map((o) => JSON.parse(o.json) as StoredOutageRow);
  }

  getOutage(id: string): StoredOutageRow | null {
    this.assertOpen();
    const entry = this.outages.get(id);
    return entry ? (JSON.parse(entry.json) as StoredOutageRow) : null;
  }

  enqueueOutbox(entry: {
    key: string;
    channel: string;
    createdAt: number;
    message: string;
    nextAt?: number;
  }): boolean {
    this.assertOpen();
    if (this.outbox.has(entry.key)) return false;
    const row: OutboxEntry = {
      id: this.nextOutboxId++,
      key: entry.key,
      channel: entry.channel,
      createdAt: entry.createdAt,
      message: entry.message,
      state: 'pending',
      attempts: 0,
      nextAt: entry.nextAt ?? entry.createdAt,
      lastError: null,
      doneAt: null,
    };
    this.outbox.set(row.key, row);
    this.outboxById.set(row.id, row);
    return true;
  }

  pendingOutbox(options: { dueBy?: number; channel?: string; limit?: number } = {}): OutboxRow[] {
    this.assertOpen();
    const dueBy = options.dueBy ?? Number.MAX_SAFE_INTEGER;
    return [...this.outbox.values()]
      .filter(
        (row) =>
          row.state === 'pending' &&
          row.nextAt <= dueBy &&
          (options.channel === undefined || row.channel === options.channel),
      )
      .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
      .slice(0, options.limit ?? 1000)
      .map(({ doneAt: _doneAt, ...row }) => row);
  }

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
    const row = this.outboxById.get(id);
    if (!row) return;
    row.state = update.state;
    row.attempts = update.attempts;
    if (update.nextAt !== undefined) row.nextAt = update.nextAt;
    row.lastError = update.lastError ?? null;
    row.doneAt = update.doneAt ?? null;
  }

  outboxCounts(): { channel: string; state: OutboxState; count: number }[] {
    this.assertOpen();
    const counts = new Map<string, { channel: string; state: OutboxState; count: number }>();
    for (const row of this.outbox.values()) {
      const key = `${row.channel}\u0000${row.state}`;
      const entry = counts.get(key) ?? { channel: row.channel, state: row.state, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }

  pruneOutbox(before: number): number {
    this.assertOpen();
    let removed = 0;
    for (const row of [...this.outbox.values()]) {
      if (row.state !== 'pending' && row.createdAt < before) {
        this.outbox.delete(row.key);
        this.outboxById.delete(row.id);
        removed++;
      }
    }
    return removed;
  }

  prune(now: number = this.clock.now()): PruneResult {
    this.assertOpen();
    const cutoff = now - this.retentionDays * DAY_MS;
    const before = this.events.length;
    this.events = this.events.filter((e) => e.at >= cutoff);
    const events = before - this.events.length + this.trimEvents();
    return { events, samples: 0, fsdReports: this.trimReports(), freedPages: 0 };
  }

  /** Idempotent. Everything kept is dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.events = [];
    this.reports.clear();
    this.outages.clear();
    this.outbox.clear();
    this.outboxById.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('history: the in-memory history is closed');
  }

  private newestEvents(): StoredEvent[] {
    return [...this.events].sort(newestFirst);
  }

  /** Keeps the newest `eventLimit` events; returns how many went. */
  private trimEvents(): number {
    const excess = this.events.length - this.eventLimit;
    if (excess <= 0) return 0;
    const keep = new Set(this.newestEvents().slice(0, this.eventLimit));
    this.events = this.events.filter((e) => keep.has(e));
    return excess;
  }

  private trimReports(): number {
    const excess = this.reports.size - this.maxFsdReports;
    if (excess <= 0) return 0;
    const oldest = [...this.reports.values()]
      .map((r) => r.header)
      .sort((a, b) => a.at - b.at)
      .slice(0, excess);
    for (const header of oldest) this.reports.delete(header.id);
    return excess;
  }
}
