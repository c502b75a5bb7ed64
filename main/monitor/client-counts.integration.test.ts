/**
 * The counts a card shows (NUMLOGINS, LIST CLIENT) against a real upsd, with the periodic full
 * poll a minute away: they are read again right after this machine logs in, when FSD appears and
 * right after this machine logs out, so a card never shows a count from before its own login or
 * logout.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/net';
import { loginFrom } from './testing/scenario-harness';
import { useScenarios } from './testing/use-scenarios';

const { rig: startRig, start } = useScenarios();

describe('client counts against a real upsd', () => {
  it('are re-read after this machine logs in, when FSD appears and after it logs out — not only at the full poll', async () => {
    const rig = await startRig();
    const s = start({ rig, timing: { fullPollSeconds: 60, hostSyncSeconds: 1 } });
    await s.ready();
    // After the LOGIN: this machine is counted at once.
    await waitFor(() => s.snapshot().clients.numLogins === 1, {
      timeoutMs: 3_000,
      description: 'NUMLOGINS 1 right after the login',
    });
    expect((s.snapshot().clients.list ?? []).map((c) => c.isThisMachine)).toEqual([true]);

    // Another secondary logs in: nothing reads the counts for a minute...
    const other = await loginFrom('127.0.0.2', rig.port, 'ups');
    try {
      expect(await rig.numLogins('ups')).toBe(2);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(s.snapshot().clients.numLogins).toBe(1);

      // ...until FSD appears: the secondaries are about to leave, so the counts are read now.
      await rig.setStatus('ups', 'OB LB FSD');
      await waitFor(() => s.snapshot().clients.numLogins === 2, {
        timeoutMs: 3_000,
        description: 'NUMLOGINS 2 read when FSD appeared',
      });

      // FSD shuts this machine down: it logs out, and the card counts only the other one.
      await s.waitHook('SHUTDOWNCMD', { timeoutMs: 10_000 });
      await waitFor(() => s.snapshot().loggedIn === false, {
        timeoutMs: 5_000,
        description: 'this machine logged out',
      });
      const loggedOut = Date.now();
      await waitFor(
        () => {
          const { clients } = s.snapshot();
          return clients.numLogins === 1 && (clients.list ?? []).every((c) => !c.isThisMachine);
        },
        { timeoutMs: 3_000, description: 'the counts read again after the logout' },
      );
      expect(Date.now() - loggedOut).toBeLessThan(3_000);
      expect((s.snapshot().clients.list ?? []).map((c) => c.address)).toEqual(['127.0.0.2']);
      expect(await rig.numLogins('ups')).toBe(1);
      // One naming scheme for every event of the episode (login, FSD, hooks, shutdown, logout).
      expect(s.events.length).toBeGreaterThan(5);
      for (const e of s.events) expect(e.type).toMatch(/^[A-Z][A-Z0-9_]*$/);
    } finally {
      other.destroy();
    }
  });
});
