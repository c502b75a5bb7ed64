import { describe, expect, it } from 'vitest';
import { type WhatIfInput, lowBatteryAfter, whatIf } from './what-if';

/** The Synology seed's UPS at 16 % load, this machine measured, two secondaries measured. */
function input(overrides: Partial<WhatIfInput> = {}): WhatIfInput {
  return {
    monitorId: 'nas/ups',
    upsName: 'ups',
    at: 1_700_000_000_000,
    status: 'OL',
    charge: 100,
    runtimeSeconds: 600,
    load: 16,
    chargeLow: 10,
    runtimeLow: 120,
    hostSync: { seconds: 15, basis: 'measured' },
    thisMachine: {
      role: 'secondary',
      statusPollSeconds: 0.5,
      finalDelaySeconds: 5,
      measuredShutdownSeconds: 20,
      measuredDryRun: false,
    },
    secondaries: [
      { name: '10.0.0.21 (pi-a)', logoutSeconds: 3 },
      { name: '10.0.0.22 (pi-b)', logoutSeconds: 8 },
    ],
    master: { shutdownSeconds: 40 },
    ...overrides,
  };
}

describe('lowBatteryAfter', () => {
  it('takes the earlier of the runtime and the charge threshold', () => {
    // runtime: 600 − 120 = 480 s; charge: 600 × (100 − 10) / 100 = 540 s.
    expect(lowBatteryAfter(input()).seconds).toBe(480);
    // charge 50 %: 600 × 40 / 50 = 480 vs runtime 480: equal; chargeLow 30: 600 × 20/50 = 240.
    expect(lowBatteryAfter(input({ charge: 50, chargeLow: 30 })).seconds).toBe(240);
  });

  it('is 0 when the UPS reports LB, null without runtime or thresholds', () => {
    expect(lowBatteryAfter(input({ status: 'OB LB' })).seconds).toBe(0);
    expect(lowBatteryAfter(input({ runtimeSeconds: null })).seconds).toBeNull();
    expect(lowBatteryAfter(input({ chargeLow: null, runtimeLow: null })).seconds).toBeNull();
  });

  it('never goes below 0 when the runtime is already below the threshold', () => {
    expect(lowBatteryAfter(input({ runtimeSeconds: 100, chargeLow: null })).seconds).toBe(0);
  });
});

