import { describe, expect, it } from 'vitest';
import { statusTokens } from './status-tokens';

describe('statusTokens', () => {
  it('splits on any whitespace, upper-cases, drops blanks', () => {
    expect([...statusTokens('  ob\tLB  fsd ')]).toEqual(['OB', 'LB', 'FSD']);
    expect([...statusTokens('OL CHRG OL')]).toEqual(['OL', 'CHRG']);
  });
  it('is empty for a missing or blank status', () => {
    expect(statusTokens(null).size).toBe(0);
    expect(statusTokens(undefined).size).toBe(0);
    expect(statusTokens('   ').size).toBe(0);
  });
  it('matches tokens, never substrings', () => {
    expect(statusTokens('OBSOLETE LBX').has('OB')).toBe(false);
    expect(statusTokens('OBSOLETE LBX').has('LB')).toBe(false);
  });
});
