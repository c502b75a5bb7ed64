import { describe, expect, it } from 'vitest';
import { type NodeNotifierLike, cleanText, createDesktopNotifier } from './desktop-notifier';

type Callback = (error: Error | string | null, response?: string) => void;

function fakeNotifier(answer: (cb: Callback) => void) {
  const calls: Record<string, unknown>[] = [];
  const clickListeners: ((o: unknown, options: Record<string, unknown>) => void)[] = [];
  const notifier: NodeNotifierLike = {
    notify(options, cb) {
      calls.push(options);
      answer(cb);
      return undefined;
    },
    on(_event, listener) {
      clickListeners.push(listener);
      return undefined;
    },
  };
  return { notifier, calls, clickListeners };
}

describe('desktop notifier (node-notifier mapping)', () => {
  it('Linux: maps urgency, app name, expiry; critical ones do not expire', async () => {
    const { notifier, calls } = fakeNotifier((cb) => cb(null, ''));
    const port = createDesktopNotifier({
      notifier,
      platform: 'linux',
      appName: 'App',
      expireSeconds: 7,
    });
    await port.notify({
      key: 'k',
      title: 'On battery',
      body: 'line1\nline2\u0007',
      urgency: 'normal',
      route: '/x',
    });
    await port.notify({ key: 'k2', title: 'Battery low', body: 'b', urgency: 'critical' });
    expect(calls).toEqual([
      {
        title: 'On battery',
        message: 'line1 line2',
        urgency: 'normal',
        'app-name': 'App',
        category: 'device',
        'expire-time': 7,
      },
      {
        title: 'Battery low',
        message: 'b',
        urgency: 'critical',
        'app-name': 'App',
        category: 'device',
        'expire-time': 0,
      },
    ]);
  });

  it('treats stderr text as success but an Error as failure, explained', async () => {
    const ok = createDesktopNotifier({
      notifier: fakeNotifier((cb) => cb('some warning on stderr')).notifier,
      platform: 'linux',
    });
    await expect(
      ok.notify({ key: 'k', title: 't', body: 'b', urgency: 'low' }),
    ).resolves.toBeUndefined();
    const missing = createDesktopNotifier({
      notifier: fakeNotifier((cb) => cb(new Error('notify-send must be installed on the system.')))
        .notifier,
      platform: 'linux',
    });
    await expect(
      missing.notify({ key: 'k', title: 't', body: 'b', urgency: 'low' }),
    ).rejects.toThrow(/apt install libnotify-bin/);
  });

  it('rejects when the notifier never answers', async () => {
    const port = createDesktopNotifier({
      notifier: fakeNotifier(() => undefined).notifier,
      platform: 'linux',
      timeoutMs: 50,
    });
    await expect(port.notify({ key: 'k', title: 't', body: 'b', urgency: 'low' })).rejects.toThrow(
      /did not answer within 50 ms/,
    );
  });

  it('macOS/Windows: clickable notifications carry the route and open it on click', async () => {
    const { notifier, calls, clickListeners } = fakeNotifier(() => undefined);
    const opened: string[] = [];
    const port = createDesktopNotifier({
      notifier,
      platform: 'darwin',
      onActivate: (r) => opened.push(r),
    });
    await port.notify({
      key: 'k',
      title: 't',
      body: 'b',
      urgency: 'normal',
      route: '/ups/nas%2Fups',
    });
    expect(calls[0]).toMatchObject({ wait: true, route: '/ups/nas%2Fups', appID: 'NUT Sentinel' });
    clickListeners[0]!(undefined, calls[0]!);
    expect(opened).toEqual(['/ups/nas%2Fups']);
  });

  it('cleanText bounds the length', () => {
    expect(cleanText('x'.repeat(10), 5)).toBe('xxxx…');
    expect(cleanText('a\r\n\tb', 10)).toBe('a b');
  });
});
