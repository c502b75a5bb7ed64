/**
 * The Electron shell's composition root, in explicit phases:
 *
 * 1. before-ready: identity (name, userData, AppUserModelID), single-instance lock (a second
 *    launch shows the existing window), no dock icon, sandbox for every renderer, the
 *    privileged renderer scheme, security handlers for every web contents, and the quit guard;
 * 2. ready: logger, session hardening, the renderer scheme handler, the Windows session-end
 *    watcher window, the ports (SecretStore on safeStorage, NotifierPort, PowerMonitorPort) and
 *    the core from the injected `createCore`;
 * 3. ui: dashboard window (lazy), IPC registrar, tray driven by `app:snapshot`;
 * 4. running: core.start(), start-at-login from the config, first-run window;
 * then on Quit the ordered teardown of lifecycle.ts (core.stop() → timers → IPC → tray →
 * windows → logs) before the app really quits. When the OS ends the session (Linux/macOS
 * powerMonitor 'shutdown', Windows query-session-end) the same teardown runs in a hurry: LOGOUT
 * from every master in parallel within about 3 s, then the rest.
 *
 * The entry point (app.ts) only passes the real core factory; tests drive this module through
 * the central electron mock.
 */
import path from 'node:path';
import { app, dialog, Menu, protocol, session, shell } from 'electron';
import type { ApiHandlers } from '../../shared/ipc';
import type { AppSnapshot } from '../../shared/snapshot';
import type { CoreService } from '../core/core-service';
import type { Logger, NotifierPort, PowerMonitorPort, SecretStore } from '../platform/ports';
import { APP_ID, APP_NAME, DEV_URL_ENV, HIDDEN_FLAG, USER_DATA_ENV } from './constants';
import { createTeardown, installQuitGuard, type Teardown } from './lifecycle';
import { createFileLogger, type ShellLogger } from './logger';
import { applyStartAtLogin, defaultLoginItemEnv, type LoginItemEnv } from './login-item';
import { createShellNotifier, type ShellNotifierDeps } from './notifications';
import { isTrustedRendererUrl, rendererTarget, resolveShellPaths, unpackedPath } from './paths';
import { createPowerMonitorPort, onSystemShutdown } from './power-monitor';
import {
  createRendererRequestHandler,
  registerRendererScheme,
  RENDERER_SCHEME,
} from './renderer-protocol';
import { ROUTES } from './routes';
import { SessionEndWindow } from './session-end';
import { createSafeStorageSecretStore } from './secrets';
import { hardenSession, hardenWebContents } from './security';
import { type TrayAction, TrayController, trayModel } from './tray';
import { DashboardWindow } from './windows';
import { type IpcRegistrar, registerIpc } from './ipc-registrar';
import { type AttachingCore, createAttachingCore } from '../control/attaching-core';
import { defaultControlEndpoint } from '../control/endpoint';
import { createServiceInstaller } from '../service/elevate';
import type { AgentCommand } from '../service/units';
import { findServiceAgent } from './service-agent';

/** What the shell hands to the core factory (main/core/app-core.ts). */
export interface CoreFactoryDeps {
  /** `<userData>/config.json`: read at start, written by `config:save`. */
  configPath: string;
  /** `<userData>`: the history database and other state belong here. */
  dataDir: string;
  /** NUT passwords (safeStorage-encrypted; refuses plaintext). */
  secrets: SecretStore;
  /** Raw desktop notifier (clicks open the view); the core wraps it in its NotificationPolicy. */
  notifier: NotifierPort;
  powerMonitor: PowerMonitorPort;
  logger: Logger;
  appVersion: string;
}

export type CreateCore = (deps: CoreFactoryDeps) => Promise<CoreService>;

export type ShellPhase =
  | 'before-ready'
  | 'ready'
  | 'ui'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'failed'
  | 'second-instance';

export interface ShellOptions {
  createCore: CreateCore;
  /** Folder of the built app.js (out/main): preload.cjs is next to it, the renderer in ../renderer. */
  mainDir: string;
  platform?: NodeJS.Platform;
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Tray refresh period for data ages (default 10 s). */
  trayRefreshMs?: number;
  /** Tests: where start-at-login writes (Linux autostart) and whether the app counts as packaged. */
  loginItemEnv?: Partial<LoginItemEnv>;
  /** Mirror the log to the console (default: when not packaged). */
  logToConsole?: boolean;
  /** Where SIGTERM arrives (default: process; tests pass an emitter). */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'removeListener'>;
  /** Tests: the desktop notifier factory (default: main/notify's node-notifier one). */
  createNotifier?: (deps: ShellNotifierDeps) => NotifierPort;
  /** The background service's control socket (default: the platform's, main/control/endpoint.ts). */
  controlEndpoint?: string;
  /** The agent program Settings' "Install the service" registers (default: found next to the app or on PATH). */
  serviceAgent?: AgentCommand | null;
  /** How often the app looks for a service that started after it (default 500 ms). */
  attachPollMs?: number;
}

