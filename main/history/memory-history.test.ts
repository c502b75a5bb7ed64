/**
 * MemoryHistory (history.enabled: false) against the SQLite store: the same operations on both
 * must give the same answers for events, FSD reports and the outbox — the core and the alert
 * outbox use either through HistoryLog without knowing which — and the memory store must not
 * grow without bound.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventQuery } from '../../shared/history';
import type { HistoryLog } from './history-log';
import { HistoryStore } from './history-store';
import { MEMORY_EVENT_LIMIT, MEMORY_FSD_REPORT_LIMIT, MemoryHistory } from './memory-history';
import { FakeClock, event, sample } from './testing/helpers';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const opened: HistoryLog[] = [];

function both(options = { retentionDays: 3650, maxEvents: 1_000_000 }): [HistoryLog, HistoryLog] {
  const clock = new FakeClock(T0);
  const pair: [HistoryLog, HistoryLog] = [
    HistoryStore.open(':memory:', { ...options, clock, pruneOnOpen: false }),
    new MemoryHistory({ ...options, clock }),
  ];
  opened.push(...pair);
  return pair;
}

afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

const MONITORS = ['nas/ups', 'pve/ups', '*'] as const;
const KINDS = ['notify', 'hook', 'system'] as const;
const TYPES = ['ONBATT', 'ONLINE', 'LOGIN', 'HOOK_RUN'] as const;
const WORDS = ['battery', 'Battery LOW', '50%_left', 'logged in', 'a\\b'] as const;

const eventArb = fc.record({
  at: fc.integer({ min: 0, max: 20 }).map((n) => T0 + n * 1000),
  monitorId: fc.constantFrom(...MONITORS),
  kind: fc.constantFrom(...KINDS),
  type: fc.constantFrom(...TYPES),
  message: fc.constantFrom(...WORDS),
});

const queryArb: fc.Arbitrary<EventQuery> = fc.record(
  {
    monitorId: fc.constantFrom(...MONITORS),
    kinds: fc.subarray([...KINDS]),
    types: fc.subarray([...TYPES]),
    from: fc.integer({ min: 0, max: 20 }).map((n) => T0 + n * 1000),
    to: fc.integer({ min: 0, max: 20 }).map((n) => T0 + n * 1000),
    text: fc.constantFrom('battery', 'BATTERY', '%', '_', 'low', 'a\\b', ''),
    limit: fc.integer({ min: 1, max: 30 }),
  },
  { requiredKeys: [] },
);

describe('MemoryHistory answers like the SQLite store', () => {
  it('event queries: filters, text, order (newest first, ties by id) and limit', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 25 }),
        fc.array(queryArb, { minLength: 1, maxLength: 5 }),
        (events, queries) => {
          const [file, memory] = both();
          for (const e of events) {
            const a = file.appendEvent(event(e));
            const b = memory.appendEvent(event(e));
            expect(b).toEqual(a);
          }
          for (const q of queries) expect(memory.queryEvents(q)).toEqual(file.queryEvents(q));
          file.close();
          memory.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the outbox: enqueue once per key, pending by due time and channel, updates, counts, pruning', () => {
    const [file, memory] = both();
    for (const store of [file, memory]) {
      expect(
        store.enqueueOutbox({ key: 'm1/hook', channel: 'hook', createdAt: T0, message: '{"a":1}' }),
      ).toBe(true);
      expect(
        store.enqueueOutbox({ key: 'm1/hook', channel: 'hook', createdAt: T0, message: 'again' }),
      ).toBe(false);
      store.enqueueOutbox({
        key: 'm1/mqtt',
        channel: 'mqtt',
        createdAt: T0,
        message: '{"a":1}',
        nextAt: T0 + 5000,
      });
      store.enqueueOutbox({ key: 'm2/hook', channel: 'hook', createdAt: T0 + 1, message: '{}' });
    }
    // Row ids are handles for updateOutbox, not compared (SQLite spends one on an ignored insert).
    const rows = (store: HistoryLog, options = {}) =>
      store.pendingOutbox(options).map(({ id: _id, ...row }) => row);
    for (const options of [{}, { dueBy: T0 + 1000 }, { channel: 'mqtt' }, { limit: 1 }])
      expect(rows(memory, options)).toEqual(rows(file, options));
    for (const store of [file, memory]) {
      const [first, second] = store.pendingOutbox({ channel: 'hook' });
      store.updateOutbox(first!.id, { state: 'delivered', attempts: 1, doneAt: T0 + 10 });
      store.updateOutbox(second!.id, {
        state: 'pending',
        attempts: 1,
        nextAt: T0 + 60_000,
        lastError: 'HTTP 500',
      });
    }
    expect(rows(memory)).toEqual(rows(file));
    const sorted = (rows: ReturnType<HistoryLog['outboxCounts']>) =>
      [...rows].sort((a, b) => `${a.channel}${a.state}`.localeCompare(`${b.channel}${b.state}`));
    expect(sorted(memory.outboxCounts())).toEqual(sorted(file.outboxCounts()));
    // A delivered message's key stays taken until it is pruned.
    for (const store of [file, memory])
      expect(
        store.enqueueOutbox({ key: 'm1/hook', channel: 'hook', createdAt: T0, message: 'x' }),
      ).toBe(false);
    expect(memory.pruneOutbox(T0 + 1)).toBe(file.pruneOutbox(T0 + 1));
    expect(memory.pruneOutbox(T0 + 1)).toBe(0);
    expect(sorted(memory.outboxCounts())).toEqual(sorted(file.outboxCounts()));
  });

  it('FSD reports: whole reports round-trip, replaced by id, newest first per UPS', () => {
    const [file, memory] = both();
    for (const store of [file, memory]) {
      store.saveFsdReport({ id: 'r1', at: T0, monitorId: 'nas/ups', outcome: 'ok', steps: [1] });
      store.saveFsdReport({ id: 'r2', at: T0 + 1, monitorId: 'pve/ups', outcome: 'late' });
      store.saveFsdReport({ id: 'r1', at: T0 + 2, monitorId: 'nas/ups', outcome: 'replaced' });
    }
    expect(memory.listFsdReports()).toEqual(file.listFsdReports());
    expect(memory.listFsdReports('nas/ups')).toEqual(file.listFsdReports('nas/ups'));
    expect(memory.listFsdReports(undefined, 1)).toEqual(file.listFsdReports(undefined, 1));
    expect(memory.getFsdReport('r1')).toEqual(file.getFsdReport('r1'));
    expect(memory.getFsdReport('nope')).toBeNull();
    expect(() => memory.saveFsdReport({ id: '', at: T0, monitorId: 'x' })).toThrow();
  });

  it('outage records: replaced by id, newest first, per UPS, open ones, copies', () => {
    const [file, memory] = both();
    for (const store of [file, memory]) {
      store.saveOutage({
        id: 'o1',
        monitorId: 'nas/ups',
        startedAt: T0,
        endedAt: null,
        record: { lowest: 80 },
        openState: { phase: 'on-battery' },
      });
      store.saveOutage({
        id: 'o2',
        monitorId: 'pve/ups',
        startedAt: T0 + 5,
        endedAt: T0 + 9,
        record: { lowest: 60 },
        openState: null,
      });
      store.saveOutage({
        id: 'o1',
        monitorId: 'nas/ups',
        startedAt: T0,
        endedAt: T0 + 20,
        record: { lowest: 40 },
        openState: null,
      });
      store.saveOutage({
        id: 'o3',
        monitorId: 'nas/ups',
        startedAt: T0 + 30,
        endedAt: null,
        record: {},
        openState: { phase: 'on-battery' },
      });
    }
    for (const options of [{}, { monitorId: 'nas/ups' }, { openOnly: true }, { limit: 1 }])
      expect(memory.listOutages(options)).toEqual(file.listOutages(options));
    expect(memory.getOutage('o1')).toEqual(file.getOutage('o1'));
    expect(memory.getOutage('nope')).toEqual(file.getOutage('nope'));
    (memory.getOutage('o2')!.record as { lowest: number }).lowest = 0;
    expect(memory.getOutage('o2')).toEqual(file.getOutage('o2'));
  });

  it('retention: events older than retentionDays go at prune, as in the file', () => {
    const [file, memory] = both({ retentionDays: 2, maxEvents: 1_000_000 });
    for (const store of [file, memory]) {
      store.appendEvent(event({ at: T0 - 3 * DAY, message: 'old' }));
      store.appendEvent(event({ at: T0 - DAY, message: 'recent' }));
    }
    expect(memory.prune(T0).events).toBe(file.prune(T0).events);
    expect(memory.queryEvents({})).toEqual(file.queryEvents({}));
    expect(memory.queryEvents({}).map((e) => e.message)).toEqual(['recent']);
  });
});

describe('MemoryHistory bounds and limits', () => {
  it(`keeps the newest ${MEMORY_EVENT_LIMIT} events (ids keep counting)`, () => {
    const memory = new MemoryHistory({ retentionDays: 30, maxEvents: 200_000 });
    opened.push(memory);
    const total = MEMORY_EVENT_LIMIT * 3 + 7;
    for (let i = 0; i < total; i++) memory.appendEvent(event({ at: T0 + i, message: `e${i}` }));
    memory.prune(T0 + total);
    const kept = memory.queryEvents({ limit: 5000 });
    expect(kept).toHaveLength(MEMORY_EVENT_LIMIT);
    expect(kept[0]).toMatchObject({ id: total, message: `e${total - 1}` });
    expect(kept.at(-1)).toMatchObject({ message: `e${total - MEMORY_EVENT_LIMIT}` });
  });

  it(`keeps the newest ${MEMORY_FSD_REPORT_LIMIT} FSD reports`, () => {
    const memory = new MemoryHistory({ retentionDays: 30, maxEvents: 1000 });
    opened.push(memory);
    for (let i = 0; i < MEMORY_FSD_REPORT_LIMIT + 5; i++)
      memory.saveFsdReport({ id: `r${i}`, at: T0 + i, monitorId: 'nas/ups' });
    const reports = memory.listFsdReports(undefined, 1000);
    expect(reports).toHaveLength(MEMORY_FSD_REPORT_LIMIT);
    expect(reports.at(-1)?.id).toBe('r5');
  });

  it('keeps no samples, but still rejects a malformed one', () => {
    const memory = new MemoryHistory({ retentionDays: 30, maxEvents: 1000 });
    opened.push(memory);
    memory.appendSample(sample(T0));
    expect(memory.querySamples({ monitorId: 'nas/ups', from: 0, to: T0 * 2 })).toEqual([]);
    expect(() => memory.appendSample(sample(Number.NaN))).toThrow(/finite/);
  });

  it('refuses use after close; close is idempotent', () => {
    const memory = new MemoryHistory({ retentionDays: 30, maxEvents: 1000 });
    memory.appendEvent(event());
    memory.close();
    memory.close();
    expect(() => memory.queryEvents({})).toThrow(/closed/);
    expect(() => memory.appendEvent(event())).toThrow(/closed/);
  });
});
