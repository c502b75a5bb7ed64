/**
 * The pure derivations: outage records from a series of reads and events, blip grouping, the
 * capacity estimate and the battery-health reasons.
 */
import { describe, expect, it } from 'vitest';
import {
  groupOutages,
  outagesToCsv,
  type OutageRecord,
  OutageRecordSchema,
} from '../../shared/outages';
import {
  batteryHealth,
  estimateCapacity,
  parseBatteryDate,
  selfTestFailed,
} from './battery-health';
import { observationOf, type UpsReading } from './outage-service';
import { OutageTracker, type OutageObservation, type TrackerChange } from './outage-tracker';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const MIN = 60_000;

function read(
  at: number,
  status: string,
  extra: Partial<OutageObservation> = {},
): OutageObservation {
  return {
    at,
    readable: true,
    status,
    charge: null,
    runtime: null,
    load: null,
    realpower: null,
    nominalPower: null,
    clients: null,
    ...extra,
  };
}

/** An on-battery stretch: charge falls linearly at `rate` %/min from `from`, a read every `stepMs`. */
function discharge(
  tracker: OutageTracker,
  start: number,
  minutes: number,
  options: { rate: number; from?: number; load?: number; nominal?: number | null; stepMs?: number },
): TrackerChange[] {
  const changes: TrackerChange[] = [];
  const step = options.stepMs ?? 5_000;
  for (let ms = 0; ms <= minutes * MIN; ms += step) {
    const charge = Math.round((options.from ?? 100) - (options.rate * ms) / MIN);
    const change = tracker.observe(
      read(start + ms, 'OB', {
        charge,
        runtime: 1800 - ms / 1000,
        load: options.load ?? 40,
        nominalPower: options.nominal === undefined ? 600 : options.nominal,
      }),
    );
    if (change) changes.push(change);
  }
  return changes;
}

function closedRecord(changes: (TrackerChange | null)[]): OutageRecord {
  const closed = changes.find((c) => c?.type === 'closed');
  if (!closed || closed.type !== 'closed') throw new Error('no closed record');
  return OutageRecordSchema.parse(closed.record);
}

