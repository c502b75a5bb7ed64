/**
 * The WebSocket side of the browser bridge (main/bridge/bridge-server.ts), as a NutSentinelApi.
 * Knows nothing about the page: the socket factory, URL and timers are injected (api.ts passes
 * the browser's WebSocket; tests pass a fake).
 *
 * - Requests wait while (re)connecting, up to their timeout; requests already sent when the
 *   socket drops are rejected at once with DISCONNECTED (the core may or may not have run them).
 * - Reconnects with jittered exponential backoff, except after 4401 (wrong token): that needs
 *   the page to be reopened from the app.
 * - Every response and push is validated with the shared zod schemas.
 */
import {
  type ApiError,
  ApiErrorSchema,
  BridgeServerMessageSchema,
  type InvokeChannel,
  type NutSentinelApi,
  type PushChannel,
  type PushOf,
  type RequestOf,
  type ResponseOf,
  invokeChannels,
  pushChannels,
} from '../../shared/ipc';

/** An error from the core or the transport, always with a readable message. */
export class ApiCallError extends Error {
  readonly code: string;
  readonly fix: string | undefined;
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.fix = error.fix;
  }
}

/** Normalise anything thrown by a transport into an ApiCallError. */
export function toApiCallError(error: unknown): ApiCallError {
  if (error instanceof ApiCallError) return error;
  const parsed = ApiErrorSchema.safeParse(error);
  if (parsed.success) return new ApiCallError(parsed.data);
  const message = error instanceof Error ? error.message : String(error);
  // Electron prefixes remote errors: "Error invoking remote method 'x': Error: …".
  return new ApiCallError({
    code: 'ERROR',
    message: message.replace(/^Error invoking remote method '[^']+':\s*(Error:\s*)?/, ''),
  });
}

/** Validate a raw response against the channel's schema. */
export function parseResponse<C extends InvokeChannel>(channel: C, raw: unknown): ResponseOf<C> {
  const parsed = invokeChannels[channel].response.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiCallError({
      code: 'INVALID-RESPONSE',
      message: `The core answered ${channel} with data this UI does not understand (${issue ? `${issue.path.join('.') || 'response'}: ${issue.message}` : 'invalid'}). Is the app up to date?`,
    });
  }
  return parsed.data as ResponseOf<C>;
}

export type TransportState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'reconnecting'; attempt: number; retryAt: number; reason: string }
  /** The token is missing or no longer valid: the page has to be reopened from the app. */
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'closed' };

/** The subset of the browser WebSocket this client uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface BridgeClientOptions {
  /** ws(s)://host/api?token=… */
  url: string;
  createSocket: (url: string) => SocketLike;
  requestTimeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  now?: () => number;
}

const OPEN = 1;
export const CLOSE_UNAUTHORIZED = 4401;

