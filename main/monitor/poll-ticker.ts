/**
 * Shared poll timers. Every session that polls at the same interval is woken by ONE clock timer,
 * so N UPSes cost one wake-up of the process per status interval instead of N (each session
 * timing its own loop would drift apart and wake the process separately). Like upsmon, which
 * polls all its UPSes in one pass every POLLFREQ.
 *
 * Ticks are fixed-rate: a subscriber is called every `intervalMs` whether or not its previous
 * poll has finished (the session skips a tick while its request is still in flight). The first
 * tick of a new subscriber comes at the group's next tick, i.e. within one interval.
 */
import type { Clock, TimerHandle } from '../platform/ports';

interface Group {
  readonly intervalMs: number;
  subscribers: (() => void)[];
  timer: TimerHandle | null;
}

export class PollTicker {
  private readonly groups = new Map<number, Group>();

  constructor(private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>) {}

  /** Calls `fn` on every tick of the `intervalMs` group until the returned function is called. */
  every(intervalMs: number, fn: () => void): () => void {
    let group = this.groups.get(intervalMs);
    if (!group) {
      group = { intervalMs, subscribers: [], timer: null };
      this.groups.set(intervalMs, group);
    }
    const subscriber = () => fn();
    // Copy on write: a tick iterates the array it started with.
    group.subscribers = [...group.subscribers, subscriber];
    if (group.timer === null) this.arm(group);
    const joined = group;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      joined.subscribers = joined.subscribers.filter((s) => s !== subscriber);
      if (joined.subscribers.length === 0) {
        if (joined.timer !== null) this.clock.clearTimeout(joined.timer);
        joined.timer = null;
        if (this.groups.get(joined.intervalMs) === joined) this.groups.delete(joined.intervalMs);
      }
    };
  }

  /** Subscribers across all intervals (for tests and diagnostics). */
  get size(): number {
    let count = 0;
    for (const group of this.groups.values()) count += group.subscribers.length;
    return count;
  }

  private arm(group: Group): void {
    group.timer = this.clock.setTimeout(() => {
      // Re-armed first: a subscriber may unsubscribe (the last one disarms the group).
      this.arm(group);
      for (const subscriber of group.subscribers) subscriber();
    }, group.intervalMs);
  }
}
