/**
 * The client end of the service's control channel (./control-server.ts): connect, read the
 * greeting, then the bridge protocol over lines. `remoteCore` turns a connection into the
 * CoreService the IPC registrar, the bridge and the tray already use, so an attached app runs
 * exactly the code it runs with its own core.
 */
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import {
  CONTROL_RELEASED_CHANNEL,
  type ControlHello,
  ControlHelloSchema,
  ControlRefusalSchema,
  ControlStateMessageSchema,
} from '../../shared/control';
import {
  ApiErrorSchema,
  type ApiHandlers,
  INVOKE_CHANNELS,
  type InvokeChannel,
  isPushChannel,
  type PushChannel,
  type PushOf,
} from '../../shared/ipc';
import type { AppSnapshot } from '../../shared/snapshot';
import type { CoreService } from '../core/core-service';
import { ApiRequestError } from '../platform/api-request-error';
import { CONTROL_STOPPING_CHANNEL } from './control-server';
import { accessDeniedMessage } from './endpoint';
import { readLines, writeMessage } from './wire';

/** Nothing listens at the endpoint (no service): the caller runs its own core. */
export class ControlUnavailableError extends Error {
  override readonly name = 'ControlUnavailableError';
}

/** A service is there, but this user may not use it (the kernel or the service said no). */
export class ControlAccessError extends Error {
  override readonly name = 'ControlAccessError';
  readonly explanation: string;
  readonly fix: string;
  constructor(message: string, fix = 'Ask the administrator of this machine for access.') {
    super(message);
    this.explanation = message;
    this.fix = fix;
  }
}

export interface ControlConnection {
  readonly hello: ControlHello;
  readonly state: 'starting' | 'running';
  invoke(channel: string, request?: unknown): Promise<unknown>;
  onPush<P extends PushChannel>(channel: P, listener: (payload: PushOf<P>) => void): () => void;
  onState(listener: (state: 'starting' | 'running') => void): () => void;
  /** Called once when the connection ends (the service stopped, or close()). */
  onClose(listener: () => void): () => void;
  readonly closed: boolean;
  close(): void;
}

export interface ConnectOptions {
  platform?: NodeJS.Platform;
  /** Connect and greeting together (default 3 s). */
  timeoutMs?: number;
  /** A request without an answer for this long fails (default 120 s: discovery and FSD runs take a while). */
  requestTimeoutMs?: number;
}