interface Pending {
  channel: InvokeChannel;
  message: string;
  sent: boolean;
  resolve: (value: unknown) => void;
  reject: (error: ApiCallError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class BridgeClient implements NutSentinelApi {
  private socket: SocketLike | null = null;
  private state: TransportState = { kind: 'connecting' };
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<PushChannel, Set<(payload: unknown) => void>>();
  private readonly stateListeners = new Set<(state: TransportState) => void>();
  private nextId = 1;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly requestTimeoutMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: BridgeClientOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
    this.initialBackoffMs = options.initialBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.open();
  }

  get transportState(): TransportState {
    return this.state;
  }

  onStateChange(listener: (state: TransportState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  invoke<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
    if (this.state.kind === 'unauthorized')
      return Promise.reject(new ApiCallError({ code: 'UNAUTHORIZED', message: this.state.reason }));
    if (this.state.kind === 'closed')
      return Promise.reject(
        new ApiCallError({
          code: 'DISCONNECTED',
          message: 'The connection to NUT Sentinel is closed.',
        }),
      );
    const id = this.nextId++;
    const message = JSON.stringify({ id, channel, request });
    return new Promise<ResponseOf<C>>((resolve, reject) => {
      const timer = setTimeout(() => {
        const entry = this.pending.get(id);
        if (!entry) return;
        this.pending.delete(id);
        reject(
          new ApiCallError(
            entry.sent
              ? {
                  code: 'TIMEOUT',
                  message: `NUT Sentinel did not answer ${channel} within ${Math.round(this.requestTimeoutMs / 1000)} s.`,
                }
              : {
                  code: 'DISCONNECTED',
                  message: 'Not connected to NUT Sentinel (still trying to reconnect).',
                },
          ),
        );
      }, this.requestTimeoutMs);
      const entry: Pending = {
        channel,
        message,
        sent: false,
        resolve: (raw) => {
          try {
            resolve(parseResponse(channel, raw));
          } catch (error) {
            reject(toApiCallError(error));
          }
        },
        reject,
        timer,
      };
      this.pending.set(id, entry);
      if (this.socket?.readyState === OPEN && this.state.kind === 'open') this.sendEntry(entry);
    });
  }

  subscribe<P extends PushChannel>(channel: P, listener: (payload: PushOf<P>) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /** Skip the backoff wait (the "Retry now" button). */
  reconnectNow(): void {
    if (this.stopped || this.state.kind === 'open' || this.state.kind === 'connecting') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open();
  }

  close(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'page closed');
    this.socket = null;
    this.failAll('DISCONNECTED', 'The connection to NUT Sentinel was closed.', true);
    this.setState({ kind: 'closed' });
  }

  private setState(state: TransportState): void {
    this.state = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }

  private open(): void {
    if (this.stopped) return;
    if (this.state.kind !== 'connecting') this.setState({ kind: 'connecting' });
    let socket: SocketLike;
    try {
      socket = this.options.createSocket(this.options.url);
    } catch (error) {
      this.scheduleReconnect(error instanceof Error ? error.message : 'could not open a WebSocket');
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.setState({ kind: 'open' });
      for (const entry of this.pending.values()) if (!entry.sent) this.sendEntry(entry);
    };
    socket.onmessage = (event) => {
      if (this.socket === socket) this.handleMessage(event.data);
    };
    socket.onerror = () => {
      // A close event always follows; it carries the code.
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.failAll(
        'DISCONNECTED',
        'The connection to NUT Sentinel dropped before it answered. The request may or may not have been carried out; check and retry.',
        false,
      );
      if (this.stopped) return;
      if (event.code === CLOSE_UNAUTHORIZED) {
        this.failAll('UNAUTHORIZED', 'This page’s access token is not valid (anymore).', true);
        this.setState({
          kind: 'unauthorized',
          reason:
            'This page’s access token is not valid (anymore). Reopen the web UI from NUT Sentinel (tray menu, or `nut-sentinel web --open`).',
        });
        return;
      }
      this.scheduleReconnect(
        event.reason ||
          (event.code === 1006 ? 'NUT Sentinel is not reachable' : `closed (${event.code})`),
      );
    };
  }

  private scheduleReconnect(reason: string): void {
    this.attempt += 1;
    const base = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.attempt - 1));
    const delay = Math.round(base * (0.8 + this.random() * 0.4));
    this.setState({
      kind: 'reconnecting',
      attempt: this.attempt,
      retryAt: this.now() + delay,
      reason,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private sendEntry(entry: Pending): void {
    entry.sent = true;
    try {
      this.socket?.send(entry.message);
    } catch {
      // The close handler rejects it.
    }
  }

  /** Reject in-flight requests (all of them when `includeQueued`). */
  private failAll(code: string, message: string, includeQueued: boolean): void {
    for (const [id, entry] of this.pending) {
      if (!entry.sent && !includeQueued) continue;
      clearTimeout(entry.timer);
      this.pending.delete(id);
      entry.reject(new ApiCallError({ code, message }));
    }
  }

  private handleMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    // The envelope schema of shared/ipc.ts; a message outside it (another version of the core?)
    // fails the request it names at once instead of leaving it to time out.
    const envelope = BridgeServerMessageSchema.safeParse(message);
    if (!envelope.success) {
      const id = (message as { id?: unknown } | null)?.id;
      const entry = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (entry) {
        this.pending.delete(id as number);
        clearTimeout(entry.timer);
        entry.reject(
          new ApiCallError({
            code: 'INVALID-RESPONSE',
            message: `The core answered ${entry.channel} with a message this UI does not understand. Is the app up to date?`,
          }),
        );
      }
      return;
    }
    const m = envelope.data;
    if ('push' in m) {
      const parsed = pushChannels[m.push].safeParse(m.payload);
      if (!parsed.success) {
        console.warn(`Ignored an invalid ${m.push} push`, parsed.error.issues[0]);
        return;
      }
      for (const listener of [...(this.listeners.get(m.push) ?? [])]) {
        try {
          listener(parsed.data);
        } catch (error) {
          console.error(error);
        }
      }
      return;
    }
    const entry = this.pending.get(m.id);
    if (!entry) return;
    this.pending.delete(m.id);
    clearTimeout(entry.timer);
    if (m.ok) entry.resolve(m.response);
    else entry.reject(new ApiCallError(m.error));
  }
}
