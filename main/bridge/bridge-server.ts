/**
 * The browser bridge: the same UI as the Electron window, served to a browser on this machine.
 *
 * - HTTP serves the built renderer (out/renderer) with strict security headers.
 * - WebSocket `/api` carries exactly the IPC contract (shared/ipc.ts, bridge wire format):
 *   `{ id, channel, request }` → `{ id, ok, response | error }`, plus `{ push, payload }`.
 *
 * Security model: loopback only (a non-loopback host is refused), a random 256-bit token in the
 * URL fragment (never sent over HTTP; the page passes it on the WebSocket URL), the token compared
 * in constant time; a browser is started on a single-use launch link (`/launch?nonce=…`, see
 * createLaunch) so the token itself never appears on any command line; the WebSocket Origin must be the bridge's own, and the Host header must name
 * the loopback address (defeats DNS rebinding). No electron import: the headless agent uses this.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { type BridgeServerMessage, PUSH_CHANNELS, type PushChannel } from '../../shared/ipc';
import { RENDERER_CSP, rendererContentType } from '../../shared/renderer-policy';
import type { CoreService } from '../core/core-service';
import { busyReply, dispatchInvoke, parseClientMessage } from '../core/dispatch';
import { isLoopbackHost } from '../platform/loopback';

export interface BridgeOptions {
  core: CoreService;
  /** The built renderer (index.html + assets), normally out/renderer. */
  staticDir: string;
  /** Loopback only: 127.0.0.0/8, ::1 or localhost. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest accepted WebSocket message (bytes). Import requests carry two config files of ≤ 1.5 MiB (MAX_IMPORT_FILE_CHARS). */
  maxMessageBytes?: number;
  /** Simultaneous browser connections. */
  maxClients?: number;
  /** Outstanding requests per connection before new ones are answered with BUSY. */
  maxPendingPerClient?: number;
  /** How long an unused launch link stays valid. */
  launchTtlMs?: number;
  /** Open TCP connections (HTTP and WebSocket together); more are refused at accept. */
  maxConnections?: number;
  /** A request's headers must arrive within this long (slowloris); default 10 s. */
  headersTimeoutMs?: number;
  /** A kept-alive HTTP connection idle this long is closed; default 5 s. */
  keepAliveTimeoutMs?: number;
  /** WebSocket ping interval; a browser that has not answered the previous ping is dropped. Default 30 s. */
  heartbeatMs?: number;
}

export interface LaunchLink {
  /** `http://127.0.0.1:<port>/launch?nonce=…`: redirects once to the tokenised URL. */
  readonly url: string;
  /** Settles when the link has been used (or has expired, or the bridge closed). */
  readonly done: Promise<'used' | 'expired'>;
}

export interface BridgeHandle {
  /** Open this in a browser: `http://127.0.0.1:<port>/#token=<token>`. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /**
   * A single-use link that hands the token to the first browser that opens it. Safe to pass on
   * a command line (which every local user can read): a second use is refused, so a link read
   * by someone else is worthless once the browser has used it — and it is written into a
   * private launcher file anyway (main/bridge/launcher.ts).
   */
  createLaunch(): LaunchLink;
  /** Disconnects every browser and stops listening. Idempotent. */
  close(): Promise<void>;
}

export class BridgeHostError extends Error {
  constructor(
    readonly host: string,
    readonly explanation: string,
    readonly fix: string,
  ) {
    super(explanation);
    this.name = 'BridgeHostError';
  }
}

/** WebSocket close codes the renderer understands (api.ts). */
export const BRIDGE_CLOSE = {
  /** Missing or wrong token: the page must be reopened from the app. */
  unauthorized: 4401,
  /** Too many browser tabs connected. */
  tooManyClients: 4429,
  /** The bridge is shutting down. */
  goingAway: 1001,
  /** The client does not read its messages. */
  tooSlow: 4408,
} as const;

const API_PATH = '/api';
const LAUNCH_PATH = '/launch';
const DEFAULT_LAUNCH_TTL_MS = 10 * 60_000;
const DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024;
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * `localhost` names two addresses (127.0.0.1 and ::1) and a listener gets one of them: another
 * local user could take the other on the same port and receive the browser. Bind 127.0.0.1 and
 * hand out IP URLs instead (the browser then never has to choose).
 */
function listenHost(requestedHost: string): string {
  return requestedHost.trim().toLowerCase() === 'localhost' ? '127.0.0.1' : requestedHost;
}