export async function connectControl(
  endpoint: string,
  options: ConnectOptions = {},
): Promise<ControlConnection> {
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? 3000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  let nextId = 1;
  let state: 'starting' | 'running' = 'starting';
  let closed = false;

  const socket: Socket = netConnect(endpoint);
  const hello = await new Promise<ControlHello>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new ControlUnavailableError(
          `The NUT Sentinel service at ${endpoint} did not answer within ${timeoutMs} ms.`,
        ),
      );
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EACCES' || error.code === 'EPERM')
        fail(new ControlAccessError(accessDeniedMessage(endpoint, platform)));
      else
        fail(
          new ControlUnavailableError(
            `No NUT Sentinel service at ${endpoint} (${error.code ?? error.message}).`,
          ),
        );
    });
    socket.once('close', () =>
      fail(new ControlUnavailableError(`The NUT Sentinel service at ${endpoint} hung up.`)),
    );
    let greeted = false;
    readLines(
      socket,
      (line) => {
        let raw: unknown;
        try {
          raw = JSON.parse(line);
        } catch {
          return;
        }
        if (!greeted) {
          const refusal = ControlRefusalSchema.safeParse(raw);
          if (refusal.success) {
            fail(new ControlAccessError(refusal.data.refused));
            return;
          }
          const parsed = ControlHelloSchema.safeParse(raw);
          if (!parsed.success) {
            fail(
              new ControlUnavailableError(`${endpoint} is not a NUT Sentinel service's socket.`),
            );
            return;
          }
          greeted = true;
          clearTimeout(timer);
          state = parsed.data.state;
          socket.removeAllListeners('error');
          socket.removeAllListeners('close');
          socket.on('error', () => socket.destroy());
          socket.on('close', finish);
          resolve(parsed.data);
          return;
        }
        handleMessage(raw);
      },
      () => socket.destroy(),
    );
  });

  function handleMessage(raw: unknown): void {
    if (raw === null || typeof raw !== 'object') return;
    const message = raw as Record<string, unknown>;
    if ('push' in message && isPushChannel(message.push)) {
      events.emit(`push:${message.push}`, message.payload);
      return;
    }
    const stateMessage = ControlStateMessageSchema.safeParse(raw);
    if (stateMessage.success) {
      state = stateMessage.data.state;
      events.emit('state', state);
      return;
    }
    if (typeof message.id !== 'number') return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    clearTimeout(waiter.timer);
    if (message.ok === true) waiter.resolve(message.response);
    else {
      const error = ApiErrorSchema.safeParse(message.error);
      waiter.reject(
        new ApiRequestError(
          error.success
            ? error.data
            : { code: 'INVALID-MESSAGE', message: 'The service sent a malformed answer.' },
        ),
      );
    }
  }

  function finish(): void {
    if (closed) return;
    closed = true;
    for (const [, waiter] of pending) {
      clearTimeout(waiter.timer);
      waiter.reject(
        new ApiRequestError({
          code: 'SERVICE-GONE',
          message: 'The NUT Sentinel background service stopped while answering.',
          fix: 'Try again: the app now monitors on its own, or reattaches when the service is back.',
        }),
      );
    }
    pending.clear();
    events.emit('close');
  }

  return {
    hello,
    get state() {
      return state;
    },
    get closed() {
      return closed;
    },
    invoke(channel, request) {
      if (closed)
        return Promise.reject(
          new ApiRequestError({
            code: 'SERVICE-GONE',
            message: 'The NUT Sentinel background service is not connected.',
          }),
        );
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(
            new ApiRequestError({
              code: 'TIMEOUT',
              message: `The background service did not answer ${channel} within ${Math.round(requestTimeoutMs / 1000)} s.`,
            }),
          );
        }, requestTimeoutMs);
        timer.unref();
        pending.set(id, { resolve, reject, timer });
        if (!writeMessage(socket, { id, channel, request })) finish();
      });
    },
    onPush(channel, listener) {
      const event = `push:${channel}`;
      const wrapped = (payload: unknown) => listener(payload as PushOf<typeof channel>);
      events.on(event, wrapped);
      return () => events.off(event, wrapped);
    },
    onState(listener) {
      events.on('state', listener);
      return () => events.off('state', listener);
    },
    onClose(listener) {
      if (closed) {
        queueMicrotask(listener);
        return () => undefined;
      }
      events.once('close', listener);
      return () => events.off('close', listener);
    },
    close() {
      socket.destroy();
      finish();
    },
  };
}

/** Tells the service that this client is logging out of its own sessions, then that it has. */
export async function handOver(
  connection: ControlConnection,
  stopOwnCore: () => Promise<void>,
): Promise<void> {
  await connection.invoke(CONTROL_STOPPING_CHANNEL);
  try {
    await stopOwnCore();
  } finally {
    if (!connection.closed) await connection.invoke(CONTROL_RELEASED_CHANNEL);
  }
}

/** The service's core as a CoreService: handlers forward, pushes arrive, the snapshot is kept. */
export async function remoteCore(
  connection: ControlConnection,
): Promise<CoreService & { readonly connection: ControlConnection }> {
  const handlers = Object.fromEntries(
    INVOKE_CHANNELS.map((channel: InvokeChannel) => [
      channel,
      (request: unknown) => connection.invoke(channel, request),
    ]),
  ) as unknown as ApiHandlers;
  let pushed: AppSnapshot | null = null;
  connection.onPush('app:snapshot', (next) => (pushed = next));
  const fetched = (await connection.invoke('app:get-snapshot')) as AppSnapshot;
  const early = pushed as AppSnapshot | null;
  let current: AppSnapshot = early !== null && early.at >= fetched.at ? early : fetched;
  connection.onPush('app:snapshot', (next) => (current = next));
  return {
    connection,
    handlers,
    onPush: (channel, listener) => connection.onPush(channel, listener),
    snapshot: () => current,
    // The service monitors; attaching starts nothing and detaching stops nothing there.
    start: () => Promise.resolve(),
    stop: () => {
      connection.close();
      return Promise.resolve();
    },
  };
}
