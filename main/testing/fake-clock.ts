/**
 * The one deterministic Clock for tests: time moves only through advance(); due timers fire in
 * due-time order (ties in creation order), each seeing the clock at its own due time.
 */
import type { Clock, TimerHandle } from '../platform/ports';

interface FakeTimer {
  id: number;
  due: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private mono = 0;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(private readonly wallStart = 1_700_000_000_000) {}

  now(): number {
    return this.wallStart + this.mono;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, due: this.mono + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** Pending timers. */
  pending(): number {
    return this.timers.length;
  }

  /** How long until each pending timer is due (ms), in creation order. */
  get pendingTimers(): number[] {
    return this.timers.map((t) => t.due - this.mono);
  }

  /** Moves time forward by ms, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.mono + ms;
    for (;;) {
      const next = this.timers
        .filter((t) => t.due <= target)
        .sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.mono = next.due;
      next.fn();
    }
    this.mono = target;
  }
}
