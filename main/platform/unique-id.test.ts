import { describe, expect, it } from 'vitest';
import { randomHex } from './unique-id';

describe('randomHex', () => {
  it('gives the requested number of bytes as lowercase hex', () => {
    expect(randomHex(4)).toMatch(/^[0-9a-f]{8}$/);
    expect(randomHex(16)).toMatch(/^[0-9a-f]{32}$/);
    expect(randomHex(0)).toBe('');
  });

  it('does not repeat over many draws', () => {
    const seen = new Set(Array.from({ length: 10_000 }, () => randomHex(8)));
    expect(seen.size).toBe(10_000);
  });
});
