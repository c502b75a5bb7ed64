/**
 * Outage records and battery health through the composed core against a real upsd: dummy-ups is
 * driven through scripted discharge curves (charge and runtime falling with the load, compressed
 * from minutes into seconds), and the records, the capacity trend and the reminder must follow.
 */
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigInput, passwordKey } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import {
  BATTERY_REPLACE_EVENT,
  OUTAGE_CSV_COLUMNS,
  OUTAGE_RECORDED_EVENT,
  type OutageRecord,
} from '../../shared/outages';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import { dispatchInvoke } from '../core/dispatch';
import { type HttpReceiver, startHttpReceiver } from '../testing/http-receiver';
import { MemorySecretStore } from '../testing/memory-secret-store';
import { sleep, waitFor } from '../testing/net';
import { RIG_USERS, type Rig, SYNOLOGY_UPS_VARS, startUpsdRig } from '../testing/upsd-rig';

const UPS = 'ups';
const MONITOR = `nas/${UPS}`;
/** The day before today (UTC): outages of this test belong to the battery put in then. */
const REPLACED_ON = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

function config(port: number, ups: Record<string, unknown> = {}): ConfigInput {
  return {
    masters: [
      {
        id: 'nas',
        label: 'Office NAS',
        host: '127.0.0.1',
        port,
        ups: [{ name: UPS, username: RIG_USERS.monuser.name, ...ups }],
      },
    ],
    timing: { statusPollSeconds: 0.25, fullPollSeconds: 1 },
    shutdown: { dryRun: true },
    notifications: { desktop: false },
    outages: { blipSeconds: 1.5 },
    // Outages of at least 3 s count: minutes of a real discharge, compressed.
    battery: { usefulOutageMinutes: 0.05, capacityDriftPercent: 20, maxAgeYears: 4 },
  };
}

/**
 * One scripted outage: on battery for `seconds`, the charge falls `perSecond` % each second of
 * wall-clock time at `load` % (runtime falling with it), then back on line. The charge follows the
 * clock, not the steps, so a slow machine changes the number of readings, never the rate.
 */
async function outage(
  rig: Rig,
  options: { seconds: number; perSecond: number; load?: number; from?: number },
): Promise<void> {
  const { seconds, perSecond, load = 40, from = 100 } = options;
  await rig.setVar(UPS, 'ups.load', String(load));
  await rig.setVar(UPS, 'battery.charge', String(from));
  await rig.setVar(UPS, 'battery.runtime', '1800');
  await sleep(1200);
  await rig.setStatus(UPS, 'OB DISCHRG');
  const start = Date.now();
  for (;;) {
    await sleep(200);
    const elapsed = Math.min(seconds, (Date.now() - start) / 1000);
    const charge = Math.round(from - perSecond * elapsed);
    await rig.setVar(UPS, 'battery.charge', String(charge));
    await rig.setVar(UPS, 'battery.runtime', String(Math.round(18 * charge)));
    if (elapsed >= seconds) break;
  }
  // The last charge is read (full poll, 1 s) before the power is back.
  await sleep(1300);
  await rig.setStatus(UPS, 'OL CHRG');
  await rig.setVar(UPS, 'battery.charge', '100');
}

