import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryStore, type HistoryStoreOptions } from './history-store';
import { SCHEMA_VERSION } from './migrations';
import { Database } from './sqlite';
import { FakeClock, event, makeTempDir, sample } from './testing/helpers';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

let dir: string;
let dbPath: string;
const open: HistoryStore[] = [];

function openStore(options: Partial<HistoryStoreOptions> = {}, file = dbPath): HistoryStore {
  const store = HistoryStore.open(file, {
    retentionDays: 3650,
    maxEvents: 1_000_000,
    pruneOnOpen: false,
    ...options,
  });
  open.push(store);
  return store;
}

beforeEach(() => {
  dir = makeTempDir();
  dbPath = path.join(dir, 'nested', 'deeper', 'history.db');
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('opening', () => {
  it('creates missing folders, uses WAL with a user_version schema and incremental auto-vacuum', () => {
    const store = openStore();
    expect(fs.existsSync(dbPath)).toBe(true);
    const stats = store.stats();
    expect(stats.journalMode).toBe('wal');
    expect(stats.synchronous).toBe('full');
    expect(stats.schemaVersion).toBe(SCHEMA_VERSION);
    expect(stats.inMemory).toBe(false);
    expect(store.recoveries).toEqual([]);
    store.close();
    // Clean close: WAL checkpointed away, SQLite's lock directory and our owner file removed.
    expect(fs.readdirSync(path.dirname(dbPath)).sort()).toEqual(['history.db']);
    // File header: user_version at 60, incremental-vacuum flag at 64 (sqlite.org/fileformat.html).
    const header = fs.readFileSync(dbPath).subarray(0, 100);
    expect(header.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    expect(header.readUInt32BE(60)).toBe(SCHEMA_VERSION);
    expect(header.readUInt32BE(64)).toBe(1);
  });

  it("opens an in-memory store for ':memory:' (no file, no recovery reported)", () => {
    const cwdEntries = fs.readdirSync(process.cwd()).sort();
    const a = openStore({}, ':memory:');
    const b = openStore({}, ':memory:'); // independent, so not refused
    a.appendEvent(event());
    a.appendSample(sample(T0, { runtime: null }));
    expect(a.inMemory).toBe(true);
    expect(a.recoveries).toEqual([]);
    expect(a.queryEvents({})).toHaveLength(1);
    expect(a.querySamples({ monitorId: 'nas/ups', from: T0, to: T0 })[0]!.runtime).toBeNull();
    expect(b.queryEvents({})).toEqual([]);
    expect(a.stats()).toMatchObject({
      path: ':memory:',
      inMemory: true,
      journalMode: 'memory',
      events: 1,
      samples: 1,
    });
    expect(fs.readdirSync(process.cwd()).sort()).toEqual(cwdEntries);
  });

  it('refuses use after close, and close is idempotent', () => {
    const store = openStore();
    store.close();
    store.close();
    expect(() => store.appendEvent(event())).toThrow(/closed/);
    expect(() => store.queryEvents({})).toThrow(/closed/);
    // A sampler tick after shutdown is dropped, not thrown.
    expect(() => store.appendSample(sample(T0))).not.toThrow();
  });
});

describe('persistence across a restart', () => {
  it('keeps events, samples and FSD reports through close and reopen', () => {
    let store = openStore();
    const a = store.appendEvent(
      event({ at: T0, message: 'first', data: { charge: 55, nested: { ok: true } } }),
    );
    const b = store.appendEvent(
      event({
        at: T0 + 1,
        kind: 'system',
        type: 'APP_START',
        severity: 'info',
        monitorId: '*',
        message: 'second',
      }),
    );
    for (let i = 0; i < 5; i++)
      store.appendSample(
        sample(T0 + i * 1000, { charge: 100 - i, runtime: i === 2 ? null : 1800 - i }),
      );
    store.saveFsdReport({
      id: 'fsd-1',
      at: T0,
      monitorId: 'nas/ups',
      verdict: 'pass',
      steps: [{ name: 'LOGIN', ok: true }],
    });
    expect(store.pendingSamples).toBe(5);
    store.close(); // flushes the buffered samples

    store = openStore();
    expect(store.queryEvents({})).toEqual([b, a]);
    expect(a.data).toEqual({ charge: 55, nested: { ok: true } });
    expect(b.data).toBeUndefined();
    const samples = store.querySamples({ monitorId: 'nas/ups', from: T0, to: T0 + 10_000 });
    expect(samples.map((s) => [s.at, s.charge, s.runtime])).toEqual([
      [T0, 100, 1800],
      [T0 + 1000, 99, 1799],
      [T0 + 2000, 98, null],
      [T0 + 3000, 97, 1797],
      [T0 + 4000, 96, 1796],
    ]);
    expect(store.getFsdReport('fsd-1')).toEqual({
      id: 'fsd-1',
      at: T0,
      monitorId: 'nas/ups',
      verdict: 'pass',
      steps: [{ name: 'LOGIN', ok: true }],
    });
    expect(store.stats()).toMatchObject({ events: 2, samples: 5, monitors: 1, fsdReports: 1 });
  });

  it('never reuses an event id, even after the newest events were pruned', () => {
    let store = openStore({ maxEvents: 1 });
    store.appendEvent(event({ at: T0 }));
    const second = store.appendEvent(event({ at: T0 + 1 }));
    store.close();
    store = openStore({ maxEvents: 1 });
    store.prune(T0 + 2);
    const third = store.appendEvent(event({ at: T0 + 2 }));
    expect(third.id).toBeGreaterThan(second.id!);
  });
});

describe('events', () => {
  function seed(store: HistoryStore) {
    const rows = [
      event({
        at: T0 + 1000,
        monitorId: 'nas/ups',
        kind: 'notify',
        type: 'ONBATT',
        message: 'UPS ups@nas on battery',
      }),
      event({
        at: T0 + 2000,
        monitorId: 'pve/ups',
        kind: 'notify',
        type: 'ONBATT',
        message: 'UPS ups@pve on battery',
      }),
      event({
        at: T0 + 3000,
        monitorId: 'nas/ups',
        kind: 'notify',
        type: 'LOWBATT',
        severity: 'critical',
        message: 'UPS ups@nas battery is LOW (9%_ left)',
      }),
      event({
        at: T0 + 4000,
        monitorId: 'nas/ups',
        kind: 'hook',
        type: 'HOOK_RUN',
        severity: 'info',
        message: 'notify.sh exited 0',
        data: { exitCode: 0 },
      }),
      event({
        at: T0 + 5000,
        monitorId: '*',
        kind: 'system',
        type: 'LOGIN',
        severity: 'info',
        message: 'Logged in to nas',
      }),
      event({
        at: T0 + 6000,
        monitorId: 'pve/ups',
        kind: 'fsd-test',
        type: 'fsd-step',
        severity: 'info',
        message: 'FSD test: step 2 of 5 (100% done_not)',
      }),
    ];
    return rows.map((e) => store.appendEvent(e));
  }

  it('returns the stored event with a fresh id, ignoring one passed in', () => {
    const store = openStore();
    const stored = store.appendEvent(event({ id: 999, data: { n: 1 } }));
    expect(stored.id).toBe(1);
    expect(store.appendEvent(event()).id).toBe(2);
    expect(stored).toMatchObject({ ...event(), data: { n: 1 } });
  });

  it('validates events', () => {
    const store = openStore();
    expect(() => store.appendEvent({ ...event(), kind: 'bogus' as never })).toThrow();
    expect(store.queryEvents({})).toEqual([]);
  });

  it('lists newest first with a limit (default 500), ties by id', () => {
    const store = openStore();
    const [e1, e2, e3, e4, e5, e6] = seed(store);
    const sameTime = store.appendEvent(event({ at: T0 + 6000, message: 'same time, later id' }));
    expect(store.queryEvents({}).map((e) => e.id)).toEqual([
      sameTime.id,
      e6!.id,
      e5!.id,
      e4!.id,
      e3!.id,
      e2!.id,
      e1!.id,
    ]);
    expect(store.queryEvents({ limit: 2 }).map((e) => e.id)).toEqual([sameTime.id, e6!.id]);
    for (let i = 0; i < 600; i++) store.appendEvent(event({ at: T0 + 10_000 + i }));
    expect(store.queryEvents({})).toHaveLength(500);
  });

  it('filters by UPS, kinds, types and inclusive time range, combined', () => {
    const store = openStore();
    const [e1, e2, e3, e4, e5, e6] = seed(store);
    const ids = (q: Parameters<HistoryStore['queryEvents']>[0]) =>
      store.queryEvents(q).map((e) => e.id);
    expect(ids({ monitorId: 'nas/ups' })).toEqual([e4!.id, e3!.id, e1!.id]);
    expect(ids({ monitorId: '*' })).toEqual([e5!.id]);
    expect(ids({ kinds: ['hook', 'system'] })).toEqual([e5!.id, e4!.id]);
    expect(ids({ types: ['ONBATT'] })).toEqual([e2!.id, e1!.id]);
    expect(ids({ from: T0 + 2000, to: T0 + 4000 })).toEqual([e4!.id, e3!.id, e2!.id]);
    expect(ids({ from: T0 + 5000 })).toEqual([e6!.id, e5!.id]);
    expect(ids({ to: T0 + 1000 })).toEqual([e1!.id]);
    expect(
      ids({
        monitorId: 'nas/ups',
        kinds: ['notify'],
        types: ['ONBATT', 'LOWBATT'],
        from: T0 + 1500,
      }),
    ).toEqual([e3!.id]);
    expect(ids({ monitorId: 'unknown/ups' })).toEqual([]);
    expect(ids({ kinds: [] })).toEqual([]);
    expect(ids({ types: [] })).toEqual([]);
  });

  it('matches text as a literal, ASCII-case-insensitive substring of the message', () => {
    const store = openStore();
    const [e1, e2, e3, , , e6] = seed(store);
    const ids = (text: string) => store.queryEvents({ text }).map((e) => e.id);
    expect(ids('on battery')).toEqual([e2!.id, e1!.id]);
    expect(ids('ON BATTERY')).toEqual([e2!.id, e1!.id]);
    expect(ids('low')).toEqual([e3!.id]);
    // LIKE wildcards are literals here.
    expect(ids('%')).toEqual([e6!.id, e3!.id]);
    expect(ids('%_')).toEqual([e3!.id]);
    expect(ids('_')).toEqual([e6!.id, e3!.id]);
    expect(ids('nothing like this')).toEqual([]);
    expect(store.queryEvents({ text: 'battery', monitorId: 'pve/ups' }).map((e) => e.id)).toEqual([
      e2!.id,
    ]);
  });

  it('keeps an event whose data cannot be serialised, saying why', () => {
    const store = openStore();
    const stored = store.appendEvent(event({ data: { big: 1n } }));
    const [read] = store.queryEvents({});
    expect(read!.id).toBe(stored.id);
    expect(read!.data).toEqual({ unserializable: expect.stringMatching(/BigInt/i) });
  });
});

describe('samples', () => {
  it('buffers samples and writes them on the flush timer', () => {
    const clock = new FakeClock(T0);
    const store = openStore({ clock, flushIntervalMs: 1000, flushMaxRows: 100 });
    store.appendSample(sample(T0));
    store.appendSample(sample(T0 + 1));
    expect(store.pendingSamples).toBe(2);
    expect(clock.pendingTimers).toEqual([1000]); // one timer for the batch
    clock.advance(999);
    expect(store.pendingSamples).toBe(2);
    clock.advance(1);
    expect(store.pendingSamples).toBe(0);
    expect(clock.pendingTimers).toEqual([]);
    expect(store.stats().samples).toBe(2);
  });

  it('writes at once when the buffer is full', () => {
    const clock = new FakeClock(T0);
    const store = openStore({ clock, flushMaxRows: 3 });
    store.appendSample(sample(T0));
    store.appendSample(sample(T0 + 1));
    expect(store.pendingSamples).toBe(2);
    store.appendSample(sample(T0 + 2));
    expect(store.pendingSamples).toBe(0);
    expect(clock.pendingTimers).toEqual([]);
  });

  it('sees buffered samples in queries (reads flush first)', () => {
    const store = openStore({ clock: new FakeClock(T0) });
    store.appendSample(sample(T0, { load: 42 }));
    expect(store.querySamples({ monitorId: 'nas/ups', from: T0, to: T0 })).toEqual([
      sample(T0, { load: 42 }),
    ]);
  });

  it('stores unknown readings as null, never 0 (NaN and Infinity are unknown too)', () => {
    const store = openStore();
    store.appendSample({
      at: T0,
      monitorId: 'nas/ups',
      charge: null,
      runtime: Number.NaN,
      load: Number.POSITIVE_INFINITY,
      inputVoltage: 0,
      status: null,
    });
    expect(store.querySamples({ monitorId: 'nas/ups', from: T0, to: T0 })).toEqual([
      {
        at: T0,
        monitorId: 'nas/ups',
        charge: null,
        runtime: null,
        load: null,
        inputVoltage: 0,
        status: null,
      },
    ]);
  });

  it('keeps UPSes apart and honours the inclusive time range', () => {
    const store = openStore();
    for (let i = 0; i < 10; i++) {
      store.appendSample(sample(T0 + i * 1000, { monitorId: 'nas/ups', load: i }));
      store.appendSample(sample(T0 + i * 1000, { monitorId: 'pve/ups', load: 100 + i }));
    }
    const nas = store.querySamples({ monitorId: 'nas/ups', from: T0 + 2000, to: T0 + 4000 });
    expect(nas.map((s) => [s.monitorId, s.load])).toEqual([
      ['nas/ups', 2],
      ['nas/ups', 3],
      ['nas/ups', 4],
    ]);
    expect(
      store.querySamples({ monitorId: 'pve/ups', from: T0, to: T0 + 500 }).map((s) => s.load),
    ).toEqual([100]);
    expect(store.querySamples({ monitorId: 'other/ups', from: T0, to: T0 + 10_000 })).toEqual([]);
    expect(store.querySamples({ monitorId: 'nas/ups', from: T0 + 5000, to: T0 })).toEqual([]);
  });

  it('keeps one sample per UPS and millisecond (the later one wins)', () => {
    const store = openStore();
    store.appendSample(sample(T0, { load: 1 }));
    store.appendSample(sample(T0, { load: 2 }));
    expect(
      store.querySamples({ monitorId: 'nas/ups', from: T0, to: T0 }).map((s) => s.load),
    ).toEqual([2]);
  });

  it('rejects a sample without a usable time', () => {
    const store = openStore();
    expect(() => store.appendSample(sample(Number.NaN))).toThrow(TypeError);
  });
});

describe('FSD reports', () => {
  it('round-trips whole reports, replaces by id, lists newest first per UPS', () => {
    const store = openStore();
    const r1 = {
      id: 'r1',
      at: T0,
      monitorId: 'nas/ups',
      result: 'fail',
      steps: [{ step: 'FSD', ms: 1200, detail: 'ok' }],
      note: null,
    };
    const r2 = {
      id: 'r2',
      at: T0 + 10,
      monitorId: 'pve/ups',
      result: 'pass',
      nested: { deep: [1, 2, { x: 'y' }] },
    };
    const r3 = { id: 'r3', at: T0 + 20, monitorId: 'nas/ups', result: 'pass' };
    store.saveFsdReport(r1);
    store.saveFsdReport(r2);
    store.saveFsdReport(r3);
    expect(store.getFsdReport('r2')).toEqual(r2);
    expect(store.getFsdReport('missing')).toBeNull();
    expect(store.listFsdReports().map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
    expect(store.listFsdReports('nas/ups')).toEqual([r3, r1]);
    expect(store.listFsdReports(undefined, 1).map((r) => r.id)).toEqual(['r3']);
    const r1b = { ...r1, result: 'pass' };
    store.saveFsdReport(r1b);
    expect(store.getFsdReport('r1')).toEqual(r1b);
    expect(store.stats().fsdReports).toBe(3);
  });

  it('rejects a report without its header', () => {
    const store = openStore();
    expect(() => store.saveFsdReport({ id: '', at: T0, monitorId: 'nas/ups' })).toThrow();
    expect(() => store.saveFsdReport({ at: T0, monitorId: 'nas/ups' } as never)).toThrow();
  });
});

describe('exportCopy', () => {
  it('writes a consistent copy that a plain SQLite connection can read while the store stays open', () => {
    const store = openStore();
    store.appendEvent(event({ message: 'exported' }));
    for (let i = 0; i < 3; i++) store.appendSample(sample(T0 + i, { runtime: i === 1 ? null : 5 }));
    const copyPath = path.join(dir, 'exports', 'copy.db');
    store.exportCopy(copyPath);
    store.appendEvent(event({ message: 'after the export' }));

    const copy = new Database(copyPath, { readOnly: true });
    try {
      expect(copy.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'delete' }]);
      expect(copy.all('SELECT message FROM events')).toEqual([{ message: 'exported' }]);
      expect(copy.all('SELECT monitor_id, runtime FROM samples_view ORDER BY at')).toEqual([
        { monitor_id: 'nas/ups', runtime: 5 },
        { monitor_id: 'nas/ups', runtime: null },
        { monitor_id: 'nas/ups', runtime: 5 },
      ]);
    } finally {
      copy.close();
    }
    expect(() => store.exportCopy(copyPath)).toThrow(/exists|not empty/);
  });
});

describe('retention', () => {
  it('deletes events and samples older than retentionDays, keeps the rest', () => {
    const now = T0 + 100 * DAY;
    const store = openStore({ retentionDays: 30 });
    store.appendEvent(event({ at: now - 31 * DAY, message: 'old' }));
    store.appendEvent(event({ at: now - 29 * DAY, message: 'recent' }));
    store.appendSample(sample(now - 31 * DAY));
    store.appendSample(sample(now - 30 * DAY - 1));
    store.appendSample(sample(now - 30 * DAY));
    store.appendSample(sample(now - 29 * DAY, { monitorId: 'pve/ups' }));
    store.appendSample(sample(now - 40 * DAY, { monitorId: 'pve/ups' }));
    store.saveFsdReport({ id: 'ancient', at: now - 365 * DAY, monitorId: 'nas/ups' });
    const result = store.prune(now);
    expect(result).toMatchObject({ events: 1, samples: 3, fsdReports: 0 });
    expect(store.queryEvents({}).map((e) => e.message)).toEqual(['recent']);
    expect(store.querySamples({ monitorId: 'nas/ups', from: 0, to: now }).map((s) => s.at)).toEqual(
      [now - 30 * DAY],
    );
    expect(store.querySamples({ monitorId: 'pve/ups', from: 0, to: now }).map((s) => s.at)).toEqual(
      [now - 29 * DAY],
    );
    // FSD reports are kept by count, not by age.
    expect(store.getFsdReport('ancient')).not.toBeNull();
  });

  it('keeps at most maxEvents events, dropping the oldest by time', () => {
    const store = openStore({ maxEvents: 50 });
    // Appended out of time order on purpose: count pruning goes by `at`, not by id.
    for (let i = 0; i < 120; i++)
      store.appendEvent(event({ at: T0 + ((i * 37) % 120) * 1000, message: `e${(i * 37) % 120}` }));
    expect(store.prune(T0 + 200_000).events).toBe(70);
    const left = store.queryEvents({ limit: 5000 });
    expect(left).toHaveLength(50);
    expect(left.map((e) => e.at)).toEqual(
      Array.from({ length: 50 }, (_, k) => T0 + (119 - k) * 1000),
    );
    expect(store.prune(T0 + 200_000).events).toBe(0);
  });

  it('prunes a backlog bigger than one delete chunk completely', () => {
    const now = T0 + 100 * DAY;
    const store = openStore({ retentionDays: 1, maxEvents: 10, pruneChunkRows: 7 });
    for (let i = 0; i < 30; i++) store.appendEvent(event({ at: now - 2 * DAY + i }));
    for (let i = 0; i < 40; i++) store.appendEvent(event({ at: now - i }));
    for (let i = 0; i < 100; i++) store.appendSample(sample(now - 2 * DAY + i));
    for (let i = 0; i < 50; i++)
      store.appendSample(sample(now - 2 * DAY + i, { monitorId: 'pve/ups' }));
    store.appendSample(sample(now));
    // 30 by age, then 30 of the remaining 40 by count; 150 samples by age.
    expect(store.prune(now)).toMatchObject({ events: 60, samples: 150 });
    expect(store.queryEvents({ limit: 100 }).map((e) => e.at)).toEqual(
      Array.from({ length: 10 }, (_, i) => now - i),
    );
    expect(store.stats().samples).toBe(1);
  });

  it('keeps at most maxFsdReports reports', () => {
    const store = openStore({ maxFsdReports: 2 });
    for (let i = 0; i < 5; i++)
      store.saveFsdReport({ id: `r${i}`, at: T0 + i, monitorId: 'nas/ups' });
    expect(store.prune(T0).fsdReports).toBe(3);
    expect(store.listFsdReports().map((r) => r.id)).toEqual(['r4', 'r3']);
  });

  it('prunes on open with the configured retention', () => {
    const clock = new FakeClock(T0 + 10 * DAY);
    let store = openStore({ clock });
    store.appendEvent(event({ at: T0 }));
    store.appendSample(sample(T0));
    store.close();
    store = openStore({ clock, retentionDays: 5, pruneOnOpen: true });
    expect(store.stats()).toMatchObject({ events: 0, samples: 0 });
  });

  it('applies new limits from setLimits at the next prune', () => {
    const store = openStore({ retentionDays: 30 });
    store.appendEvent(event({ at: T0 }));
    store.appendEvent(event({ at: T0 + 1 }));
    expect(store.prune(T0 + 2 * DAY).events).toBe(0);
    store.setLimits({ retentionDays: 1 });
    expect(store.prune(T0 + 2 * DAY).events).toBe(2);
  });

  it('keeps the file bounded: steady size under rolling retention, and it shrinks after a big prune', () => {
    const clock = new FakeClock(T0);
    const store = openStore({ clock, retentionDays: 1, maxEvents: 1000 });
    const sizes: number[] = [];
    // 8 simulated days of 4 UPSes sampled every 20 s, plus 500 events a day; prune daily.
    for (let day = 0; day < 8; day++) {
      for (let t = 0; t < DAY; t += 20_000) {
        for (const id of ['a/ups', 'b/ups', 'c/ups', 'd/ups'])
          store.appendSample(sample(T0 + day * DAY + t, { monitorId: id, load: t % 97 }));
      }
      for (let i = 0; i < 500; i++)
        store.appendEvent(
          event({
            at: T0 + day * DAY + i * 1000,
            message: `day ${day} event ${i} `.padEnd(120, 'x'),
          }),
        );
      store.prune(T0 + (day + 1) * DAY);
      sizes.push(store.stats().fileBytes);
    }
    const stats = store.stats();
    expect(stats.samples).toBe(4 * 4320);
    expect(stats.events).toBe(500);
    const settled = sizes.slice(2);
    expect(Math.max(...settled)).toBeLessThanOrEqual(Math.min(...settled) * 1.25);

    // Dropping everything hands the pages back to the file system.
    const before = fs.statSync(dbPath).size;
    store.setLimits({ retentionDays: 1 });
    const result = store.prune(T0 + 30 * DAY);
    expect(result.freedPages).toBeGreaterThan(0);
    expect(fs.statSync(dbPath).size).toBeLessThan(before / 4);
    expect(store.stats().samples).toBe(0);
  });
});

describe('schema migration 4: one naming scheme for event types', () => {
  it('renames kebab-case types to upsmon style, drops the twin of a refused LOGIN, and renames outage record events', () => {
    const store = openStore();
    store.appendEvent(event({ kind: 'system', type: 'login', message: 'Logged in' }));
    store.appendEvent(event({ kind: 'hook', type: 'hook-run', at: T0 + 1, message: 'ran' }));
    store.appendEvent(
      event({ kind: 'system', type: 'shutdown-begins', at: T0 + 2, message: 'sb' }),
    );
    store.appendEvent(event({ kind: 'notify', type: 'ONBATT', at: T0 + 3, message: 'on battery' }));
    store.appendEvent(
      event({ kind: 'notify', type: 'LOGIN_REFUSED', at: T0 + 10_000, message: 'refused' }),
    );
    store.appendEvent(
      event({ kind: 'system', type: 'login-refused', at: T0 + 10_001, message: 'twin' }),
    );
    // A refusal with no notification next to it is not a twin: it stays, renamed.
    store.appendEvent(
      event({ kind: 'system', type: 'login-refused', at: T0 + 60_000, message: 'alone' }),
    );
    store.saveOutage({
      id: 'o1',
      monitorId: 'nas/ups',
      startedAt: T0,
      endedAt: T0 + 5_000,
      record: {
        id: 'o1',
        events: [
          { at: T0, type: 'ONBATT', severity: 'warning', message: 'on battery' },
          { at: T0 + 2, type: 'shutdown-begins', severity: 'critical', message: 'sb' },
        ],
      },
      openState: null,
    });
    store.close();
    // Take the file back to version 3, as an earlier app version left it.
    const db = new Database(dbPath);
    db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA user_version = 3;');
    db.close();
    fs.rmSync(`${dbPath}.lock`, { recursive: true, force: true });

    const upgraded = openStore();
    expect(upgraded.stats().schemaVersion).toBe(SCHEMA_VERSION);
    expect(
      upgraded
        .queryEvents({})
        .map((e) => `${e.kind} ${e.type} ${e.message}`)
        .sort(),
    ).toEqual(
      [
        'hook HOOK_RUN ran',
        'notify LOGIN_REFUSED refused',
        'notify ONBATT on battery',
        'system LOGIN Logged in',
        'system LOGIN_REFUSED alone',
        'system SHUTDOWN_BEGINS sb',
      ].sort(),
    );
    expect(upgraded.getOutage('o1')?.record).toEqual({
      id: 'o1',
      events: [
        { at: T0, type: 'ONBATT', severity: 'warning', message: 'on battery' },
        { at: T0 + 2, type: 'SHUTDOWN_BEGINS', severity: 'critical', message: 'sb' },
      ],
    });
  });
});

describe('outage records', () => {
  const row = (id: string, startedAt: number, endedAt: number | null, monitorId = 'nas/ups') => ({
    id,
    monitorId,
    startedAt,
    endedAt,
    record: { id, startedAt, figures: [1, 2] },
    openState: endedAt === null ? { sums: { n: 3 } } : null,
  });

  it('stores, replaces and lists them newest first, per UPS and open ones, across a reopen', () => {
    const store = openStore();
    store.saveOutage(row('a', T0, T0 + 60_000));
    store.saveOutage(row('b', T0 + DAY, null));
    store.saveOutage(row('c', T0 + 2 * DAY, T0 + 2 * DAY + 5_000, 'other/ups'));
    store.close();

    const again = openStore();
    expect(again.listOutages().map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect(again.listOutages({ monitorId: 'nas/ups' }).map((r) => r.id)).toEqual(['b', 'a']);
    const open = again.listOutages({ openOnly: true });
    expect(open).toEqual([row('b', T0 + DAY, null)]);
    // The open outage ends: the same id, now closed, without its running state.
    again.saveOutage(row('b', T0 + DAY, T0 + DAY + 90_000));
    expect(again.listOutages({ openOnly: true })).toEqual([]);
    expect(again.getOutage('b')).toMatchObject({ endedAt: T0 + DAY + 90_000, openState: null });
    expect(again.getOutage('missing')).toBeNull();
    expect(again.listOutages({ limit: 1 }).map((r) => r.id)).toEqual(['c']);
  });

  it('migrates a version-2 file (outbox, no outages table) and keeps its events', () => {
    const store = openStore();
    store.appendEvent(event({ message: 'before the upgrade' }));
    store.close();
    // Take the file back to version 2: drop what migration 3 added.
    const db = new Database(dbPath);
    db.exec('PRAGMA locking_mode = EXCLUSIVE; DROP TABLE outages; PRAGMA user_version = 2;');
    db.close();
    fs.rmSync(`${dbPath}.lock`, { recursive: true, force: true });

    const upgraded = openStore();
    expect(upgraded.stats().schemaVersion).toBe(SCHEMA_VERSION);
    expect(upgraded.queryEvents({}).map((e) => e.message)).toEqual(['before the upgrade']);
    upgraded.saveOutage(row('x', T0, T0 + 1000));
    expect(upgraded.listOutages().map((r) => r.id)).toEqual(['x']);
  });
});
