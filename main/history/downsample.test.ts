import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sampleBucketMs, type MetricSample } from '../../shared/history';
import { HistoryStore } from './history-store';
import { makeTempDir, sample } from './testing/helpers';

const T0 = Date.UTC(2025, 0, 1);
const READINGS = ['charge', 'runtime', 'load', 'inputVoltage'] as const;

let dir: string;
let store: HistoryStore;
let seq = 0;
/** Each test (and property run) gets its own UPS id, so one store serves them all. */
let ups: string;

beforeAll(() => {
  dir = makeTempDir();
  store = HistoryStore.open(path.join(dir, 'history.db'), {
    retentionDays: 3650,
    maxEvents: 1_000_000,
    pruneOnOpen: false,
  });
});

afterAll(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  ups = `test/ups-${seq++}`;
});

function add(samples: MetricSample[]): void {
  for (const s of samples) store.appendSample({ ...s, monitorId: ups });
}

describe('sampleBucketMs', () => {
  it('never yields more than maxPoints buckets over [from, to]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: 1e10 }),
        fc.integer({ min: 2, max: 100_000 }),
        (from, span, maxPoints) => {
          const width = sampleBucketMs(from, from + span, maxPoints);
          expect(width).toBeGreaterThanOrEqual(1);
          expect(Math.floor(span / width) + 1).toBeLessThanOrEqual(maxPoints);
        },
      ),
    );
  });
});

describe('querySamples downsampling', () => {
  it('returns the samples unchanged when they fit in maxPoints', () => {
    const input = Array.from({ length: 10 }, (_, i) =>
      sample(T0 + i * 5000, { charge: 50 + i, runtime: i % 3 === 0 ? null : 600 + i }),
    );
    add(input);
    const out = store.querySamples({ monitorId: ups, from: T0, to: T0 + 60_000, maxPoints: 10 });
    expect(out).toEqual(input.map((s) => ({ ...s, monitorId: ups })));
  });

  it('averages each time bucket, with the bucket start as its time and the latest status', () => {
    // 100 samples, one a second; 10 points over 100 s → 10 s buckets of 10 samples each.
    add(
      Array.from({ length: 100 }, (_, i) =>
        sample(T0 + i * 1000, {
          charge: i,
          load: 2 * i,
          runtime: 1000,
          inputVoltage: 230 + (i % 2),
          status: `S${i}`,
        }),
      ),
    );
    const out = store.querySamples({ monitorId: ups, from: T0, to: T0 + 99_999, maxPoints: 10 });
    expect(sampleBucketMs(T0, T0 + 99_999, 10)).toBe(10_000);
    expect(out).toHaveLength(10);
    out.forEach((point, k) => {
      expect(point.at).toBe(T0 + k * 10_000);
      expect(point.monitorId).toBe(ups);
      expect(point.charge).toBeCloseTo(10 * k + 4.5, 12); // mean of 10k..10k+9
      expect(point.load).toBeCloseTo(2 * (10 * k + 4.5), 12);
      expect(point.runtime).toBe(1000);
      expect(point.inputVoltage).toBeCloseTo(230.5, 12);
      expect(point.status).toBe(`S${10 * k + 9}`);
    });
  });

  it('keeps gaps as gaps: no samples in a bucket, no point (and no zeros)', () => {
    // Samples in the first 5 s and the last 5 s of a 100 s window; nothing in between.
    const early = Array.from({ length: 5 }, (_, i) => sample(T0 + i * 1000, { charge: 80 }));
    const late = Array.from({ length: 5 }, (_, i) =>
      sample(T0 + 95_000 + i * 1000, { charge: 60 }),
    );
    add([...early, ...late]);
    const out = store.querySamples({ monitorId: ups, from: T0, to: T0 + 99_999, maxPoints: 4 }); // 25 s buckets
    expect(out.map((p) => [p.at, p.charge])).toEqual([
      [T0, 80],
      [T0 + 75_000, 60],
    ]);
  });

  it('keeps nulls: a bucket with only unknown values is null, and unknowns do not drag an average to 0', () => {
    add([
      // bucket 0: runtime unknown throughout, charge partly unknown
      sample(T0, { runtime: null, charge: 90 }),
      sample(T0 + 1000, { runtime: null, charge: null }),
      sample(T0 + 2000, { runtime: null, charge: 70 }),
      // bucket 1: everything known
      sample(T0 + 5000, { runtime: 600, charge: 50, status: null }),
      sample(T0 + 6000, { runtime: 400, charge: 40, status: null }),
    ]);
    const out = store.querySamples({ monitorId: ups, from: T0, to: T0 + 9999, maxPoints: 2 }); // 5 s buckets
    expect(out).toEqual([
      {
        at: T0,
        monitorId: ups,
        charge: 80,
        runtime: null,
        load: 20,
        inputVoltage: 230,
        status: 'OL',
      },
      {
        at: T0 + 5000,
        monitorId: ups,
        charge: 45,
        runtime: 500,
        load: 20,
        inputVoltage: 230,
        status: null,
      },
    ]);
  });

  it('never returns more than maxPoints points, even for a dense day', () => {
    add(Array.from({ length: 20_000 }, (_, i) => sample(T0 + i * 4321, { load: i % 50 })));
    for (const maxPoints of [2, 3, 7, 1000, 19_999]) {
      const out = store.querySamples({
        monitorId: ups,
        from: T0,
        to: T0 + 20_000 * 4321,
        maxPoints,
      });
      expect(out.length).toBeLessThanOrEqual(maxPoints);
      expect(out.length).toBeGreaterThan(0);
    }
    expect(
      store.querySamples({ monitorId: ups, from: T0, to: T0 + 20_000 * 4321, maxPoints: 20_000 }),
    ).toHaveLength(20_000);
  });
});