describe('OutageTracker: records from reads and events', () => {
  it('derives start, end, duration, charges, runtime at start, load, energy and the fit', () => {
    const tracker = new OutageTracker('nas/ups');
    tracker.observe(read(T0 - 5_000, 'OL', { charge: 100, runtime: 1900, load: 38 }));
    const changes = discharge(tracker, T0, 10, { rate: 2, load: 40, nominal: 600 });
    expect(changes[0]?.type).toBe('opened');
    const end = tracker.observe(read(T0 + 10 * MIN + 5_000, 'OL CHRG', { charge: 80 }));
    const record = closedRecord([end]);
    expect(record.startedAt).toBe(T0);
    expect(record.endedAt).toBe(T0 + 10 * MIN + 5_000);
    expect(record.durationMs).toBe(10 * MIN + 5_000);
    expect(record.endedBy).toBe('power-back');
    expect(record.chargeAtStart).toBe(100);
    expect(record.lowestCharge).toBe(80);
    expect(record.runtimeAtStartSeconds).toBe(1800);
    expect(record.onLineBefore).toEqual({
      at: T0 - 5_000,
      charge: 100,
      runtimeSeconds: 1900,
      load: 38,
    });
    expect(record.meanLoad).toBe(40);
    // 40 % of 600 W for the 10 minutes between the first and the last on-battery read = 40 Wh.
    expect(record.energyWh).toBeCloseTo(40, 6);
    expect(record.energySource).toBe('load × ups.realpower.nominal');
    expect(record.energyCoverage).toBeCloseTo((10 * MIN) / (10 * MIN + 5_000), 6);
    expect(record.discharge?.ratePerMinute).toBeCloseTo(2, 1);
    expect(record.discharge?.points).toBe(121);
    expect(record.discharge?.rateStdError).toBeLessThan(0.01);
  });

  it('never misses the lowest charge, even from a read too close to the last to be a point', () => {
    const tracker = new OutageTracker('nas/ups');
    tracker.observe(read(T0, 'OB', { charge: 60 }));
    tracker.observe(read(T0 + 300, 'OB LB', { charge: 60 }));
    // 300 ms after the status change, same status: no point, but the charge counts.
    expect(tracker.observe(read(T0 + 600, 'OB LB', { charge: 8 }))).toBeNull();
    const record = closedRecord([tracker.observe(read(T0 + 5_000, 'OL'))]);
    expect(record.lowestCharge).toBe(8);
    expect(record.chargeAtEnd).toBe(8);
    expect(record.discharge?.points).toBe(2);
  });

  it('prefers ups.realpower and invents no energy where power is unknown', () => {
    const withPower = new OutageTracker('a/ups');
    withPower.observe(read(T0, 'OB', { charge: 90, realpower: 120, load: 10, nominalPower: 600 }));
    withPower.observe(
      read(T0 + MIN, 'OB', { charge: 89, realpower: 240, load: 10, nominalPower: 600 }),
    );
    const r1 = closedRecord([withPower.observe(read(T0 + 2 * MIN, 'OL'))]);
    expect(r1.energyWh).toBeCloseTo(3, 6); // (120 + 240) / 2 W for 1 min
    expect(r1.energySource).toBe('ups.realpower');

    const without = new OutageTracker('b/ups');
    discharge(without, T0, 2, { rate: 1, load: 40, nominal: null });
    const r2 = closedRecord([without.observe(read(T0 + 3 * MIN, 'OL'))]);
    expect(r2.energyWh).toBeNull();
    expect(r2.energySource).toBeNull();
    expect(r2.energyCoverage).toBe(0);
  });

  it('keeps the events in between and which secondaries logged out when', () => {
    const tracker = new OutageTracker('nas/ups');
    const pi = { address: '10.0.0.21', hostname: 'pi-a' };
    const me = { address: '10.0.0.5', hostname: null };
    tracker.observe(read(T0, 'OB', { charge: 100, clients: [pi, me] }));
    tracker.recordEvent({
      at: T0 + 1000,
      type: 'ONBATT',
      severity: 'warning',
      message: 'on battery',
    });
    tracker.observe(read(T0 + 30_000, 'OB LB', { charge: 20, clients: [pi, me] }));
    tracker.recordEvent({ at: T0 + 31_000, type: 'LOWBATT', severity: 'critical', message: 'low' });
    tracker.observe(read(T0 + 40_000, 'OB LB', { charge: 18, clients: [me] }));
    const record = closedRecord([tracker.observe(read(T0 + 50_000, 'OL', { clients: [me] }))]);
    expect(record.clientsAtStart).toEqual(['10.0.0.21', '10.0.0.5']);
    expect(record.logouts).toEqual([{ address: '10.0.0.21', hostname: 'pi-a', at: T0 + 40_000 }]);
    expect(record.events.map((e) => e.type)).toEqual(['ONBATT', 'LOWBATT']);
  });

  it('ends with comm lost past the grace, with shutdown when it began first, and survives a restart', () => {
    const lost = new OutageTracker('a/ups');
    lost.observe(read(T0, 'OB', { charge: 50 }));
    expect(lost.observe({ ...read(T0 + 5_000, 'OB'), readable: false })?.type).toBe('updated');
    expect(lost.tick(T0 + 30_000)).toBeNull();
    const r1 = closedRecord([lost.tick(T0 + 5_000 + 61_000)]);
    expect(r1.endedBy).toBe('comm-lost');
    expect(r1.endedAt).toBe(T0 + 5_000);

    const shut = new OutageTracker('b/ups');
    shut.observe(read(T0, 'OB', { charge: 50 }));
    shut.recordEvent({ at: T0 + 2_000, type: 'FSD', severity: 'critical', message: 'fsd' });
    shut.observe({ ...read(T0 + 4_000, 'OB'), readable: false });
    expect(closedRecord([shut.tick(T0 + 70_000)]).endedBy).toBe('shutdown');

    // The app stops mid-outage: the state (JSON) comes back, and a read on line much later closes it.
    const first = new OutageTracker('c/ups');
    first.observe(read(T0, 'OB', { charge: 70 }));
    first.observe(read(T0 + 10_000, 'OB', { charge: 69 }));
    expect(first.stop(T0 + 11_000)).toBeNull();
    const stored = JSON.parse(JSON.stringify(first.open)) as typeof first.open;
    const again = new OutageTracker('c/ups', stored);
    const r3 = closedRecord([again.observe(read(T0 + 3_600_000, 'OL', { charge: 100 }))]);
    expect(r3.endedBy).toBe('monitoring-stopped');
    expect(r3.endedAt).toBe(T0 + 10_000);
    expect(r3.lowestCharge).toBe(69);
  });
});

