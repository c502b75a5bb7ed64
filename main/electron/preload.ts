/**
 * The dashboard's preload: the ONLY module that uses ipcRenderer (lint-enforced). Built as
 * CommonJS (sandboxed preloads cannot be ES modules) with only `electron` external.
 *
 * A sandboxed preload can `require` nothing but `electron` (and a few Node shims), so this
 * file takes only TYPES from shared/ipc.ts: the channel whitelists below are checked against
 * the contract by the compiler (a missing or extra channel does not compile) and by a unit
 * test, and the bundle stays free of zod (preload-bundle.test.ts checks it requires only
 * `electron`).
 *
 * It exposes `window.nutSentinel` (NutSentinelApi) and nothing else:
 * - `invoke(channel, request)` for the invoke channels of shared/ipc.ts only; resolves with
 *   the response or rejects with a plain ApiError object `{ code, message, fix? }` (an Error
 *   would lose `code`/`fix` crossing the context bridge);
 * - `subscribe(channel, listener)` for the push channels only; the listener gets the payload,
 *   never the IpcRendererEvent; returns the unsubscribe function.
 */
import { contextBridge, type IpcRenderer, ipcRenderer, type IpcRendererEvent } from 'electron';
import type {
  ApiError,
  InvokeChannel,
  NutSentinelApi,
  PushChannel,
  PushOf,
  RequestOf,
  ResponseOf,
} from '../../shared/ipc';
import type { DispatchResult } from '../core/dispatch';

export const API_KEY = 'nutSentinel';

// Exhaustive by type: adding a channel to shared/ipc.ts without listing it here fails to compile.
const invokeWhitelist: Record<InvokeChannel, true> = {
  'app:get-snapshot': true,
  'ups:get-variables': true,
  'events:query': true,
  'history:query-samples': true,
  'config:get': true,
  'config:save': true,
  'config:test-connection': true,
  'config:import-upsmon': true,
  'discovery:find-masters': true,
  'secrets:set-password': true,
  'notifications:recent': true,
  'alerts:status': true,
  'alerts:test': true,
  'secrets:set-channel-secret': true,
  'notifications:set-paused': true,
  'fsd:preflight': true,
  'fsd:start': true,
  'fsd:abort': true,
  'fsd:get-run': true,
  'fsd:list-reports': true,
  'fsd:get-report': true,
  'fsd:forget-credential': true,
  'monitor:acknowledge-shutdown': true,
  'monitor:latched-fsd-choice': true,
};
const pushWhitelist: Record<PushChannel, true> = {
  'app:snapshot': true,
  'events:appended': true,
  'app:navigate': true,
  'fsd:progress': true,
};
export const PRELOAD_INVOKE_CHANNELS = Object.freeze(
  Object.keys(invokeWhitelist),
) as readonly InvokeChannel[];
export const PRELOAD_PUSH_CHANNELS = Object.freeze(
  Object.keys(pushWhitelist),
) as readonly PushChannel[];

function isInvokeChannel(value: unknown): value is InvokeChannel {
  return typeof value === 'string' && Object.hasOwn(invokeWhitelist, value);
}

function isPushChannel(value: unknown): value is PushChannel {
  return typeof value === 'string' && Object.hasOwn(pushWhitelist, value);
}

function apiError(code: string, message: string, fix?: string): ApiError {
  return fix === undefined ? { code, message } : { code, message, fix };
}

function isDispatchResult(value: unknown): value is DispatchResult {
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
      if (!isDispatchResult(result)) {
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
