import { describe, expect, it } from 'vitest';
import { type ShutdownRuleInput, describeShutdownRule } from './snapshot';

const base: ShutdownRuleInput = {
  role: 'secondary',
  powerValue: 1,
  hostSyncSeconds: 15,
  finalDelaySeconds: 5,
  command: '/sbin/shutdown -h +0',
  dryRun: false,
  minSupplies: null,
  otherSupplies: 0,
};

describe('describeShutdownRule: what a UPS does to this machine, in words', () => {
  it('a secondary: HOSTSYNC at low battery, at once on FSD, then FINALDELAY and the command', () => {
    expect(describeShutdownRule(base)).toEqual({
      shutsDown: true,
      text: 'Shuts down this machine at low battery after HOSTSYNC 15 s, or at once on FSD; then FINALDELAY 5 s and `/sbin/shutdown -h +0`.',
    });
    expect(describeShutdownRule({ ...base, dryRun: true, hostSyncSeconds: 1.5 }).text).toBe(
      'Shuts down this machine at low battery after HOSTSYNC 1.5 s, or at once on FSD; then FINALDELAY 5 s and `/sbin/shutdown -h +0` — recorded, not run (dry run).',
    );
  });

  it('says why it will not: monitor-only, power value 0, other supplies still feed it (MINSUPPLIES)', () => {
    expect(describeShutdownRule({ ...base, role: 'monitor-only' })).toEqual({
      shutsDown: false,
      text: 'Will not shut down this machine: this UPS is monitor-only.',
    });
    expect(describeShutdownRule({ ...base, powerValue: 0 }).text).toBe(
      'Will not shut down this machine: its power value is 0 (it does not feed this machine).',
    );
    expect(describeShutdownRule({ ...base, minSupplies: 1, otherSupplies: 1 })).toEqual({
      shutsDown: false,
      text: 'Will not shut down this machine while the other UPSes still feed it (1 of MINSUPPLIES 1).',
    });
    // The others do not feed enough: this UPS decides again.
    expect(describeShutdownRule({ ...base, minSupplies: 2, otherSupplies: 1 }).shutsDown).toBe(
      true,
    );
  });
});
