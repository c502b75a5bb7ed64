/**
 * upsd's WAIT placeholder against a real upsd + dummy-ups: a driver restart makes upsd answer
 * DRIVER-NOT-CONNECTED, then `WAIT` for about a second while the new driver dumps its data, then
 * the real status. WAIT is not an observation: it clears nothing (no NOTBYPASS for a UPS still on
 * bypass) and does not end the comm loss (no COMMOK until the real status is back).
 */
import { describe, expect, it } from 'vitest';
import { SYNOLOGY_UPS_VARS } from '../testing/upsd-rig';
import { useScenarios } from './testing/use-scenarios';

const { rig: startRig, start } = useScenarios();

describe('WAIT while upsd reconnects to a restarted driver (real upsd)', () => {
  it('a UPS on bypass: driver restarted → COMMBAD, WAIT seen but neither NOTBYPASS nor an early COMMOK; COMMOK with the real status', async () => {
    const rig = await startRig({
      upses: [{ name: 'ups', vars: { ...SYNOLOGY_UPS_VARS, 'ups.status': 'OL BYPASS' } }],
    });
    // The grace is out of the way: this test is about what WAIT clears, not about the shutdown.
    const s = start({ rig, timing: { commLossCriticalSeconds: 60 } });
    await s.ready();
    await s.waitHook('BYPASS');

    await rig.stopDriver('ups');
    await s.waitHook('COMMBAD');
    const session = s.session();
    const lostSince = session.monitorState.commFailingSince;
    const samples: Array<{ comm: string; since: number | null; bypass: boolean }> = [];
    const sampler = setInterval(() => {
      const state = session.monitorState;
      samples.push({
        comm: state.commState,
        since: state.commFailingSince,
        bypass: state.flags.bypass,
      });
    }, 20);
    try {
      await rig.startDriver('ups');
      await s.waitHook('COMMOK', { timeoutMs: 10_000 });
    } finally {
      clearInterval(sampler);
    }
    expect(s.hookTypes()).toEqual(['BYPASS', 'COMMBAD', 'COMMOK']);
    // The monitor did read upsd's placeholder during the restart.
    expect(s.logger.lines.some((line) => line.includes("is upsd's placeholder"))).toBe(true);
    // Until the real status came back, comm stayed lost from the same instant and BYPASS stayed set.
    const whileLost = samples.filter((sample) => sample.comm === 'lost');
    expect(new Set(whileLost.map((sample) => sample.since))).toEqual(new Set([lostSince]));
    expect(samples.every((sample) => sample.bypass)).toBe(true);
    expect(s.snapshot()).toMatchObject({ status: 'OL BYPASS', connection: 'connected' });
  });
});