export interface ShellHandle {
  readonly phase: ShellPhase;
  /** Settles when the running phase is reached (or startup failed / was abandoned). */
  readonly started: Promise<void>;
  readonly teardown: Teardown;
  /** Show the dashboard (at a route). */
  showWindow(route?: string): void;
}

/** After a successful config:save, re-apply settings the shell owns (start at login). */
export function withConfigSaveHook(
  handlers: ApiHandlers,
  afterSave: () => Promise<void>,
): ApiHandlers {
  return {
    ...handlers,
    'config:save': async (request) => {
      const result = await handlers['config:save'](request);
      if (result.ok) await afterSave();
      return result;
    },
  };
}

/** How long quitting waits on the masters' LOGOUT replies (and alert deliveries) in all. */
export const CORE_STOP_DEADLINE_MS = 8_000;
/** The same when the session is ending (inside the stop-core step's 3 s urgent budget). */
export const URGENT_CORE_STOP_DEADLINE_MS = 2_000;

export function startShell(options: ShellOptions): ShellHandle {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const argv = options.argv ?? process.argv;
  const signals = options.signals ?? process;

  let phase: ShellPhase = 'before-ready';
  let quitting = false;
  let core: AttachingCore | null = null;
  let dashboard: DashboardWindow | null = null;
  let tray: TrayController | null = null;
  let ipc: IpcRegistrar | null = null;
  let sessionEnd: SessionEndWindow | null = null;
  let snapshot: AppSnapshot | null = null;
  let pendingShow: { route: string | undefined } | null = null;
  const timers = new Set<NodeJS.Timeout>();
  const disposers: Array<() => void> = [];

  // Console until userData is known; the file logger replaces it in the ready phase.
  let sink: ShellLogger = createFileLogger({ dir: null, console: options.logToConsole ?? true });
  const logger: Logger = { log: (level, message, fields) => sink.log(level, message, fields) };

  const showWindow = (route?: string): void => {
    if (quitting) return;
    if (!dashboard) {
      pendingShow = { route };
      return;
    }
    dashboard.show(route);
  };

  const teardown = createTeardown(
    [
      {
        name: 'mark-quitting',
        run: () => {
          quitting = true;
          phase = 'stopping';
        },
      },
      // LOGOUT from every master (in parallel), cancel hook timers, flush the history. When the
      // session is ending, logind's ~5 s delay leaves about 3 s for it. The core's own deadline
      // is shorter than the step's budget: a master that never answers LOGOUT is dropped in
      // time for the history to be closed, rather than the step being abandoned half way.
      {
        name: 'stop-core',
        run: () => {
          // The session ending while a normal quit waits: the urgent deadline from then on.
          const hurried = new AbortController();
          const cut = teardown.hurried.then(() =>
            setTimeout(() => hurried.abort(), URGENT_CORE_STOP_DEADLINE_MS).unref(),
          );
          return core
            ?.stop({
              deadlineMs: teardown.urgent ? URGENT_CORE_STOP_DEADLINE_MS : CORE_STOP_DEADLINE_MS,
              signal: hurried.signal,
            })
            .finally(() => void cut.then(clearTimeout));
        },
        timeoutMs: 15_000,
        urgentTimeoutMs: 3_000,
      },
      {
        name: 'cancel-timers',
        run: () => {
          for (const timer of timers) clearInterval(timer);
          timers.clear();
          for (const dispose of disposers.splice(0)) dispose();
        },
      },
      { name: 'dispose-ipc', run: () => ipc?.dispose() },
      { name: 'destroy-tray', run: () => tray?.destroy() },
      {
        name: 'close-window',
        run: () => {
          dashboard?.destroy();
          sessionEnd?.destroy();
        },
      },
      {
        name: 'flush-logs',
        run: () => {
          phase = 'stopped';
          logger.log('info', 'stopped');
          return sink.flush();
        },
      },
    ],
    logger,
  );

  const handle: ShellHandle = {
    get phase() {
      return phase;
    },
    started: Promise.resolve(),
    teardown,
    showWindow,
  };

  // ---- phase 1: before-ready ---------------------------------------------------------------
  app.setName(APP_NAME);
  const userDataOverride = env[USER_DATA_ENV];
  if (userDataOverride) app.setPath('userData', path.resolve(userDataOverride));
  // The lock is per userData folder, so it is taken after the override.
  if (!app.requestSingleInstanceLock()) {
    phase = 'second-instance';
    app.quit();
    return handle;
  }
  const paths = resolveShellPaths(options.mainDir, app.getAppPath());
  const target = rendererTarget({
    rendererIndex: paths.rendererIndex,
    isPackaged: app.isPackaged,
    devUrl: env[DEV_URL_ENV],
  });
  const isTrustedUrl = (url: string): boolean => isTrustedRendererUrl(url, target);
  // Electron accepts privileged schemes only before ready.
  registerRendererScheme(protocol);

  app.on('second-instance', () => showWindow());
  // macOS: re-opening the app (Finder, Spotlight) shows the window; the launch's own 'activate' does not.
  app.on('activate', () => {
    if (phase === 'running') showWindow();
  });
  // A tray app: closing the last window does not quit.
  app.on('window-all-closed', () => undefined);
  if (platform === 'win32') app.setAppUserModelId(APP_ID);
  if (platform === 'darwin') app.dock?.hide();
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, {
      isTrustedUrl,
      openExternal: (url) => {
        shell
          .openExternal(url)
          .catch((error: unknown) =>
            logger.log('warn', 'could not open a link', { error: String(error) }),
          );
      },
      logger,
    });
  });
  const quitGuard = installQuitGuard(app, teardown, logger);
  // SIGTERM (a session manager, `kill`, the CI check of the packaged app) quits through the
  // teardown too, not by dying with open NUT sessions.
  const onSigterm = (): void => {
    logger.log('info', 'quit requested', { from: 'SIGTERM' });
    quitGuard.quit();
  };
  if (platform !== 'win32') {
    signals.on('SIGTERM', onSigterm);
    disposers.push(() => signals.removeListener('SIGTERM', onSigterm));
  }

  // ---- phases 2–4 ----------------------------------------------------------------------------
  const renderTray = (): void => {
    if (!tray || !snapshot) return;
    tray.render(
      trayModel(snapshot, {
        notificationsPaused: snapshot.notificationsPaused,
        now: Date.now(),
        platform,
        backgroundService: core?.mode === 'attached',
      }),
    );
  };

  const onTrayAction = (action: TrayAction): void => {
    switch (action) {
      case 'open-dashboard':
        showWindow(ROUTES.dashboard);
        break;
      case 'fsd-test':
        showWindow(ROUTES.fsdTest);
        break;
      case 'settings':
        showWindow(ROUTES.settings);
        break;
      case 'toggle-pause': {
        const paused = !(snapshot?.notificationsPaused ?? false);
        core?.handlers['notifications:set-paused']({ paused }).then(
          () => {
            if (snapshot) snapshot = { ...snapshot, notificationsPaused: paused };
            renderTray();
          },
          (error: unknown) =>
            logger.log('error', 'could not change the notification pause', {
              error: String(error),
            }),
        );
        break;
      }
      case 'quit':
        logger.log('info', 'quit requested', { from: 'tray' });
        quitGuard.quit();
        break;
    }
  };

  const loginItemEnv = (): LoginItemEnv => ({
    ...defaultLoginItemEnv(logger),
    platform,
    ...options.loginItemEnv,
  });
  const syncStartAtLogin = async (): Promise<void> => {
    if (!core) return;
    try {
      const { config } = await core.handlers['config:get'](undefined);
      await applyStartAtLogin(config.startAtLogin, loginItemEnv());
    } catch (error) {
      logger.log('warn', 'could not apply start at login', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  const ready = async (): Promise<void> => {
    phase = 'ready';
    const userData = app.getPath('userData');
    sink = createFileLogger({
      dir: path.join(userData, 'logs'),
      console: options.logToConsole ?? !app.isPackaged,
    });
    logger.log('info', 'starting', { version: app.getVersion(), platform, renderer: target.kind });
    hardenSession(session.defaultSession, target, logger);
    if (target.kind === 'app')
      protocol.handle(RENDERER_SCHEME, createRendererRequestHandler({ root: target.root, logger }));
    if (platform === 'win32') {
      sessionEnd = new SessionEndWindow({
        onQueryEnd: (reasons) =>
          quitGuard.quitUrgently(`Windows session end (${reasons.join(', ') || 'unspecified'})`),
        // WM_ENDSESSION: the process may be gone once this returns; make the log durable now.
        onEnd: () => sink.flushSync(),
        logger,
      });
    }
    Menu.setApplicationMenu(
      platform === 'darwin'
        ? Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }])
        : null,
    );
    // Desktop notifications: the own core's notifier, and while attached the service's
    // notifications shown here (the service has no desktop).
    const notifier = (options.createNotifier ?? createShellNotifier)({
      openRoute: (route) => showWindow(route),
      // Linux hands the icon path to notify-send, another program: it must be the unpacked copy
      // (electron-builder.yml unpacks it on Linux only). Electron's own Notification reads app.asar.
      icon: platform === 'linux' ? unpackedPath(paths.appIconPng) : paths.appIconPng,
      logger,
      platform,
    });
    const deps: CoreFactoryDeps = {
      configPath: path.join(userData, 'config.json'),
      dataDir: userData,
      secrets: createSafeStorageSecretStore({
        file: path.join(userData, 'secrets.json'),
        platform,
        logger,
      }),
      notifier,
      powerMonitor: createPowerMonitorPort(),
      logger,
      appVersion: app.getVersion(),
    };
    // A running background service is attached instead of starting our own core (one LOGIN
    // per machine); main/control/attaching-core.ts hands over when one starts later.
    const created = await createAttachingCore({
      endpoint: options.controlEndpoint ?? defaultControlEndpoint(platform, env),
      createLocal: () => options.createCore(deps),
      logger,
      platform,
      notifier,
      installer: createServiceInstaller({
        platform,
        cli:
          options.serviceAgent === undefined
            ? findServiceAgent({ platform, env, resourcesPath: process.resourcesPath })
            : options.serviceAgent,
        env,
      }),
      ...(options.attachPollMs !== undefined ? { pollMs: options.attachPollMs } : {}),
    });
    disposers.push(created.onModeChange(() => renderTray()));
    if (quitting) {
      // Quit was requested while the core was being created: it was not there to stop.
      await created.stop();
      return;
    }
    core = created;
  };

  const ui = (service: CoreService): void => {
    phase = 'ui';
    dashboard = new DashboardWindow({
      target,
      preload: paths.preload,
      ...(platform === 'linux' ? { icon: paths.appIconPng } : {}),
      devTools: !app.isPackaged,
      isQuitting: () => quitting,
      navigate: (route) => ipc?.send('app:navigate', route),
      logger,
    });
    ipc = registerIpc({
      handlers: withConfigSaveHook(service.handlers, syncStartAtLogin),
      onPush: (channel, listener) => service.onPush(channel, listener),
      getWebContents: () => dashboard?.webContents ?? null,
      isTrustedUrl,
      logger,
    });
    snapshot = service.snapshot();
    tray = new TrayController(
      {
        platform,
        assetsDir: paths.assetsDir,
        onAction: onTrayAction,
        onToggleWindow: () => dashboard?.toggle(),
        logger,
      },
      trayModel(snapshot, {
        notificationsPaused: snapshot.notificationsPaused,
        now: Date.now(),
        platform,
        backgroundService: core?.mode === 'attached',
      }),
    );
    disposers.push(
      service.onPush('app:snapshot', (next) => {
        snapshot = next;
        renderTray();
      }),
    );
    const refresh = setInterval(renderTray, options.trayRefreshMs ?? 10_000);
    refresh.unref?.();
    timers.add(refresh);
    if (pendingShow) {
      const { route } = pendingShow;
      pendingShow = null;
      dashboard.show(route);
    }
  };

  const running = async (service: CoreService): Promise<void> => {
    phase = 'running';
    // Linux (logind) and macOS only; Windows has the session-end watcher window.
    if (platform === 'linux' || platform === 'darwin')
      disposers.push(onSystemShutdown(() => quitGuard.quitUrgently('system shutdown')));
    try {
      await service.start();
    } catch (error) {
      logger.log('error', 'monitoring could not start', {
        error: error instanceof Error ? error.message : String(error),
      });
      showWindow(ROUTES.settings);
    }
    await syncStartAtLogin();
    const current = service.snapshot();
    // A broken config file means nothing is monitored: say so even when started hidden at login.
    if (current.configProblem || (current.ups.length === 0 && !argv.includes(HIDDEN_FLAG)))
      showWindow(ROUTES.settings);
    logger.log('info', 'running', { ups: current.ups.length, core: core?.mode });
  };

  const fail = (error: unknown): void => {
    phase = 'failed';
    const message = error instanceof Error ? error.message : String(error);
    const fix =
      error && typeof error === 'object' && 'fix' in error ? `\n\n${String(error.fix)}` : '';
    logger.log('error', 'startup failed', { error: message });
    dialog.showErrorBox(`${APP_NAME} could not start`, `${message}${fix}`);
    quitGuard.quit();
  };

  (handle as { started: Promise<void> }).started = (async () => {
    await app.whenReady();
    if (quitting) return;
    await ready();
    if (!core || quitting) return;
    ui(core);
    if (quitting) return;
    await running(core);
  })().catch(fail);

  return handle;
}
