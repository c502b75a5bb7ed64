/**
 * Instant commands, settings and self-tests against the scripted upsd (main/testing/scripted-upsd.ts):
 * the success paths through TRACKING, a server before 2.8.0, the rights hints, the timed beeper
 * mute, and ups.test.result sequences. The same against real upsd: ups-commands.integration.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema, type Config } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import type { UpsSnapshot } from '../../shared/snapshot';
import { HistoryStore } from '../history/history-store';
import { NutClient } from '../nut/client';
import { ApiRequestError } from '../platform/api-request-error';
import { systemClock } from '../platform/node-ports';
import type { Clock, Logger, SecretStore } from '../platform/ports';
import { FakeClock } from '../testing/fake-clock';
import { type ScriptedUpsd, startScriptedUpsd } from '../testing/scripted-upsd';
import { SelfTests } from './self-test';
import { UpsCommands, commandCredentialKey } from './ups-commands';

const logger: Logger = { log: () => undefined };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  get(key: string) {
    return Promise.resolve(this.values.get(key));
  }
  set(key: string, value: string) {
    this.values.set(key, value);
    return Promise.resolve();
  }
  delete(key: string) {
    this.values.delete(key);
    return Promise.resolve();
  }
}

function configFor(upsd: ScriptedUpsd, selfTest: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse({
    masters: [
      {
        id: 'nas',
        label: 'NAS',
        host: upsd.server.host,
        port: upsd.server.port,
        ups: [{ name: 'ups', username: 'monuser', selfTest }],
      },
    ],
  });
}

async function setup(
  options: Parameters<typeof startScriptedUpsd>[0] = {},
  extra: { clock?: Clock; selfTest?: Record<string, unknown> } = {},
) {
  const upsd = await startScriptedUpsd(options);
  cleanups.push(() => upsd.close());
  const config = configFor(upsd, extra.selfTest);
  const events: StoredEvent[] = [];
  const history = HistoryStore.open(':memory:', {
    retentionDays: 30,
    maxEvents: 10_000,
    logger,
  });
  cleanups.push(() => history.close());
  const secrets = new MemorySecrets();
  const known: string[] = [];
  const commands = new UpsCommands({
    config: () => config,
    secrets,
    rememberSecret: (value) => known.push(value),
    connect: (o) => NutClient.connect(o),
    recordEvent: (event) => {
      events.push(event);
      history.appendEvent(event);
    },
    clock: extra.clock ?? systemClock,
    logger,
    tuning: { trackingPollMs: 20, trackingTimeoutMs: 2000 },
  });
  cleanups.push(() => commands.stop());
  return { upsd, config, events, history, secrets, commands, known };
}

const admin = {
  source: 'entered',
  username: 'admin',
  password: 'adminpass',
  remember: false,
} as const;
const monuser = {
  source: 'entered',
  username: 'monuser',
  password: 'secret',
  remember: false,
} as const;

describe('instant commands and settings (scripted upsd)', () => {
  it('lists the commands with descriptions and marks the dangerous and the timed-mute ones', async () => {
    const { commands } = await setup();
    const controls = await commands.listControls('nas/ups');
    expect(controls.tracking).toBe(true);
    expect(controls.commands).toEqual([
      {
        name: 'beeper.disable',
        description: 'Description of beeper.disable',
        danger: null,
        timedMute: true,
      },
      {
        name: 'beeper.enable',
        description: 'Description of beeper.enable',
        danger: null,
        timedMute: false,
      },
      {
        name: 'load.off',
        description: 'Description of load.off',
        danger: 'cuts-power',
        timedMute: false,
      },
      {
        name: 'test.battery.start.quick',
        description: 'Description of test.battery.start.quick',
        danger: null,
        timedMute: false,
      },
    ]);
    expect(controls.writable.map((w) => [w.name, w.value])).toEqual([['ups.delay.shutdown', '20']]);
  });

  it('reports SUCCESS through TRACKING after PENDING, and records the event', async () => {
    const { commands, events, upsd } = await setup({ pendingPolls: 2 });
    const outcome = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'test.battery.start.quick',
      credential: admin,
    });
    expect(outcome).toMatchObject({ state: 'success', tracked: true, code: 'SUCCESS' });
    expect(outcome.trackingId).toBe('ID-1');
    expect(upsd.actions()).toEqual(['INSTCMD ups test.battery.start.quick']);
    expect(events.at(-1)).toMatchObject({ type: 'INSTANT_COMMAND', severity: 'info' });
    expect(JSON.stringify(events)).not.toContain('adminpass');
  });

  it('a driver failure through TRACKING is a failed outcome', async () => {
    const { commands } = await setup({
      verdicts: { 'ups.delay.shutdown': 'ERR INVALID-ARGUMENT' },
    });
    const outcome = await commands.setVariable({
      monitorId: 'nas/ups',
      name: 'ups.delay.shutdown',
      value: '999',
      credential: admin,
    });
    expect(outcome).toMatchObject({ state: 'failed', tracked: true, code: 'ERR INVALID-ARGUMENT' });
    expect(outcome.message).toMatch(/refused the value/);
  });

  it('needs the typed UPS name for a command that cuts power', async () => {
    const { commands, upsd } = await setup();
    const attempt = commands.runCommand({
      monitorId: 'nas/ups',
      command: 'load.off',
      credential: admin,
    });
    await expect(attempt).rejects.toBeInstanceOf(ApiRequestError);
    await expect(attempt).rejects.toMatchObject({ apiError: { code: 'CONFIRMATION-REQUIRED' } });
    await expect(
      commands.runCommand({
        monitorId: 'nas/ups',
        command: 'load.off',
        credential: admin,
        confirmUpsName: 'UPS',
      }),
    ).rejects.toMatchObject({ apiError: { code: 'CONFIRMATION-REQUIRED' } });
    expect(upsd.actions()).toEqual([]);
    const confirmed = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'load.off',
      credential: admin,
      confirmUpsName: 'ups',
    });
    expect(confirmed.state).toBe('success');
  });

  it('a user without the right gets the upsd.users hint in NUT 2.8 words', async () => {
    const { commands } = await setup();
    const outcome = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'test.battery.start.quick',
      credential: monuser,
    });
    expect(outcome.state).toBe('refused');
    expect(outcome.code).toBe('ERR ACCESS-DENIED');
    expect(outcome.rightsHint).toContain('`instcmds = test.battery.start.quick`');
    expect(outcome.rightsHint).toContain('`upsmon primary` alone does not grant instant commands');
    expect(outcome.rightsHint).toContain('NUT 2.8.0 or later');
    expect(outcome.rightsHint).toContain(
      '[monuser]\n  password = <its password>\n  instcmds = test.battery.start.quick\n  upsmon secondary',
    );
    const set = await commands.setVariable({
      monitorId: 'nas/ups',
      name: 'ups.delay.shutdown',
      value: '30',
      credential: monuser,
    });
    expect(set.state).toBe('refused');
    expect(set.rightsHint).toContain('`actions = SET`');
  });

  it('a server before 2.8.0: the immediate reply ("sent"), and the hint in master/slave words', async () => {
    const { commands, upsd } = await setup({ nut28: false });
    const controls = await commands.listControls('nas/ups');
    expect(controls.tracking).toBe(false);
    expect(controls.server.protVer).toBeNull();
    const outcome = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'test.battery.start.quick',
      credential: admin,
    });
    expect(outcome).toMatchObject({ state: 'sent', tracked: false, code: 'OK', trackingId: null });
    expect(outcome.message).toMatch(/no TRACKING \(NUT before 2\.8\.0\)/);
    expect(upsd.server.received).not.toContain('SET TRACKING ON');
    const refused = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'test.battery.start.quick',
      credential: monuser,
    });
    expect(refused.state).toBe('refused');
    expect(refused.rightsHint).toContain('`upsmon master` alone does not grant instant commands');
    expect(refused.rightsHint).toContain('NUT before 2.8.0 (no PROTVER)');
    expect(refused.rightsHint).toContain('upsmon slave');
  });

  it('remembers a credential in the secret store only, and uses it as "stored"', async () => {
    const { commands, secrets, events } = await setup();
    await expect(
      commands.runCommand({
        monitorId: 'nas/ups',
        command: 'beeper.enable',
        credential: { source: 'stored' },
      }),
    ).rejects.toMatchObject({ apiError: { code: 'NO-STORED-CREDENTIAL' } });
    await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'beeper.enable',
      credential: { ...admin, remember: true },
    });
    expect(JSON.parse(secrets.values.get(commandCredentialKey('nas', 'ups'))!)).toEqual({
      username: 'admin',
      password: 'adminpass',
    });
    expect(events.some((e) => e.type === 'COMMAND_CREDENTIAL_SAVED')).toBe(true);
    expect((await commands.listControls('nas/ups')).storedCredentialUser).toBe('admin');
    const outcome = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'beeper.enable',
      credential: { source: 'stored' },
    });
    expect(outcome.state).toBe('success');
    expect(await commands.forgetCredential('nas/ups')).toBe(true);
    expect(secrets.values.size).toBe(0);
  });

  it('"mute for 1 hour" switches the beeper back on by the core timer', async () => {
    const clock = new FakeClock();
    const { commands, upsd } = await setup({}, { clock });
    const outcome = await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'beeper.disable',
      credential: admin,
      muteMinutes: 60,
    });
    expect(outcome.state).toBe('success');
    expect(outcome.revertAt).toBe(clock.now() + 3_600_000);
    expect(commands.unmuteAt('nas/ups')).toBe(outcome.revertAt);
    clock.advance(59 * 60_000);
    expect(upsd.actions()).toEqual(['INSTCMD ups beeper.disable']);
    clock.advance(60_000);
    await expect
      .poll(() => upsd.actions())
      .toEqual(['INSTCMD ups beeper.disable', 'INSTCMD ups beeper.enable']);
    expect(commands.unmuteAt('nas/ups')).toBeNull();
  });

  it('a pending mute is switched back on when the core stops', async () => {
    const clock = new FakeClock();
    const { commands, upsd } = await setup({}, { clock });
    await commands.runCommand({
      monitorId: 'nas/ups',
      command: 'beeper.disable',
      credential: admin,
      muteMinutes: 60,
    });
    await commands.stop();
    expect(upsd.actions()).toEqual(['INSTCMD ups beeper.disable', 'INSTCMD ups beeper.enable']);
    expect(clock.pending()).toBe(0);
  });
});

function snapshot(status: string, charge: number): UpsSnapshot {
  const onBattery = status.split(' ').includes('OB');
  return {
    monitorId: 'nas/ups',
    connection: 'connected',
    stale: false,
    status,
    statusText: status,
    level: onBattery ? 'on-battery' : 'online',
    onBatterySince: onBattery ? 1 : null,
    metrics: { charge, runtime: 1200, load: 20, inputVoltage: 230, outputVoltage: 230 },
  } as UpsSnapshot;
}

describe('scheduled self-tests (scripted upsd)', () => {
  async function selfTestSetup(
    options: Parameters<typeof startScriptedUpsd>[0],
    ups: () => UpsSnapshot,
    selfTest: Record<string, unknown> = { enabled: true },
  ) {
    const base = await setup(options, { selfTest });
    const tests = new SelfTests({
      commands: base.commands,
      config: () => base.config,
      connect: (o) => NutClient.connect(o),
      snapshot: () => ups(),
      history: base.history,
      clock: systemClock,
      logger,
      tuning: { tickMs: 3_600_000, resultPollMs: 20, resultTimeoutMs: 600 },
    });
    cleanups.push(() => tests.stop());
    return { ...base, tests };
  }

  it('runs the quick test and follows ups.test.result to "Done and passed"', async () => {
    const s = await selfTestSetup(
      { testResults: ['No test initiated', 'In progress', 'In progress', 'Done and passed'] },
      () => snapshot('OL', 100),
    );
    await s.secrets.set(
      commandCredentialKey('nas', 'ups'),
      JSON.stringify({ username: 'admin', password: 'adminpass' }),
    );
    expect(s.tests.status('nas/ups').nextDueAt).not.toBeNull();
    await s.tests.tick();
    expect(s.upsd.actions()).toEqual(['INSTCMD ups test.battery.start.quick']);
    const status = s.tests.status('nas/ups');
    expect(status.records[0]).toMatchObject({
      result: 'passed',
      command: 'test.battery.start.quick',
      testResult: 'Done and passed',
      trigger: 'schedule',
    });
    // Not due again for 30 days.
    expect(status.nextDueAt).toBe(status.records[0]!.at + 30 * 86_400_000);
    await s.tests.tick();
    expect(s.upsd.actions()).toHaveLength(1);
  });

  it("a failed test is a warning event with the UPS's words", async () => {
    const s = await selfTestSetup(
      { testResults: ['Done and passed', 'In progress', 'Done and error'] },
      () => snapshot('OL', 100),
    );
    const record = await s.tests.run('nas/ups', 'manual', admin);
    expect(record).toMatchObject({
      result: 'failed',
      testResult: 'Done and error',
      trigger: 'manual',
    });
    expect(s.events.at(-1)).toMatchObject({ type: 'SELF_TEST', severity: 'warning' });
    expect(s.events.at(-1)!.message).toMatch(/failed: ups\.test\.result "Done and error"/);
  });

  it("the previous test's verdict is not taken for this one", async () => {
    // "Done and passed" from an earlier test stays until the UPS reports progress: the wait ends without a verdict.
    const s = await selfTestSetup({ testResults: ['Done and passed'] }, () => snapshot('OL', 100));
    const record = await s.tests.run('nas/ups', 'manual', admin);
    expect(record.result).toBe('unknown');
    expect(record.reason).toMatch(/gave no verdict \(last "Done and passed"\)/);
  });

  it('is skipped while on battery or below the charge threshold, without sending anything', async () => {
    let ups = snapshot('OB DISCHRG', 100);
    const s = await selfTestSetup({}, () => ups);
    await s.secrets.set(
      commandCredentialKey('nas', 'ups'),
      JSON.stringify({ username: 'admin', password: 'adminpass' }),
    );
    await s.tests.tick();
    await s.tests.tick();
    ups = snapshot('OL CHRG', 60);
    await s.tests.tick();
    expect(s.upsd.actions()).toEqual([]);
    const reasons = s.tests.status('nas/ups').records.map((r) => [r.result, r.reason]);
    expect(reasons).toEqual([
      ['skipped', 'Self-test not run: the battery is charged 60 %, below the 90 % a test needs.'],
      ['skipped', 'Self-test not run: the UPS is on battery (an outage is in progress).'],
    ]);
    // Still due: it runs once the UPS is back on line and charged.
    ups = snapshot('OL', 95);
    await s.tests.tick();
    expect(s.upsd.actions()).toEqual(['INSTCMD ups test.battery.start.quick']);
  });

  it('a refusal is explained once and not retried until a credential is saved', async () => {
    const s = await selfTestSetup({}, () => snapshot('OL', 100), { enabled: true, everyDays: 1 });
    await s.secrets.set(
      commandCredentialKey('nas', 'ups'),
      JSON.stringify({ username: 'monuser', password: 'secret' }),
    );
    await s.tests.tick();
    expect(s.upsd.actions()).toHaveLength(1);
    const status = s.tests.status('nas/ups');
    expect(status.records[0]).toMatchObject({ result: 'refused' });
    expect(status.records[0]!.rightsHint).toContain('instcmds = test.battery.start.quick');
    expect(status.held).toMatch(/refused.*wait until a command credential is saved again/s);
    expect(status.nextDueAt).toBeNull();
    await s.tests.tick();
    await s.tests.tick();
    expect(s.upsd.actions()).toHaveLength(1);
    expect(s.events.filter((e) => e.type === 'SELF_TEST')).toHaveLength(1);
    // Saving a credential (with the right) lifts the hold.
    await s.commands.resolveCredential(s.commands.requireTarget('nas/ups'), {
      ...admin,
      remember: true,
    });
    expect(s.tests.status('nas/ups').held).toBeNull();
    await s.tests.tick();
    expect(s.upsd.actions()).toHaveLength(2);
  });

  it('is off by default, and a UPS without a test command holds the schedule', async () => {
    const off = await selfTestSetup({}, () => snapshot('OL', 100), {});
    expect(off.config.masters[0]!.ups[0]!.selfTest.enabled).toBe(false);
    await off.tests.tick();
    expect(off.upsd.server.received).toEqual([]);
    const none = await selfTestSetup({ commands: ['load.off'] }, () => snapshot('OL', 100));
    await none.secrets.set(
      commandCredentialKey('nas', 'ups'),
      JSON.stringify({ username: 'admin', password: 'adminpass' }),
    );
    await none.tests.tick();
    const status = none.tests.status('nas/ups');
    expect(status.records[0]!.reason).toBe(
      'Self-test not run: the UPS offers no test command (test.battery.start.quick, test.battery.start); it offers load.off.',
    );
    expect(status.held).not.toBeNull();
    expect(none.upsd.actions()).toEqual([]);
  });
});

describe('commandDanger', () => {
  it('marks what cuts power, drains the battery or bypasses it; leaves the rest alone', async () => {
    const { commandDanger } = await import('../../shared/ups-commands');
    expect(
      [
        'load.off',
        'load.off.delay',
        'load.cycle',
        'outlet.1.load.off',
        'shutdown.return',
        'shutdown.stayoff',
        'shutdown.reboot.graceful',
      ].map(commandDanger),
    ).toEqual(Array(7).fill('cuts-power'));
    expect(
      ['calibrate.start', 'test.battery.start.deep', 'test.failure.start'].map(commandDanger),
    ).toEqual(Array(3).fill('drains-battery'));
    expect(commandDanger('bypass.start')).toBe('unprotected');
    expect(
      [
        'load.on',
        'shutdown.stop',
        'calibrate.stop',
        'test.battery.start.quick',
        'beeper.disable',
        'load.offset',
      ].map(commandDanger),
    ).toEqual(Array(6).fill(null));
  });
});
