/**
 * Instant commands and settings against a real upsd 2.8 + dummy-ups (main/testing/upsd-rig.ts):
 * dummy-ups offers only load.off and refuses it through TRACKING; SET VAR succeeds through
 * TRACKING; a user without the right gets the rights hint; a self-test is skipped on battery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, type Config } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import type { UpsSnapshot } from '../../shared/snapshot';
import { HistoryStore } from '../history/history-store';
import { NutClient } from '../nut/client';
import { systemClock } from '../platform/node-ports';
import type { Logger } from '../platform/ports';
import { type Rig, startUpsdRig } from '../testing/upsd-rig';
import { SelfTests } from './self-test';
import { UpsCommands } from './ups-commands';

const logger: Logger = { log: () => undefined };
let rig: Rig;
let config: Config;
let commands: UpsCommands;
let history: HistoryStore;
const events: StoredEvent[] = [];

beforeAll(async () => {
  rig = await startUpsdRig({
    upses: [
      {
        name: 'ups',
        vars: {
          'ups.status': 'OL',
          'battery.charge': '100',
          'ups.test.result': 'No test initiated',
          'ups.delay.shutdown': '20',
        },
        pollInterval: 2,
      },
    ],
  });
  config = ConfigSchema.parse({
    masters: [
      {
        id: 'nas',
        label: 'NAS',
        host: rig.host,
        port: rig.port,
        ups: [{ name: 'ups', username: 'monuser', selfTest: { enabled: true } }],
      },
    ],
  });
  history = HistoryStore.open(':memory:', { retentionDays: 30, maxEvents: 10_000, logger });
  commands = new UpsCommands({
    config: () => config,
    secrets: null,
    rememberSecret: () => undefined,
    connect: (o) => NutClient.connect(o),
    recordEvent: (event) => {
      events.push(event);
      history.appendEvent(event);
    },
    clock: systemClock,
    logger,
    tuning: { trackingPollMs: 100, trackingTimeoutMs: 8000 },
  });
}, 60_000);

afterAll(async () => {
  await commands?.stop();
  history?.close();
  await rig?.stop();
});

const admin = {
  source: 'entered',
  username: 'admin',
  password: 'adminpass',
  remember: false,
} as const;

describe('ups commands on real upsd + dummy-ups', () => {
  it("lists load.off (dummy-ups's only command) as cutting power, and the writable variables", async () => {
    const controls = await commands.listControls('nas/ups');
    expect(controls.tracking).toBe(true);
    expect(controls.server.protVer).toBe('1.3');
    expect(controls.commands.map((c) => [c.name, c.danger])).toEqual([['load.off', 'cuts-power']]);
    const delay = controls.writable.find((w) => w.name === 'ups.delay.shutdown');
    expect(delay).toMatchObject({ value: '20' });
  });

  it('a command the driver refuses reports its failure through TRACKING', async () => {
    const outcome = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'load.off',
      credential: admin,
      confirmUpsName: 'ups',
    });
    expect(outcome).toMatchObject({ state: 'failed', tracked: true, code: 'ERR UNKNOWN' });
    expect(outcome.trackingId).toMatch(/^[0-9A-F-]{36}$/);
    expect(outcome.message).toMatch(/driver did not accept INSTCMD load\.off/);
    expect(events.at(-1)).toMatchObject({ type: 'INSTANT_COMMAND', severity: 'warning' });
  });

  it('a command the UPS does not offer is refused by upsd at once', async () => {
    const outcome = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'beeper.disable',
      credential: admin,
      muteMinutes: 60,
    });
    expect(outcome).toMatchObject({
      state: 'failed',
      tracked: false,
      code: 'ERR CMD-NOT-SUPPORTED',
      revertAt: null,
    });
    expect(commands.unmuteAt('nas/ups')).toBeNull();
  });

  it('SET VAR succeeds through TRACKING and the value changes', async () => {
    const outcome = await commands.setVariable({
      monitorId: 'nas/ups',
      name: 'ups.delay.shutdown',
      value: '45',
      credential: admin,
    });
    expect(outcome).toMatchObject({ state: 'success', tracked: true, code: 'SUCCESS' });
    await expect.poll(() => rig.getVar('ups', 'ups.delay.shutdown'), { timeout: 8000 }).toBe('45');
  });

  it('a user without the right gets the upsd.users hint for this 2.8 server', async () => {
    const outcome = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'load.off',
      credential: { source: 'entered', username: 'monuser', password: 'secret', remember: false },
      confirmUpsName: 'ups',
    });
    expect(outcome.state).toBe('refused');
    expect(outcome.code).toBe('ERR ACCESS-DENIED');
    expect(outcome.rightsHint).toContain('`instcmds = load.off`');
    expect(outcome.rightsHint).toContain('`upsmon primary` alone does not grant instant commands');
    const set = await commands.setVariable({
      monitorId: 'nas/ups',
      name: 'ups.delay.shutdown',
      value: '30',
      credential: { source: 'entered', username: 'monuser', password: 'secret', remember: false },
    });
    expect(set.state).toBe('refused');
    expect(set.rightsHint).toContain('`actions = SET`');
  });

  it('a self-test is skipped while the UPS is on battery (nothing sent)', async () => {
    await rig.setStatus('ups', 'OB DISCHRG');
    const onBattery = {
      monitorId: 'nas/ups',
      connection: 'connected',
      stale: false,
      status: await rig.getVar('ups', 'ups.status'),
      statusText: 'On battery',
      level: 'on-battery',
      onBatterySince: Date.now(),
      metrics: { charge: 100, runtime: 1000, load: 10, inputVoltage: 0, outputVoltage: 230 },
    } as UpsSnapshot;
    const tests = new SelfTests({
      commands,
      config: () => config,
      connect: (o) => NutClient.connect(o),
      snapshot: () => onBattery,
      history,
      clock: systemClock,
      logger,
    });
    const before = events.length;
    const record = await tests.run('nas/ups', 'manual', admin);
    expect(record).toMatchObject({
      result: 'skipped',
      reason: 'Self-test not run: the UPS is on battery (an outage is in progress).',
    });
    expect(events.slice(before).map((e) => e.type)).toEqual(['SELF_TEST']);
    expect(await rig.getVar('ups', 'ups.test.result')).toBe('No test initiated');
    await tests.stop();
    await rig.setStatus('ups', 'OL');
  });
});
