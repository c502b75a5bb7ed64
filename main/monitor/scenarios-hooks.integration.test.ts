/**
 * upssched timers and the snapshot (metrics, connected clients, expected clients) against a real
 * upsd + dummy-ups, through a MonitorService with the production parts. Same harness as
 * scenarios-power.integration.test.ts.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { RIG_USERS, SYNOLOGY_UPS_VARS } from '../testing/upsd-rig';
import { sleep, waitFor } from '../testing/net';
import { loginFrom, quietFor, setStatusTimed } from './testing/scenario-harness';
import { useScenarios } from './testing/use-scenarios';

const { rig: startRig, start } = useScenarios();

const SLACK_MS = 1_250;

/** SET VAR through the rig's admin user; `''` deletes the variable in dummy-ups (main/nut/README.md §3.3). */
async function adminSetVar(port: number, ups: string, name: string, value: string): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const admin = RIG_USERS.admin;
  socket.write(
    `USERNAME ${admin.name}\nPASSWORD ${admin.password}\nSET VAR ${ups} ${name} "${value}"\n`,
  );
  await waitFor(
    () =>
      received.split('\n').filter((l) => l.startsWith('OK') || l.startsWith('ERR')).length === 3,
    { timeoutMs: 5_000, description: 'SET VAR reply' },
  );
  socket.destroy();
  if (received.includes('ERR')) throw new Error(`SET VAR ${name} failed: ${received}`);
}

describe('upssched timers (real upsd)', () => {
  it('a timer started on ONBATT is cancelled on ONLINE (its command never runs); not cancelled, it fires after its delay', async () => {
    const rig = await startRig();
    const s = start({
      rig,
      upssched: [
        { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'onbatt-grace', seconds: 2 },
        { event: 'ONLINE', ups: '*', action: 'CANCEL-TIMER', timer: 'onbatt-grace' },
      ],
    });
    await s.ready();
    const timers = () => s.service.hooks.timers();

    // A short outage: the timer is cancelled and never fires.
    await setStatusTimed(rig, 'ups', 'OB');
    const firstOnbatt = await s.waitHook('ONBATT');
    expect(timers()).toHaveLength(1);
    expect(timers()[0]).toMatchObject({
      name: 'onbatt-grace',
      notifyType: 'ONBATT',
      upsName: s.systemName(),
    });
    await setStatusTimed(rig, 'ups', 'OL');
    const online = await s.waitHook('ONLINE');
    expect(online.at - firstOnbatt.at).toBeLessThan(2_000);
    expect(timers()).toEqual([]);
    expect(await quietFor(s, 3_000)).toEqual([]);

    // A longer one: the timer runs CMDSCRIPT with its name 2 s after ONBATT.
    await setStatusTimed(rig, 'ups', 'OB');
    const onbatt = await s.waitHook('ONBATT', { count: 2 });
    const fired = await s.waitHook('TIMER', { timeoutMs: 2_000 + 10_000 });
    expect(fired.arg).toBe('onbatt-grace');
    expect(fired.at - onbatt.at).toBeGreaterThanOrEqual(2_000 - 500);
    expect(fired.at - onbatt.at).toBeLessThan(2_000 + SLACK_MS);
    expect(timers()).toEqual([]);

    expect(s.hookTypes()).toEqual(['ONBATT', 'ONLINE', 'ONBATT', 'TIMER']);
    const upssched = s.events.filter((e) => e.type === 'UPSSCHED').map((e) => e.data?.action);
    expect(upssched).toEqual(['START-TIMER', 'CANCEL-TIMER', 'START-TIMER', 'TIMER-FIRED']);
    await waitFor(
      () => s.events.some((e) => e.type === 'HOOK_RUN' && e.data?.source === 'upssched'),
      { description: 'the CMDSCRIPT run record' },
    );
    const run = s.events.find((e) => e.type === 'HOOK_RUN' && e.data?.source === 'upssched')!;
    expect(run.data).toMatchObject({ args: ['onbatt-grace'], exitCode: 0, timer: 'onbatt-grace' });
  });
});

