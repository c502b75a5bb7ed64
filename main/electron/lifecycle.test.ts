import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { electronMock, recordCall, resetElectronMock } from '../testing/electron-mock';
import { createTeardown, installQuitGuard } from './lifecycle';
import { recordingLogger } from './testing/fixtures';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createTeardown', () => {
  it('runs the steps once, in order, waiting for each', async () => {
    const order: string[] = [];
    const teardown = createTeardown(
      [
        {
          name: 'a',
          run: async () => {
            await sleep(20);
            order.push('a');
          },
        },
        {
          name: 'b',
          run: () => {
            order.push('b');
          },
        },
        {
          name: 'c',
          run: async () => {
            await sleep(5);
            order.push('c');
          },
        },
      ],
      recordingLogger(),
    );
    expect(teardown.started).toBe(false);
    const first = teardown.run();
    const second = teardown.run();
    expect(teardown.started).toBe(true);
    const reports = await first;
    await second;
    expect(order).toEqual(['a', 'b', 'c']);
    expect(reports.map((r) => [r.name, r.outcome])).toEqual([
      ['a', 'ok'],
      ['b', 'ok'],
      ['c', 'ok'],
    ]);
  });

  it('a failing or hanging step is logged and the rest still runs', async () => {
    const logger = recordingLogger();
    const order: string[] = [];
    const teardown = createTeardown(
      [
        { name: 'hangs', run: () => new Promise<void>(() => undefined), timeoutMs: 30 },
        {
          name: 'throws',
          run: () => {
            throw new Error('nope');
          },
        },
        {
          name: 'last',
          run: () => {
            order.push('last');
          },
        },
      ],
      logger,
    );
    const reports = await teardown.run();
    expect(reports.map((r) => r.outcome)).toEqual(['timed-out', 'failed', 'ok']);
    expect(order).toEqual(['last']);
    expect(logger.text()).toMatch(/hangs timed out/);
    expect(logger.text()).toMatch(/throws failed.*nope/);
  });
});

describe('createTeardown: urgent (the session is ending)', () => {
  it('hurry() cuts the running step to its urgent budget and the next steps start at once', async () => {
    const order: string[] = [];
    const teardown = createTeardown(
      [
        {
          name: 'stop-core',
          run: () => new Promise<void>(() => undefined),
          timeoutMs: 15_000,
          urgentTimeoutMs: 40,
        },
        {
          name: 'flush',
          run: () => {
            order.push('flush');
          },
        },
      ],
      recordingLogger(),
    );
    const started = Date.now();
    const running = teardown.run();
    await sleep(20);
    teardown.hurry();
    const reports = await running;
    expect(reports.map((r) => [r.name, r.outcome])).toEqual([
      ['stop-core', 'timed-out'],
      ['flush', 'ok'],
    ]);
    expect(order).toEqual(['flush']);
    // 20 ms before the hurry + 40 ms urgent budget, nowhere near the 15 s.
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('urgent from the start: every step gets min(urgent budget, normal budget)', async () => {
    const teardown = createTeardown(
      [
        {
          name: 'slow',
          run: () => new Promise<void>(() => undefined),
          timeoutMs: 10_000,
          urgentTimeoutMs: 30,
        },
      ],
      recordingLogger(),
    );
    teardown.hurry();
    expect(teardown.urgent).toBe(true);
    const [report] = await teardown.run();
    expect(report).toMatchObject({ name: 'slow', outcome: 'timed-out' });
    expect(report!.ms).toBeLessThan(1_000);
  });
});

describe('installQuitGuard', () => {
  beforeEach(() => resetElectronMock());

  it('before-quit waits for the teardown, then the app quits', async () => {
    let release!: () => void;
    const teardown = createTeardown(
      [
        {
          name: 'slow',
          run: () =>
            new Promise<void>((resolve) => {
              recordCall('test', 'teardown-start');
              release = () => {
                recordCall('test', 'teardown-end');
                resolve();
              };
            }),
        },
      ],
      recordingLogger(),
    );
    installQuitGuard(electronMock.app as never, teardown, recordingLogger());
    electronMock.app.quit();
    await sleep(5);
    expect(teardown.started).toBe(true);
    expect(electronMock.appState.quitted).toBe(false);
    // More quit requests while tearing down do not start a second teardown nor quit early.
    electronMock.app.quit();
    await sleep(5);
    expect(electronMock.appState.quitted).toBe(false);
    release();
    await teardown.run();
    await sleep(5);
    expect(electronMock.appState.quitted).toBe(true);
    const endIndex = electronMock.indexOf('test', 'teardown-end');
    const lastQuit = electronMock.calls
      .map((c, i) => (c.target === 'app' && c.method === 'quit' ? i : -1))
      .filter((i) => i >= 0)
      .pop()!;
    expect(lastQuit).toBeGreaterThan(endIndex);
  });

  it('quitUrgently hurries a teardown already under way and arms the short watchdog', async () => {
    const teardown = createTeardown(
      [
        {
          name: 'stop-core',
          run: () => new Promise<void>(() => undefined),
          timeoutMs: 15_000,
          urgentTimeoutMs: 30,
        },
      ],
      recordingLogger(),
    );
    const logger = recordingLogger();
    const guard = installQuitGuard(electronMock.app as never, teardown, logger, {
      urgentWatchdogMs: 2_000,
    });
    guard.quit();
    await sleep(10);
    expect(electronMock.appState.quitted).toBe(false);
    guard.quitUrgently('system shutdown');
    await teardown.run();
    await sleep(5);
    expect(electronMock.appState.quitted).toBe(true);
    expect(electronMock.app.exit).not.toHaveBeenCalled();
    expect(logger.text()).toContain('the session is ending: fast teardown');
  });

  it('a teardown that never finishes is cut short by the watchdog', async () => {
    const teardown = createTeardown(
      [{ name: 'stuck', run: () => new Promise<void>(() => undefined), timeoutMs: 200 }],
      recordingLogger(),
    );
    const logger = recordingLogger();
    installQuitGuard(electronMock.app as never, teardown, logger, { watchdogMs: 30 });
    electronMock.app.quit();
    await sleep(60);
    expect(electronMock.app.exit).toHaveBeenCalledWith(1);
    expect(logger.text()).toContain('did not finish in time');
  });
});
