/**
 * The core a front end (desktop app, `web`) uses: the background service's, when one runs on
 * this machine, else its own — and the switch between the two without ever running both.
 *
 * - At creation: a service answering on the control socket is attached (nothing is logged in
 *   here); otherwise the local core is created (the caller starts it as before).
 * - Own core running: the endpoint is checked twice a second (a stat, or on Windows a connect).
 *   When a service appears it is still `starting` (it waits for us, ./control-server.ts): we say
 *   we are stopping, stop the local core (LOGOUT), say released, and attach.
 * - Attached: when the service goes away (it logged out first), the local core is created and
 *   started, and the checks resume.
 * - Attached, notifications come from the service's record (`notifications:recent`, refreshed on
 *   every event) and are shown by this desktop's notifier: the service itself has no desktop.
 *
 * The façade's handlers and pushes stay the same objects across switches, so the IPC registrar,
 * the bridge and the tray never notice; `service:status` / `service:install` are answered here.
 */
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import type { ServiceInstallResult, ServiceStatus } from '../../shared/control';
import {
  type ApiHandlers,
  INVOKE_CHANNELS,
  type InvokeChannel,
  PUSH_CHANNELS,
  type PushChannel,
  type PushOf,
} from '../../shared/ipc';
import type { AppSnapshot } from '../../shared/snapshot';
import type { CoreService } from '../core/core-service';
import type { DesktopNotification, Logger, NotifierPort } from '../platform/ports';
import {
  ControlAccessError,
  type ControlConnection,
  connectControl,
  handOver,
  remoteCore,
} from './control-client';

export type AttachMode = 'attached' | 'own-core';

export interface AttachingCoreOptions {
  endpoint: string;
  /** Creates this front end's own core (not started). */
  createLocal: () => Promise<CoreService>;
  logger: Logger;
  platform?: NodeJS.Platform;
  /** Shows the service's notifications on this desktop while attached (null: none). */
  notifier?: NotifierPort | null;
  /** What Settings offers (./main/service/elevate.ts). */
  installer?: {
    describe(): ServiceStatus['install'];
    install(): Promise<ServiceInstallResult>;
  };
  /** How often the own-core front end looks for a service (default 500 ms). */
  pollMs?: number;
  /** Tests: how to connect (default connectControl). */
  connect?: (endpoint: string) => Promise<ControlConnection>;
}

export interface AttachingCore extends CoreService {
  readonly mode: AttachMode;
  /** Called after every switch (attached ↔ own core). */
  onModeChange(listener: (mode: AttachMode) => void): () => void;
  /** Why the service could not be used, when it exists but refused us. */
  readonly problem: string | null;
}