describe('observationOf: a reading as the tracker sees it', () => {
  const reading = (extra: Partial<UpsReading>): UpsReading => ({
    monitorId: 'nas/ups',
    readable: true,
    status: 'OB DISCHRG',
    statusAt: T0,
    variables: new Map([
      ['ups.status', 'OL CHRG'],
      ['battery.charge', '100'],
    ]),
    variablesAt: T0 + 300,
    clients: null,
    ...extra,
  });

  it("takes the full poll's own ups.status when its variables are the newer read", () => {
    // Power came back between two status polls: the charge of 100 % belongs to OL, not to the outage.
    expect(observationOf(reading({}), T0 + 400)).toMatchObject({
      at: T0 + 300,
      status: 'OL CHRG',
      charge: 100,
    });
  });

  it('keeps the status poll when it is the newer read, or when the variables have no ups.status', () => {
    expect(observationOf(reading({ statusAt: T0 + 500 }), T0 + 600).status).toBe('OB DISCHRG');
    expect(
      observationOf(reading({ variables: new Map([['battery.charge', '80']]) }), T0 + 400),
    ).toMatchObject({ status: 'OB DISCHRG', charge: 80 });
  });

  it('an outage that ends between two status polls gets no point at the recharged value', () => {
    const tracker = new OutageTracker('nas/ups');
    const vars = (status: string, charge: number) =>
      new Map([
        ['ups.status', status],
        ['battery.charge', String(charge)],
      ]);
    const feed = (r: Partial<UpsReading>, now: number) =>
      tracker.observe(observationOf(reading(r), now));
    feed(
      { status: 'OB DISCHRG', statusAt: T0, variables: vars('OB DISCHRG', 90), variablesAt: T0 },
      T0,
    );
    feed(
      {
        status: 'OB DISCHRG',
        statusAt: T0 + 2000,
        variables: vars('OB DISCHRG', 80),
        variablesAt: T0 + 2000,
      },
      T0 + 2000,
    );
    // The full poll reads OL and 100 % before the status poll notices the power is back.
    const closed = feed(
      {
        status: 'OB DISCHRG',
        statusAt: T0 + 2000,
        variables: vars('OL CHRG', 100),
        variablesAt: T0 + 3000,
      },
      T0 + 3000,
    );
    expect(closed?.type).toBe('closed');
    const record = (closed as Extract<TrackerChange, { type: 'closed' }>).record;
    expect(record.chargeAtEnd).toBe(80);
    expect(record.discharge!.ratePerMinute).toBeCloseTo(300, 0);
  });
});

describe('groupOutages: blips counted but grouped', () => {
  const rec = (id: string, startedAt: number, seconds: number): OutageRecord => ({
    ...closedRecord([
      (() => {
        const t = new OutageTracker('u/ups');
        t.observe(read(startedAt, 'OB', { charge: 100 }));
        return t.observe(read(startedAt + seconds * 1000, 'OL'));
      })(),
    ]),
    id,
  });

  it('groups consecutive blips and keeps longer outages apart', () => {
    const records = [
      rec('e', T0 + 5 * MIN, 10),
      rec('d', T0 + 4 * MIN, 5),
      rec('c', T0 + 3 * MIN, 120),
      rec('b', T0 + 2 * MIN, 29),
      rec('a', T0 + 1 * MIN, 30),
    ];
    const items = groupOutages(records, 30);
    expect(
      items.map((i) => (i.kind === 'outage' ? i.record.id : `blips:${i.ids.join('')}`)),
    ).toEqual(['blips:ed', 'c', 'blips:b', 'a']);
    const first = items[0]!;
    expect(first.kind === 'blips' && first.count).toBe(2);
    expect(first.kind === 'blips' && first.totalMs).toBe(15_000);
    // Blip length 0: nothing is a blip.
    expect(groupOutages(records, 0).every((i) => i.kind === 'outage')).toBe(true);
  });

  it('exports CSV with a header row, quoting where needed and empty cells for unknowns', () => {
    const csv = outagesToCsv([rec('x', T0, 40)]);
    const [header, row] = csv.split('\r\n');
    expect(header).toMatch(/^id,ups,started_utc,ended_utc,duration_s,ended_by,/);
    expect(row).toContain(',40,power-back,100,100,100,,');
  });
});

