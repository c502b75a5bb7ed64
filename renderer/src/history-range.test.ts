import { describe, expect, it } from 'vitest';
import {
  HISTORY_RANGES,
  chartMarkers,
  exactValue,
  firstReadingAt,
  historyRefreshMs,
  historyWindow,
  yTickLabels,
} from './history-range';

const HOUR = 3_600_000;
const NOW = 1_800_000_000_000;

describe('historyWindow', () => {
  it('offers 15 min, 1 h, 6 h, 24 h and 7 d', () => {
    expect(HISTORY_RANGES.map((r) => r.label)).toEqual(['15 min', '1 h', '6 h', '24 h', '7 d']);
  });

  it('the default range starts at the first sample when the data is younger than the range', () => {
    expect(
      historyWindow({ rangeMs: 24 * HOUR, picked: false, firstSampleAt: NOW - HOUR, now: NOW }),
    ).toEqual({ from: NOW - HOUR, to: NOW, sinceFirstSample: true });
    // A first sample seconds old still gives a one-minute axis.
    expect(
      historyWindow({ rangeMs: 24 * HOUR, picked: false, firstSampleAt: NOW - 5_000, now: NOW }),
    ).toEqual({ from: NOW - 60_000, to: NOW, sinceFirstSample: true });
  });

  it('shows the whole range when the data fills it, when there is none, or when picked', () => {
    const whole = { from: NOW - 24 * HOUR, to: NOW, sinceFirstSample: false };
    expect(
      historyWindow({
        rangeMs: 24 * HOUR,
        picked: false,
        firstSampleAt: NOW - 30 * HOUR,
        now: NOW,
      }),
    ).toEqual(whole);
    expect(
      historyWindow({ rangeMs: 24 * HOUR, picked: false, firstSampleAt: null, now: NOW }),
    ).toEqual(whole);
    expect(
      historyWindow({ rangeMs: 24 * HOUR, picked: true, firstSampleAt: NOW - HOUR, now: NOW }),
    ).toEqual(whole);
  });
});

describe('firstReadingAt', () => {
  it('reads again as often as the window shown needs, and soon while there is no reading', () => {
    expect(historyRefreshMs(null)).toBe(5_000);
    // A day's range showing the 3 minutes since the first sample refreshes like 15 min.
    expect(historyRefreshMs(3 * 60_000)).toBe(5_000);
    expect(historyRefreshMs(40 * 60_000)).toBe(15_000);
    expect(historyRefreshMs(86_400_000)).toBe(120_000);
    expect(historyRefreshMs(7 * 86_400_000)).toBe(600_000);
    expect(historyRefreshMs(30 * 86_400_000)).toBe(600_000);
  });

  it('skips samples without any reading (taken while still connecting)', () => {
    const empty = { charge: null, runtime: null, load: null, inputVoltage: null };
    expect(
      firstReadingAt([
        { at: 1, ...empty },
        { at: 2, ...empty, load: 12 },
      ]),
    ).toBe(2);
    expect(firstReadingAt([{ at: 1, ...empty }])).toBeNull();
  });

  it('a longer shortest window for the sparkline', () => {
    expect(
      historyWindow({
        rangeMs: HOUR,
        picked: false,
        firstSampleAt: NOW - 60_000,
        now: NOW,
        minSpanMs: 5 * 60_000,
      }),
    ).toEqual({ from: NOW - 5 * 60_000, to: NOW, sinceFirstSample: true });
  });
});

describe('chartMarkers', () => {
  it('keeps ONBATT, LOWBATT, FSD and SHUTDOWN notifications in the window, in time order', () => {
    const markers = chartMarkers(
      [
        { at: 50, kind: 'notify', type: 'SHUTDOWN' },
        { at: 10, kind: 'notify', type: 'ONBATT' },
        { at: 20, kind: 'notify', type: 'ONLINE' },
        { at: 30, kind: 'notify', type: 'LOWBATT' },
        { at: 40, kind: 'notify', type: 'FSD' },
        { at: 45, kind: 'system', type: 'FSD' },
        { at: 500, kind: 'notify', type: 'ONBATT' },
      ],
      0,
      100,
    );
    expect(markers.map((m) => [m.at, m.type, m.short])).toEqual([
      [10, 'ONBATT', 'B'],
      [30, 'LOWBATT', 'L'],
      [40, 'FSD', 'F'],
      [50, 'SHUTDOWN', 'S'],
    ]);
    expect(markers[0]!.label).toBe('On battery (ONBATT)');
  });
});

describe('exactValue', () => {
  it('keeps the stored precision', () => {
    expect(exactValue('charge', 85.25)).toBe('85.3 %');
    expect(exactValue('load', 23)).toBe('23 %');
    expect(exactValue('inputVoltage', 231.44)).toBe('231.4 V');
    expect(exactValue('runtime', 1385)).toBe('23 min 05 s (1385 s)');
    expect(exactValue('runtime', 42)).toBe('42 s');
  });
});

describe('yTickLabels', () => {
  const runtime = { metric: 'runtime', unit: 's', fixedRange: false } as const;
  const charge = { metric: 'charge', unit: '%', fixedRange: true } as const;
  const voltage = { metric: 'inputVoltage', unit: 'V', fixedRange: false } as const;

  it('formats runtime, percent and volts', () => {
    expect(yTickLabels(runtime, [0, 90, 2400], true)).toEqual(['0s', '1m 30s', '40m']);
    expect(yTickLabels(charge, [0, 50, 100], true)).toEqual(['0%', '50%', '100%']);
    expect(yTickLabels(voltage, [220, 230], true)).toEqual(['220 V', '230 V']);
  });

  it('shows no ticks on a placeholder scale without data; a fixed range keeps its ticks', () => {
    expect(yTickLabels(runtime, [0, 0.25, 0.5, 0.75, 1], false)).toEqual(['', '', '', '', '']);
    expect(yTickLabels(voltage, [0, 0.5, 1], false)).toEqual(['', '', '']);
    expect(yTickLabels(charge, [0, 100], false)).toEqual(['0%', '100%']);
  });
});
