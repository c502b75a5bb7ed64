/**
 * The REAL core (createAppCore) in the test's own process, behind a NutSentinelApi that behaves
 * like the Electron preload: every request goes through dispatchInvoke (the one validation
 * path), a failure rejects with a plain ApiError object. The renderer's component tests install
 * it as `window.nutSentinel`, so the UI under test talks to the code the app runs; its config
 * file and data folder are a fresh temp dir, and its history is in memory.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfigInput } from '../../shared/config';
import type { NutSentinelApi } from '../../shared/ipc';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import { dispatchInvoke } from '../core/dispatch';
import { MemorySecretStore } from './memory-secret-store';

export interface InProcessCore {
  readonly core: CoreService;
  readonly api: NutSentinelApi;
  readonly configPath: string;
  readonly secrets: MemorySecretStore;
  /** The config file as the core last wrote it (parsed JSON). */
  savedConfig(): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startInProcessCore(config: ConfigInput = {}): Promise<InProcessCore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-ui-core-'));
  const configPath = path.join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const secrets = new MemorySecretStore();
  const core = await createAppCore({
    configPath,
    dataDir: dir,
    historyInMemory: true,
    secrets,
    notifier: null,
    logger: { log: () => undefined },
  });
  await core.start();
  const api: NutSentinelApi = {
    async invoke(channel, request) {
      const result = await dispatchInvoke(core.handlers, channel, request);
      // Like the preload: an ApiError object, not an Error (it survives the context bridge).
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- see above.
      if (!result.ok) throw result.error;
      // A structured clone, as IPC delivers it: the UI never shares objects with the core.
      return structuredClone(result.response) as never;
    },
    subscribe: (channel, listener) => core.onPush(channel, listener),
  };
  return {
    core,
    api,
    configPath,
    secrets,
    savedConfig: async () => JSON.parse(await readFile(configPath, 'utf8')) as unknown,
    async stop() {
      await core.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