function outage(
  startedAt: number,
  minutes: number,
  rate: number,
  load = 40,
  onLine: { runtime: number } | null = null,
): OutageRecord {
  const tracker = new OutageTracker('nas/ups');
  if (onLine)
    tracker.observe(read(startedAt - 5_000, 'OL', { charge: 100, runtime: onLine.runtime, load }));
  discharge(tracker, startedAt, minutes, { rate, load });
  return closedRecord([tracker.observe(read(startedAt + minutes * MIN + 5_000, 'OL'))]);
}

const SETTINGS = { usefulOutageMinutes: 5, maxAgeYears: 4, capacityDriftPercent: 20 };
const DAY = 86_400_000;

describe('estimateCapacity', () => {
  it('gives no number from too little data', () => {
    const none = estimateCapacity([], SETTINGS);
    expect(none.state).toBe('needs-data');
    expect(none.message).toContain('needs one outage of at least 5 minutes');
    const short = estimateCapacity([outage(T0, 3, 2), outage(T0 + DAY, 4.5, 2)], SETTINGS);
    expect(short.state).toBe('needs-data');
    expect(short.usableOutages).toBe(0);
    const one = estimateCapacity([outage(T0, 6, 2)], SETTINGS);
    expect(one.state).toBe('baseline');
    expect(one.percent).toBeNull();
    expect(one.message).toContain('needs one more outage of at least 5 minutes');
  });

  it('sees a healthy battery as ~100 % and a weakened one drift, with an uncertainty', () => {
    const healthy = estimateCapacity(
      [outage(T0, 8, 2), outage(T0 + 30 * DAY, 8, 2), outage(T0 + 60 * DAY, 8, 1.6, 32)],
      SETTINGS,
    );
    expect(healthy.state).toBe('trend');
    expect(healthy.percent!).toBeGreaterThan(97);
    expect(healthy.percent!).toBeLessThan(103);

    // Same load, the charge falls twice as fast: half the capacity.
    const weak = estimateCapacity(
      [outage(T0, 8, 2), outage(T0 + 90 * DAY, 8, 3), outage(T0 + 180 * DAY, 8, 4)],
      SETTINGS,
    );
    expect(weak.state).toBe('trend');
    expect(weak.points.filter((p) => p.baseline)).toHaveLength(1);
    expect(weak.points[2]!.percent!).toBeCloseTo(50, 0);
    expect(weak.uncertainty!).toBeGreaterThan(0);
    expect(weak.uncertainty!).toBeLessThan(5);
    expect(weak.slopePerYear!).toBeLessThan(-50);
  });

  it('only counts outages of the current battery and compares to battery.runtime on line', () => {
    const old = outage(T0, 8, 4);
    const fresh = [outage(T0 + 10 * DAY, 8, 2, 40, { runtime: 3000 }), outage(T0 + 20 * DAY, 8, 2)];
    const estimate = estimateCapacity([old, ...fresh], SETTINGS, T0 + 5 * DAY);
    expect(estimate.usableOutages).toBe(2);
    expect(estimate.percent!).toBeCloseTo(100, 0);
    // 2 %/min: 50 min for a full charge = 3000 s, what the UPS promised.
    expect(estimate.points[0]!.runtimeRatio!).toBeCloseTo(1, 1);
  });
});

