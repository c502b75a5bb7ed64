/**
 * Power scenarios against a real upsd + dummy-ups (main/testing/upsd-rig.ts), driven through a
 * MonitorService with the production client, process runner, hook dispatcher and notification
 * policy. Hooks and the shutdown command are /bin/sh scripts that log `<ms> <TYPE> <UPSNAME>`
 * (main/monitor/testing/scenario-harness.ts). Assertions:
 * - the exact notifications in order (the event log, i.e. the state machine's order),
 * - the exact set of hook runs (the hook log; hooks of one poll are forked together, so their
 *   own timestamps may swap by a millisecond),
 * - when each hook process started relative to when upsd first reported the change.
 *
 * Timings (SCENARIO_TIMING): status poll 0.25 s, HOSTSYNC 3 s, FINALDELAY 1 s, DEADTIME 4 s.
 * Windows are generous (2 shared cores) but tight enough to tell a poll from a HOSTSYNC.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/net';
import type { Scenario } from './testing/scenario-harness';
import { quietFor, setStatusTimed, sorted, waitNumLogins } from './testing/scenario-harness';
import { useScenarios } from './testing/use-scenarios';

const { rig: startRig, start } = useScenarios();

const POLL_MS = 250;
const HOSTSYNC_MS = 3_000;
const FINALDELAY_MS = 1_000;
/** Hook start after upsd reported the change: one poll plus scheduling slack on a loaded machine. */
const DETECT_MS = 1_500;
/** Extra allowance for timer and process start-up on a loaded machine. */
const SLACK_MS = 1_250;

function notifyTypes(s: Scenario): string[] {
  return s.notifyEvents().map((e) => e.type);
}

function shutdownCommandEvents(s: Scenario): string[] {
  return s.events.filter((e) => e.type === 'SHUTDOWN_COMMAND').map((e) => String(e.data?.phase));
}

