import { describe, expect, it } from 'vitest';
import { describeStatus, isPlaceholderStatus, parseStatus, statusHas } from './status';

describe('parseStatus', () => {
  it('splits on any whitespace and upper-cases known tokens', () => {
    const p = parseStatus('  ol\tCHRG \n hb ');
    expect(p.empty).toBe(false);
    expect(p.known).toEqual(['OL', 'CHRG', 'HB']);
    expect(p.unknown).toEqual([]);
    expect(p.tokens).toEqual([
      { kind: 'known', token: 'OL' },
      { kind: 'known', token: 'CHRG' },
      { kind: 'known', token: 'HB' },
    ]);
  });

  it('accepts the FSD prefix upsd adds', () => {
    const p = parseStatus('FSD OB LB');
    expect(p.known).toEqual(['FSD', 'OB', 'LB']);
    expect(statusHas(p, 'FSD')).toBe(true);
    expect(statusHas(p, 'OL')).toBe(false);
  });

  it('matches whole tokens only, not substrings (unlike upsmon 2.8.0 strstr on LB/FSD)', () => {
    const p = parseStatus('OL XLB FSDX');
    expect(statusHas(p, 'LB')).toBe(false);
    expect(statusHas(p, 'FSD')).toBe(false);
    expect(p.unknown).toEqual(['XLB', 'FSDX']);
  });

  it('keeps unknown tokens as written, de-duplicated case-insensitively, in order', () => {
    const p = parseStatus('OL vendorX BAR VENDORX OL');
    expect(p.known).toEqual(['OL']);
    expect(p.unknown).toEqual(['vendorX', 'BAR']);
    expect(p.tokens).toHaveLength(5);
  });

  it('knows every token of main/monitor/README.md §1.9', () => {
    const all = 'OL OB LB HB RB CHRG DISCHRG BYPASS CAL OFF OVER TRIM BOOST FSD ALARM WAIT ECO';
    expect(parseStatus(all).unknown).toEqual([]);
    expect(parseStatus(all.toLowerCase()).known).toHaveLength(17);
  });

  it('reports an empty or blank status as empty (a comm failure for the caller)', () => {
    expect(parseStatus('').empty).toBe(true);
    expect(parseStatus('   \t').empty).toBe(true);
    expect(parseStatus('WAIT').empty).toBe(false);
  });
});

describe('describeStatus', () => {
  it.each([
    ['OB LB', 'On battery, low battery'],
    ['LB OB', 'On battery, low battery'],
    ['ol chrg', 'On line power, charging'],
    ['FSD OL', 'Forced shutdown, on line power'],
    ['OL RB', 'On line power, battery needs replacing'],
    ['OB DISCHRG CAL', 'On battery, calibrating, discharging'],
    ['WAIT', 'Waiting for the driver'],
    ['OL BYPASS', 'On line power, on bypass (not protecting)'],
  ])('%s → %s', (status, words) => {
    expect(describeStatus(status)).toBe(words);
  });

  it('lists unknown tokens at the end', () => {
    expect(describeStatus('OL FOO bar')).toBe('On line power, other status: FOO bar');
    expect(describeStatus('FOO')).toBe('Other status: FOO');
  });

  it('words an empty status as a communication failure', () => {
    expect(describeStatus('')).toBe('No status (communication failure)');
    expect(describeStatus(parseStatus(' '))).toBe('No status (communication failure)');
  });
});

describe('isPlaceholderStatus', () => {
  it('is WAIT alone or with FSD, any case, nothing else', () => {
    for (const status of ['WAIT', 'wait', 'FSD WAIT', 'WAIT FSD', ' WAIT  '])
      expect(isPlaceholderStatus(parseStatus(status))).toBe(true);
    for (const status of ['', 'OL', 'OL WAIT', 'WAIT BYPASS', 'FSD', 'WAIT XYZ', 'OB LB WAIT'])
      expect(isPlaceholderStatus(parseStatus(status))).toBe(false);
  });
});
