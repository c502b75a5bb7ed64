import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppSnapshot } from '../../shared/snapshot';
import {
  ApiCallError,
  BridgeClient,
  CLOSE_UNAUTHORIZED,
  type SocketLike,
  type TransportState,
} from './bridge-client';

/** A scripted WebSocket: the test opens/closes it and answers what it sent. */
class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: { id: number; channel: string; request?: unknown }[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as { id: number; channel: string });
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  reply(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

const snapshot: AppSnapshot = {
  ups: [],
  tray: { level: 'not-configured', charge: null, tooltip: 'x' },
  notificationsPaused: false,
  configProblem: null,
  programProblems: [],
  at: 1,
};

function client(opts: Partial<ConstructorParameters<typeof BridgeClient>[0]> = {}) {
  return new BridgeClient({
    url: 'ws://127.0.0.1:1/api?token=t',
    createSocket: (u) => new FakeSocket(u),
    random: () => 0.5,
    requestTimeoutMs: 5_000,
    ...opts,
  });
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BridgeClient', () => {
  it('queues requests until open, then resolves them with schema-validated responses', async () => {
    const c = client();
    const p = c.invoke('app:get-snapshot', undefined);
    const socket = FakeSocket.all[0]!;
    expect(socket.sent).toHaveLength(0);
    socket.open();
    expect(socket.sent).toEqual([{ id: 1, channel: 'app:get-snapshot' }]);
    socket.reply({ id: 1, ok: true, response: snapshot });
    await expect(p).resolves.toEqual(snapshot);
  });

  it('rejects a response that does not match the contract', async () => {
    const c = client();
    const socket = FakeSocket.all[0]!;
    socket.open();
    const p = c.invoke('app:get-snapshot', undefined);
    socket.reply({ id: 1, ok: true, response: { ups: 'nope' } });
    await expect(p).rejects.toMatchObject({ code: 'INVALID-RESPONSE' });
  });

  it('turns core errors into ApiCallErrors with the fix', async () => {
    const c = client();
    const socket = FakeSocket.all[0]!;
    socket.open();
    const p = c.invoke('ups:get-variables', { monitorId: 'nas/ups' });
    socket.reply({
      id: 1,
      ok: false,
      error: { code: 'ACCESS-DENIED', message: 'refused', fix: 'add this IP' },
    });
    const error = await p.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error).toMatchObject({ code: 'ACCESS-DENIED', message: 'refused', fix: 'add this IP' });
  });

  it('rejects in-flight requests clearly when the socket drops, then reconnects with backoff', async () => {
    const states: TransportState['kind'][] = [];
    const c = client();
    c.onStateChange((s) => states.push(s.kind));
    const first = FakeSocket.all[0]!;
    first.open();
    const p = c.invoke('notifications:recent', undefined);
    first.drop(1006);
    await expect(p).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(c.transportState).toMatchObject({ kind: 'reconnecting', attempt: 1 });
    // 500 ms × (0.8 + 0.5 × 0.4) = 500 ms
    vi.advanceTimersByTime(499);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.drop(1006);
    expect(c.transportState).toMatchObject({ kind: 'reconnecting', attempt: 2 });
    vi.advanceTimersByTime(1000);
    FakeSocket.all[2]!.open();
    expect(states).toEqual([
      'open',
      'reconnecting',
      'connecting',
      'reconnecting',
      'connecting',
      'open',
    ]);
  });

  it('sends requests made while reconnecting once the socket is back', async () => {
    const c = client();
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.drop();
    const p = c.invoke('notifications:recent', undefined);
    vi.advanceTimersByTime(500);
    const second = FakeSocket.all[1]!;
    second.open();
    expect(second.sent.map((m) => m.channel)).toEqual(['notifications:recent']);
    second.reply({ id: second.sent[0]!.id, ok: true, response: [] });
    await expect(p).resolves.toEqual([]);
  });

  it('stops reconnecting after 4401 and explains how to get a valid token', async () => {
    const c = client();
    const p = c.invoke('app:get-snapshot', undefined);
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.drop(CLOSE_UNAUTHORIZED, 'unauthorized');
    await expect(p).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(c.transportState.kind).toBe('unauthorized');
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    await expect(c.invoke('app:get-snapshot', undefined)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('times out a request the core never answers', async () => {
    const c = client({ requestTimeoutMs: 1000 });
    FakeSocket.all[0]!.open();
    const p = c.invoke('notifications:recent', undefined);
    vi.advanceTimersByTime(1000);
    await expect(p).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('delivers valid pushes to subscribers and drops invalid ones', () => {
    const c = client();
    FakeSocket.all[0]!.open();
    const got: unknown[] = [];
    const off = c.subscribe('app:navigate', (route) => got.push(route));
    FakeSocket.all[0]!.reply({ push: 'app:navigate', payload: '/events' });
    FakeSocket.all[0]!.reply({ push: 'app:navigate', payload: 42 });
    FakeSocket.all[0]!.reply({ push: 'app:unknown', payload: 'x' });
    off();
    FakeSocket.all[0]!.reply({ push: 'app:navigate', payload: '/clients' });
    expect(got).toEqual(['/events']);
  });
});
