import { describe, expect, it } from 'vitest';
import { deviceIdentity, masterSeesOf, realPowerOf } from './snapshot';

const vars = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('realPowerOf: watts only from what the UPS reports', () => {
  it('takes ups.realpower when the UPS measures it, even beside a nominal value', () => {
    expect(
      realPowerOf(
        vars({ 'ups.realpower': '187', 'ups.realpower.nominal': '900', 'ups.load': '50' }),
      ),
    ).toEqual({ watts: 187, source: 'measured' });
    expect(realPowerOf(vars({ 'ups.realpower': '0' }))).toEqual({ watts: 0, source: 'measured' });
  });

  it('multiplies ups.realpower.nominal by ups.load % when there is no measurement', () => {
    // The rig's APC Back-UPS ES 700G: 405 W nominal, 9 % load.
    expect(realPowerOf(vars({ 'ups.realpower.nominal': '405', 'ups.load': '9' }))).toEqual({
      watts: 36.45,
      source: 'nominal',
    });
    expect(realPowerOf(vars({ 'ups.realpower.nominal': '900', 'ups.load': '0' }))).toEqual({
      watts: 0,
      source: 'nominal',
    });
  });

  it('invents nothing: no load, no nominal, VA only, or values that are not numbers give null', () => {
    const none = { watts: null, source: null };
    expect(realPowerOf(vars({ 'ups.load': '23' }))).toEqual(none);
    expect(realPowerOf(vars({ 'ups.realpower.nominal': '405' }))).toEqual(none);
    // Apparent power (VA) is not real power: no power factor is guessed.
    expect(realPowerOf(vars({ 'ups.power': '120', 'ups.power.nominal': '700' }))).toEqual(none);
    expect(realPowerOf(vars({ 'ups.realpower': 'n/a', 'ups.load': '10' }))).toEqual(none);
    expect(realPowerOf(vars({ 'ups.realpower.nominal': '0', 'ups.load': '10' }))).toEqual(none);
    expect(realPowerOf(vars({ 'ups.realpower': '-5' }))).toEqual(none);
    expect(realPowerOf(vars({ 'ups.realpower.nominal': '405', 'ups.load': '' }))).toEqual(none);
  });
});

describe('deviceIdentity: which UPS it is', () => {
  it('prefers device.* and falls back to the older ups.* names', () => {
    expect(
      deviceIdentity(
        vars({
          'device.model': 'Back-UPS CS 350',
          'ups.model': 'CS 350',
          'device.mfr': 'American Power Conversion',
          'ups.mfr': 'APC',
        }),
      ),
    ).toEqual({ model: 'Back-UPS CS 350', manufacturer: 'American Power Conversion' });
    expect(deviceIdentity(vars({ 'ups.model': ' 5PX 1500 ', 'ups.mfr': 'EATON' }))).toEqual({
      model: '5PX 1500',
      manufacturer: 'EATON',
    });
  });

  it('is null where the UPS does not say (empty values too)', () => {
    expect(deviceIdentity(vars({ 'device.model': '  ' }))).toEqual({
      model: null,
      manufacturer: null,
    });
  });
});

describe('masterSeesOf: the address the master sees this machine as', () => {
  const history = { since: 1_000, previous: null, changedAt: null };
  const base = {
    localAddress: '192.168.1.20',
    addressHistory: history,
    loggedIn: true,
  };

  it('is confirmed when the master lists this address', () => {
    expect(
      masterSeesOf({
        ...base,
        clients: { addresses: ['192.168.1.5', '192.168.1.20'], numLogins: 2, at: 2_000 },
      }),
    ).toEqual({ address: '192.168.1.20', check: 'listed', previous: null, changedAt: null });
  });

  it('says "not listed" when logged in and the list lacks it (a NAT or VPN in between)', () => {
    expect(
      masterSeesOf({ ...base, clients: { addresses: ['10.8.0.1'], numLogins: 1, at: 2_000 } })
        .check,
    ).toBe('not-listed');
  });

  it('cannot verify without a list, without a login, or with a list read before this address', () => {
    const unverified = (r: Partial<Parameters<typeof masterSeesOf>[0]>) =>
      masterSeesOf({ ...base, clients: null, ...r }).check;
    expect(unverified({ clients: { addresses: null, numLogins: 1, at: 2_000 } })).toBe(
      'unverified',
    );
    expect(
      unverified({
        loggedIn: false,
        clients: { addresses: ['10.8.0.1'], numLogins: 1, at: 2_000 },
      }),
    ).toBe('unverified');
    expect(unverified({ clients: { addresses: ['192.168.1.7'], numLogins: 1, at: 500 } })).toBe(
      'unverified',
    );
    expect(unverified({ localAddress: null, addressHistory: null })).toBe('unverified');
  });

  it('carries the previous address and when it changed', () => {
    expect(
      masterSeesOf({
        ...base,
        addressHistory: { since: 5_000, previous: '192.168.1.19', changedAt: 5_000 },
        clients: { addresses: ['192.168.1.20'], numLogins: 1, at: 6_000 },
      }),
    ).toEqual({
      address: '192.168.1.20',
      check: 'listed',
      previous: '192.168.1.19',
      changedAt: 5_000,
    });
  });
});
