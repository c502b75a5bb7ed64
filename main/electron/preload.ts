/**
 * The dashboard's preload: the ONLY module that uses ipcRenderer (lint-enforced). Built as
 * CommonJS (sandboxed preloads cannot be ES modules) with only `electron` external.
 *
 * A sandboxed preload can `require` nothing but `electron` (and a few Node shims), so this
 * file takes only TYPES from shared/ipc.ts and its channel allow-lists from the zod-free names
 * module shared/ipc-channels.ts, which the contract is keyed by; the bundle stays free of zod
 * (preload-bundle.test.ts checks it requires only `electron` and carries no zod).
 *
 * It exposes `window.nutSentinel` (NutSentinelApi) and nothing else:
 * - `invoke(channel, request)` for the invoke channels of shared/ipc.ts only; resolves with
 *   the response or rejects with a plain ApiError object `{ code, message, fix? }` (an Error
 *   would lose `code`/`fix` crossing the context bridge);
 * - `subscribe(channel, listener)` for the push channels only; the listener gets the payload,
 *   never the IpcRendererEvent; returns the unsubscribe function.
 */
import { contextBridge, type IpcRenderer, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  INVOKE_CHANNELS,
  type InvokeChannel,
  isInvokeChannel,
  isPushChannel,
  PUSH_CHANNELS,
  type PushChannel,
} from '../../shared/ipc-channels';
// Types only: shared/ipc.ts holds the zod schemas, which this bundle must not carry.
import type {
  ApiError,
  InvokeResult,
  NutSentinelApi,
  PushOf,
  RequestOf,
  ResponseOf,
} from '../../shared/ipc';

export const API_KEY = 'nutSentinel';

// The allow-lists are the contract's own names (shared/ipc-channels.ts, zod-free); the contract
// test (shared/ipc-channels.test.ts) checks that these lists and the schemas agree.
export const PRELOAD_INVOKE_CHANNELS: readonly InvokeChannel[] = Object.freeze([
  ...INVOKE_CHANNELS,
]);
export const PRELOAD_PUSH_CHANNELS: readonly PushChannel[] = Object.freeze([...PUSH_CHANNELS]);

function apiError(code: string, message: string, fix?: string): ApiError {
  return fix === undefined ? { code, message } : { code, message, fix };
}

function isInvokeResult(value: unknown): value is InvokeResult {
  if (!value || typeof value !== 'object' || !('ok' in value)) return false;
  const v = value as { ok: unknown; error?: unknown };
  if (v.ok === true) return 'response' in value;
  return v.ok === false && !!v.error && typeof v.error === 'object';
}

export function createPreloadApi(
  ipc: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>,
): NutSentinelApi {
  const api: NutSentinelApi = {
    async invoke<C extends InvokeChannel>(
      channel: C,
      request: RequestOf<C>,
    ): Promise<ResponseOf<C>> {
      if (!isInvokeChannel(channel)) {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- see file comment: ApiError objects survive the context bridge, Errors lose their fields.
        throw apiError(
          'UNKNOWN-CHANNEL',
          `Unknown API channel ${JSON.stringify(String(channel)).slice(0, 80)}.`,
        );
      }
      let result: unknown;
      try {
        result = await ipc.invoke(channel, request);
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- as above.
        throw apiError(
          'IPC-FAILED',
          `${channel} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (!isInvokeResult(result)) {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- as above.
        throw apiError('IPC-FAILED', `${channel} returned an unexpected answer.`);
      }
      if (result.ok) return result.response as ResponseOf<C>;
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- as above.
      throw apiError(
        String(result.error.code),
        String(result.error.message),
        result.error.fix === undefined ? undefined : String(result.error.fix),
      );
    },

    subscribe<P extends PushChannel>(
      channel: P,
      listener: (payload: PushOf<P>) => void,
    ): () => void {
      if (!isPushChannel(channel))
        throw new Error(`Unknown push channel ${JSON.stringify(String(channel)).slice(0, 80)}.`);
      if (typeof listener !== 'function') throw new Error('subscribe needs a listener function.');
      const wrapped = (_event: IpcRendererEvent, payload: unknown): void =>
        listener(payload as PushOf<P>);
      ipc.on(channel, wrapped);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        ipc.removeListener(channel, wrapped);
      };
    },
  };
  return Object.freeze(api);
}

contextBridge.exposeInMainWorld(API_KEY, createPreloadApi(ipcRenderer));
