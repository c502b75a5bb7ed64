/**
 * Starting the Electron-free core for a command (agent, web, fsd-test): the headless secret store,
 * desktop notifications only where a desktop session exists, and signals that end it.
 */
import path from 'node:path';
import type { AttachingCore } from '../control/attaching-core';
import type { ConfigFileCore, CoreService } from '../core/core-service';
import type { DiscoveryDefaults } from '../discovery/find-masters';
import type { Logger } from '../platform/ports';
import { version } from '../../package.json';

export interface StartCoreOptions {
  configPath: string;
  dataDir: string;
  logger: Logger;
  /** Desktop notifications (agent only; never for a service without a desktop session). */
  notify: boolean;
  /** What "Find masters" searches by default (web --discovery-range/--discovery-port/--no-discovery-mdns). */
  discovery?: DiscoveryDefaults;
  /** Runs between creating the core and its start (the agent opens its control socket here). */
  beforeStart?: (core: CoreService) => Promise<void>;
}

export async function startCore(options: StartCoreOptions): Promise<ConfigFileCore> {
  const core = await createCore(options);
  if (options.beforeStart) {
    try {
      await options.beforeStart(core);
    } catch (error) {
      await core.stop();
      throw error;
    }
  }
  await core.start();
  return core;
}

/**
 * The background service's core when one answers at `endpoint` (a one-shot command: no switching
 * later), null when none runs. A service that refuses this user throws ControlAccessError.
 */
export async function attachToService(endpoint: string): Promise<CoreService | null> {
  const { ControlUnavailableError, connectControl, remoteCore } =
    await import('../control/control-client');
  try {
    return await remoteCore(await connectControl(endpoint));
  } catch (error) {
    if (error instanceof ControlUnavailableError) return null;
    throw error;
  }
}

/**
 * `web`: the background service's core when one answers on `endpoint` (nothing is logged in
 * here), else our own, handed over to a service that starts later (main/control/attaching-core.ts).
 */
export async function attachOrStartCore(
  options: Omit<StartCoreOptions, 'beforeStart'> & { endpoint: string },
): Promise<AttachingCore> {
  const { createAttachingCore } = await import('../control/attaching-core');
  const core = await createAttachingCore({
    endpoint: options.endpoint,
    createLocal: () => createCore(options),
    logger: options.logger,
    notifier: null,
    // A browser page does not ask for administrator rights: Settings shows the command instead.
    installer: {
      describe: () => ({
        available: false,
        command: process.platform === 'win32' ? SERVICE_INSTALL : `sudo ${SERVICE_INSTALL}`,
        reason:
          'The browser UI does not ask for administrator rights: run the command in a terminal (an administrator one on Windows), or use Settings in the desktop app.',
      }),
      install: () =>
        Promise.resolve({
          ok: false,
          detail: `The browser UI cannot install the service.\nRun in a terminal: sudo ${SERVICE_INSTALL}`,
        }),
    },
  });
  try {
    await core.start();
  } catch (error) {
    await core.stop();
    throw error;
  }
  return core;
}

const SERVICE_INSTALL = 'nut-sentinel service install';

/** The core of a command, created but not started. */
async function createCore(options: StartCoreOptions): Promise<ConfigFileCore> {
  let notifier = null;
  if (options.notify && (process.platform !== 'linux' || process.env.DBUS_SESSION_BUS_ADDRESS)) {
    const { createDesktopNotifier } = await import('../notify/desktop-notifier');
    notifier = createDesktopNotifier({ logger: options.logger });
  }
  const [{ createAppCore }, { FileSecretStore }] = await Promise.all([
    import('../core/app-core'),
    import('../platform/file-secret-store'),
  ]);
  const core = await createAppCore({
    configPath: options.configPath,
    dataDir: options.dataDir,
    secrets: new FileSecretStore(options.dataDir),
    notifier,
    logger: options.logger,
    appVersion: version,
    ...(options.discovery ? { discovery: options.discovery } : {}),
  });
  return core;
}

/** Resolves with the first SIGTERM or SIGINT (a service manager's stop, Ctrl-C). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve(signal);
    };
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
}

/** The config file a command uses: --config, else the platform default (as the desktop app's). */
export async function resolveConfigPath(option: string | undefined): Promise<string> {
  if (option !== undefined) return path.resolve(option);
  const { defaultConfigPath } = await import('../config/config-file');
  return defaultConfigPath();
}
