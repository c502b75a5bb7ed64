/**
 * Reconnect policy against a real upsd (main/monitor/README.md, "Reconnect policy"): while the
 * last known state is on battery, a master that is gone is retried about every second, and one
 * that accepts connections again is read within about a second. The pure delay function is
 * covered for every branch (including "gone for minutes") at the end.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/net';
import { countReconnectAttempts, setStatusTimed } from './testing/scenario-harness';
import { useScenarios } from './testing/use-scenarios';
import { RECONNECT_POLICY, reconnectDelayMs } from './ups-session';

const { rig: startRig, start } = useScenarios();

describe('reconnect policy (real upsd)', () => {
  it('last known on battery: upsd gone is retried about every second; back, it is read within about a second', async () => {
    const rig = await startRig();
    // DEADTIME out of the way: this test is about reconnecting, not about the promotion.
    const s = start({ rig, timing: { deadTimeSeconds: 120 } });
    await s.ready();
    await setStatusTimed(rig, 'ups', 'OB');
    await s.waitStatus('OB');
    await rig.stopUpsd();
    await s.waitHook('COMMBAD');

    const attempts = await countReconnectAttempts(rig.host, rig.port, 5_000);
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    expect(attempts.length, `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(4);
    expect(Math.max(...gaps), `gaps ${gaps.join(', ')} ms`).toBeLessThanOrEqual(
      RECONNECT_POLICY.fastMs * (1 + RECONNECT_POLICY.fastJitter) + 300,
    );

    await rig.startUpsd();
    const back = Date.now();
    const session = s.session();
    await waitFor(() => (session.statusAt ?? 0) > back && session.view.comm === 'ok', {
      timeoutMs: 10_000,
      description: 'a status read after upsd is back',
    });
    expect(session.statusAt! - back).toBeLessThan(1_500);
    await s.waitHook('COMMOK');
  });
});

describe('reconnectDelayMs', () => {
  const fixed = (value: number) => () => value;

  it('retries at once after a loss', () => {
    expect(reconnectDelayMs({ attempt: 0, outageMs: 0, urgent: false, random: fixed(0.9) })).toBe(
      0,
    );
    expect(
      reconnectDelayMs({ attempt: 0, outageMs: 3_600_000, urgent: false, random: fixed(0.9) }),
    ).toBe(0);
  });

  it('about every second (±20 %) during the first minutes of an outage, whatever the state', () => {
    expect(
      reconnectDelayMs({ attempt: 5, outageMs: 10_000, urgent: false, random: fixed(0) }),
    ).toBe(800);
    expect(
      reconnectDelayMs({ attempt: 5, outageMs: 10_000, urgent: false, random: fixed(1) }),
    ).toBe(1_200);
    expect(
      reconnectDelayMs({
        attempt: 50,
        outageMs: RECONNECT_POLICY.fastForMs - 1,
        urgent: false,
        random: fixed(0.5),
      }),
    ).toBe(1_000);
  });

  it('about every second for as long as the last known state is on battery, low battery or unknown', () => {
    expect(
      reconnectDelayMs({ attempt: 500, outageMs: 3_600_000, urgent: true, random: fixed(0.5) }),
    ).toBe(1_000);
  });

  it('4 s ±25 % (never more than 5 s) only for a master gone for minutes while last known on line', () => {
    expect(
      reconnectDelayMs({
        attempt: 200,
        outageMs: RECONNECT_POLICY.fastForMs,
        urgent: false,
        random: fixed(0),
      }),
    ).toBe(3_000);
    expect(
      reconnectDelayMs({
        attempt: 200,
        outageMs: RECONNECT_POLICY.fastForMs,
        urgent: false,
        random: fixed(1),
      }),
    ).toBe(5_000);
  });
});
