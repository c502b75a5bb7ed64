/**
 * History store figures: sample and event insert rates, a day of 1 s samples for 4 UPSes
 * downsampled to 1000 points, and the file size of a week of 5 s samples for 4 UPSes (plus what
 * opening that file costs, with and without the `PRAGMA quick_check` run after a crash).
 * Everything runs on real files in a temporary folder, with the store's production settings
 * (WAL, synchronous=FULL, batched sample writes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MetricSample } from '../../shared/history';
import { HistoryStore } from '../history/history-store';

export interface HistoryBenchResult {
  sampleInsertsPerSecond: number;
  eventInsertsPerSecond: number;
  /** One UPS's 24 h of 1 s samples → 1000 points, median of several runs. */
  query24hMs: number;
  /** The same for all four UPSes, one after the other. */
  query24hAllUpsMs: number;
  week5sFileBytes: number;
  week5sSamples: number;
  /** Opening the week file after a clean close (default: no quick_check), with prune. */
  openWeekDefaultMs: number;
  /** The same with `checkOnOpen: 'always'` (what an open after a crash costs). */
  openWeekCheckedMs: number;
}

const UPS_IDS = ['nas/ups', 'pve/ups', 'pve/ups2', 'office/rack'];
const DAY_MS = 86_400_000;

/** Deterministic, realistic-looking readings (decimals in voltage, integer charge/load/runtime). */
function sampleFor(monitorId: string, index: number, at: number): MetricSample {
  const wave = Math.sin(index / 977);
  return {
    at,
    monitorId,
    charge: 100 - (index % 240 === 0 ? 3 : 0),
    runtime: 1800 + Math.round(300 * wave),
    load: 22 + Math.round(6 * wave),
    inputVoltage: Math.round((230 + 4 * Math.sin(index / 61)) * 10) / 10,
    status: index % 5000 < 30 ? 'OB DISCHRG' : 'OL CHRG',
  };
}

function fillSamples(store: HistoryStore, spanMs: number, stepMs: number, start: number): number {
  let count = 0;
  for (let t = 0, i = 0; t < spanMs; t += stepMs, i++) {
    for (const id of UPS_IDS) {
      store.appendSample(sampleFor(id, i, start + t));
      count++;
    }
  }
  store.flush();
  return count;
}

function fileBytes(dbPath: string): number {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try {
      total += fs.statSync(dbPath + suffix).size;
    } catch {
      // no WAL after a clean close
    }
  }
  return total;
}

/** Lets timers and I/O run between phases (the bench may share the process with others). */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function benchHistory(): Promise<HistoryBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nut-sentinel-history-bench-'));
  const now = Date.UTC(2025, 0, 15);
  const options = { retentionDays: 3650, maxEvents: 10_000_000, pruneOnOpen: false };
  try {
    // 1. A day of 1 s samples for 4 UPSes (345,600 rows): insert rate, then the 24 h query.
    const dayPath = path.join(dir, 'day.db');
    let store = HistoryStore.open(dayPath, options);
    let t0 = performance.now();
    const daySamples = fillSamples(store, DAY_MS, 1000, now - DAY_MS);
    const sampleSeconds = (performance.now() - t0) / 1000;
    const sampleInsertsPerSecond = daySamples / sampleSeconds;
    console.log(
      `history: samples, batched: ${fmt(daySamples)} rows in ${fmt(sampleSeconds, 2)} s = ${fmt(sampleInsertsPerSecond)} rows/s`,
    );

    await breathe();

    // 2. Events, each committed and fsynced on its own.
    const eventCount = 300;
    t0 = performance.now();
    for (let i = 0; i < eventCount; i++) {
      store.appendEvent({
        at: now + i,
        monitorId: UPS_IDS[i % UPS_IDS.length]!,
        kind: 'notify',
        type: i % 2 === 0 ? 'ONBATT' : 'ONLINE',
        severity: i % 2 === 0 ? 'warning' : 'info',
        message: `UPS ${UPS_IDS[i % UPS_IDS.length]} event ${i}`,
        data: { charge: 97, runtime: 1740 },
      });
    }
    const eventSeconds = (performance.now() - t0) / 1000;
    const eventInsertsPerSecond = eventCount / eventSeconds;
    console.log(
      `history: events, one fsynced commit each: ${eventCount} in ${fmt(eventSeconds * 1000)} ms = ${fmt(eventInsertsPerSecond)} events/s (${fmt((eventSeconds * 1000) / eventCount, 2)} ms each)`,
    );

    await breathe();

    // 3. Query after a restart (cold cache), then warm runs.
    store.close();
    store = HistoryStore.open(dayPath, options);
    const query = (monitorId: string) =>
      store.querySamples({ monitorId, from: now - DAY_MS, to: now - 1, maxPoints: 1000 });
    t0 = performance.now();
    const cold = query(UPS_IDS[0]!);
    const coldMs = performance.now() - t0;
    if (cold.length !== 1000) throw new Error(`expected 1000 points, got ${cold.length}`);
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      t0 = performance.now();
      query(UPS_IDS[i % UPS_IDS.length]!);
      runs.push(performance.now() - t0);
    }
    const query24hMs = median(runs);
    t0 = performance.now();
    for (const id of UPS_IDS) query(id);
    const query24hAllUpsMs = performance.now() - t0;
    console.log(
      `history: 24 h of 1 s samples (86,400 per UPS) → 1000 points: ${fmt(query24hMs, 1)} ms per UPS (median; first after open ${fmt(coldMs, 1)} ms), ${fmt(query24hAllUpsMs, 1)} ms for all 4`,
    );
    store.close();

    await breathe();

    // 4. A week of 5 s samples for 4 UPSes: file size, and the cost of opening it.
    const weekPath = path.join(dir, 'week.db');
    store = HistoryStore.open(weekPath, options);
    t0 = performance.now();
    const weekSamples = fillSamples(store, 7 * DAY_MS, 5000, now - 7 * DAY_MS);
    const weekInsertMs = performance.now() - t0;
    store.close();
    const week5sFileBytes = fileBytes(weekPath);
    t0 = performance.now();
    store = HistoryStore.open(weekPath, { ...options, pruneOnOpen: true });
    const openWeekDefaultMs = performance.now() - t0;
    store.close();
    t0 = performance.now();
    store = HistoryStore.open(weekPath, { ...options, pruneOnOpen: true, checkOnOpen: 'always' });
    const openWeekCheckedMs = performance.now() - t0;
    store.close();
    console.log(
      `history: 7 days of 5 s samples for 4 UPSes: ${fmt(weekSamples)} rows (written in ${fmt(weekInsertMs / 1000, 1)} s), file ${fmt(week5sFileBytes / 1024 / 1024, 1)} MiB (${fmt(week5sFileBytes / weekSamples, 1)} bytes/sample); open + prune ${fmt(openWeekDefaultMs)} ms, with quick_check (after a crash) ${fmt(openWeekCheckedMs)} ms`,
    );

    return {
      sampleInsertsPerSecond,
      eventInsertsPerSecond,
      query24hMs,
      query24hAllUpsMs,
      week5sFileBytes,
      week5sSamples: weekSamples,
      openWeekDefaultMs,
      openWeekCheckedMs,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