const reading = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
);
const status = fc.oneof(
  fc.constant(null),
  fc.constantFrom('OL', 'OB DISCHRG', 'OL CHRG LB', 'FSD OB LB'),
  fc.string({ maxLength: 20 }),
);

/** Random sample streams for one UPS: unique, unordered times within ~a day. */
const stream = fc
  .uniqueArray(fc.integer({ min: 0, max: 86_400_000 }), { minLength: 1, maxLength: 300 })
  .chain((offsets) =>
    fc.tuple(
      ...offsets.map((offset) =>
        fc
          .record({
            charge: reading,
            runtime: reading,
            load: reading,
            inputVoltage: reading,
            status,
          })
          .map((r) => ({ at: T0 + offset, ...r })),
      ),
    ),
  );

function normalised(s: Omit<MetricSample, 'monitorId'>): MetricSample {
  const fix = (v: number | null) => (v === 0 ? 0 : v); // -0 is stored as 0
  return {
    at: s.at,
    monitorId: ups,
    charge: fix(s.charge),
    runtime: fix(s.runtime),
    load: fix(s.load),
    inputVoltage: fix(s.inputVoltage),
    status: s.status,
  };
}

describe('querySamples properties', () => {
  it('round-trips any sample stream unchanged when maxPoints ≥ count (values equal, nulls preserved)', () => {
    fc.assert(
      fc.property(stream, fc.integer({ min: 0, max: 50 }), (samples, extra) => {
        ups = `prop/rt-${seq++}`;
        add(samples.map((s) => ({ ...s, monitorId: ups })));
        const out = store.querySamples({
          monitorId: ups,
          from: T0,
          to: T0 + 86_400_000,
          maxPoints: Math.max(2, samples.length + extra),
        });
        const expected = [...samples].sort((a, b) => a.at - b.at).map(normalised);
        expect(out).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('matches a reference bucket average when downsampling', () => {
    fc.assert(
      fc.property(stream, fc.integer({ min: 2, max: 50 }), (samples, maxPoints) => {
        fc.pre(samples.length > maxPoints);
        ups = `prop/ds-${seq++}`;
        add(samples.map((s) => ({ ...s, monitorId: ups })));
        const from = T0;
        const to = T0 + 86_400_000;
        const out = store.querySamples({ monitorId: ups, from, to, maxPoints });

        const width = sampleBucketMs(from, to, maxPoints);
        const buckets = new Map<number, MetricSample[]>();
        for (const s of [...samples].sort((a, b) => a.at - b.at)) {
          const k = Math.floor((s.at - from) / width);
          buckets.set(k, [...(buckets.get(k) ?? []), normalised(s)]);
        }
        const keys = [...buckets.keys()].sort((a, b) => a - b);
        expect(out.map((p) => p.at)).toEqual(keys.map((k) => from + k * width));
        expect(out.length).toBeLessThanOrEqual(maxPoints);
        keys.forEach((k, i) => {
          const members = buckets.get(k)!;
          const point = out[i]!;
          for (const metric of READINGS) {
            const known = members.map((m) => m[metric]).filter((v): v is number => v !== null);
            if (known.length === 0) {
              expect(point[metric]).toBeNull();
            } else {
              const mean = known.reduce((a, b) => a + b, 0) / known.length;
              expect(point[metric]).not.toBeNull();
              expect(Math.abs(point[metric]! - mean)).toBeLessThanOrEqual(
                1e-9 * Math.max(1, ...known.map(Math.abs)),
              );
            }
          }
          expect(point.status).toBe(members[members.length - 1]!.status);
        });
      }),
      { numRuns: 60 },
    );
  });
});
