/**
 * Side by side with the reference: our MonitorService and a real upsmon 2.8.0 secondary
 * (main/testing/upsmon-rig.ts) watch the same UPS on the same upsd, and the same transitions must
 * produce the same notifications and the same shutdown decision.
 *
 * Both get the same HOSTSYNC (3 s), FINALDELAY (1 s) and DEADTIME (4 s); upsmon polls every 1 s
 * (POLLFREQ/POLLFREQALERT: the test needs it to finish in seconds; otherwise upsmon's defaults),
 * we poll every 0.25 s. upsmon forks one NOTIFYCMD per event, so events of one poll are compared
 * as sets. Only upsmon 2.8.0's own notification types are compared (ours also has CAL/NOTCAL,
 * LOGIN_REFUSED, …). Deliberate differences are tested as such, with the reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startUpsmon, type UpsmonRig, UPSMON_NOTIFY_TYPES } from '../testing/upsmon-rig';
import { sleep } from '../testing/net';
import type { Scenario } from './testing/scenario-harness';
import { quietFor, sorted, waitNumLogins } from './testing/scenario-harness';
import { useScenarios } from './testing/use-scenarios';

const { rig: startRig, start } = useScenarios();

const upsmons: UpsmonRig[] = [];
afterEach(async () => {
  for (const upsmon of upsmons.splice(0)) await upsmon.stop();
});

const HOSTSYNC_S = 3;
const FINALDELAY_S = 1;
const DEADTIME_S = 4;

async function upsmon(options: Parameters<typeof startUpsmon>[0]): Promise<UpsmonRig> {
  const rig = await startUpsmon({
    pollFreq: 1,
    pollFreqAlert: 1,
    hostSync: HOSTSYNC_S,
    finalDelay: FINALDELAY_S,
    deadTime: DEADTIME_S,
    ...options,
  });
  upsmons.push(rig);
  return rig;
}

const UPSMON_TYPES = new Set<string>(UPSMON_NOTIFY_TYPES);

/** Our notifications restricted to the types upsmon 2.8.0 has, in order. */
function ours(s: Scenario): string[] {
  return s
    .notifyEvents()
    .map((e) => e.type)
    .filter((t) => UPSMON_TYPES.has(t));
}

function theirs(u: UpsmonRig): string[] {
  return u.events().map((e) => e.type);
}

