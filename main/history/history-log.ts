/**
 * What the core needs from a history: the event log, the metrics samples, the FSD test reports and
 * the alert outbox. Two implementations: {@link HistoryStore} (./history-store.ts, one SQLite file
 * through node-sqlite3-wasm) and {@link MemoryHistory} (./memory-history.ts, `history.enabled:
 * false`: nothing on disk and SQLite's WebAssembly never loaded). This module loads neither, so
 * code that only needs the types or the report schema does not pull SQLite in.
 */
import * as z from 'zod';
import type { EventQuery, MetricSample, SampleQuery, StoredEvent } from '../../shared/history';

export type OutboxState = 'pending' | 'delivered' | 'failed';

export interface OutboxRow {
  id: number;
  key: string;
  channel: string;
  createdAt: number;
  message: string;
  state: OutboxState;
  attempts: number;
  nextAt: number;
  lastError: string | null;
}

export interface PruneResult {
  events: number;
  samples: number;
  fsdReports: number;
  /** Pages handed back to the file system by incremental vacuum. */
  freedPages: number;
}

/** What every FSD report carries; the rest of it is the FSD test feature's own JSON. */
export const FsdReportHeaderSchema = z.looseObject({
  id: z.string().min(1),
  at: z.number(),
  monitorId: z.string(),
});
export type FsdReportHeader = z.infer<typeof FsdReportHeaderSchema>;

/** One row of the `outages` table: the record and the tracker state are main/outages' own JSON. */
export interface StoredOutageRow {
  id: string;
  monitorId: string;
  startedAt: number;
  endedAt: number | null;
  record: unknown;
  /** The tracker's running state while the outage is in progress; null once it ended. */
  openState: unknown;
}

export interface HistoryLog {
  /** true when nothing is persisted (in memory by choice, or because the file could not be used). */
  readonly inMemory: boolean;
  setLimits(limits: { retentionDays?: number; maxEvents?: number; maxFsdReports?: number }): void;
  /** Records the event (durably, where the implementation persists) and returns it with its id. */
  appendEvent(event: StoredEvent): StoredEvent;
  /** Matching events, newest first (by `at`, then id). */
  queryEvents(query: EventQuery): StoredEvent[];
  appendSample(sample: MetricSample): void;
  querySamples(query: SampleQuery): MetricSample[];
  saveFsdReport<T extends { id: string; at: number; monitorId: string }>(report: T): void;
  listFsdReports(monitorId?: string, limit?: number): FsdReportHeader[];
  getFsdReport(id: string): FsdReportHeader | null;
  /** Stores (or replaces, by id) one outage record; `openState` while it is in progress, else null. */
  saveOutage(row: StoredOutageRow): void;
  /** Outage rows, newest first, of one UPS or of all; `openOnly`: those still in progress. */
  listOutages(options?: {
    monitorId?: string;
    limit?: number;
    openOnly?: boolean;
  }): StoredOutageRow[];
  getOutage(id: string): StoredOutageRow | null;
  /** Queues a message unless one with the same key is already queued (or was delivered); returns whether it was new. */
  enqueueOutbox(entry: {
    key: string;
    channel: string;
    createdAt: number;
    message: string;
    nextAt?: number;
  }): boolean;
  pendingOutbox(options?: { dueBy?: number; channel?: string; limit?: number }): OutboxRow[];
  updateOutbox(
    id: number,
    update: {
      state: OutboxState;
      attempts: number;
      nextAt?: number;
      lastError?: string | null;
      doneAt?: number | null;
    },
  ): void;
  outboxCounts(): { channel: string; state: OutboxState; count: number }[];
  pruneOutbox(before: number): number;
  prune(now?: number): PruneResult;
  close(): void;
}
