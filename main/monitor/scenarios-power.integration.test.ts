/**
 * Power scenarios against a real upsd + dummy-ups (main/testing/upsd-rig.ts), driven through a
 * MonitorService with the production client, process runner, hook dispatcher and notification
 * policy. Hooks and the shutdown command are /bin/sh scripts that log `<ms> <TYPE> <UPSNAME>`
 * (main/monitor/testing/scenario-harness.ts); the assertions are on that log: the exact events,
 * their order, and when each hook process started relative to when upsd first reported the change.
 *
 * Timings (scenario-harness SCENARIO_TIMING): status poll 0.25 s, HOSTSYNC 3 s, FINALDELAY 1 s,
 * DEADTIME 4 s. Windows are generous (2 shared cores) but tight enough to tell a poll from a
 * HOSTSYNC and a HOSTSYNC from a DEADTIME.
 */
import { describe, expect, it } from 'vitest';
import { sleep } from '../testing/net';
import { quietFor, setStatusTimed, useScenarios, waitNumLogins } from './testing/scenario-harness';

const { rig: startRig, start } = useScenarios();

/** Hook start after upsd reported the change: at most one poll (0.25 s) plus scheduling slack. */
const DETECT_MS = 1_500;

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
    expect(onbatt.at).toBeGreaterThanOrEqual(ob.sent - 5);
    expect(onbatt.at - ob.visible).toBeLessThan(DETECT_MS);
    expect(online.at).toBeGreaterThanOrEqual(ol.sent - 5);
    expect(online.at - ol.visible).toBeLessThan(DETECT_MS);

    // Longer than HOSTSYNC + FINALDELAY: nothing else happens.
    expect(await quietFor(s, 4_500)).toEqual([]);
    expect(s.hookTypes()).toEqual(['ONBATT', 'ONLINE']);
    expect(s.notifyEvents().map((e) => e.type)).toEqual(['ONBATT', 'ONLINE']);
    expect(s.events.filter((e) => e.type === 'shutdown-command' || e.type === 'shutdown-begins')).toEqual([]);
    expect(s.snapshot().level).toBe('online');
    expect(await rig.numLogins('ups')).toBe(1);
  });
});

void sleep;
void waitNumLogins;
