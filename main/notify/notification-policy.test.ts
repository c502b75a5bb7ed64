import { describe, expect, it } from 'vitest';
import type { DesktopNotification, NotifierPort } from '../platform/ports';
import { FakeClock } from '../testing/fake-clock';
import {
  NotificationPolicy,
  type NotificationSettings,
  RecordingNotifier,
} from './notification-policy';

function n(
  key: string,
  urgency: DesktopNotification['urgency'] = 'normal',
  title = key,
): DesktopNotification {
  return { key, title, body: `body of ${key}`, urgency };
}

function setup(settings: Partial<NotificationSettings> = {}, maxPerMinute = 3) {
  const clock = new FakeClock();
  const shown = new RecordingNotifier({ clock });
  const current: NotificationSettings = {
    desktop: true,
    paused: false,
    dedupeSeconds: 60,
    ...settings,
  };
  const policy = new NotificationPolicy(shown, { clock, settings: () => current, maxPerMinute });
  const keys = () => shown.list().map((x) => x.key);
  return { clock, shown, policy, current, keys };
}

describe('notification policy', () => {
  it('drops the same key within dedupeSeconds of when it was shown, shows it again after', async () => {
    const { clock, policy, keys } = setup({ dedupeSeconds: 60 });
    expect(await policy.submit(n('ONBATT:ups@nas'))).toBe('shown');
    clock.advance(30_000);
    expect(await policy.submit(n('ONBATT:ups@nas'))).toBe('duplicate');
    expect(await policy.submit(n('ONLINE:ups@nas'))).toBe('shown');
    clock.advance(30_000);
    expect(await policy.submit(n('ONBATT:ups@nas'))).toBe('shown');
    expect(keys()).toEqual(['ONBATT:ups@nas', 'ONLINE:ups@nas', 'ONBATT:ups@nas']);
    expect(policy.getStats()).toMatchObject({ shown: 3, duplicate: 1 });
  });

  it('dedupeSeconds 0 disables de-duplication', async () => {
    const { policy, keys } = setup({ dedupeSeconds: 0 }, 10);
    await policy.notify(n('A'));
    await policy.notify(n('A'));
    expect(keys()).toEqual(['A', 'A']);
  });

  it('rate-limits to N per minute and then shows one "N more suppressed" summary', async () => {
    const { clock, policy, shown, keys } = setup({ dedupeSeconds: 0 }, 3);
    const outcomes = [];
    for (let i = 0; i < 8; i++)
      outcomes.push(
        await policy.submit(n(`E${i}`, 'normal', i % 2 ? 'On battery' : 'Power restored')),
      );
    expect(outcomes).toEqual([
      'shown',
      'shown',
      'shown',
      'rate-limited',
      'rate-limited',
      'rate-limited',
      'rate-limited',
      'rate-limited',
    ]);
    expect(keys()).toEqual(['E0', 'E1', 'E2']);
    expect(policy.pendingSuppressed()).toBe(5);
    // One token comes back after 60 s / 3 = 20 s: the summary uses it.
    clock.advance(19_999);
    expect(keys()).toHaveLength(3);
    clock.advance(1);
    await Promise.resolve();
    expect(keys()).toEqual(['E0', 'E1', 'E2', 'notifications:suppressed']);
    const summary = shown.list()[3]!;
    expect(summary.title).toBe('5 more events suppressed');
    expect(summary.body).toBe(
      '5 more notifications were suppressed (at most 3 per minute): On battery, Power restored. The event log has all of them.',
    );
    expect(summary.urgency).toBe('normal');
    expect(policy.pendingSuppressed()).toBe(0);
    // The bucket refills: after a quiet minute three more pass.
    clock.advance(60_000);
    for (let i = 0; i < 3; i++) expect(await policy.submit(n(`F${i}`))).toBe('shown');
    expect(policy.getStats()).toMatchObject({ shown: 7, rateLimited: 5, summaries: 1 });
  });

  it('critical notifications are never rate-limited', async () => {
    const { policy, keys } = setup({ dedupeSeconds: 0 }, 1);
    expect(await policy.submit(n('ONBATT'))).toBe('shown');
    expect(await policy.submit(n('COMMBAD'))).toBe('rate-limited');
    expect(await policy.submit(n('LOWBATT', 'critical'))).toBe('shown');
    expect(await policy.submit(n('SHUTDOWN', 'critical'))).toBe('shown');
    expect(keys()).toEqual(['ONBATT', 'LOWBATT', 'SHUTDOWN']);
  });

  it('pause and desktop=false drop everything, read live from the settings', async () => {
    const { policy, current, keys } = setup();
    current.paused = true;
    expect(await policy.submit(n('A', 'critical'))).toBe('paused');
    current.paused = false;
    current.desktop = false;
    expect(await policy.submit(n('B'))).toBe('disabled');
    current.desktop = true;
    expect(await policy.submit(n('C'))).toBe('shown');
    expect(keys()).toEqual(['C']);
  });

  it('a summary due while paused is dropped, and dispose() stops the timer', async () => {
    const { clock, policy, current, keys } = setup({ dedupeSeconds: 0 }, 1);
    await policy.submit(n('A'));
    await policy.submit(n('B'));
    current.paused = true;
    clock.advance(60_000);
    expect(keys()).toEqual(['A']);
    current.paused = false;
    await policy.submit(n('C'));
    await policy.submit(n('D'));
    policy.dispose();
    expect(clock.pending()).toBe(0);
  });

  it('a failing notifier is counted, not thrown', async () => {
    const failing: NotifierPort = { notify: () => Promise.reject(new Error('no server')) };
    const policy = new NotificationPolicy(failing, {
      clock: new FakeClock(),
      settings: () => ({ desktop: true, paused: false, dedupeSeconds: 0 }),
    });
    await expect(policy.notify(n('A'))).resolves.toBeUndefined();
    expect(policy.getStats().failed).toBe(1);
  });
});

describe('RecordingNotifier', () => {
  it('keeps the last N with their time, and forwards', async () => {
    const clock = new FakeClock();
    const forwarded = new RecordingNotifier();
    const recorder = new RecordingNotifier({ capacity: 2, clock, forward: forwarded });
    await recorder.notify(n('A'));
    clock.advance(1000);
    await recorder.notify(n('B'));
    await recorder.notify(n('C'));
    expect(recorder.list().map((x) => [x.key, x.at])).toEqual([
      ['B', clock.now()],
      ['C', clock.now()],
    ]);
    expect(forwarded.list().map((x) => x.key)).toEqual(['A', 'B', 'C']);
    recorder.clear();
    expect(recorder.list()).toEqual([]);
  });
});
