/**
 * The browser bridge in front of the REAL core (createAppCore), monitoring the demo's simulated
 * NUT master on loopback: every reply and push a browser sees comes from the code the app runs.
 * The test only observes the core (which handlers ran, who is subscribed), it never answers for it.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { passwordKey } from '../../shared/config';
import { RENDERER_CSP } from '../../shared/renderer-policy';
import {
  type ApiHandlers,
  type BridgeServerMessage,
  type InvokeChannel,
  PUSH_CHANNELS,
  type PushChannel,
} from '../../shared/ipc';
import { AppSnapshotSchema } from '../../shared/snapshot';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import {
  DEMO_MONITOR_USER,
  type SimulatedMaster,
  startSimulatedMaster,
} from '../demo/simulated-master';
import { MemorySecretStore } from '../testing/memory-secret-store';
import { waitFor } from '../testing/net';
import { BRIDGE_CLOSE, BridgeHostError, type BridgeHandle, startBridge } from './bridge-server';

/**
 * The real core as the bridge sees it, plus what the test observes: the handler calls that reached
 * the core, the bridge's live push subscriptions, and `shellPush` for `app:navigate`, which only
 * the Electron shell sends (the core itself never does).
 */
interface ObservedCore extends CoreService {
  readonly calls: InvokeChannel[];
  subscribers(channel: PushChannel): number;
  shellPush(channel: 'app:navigate', route: string): void;
}

function observe(real: CoreService): ObservedCore {
  const calls: InvokeChannel[] = [];
  const handlers = Object.fromEntries(
    Object.entries(real.handlers).map(([channel, handler]) => [
      channel,
      (request: unknown) => {
        calls.push(channel as InvokeChannel);
        return (handler as (r: unknown) => Promise<unknown>)(request);
      },
    ]),
  ) as ApiHandlers;
  const listeners = new Map<PushChannel, Set<(payload: never) => void>>();
  const setOf = (channel: PushChannel) => {
    let set = listeners.get(channel);
    if (!set) listeners.set(channel, (set = new Set()));
    return set;
  };
  return {
    handlers,
    calls,
    snapshot: () => real.snapshot(),
    start: () => real.start(),
    stop: () => real.stop(),
    onPush(channel, listener) {
      const entry = listener as (payload: never) => void;
      setOf(channel).add(entry);
      const off = real.onPush(channel, listener);
      return () => {
        setOf(channel).delete(entry);
        off();
      };
    },
    subscribers: (channel) => setOf(channel).size,
    shellPush(channel, route) {
      for (const listener of setOf(channel)) (listener as (payload: string) => void)(route);
    },
  };
}

let staticDir: string;
let dataDir: string;
let master: SimulatedMaster;
let core: ObservedCore;
let bridge: BridgeHandle | null = null;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  staticDir = await mkdtemp(path.join(tmpdir(), 'bridge-static-'));
  await mkdir(path.join(staticDir, 'assets'));
  await writeFile(
    path.join(staticDir, 'index.html'),
    '<!doctype html><title>NUT Sentinel</title><script type="module" src="./assets/app-abc123.js"></script>',
  );
  await writeFile(path.join(staticDir, 'assets', 'app-abc123.js'), 'console.log("ui")');
  await writeFile(
    path.join(path.dirname(staticDir), `${path.basename(staticDir)}-secret.txt`),
    'outside',
  );
  master = await startSimulatedMaster();
  dataDir = await mkdtemp(path.join(tmpdir(), 'bridge-core-'));
  const configPath = path.join(dataDir, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      masters: [
        {
          id: 'nas',
          label: 'NAS',
          host: master.host,
          port: master.port,
          ups: [{ name: master.upsName, username: DEMO_MONITOR_USER.name }],
        },
      ],
      shutdown: { dryRun: true },
    }),
  );
  core = observe(
    await createAppCore({
      configPath,
      dataDir,
      historyInMemory: true,
      secrets: new MemorySecretStore({
        [passwordKey('nas', master.upsName)]: DEMO_MONITOR_USER.password,
      }),
      notifier: null,
      logger: { log: () => undefined },
    }),
  );
  await core.start();
  await waitFor(() => core.snapshot().ups[0]?.loggedIn === true, { timeoutMs: 10_000 });
  core.calls.length = 0;
});

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await bridge?.close();
  bridge = null;
  await core.stop();
  await master.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(staticDir, { recursive: true, force: true });
  await rm(path.join(path.dirname(staticDir), `${path.basename(staticDir)}-secret.txt`), {
    force: true,
  });
});

