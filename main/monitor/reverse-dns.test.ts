import { describe, expect, it } from 'vitest';
import { ReverseDnsCache, type ReverseDnsOptions } from './reverse-dns';

/** A resolver that answers from a table (unknown addresses reject, like dns.reverse) and counts calls; a settable clock. */
function setup(options: Partial<ReverseDnsOptions> = {}, names: Record<string, string[]> = {}) {
  let now = 1_000;
  const calls: string[] = [];
  const pending: (() => void)[] = [];
  let hold = false;
  const cache = new ReverseDnsCache({
    resolve: (address) => {
      calls.push(address);
      const answer = (): Promise<string[]> =>
        names[address] ? Promise.resolve(names[address]) : Promise.reject(new Error('ENOTFOUND'));
      if (!hold) return answer();
      return new Promise((resolve, reject) => pending.push(() => answer().then(resolve, reject)));
    },
    clock: { monotonic: () => now },
    ...options,
  });
  return {
    cache,
    calls,
    advance: (ms: number) => (now += ms),
    holdAnswers: (on = true) => (hold = on),
    release: () => pending.splice(0).forEach((go) => go()),
  };
}

describe('ReverseDnsCache', () => {
  it('answers the first name, caches it for the TTL, then asks again', async () => {
    const t = setup({ ttlMs: 10_000 }, { '10.0.0.5': ['nas.lan', 'other.lan'] });
    expect(await t.cache.lookup('10.0.0.5')).toBe('nas.lan');
    expect(await t.cache.lookup('10.0.0.5')).toBe('nas.lan');
    expect(t.cache.peek('10.0.0.5')).toBe('nas.lan');
    expect(t.calls).toEqual(['10.0.0.5']);
    t.advance(10_000);
    expect(t.cache.peek('10.0.0.5')).toBeUndefined();
    expect(await t.cache.lookup('10.0.0.5')).toBe('nas.lan');
    expect(t.calls).toHaveLength(2);
  });

  it('no name (or an error) is cached as null for the shorter negative TTL', async () => {
    const t = setup({ negativeTtlMs: 1_000, ttlMs: 60_000 });
    expect(await t.cache.lookup('10.0.0.9')).toBeNull();
    expect(t.cache.peek('10.0.0.9')).toBeNull();
    await t.cache.lookup('10.0.0.9');
    expect(t.calls).toHaveLength(1);
    t.advance(1_000);
    await t.cache.lookup('10.0.0.9');
    expect(t.calls).toHaveLength(2);
  });

  it('holds at most maxEntries, evicting the least recently used', async () => {
    const t = setup({ maxEntries: 3, burst: 100 }, { a: ['A'], b: ['B'], c: ['C'], d: ['D'] });
    for (const address of ['a', 'b', 'c']) await t.cache.lookup(address);
    await t.cache.lookup('a'); // a is now the most recent
    await t.cache.lookup('d');
    expect(t.cache.size).toBe(3);
    expect(t.cache.peek('b')).toBeUndefined();
    expect([t.cache.peek('a'), t.cache.peek('c'), t.cache.peek('d')]).toEqual(['A', 'C', 'D']);
  });

  it('rate limit: a burst, then perSecond; refused lookups answer null and are not cached', async () => {
    const t = setup({ burst: 5, perSecond: 2, maxConcurrent: 100 });
    const addresses = Array.from(
      { length: 10_000 },
      (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
    );
    await Promise.all(addresses.map((address) => t.cache.lookup(address)));
    expect(t.calls).toHaveLength(5);
    expect(t.cache.size).toBe(5);
    t.advance(1_000);
    await Promise.all(addresses.map((address) => t.cache.lookup(address)));
    expect(t.calls).toHaveLength(7);
    // Long quiet: the bucket refills to the burst, not beyond.
    t.advance(3_600_000);
    await Promise.all(addresses.slice(100).map((address) => t.cache.lookup(address)));
    expect(t.calls).toHaveLength(12);
  });

  it('one lookup in flight per address, at most maxConcurrent in all', async () => {
    const t = setup({ maxConcurrent: 2, burst: 100 }, { a: ['A'], b: ['B'], c: ['C'] });
    t.holdAnswers();
    const first = [
      t.cache.lookup('a'),
      t.cache.lookup('a'),
      t.cache.lookup('b'),
      t.cache.lookup('c'),
    ];
    expect(t.calls).toEqual(['a', 'b']);
    t.release();
    expect(await Promise.all(first)).toEqual(['A', 'A', 'B', null]);
    // c was refused, not cached: the next lookup asks the resolver.
    expect(t.cache.peek('c')).toBeUndefined();
    t.holdAnswers(false);
    expect(await t.cache.lookup('c')).toBe('C');
    expect(t.calls).toEqual(['a', 'b', 'c']);
  });
});
