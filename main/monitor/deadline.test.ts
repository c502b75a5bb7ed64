import { describe, expect, it } from 'vitest';
import { deadlineFrom, settlesWithin } from './deadline';

const never = new Promise<void>(() => undefined);

describe('settlesWithin', () => {
  it('true when the work settles first, either way', async () => {
    await expect(settlesWithin(Promise.resolve(), 1_000)).resolves.toBe(true);
    await expect(settlesWithin(Promise.reject(new Error('x')), 1_000)).resolves.toBe(true);
  });

  it('false when the limit comes first', async () => {
    await expect(settlesWithin(never, 20)).resolves.toBe(false);
  });

  it('false when the signal aborts, also with no time limit, and at once when already aborted', async () => {
    const controller = new AbortController();
    const waiting = settlesWithin(never, Infinity, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await expect(waiting).resolves.toBe(false);
    await expect(settlesWithin(Promise.resolve(), 1_000, controller.signal)).resolves.toBe(false);
  });
});

describe('deadlineFrom', () => {
  it('counts down from ms, never below 0; undefined without a deadline', async () => {
    expect(deadlineFrom(undefined).left()).toBeUndefined();
    const deadline = deadlineFrom(30);
    expect(deadline.left()).toBeLessThanOrEqual(30);
    await new Promise((r) => setTimeout(r, 50));
    expect(deadline.left()).toBe(0);
  });
});
