/**
 * The only module that knows how the UI reaches the core.
 *
 * - In the Electron window the preload exposes `window.nutSentinel` ({ invoke, subscribe },
 *   exactly NutSentinelApi): use it.
 * - Otherwise the page was served by the loopback browser bridge: connect a WebSocket to the
 *   page's own origin, `/api?token=…`. The token arrives once in the URL fragment
 *   (`#token=…`, optionally `&route=/events`), is kept in sessionStorage for reloads of this
 *   tab, and removed from the address bar.
 *
 * Either way responses and pushes are validated with the shared schemas, and errors are
 * ApiCallErrors with a readable message (and a fix when the core gave one).
 */
import type {
  InvokeChannel,
  NutSentinelApi,
  PushChannel,
  PushOf,
  RequestOf,
  ResponseOf,
} from '../../shared/ipc';
import { pushChannels } from '../../shared/ipc';
import {
  ApiCallError,
  BridgeClient,
  type SocketLike,
  type TransportState,
  parseResponse,
  toApiCallError,
} from './bridge-client';

export { ApiCallError, type TransportState } from './bridge-client';

declare global {
  interface Window {
    nutSentinel?: NutSentinelApi;
  }
}

const TOKEN_KEY = 'nut-sentinel.bridge-token';

export interface Transport extends NutSentinelApi {
  readonly kind: 'electron' | 'bridge';
  readonly transportState: TransportState;
  onStateChange(listener: (state: TransportState) => void): () => void;
  reconnectNow(): void;
}

/** Take `#token=…[&route=…]` out of the address bar; returns the route to open, if any. */
function takeTokenFromFragment(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash.startsWith('token=')) return null;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  if (token) {
    try {
      window.sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // Storage disabled: keep it for this page load only.
      memoryToken = token;
    }
  }
  const route = params.get('route');
  const target = route && route.startsWith('/') ? route : '/';
  window.history.replaceState(
    null,
    '',
    `${window.location.pathname}${window.location.search}#${target}`,
  );
  return target;
}

let memoryToken: string | null = null;

function storedToken(): string | null {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}

class ElectronTransport implements Transport {
  readonly kind = 'electron' as const;
  readonly transportState: TransportState = { kind: 'open' };
  constructor(private readonly preload: NutSentinelApi) {}

  async invoke<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
    let raw: unknown;
    try {
      raw = await this.preload.invoke(channel, request);
    } catch (error) {
      throw toApiCallError(error);
    }
    return parseResponse(channel, raw);
  }

  subscribe<P extends PushChannel>(channel: P, listener: (payload: PushOf<P>) => void): () => void {
    return this.preload.subscribe(channel, (payload) => {
      const parsed = pushChannels[channel].safeParse(payload);
      if (parsed.success) listener(parsed.data as PushOf<P>);
      else console.warn(`Ignored an invalid ${channel} push`, parsed.error.issues[0]);
    });
  }

  onStateChange(): () => void {
    return () => undefined;
  }

  reconnectNow(): void {}
}

class BridgeTransport implements Transport {
  readonly kind = 'bridge' as const;
  constructor(private readonly client: BridgeClient) {}
  get transportState(): TransportState {
    return this.client.transportState;
  }
  invoke<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
    return this.client.invoke(channel, request);
  }
  subscribe<P extends PushChannel>(channel: P, listener: (payload: PushOf<P>) => void): () => void {
    return this.client.subscribe(channel, listener);
  }
  onStateChange(listener: (state: TransportState) => void): () => void {
    return this.client.onStateChange(listener);
  }
  reconnectNow(): void {
    this.client.reconnectNow();
  }
}

/** A transport that can never connect (no preload and no token): explains how to get in. */
class UnauthorizedTransport implements Transport {
  readonly kind = 'bridge' as const;
  readonly transportState: TransportState = {
    kind: 'unauthorized',
    reason:
      'This page has no access token. Open the web UI from NUT Sentinel (tray menu, or `nut-sentinel web --open`): the link it opens carries the token.',
  };
  invoke<C extends InvokeChannel>(): Promise<ResponseOf<C>> {
    return Promise.reject(
      new ApiCallError({
        code: 'UNAUTHORIZED',
        message: (this.transportState as { reason: string }).reason,
      }),
    );
  }
  subscribe(): () => void {
    return () => undefined;
  }
  onStateChange(): () => void {
    return () => undefined;
  }
  reconnectNow(): void {}
}

function createTransport(): Transport {
  if (window.nutSentinel) return new ElectronTransport(window.nutSentinel);
  takeTokenFromFragment();
  const token = storedToken();
  if (!token) return new UnauthorizedTransport();
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${window.location.host}/api?token=${encodeURIComponent(token)}`;
  const client = new BridgeClient({ url, createSocket: (u) => new WebSocket(u) as SocketLike });
  window.addEventListener('online', () => client.reconnectNow());
  // A fresh link (new token, e.g. after the core restarted on the same port) opened in this tab
  // is a same-document hash change: adopt the token and start over with it.
  window.addEventListener('hashchange', () => {
    if (!window.location.hash.startsWith('#token=')) return;
    takeTokenFromFragment();
    window.location.reload();
  });
  return new BridgeTransport(client);
}

/** The API, whichever transport carries it. Import this; never `window.nutSentinel`. */
export const api: Transport = createTransport();

/** A human sentence for any error thrown by `api.invoke`. */
export function errorText(error: unknown): { message: string; fix?: string } {
  const e = toApiCallError(error);
  return e.fix ? { message: e.message, fix: e.fix } : { message: e.message };
}
