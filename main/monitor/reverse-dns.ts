/**
 * Reverse DNS for the addresses in LIST CLIENT (the connected-clients view), bounded: an LRU cache
 * of at most `maxEntries` answers that expire after `ttlMs` (names) or `negativeTtlMs` (no name,
 * errors), one lookup in flight per address, at most `maxConcurrent` in flight in all, and a token
 * bucket of `burst` lookups refilled at `perSecond`. A server listing thousands of random
 * addresses therefore costs a bounded number of DNS queries and bytes, not one per address per
 * poll. A lookup refused by the rate limit answers null and is not cached (it is tried again on
 * a later poll). The resolver and the clock are injected.
 */
import type { Clock } from '../platform/ports';

export interface ReverseDnsOptions {
  /** `reverse` of node:dns/promises: the names of an address (rejects when there are none). */
  resolve: (address: string) => Promise<string[]>;
  clock: Pick<Clock, 'monotonic'>;
  /** Default 1024. */
  maxEntries?: number;
  /** How long a name is kept; default 10 min. */
  ttlMs?: number;
  /** How long "no name" (or a failed lookup) is kept; default 1 min. */
  negativeTtlMs?: number;
  /** Lookups allowed at once after a quiet period; default 20. */
  burst?: number;
  /** Lookups per second in the long run; default 2. */
  perSecond?: number;
  /** Lookups in flight at most; default 4. */
  maxConcurrent?: number;
}

interface Entry {
  name: string | null;
  expiresAt: number;
}

export class ReverseDnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<string | null>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly maxConcurrent: number;
  private tokens: number;
  private refilledAt: number;
  /** Lookups sent to the resolver (for tests and diagnostics). */
  resolverCalls = 0;

  constructor(private readonly options: ReverseDnsOptions) {
    this.maxEntries = options.maxEntries ?? 1024;
    this.ttlMs = options.ttlMs ?? 600_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 60_000;
    this.burst = options.burst ?? 20;
    this.perSecond = options.perSecond ?? 2;
    this.maxConcurrent = options.maxConcurrent ?? 4;
    this.tokens = this.burst;
    this.refilledAt = options.clock.monotonic();
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer: a name, null (no name), or undefined (not known or expired). */
  peek(address: string): string | null | undefined {
    const entry = this.entries.get(address);
    if (!entry) return undefined;
    if (this.options.clock.monotonic() >= entry.expiresAt) {
      this.entries.delete(address);
      return undefined;
    }
    return entry.name;
  }

  /** The first name of `address`, from the cache when fresh; null when it has none or the lookup is refused by the limits. */
  lookup(address: string): Promise<string | null> {
    const cached = this.peek(address);
    if (cached !== undefined) {
      // Most recently used last: eviction takes the oldest first.
      const entry = this.entries.get(address)!;
      this.entries.delete(address);
      this.entries.set(address, entry);
      return Promise.resolve(cached);
    }
    const pending = this.inFlight.get(address);
    if (pending) return pending;
    if (this.inFlight.size >= this.maxConcurrent || !this.takeToken()) return Promise.resolve(null);
    this.resolverCalls += 1;
    const lookup = this.options
      .resolve(address)
      .then(
        (names) => names[0] ?? null,
        () => null,
      )
      .then((name) => {
        this.inFlight.delete(address);
        this.store(address, name);
        return name;
      });
    this.inFlight.set(address, lookup);
    return lookup;
  }

  private takeToken(): boolean {
    const now = this.options.clock.monotonic();
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond,
    );
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private store(address: string, name: string | null): void {
    this.entries.delete(address);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(address, {
      name,
      expiresAt: this.options.clock.monotonic() + (name === null ? this.negativeTtlMs : this.ttlMs),
    });
  }
}