async function start(): Promise<BridgeHandle> {
  bridge = await startBridge({ core, staticDir });
  return bridge;
}

function origin(b: BridgeHandle): string {
  return `http://127.0.0.1:${b.port}`;
}

interface Opened {
  ws: WebSocket;
  messages: BridgeServerMessage[];
  next(predicate: (m: BridgeServerMessage) => boolean): Promise<BridgeServerMessage>;
}

/** Opens a socket; resolves on open or rejects with the HTTP status / close code. */
function connect(
  b: BridgeHandle,
  opts: { token?: string | null; origin?: string | null; path?: string } = {},
): Promise<Opened> {
  const token = opts.token === undefined ? b.token : opts.token;
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const headers: Record<string, string> = {};
  const o = opts.origin === undefined ? origin(b) : opts.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${b.port}${opts.path ?? '/api'}${query}`, {
    headers,
    ...(o === null ? {} : { origin: o }),
  });
  sockets.push(ws);
  ws.on('error', () => undefined);
  const messages: BridgeServerMessage[] = [];
  const waiters: {
    predicate: (m: BridgeServerMessage) => boolean;
    resolve: (m: BridgeServerMessage) => void;
  }[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse((data as Buffer).toString('utf8')) as BridgeServerMessage;
    messages.push(message);
    for (const w of [...waiters]) {
      if (w.predicate(message)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  });
  const opened: Opened = {
    ws,
    messages,
    next(predicate) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        setTimeout(() => reject(new Error('no matching message within 3 s')), 3000).unref();
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', (error) => reject(error));
    // An authorized socket stays open; an unauthorized one is closed right after the handshake.
    ws.once('open', () => {
      const timer = setTimeout(() => resolve(opened), 150);
      ws.once('close', (code, reason) => {
        clearTimeout(timer);
        reject(new Error(`closed ${code} ${String(reason)}`));
      });
    });
  });
}

function call(
  o: Opened,
  id: number,
  channel: string,
  request?: unknown,
): Promise<BridgeServerMessage> {
  o.ws.send(JSON.stringify({ id, channel, request }));
  return o.next((m) => 'id' in m && m.id === id);
}

function httpGet(
  b: BridgeHandle,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: b.port,
        path: pathname,
        headers: { host: `127.0.0.1:${b.port}`, ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('startBridge', () => {
  it('binds to loopback and hands out a URL with a 256-bit token in the fragment', async () => {
    const b = await start();
    expect(b.port).toBeGreaterThan(0);
    expect(b.url).toBe(`http://127.0.0.1:${b.port}/#token=${b.token}`);
    expect(Buffer.from(b.token, 'base64url')).toHaveLength(32);
    const other = await startBridge({ core, staticDir });
    expect(other.token).not.toBe(b.token);
    await other.close();
  });

  it('hands the token out once per launch link: a 303 to the tokenised page, then 410; expired links too', async () => {
    const b = await start();
    const link = b.createLaunch();
    expect(link.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${b.port}/launch\\?nonce=[\\w-]{43}$`),
    );
    expect(link.url).not.toContain(b.token);
    const pathname = new URL(link.url).pathname + new URL(link.url).search;
    expect((await httpGet(b, pathname, { host: `evil.example:${b.port}` })).status).toBe(421);
    const first = await httpGet(b, pathname);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe(`/#token=${b.token}`);
    expect(first.headers['cache-control']).toBe('no-store');
    await expect(link.done).resolves.toBe('used');
    const second = await httpGet(b, pathname);
    expect(second.status).toBe(410);
    expect(second.body).toMatch(/already been used or has expired/);
    expect((await httpGet(b, '/launch?nonce=guess')).status).toBe(410);
    expect((await httpGet(b, '/launch')).status).toBe(410);

    const short = await startBridge({ core, staticDir, launchTtlMs: 50 });
    const stale = short.createLaunch();
    await expect(stale.done).resolves.toBe('expired');
    expect(
      (await httpGet(short, new URL(stale.url).pathname + new URL(stale.url).search)).status,
    ).toBe(410);
    await short.close();
  });

  it('--host localhost binds 127.0.0.1 and hands out IP URLs, even with another listener on [::1] at that port', async () => {
    const competitor = net.createServer((socket) =>
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nstolen'),
    );
    await new Promise<void>((resolve, reject) => {
      competitor.once('error', reject);
      competitor.listen({ host: '::1', port: 0 }, () => resolve());
    });
    try {
      const port = (competitor.address() as net.AddressInfo).port;
      bridge = await startBridge({ core, staticDir, host: 'localhost', port });
      expect(bridge.url).toBe(`http://127.0.0.1:${port}/#token=${bridge.token}`);
      expect(bridge.createLaunch().url).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.1:${port}/launch\\?`),
      );
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).toContain('<title>NUT Sentinel</title>');
      // A page opened as localhost still works (Host header accepted).
      expect((await httpGet(bridge, '/', { host: `localhost:${port}` })).status).toBe(200);
      await bridge.close();
      bridge = null;

      // The other way round: 127.0.0.1 taken at that port → refuse to start, clearly.
      const taken = net.createServer();
      await new Promise<void>((resolve) =>
        taken.listen({ host: '127.0.0.1', port: 0 }, () => resolve()),
      );
      try {
        const takenPort = (taken.address() as net.AddressInfo).port;
        const attempt = startBridge({ core, staticDir, host: 'localhost', port: takenPort });
        await expect(attempt).rejects.toBeInstanceOf(BridgeHostError);
        await expect(attempt).rejects.toThrow(/already taken by another program/);
      } finally {
        await new Promise<void>((resolve) => taken.close(() => resolve()));
      }
    } finally {
      await new Promise<void>((resolve) => competitor.close(() => resolve()));
    }
  });

  it('refuses non-loopback hosts with an explanation', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.org', '10.0.0.1']) {
      const attempt = startBridge({ core, staticDir, host });
      await expect(attempt).rejects.toBeInstanceOf(BridgeHostError);
      await expect(attempt).rejects.toThrow(/refuses to listen/);
    }
    expect(core.subscribers('app:snapshot')).toBe(0);
  });

  it('requires the token: none or a wrong one closes the socket with 4401 before any request is read', async () => {
    const b = await start();
    await expect(connect(b, { token: null })).rejects.toThrow(
      `closed ${BRIDGE_CLOSE.unauthorized}`,
    );
    await expect(connect(b, { token: 'x'.repeat(43) })).rejects.toThrow(
      `closed ${BRIDGE_CLOSE.unauthorized}`,
    );
    await expect(connect(b, { token: b.token.slice(0, -1) })).rejects.toThrow(
      `closed ${BRIDGE_CLOSE.unauthorized}`,
    );
    expect(core.calls).toHaveLength(0);
    const ok = await connect(b);
    const reply = await call(ok, 1, 'app:get-snapshot');
    expect(reply).toMatchObject({ id: 1, ok: true });
  });

  it('refuses other origins (and a missing one) before the WebSocket handshake', async () => {
    const b = await start();
    await expect(connect(b, { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect(b, { origin: `http://127.0.0.1:${b.port + 1}` })).rejects.toThrow(
      'HTTP 403',
    );
    await expect(connect(b, { origin: null })).rejects.toThrow('HTTP 403');
    await expect(connect(b, { origin: `http://localhost:${b.port}` })).resolves.toBeDefined();
  });

  it('refuses a foreign Host header (DNS rebinding) on HTTP and WebSocket', async () => {
    const b = await start();
    const res = await httpGet(b, '/', { host: `rebind.example:${b.port}` });
    expect(res.status).toBe(421);
    const ws = new WebSocket(`ws://127.0.0.1:${b.port}/api?token=${b.token}`, {
      origin: origin(b),
      headers: { host: `rebind.example:${b.port}` },
    });
    sockets.push(ws);
    ws.on('error', () => undefined);
    const status = await new Promise<number>((resolve) =>
      ws.once('unexpected-response', (_q, r) => resolve(r.statusCode ?? 0)),
    );
    expect(status).toBe(421);
  });

  it('answers invoke requests through dispatchInvoke with schema-valid responses', async () => {
    const b = await start();
    const o = await connect(b);
    const reply = await call(o, 7, 'app:get-snapshot');
    expect(reply).toMatchObject({ id: 7, ok: true });
    const snapshot = AppSnapshotSchema.parse((reply as { response: unknown }).response);
    expect(snapshot.ups.map((u) => u.monitorId)).toContain('nas/ups');
    const vars = await call(o, 8, 'ups:get-variables', { monitorId: 'nas/ups' });
    expect(vars).toMatchObject({ id: 8, ok: true });
    // Read from the simulated master through the real core.
    expect((vars as { response: { name: string; value: string }[] }).response).toContainEqual(
      expect.objectContaining({ name: 'device.model', value: 'Demo UPS 1500' }),
    );
  });

  it('answers an invalid payload with INVALID-REQUEST and keeps the connection', async () => {
    const b = await start();
    const o = await connect(b);
    const bad = await call(o, 2, 'ups:get-variables', { monitorId: 42 });
    expect(bad).toMatchObject({ id: 2, ok: false, error: { code: 'INVALID-REQUEST' } });
    const unknown = await call(o, 3, 'app:format-disk', {});
    expect(unknown).toMatchObject({ id: 3, ok: false, error: { code: 'UNKNOWN-CHANNEL' } });
    const still = await call(o, 4, 'notifications:recent');
    expect(still).toMatchObject({ id: 4, ok: true });
  });

  it('answers malformed JSON and malformed envelopes with an error instead of crashing', async () => {
    const b = await start();
    const o = await connect(b);
    o.ws.send('{not json');
    await expect(o.next((m) => 'id' in m && m.id === -1)).resolves.toMatchObject({
      ok: false,
      error: { code: 'INVALID-MESSAGE' },
    });
    o.ws.send(JSON.stringify({ id: 5, chanel: 'typo' }));
    await expect(o.next((m) => 'id' in m && m.id === 5)).resolves.toMatchObject({
      ok: false,
      error: { code: 'INVALID-MESSAGE' },
    });
    o.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await expect(call(o, 6, 'app:get-snapshot')).resolves.toMatchObject({ ok: true });
    expect(o.messages.filter((m) => 'ok' in m && !m.ok)).toHaveLength(3);
  });

  it('closes connections whose messages exceed the size bound', async () => {
    bridge = await startBridge({ core, staticDir, maxMessageBytes: 1024 });
    const o = await connect(bridge);
    const closed = new Promise<number>((resolve) => o.ws.once('close', (code) => resolve(code)));
    o.ws.send(
      JSON.stringify({ id: 1, channel: 'events:query', request: { text: 'x'.repeat(4096) } }),
    );
    expect(await closed).toBe(1009);
  });

  it('caps connections, slow headers, idle keep-alive and request bodies (real sockets)', async () => {
    bridge = await startBridge({
      core,
      staticDir,
      maxConnections: 4,
      headersTimeoutMs: 400,
      keepAliveTimeoutMs: 300,
    });
    const b = bridge;
    const open = () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: b.port }, () => resolve(socket));
        socket.once('error', reject);
      });
    const closedWithin = (socket: net.Socket, ms: number) =>
      new Promise<boolean>((resolve) => {
        if (socket.destroyed || socket.readableEnded) return resolve(true);
        const timer = setTimeout(() => resolve(false), ms);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.resume();
      });
    // Slowloris: four sockets that dribble a header line; a fifth is refused while they are open.
    const slow = await Promise.all([open(), open(), open(), open()]);
    for (const s of slow) s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const fifth = await open();
    expect(await closedWithin(fifth, 1000)).toBe(true);
    // …and every slow one is cut once the header deadline passes, however it keeps dribbling.
    const drip = setInterval(() => slow.forEach((s) => s.writable && s.write('X-A: b\r\n')), 50);
    try {
      expect(await Promise.all(slow.map((s) => closedWithin(s, 3000)))).toEqual([
        true,
        true,
        true,
        true,
      ]);
    } finally {
      clearInterval(drip);
    }
    // Capacity is back.
    expect((await httpGet(b, '/')).status).toBe(200);

    // An idle kept-alive connection is closed.
    const idle = await open();
    idle.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\n\r\n`);
    expect(await closedWithin(idle, 2000)).toBe(true);

    // A body is never read: a POST of 64 MiB is answered 405 and the connection closed early.
    const post = await open();
    let reply = '';
    post.on('data', (c: Buffer) => (reply += c.toString()));
    post.on('error', () => undefined);
    post.write(
      `POST / HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(1024 * 1024);
    let sent = 0;
    while (!post.destroyed && sent < 64) {
      if (!post.write(chunk)) await new Promise((r) => setTimeout(r, 5));
      sent += 1;
    }
    expect(await closedWithin(post, 3000)).toBe(true);
    expect(reply).toMatch(/^HTTP\/1\.1 405/);
    const withBody = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: b.port,
          path: '/',
          method: 'GET',
          headers: { host: `127.0.0.1:${b.port}`, 'content-length': '5' },
        },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end('hello');
    });
    expect(withBody).toBe(413);
  });

  it('drops a WebSocket client that stops answering pings; one that answers stays', async () => {
    bridge = await startBridge({ core, staticDir, heartbeatMs: 150 });
    const b = bridge;
    const mute = new WebSocket(`ws://127.0.0.1:${b.port}/api?token=${b.token}`, {
      origin: origin(b),
      autoPong: false,
    });
    sockets.push(mute);
    const opened = new Promise<void>((resolve) => mute.once('open', () => resolve()));
    const closed = new Promise<number>((resolve) => mute.once('close', (code) => resolve(code)));
    const lively = await connect(b);
    await opened;
    expect(await closed).toBe(1006);
    expect(lively.ws.readyState).toBe(WebSocket.OPEN);
    expect(await call(lively, 7, 'app:get-snapshot')).toMatchObject({ ok: true });
  });

  it('forwards every push channel to every connected client', async () => {
    const b = await start();
    const a = await connect(b);
    const c = await connect(b);
    // events:appended: a real system event, caused by a call through the bridge.
    expect(
      await call(a, 1, 'monitor:acknowledge-shutdown', { monitorId: 'nas/ups' }),
    ).toMatchObject({ ok: true });
    // app:navigate comes from the Electron shell, not the core: the bridge forwards it all the same.
    core.shellPush('app:navigate', '/ups/nas/ups');
    // fsd:progress comes from a real (dry-run, local) FSD test run start.
    const started = await call(a, 2, 'fsd:start', {
      preflight: { monitorId: 'nas/ups', mode: 'local', dryRun: true },
      countdownSeconds: 10,
      overrideBlockers: false,
      graceSeconds: 10,
    });
    expect(started).toMatchObject({ ok: true, response: { state: 'countdown' } });
    const runId = (started as { response: { runId: string } }).response.runId;
    for (const o of [a, c]) {
      // app:snapshot: the core pushes the view as the status polls change it.
      const pushed = await o.next((m) => 'push' in m && m.push === 'app:snapshot');
      const view = AppSnapshotSchema.parse((pushed as { payload: unknown }).payload);
      expect(view.ups.map((u) => u.monitorId)).toEqual(['nas/ups']);
      await expect(
        o.next(
          (m) =>
            'push' in m &&
            m.push === 'events:appended' &&
            (m.payload as { type: string }).type === 'SHUTDOWN_ACKNOWLEDGED',
        ),
      ).resolves.toMatchObject({ payload: { monitorId: '*', kind: 'system' } });
      await expect(o.next((m) => 'push' in m && m.push === 'app:navigate')).resolves.toMatchObject({
        payload: '/ups/nas/ups',
      });
      await expect(o.next((m) => 'push' in m && m.push === 'fsd:progress')).resolves.toMatchObject({
        payload: { runId, state: 'countdown' },
      });
      const seen = new Set(o.messages.flatMap((m) => ('push' in m ? [m.push] : [])));
      expect([...seen].sort()).toEqual([...PUSH_CHANNELS].sort());
    }
  });

  it('serves the renderer with CSP and security headers, never caching the index', async () => {
    const b = await start();
    const index = await httpGet(b, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.body).toContain('<title>NUT Sentinel</title>');
    const csp = String(index.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`ws://127.0.0.1:${b.port}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    // The renderer's one policy, with connect-src narrowed to this bridge's port.
    for (const directive of RENDERER_CSP.split('; ').filter((d) => !d.startsWith('connect-src')))
      expect(csp.split('; ')).toContain(directive);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['cache-control']).toBe('no-store');
    expect(index.headers['referrer-policy']).toBe('no-referrer');

    const asset = await httpGet(b, '/assets/app-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(asset.headers['content-security-policy']).toBe(csp);
  });

  it('never serves files outside the static folder, and only GET/HEAD', async () => {
    const b = await start();
    const secret = `${path.basename(staticDir)}-secret.txt`;
    for (const p of [
      `/../${secret}`,
      `/%2e%2e/${secret}`,
      `/assets/..%2f..%2f${secret}`,
      '/missing.js',
    ]) {
      const res = await httpGet(b, p);
      expect(res.status, p).toBe(404);
      expect(res.body).not.toContain('outside');
    }
    const post = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: b.port, path: '/', method: 'POST' },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('x');
    });
    expect(post).toBe(405);
    expect((await httpGet(b, '/api')).status).toBe(426);
  });

  it('close() disconnects browsers, unsubscribes from the core and is idempotent', async () => {
    const b = await start();
    const o = await connect(b);
    expect(core.subscribers('app:snapshot')).toBe(1);
    const closed = new Promise<number>((resolve) => o.ws.once('close', (code) => resolve(code)));
    await Promise.all([b.close(), b.close()]);
    expect(await closed).toBe(BRIDGE_CLOSE.goingAway);
    expect(core.subscribers('app:snapshot')).toBe(0);
    expect(core.subscribers('events:appended')).toBe(0);
    bridge = null;
  });
});