describe('parity with a real upsmon 2.8.0 secondary (same upsd, same UPS)', () => {
  it('OL → OB → OL: both notify ONBATT then ONLINE, neither shuts down', async () => {
    const rig = await startRig();
    const ref = await upsmon({ rig });
    const s = start({ rig });
    await s.ready();
    expect(await rig.numLogins('ups')).toBe(2);

    await rig.setStatus('ups', 'OB');
    await Promise.all([s.waitHook('ONBATT'), ref.waitForEvent('ONBATT')]);
    await rig.setStatus('ups', 'OL');
    await Promise.all([s.waitHook('ONLINE'), ref.waitForEvent('ONLINE')]);
    await quietFor(s, (HOSTSYNC_S + FINALDELAY_S + 1) * 1000);

    expect(theirs(ref)).toEqual(['ONBATT', 'ONLINE']);
    expect(ours(s)).toEqual(theirs(ref));
    expect(ref.shutdownCalls()).toEqual([]);
    expect(s.hookTypes()).not.toContain('SHUTDOWNCMD');
    expect(await rig.numLogins('ups')).toBe(2);
  });

  it('OB → OB LB without a primary: both give up on the primary after HOSTSYNC (ours no later), shut down and log out', async () => {
    const rig = await startRig();
    const ref = await upsmon({ rig });
    const s = start({ rig });
    await s.ready();

    await rig.setStatus('ups', 'OB');
    await Promise.all([s.waitHook('ONBATT'), ref.waitForEvent('ONBATT')]);
    const lbAt = Date.now();
    await rig.setStatus('ups', 'OB LB');
    const [ourShutdown, theirShutdown] = await Promise.all([
      s.waitHook('SHUTDOWN', { timeoutMs: 15_000 }),
      ref.waitForEvent('SHUTDOWN', { timeoutMs: 15_000 }),
    ]);
    const [ourCommand, theirCommand] = await Promise.all([
      s.waitHook('SHUTDOWNCMD'),
      ref.waitForShutdown({ timeoutMs: 10_000 }),
    ]);
    await waitNumLogins(rig, 'ups', 0, 5_000);

    expect(theirs(ref)).toEqual(['ONBATT', 'LOWBATT', 'SHUTDOWN']);
    expect(ours(s)).toEqual(theirs(ref));
    // upsmon counts whole seconds ((now - lastnoncrit) > HOSTSYNC) on a 1 s poll; we count ms.
    expect(ourShutdown.at - lbAt).toBeGreaterThanOrEqual(HOSTSYNC_S * 1000);
    expect(theirShutdown.atMs - lbAt).toBeGreaterThanOrEqual(HOSTSYNC_S * 1000);
    expect(ourShutdown.at).toBeLessThanOrEqual(theirShutdown.atMs + 300);
    expect(ourCommand.at - ourShutdown.at).toBeGreaterThanOrEqual(FINALDELAY_S * 1000 - 500);
    expect(theirCommand - theirShutdown.atMs).toBeGreaterThanOrEqual(FINALDELAY_S * 1000 - 500);
  });

  it('a real upsmon primary sets FSD on OB LB: both secondaries notify FSD and SHUTDOWN, log out, and the primary stops waiting long before its HOSTSYNC', async () => {
    const rig = await startRig();
    const primaryHostSync = 20;
    const primary = await upsmon({ rig, role: 'primary', hostSync: primaryHostSync });
    const ref = await upsmon({ rig });
    const s = start({ rig });
    await s.ready();
    expect(await rig.numLogins('ups')).toBe(3);

    const lbAt = Date.now();
    await rig.setStatus('ups', 'OB LB');
    await Promise.all([
      s.waitHook('SHUTDOWNCMD', { timeoutMs: 15_000 }),
      ref.waitForShutdown({ timeoutMs: 15_000 }),
    ]);
    const primaryShutdown = await primary.waitForEvent('SHUTDOWN', { timeoutMs: 15_000 });
    await primary.waitForShutdown({ timeoutMs: 10_000 });

    expect(sorted(theirs(ref))).toEqual(sorted(['ONBATT', 'LOWBATT', 'FSD', 'SHUTDOWN']));
    expect(sorted(ours(s))).toEqual(sorted(theirs(ref)));
    expect(ours(s).at(-1)).toBe('SHUTDOWN');
    expect(s.events.find((e) => e.type === 'SHUTDOWN_BEGINS')?.data).toMatchObject({
      reason: 'fsd',
    });
    // main/monitor/README.md §1.7: the primary waits until NUMLOGINS <= 1, i.e. for both secondaries' logouts.
    expect(primaryShutdown.atMs - lbAt).toBeLessThan((primaryHostSync - 5) * 1000);
    const primaryLog = primary.logs();
    expect(primaryLog).not.toMatch(/Host sync timer expired/);
  });

  it('comm loss while OB (driver gone): both assume LB after DEADTIME and shut down max(DEADTIME, HOSTSYNC) after the last reading — not DEADTIME + HOSTSYNC', async () => {
    const rig = await startRig();
    const ref = await upsmon({ rig });
    const s = start({ rig });
    await s.ready();

    await rig.setStatus('ups', 'OB');
    await Promise.all([s.waitHook('ONBATT'), ref.waitForEvent('ONBATT')]);
    const stopAt = Date.now();
    await rig.stopDriver('ups');
    const [ourShutdown, theirShutdown] = await Promise.all([
      s.waitHook('SHUTDOWN', { timeoutMs: 20_000 }),
      ref.waitForEvent('SHUTDOWN', { timeoutMs: 20_000 }),
    ]);
    await Promise.all([s.waitHook('SHUTDOWNCMD'), ref.waitForShutdown({ timeoutMs: 10_000 })]);

    expect(theirs(ref)).toEqual(['ONBATT', 'COMMBAD', 'SHUTDOWN']);
    expect(ours(s)).toEqual(theirs(ref));
    const sum = (DEADTIME_S + HOSTSYNC_S) * 1000;
    const max = Math.max(DEADTIME_S, HOSTSYNC_S) * 1000;
    // upsmon: lastpoll ≤ 1 s before the stop, whole seconds: SHUTDOWN 4–6 s after the stop.
    expect(theirShutdown.atMs - stopAt).toBeGreaterThanOrEqual(max - 1_100);
    expect(theirShutdown.atMs - stopAt).toBeLessThan(sum);
    expect(ourShutdown.at - stopAt).toBeGreaterThanOrEqual(max - 600);
    expect(ourShutdown.at - stopAt).toBeLessThan(sum - 1_000);
    expect(ourShutdown.at).toBeLessThanOrEqual(theirShutdown.atMs + 300);
  });

  it('stale driver: both notify COMMBAD when upsd reports DATA-STALE and COMMOK when the data is fresh again', async () => {
    const rig = await startRig();
    const ref = await upsmon({ rig });
    const s = start({ rig });
    await s.ready();

    await rig.freezeDriver('ups');
    await Promise.all([
      s.waitHook('COMMBAD', { timeoutMs: 15_000 }),
      ref.waitForEvent('COMMBAD', { timeoutMs: 15_000 }),
    ]);
    await rig.thawDriver('ups');
    await Promise.all([s.waitHook('COMMOK'), ref.waitForEvent('COMMOK')]);
    await quietFor(s, 1_500);

    expect(theirs(ref)).toEqual(['COMMBAD', 'COMMOK']);
    expect(ours(s)).toEqual(theirs(ref));
    expect(await rig.numLogins('ups')).toBe(2);
  });

  it('FSD latched before start, UPS on line: with policy "obey" we do what upsmon does (FSD, SHUTDOWN); the default policy deliberately does not', async () => {
    const rig = await startRig();
    await rig.setFsd('ups');
    const ref = await upsmon({ rig });
    const obey = start({ rig, latchedFsdAtStart: 'obey', label: 'obey' });
    const byDefault = start({ rig, label: 'default' });
    await Promise.all([
      obey.waitHook('SHUTDOWNCMD', { timeoutMs: 10_000 }),
      ref.waitForShutdown({ timeoutMs: 10_000 }),
    ]);

    expect(sorted(theirs(ref))).toEqual(['FSD', 'SHUTDOWN']);
    expect(sorted(ours(obey))).toEqual(sorted(theirs(ref)));
    expect(obey.notifyEvents().map((e) => e.type)).toEqual([
      'FSD_LATCHED_AT_START',
      'FSD',
      'SHUTDOWN',
    ]);
    // Default ignore-while-online (a Synology that keeps FSD set after an outage would otherwise
    // shut this machine down again at every boot; main/nut/README.md §5).
    await byDefault.ready();
    await quietFor(byDefault, (HOSTSYNC_S + FINALDELAY_S) * 1000);
    expect(byDefault.hookTypes()).toEqual(['FSD_LATCHED_AT_START']);
  });

  it('CAL → OL → OB LB: upsmon 2.8.0 never clears CAL and does not shut down (main/monitor/README.md §1.4 bug); we do, as 2.8.2+ does', async () => {
    const rig = await startRig();
    const ref = await upsmon({ rig });
    const s = start({ rig });
    await s.ready();

    await rig.setStatus('ups', 'OL CAL');
    await s.waitHook('CAL');
    await sleep(1_500); // upsmon polls every 1 s: let it see CAL
    await rig.setStatus('ups', 'OL');
    await s.waitHook('NOTCAL');
    await sleep(1_500);
    await rig.setStatus('ups', 'OB LB');
    await s.waitHook('SHUTDOWNCMD', { timeoutMs: 15_000 });
    // upsmon would have given up on the primary after HOSTSYNC (3 s) + a poll: give it twice that.
    await sleep(2 * (HOSTSYNC_S + 1) * 1000);

    // One poll saw OB and LB: upsmon forks both notifications, in either order.
    expect(sorted(theirs(ref))).toEqual(['LOWBATT', 'ONBATT']);
    expect(ref.shutdownCalls()).toEqual([]);
    expect(ours(s)).toEqual(['ONBATT', 'LOWBATT', 'SHUTDOWN']);
  });
});