describe('outage records and battery health against a real upsd', () => {
  let rig: Rig;
  let dir: string;
  let core: CoreService | undefined;
  const events: StoredEvent[] = [];
  const receivers: HttpReceiver[] = [];

  async function startCore(input: ConfigInput): Promise<void> {
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(input));
    const secrets = new MemorySecretStore();
    await secrets.set(passwordKey('nas', UPS), RIG_USERS.monuser.password);
    core = await createAppCore({
      configPath: path.join(dir, 'config.json'),
      dataDir: dir,
      secrets,
      notifier: null,
      logger: { log: () => undefined },
    });
    core.onPush('events:appended', (e) => events.push(e));
    await core.start();
    await waitFor(() => core!.snapshot().ups[0]?.loggedIn === true, { timeoutMs: 15_000 });
  }

  const api = async <T>(channel: string, request: unknown): Promise<T> => {
    const result = await dispatchInvoke(core!.handlers, channel, request);
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    return result.response as T;
  };

  const closedRecords = async (count: number): Promise<OutageRecord[]> => {
    let records: OutageRecord[] = [];
    await waitFor(
      async () => {
        records = (
          await api<{ records: OutageRecord[] }>('outages:list', { monitorId: MONITOR })
        ).records.filter((r) => r.endedAt !== null);
        return records.length >= count;
      },
      { timeoutMs: 10_000 },
    );
    return records;
  };

  beforeEach(async () => {
    rig = await startUpsdRig({
      upses: [
        {
          name: UPS,
          vars: {
            ...SYNOLOGY_UPS_VARS,
            'battery.runtime': '1800',
            'ups.realpower.nominal': '600',
            'ups.load': '40',
          },
        },
      ],
    });
    dir = await mkdtemp(path.join(tmpdir(), 'outages-'));
    events.length = 0;
  });
  afterEach(async () => {
    await core?.stop();
    core = undefined;
    await rig?.stop();
    for (const receiver of receivers.splice(0)) await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends an outage as comm lost once upsd has been gone longer than outages.commLostSeconds', async () => {
    await startCore({ ...config(rig.port), outages: { blipSeconds: 1.5, commLostSeconds: 5 } });
    await sleep(1200);
    const before = Date.now();
    await rig.setStatus(UPS, 'OB DISCHRG');
    for (const charge of [96, 92, 88]) {
      await sleep(500);
      await rig.setVar(UPS, 'battery.charge', String(charge));
    }
    await waitFor(
      async () =>
        (await api<{ records: OutageRecord[] }>('outages:list', { monitorId: MONITOR })).records[0]
          ?.lowestCharge === 88,
      { timeoutMs: 5_000 },
    );
    const lostFrom = Date.now();
    await rig.stopUpsd();
    const lostBy = Date.now();

    // Within the grace the outage stays open: a short gap is bridged.
    await sleep(3_000);
    const during = await api<{ records: OutageRecord[] }>('outages:list', { monitorId: MONITOR });
    expect(during.records).toHaveLength(1);
    expect(during.records[0]!.endedAt).toBeNull();

    const [record] = await closedRecords(1);
    const r = record!;
    expect(r.endedBy).toBe('comm-lost');
    expect(r.startedAt).toBeGreaterThanOrEqual(before);
    // It ended when the UPS became unreadable (the monitor sees the closed connection at its next
    // poll, within the 5 s stale allowance at most), not when the grace ran out.
    expect(r.endedAt!).toBeGreaterThanOrEqual(lostFrom);
    expect(r.endedAt!).toBeLessThanOrEqual(lostBy + 5_000);
    expect(r.durationMs).toBe(r.endedAt! - r.startedAt);
    expect(r.lowestCharge).toBe(88);
    expect(
      events.some(
        (e) => e.type === OUTAGE_RECORDED_EVENT && e.message.includes('communication lost'),
      ),
    ).toBe(true);
  }, 45_000);

  it('records an outage with its figures, the events, the secondary that logged out, and exports it', async () => {
    await startCore(config(rig.port, { batteryReplacedOn: REPLACED_ON }));
    // A second secondary, from its own loopback address, logs in before the power fails.
    const other = net.connect({ host: '127.0.0.1', port: rig.port, localAddress: '127.0.0.2' });
    try {
      other.write(
        `USERNAME ${RIG_USERS.upsmonclient.name}\nPASSWORD ${RIG_USERS.upsmonclient.password}\nLOGIN ${UPS}\n`,
      );
      await waitFor(async () => (await rig.listClients(UPS)).includes('127.0.0.2'), {
        timeoutMs: 5_000,
      });
      await sleep(1200);
      const before = Date.now();
      await rig.setStatus(UPS, 'OB DISCHRG');
      for (let i = 1; i <= 12; i++) {
        await sleep(300);
        await rig.setVar(UPS, 'battery.charge', String(100 - 2 * i));
        await rig.setVar(UPS, 'battery.runtime', String(1800 - 60 * i));
        if (i === 6) other.write('LOGOUT\n');
      }
      await sleep(1300);
      await rig.setStatus(UPS, 'OL CHRG');
      const after = Date.now();

      const [record] = await closedRecords(1);
      expect(record).toBeDefined();
      const r = record!;
      expect(r.monitorId).toBe(MONITOR);
      expect(r.endedBy).toBe('power-back');
      expect(r.startedAt).toBeGreaterThanOrEqual(before);
      expect(r.endedAt!).toBeLessThanOrEqual(after + 1500);
      expect(r.durationMs).toBe(r.endedAt! - r.startedAt);
      // 12 steps of 250 ms plus the set-var round trips and the last wait.
      expect(r.durationMs).toBeGreaterThan(3_000);
      expect(r.durationMs).toBeLessThan(after - before + 1500);
      expect(r.chargeAtStart).toBe(100);
      expect(r.lowestCharge).toBe(76);
      expect(r.runtimeAtStartSeconds).toBe(1800);
      expect(r.onLineBefore).toMatchObject({ charge: 100, runtimeSeconds: 1800, load: 40 });
      expect(r.meanLoad).toBe(40);
      // 40 % of 600 W = 240 W over the covered part of the outage.
      expect(r.energySource).toBe('load × ups.realpower.nominal');
      expect(r.energyCoverage).toBeGreaterThan(0.6);
      expect(r.energyWh).toBeCloseTo((240 * r.durationMs * r.energyCoverage) / 3_600_000, 3);
      expect(r.discharge!.ratePerMinute).toBeGreaterThan(0);
      expect(r.events.map((e) => e.type)).toContain('ONBATT');
      expect(r.clientsAtStart).toEqual(expect.arrayContaining(['127.0.0.1', '127.0.0.2']));
      expect(r.logouts.map((l) => l.address)).toEqual(['127.0.0.2']);
      expect(r.logouts[0]!.at).toBeGreaterThan(r.startedAt);
      // The what-if timeline at the start, to set against what happened.
      expect(r.prediction?.emptyAtSeconds).toBe(1800);
      expect(
        events.some((e) => e.type === OUTAGE_RECORDED_EVENT && e.message.includes('power back')),
      ).toBe(true);

      expect(await api('outages:get', { id: r.id })).toEqual(r);
      const csv = await api<{ content: string; count: number; fileName: string }>(
        'outages:export',
        { monitorId: MONITOR, format: 'csv' },
      );
      expect(csv.count).toBe(1);
      expect(csv.fileName).toMatch(/^outages-nas-ups-\d{4}-\d{2}-\d{2}\.csv$/);
      const [header, row] = csv.content.trim().split('\r\n');
      expect(header).toBe(OUTAGE_CSV_COLUMNS.join(','));
      expect(row).toContain(',power-back,100,');
      expect(row).toContain('127.0.0.2@');
      const json = await api<{ content: string }>('outages:export', { format: 'json' });
      expect((JSON.parse(json.content) as { outages: OutageRecord[] }).outages[0]!.id).toBe(r.id);
      await expect(api('outages:get', { id: 'nope' })).rejects.toThrow(/UNKNOWN-OUTAGE/);
    } finally {
      other.destroy();
    }
  }, 60_000);

  it('an outage in progress survives a restart of the core and ends once, by power back', async () => {
    const input = config(rig.port, { batteryReplacedOn: REPLACED_ON });
    await startCore(input);
    await sleep(1200);
    await rig.setStatus(UPS, 'OB DISCHRG');
    await rig.setVar(UPS, 'battery.charge', '90');
    let open: OutageRecord | undefined;
    await waitFor(
      async () => {
        open = (await api<{ records: OutageRecord[] }>('outages:list', {})).records[0];
        return open !== undefined && open.endedAt === null && open.lowestCharge === 90;
      },
      { timeoutMs: 10_000 },
    );
    await core!.stop();
    core = undefined;
    // Still on battery while NUT Sentinel is away; lower when it is back.
    await rig.setVar(UPS, 'battery.charge', '80');
    await startCore(input);
    await sleep(1500);
    await rig.setStatus(UPS, 'OL CHRG');
    const records = await closedRecords(1);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      id: open!.id,
      startedAt: open!.startedAt,
      endedBy: 'power-back',
      chargeAtStart: 100,
      lowestCharge: 80,
    });
  }, 60_000);

  it('ends by shutdown when the shutdown sequence ran and monitoring stopped', async () => {
    await startCore({
      ...config(rig.port, { batteryReplacedOn: REPLACED_ON }),
      timing: {
        statusPollSeconds: 0.25,
        fullPollSeconds: 1,
        hostSyncSeconds: 1,
        finalDelaySeconds: 1,
      },
    });
    await sleep(1200);
    await rig.setStatus(UPS, 'OB DISCHRG');
    await sleep(800);
    await rig.setVar(UPS, 'battery.charge', '8');
    await rig.setStatus(UPS, 'OB LB');
    await waitFor(() => events.some((e) => e.type === 'SHUTDOWN_BEGINS'), { timeoutMs: 15_000 });
    // The machine goes down: NUT Sentinel stops with it.
    await core!.stop();
    core = undefined;
    const { HistoryStore } = await import('../history/history-store');
    const store = HistoryStore.open(path.join(dir, 'history.sqlite3'), {
      retentionDays: 30,
      maxEvents: 10_000,
      clock: { now: () => Date.now() } as never,
      logger: { log: () => undefined },
    });
    try {
      const rows = store.listOutages({ monitorId: MONITOR });
      expect(rows).toHaveLength(1);
      expect(rows[0]!.openState).toBeNull();
      const record = rows[0]!.record as OutageRecord;
      expect(record.endedBy).toBe('shutdown');
      expect(record.lowestCharge).toBe(8);
      expect(record.events.map((e) => e.type)).toEqual(
        expect.arrayContaining(['ONBATT', 'LOWBATT', 'SHUTDOWN_BEGINS']),
      );
    } finally {
      store.close();
    }
  }, 60_000);

  it('groups a short blip, and gives no capacity number from too little data (history off: in memory)', async () => {
    await startCore({
      ...config(rig.port, { batteryReplacedOn: REPLACED_ON }),
      history: { enabled: false },
    });
    await sleep(1200);
    await rig.setStatus(UPS, 'OB DISCHRG');
    await sleep(400);
    await rig.setStatus(UPS, 'OL');
    const [blip] = await closedRecords(1);
    expect(blip!.durationMs).toBeLessThan(1500);
    const list = await api<{ blipCount: number; blipSeconds: number }>('outages:list', {});
    expect(list).toMatchObject({ blipCount: 1, blipSeconds: 1.5 });

    const health = await api<{
      capacity: { state: string; message: string; percent: number | null };
      reasons: unknown[];
      age: { source: string; since: string };
    }>('battery:get-health', { monitorId: MONITOR });
    expect(health.capacity.state).toBe('needs-data');
    expect(health.capacity.percent).toBeNull();
    expect(health.capacity.message).toContain('needs one outage of at least 3 seconds');
    expect(health.age).toMatchObject({ source: 'config', since: REPLACED_ON });
    expect(health.reasons).toEqual([]);
    expect(core!.snapshot().ups[0]!.batteryReminder).toBeNull();
    await expect(api('battery:get-health', { monitorId: 'nas/other' })).rejects.toThrow(
      /UNKNOWN-MONITOR/,
    );
  });

  it('detects a capacity drift across outages with a weakened battery, and reminds once', async () => {
    await startCore(config(rig.port, { batteryReplacedOn: REPLACED_ON }));
    // Two outages of the healthy battery: 2.5 % per second at 40 % load.
    await outage(rig, { seconds: 6, perSecond: 2.5 });
    await outage(rig, { seconds: 6, perSecond: 2.5 });
    await closedRecords(2);
    let health = await api<{
      capacity: {
        state: string;
        percent: number | null;
        uncertainty: number | null;
        slopePerYear: number | null;
      };
      reasons: { kind: string }[];
    }>('battery:get-health', { monitorId: MONITOR });
    expect(health.capacity.state).toBe('trend');
    expect(health.capacity.percent!).toBeGreaterThan(80);
    expect(health.capacity.percent!).toBeLessThan(120);
    expect(health.reasons).toEqual([]);

    // The weakened battery: twice as fast at the same load, twice.
    await outage(rig, { seconds: 6, perSecond: 5 });
    await outage(rig, { seconds: 6, perSecond: 5 });
    await closedRecords(4);
    await waitFor(() => core!.snapshot().ups[0]!.batteryReminder !== null, { timeoutMs: 5_000 });
    health = await api('battery:get-health', { monitorId: MONITOR });
    expect(health.capacity.state).toBe('trend');
    expect(health.capacity.percent!).toBeGreaterThan(35);
    expect(health.capacity.percent!).toBeLessThan(70);
    expect(health.capacity.uncertainty!).toBeGreaterThan(0);
    expect(health.capacity.uncertainty!).toBeLessThan(15);
    // Minutes apart, not a month: no slope per year is made up from them.
    expect(health.capacity.slopePerYear).toBeNull();
    expect(health.reasons.map((r) => r.kind)).toEqual(['capacity']);
    expect(core!.snapshot().ups[0]!.batteryReminder).toMatchObject({
      reasons: ['capacity'],
      text: expect.stringMatching(/^Replace the battery: capacity down to \d+ %/),
    });
    const reminders = events.filter((e) => e.type === BATTERY_REPLACE_EVENT);
    expect(reminders).toHaveLength(1);
    expect(reminders[0]!.severity).toBe('warning');

    // Another outage of the weak battery: the same reason, no second reminder.
    await outage(rig, { seconds: 6, perSecond: 5 });
    await closedRecords(5);
    await sleep(500);
    expect(events.filter((e) => e.type === BATTERY_REPLACE_EVENT)).toHaveLength(1);
  }, 120_000);

  it('reminds of the battery age from battery.date, and of a REPLBATT, on the alert channels too', async () => {
    const webhook = await startHttpReceiver();
    receivers.push(webhook);
    // The rig's battery.date is 2021/08/15: older than 4 years.
    await startCore({
      ...config(rig.port),
      notifications: { desktop: true },
      alerts: { channels: [{ id: 'hook', type: 'webhook', url: `${webhook.url}/nut` }] },
    });
    await waitFor(() => core!.snapshot().ups[0]!.batteryReminder !== null, { timeoutMs: 10_000 });
    expect(core!.snapshot().ups[0]!.batteryReminder!.reasons).toEqual(['age']);
    let health = await api<{ age: { source: string; since: string }; reasons: { kind: string }[] }>(
      'battery:get-health',
      { monitorId: MONITOR },
    );
    expect(health.age).toMatchObject({ source: 'battery.date', since: '2021-08-15' });

    await rig.setStatus(UPS, 'OL RB');
    await waitFor(() => events.some((e) => e.type === 'REPLBATT'), { timeoutMs: 10_000 });
    await waitFor(
      () => core!.snapshot().ups[0]!.batteryReminder?.reasons.includes('replbatt') === true,
      { timeoutMs: 10_000 },
    );
    health = await api('battery:get-health', { monitorId: MONITOR });
    expect(health.reasons.map((r) => r.kind).sort()).toEqual(['age', 'replbatt']);
    expect(
      events.filter((e) => e.type === BATTERY_REPLACE_EVENT).map((e) => e.data?.kinds),
    ).toEqual([['age'], ['age', 'replbatt']]);
    await waitFor(
      () => webhook.requests.filter((r) => r.body.includes(BATTERY_REPLACE_EVENT)).length >= 2,
      { timeoutMs: 10_000 },
    );
    const bodies = webhook.requests
      .filter((r) => r.body.includes(BATTERY_REPLACE_EVENT))
      .map((r) => JSON.parse(r.body) as { phase: string; title: string; text: string });
    expect(bodies.map((b) => b.phase)).toEqual(['open', 'update']);
    expect(bodies[0]!.title).toBe('ups on Office NAS: Replace the battery');
    expect(bodies[0]!.text).toMatch(/^ups on Office NAS: Replace the battery: the battery is/);
    const notified = await api<{ title: string; route?: string }[]>(
      'notifications:recent',
      undefined,
    );
    expect(notified.filter((n) => n.title === `Replace the battery of ${MONITOR}`)).toHaveLength(2);
    expect(notified.find((n) => n.title.startsWith('Replace'))?.route).toBe('/ups/nas/ups/battery');
  });
});