describe('batteryHealth', () => {
  const base = {
    monitorId: 'nas/ups',
    now: Date.UTC(2026, 5, 1),
    settings: SETTINGS,
    replacedOn: null,
    status: 'OL',
    records: [] as OutageRecord[],
    replbattEvents: [] as { at: number; message: string }[],
  };

  it('reads battery dates in the usual formats', () => {
    expect(parseBatteryDate('2021/03/15')).toBe('2021-03-15');
    expect(parseBatteryDate('03/15/21')).toBe('2021-03-15');
    expect(parseBatteryDate('2021-03')).toBe('2021-03-01');
    expect(parseBatteryDate('2021/02/30')).toBeNull();
    expect(parseBatteryDate('unknown')).toBeNull();
  });

  it('names every reason: age, REPLBATT, a failed self-test, capacity drift', () => {
    const records = [outage(Date.UTC(2026, 0, 1), 8, 2), outage(Date.UTC(2026, 2, 1), 8, 4)];
    const health = batteryHealth({
      ...base,
      variables: new Map([
        ['battery.mfr.date', '2020/01/10'],
        ['ups.test.result', 'Done and error'],
      ]),
      status: 'OL RB',
      records,
      replbattEvents: [{ at: Date.UTC(2026, 4, 1), message: 'replace' }],
    });
    expect(health.age).toMatchObject({ since: '2020-01-10', source: 'battery.mfr.date' });
    expect(health.reasons.map((r) => r.kind)).toEqual(['age', 'replbatt', 'self-test', 'capacity']);
    expect(health.reminder).toMatch(/^Replace the battery: the battery is 6\.4 years old/);
    expect(health.capacity.percent!).toBeCloseTo(50, 0);
  });

  it('the date entered at replacement wins, and older outages and REPLBATT no longer count', () => {
    const records = [outage(Date.UTC(2026, 0, 1), 8, 2), outage(Date.UTC(2026, 2, 1), 8, 4)];
    const health = batteryHealth({
      ...base,
      replacedOn: '2026-04-01',
      variables: new Map([
        ['battery.date', '2019/01/01'],
        ['ups.test.result', 'Done and passed'],
      ]),
      records,
      replbattEvents: [{ at: Date.UTC(2026, 2, 15), message: 'replace' }],
    });
    expect(health.age.source).toBe('config');
    expect(health.reasons).toEqual([]);
    expect(health.reminder).toBeNull();
    expect(health.capacity.state).toBe('needs-data');
    expect(health.replbatt.history).toHaveLength(1);
  });

  it('a stored failed self-test is a reason until a later pass or a new battery; skips say nothing', () => {
    const failed = {
      at: Date.UTC(2026, 5, 1),
      result: 'failed',
      testResult: 'Done and error',
      reason: 'the UPS says so',
    };
    const skipped = {
      at: Date.UTC(2026, 6, 1),
      result: 'skipped',
      testResult: null,
      reason: 'on battery',
    };
    const one = batteryHealth({ ...base, variables: new Map(), selfTests: [skipped, failed] });
    expect(one.selfTest.failed).toBe(true);
    expect(one.selfTest.history.map((t) => t.result)).toEqual(['failed']);
    expect(one.reasons).toEqual([
      { kind: 'self-test', text: 'the self-test of 2026-06-01 failed (Done and error)' },
    ]);
    const passed = {
      ...failed,
      at: Date.UTC(2026, 7, 1),
      result: 'passed',
      testResult: 'Done and passed',
    };
    expect(
      batteryHealth({ ...base, variables: new Map(), selfTests: [failed, passed] }).reasons,
    ).toEqual([]);
    expect(
      batteryHealth({
        ...base,
        replacedOn: '2026-07-01',
        variables: new Map(),
        selfTests: [failed],
      }).selfTest.failed,
    ).toBe(false);
  });

  it('tells failed self-tests from passed and absent ones', () => {
    expect(selfTestFailed('Done and error')).toBe(true);
    expect(selfTestFailed('Failed')).toBe(true);
    expect(selfTestFailed('Done and passed')).toBe(false);
    expect(selfTestFailed('No test initiated')).toBe(false);
    expect(selfTestFailed(null)).toBe(false);
  });
});
