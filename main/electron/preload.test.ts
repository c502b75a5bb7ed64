import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import type { IpcRenderer } from 'electron';
import { type NutSentinelApi, invokeChannels, pushChannels } from '../../shared/ipc';
import { electronMock, resetElectronMock } from '../testing/electron-mock';
import type * as PreloadModule from './preload';

let exposedKeys: string[] = [];
let exposed: NutSentinelApi;
let preload: typeof PreloadModule;

beforeAll(async () => {
  resetElectronMock();
  preload = await import('./preload');
  exposedKeys = Object.keys(electronMock.contextBridge.exposed);
  exposed = electronMock.contextBridge.exposed.nutSentinel as NutSentinelApi;
});

describe('preload', () => {
  beforeEach(() => {
    electronMock.ipcRenderer.removeAllListeners();
    electronMock.ipcRenderer.invoke.mockClear();
  });

  const api = (): NutSentinelApi =>
    preload.createPreloadApi(electronMock.ipcRenderer as unknown as IpcRenderer);

  it('exposes only window.nutSentinel with invoke and subscribe (frozen, no ipcRenderer)', () => {
    expect(exposedKeys).toEqual(['nutSentinel']);
    expect(Object.keys(exposed).sort()).toEqual(['invoke', 'subscribe']);
    expect(Object.isFrozen(exposed)).toBe(true);
    expect(Object.values(exposed).every((v) => typeof v === 'function')).toBe(true);
  });

  it('allows exactly the channels the contract (shared/ipc.ts) has schemas for', () => {
    // Against the schemas themselves, not the names module the preload takes its lists from.
    expect([...preload.PRELOAD_INVOKE_CHANNELS].sort()).toEqual(Object.keys(invokeChannels).sort());
    expect([...preload.PRELOAD_PUSH_CHANNELS].sort()).toEqual(Object.keys(pushChannels).sort());
    expect(Object.isFrozen(preload.PRELOAD_INVOKE_CHANNELS)).toBe(true);
  });

  it('invoke forwards whitelisted channels and unwraps the envelope', async () => {
    electronMock.ipcRenderer.responder = (_channel, request) => ({ ok: true, response: request });
    await expect(api().invoke('notifications:set-paused', { paused: true })).resolves.toEqual({
      paused: true,
    });
    expect(electronMock.ipcRenderer.invoke).toHaveBeenCalledWith('notifications:set-paused', {
      paused: true,
    });
  });

  it('invoke rejects with the ApiError (code, message, fix) on failure', async () => {
    electronMock.ipcRenderer.responder = () => ({
      ok: false,
      error: { code: 'SECRETS-NO-KEYRING', message: 'No keyring.', fix: 'Install gnome-keyring.' },
    });
    await expect(
      api().invoke('secrets:set-password', { masterId: 'nas', upsName: 'ups', password: 'x' }),
    ).rejects.toEqual({
      code: 'SECRETS-NO-KEYRING',
      message: 'No keyring.',
      fix: 'Install gnome-keyring.',
    });
  });

  it('invoke refuses channels outside the whitelist without touching IPC', async () => {
    const call = (api().invoke as (c: string, r: unknown) => Promise<unknown>)(
      'shell:open-external',
      'https://evil',
    );
    await expect(call).rejects.toMatchObject({ code: 'UNKNOWN-CHANNEL' });
    await expect(
      (api().invoke as (c: string, r: unknown) => Promise<unknown>)('__proto__', undefined),
    ).rejects.toMatchObject({ code: 'UNKNOWN-CHANNEL' });
    await expect(
      (api().invoke as (c: string, r: unknown) => Promise<unknown>)('app:snapshot', undefined),
    ).rejects.toMatchObject({ code: 'UNKNOWN-CHANNEL' });
    expect(electronMock.ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('invoke explains IPC failures and malformed answers', async () => {
    electronMock.ipcRenderer.responder = () => {
      throw new Error("No handler registered for 'app:get-snapshot'");
    };
    await expect(api().invoke('app:get-snapshot', undefined)).rejects.toMatchObject({
      code: 'IPC-FAILED',
      message: expect.stringContaining('No handler'),
    });
    electronMock.ipcRenderer.responder = () => 'surprise';
    await expect(api().invoke('app:get-snapshot', undefined)).rejects.toMatchObject({
      code: 'IPC-FAILED',
    });
  });

  it('subscribe delivers only the payload (never the IpcRendererEvent) and unsubscribes', () => {
    const listener = vi.fn();
    const unsubscribe = api().subscribe('app:navigate', listener);
    electronMock.ipcRenderer.emitFromMain('app:navigate', '/settings');
    expect(listener).toHaveBeenCalledWith('/settings');
    expect(listener.mock.calls[0]).toHaveLength(1);
    unsubscribe();
    unsubscribe();
    electronMock.ipcRenderer.emitFromMain('app:navigate', '/fsd-test');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(electronMock.ipcRenderer.listenerCount('app:navigate')).toBe(0);
  });

  it('subscribe refuses channels outside the push whitelist', () => {
    const loose = api() as unknown as { subscribe(this: void, c: string, l: unknown): () => void };
    const subscribe = loose.subscribe;
    expect(() => subscribe('app:get-snapshot', vi.fn())).toThrow(/Unknown push channel/);
    expect(() => subscribe('ipc-internal', vi.fn())).toThrow(/Unknown push channel/);
    expect(() => subscribe('app:navigate', 'not a function')).toThrow(/listener/);
    expect(electronMock.ipcRenderer.eventNames()).toEqual([]);
  });

  it('the exposed API is the same implementation', async () => {
    electronMock.ipcRenderer.responder = () => ({ ok: true, response: 'pong' });
    await expect(exposed.invoke('notifications:recent', undefined)).resolves.toBe('pong');
  });
});