describe('whatIf', () => {
  it('builds the timeline t0 → t1 → FSD → t2 → t3 with the margin', () => {
    const result = whatIf(input());
    expect(result.lowBatteryAt).toBe(480);
    expect(result.fsdAt).toBe(485); // + the master's POLLFREQ (5 s, assumed)
    // This machine logs out after 0.5 + 5 = 5.5 s; the slowest secondary after 8 s: the master waits 8 s.
    expect(result.secondariesDownAt).toBe(493);
    expect(result.thisMachineDownAt).toBe(505.5); // 485 + 0.5 + 20
    expect(result.masterDownAt).toBe(538); // 493 + FINALDELAY 5 (assumed) + 40
    expect(result.emptyAt).toBe(600);
    expect(result.marginSeconds).toBe(62);
    expect(result.marginBeforeMasterShutdownSeconds).toBe(107);
    expect(result.verdict).toBe('ok');
    expect(result.missing).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.headline).toBe('Everything is down 62 s before the battery runs out.');
    expect(result.steps.map((s) => s.id)).toEqual([
      'on-battery',
      'low-battery',
      'fsd',
      'this-machine-down',
      'secondary-logout',
      'secondary-logout',
      'secondaries-down',
      'master-down',
      'battery-empty',
    ]);
  });

  it('is tight below a minute and negative when the battery runs out first', () => {
    expect(whatIf(input({ master: { shutdownSeconds: 50 } })).verdict).toBe('tight'); // margin 52
    const negative = whatIf(input({ master: { shutdownSeconds: 150 } }));
    expect(negative.marginSeconds).toBe(-48);
    expect(negative.verdict).toBe('negative');
    expect(negative.headline).toBe('The battery runs out 48 s before everything is down.');
    expect(negative.warnings[0]).toMatch(/margin is negative/);
  });

  it('caps the wait at HOSTSYNC and warns about a secondary that logs out late or never', () => {
    const result = whatIf(
      input({
        secondaries: [
          { name: 'pi-a', logoutSeconds: 30 },
          { name: 'pi-b', logoutSeconds: null },
        ],
      }),
    );
    expect(result.secondariesDownAt).toBe(500); // 485 + HOSTSYNC 15
    expect(result.warnings).toEqual([
      'pi-a logged out after 30 s, later than HOSTSYNC (15 s): the master does not wait for it.',
      'pi-b did not log out in the last FSD test: the master stops waiting after HOSTSYNC (15 s) and cuts the power while it is still up.',
    ]);
  });

  it('says which measurement is missing, and keeps the margin unknown', () => {
    const result = whatIf(
      input({
        secondaries: null,
        thisMachine: { ...input().thisMachine, measuredShutdownSeconds: null },
        master: { shutdownSeconds: null },
      }),
    );
    expect(result.marginSeconds).toBeNull();
    expect(result.verdict).toBe('unknown');
    expect(result.secondariesDownAt).toBe(500); // unknown secondaries: the master waits all of HOSTSYNC
    expect(result.marginBeforeMasterShutdownSeconds).toBe(100);
    expect(result.missing.map((m) => m.what)).toEqual([
      "this machine's shutdown duration",
      "the other secondaries' logout times",
      "the master's own shutdown duration",
    ]);
    expect(result.missing[1]!.fix).toMatch(/FSD test in master mode/);
    expect(result.headline).toMatch(/^The margin is not known: this machine's shutdown duration/);
  });

  it('is negative even with unknowns when the battery is empty before the secondaries are down', () => {
    const result = whatIf(
      input({ runtimeSeconds: 130, chargeLow: null, master: { shutdownSeconds: null } }),
    );
    // LB at 130 − 120 = 10 s, FSD 15 s, secondaries down 23 s: 107 s left; with runtime.low 128:
    const late = whatIf(
      input({
        runtimeSeconds: 130,
        runtimeLow: 129,
        chargeLow: null,
        secondaries: [{ name: 'pi', logoutSeconds: 14 }],
        master: { shutdownSeconds: null },
      }),
    );
    expect(result.verdict).toBe('unknown');
    expect(late.secondariesDownAt).toBe(20); // 1 + 5 + 14
    expect(late.marginBeforeMasterShutdownSeconds).toBe(110);
    const empty = whatIf(
      input({ status: 'OB LB', runtimeSeconds: 10, master: { shutdownSeconds: null } }),
    );
    expect(empty.alreadyOnBattery).toBe(true);
    expect(empty.lowBatteryAt).toBe(0);
    expect(empty.verdict).toBe('negative');
    expect(empty.headline).toBe('The battery runs out 3 s before the secondaries are down.');
  });

  it('a monitor-only machine has no shutdown of its own to wait for', () => {
    const result = whatIf(
      input({
        thisMachine: {
          ...input().thisMachine,
          role: 'monitor-only',
          measuredShutdownSeconds: null,
        },
      }),
    );
    expect(result.thisMachineDownAt).toBeNull();
    expect(result.steps.some((s) => s.id === 'this-machine-down')).toBe(false);
    expect(result.secondariesDownAt).toBe(493);
    expect(result.marginSeconds).toBe(62);
  });

  it('notes a dry-run measurement and an unknown runtime', () => {
    const dry = whatIf(input({ thisMachine: { ...input().thisMachine, measuredDryRun: true } }));
    expect(dry.warnings).toContain(
      "This machine's shutdown was measured in a dry run: the operating system's own shutdown is not included.",
    );
    const noRuntime = whatIf(input({ runtimeSeconds: null }));
    expect(noRuntime.lowBatteryAt).toBeNull();
    expect(noRuntime.verdict).toBe('unknown');
    expect(noRuntime.missing[0]!.what).toBe('when the UPS raises low battery');
  });
});