export async function createAttachingCore(options: AttachingCoreOptions): Promise<AttachingCore> {
  const { endpoint, logger } = options;
  const platform = options.platform ?? process.platform;
  const connect = options.connect ?? ((where: string) => connectControl(where, { platform }));
  const pollMs = options.pollMs ?? 500;
  const events = new EventEmitter();
  events.setMaxListeners(0);

  let backend: CoreService | null = null;
  let connection: ControlConnection | null = null;
  let mode: AttachMode = 'own-core';
  let problem: string | null = null;
  let started = false;
  let stopped = false;
  let switching: Promise<void> = Promise.resolve();
  let backendOffs: Array<() => void> = [];
  let poll: NodeJS.Timeout | null = null;
  let lastNotificationAt = 0;

  const tryConnect = async (): Promise<ControlConnection | null> => {
    try {
      const next = await connect(endpoint);
      problem = null;
      return next;
    } catch (error) {
      if (error instanceof ControlAccessError) {
        if (problem !== error.message)
          logger.log('warn', 'the background service refused this user', { error: error.message });
        problem = error.message;
      }
      return null;
    }
  };

  const forwardNotifications = async (): Promise<void> => {
    if (!options.notifier || !backend || mode !== 'attached') return;
    const recent = await backend.handlers['notifications:recent'](undefined).catch(() => []);
    for (const record of recent) {
      if (record.at <= lastNotificationAt) continue;
      lastNotificationAt = record.at;
      const notification: DesktopNotification = {
        key: record.key,
        title: record.title,
        body: record.body,
        urgency: record.urgency,
        ...(record.route ? { route: record.route } : {}),
      };
      await options.notifier
        .notify(notification)
        .catch((error: unknown) =>
          logger.log('warn', 'could not show a notification', { error: String(error) }),
        );
    }
  };

  const use = (next: CoreService, nextMode: AttachMode): void => {
    for (const off of backendOffs.splice(0)) off();
    backend = next;
    mode = nextMode;
    backendOffs = PUSH_CHANNELS.map((channel: PushChannel) =>
      next.onPush(channel, (payload) => events.emit(channel, payload)),
    );
    if (nextMode === 'attached')
      backendOffs.push(
        next.onPush('events:appended', () => void forwardNotifications()),
        next.onPush('app:snapshot', () => void forwardNotifications()),
      );
    events.emit('mode', nextMode);
    events.emit('app:snapshot', next.snapshot());
  };

  const attach = async (next: ControlConnection): Promise<void> => {
    const remote = await remoteCore(next);
    connection = next;
    if (options.notifier) {
      const recent = await remote.handlers['notifications:recent'](undefined).catch(() => []);
      lastNotificationAt = Math.max(0, ...recent.map((r) => r.at));
    }
    use(remote, 'attached');
    stopPolling();
    logger.log('info', 'attached to the background service', {
      endpoint,
      version: next.hello.version,
    });
    next.onClose(() => {
      if (stopped || connection !== next) return;
      connection = null;
      logger.log('info', 'the background service went away; monitoring on our own');
      switching = switching
        .then(() => fallBackToLocal())
        .catch((error: unknown) =>
          logger.log('error', 'could not start monitoring after the service stopped', {
            error: error instanceof Error ? error.message : String(error),
          }),
        );
    });
  };

  const fallBackToLocal = async (): Promise<void> => {
    if (stopped) return;
    const local = await options.createLocal();
    if (stopped) {
      await local.stop();
      return;
    }
    use(local, 'own-core');
    if (started) await local.start();
    startPolling();
  };

  /** Own core running and a service appeared: hand over to it. */
  const handOverTo = async (next: ControlConnection): Promise<void> => {
    const local = backend;
    logger.log('info', 'a background service started; handing monitoring over to it', {
      endpoint,
    });
    await handOver(next, async () => {
      for (const off of backendOffs.splice(0)) off();
      backend = null;
      await local?.stop();
    });
    await attach(next);
  };

  const exists = async (): Promise<boolean> =>
    platform === 'win32' ? true : (await stat(endpoint).catch(() => null))?.isSocket() === true;

  let checking = false;
  const check = async (): Promise<void> => {
    if (checking || stopped || mode === 'attached') return;
    checking = true;
    try {
      if (!(await exists())) return;
      const next = await tryConnect();
      if (!next) return;
      // stop() or another switch may have happened while connecting.
      if (stopped || (mode as AttachMode) === 'attached') {
        next.close();
        return;
      }
      const handing = switching.then(() => handOverTo(next));
      switching = handing.catch(async (error: unknown) => {
        logger.log('warn', 'hand-over to the background service failed; monitoring on our own', {
          error: error instanceof Error ? error.message : String(error),
        });
        next.close();
        // Only when our own core was already stopped: never a second one beside it.
        if (mode !== 'attached' && backend === null) await fallBackToLocal();
      });
      await switching;
    } catch (error) {
      logger.log('warn', 'could not check for the background service', {
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      checking = false;
    }
  };

  const startPolling = (): void => {
    if (poll || stopped) return;
    poll = setInterval(() => void check(), pollMs);
    poll.unref?.();
  };
  const stopPolling = (): void => {
    if (poll) clearInterval(poll);
    poll = null;
  };

  // ---- creation: attach when a service answers, else our own core (not started yet) ----
  const first = (await exists()) ? await tryConnect() : null;
  if (first) await attach(first);
  else use(await options.createLocal(), 'own-core');

  const current = (): CoreService => {
    if (!backend) throw new Error('NUT Sentinel has no core (it is stopping).');
    return backend;
  };

  const serviceStatus = (): ServiceStatus => {
    const install = options.installer?.describe() ?? {
      available: false,
      command: 'sudo nut-sentinel service install',
      reason: 'Installing the service is not offered here.',
    };
    return {
      mode,
      endpoint,
      problem,
      install:
        mode === 'attached'
          ? { ...install, available: false, reason: 'The background service is running.' }
          : install,
    };
  };

  const forwarded = Object.fromEntries(
    INVOKE_CHANNELS.map((channel: InvokeChannel) => [
      channel,
      async (request: unknown) => {
        await switching;
        const handler = current().handlers[channel] as (r: unknown) => Promise<unknown>;
        return handler(request);
      },
    ]),
  ) as unknown as ApiHandlers;
  const handlers: ApiHandlers = {
    ...forwarded,
    'service:status': () => Promise.resolve(serviceStatus()),
    'service:install': async () => {
      if (!options.installer)
        return { ok: false, detail: 'Installing the service is not offered here.' };
      const result = await options.installer.install();
      if (result.ok) void check();
      return result;
    },
  };

  return {
    handlers,
    get mode() {
      return mode;
    },
    get problem() {
      return problem;
    },
    onModeChange(listener) {
      events.on('mode', listener);
      return () => events.off('mode', listener);
    },
    onPush<P extends PushChannel>(channel: P, listener: (payload: PushOf<P>) => void) {
      events.on(channel, listener);
      return () => events.off(channel, listener);
    },
    snapshot(): AppSnapshot {
      return current().snapshot();
    },
    async start() {
      started = true;
      await switching;
      if (mode === 'own-core') {
        await current().start();
        startPolling();
      }
    },
    async stop(stopOptions) {
      if (stopped) return;
      stopped = true;
      stopPolling();
      await switching.catch(() => undefined);
      for (const off of backendOffs.splice(0)) off();
      const last = backend;
      backend = null;
      // Attached: only our connection closes; the service keeps protecting the machine.
      await last?.stop(stopOptions);
    },
  };
}
