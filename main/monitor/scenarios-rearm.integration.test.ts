/**
 * After an episode that left this machine up (a dry run, e.g. during an FSD test), the next
 * episode must run the shutdown command again with the configuration of that moment — a cached
 * dry-run outcome must never swallow a real shutdown. A rehearsal needs no re-arm: it logs out,
 * logs in again by itself and the episode ends once the UPS is on line.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Rig, startUpsdRig } from '../testing/upsd-rig';
import { waitFor } from '../testing/net';
import { Scenario, waitNumLogins } from './testing/scenario-harness';

describe('shutdown after a dry-run episode (real upsd)', () => {
  let rig: Rig;
  let scenario: Scenario | undefined;
  beforeEach(async () => {
    rig = await startUpsdRig();
  });
  afterEach(async () => {
    await scenario?.stop();
    await rig.stop();
  });

  it('dry run records and logs out, logs in again by itself, dry run is switched off, and the next FSD runs the command', async () => {
    scenario = Scenario.start({ rig });
    await scenario.ready();
    const session = scenario.session();

    scenario.service.applyConfig({
      ...scenario.config,
      shutdown: { ...scenario.config.shutdown, dryRun: true },
    });
    await scenario.ready();
    scenario.service.session(session.monitorId)!.requestLocalFsd('test: first episode');
    await waitFor(
      () =>
        scenario!.events.some((e) => e.type === 'SHUTDOWN_COMMAND' && e.data?.phase === 'dry-run'),
      { timeoutMs: 10_000 },
    );
    expect(scenario.hooks().filter((h) => h.type === 'SHUTDOWNCMD')).toHaveLength(0);
    await waitNumLogins(rig, 'ups', 0);

    // No acknowledgement: the rehearsal logs in again and the episode ends on the next OL.
    await waitNumLogins(rig, 'ups', 1, 10_000);
    const live = scenario.service.session(session.monitorId)!;
    await waitFor(() => live.view.shutdown.phase === 'none', { timeoutMs: 5_000 });

    scenario.service.applyConfig({
      ...scenario.config,
      shutdown: { ...scenario.config.shutdown, dryRun: false },
    });
    await scenario.ready();
    await rig.setFsd('ups');
    const command = await scenario.waitHook('SHUTDOWNCMD', { timeoutMs: 15_000 });
    expect(command.type).toBe('SHUTDOWNCMD');
    await waitNumLogins(rig, 'ups', 0);
    // Each episode announces its shutdown (hooks and desktop), the re-armed one included.
    expect(scenario.notifyEvents().filter((e) => e.type === 'SHUTDOWN')).toHaveLength(2);
  });
});