describe('snapshot against a real upsd', () => {
  it('metrics from LIST VAR (unknown runtime stays null), LIST CLIENT marks this machine, missing expected clients are reported', async () => {
    const vars: Record<string, string> = { ...SYNOLOGY_UPS_VARS };
    delete vars['battery.runtime'];
    const rig = await startRig({ upses: [{ name: 'ups', desc: 'APC Back-UPS CS 350', vars }] });
    // Another secondary is logged in from 127.0.0.2 before we start.
    const other = await loginFrom('127.0.0.2', rig.port, 'ups');
    try {
      const s = start({ rig, ups: [{ name: 'ups', expectedClients: ['127.0.0.2', '127.0.0.3'] }] });
      await s.ready();
      const t0 = Date.now();
      await s.waitFullPoll(t0);
      await waitFor(() => s.snapshot().clients.numLogins === 2, {
        description: 'NUMLOGINS 2 in the snapshot',
      });

      const snap = s.snapshot();
      expect(snap.metrics).toEqual({
        charge: 100,
        runtime: null,
        load: 16,
        inputVoltage: 234,
        outputVoltage: 230,
        // No ups.realpower here: the rig's ups.realpower.nominal 210 W × 16 % load.
        realPower: 33.6,
        realPowerSource: 'nominal',
      });
      expect(snap.server).toMatchObject({ kind: 'nut', protocol: '1.3' });
      expect(snap.server.version).toContain('2.8.0');
      expect(
        snap.clients.list &&
          [...snap.clients.list].sort((a, b) => a.address.localeCompare(b.address)),
      ).toEqual([
        { address: '127.0.0.1', hostname: null, isThisMachine: true },
        { address: '127.0.0.2', hostname: null, isThisMachine: false },
      ]);
      expect(snap.clients.missingExpected).toEqual(['127.0.0.3']);
      expect(snap).toMatchObject({
        connection: 'connected',
        loggedIn: true,
        level: 'online',
        stale: false,
        status: 'OL',
        statusText: 'On line power',
        lastError: null,
      });
      const missing = () =>
        s.events.filter((e) => e.type === 'EXPECTED_CLIENT_MISSING').map((e) => e.message);
      expect(missing()).toHaveLength(1);
      expect(missing()[0]).toContain('127.0.0.3');
      expect(s.recorder.list().map((n) => n.key)).toContain('CLIENT_MISSING:rig/ups:127.0.0.3');

      // The history samples keep the unknown runtime as null, not 0.
      await waitFor(() => s.samples.some((x) => x.charge === 100), {
        description: 'a metrics sample',
      });
      expect(s.samples.filter((x) => x.charge === 100).every((x) => x.runtime === null)).toBe(true);

      // The other secondary logs out: it is reported missing (once), and back when it returns.
      other.destroy();
      await waitFor(() => missing().length === 2, {
        timeoutMs: 5_000,
        description: 'expected-client-missing for 127.0.0.2',
      });
      expect(missing()[1]).toContain('127.0.0.2');
      expect(s.snapshot().clients).toMatchObject({
        numLogins: 1,
        missingExpected: ['127.0.0.2', '127.0.0.3'],
      });
      const again = await loginFrom('127.0.0.2', rig.port, 'ups');
      try {
        await waitFor(() => s.events.some((e) => e.type === 'EXPECTED_CLIENT_BACK'), {
          timeoutMs: 5_000,
          description: 'EXPECTED_CLIENT_BACK',
        });
        expect(s.snapshot().clients.missingExpected).toEqual(['127.0.0.3']);
        await sleep(1_500);
        expect(missing()).toHaveLength(2); // no repeats while nothing changes
      } finally {
        again.destroy();
      }

      // A value the driver drops (SET to "" deletes it) becomes null, not the last number.
      await adminSetVar(rig.port, 'ups', 'battery.charge', '');
      await waitFor(() => s.snapshot().metrics.charge === null, {
        timeoutMs: 5_000,
        description: 'charge to become unknown',
      });
      expect(s.snapshot().metrics).toMatchObject({ charge: null, runtime: null, load: 16 });
    } finally {
      other.destroy();
    }
  });
});