function portTaken(host: string, port: number): BridgeHostError {
  return new BridgeHostError(
    host,
    `Port ${port} on ${host} is already taken by another program (possibly another user's), so the browser would not reach NUT Sentinel there.`,
    'Pick another --port, or leave it out to get a free one.',
  );
}

/**
 * What startBridge would refuse about its address, checked before a front end starts a core
 * (sessions to the masters) it would only have to stop again. startBridge still checks both.
 */
export async function checkBridgeAddress(requestedHost = '127.0.0.1', port = 0): Promise<void> {
  assertLoopback(requestedHost);
  if (port === 0) return;
  const host = listenHost(requestedHost);
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portTaken(host, port);
    throw error;
  });
}

function assertLoopback(host: string): void {
  if (isLoopbackHost(host)) return;
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  throw new BridgeHostError(
    host,
    wildcard
      ? `The browser bridge refuses to listen on "${host || '(all interfaces)'}": that would offer the NUT Sentinel API (configuration, hooks, shutdown settings) to the whole network.`
      : `The browser bridge refuses to listen on "${host}": it is not a loopback address, so other machines could reach the NUT Sentinel API.`,
    'Use 127.0.0.1 (the default), ::1 or localhost. To watch the UI from another machine, use an SSH tunnel (ssh -L 8080:127.0.0.1:<port> this-host).',
  );
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time token check (hashing first makes the lengths equal). */
function tokenMatches(expectedDigest: Buffer, candidate: string | null): boolean {
  if (candidate === null || candidate.length === 0 || candidate.length > 512) return false;
  return timingSafeEqual(expectedDigest, sha256(candidate));
}

function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The `host:port` spellings under which this bridge is its own origin. */
function ownAuthorities(host: string, port: number): Set<string> {
  const names = new Set<string>([formatHostPort(host, port)]);
  // The same loopback listener is commonly opened as localhost too.
  if (host === 'localhost' || host === '127.0.0.1' || host === '::1') {
    names.add(`localhost:${port}`);
    if (host !== '::1') names.add(`127.0.0.1:${port}`);
    if (host !== '127.0.0.1') names.add(`[::1]:${port}`);
  }
  return names;
}

/**
 * The renderer's one CSP (shared/renderer-policy.ts), narrowed to this bridge's own WebSocket
 * authorities, plus `frame-ancestors`, which only a header can carry.
 */
function contentSecurityPolicy(authorities: Set<string>): string {
  const ws = [...authorities].map((a) => `ws://${a}`).join(' ');
  const directives = RENDERER_CSP.split('; ').map((directive) =>
    directive.startsWith('connect-src ') ? `connect-src 'self' ${ws}` : directive,
  );
  return [...directives, "frame-ancestors 'none'"].join('; ');
}

interface ClientState {
  pending: number;
  /** Answered the last ping (browsers do so by themselves). */
  alive: boolean;
}

interface PendingLaunch {
  expiresAt: number;
  settle: (outcome: 'used' | 'expired') => void;
  timer: NodeJS.Timeout;
}

export async function startBridge(options: BridgeOptions): Promise<BridgeHandle> {
  const { core } = options;
  const requestedHost = options.host ?? '127.0.0.1';
  assertLoopback(requestedHost);
  const host = listenHost(requestedHost);
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
  const maxClients = options.maxClients ?? 16;
  const maxPending = options.maxPendingPerClient ?? 64;
  const staticRoot = await realpath(path.resolve(options.staticDir)).catch(() => {
    throw new Error(
      `The renderer build is missing at ${options.staticDir}. Run \`npm run build\` first.`,
    );
  });

  const token = randomBytes(32).toString('base64url');
  const tokenDigest = sha256(token);
  const launchTtlMs = options.launchTtlMs ?? DEFAULT_LAUNCH_TTL_MS;
  /** Launch nonces by their SHA-256 (hex): a lookup by digest leaks nothing through timing. */
  const launches = new Map<string, PendingLaunch>();

  const clients = new Map<WebSocket, ClientState>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes,
    perMessageDeflate: false,
  });

  let authorities = new Set<string>();
  let csp = '';

  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  // Bounds for a local user or page that opens sockets and never finishes them: connections in
  // total, time to send the headers (checked at least every second), idle keep-alive time.
  const server: Server = createServer(
    {
      connectionsCheckingInterval: Math.min(1000, Math.max(100, headersTimeoutMs / 4)),
      headersTimeout: headersTimeoutMs,
      requestTimeout: Math.max(30_000, headersTimeoutMs),
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      handleHttp(req, res).catch(() => {
        if (!res.headersSent) sendPlain(res, 500, 'Internal error.');
        else res.destroy();
      });
    },
  );
  server.maxConnections = options.maxConnections ?? 64;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;

  function baseHeaders(res: ServerResponse): void {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader(
      'Permissions-Policy',
      'camera=(), microphone=(), geolocation=(), usb=(), serial=()',
    );
  }

  function sendPlain(
    res: ServerResponse,
    status: number,
    text: string,
    extra: Record<string, string> = {},
  ): void {
    baseHeaders(res);
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(text);
  }

  function hostHeaderOk(req: IncomingMessage): boolean {
    const h = (req.headers.host ?? '').toLowerCase();
    return authorities.has(h);
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostHeaderOk(req)) {
      sendPlain(
        res,
        421,
        'This NUT Sentinel bridge only answers requests addressed to its loopback address.',
      );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // Nothing here takes a body: answer and close rather than read one.
      sendPlain(res, 405, 'Method not allowed.', { Allow: 'GET, HEAD', Connection: 'close' });
      req.socket.destroySoon();
      return;
    }
    if (
      (req.headers['content-length'] ?? '0') !== '0' ||
      req.headers['transfer-encoding'] !== undefined
    ) {
      sendPlain(res, 413, 'GET and HEAD requests here carry no body.', { Connection: 'close' });
      req.socket.destroySoon();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://bridge.invalid').pathname);
    } catch {
      sendPlain(res, 400, 'Bad request path.');
      return;
    }
    if (pathname === LAUNCH_PATH) {
      handleLaunch(req, res);
      return;
    }
    if (pathname === API_PATH) {
      sendPlain(res, 426, 'The API is a WebSocket endpoint.', { Upgrade: 'websocket' });
      return;
    }
    if (pathname.includes('\0')) {
      sendPlain(res, 400, 'Bad request path.');
      return;
    }
    const relative = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
    const candidate = path.resolve(staticRoot, relative);
    let file: string;
    try {
      file = await realpath(candidate);
    } catch {
      sendPlain(res, 404, 'Not found.');
      return;
    }
    if (file !== staticRoot && !file.startsWith(staticRoot + path.sep)) {
      sendPlain(res, 404, 'Not found.');
      return;
    }
    const info = await stat(file);
    if (!info.isFile()) {
      sendPlain(res, 404, 'Not found.');
      return;
    }
    const isIndex = path.basename(file) === 'index.html';
    // Vite names assets by content hash: cache them for good, but always revalidate the index.
    const hashed = !isIndex && path.relative(staticRoot, file).startsWith(`assets${path.sep}`);
    baseHeaders(res);
    res.writeHead(200, {
      'Content-Type': rendererContentType(file),
      'Content-Length': String(info.size),
      'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const stream = createReadStream(file);
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      stream.on('end', resolve);
      stream.pipe(res);
    });
  }

  /** One use per nonce: a 303 to the tokenised page, then the nonce is gone. */
  function handleLaunch(req: IncomingMessage, res: ServerResponse): void {
    const nonce = new URL(req.url ?? '/', 'http://bridge.invalid').searchParams.get('nonce') ?? '';
    const key = nonce.length > 0 && nonce.length <= 512 ? sha256(nonce).toString('hex') : '';
    const launch = launches.get(key);
    if (!launch || launch.expiresAt < Date.now()) {
      sendPlain(
        res,
        410,
        'This NUT Sentinel launch link has already been used or has expired (each link opens the UI once).\n' +
          'Run `nut-sentinel web --open` again, or reopen the tab that already has the UI (it keeps its access for reloads).',
      );
      return;
    }
    launches.delete(key);
    clearTimeout(launch.timer);
    launch.settle('used');
    baseHeaders(res);
    res.writeHead(303, {
      Location: `/#token=${token}`,
      'Cache-Control': 'no-store',
      'Content-Length': '0',
    });
    res.end();
  }

  function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
    );
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://bridge.invalid');
    } catch {
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }
    if (url.pathname !== API_PATH) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (!hostHeaderOk(req)) {
      rejectUpgrade(socket, 421, 'Misdirected Request');
      return;
    }
    // Browsers always send Origin on a WebSocket: only pages served by this bridge may connect.
    const origin = (req.headers.origin ?? '').toLowerCase();
    const originOk = [...authorities].some((a) => origin === `http://${a}`);
    if (!originOk) {
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    const authorized = tokenMatches(tokenDigest, url.searchParams.get('token'));
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (!authorized) {
        // Completing the handshake before closing lets the page tell "wrong token" from "bridge down".
        ws.close(BRIDGE_CLOSE.unauthorized, 'unauthorized: reopen the page from NUT Sentinel');
        return;
      }
      if (clients.size >= maxClients) {
        ws.close(BRIDGE_CLOSE.tooManyClients, 'too many browser connections');
        return;
      }
      acceptClient(ws);
    });
  });

  function send(ws: WebSocket, message: BridgeServerMessage): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.close(BRIDGE_CLOSE.tooSlow, 'client too slow');
      return;
    }
    ws.send(JSON.stringify(message));
  }

  function acceptClient(ws: WebSocket): void {
    const state: ClientState = { pending: 0, alive: true };
    clients.set(ws, state);
    ws.on('pong', () => (state.alive = true));
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      void handleMessage(ws, state, data, isBinary);
    });
  }

  async function handleMessage(
    ws: WebSocket,
    state: ClientState,
    data: RawData,
    isBinary: boolean,
  ): Promise<void> {
    if (isBinary) {
      send(ws, {
        id: -1,
        ok: false,
        error: { code: 'INVALID-MESSAGE', message: 'The bridge speaks JSON text messages only.' },
      });
      return;
    }
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      send(ws, parsed.reply);
      return;
    }
    const { id, channel, request } = parsed.message;
    if (state.pending >= maxPending) {
      send(ws, busyReply(id, maxPending));
      return;
    }
    state.pending += 1;
    try {
      const result = await dispatchInvoke(core.handlers, channel, request);
      send(
        ws,
        result.ok
          ? { id, ok: true, response: result.response }
          : { id, ok: false, error: result.error },
      );
    } finally {
      state.pending -= 1;
    }
  }

  const heartbeat = setInterval(() => {
    for (const [ws, state] of clients) {
      if (!state.alive) {
        ws.terminate();
        clients.delete(ws);
        continue;
      }
      state.alive = false;
      ws.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  const unsubscribers = PUSH_CHANNELS.map((channel: PushChannel) =>
    core.onPush(channel, (payload) => {
      if (clients.size === 0) return;
      const message = JSON.stringify({ push: channel, payload } satisfies BridgeServerMessage);
      for (const ws of clients.keys()) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          ws.close(BRIDGE_CLOSE.tooSlow, 'client too slow');
          continue;
        }
        ws.send(message);
      }
    }),
  );

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port: options.port ?? 0, exclusive: true });
  }).catch((error: unknown) => {
    clearInterval(heartbeat);
    for (const off of unsubscribers) off();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw portTaken(host, options.port ?? 0);
    throw error;
  });

  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('The bridge did not get a TCP port.');
  const port = address.port;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  authorities = ownAuthorities(host, port);
  csp = contentSecurityPolicy(authorities);

  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}/#token=${token}`,
    port,
    token,
    createLaunch() {
      const nonce = randomBytes(32).toString('base64url');
      const key = sha256(nonce).toString('hex');
      let settle!: (outcome: 'used' | 'expired') => void;
      const done = new Promise<'used' | 'expired'>((resolve) => (settle = resolve));
      const timer = setTimeout(() => {
        launches.delete(key);
        settle('expired');
      }, launchTtlMs).unref();
      launches.set(key, { expiresAt: Date.now() + launchTtlMs, settle, timer });
      return { url: `http://${urlHost}:${port}${LAUNCH_PATH}?nonce=${nonce}`, done };
    },
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        for (const off of unsubscribers) off();
        for (const launch of launches.values()) {
          clearTimeout(launch.timer);
          launch.settle('expired');
        }
        launches.clear();
        for (const ws of clients.keys())
          ws.close(BRIDGE_CLOSE.goingAway, 'NUT Sentinel is closing');
        // Give sockets a moment to close cleanly, then cut the rest.
        await new Promise<void>((resolve) => setTimeout(resolve, 50).unref());
        for (const ws of clients.keys()) ws.terminate();
        clients.clear();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
