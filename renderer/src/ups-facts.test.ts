import { describe, expect, it } from 'vitest';
import {
  describeDevice,
  formatWatts,
  masterSeesText,
  sparklineGeometry,
  wattsSource,
} from './ups-facts';

describe('describeDevice', () => {
  it('names maker and model, without repeating a maker the model already names', () => {
    expect(
      describeDevice({ model: 'Back-UPS CS 350', manufacturer: 'American Power Conversion' }),
    ).toBe('American Power Conversion Back-UPS CS 350');
    expect(describeDevice({ model: 'Eaton 5PX 1500', manufacturer: 'EATON' })).toBe(
      'Eaton 5PX 1500',
    );
    expect(describeDevice({ model: '5PX 1500', manufacturer: null })).toBe('5PX 1500');
    expect(describeDevice({ model: null, manufacturer: 'CyberPower' })).toBe('CyberPower');
    expect(describeDevice({ model: null, manufacturer: null })).toBeNull();
  });
});

describe('formatWatts', () => {
  it('rounds to whole watts and shows nothing without a value', () => {
    expect(formatWatts(36.45)).toBe('36 W');
    expect(formatWatts(0)).toBe('0 W');
    expect(formatWatts(null)).toBeNull();
    expect(formatWatts(Number.NaN)).toBeNull();
    expect(wattsSource('measured')).toMatch(/ups\.realpower\)/);
    expect(wattsSource('nominal')).toMatch(/ups\.realpower\.nominal × ups\.load/);
  });
});

describe('sparklineGeometry', () => {
  const box = { width: 100, height: 22 };
  it('maps time to x and 0–100 % to y, for charge and load', () => {
    const g = sparklineGeometry(
      [
        { at: 0, charge: 100, load: 0 },
        { at: 500, charge: 50, load: 50 },
        { at: 1000, charge: 0, load: 100 },
      ],
      { from: 0, to: 1000, stepMs: 500 },
      box,
    );
    expect(g.charge).toBe('M0.0 1.0L50.0 11.0L100.0 21.0');
    expect(g.load).toBe('M0.0 21.0L50.0 11.0L100.0 1.0');
    expect(g.points).toEqual({ charge: 3, load: 3 });
  });

  it('breaks the line at gaps and at unknown values, never bridging them', () => {
    const g = sparklineGeometry(
      [
        { at: 0, charge: 90, load: 10 },
        { at: 100, charge: 90, load: null },
        { at: 200, charge: 90, load: 10 },
        // 800 ms without a sample at a 100 ms step: a gap.
        { at: 1000, charge: 80, load: 10 },
      ],
      { from: 0, to: 1000, stepMs: 100 },
      box,
    );
    expect(g.charge.match(/M/g)).toHaveLength(2);
    expect(g.load.match(/M/g)).toHaveLength(3);
    expect(g.points).toEqual({ charge: 4, load: 3 });
  });

  it('draws nothing without readings, and clamps values outside 0–100', () => {
    expect(
      sparklineGeometry([{ at: 5, charge: null, load: null }], { from: 0, to: 10, stepMs: 1 }, box),
    ).toEqual({ charge: '', load: '', points: { charge: 0, load: 0 } });
    expect(
      sparklineGeometry([{ at: 5, charge: 140, load: -3 }], { from: 0, to: 10, stepMs: 1 }, box),
    ).toMatchObject({ charge: 'M50.0 1.0', load: 'M50.0 21.0' });
  });
});

describe('masterSeesText', () => {
  const seen = {
    address: '192.168.1.20',
    check: 'listed' as const,
    previous: null,
    changedAt: null,
  };
  it('names the address, confirmed or not', () => {
    expect(masterSeesText(seen, 'NAS')).toMatchObject({
      text: 'NAS sees this machine as 192.168.1.20',
      note: null,
      tone: 'ok',
    });
    expect(masterSeesText({ ...seen, check: 'unverified' }, 'NAS')?.tone).toBe('muted');
    expect(masterSeesText({ ...seen, address: null }, 'NAS')).toBeNull();
  });

  it('warns when the address changed or the master lists another one', () => {
    const changed = masterSeesText({ ...seen, previous: '192.168.1.19', changedAt: 1 }, 'NAS');
    expect(changed?.tone).toBe('warn');
    expect(changed?.note).toMatch(/Changed from 192\.168\.1\.19.*Permitted DiskStation devices/);
    const natted = masterSeesText({ ...seen, check: 'not-listed' }, 'NAS');
    expect(natted?.tone).toBe('warn');
    expect(natted?.note).toMatch(/NAT/);
  });
});