describe('power scenarios (real upsd)', () => {
  it('OL → OB → OL: ONBATT then ONLINE, each within a poll, no shutdown', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();
    expect(await rig.numLogins('ups')).toBe(1);

    const ob = await setStatusTimed(rig, 'ups', 'OB');
    const onbatt = await s.waitHook('ONBATT');
    const ol = await setStatusTimed(rig, 'ups', 'OL');
    const online = await s.waitHook('ONLINE');

    expect(onbatt.arg).toBe(s.systemName());
    expect(online.arg).toBe(s.systemName());
    expect(onbatt.at).toBeGreaterThanOrEqual(ob.sent - 5);
    expect(onbatt.at - ob.visible).toBeLessThan(DETECT_MS);
    expect(online.at).toBeGreaterThanOrEqual(ol.sent - 5);
    expect(online.at - ol.visible).toBeLessThan(DETECT_MS);

    // Longer than HOSTSYNC + FINALDELAY: nothing else happens.
    expect(await quietFor(s, HOSTSYNC_MS + FINALDELAY_MS + 500)).toEqual([]);
    expect(s.hookTypes()).toEqual(['ONBATT', 'ONLINE']);
    expect(notifyTypes(s)).toEqual(['ONBATT', 'ONLINE']);
    expect(shutdownCommandEvents(s)).toEqual([]);
    expect(s.snapshot()).toMatchObject({
      level: 'online',
      connection: 'connected',
      loggedIn: true,
      status: 'OL',
      shutdown: { phase: 'none' },
    });
    expect(await rig.numLogins('ups')).toBe(1);
  });

  it('OL → OB → OB LB without a primary: LOWBATT, SHUTDOWN after HOSTSYNC, the command after FINALDELAY, then LOGOUT', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();

    await setStatusTimed(rig, 'ups', 'OB');
    await s.waitHook('ONBATT');
    const lb = await setStatusTimed(rig, 'ups', 'OB LB');
    const lowbatt = await s.waitHook('LOWBATT');
    expect(lowbatt.at - lb.visible).toBeLessThan(DETECT_MS);
    // Waiting for the primary: visible in the snapshot.
    expect(s.snapshot()).toMatchObject({
      shutdown: { phase: 'waiting-hostsync' },
      level: 'low-battery',
      critical: false,
    });

    const shutdown = await s.waitHook('SHUTDOWN', { timeoutMs: HOSTSYNC_MS + 10_000 });
    const command = await s.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    // "Giving up on the primary" HOSTSYNC after the last non-critical reading (the OB LB read).
    expect(shutdown.at - lb.sent).toBeGreaterThanOrEqual(HOSTSYNC_MS);
    expect(shutdown.at - lb.visible).toBeLessThan(HOSTSYNC_MS + POLL_MS + SLACK_MS);
    expect(shutdown.arg).toBe('');
    expect(command.at - shutdown.at).toBeGreaterThanOrEqual(FINALDELAY_MS - 500);
    expect(command.at - shutdown.at).toBeLessThan(FINALDELAY_MS + SLACK_MS);

    // The session closes (LOGOUT) once the command started: the primary stops waiting for us.
    await waitNumLogins(rig, 'ups', 0, 3_000);
    expect(Date.now() - command.at).toBeLessThan(3_000);
    expect(await quietFor(s, 2_000)).toEqual([]);
    expect(await rig.numLogins('ups')).toBe(0); // and it does not come back

    expect(notifyTypes(s)).toEqual(['ONBATT', 'LOWBATT', 'SHUTDOWN']);
    expect(s.hookTypes()).toEqual(['ONBATT', 'LOWBATT', 'SHUTDOWN', 'SHUTDOWNCMD']);
    expect(shutdownCommandEvents(s)).toEqual(['started', 'finished']);
    const begins = s.events.filter((e) => e.type === 'SHUTDOWN_BEGINS');
    expect(begins).toHaveLength(1);
    expect(begins[0]!.data).toMatchObject({ reason: 'on-battery-low-battery' });
    const view = s.session().view;
    expect(view).toMatchObject({
      connected: false,
      sessionWanted: false,
      shutdown: { phase: 'done', commandOk: true, reason: 'on-battery-low-battery' },
    });
    expect(s.snapshot().level).toBe('shutting-down');
  });

  it('FSD set by the primary: FSD and SHUTDOWN within a poll, the command within FINALDELAY plus a poll, then LOGOUT', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();

    await setStatusTimed(rig, 'ups', 'OB');
    await s.waitHook('ONBATT');
    await setStatusTimed(rig, 'ups', 'OB LB');
    await s.waitHook('LOWBATT');
    // The primary reacts to OB LB at once (main/monitor/README.md §1.7): well inside our HOSTSYNC.
    const fsdSent = Date.now();
    await rig.setFsd('ups');
    const fsdSet = Date.now();
    expect((await rig.probe('ups')).status).toBe('FSD OB LB');

    const fsd = await s.waitHook('FSD');
    const shutdown = await s.waitHook('SHUTDOWN');
    const command = await s.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    expect(fsd.at).toBeGreaterThanOrEqual(fsdSent - 5);
    expect(fsd.at - fsdSet).toBeLessThan(DETECT_MS);
    expect(shutdown.at - fsdSet).toBeLessThan(DETECT_MS);
    expect(command.at - fsdSet).toBeGreaterThanOrEqual(FINALDELAY_MS - 500);
    expect(command.at - fsdSet).toBeLessThan(FINALDELAY_MS + POLL_MS + SLACK_MS);

    await waitNumLogins(rig, 'ups', 0, 3_000);
    expect(await quietFor(s, 1_500)).toEqual([]);
    expect(await rig.numLogins('ups')).toBe(0);

    expect(notifyTypes(s)).toEqual(['ONBATT', 'LOWBATT', 'FSD', 'SHUTDOWN']);
    expect(sorted(s.hookTypes())).toEqual(
      sorted(['ONBATT', 'LOWBATT', 'FSD', 'SHUTDOWN', 'SHUTDOWNCMD']),
    );
    expect(s.hookTypes().at(-1)).toBe('SHUTDOWNCMD');
    expect(s.events.find((e) => e.type === 'SHUTDOWN_BEGINS')?.data).toMatchObject({
      reason: 'fsd',
    });
    expect(shutdownCommandEvents(s)).toEqual(['started', 'finished']);
  });

  it('FSD latched at start while OL (service restarted, not upsd): FSD_LATCHED_AT_START, no shutdown; on battery the FSD is obeyed', async () => {
    const rig = await startRig();
    // First run: this machine witnesses the primary setting FSD and shuts down.
    const first = start({ rig, label: 'first run' });
    await first.ready();
    await rig.setFsd('ups');
    await first.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    expect(notifyTypes(first)).toEqual(['FSD', 'SHUTDOWN']);
    await first.stop();
    await waitNumLogins(rig, 'ups', 0);

    // The machine came back; the NAS still advertises the latch (status FSD OL).
    expect((await rig.probe('ups')).status).toBe('FSD OL');
    const s = start({ rig, label: 'after restart' });
    await s.ready();
    const latched = await s.waitHook('FSD_LATCHED_AT_START');
    expect(latched.arg).toBe(s.systemName());
    expect(await rig.numLogins('ups')).toBe(1);
    // Default policy ignore-while-online: no FSD notification, no shutdown, for longer than HOSTSYNC + FINALDELAY.
    expect(await quietFor(s, HOSTSYNC_MS + FINALDELAY_MS + 1_000)).toEqual([]);
    expect(s.hookTypes()).toEqual(['FSD_LATCHED_AT_START']);
    expect(s.snapshot()).toMatchObject({
      fsdLatchedAtStart: true,
      level: 'online',
      critical: false,
      status: 'FSD OL',
      shutdown: { phase: 'none' },
    });
    expect(s.session().view.hold).toBe('latched-fsd');

    // A real power failure while FSD is still latched: now the FSD counts.
    const ob = await setStatusTimed(rig, 'ups', 'OB');
    const shutdown = await s.waitHook('SHUTDOWN');
    await s.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    expect(shutdown.at - ob.visible).toBeLessThan(DETECT_MS);
    // upsd prefixes FSD (`FSD OB`) and tokens are handled in order, as upsmon does.
    expect(notifyTypes(s)).toEqual(['FSD_LATCHED_AT_START', 'FSD', 'ONBATT', 'SHUTDOWN']);
    expect(sorted(s.hookTypes())).toEqual(
      sorted(['FSD_LATCHED_AT_START', 'ONBATT', 'FSD', 'SHUTDOWN', 'SHUTDOWNCMD']),
    );
    await waitNumLogins(rig, 'ups', 0, 3_000);
  });

  it('CAL, then OL, then OB LB: shuts down after HOSTSYNC (CAL is cleared, unlike upsmon 2.8.0)', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();

    await setStatusTimed(rig, 'ups', 'OL CAL');
    await s.waitHook('CAL');
    await setStatusTimed(rig, 'ups', 'OL');
    await s.waitHook('NOTCAL');
    const lb = await setStatusTimed(rig, 'ups', 'OB LB');
    const shutdown = await s.waitHook('SHUTDOWN', { timeoutMs: HOSTSYNC_MS + 10_000 });
    await s.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    expect(shutdown.at - lb.sent).toBeGreaterThanOrEqual(HOSTSYNC_MS);
    expect(shutdown.at - lb.visible).toBeLessThan(HOSTSYNC_MS + POLL_MS + SLACK_MS);
    expect(notifyTypes(s)).toEqual(['CAL', 'NOTCAL', 'ONBATT', 'LOWBATT', 'SHUTDOWN']);
    expect(sorted(s.hookTypes())).toEqual(
      sorted(['CAL', 'NOTCAL', 'ONBATT', 'LOWBATT', 'SHUTDOWN', 'SHUTDOWNCMD']),
    );
    await waitNumLogins(rig, 'ups', 0, 3_000);
  });

  it('OB LB during a calibration is not critical; once CAL disappears the shutdown follows HOSTSYNC later', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();

    await setStatusTimed(rig, 'ups', 'OL CAL');
    await s.waitHook('CAL');
    await setStatusTimed(rig, 'ups', 'OB LB CAL');
    await s.waitHook('LOWBATT');
    expect(await quietFor(s, HOSTSYNC_MS + 1_500)).toEqual([]);
    expect(s.session().view).toMatchObject({ critical: false, hold: 'calibrating' });

    const lb = await setStatusTimed(rig, 'ups', 'OB LB');
    const notcal = await s.waitHook('NOTCAL');
    const shutdown = await s.waitHook('SHUTDOWN', { timeoutMs: HOSTSYNC_MS + 10_000 });
    await s.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    // lastnoncrit is the last reading that still had CAL (at most a poll before OB LB was visible).
    expect(shutdown.at - lb.sent).toBeGreaterThanOrEqual(HOSTSYNC_MS - POLL_MS - 350);
    expect(shutdown.at - notcal.at).toBeGreaterThanOrEqual(HOSTSYNC_MS - POLL_MS - 650);
    expect(shutdown.at - lb.visible).toBeLessThan(HOSTSYNC_MS + POLL_MS + SLACK_MS);
    expect(notifyTypes(s)).toEqual(['CAL', 'ONBATT', 'LOWBATT', 'NOTCAL', 'SHUTDOWN']);
    expect(sorted(s.hookTypes())).toEqual(
      sorted(['CAL', 'ONBATT', 'LOWBATT', 'NOTCAL', 'SHUTDOWN', 'SHUTDOWNCMD']),
    );
  });

  it('a flapping line (OL/OB flips, OB LB briefly): every flip notified once, desktop notifications de-duplicated, one shutdown only', async () => {
    const rig = await startRig();
    // FINALDELAY 5 s leaves room to flip the line while the shutdown is pending.
    const s = start({ rig, timing: { finalDelaySeconds: 5 } });
    await s.ready();

    const flips = ['OB', 'OL', 'OB', 'OL', 'OB LB', 'OL', 'OB', 'OL'];
    for (const status of flips) {
      await rig.setStatus('ups', status);
      await s.waitStatus(status); // observed by the monitor, then flip at once (~0.1–0.5 s per state)
    }
    await s.waitHook('ONLINE', { count: 4 });
    expect(await quietFor(s, 1_000)).toEqual([]);
    const flapping = [
      'ONBATT',
      'ONLINE',
      'ONBATT',
      'ONLINE',
      'ONBATT',
      'LOWBATT',
      'ONLINE',
      'ONBATT',
      'ONLINE',
    ];
    expect(notifyTypes(s)).toEqual(flapping);
    expect(sorted(s.hookTypes())).toEqual(sorted(flapping));
    // OB LB lasted far less than HOSTSYNC: no shutdown.
    expect(shutdownCommandEvents(s)).toEqual([]);

    // Desktop: one per event type within the de-duplication window (60 s), not nine.
    await Promise.resolve();
    const shown = s.recorder.list().map((n) => n.key);
    expect(shown).toEqual([
      `ONBATT:${s.systemName()}`,
      `ONLINE:${s.systemName()}`,
      `LOWBATT:${s.systemName()}`,
    ]);
    expect(s.policy.getStats()).toMatchObject({ shown: 3, duplicate: 6, rateLimited: 0 });

    // Now OB LB long enough: one shutdown; flips during FINALDELAY start no second one.
    await rig.setStatus('ups', 'OB LB');
    await s.waitHook('SHUTDOWN', { timeoutMs: HOSTSYNC_MS + 10_000 });
    for (const status of ['OL', 'OB LB', 'OL', 'OB LB']) {
      await rig.setStatus('ups', status);
      await s.waitStatus(status);
    }
    await s.waitHook('SHUTDOWNCMD', { timeoutMs: 5_000 + 10_000 });
    await waitNumLogins(rig, 'ups', 0, 3_000);
    expect(await quietFor(s, 1_000)).toEqual([]);

    const during = ['ONLINE', 'ONBATT', 'LOWBATT', 'ONLINE', 'ONBATT', 'LOWBATT'];
    expect(notifyTypes(s)).toEqual([...flapping, 'ONBATT', 'LOWBATT', 'SHUTDOWN', ...during]);
    const hooks = s.hookTypes();
    expect(hooks.filter((t) => t === 'SHUTDOWN')).toHaveLength(1);
    expect(hooks.filter((t) => t === 'SHUTDOWNCMD')).toHaveLength(1);
    expect(sorted(hooks)).toEqual(
      sorted([...flapping, 'ONBATT', 'LOWBATT', 'SHUTDOWN', ...during, 'SHUTDOWNCMD']),
    );
    expect(s.events.filter((e) => e.type === 'SHUTDOWN_BEGINS')).toHaveLength(1);
    expect(shutdownCommandEvents(s)).toEqual(['started', 'finished']);
    // Desktop: SHUTDOWN is new, everything else was already shown in this window.
    expect(s.recorder.list().map((n) => n.key)).toEqual([...shown, 'SHUTDOWN:rig/ups']);
  });

  it('two UPSes of this machine both critical: one SHUTDOWN notification and one shutdown command (upsmon shuts a host down once); both sessions log out', async () => {
    const rig = await startRig({ upses: [{ name: 'ups' }, { name: 'ups2' }] });
    const s = start({ rig, ups: [{ name: 'ups' }, { name: 'ups2' }] });
    await s.ready({ ups: 'ups' });
    await s.ready({ ups: 'ups2' });
    expect(await rig.numLogins('ups2')).toBe(1);

    await rig.setStatus('ups', 'OB LB');
    await rig.setStatus('ups2', 'OB LB');
    await s.waitHook('LOWBATT', { count: 2 });
    await s.waitHook('SHUTDOWNCMD', { timeoutMs: HOSTSYNC_MS + FINALDELAY_MS + 10_000 });
    await waitNumLogins(rig, 'ups', 0, 5_000);
    await waitNumLogins(rig, 'ups2', 0, 5_000);
    expect(await quietFor(s, 1_500)).toEqual([]);

    const hooks = s.hookTypes();
    expect(sorted(hooks)).toEqual(
      sorted(['ONBATT', 'LOWBATT', 'ONBATT', 'LOWBATT', 'SHUTDOWN', 'SHUTDOWNCMD']),
    );
    expect(
      s
        .hooks()
        .filter((h) => h.type === 'ONBATT')
        .map((h) => h.arg)
        .sort(),
    ).toEqual([s.systemName('ups'), s.systemName('ups2')].sort());
    expect(notifyTypes(s).filter((t) => t === 'SHUTDOWN')).toHaveLength(1);
    expect(shutdownCommandEvents(s)).toEqual(['started', 'finished']);
    // Each session decided on its own (both episodes are in the log), and both closed.
    expect(s.events.filter((e) => e.type === 'SHUTDOWN_BEGINS')).toHaveLength(2);
    expect(s.session('ups').view.connected).toBe(false);
    expect(s.session('ups2').view.connected).toBe(false);
  });

  it('MINSUPPLIES 1 with two UPSes feeding this machine (redundant supplies): one critical UPS is not enough; when the second turns critical, one SHUTDOWN, one command, both log out', async () => {
    const rig = await startRig({ upses: [{ name: 'ups' }, { name: 'ups2' }] });
    const s = start({ rig, ups: [{ name: 'ups' }, { name: 'ups2' }], minSupplies: 1 });
    await s.ready({ ups: 'ups' });
    await s.ready({ ups: 'ups2' });

    await rig.setStatus('ups', 'OB LB');
    await s.waitHook('LOWBATT');
    await waitFor(() => s.session('ups').view.critical, {
      timeoutMs: HOSTSYNC_MS + 5_000,
      description: 'ups to be critical (HOSTSYNC over)',
    });
    // ups2 still feeds one supply: MINSUPPLIES 1 is met, nothing happens.
    expect(await quietFor(s, FINALDELAY_MS + 1_500)).toEqual([]);
    expect(s.events.filter((e) => e.type === 'SHUTDOWN_BEGINS')).toEqual([]);
    expect(await rig.numLogins('ups')).toBe(1);

    const second = await setStatusTimed(rig, 'ups2', 'FSD OB LB');
    const shutdown = await s.waitHook('SHUTDOWN');
    expect(shutdown.at - second.visible).toBeLessThan(DETECT_MS);
    await s.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    await waitNumLogins(rig, 'ups', 0, 5_000);
    await waitNumLogins(rig, 'ups2', 0, 5_000);
    expect(await quietFor(s, 1_000)).toEqual([]);

    expect(sorted(s.hookTypes())).toEqual(
      sorted(['ONBATT', 'LOWBATT', 'ONBATT', 'LOWBATT', 'FSD', 'SHUTDOWN', 'SHUTDOWNCMD']),
    );
    expect(shutdownCommandEvents(s)).toEqual(['started', 'finished']);
    // The host decided: both sessions began the (one) shutdown for min-supplies, and both logged out.
    expect(s.events.filter((e) => e.type === 'SHUTDOWN_BEGINS').map((e) => e.data?.reason)).toEqual(
      ['min-supplies', 'min-supplies'],
    );
  });

  it('an episode that left the machine up (dry run) ends by itself: the next one is announced again (SHUTDOWN) and runs the command', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();
    s.service.applyConfig({ ...s.config, shutdown: { ...s.config.shutdown, dryRun: true } });
    await s.ready();
    s.session().requestLocalFsd('test: dry-run episode');
    await waitFor(
      () => s.events.some((e) => e.type === 'SHUTDOWN_COMMAND' && e.data?.phase === 'dry-run'),
      { timeoutMs: 10_000, description: 'the dry run' },
    );
    await waitNumLogins(rig, 'ups', 0);
    expect(s.hookTypes()).toEqual(['SHUTDOWN']);

    await waitNumLogins(rig, 'ups', 1, 10_000);
    await waitFor(() => s.session().view.shutdown.phase === 'none', {
      timeoutMs: 5_000,
      description: 'the rehearsed episode over',
    });
    s.service.applyConfig({ ...s.config, shutdown: { ...s.config.shutdown, dryRun: false } });
    await s.ready();
    await rig.setFsd('ups');
    await s.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    expect(notifyTypes(s)).toEqual(['SHUTDOWN', 'FSD', 'SHUTDOWN']);
    expect(sorted(s.hookTypes())).toEqual(sorted(['SHUTDOWN', 'FSD', 'SHUTDOWN', 'SHUTDOWNCMD']));
    await waitNumLogins(rig, 'ups', 0);
  });

  it('a flapping line without de-duplication is rate-limited (critical LOWBATT still shown)', async () => {
    const rig = await startRig();
    const s = start({ rig, notifications: { dedupeSeconds: 0 } });
    await s.ready();
    const startedAt = Date.now();
    const flips = ['OB', 'OL', 'OB', 'OL', 'OB LB', 'OL', 'OB', 'OL'];
    for (const status of flips) {
      await rig.setStatus('ups', status);
      await s.waitStatus(status);
    }
    await s.waitHook('ONLINE', { count: 4 });
    const elapsedMin = (Date.now() - startedAt) / 60_000;
    const stats = s.policy.getStats();
    // 9 notifications; a bucket of 6 per minute (+ what refilled meanwhile); LOWBATT bypasses it.
    expect(stats.shown + stats.rateLimited).toBe(9);
    expect(stats.shown).toBeLessThanOrEqual(7 + Math.floor(elapsedMin * 6));
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(s.policy.pendingSuppressed()).toBe(stats.rateLimited);
    expect(s.recorder.list().some((n) => n.key === `LOWBATT:${s.systemName()}`)).toBe(true);
    // The hooks still ran for every event: rate limiting is for the desktop only.
    expect(s.hookTypes().filter((t) => t === 'ONBATT' || t === 'ONLINE')).toHaveLength(8);
  });
});
