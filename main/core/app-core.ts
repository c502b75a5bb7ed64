/**
 * The composition of the Electron-free core: config, secrets, history, notifications, hooks
 * and the monitor, behind the one API the transports serve (CoreService). The tray app, the
 * headless agent and the browser bridge all create it here, with their own ports.
 */
import { EventEmitter } from 'node:events';
import { reverse } from 'node:dns/promises';
import path from 'node:path';
import { channelSecretKey } from '../../shared/channels';
import {
  type Config,
  type Master,
  type TlsConfig,
  defaultConfig,
  passwordKey,
} from '../../shared/config';
import { standaloneServiceStatus } from '../../shared/control';
import type { ApiHandlers, PushChannel, PushOf } from '../../shared/ipc';
import type { StoredEvent } from '../../shared/history';
import type { AppSnapshot, ProgramProblem } from '../../shared/snapshot';
import { ConfigError, loadConfig, reloadConfig, saveConfig } from '../config/config-file';
import { formatJsonPath } from '../config/json-locator';
import { AlertService, type TransportFactory } from '../channels/alert-service';
import type { MetricsEndpoint } from '../metrics/metrics-endpoint';
import { mqttFactory } from '../mqtt/mqtt-channel';
import { createFsdTest } from '../fsd-test/handlers';
import { createUpsCommands } from '../ups-commands/handlers';
import { createOutages } from '../outages/handlers';
import { isStale } from '../monitor/snapshot';
import { whatIfInput } from '../what-if/inputs';
import { whatIf } from '../what-if/what-if';
import { validateConfig } from '../config/config-validate';
import { importedPrograms, planImport } from '../config/import-plan';
import {
  type ImportUndoRecord,
  secretsBefore,
  snapshotFile,
  undoImport,
} from '../config/import-undo';
import { configProgramProblems, programProblems } from '../config/program-check';
import { importUpsmonConfInSlices } from '../config/upsmon-import';
import type { HistoryLog } from '../history/history-log';
import { MemoryHistory } from '../history/memory-history';
import { HistoryLockedError } from '../history/owner-lock';
import { ReverseDnsCache } from '../monitor/reverse-dns';
import { MonitorService } from '../monitor/monitor-service';
import type { UpsSession } from '../monitor/ups-session';
import { NotificationPolicy, RecordingNotifier } from '../notify/notification-policy';
import { NutClient, type NutClientOptions } from '../nut/client';
import { testConnection } from '../doctor/connection-doctor';
import { type DiscoveryDefaults, findMasters } from '../discovery/find-masters';
import type { ConfigFileCore } from './core-service';
import { ApiRequestError } from '../platform/api-request-error';
import { secretEnvironmentNames } from '../platform/child-environment';
import { deadlineFrom, settlesWithin } from '../monitor/deadline';
import { NodeProcessRunner, systemClock } from '../platform/node-ports';
import { resolvePassword } from '../platform/passwords';
import type {
  Clock,
  Logger,
  NotifierPort,
  PowerMonitorPort,
  ProcessRunner,
  SecretStore,
} from '../platform/ports';

export interface AppCoreDeps {
  /** The JSON config file (read at start, written by `config:save`). */
  configPath: string;
  /** State directory: the history database lives here. */
  dataDir: string;
  /** NUT passwords; null in a headless agent (env/file password sources only). */
  secrets: SecretStore | null;
  /** The raw desktop notifier (the core puts dedupe/rate limiting and a recorder in front). */
  notifier: NotifierPort | null;
  powerMonitor?: PowerMonitorPort;
  logger: Logger;
  appVersion?: string;
  clock?: Clock;
  runner?: ProcessRunner;
  connect?: (options: NutClientOptions) => Promise<NutClient>;
  /**
   * What "Find masters" searches when the request names no range (an operator's setting, e.g.
   * `web --discovery-range`): these ranges replace the local subnets and count as confirmed.
   */
  discovery?: DiscoveryDefaults;
  /** Keep history in memory only (tests, `status` one-shots). */
  historyInMemory?: boolean;
  /** Extra alert channel types (MQTT) plugged into the alert service. */
  channelFactories?: Partial<
    Record<Config['alerts']['channels'][number]['type'], TransportFactory>
  >;
}

const PRUNE_EVERY_MS = 3_600_000;
const SNAPSHOT_THROTTLE_MS = 100;
/** Remote alerts and state topics follow readings at most this often. */
const ALERT_READINGS_THROTTLE_MS = 1_000;
/** At stop (after the monitor logged out), pending alerts get this long; the rest waits for the next start. */
const ALERT_STOP_FLUSH_MS = 2_000;
/** Of a stop deadline, what the sessions leave for dropping late ones and closing the history. */
const STOP_MARGIN_MS = 100;

/** Same host, port and TLS settings (what decides who receives a password). */
function sameServer(
  master: Master,
  request: { host: string; port: number; tls: TlsConfig },
): boolean {
  const fingerprint = (f: string | undefined) => (f ?? '').replace(/:/g, '').toLowerCase();
  const a = master.tls;
  const b = request.tls;
  return (
    master.host.trim().toLowerCase() === request.host.trim().toLowerCase() &&
    master.port === request.port &&
    a.mode === b.mode &&
    a.insecure === b.insecure &&
    fingerprint(a.fingerprint256) === fingerprint(b.fingerprint256) &&
    (a.caPem ?? '').trim() === (b.caPem ?? '').trim()
  );
}

export async function createAppCore(deps: AppCoreDeps): Promise<ConfigFileCore> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger;
  // Children see the allow-listed environment, the names the config passes, never a secret's variable.
  const runner =
    deps.runner ??
    new NodeProcessRunner({
      environment: () => ({
        pass: config.hooks.passEnvironment,
        withhold: secretEnvironmentNames(config),
      }),
    });
  const connect = deps.connect ?? ((options: NutClientOptions) => NutClient.connect(options));

  let config: Config;
  let configProblem: string | null = null;
  try {
    const loaded = await loadConfig(deps.configPath);
    config = loaded.config;
    logger.log(
      'info',
      loaded.source === 'file'
        ? `config loaded from ${loaded.path}`
        : `no config at ${loaded.path}: starting with defaults`,
    );
  } catch (error) {
    // Never half-applied: run with nothing configured, keep the file untouched, say why loudly.
    config = defaultConfig();
    configProblem = error instanceof ConfigError ? error.message : String(error);
    logger.log('error', `config not loaded: ${configProblem}`);
  }

  const historyOptions = {
    retentionDays: config.history.retentionDays,
    maxEvents: config.history.maxEvents,
    clock,
    logger,
  };
  let historyProblem: string | null = null;
  let history: HistoryLog;
  // Read at start only: the store (and SQLite with it) is not swapped while running.
  const historyEnabled = config.history.enabled;
  if (!historyEnabled) {
    // SQLite's WebAssembly is never loaded (main/history/memory-history.ts says what still works).
    history = new MemoryHistory(historyOptions);
    logger.log(
      'info',
      'history is off (history.enabled: false): events and queued alerts are kept in memory only, no samples',
    );
  } else {
    // Loaded only when history is on: importing it compiles SQLite's WebAssembly.
    const { HistoryStore } = await import('../history/history-store');
    try {
      history = HistoryStore.open(
        deps.historyInMemory ? ':memory:' : path.join(deps.dataDir, 'history.sqlite3'),
        historyOptions,
      );
    } catch (error) {
      if (!(error instanceof HistoryLockedError)) throw error;
      // Another NUT Sentinel (e.g. the agent) owns this data folder: monitor anyway, keep history in memory.
      historyProblem = `${error.message} History is kept in memory only until that process stops.`;
      logger.log('warn', historyProblem);
      history = HistoryStore.open(':memory:', historyOptions);
    }
  }

  const recorder = new RecordingNotifier({
    clock,
    ...(deps.notifier ? { forward: deps.notifier } : {}),
  });
  const policy = new NotificationPolicy(recorder, {
    clock,
    settings: () => config.notifications,
    logger,
  });

  const knownSecrets = new Set<string>();
  const push = new EventEmitter();
  // One bounded, rate-limited cache for every LIST CLIENT address of every UPS (main/monitor/reverse-dns.ts).
  const reverseDns = new ReverseDnsCache({ resolve: (address) => reverse(address), clock });

  const service = new MonitorService(config, {
    clock,
    logger,
    runner,
    notifier: policy,
    recordEvent: (event) => history.appendEvent(event),
    recordSample: (sample) => history.appendSample(sample),
    password: async (master, ups) => {
      const value = await resolvePassword(master, ups, deps.secrets);
      if (value) knownSecrets.add(value);
      return value;
    },
    connect,
    reverseLookup: (address) => reverseDns.lookup(address),
    secrets: () => [...knownSecrets],
  });

  const snapshot = (): AppSnapshot => {
    const base = service.snapshot();
    const ups = base.ups.map((u) => ({
      ...u,
      batteryReminder: outages.service.reminder(u.monitorId),
    }));
    return { ...base, ups, configProblem, programProblems: unrunnablePrograms };
  };

  let unrunnablePrograms: ProgramProblem[] = [];
  /**
   * The configured programs that cannot run here: logged, and in the snapshot for the UI. A
   * shutdown command that does not exist would otherwise only show when the power runs out.
   */
  const checkPrograms = async (checked: Config): Promise<void> => {
    const found = await configProgramProblems(checked);
    if (checked !== config) return; // a newer config was adopted meanwhile: its check decides
    unrunnablePrograms = found.map((p) => ({
      path: formatJsonPath(p.jsonPath),
      message: p.message,
      severity: p.severity,
    }));
    for (const problem of unrunnablePrograms)
      logger.log(
        problem.severity === 'error' ? 'error' : 'warn',
        `${deps.configPath}: ${problem.path}: ${problem.message}`,
      );
    if (push.listenerCount('app:snapshot') > 0) push.emit('app:snapshot', snapshot());
  };

  const snapshots = () => service.sessions().map((session) => service.upsSnapshot(session));
  const variablesOf = (id: string) => service.session(id)?.variables ?? new Map<string, string>();
  // The Prometheus endpoint (and prom-client) is loaded only once it is turned on.
  let metrics: MetricsEndpoint | null = null;
  // One endpoint even when a config save comes while start() is still loading it.
  let metricsLoading: Promise<MetricsEndpoint> | null = null;
  const applyMetrics = async (settings: Config['metrics']): Promise<void> => {
    if (settings.enabled && !metrics) {
      metricsLoading ??= import('../metrics/metrics-endpoint').then(
        ({ MetricsEndpoint }) =>
          new MetricsEndpoint({
            clock,
            logger,
            snapshots,
            variables: variablesOf,
            alertStatus: () => alerts.status(),
            recordProblem: (message) => recordSystem('METRICS_ENDPOINT', 'critical', message),
          }),
      );
      metrics = await metricsLoading;
    }
    if (metrics) for (const count of uncounted.splice(0)) count(metrics);
    await metrics?.apply(settings);
  };
  // The monitor and the alerts start while the endpoint's module loads (LOGIN first): what they
  // count meanwhile waits here.
  const uncounted: ((endpoint: MetricsEndpoint) => void)[] = [];
  const countInMetrics = (count: (endpoint: MetricsEndpoint) => void): void => {
    if (metrics) count(metrics);
    else if (config.metrics.enabled) uncounted.push(count);
  };
  service.on('event', (event: StoredEvent) => countInMetrics((m) => m.countEvent(event)));

  const alerts = new AlertService(config, {
    clock,
    logger,
    history,
    secrets: deps.secrets,
    rememberSecret: (value) => knownSecrets.add(value),
    snapshots,
    onAttempt: (channel, ok) => countInMetrics((m) => m.countAttempt(channel, ok)),
    recordEvent: (event) => {
      history.appendEvent(event);
      push.emit('events:appended', event);
    },
    factories: {
      mqtt: mqttFactory({ logger, stateDir: deps.dataDir, variables: variablesOf }),
      ...deps.channelFactories,
    },
  });
  service.on('event', (event: StoredEvent) => alerts.onMonitorEvent(event));
  let alertReadingsTimer: ReturnType<Clock['setTimeout']> | null = null;
  service.on('changed', () => {
    if (alertReadingsTimer || config.alerts.channels.length === 0) return;
    alertReadingsTimer = clock.setTimeout(() => {
      alertReadingsTimer = null;
      alerts.onChanged();
    }, ALERT_READINGS_THROTTLE_MS);
  });

  // Snapshot pushes are throttled: a burst of state changes becomes one update. Every status
  // poll changes the view (its age), so without a subscriber (the headless agent) none is built.
  let snapshotTimer: ReturnType<Clock['setTimeout']> | null = null;
  service.on('changed', () => {
    if (snapshotTimer || push.listenerCount('app:snapshot') === 0) return;
    snapshotTimer = clock.setTimeout(() => {
      snapshotTimer = null;
      push.emit('app:snapshot', snapshot());
    }, SNAPSHOT_THROTTLE_MS);
  });
  service.on('event', (event: StoredEvent) => push.emit('events:appended', event));

  const recordSystem = (type: string, severity: StoredEvent['severity'], message: string) => {
    const event: StoredEvent = {
      at: clock.now(),
      monitorId: '*',
      kind: 'system',
      type,
      severity,
      message,
    };
    history.appendEvent(event);
    push.emit('events:appended', event);
  };
  if (historyProblem) recordSystem('HISTORY_LOCKED', 'warning', historyProblem);
  if (configProblem)
    recordSystem(
      'CONFIG_INVALID',
      'critical',
      `The config file could not be loaded; nothing is monitored until it is fixed. ${configProblem}`,
    );

  const storedPasswords = async (): Promise<string[]> => {
    if (!deps.secrets) return [];
    const stored: string[] = [];
    for (const master of config.masters) {
      for (const ups of master.ups) {
        if (
          ups.password.source === 'store' &&
          (await deps.secrets.get(passwordKey(master.id, ups.name))) !== undefined
        )
          stored.push(`${master.id}/${ups.name}`);
      }
    }
    return stored;
  };

  /** The last applied import, until it is undone (config:undo-import). */
  let lastImport: ImportUndoRecord | null = null;

  const persist = async (next: Config): Promise<void> => {
    await saveConfig(deps.configPath, next, { secretValues: [...knownSecrets] });
    // A later save is not undone by an import undo: the import can no longer be undone alone.
    lastImport = null;
    await adopt(next);
  };

  /** Runs with `next`, already on disk (saved, or restored by an import undo). */
  const adopt = async (next: Config): Promise<void> => {
    const historyToggled = next.history.enabled !== config.history.enabled;
    config = next;
    configProblem = null;
    if (historyToggled)
      recordSystem(
        'HISTORY_RESTART_NEEDED',
        'info',
        next.history.enabled === historyEnabled
          ? `History is ${historyEnabled ? 'on' : 'off'} again, as it runs now: nothing changes.`
          : next.history.enabled
            ? 'History was turned on: it starts recording to its file at the next start of NUT Sentinel.'
            : 'History was turned off: it stops using its file at the next start of NUT Sentinel (until then it keeps recording).',
      );
    history.setLimits({
      retentionDays: next.history.retentionDays,
      maxEvents: next.history.maxEvents,
    });
    // Metrics first, so that the events the new config causes are counted.
    await applyMetrics(next.metrics);
    service.applyConfig(next);
    alerts.applyConfig(next);
    alerts.onChanged();
    await checkPrograms(next);
  };

  const requireSession = (id: string) => {
    const session = service.session(id);
    if (!session)
      throw new ApiRequestError({
        code: 'UNKNOWN-MONITOR',
        message: `No monitored UPS ${id}.`,
        fix: 'Reload the dashboard: the configuration changed.',
      });
    return session;
  };

  const descriptions = new Map<string, Map<string, string>>();

  // The guarded FSD test (main/fsd-test): its own handlers, delegating everything.
  const fsdTest = createFsdTest({
    config: () => config,
    session: (id) => service.session(id),
    onMonitorEvent: (listener) => {
      service.on('event', listener);
      return () => service.off('event', listener);
    },
    history,
    recordEvent: (event) => {
      history.appendEvent(event);
      push.emit('events:appended', event);
    },
    secrets: deps.secrets,
    rememberSecret: (value) => knownSecrets.add(value),
    knownSecrets: () => [...knownSecrets],
    connect,
    runner,
    clock,
    logger,
    reverseLookup: (address) => reverseDns.lookup(address),
    push: (view) => push.emit('fsd:progress', view),
  });

  // Instant commands, writable settings and scheduled self-tests (main/ups-commands).
  const upsCommands = createUpsCommands({
    config: () => config,
    secrets: deps.secrets,
    rememberSecret: (value) => knownSecrets.add(value),
    connect,
    recordEvent: (event) => {
      history.appendEvent(event);
      push.emit('events:appended', event);
    },
    snapshot: (id) => {
      const session = service.session(id);
      return session ? service.upsSnapshot(session) : undefined;
    },
    history,
    clock,
    logger,
  });

  // Outage records and battery health (main/outages): fed from the monitor's readings and events.
  const outages = createOutages({
    clock,
    logger,
    history,
    config: () => config,
    readings: (monitorId) => {
      const now = clock.now();
      const sessions = monitorId
        ? [service.session(monitorId)].filter((s) => s !== undefined)
        : service.sessions();
      return sessions.map((session) => ({
        monitorId: session.monitorId,
        readable: !isStale(
          { statusAt: session.statusAt, view: session.view, timing: config.timing },
          now,
        ),
        status: session.view.status,
        statusAt: session.statusAt,
        variables: session.variables,
        variablesAt: session.variablesAt,
        clients:
          session.clients?.addresses?.map((address) => ({
            address,
            hostname: session.hostnameOf(address),
          })) ?? null,
      }));
    },
    predict: (monitorId) => {
      const session = service.session(monitorId);
      if (!session) return null;
      const result = whatIf(
        whatIfInput({
          config,
          ups: service.upsSnapshot(session),
          variables: session.variables,
          reports: history.listFsdReports(monitorId, 100),
          request: {},
          at: clock.now(),
        }),
      );
      return {
        verdict: result.verdict,
        headline: result.headline,
        lowBatteryAtSeconds: result.lowBatteryAt,
        secondariesDownAtSeconds: result.secondariesDownAt,
        emptyAtSeconds: result.emptyAt,
        marginSeconds: result.marginSeconds,
      };
    },
    recordEvent: (event) => {
      history.appendEvent(event);
      push.emit('events:appended', event);
      alerts.onMonitorEvent(event);
    },
    notifier: policy,
    onReminder: () => service.emit('changed'),
  });
  service.on('changed', (session?: UpsSession) => outages.service.onChanged(session?.monitorId));
  service.on('event', (event: StoredEvent) => outages.service.onEvent(event));

  const handlers: ApiHandlers = {
    ...fsdTest.handlers,
    ...upsCommands.handlers,
    ...outages.handlers,

    'ups:get-what-if': (request) => {
      const session = requireSession(request.monitorId);
      return Promise.resolve(
        whatIf(
          whatIfInput({
            config,
            ups: service.upsSnapshot(session),
            variables: session.variables,
            reports: history.listFsdReports(request.monitorId, 100),
            request,
            at: clock.now(),
          }),
        ),
      );
    },

    // The front ends (desktop app, `web`) answer these through main/control's attaching core,
    // and the service's control channel answers `service:status` itself: a bare core only
    // says that it monitors on its own.
    'service:status': () => Promise.resolve(standaloneServiceStatus()),
    'service:install': () =>
      Promise.reject(
        new ApiRequestError({
          code: 'SERVICE-INSTALL-UNAVAILABLE',
          message: 'This NUT Sentinel process cannot install the background service.',
          fix: 'Run `sudo nut-sentinel service install` in a terminal, or use Settings in the desktop app.',
        }),
      ),

    'app:get-snapshot': () => Promise.resolve(snapshot()),

    'ups:get-variables': async ({ monitorId }) => {
      const session = requireSession(monitorId);
      const { host, port, tls, ups, timing } = session.settings;
      let known = descriptions.get(monitorId);
      let writable = new Set<string>();
      // Descriptions and RW flags come from a short read-only connection (no login), cached per UPS.
      const client = await connect({
        host,
        port,
        tls,
        connectTimeoutMs: timing.connectTimeoutSeconds * 1000,
        requestTimeoutMs: timing.requestTimeoutSeconds * 1000,
        keepAliveIntervalMs: 0,
      }).catch(() => null);
      const variables =
        session.variables.size > 0
          ? session.variables
          : ((await client?.listVar(ups.name).catch(() => null)) ?? new Map<string, string>());
      if (client) {
        try {
          writable = new Set(
            (await client.listRw(ups.name).catch(() => new Map<string, string>())).keys(),
          );
          if (!known) {
            // Bounded fan-out (main/nut/limits.ts): a LIST VAR of thousands of names is not thousands of requests.
            known = await client
              .getDescriptions(ups.name, [...variables.keys()])
              .catch(() => undefined);
            if (known) descriptions.set(monitorId, known);
          }
        } finally {
          await client.close();
        }
      }
      return [...variables.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({
          name,
          value,
          description: known?.get(name) ?? null,
          writable: writable.has(name),
        }));
    },

    'events:query': (query) => Promise.resolve(history.queryEvents(query)),
    'history:query-samples': (query) => Promise.resolve(history.querySamples(query)),

    'config:get': async () => ({
      config,
      storedPasswords: await storedPasswords(),
      path: deps.configPath,
      ...(lastImport ? { lastImport: { summary: lastImport.summary, at: lastImport.at } } : {}),
    }),

    'config:save': async ({ config: candidate }) => {
      const result = validateConfig(candidate);
      if (!result.ok)
        return {
          ok: false as const,
          issues: result.issues.map(({ path: p, message }) => ({ path: p.join('.'), message })),
        };
      try {
        await persist(result.config);
      } catch (error) {
        if (error instanceof ConfigError) return { ok: false as const, issues: error.toIssues() };
        throw error;
      }
      recordSystem('CONFIG_SAVED', 'info', 'Settings saved.');
      return { ok: true as const };
    },

    'config:test-connection': async (request) => {
      let password = request.password;
      const master = config.masters.find((m) => m.id === request.masterId);
      if (password === undefined && request.masterId) {
        // A stored password only ever goes to the server it was saved for: otherwise anyone who
        // can make this request could have it sent to a server of their choosing.
        if (!master || !sameServer(master, request)) {
          throw new ApiRequestError({
            code: 'PASSWORD-REQUIRED',
            message: `The stored password of ${master ? `“${master.label}”` : request.masterId} is only sent to its saved server (${master ? `${master.host}:${master.port} with its TLS settings` : 'none is saved'}); this test names a different one.`,
            fix: 'Type the password for this test, or save the new host, port and TLS settings first.',
          });
        }
        if (deps.secrets)
          password = await deps.secrets.get(passwordKey(request.masterId, request.upsName));
      }
      return testConnection(request, password, {
        connect,
        ...(master ? { preset: master.preset } : {}),
      });
    },

    'discovery:find-masters': (request) => findMasters(request, { ...deps.discovery, connect }),

    'config:import-upsmon': async ({ upsmonConf, upsschedConf, apply, choices, planDigest }) => {
      const imported = await importUpsmonConfInSlices({
        upsmonConf,
        ...(upsschedConf !== undefined ? { upsschedConf } : {}),
      });
      if (!imported.ok)
        return {
          ok: false,
          report: imported.report,
          config: imported.config,
          plan: null,
          undoAvailable: false,
        };
      const planned = planImport({
        current: config,
        imported,
        ...(choices ? { choices } : {}),
        programProblems: await programProblems(
          importedPrograms(imported.settings).map((p) => p.file),
        ),
      });
      const answer = {
        ok: true,
        report: imported.report,
        config: planned.config,
        plan: planned.plan,
      };
      if (!apply) return { ...answer, undoAvailable: false };
      if (planDigest !== undefined && planDigest !== planned.plan.digest)
        throw new ApiRequestError({
          code: 'PLAN-CHANGED',
          message:
            'The import would now change something else than the preview showed (the configuration or the files changed since); nothing was applied.',
          fix: 'Preview again, check the plan, then apply.',
        });
      if (planned.secrets.length > 0 && !deps.secrets) {
        throw new ApiRequestError({
          code: 'NO-SECRET-STORE',
          message: 'The imported passwords cannot be stored here.',
          fix: 'Import in the desktop app, or give the agent the passwords through env/file password sources.',
        });
      }
      const before = await snapshotFile(deps.configPath);
      const previousSecrets = deps.secrets
        ? await secretsBefore(
            deps.secrets,
            planned.secrets.map((s) => s.key),
          )
        : [];
      try {
        for (const secret of planned.secrets) {
          await deps.secrets!.set(secret.key, secret.value);
          knownSecrets.add(secret.value);
        }
        await persist(planned.config);
      } catch (error) {
        // Not applied: the store goes back to how it was, like the file (never written).
        for (const { key, previous } of previousSecrets)
          await (
            previous === undefined ? deps.secrets!.delete(key) : deps.secrets!.set(key, previous)
          ).catch(() => undefined);
        throw error;
      }
      const after = await snapshotFile(deps.configPath);
      lastImport = after && {
        configPath: deps.configPath,
        before,
        after: after.bytes,
        secrets: previousSecrets,
        summary: planned.plan.summary,
        at: clock.now(),
      };
      recordSystem(
        'CONFIG_IMPORTED',
        'info',
        `Imported upsmon.conf${upsschedConf ? ' and upssched.conf' : ''}: ${planned.plan.summary}.`,
      );
      return { ...answer, undoAvailable: lastImport !== null };
    },

    'config:undo-import': async () => {
      const record = lastImport;
      if (!record)
        throw new ApiRequestError({
          code: 'NOTHING-TO-UNDO',
          message:
            'There is no import to undo: none was applied since NUT Sentinel started, it was undone already, or the configuration was saved since.',
          fix: 'Undo is offered right after an import, until NUT Sentinel restarts; change the settings by hand otherwise.',
        });
      await undoImport(record, deps.secrets);
      lastImport = null;
      await adopt((await loadConfig(deps.configPath)).config);
      const summary = `Restored the configuration from before the import (${record.summary}).`;
      recordSystem('CONFIG_IMPORT_UNDONE', 'info', summary);
      return { ok: true as const, summary };
    },

    'secrets:set-password': async ({ masterId, upsName, password }) => {
      if (!deps.secrets) {
        throw new ApiRequestError({
          code: 'NO-SECRET-STORE',
          message: 'There is no secret store in headless mode.',
          fix: 'Use an env or file password source in the config file.',
        });
      }
      await deps.secrets.set(passwordKey(masterId, upsName), password);
      knownSecrets.add(password);
      // Reconnect so the new password is used now, not at the next retry.
      service.session(`${masterId}/${upsName}`)?.restart();
      return { ok: true as const };
    },

    'monitor:acknowledge-shutdown': ({ monitorId }) => {
      requireSession(monitorId).acknowledgeEpisode();
      recordSystem(
        'SHUTDOWN_ACKNOWLEDGED',
        'info',
        `Shutdown episode on ${monitorId} acknowledged: monitoring re-armed.`,
      );
      return Promise.resolve({ ok: true as const });
    },

    'monitor:latched-fsd-choice': ({ monitorId, choice }) => {
      requireSession(monitorId).latchedFsdChoice(choice);
      recordSystem(
        'LATCHED_FSD_CHOICE',
        'warning',
        `Latched FSD on ${monitorId}: the operator chose to ${choice === 'obey' ? 'obey it (shut down)' : 'ignore it while on line'}.`,
      );
      return Promise.resolve({ ok: true as const });
    },

    'notifications:recent': () => Promise.resolve(recorder.list()),

    'alerts:status': () => Promise.resolve(alerts.status()),
    'alerts:test': ({ channelId }) => alerts.test(channelId),
    'secrets:set-channel-secret': async ({ channelId, field, value }) => {
      if (!deps.secrets) {
        throw new ApiRequestError({
          code: 'NO-SECRET-STORE',
          message: 'There is no secret store here.',
          fix: `Use an env or file source for "${field}" in the config file.`,
        });
      }
      await deps.secrets.set(channelSecretKey(channelId, field), value);
      knownSecrets.add(value);
      alerts.secretChanged(channelId);
      alerts.onChanged();
      return { ok: true as const };
    },

    'notifications:set-paused': async ({ paused }) => {
      await persist({ ...config, notifications: { ...config.notifications, paused } });
      return { paused };
    },
  };

  let pruneTimer: ReturnType<Clock['setTimeout']> | null = null;
  const schedulePrune = () => {
    pruneTimer = clock.setTimeout(() => {
      history.prune();
      schedulePrune();
    }, PRUNE_EVERY_MS);
  };
  const unsubscribePower: (() => void)[] = [];
  let stopped = false;

  const core: ConfigFileCore = {
    handlers,
    onPush<P extends PushChannel>(channel: P, listener: (payload: PushOf<P>) => void) {
      push.on(channel, listener);
      return () => push.off(channel, listener);
    },
    snapshot,
    async reloadConfigFile() {
      const result = await reloadConfig(deps.configPath, config);
      if (!result.applied) {
        const message = `${result.error.message}\nThe running configuration stays in effect.`;
        recordSystem('CONFIG_RELOAD_FAILED', 'warning', message);
        return { applied: false, message };
      }
      // The file changed under a pending import undo: restoring it now would undo more.
      lastImport = null;
      await adopt(result.loaded.config);
      const message = `Reloaded ${deps.configPath}.`;
      recordSystem('CONFIG_RELOADED', 'info', message);
      return { applied: true, message };
    },
    async start() {
      recordSystem(
        'APP_START',
        'info',
        `NUT Sentinel ${deps.appVersion ?? ''} started`.replace('  ', ' '),
      );
      if (deps.powerMonitor) {
        unsubscribePower.push(
          deps.powerMonitor.onSuspend(() => {
            recordSystem('SUSPEND', 'info', 'The computer is going to sleep: monitoring paused.');
            service.suspend();
          }),
          deps.powerMonitor.onResume(() => {
            recordSystem(
              'RESUME',
              'info',
              'The computer woke up: readings discarded, reconnecting.',
            );
            service.resume();
          }),
        );
      }
      // Sessions first: loading prom-client and listening must not delay the first LOGIN.
      service.start();
      const programsChecked = checkPrograms(config);
      const metricsReady = applyMetrics(config.metrics);
      alerts.start();
      upsCommands.start();
      outages.service.start();
      schedulePrune();
      await Promise.all([metricsReady, programsChecked]);
    },
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      for (const off of unsubscribePower.splice(0)) off();
      if (pruneTimer) clock.clearTimeout(pruneTimer);
      if (snapshotTimer) clock.clearTimeout(snapshotTimer);
      // With a deadline every wait below shares it; whatever is late is left behind, so the
      // history below is always closed (a master that never answers LOGOUT cannot hang a quit).
      const deadline = deadlineFrom(options.deadlineMs);
      const late: string[] = [];
      const step = async (name: string, work: () => Promise<unknown>): Promise<void> => {
        const left = deadline.left();
        if (left === undefined) await work();
        else if (!(await settlesWithin(work(), left, options.signal))) late.push(name);
      };
      await step('the FSD test', () => fsdTest.stop());
      await step('UPS commands', () => upsCommands.stop());
      const left = deadline.left();
      let dropped: string[] = [];
      await step('the masters', async () => {
        dropped = await service.stop(
          left === undefined
            ? {}
            : {
                deadlineMs: Math.max(0, left - STOP_MARGIN_MS),
                ...(options.signal ? { signal: options.signal } : {}),
              },
        );
      });
      outages.service.stop();
      if (alertReadingsTimer) clock.clearTimeout(alertReadingsTimer);
      await step('alert deliveries', () =>
        alerts.stop(Math.min(ALERT_STOP_FLUSH_MS, deadline.left() ?? ALERT_STOP_FLUSH_MS)),
      );
      await step('metrics', async () => metrics?.close());
      if (late.length > 0) logger.log('warn', 'stopped without waiting for everything', { late });
      const unanswered =
        dropped.length > 0 ? ` ${dropped.join(', ')} did not answer LOGOUT in time.` : '';
      recordSystem(
        'APP_STOP',
        late.length > 0 || dropped.length > 0 ? 'warning' : 'info',
        late.length > 0
          ? `Monitoring stopped without waiting for ${late.join(', ')} (the stop deadline passed).${unanswered}`
          : dropped.length > 0
            ? `Monitoring stopped; closed the connections without LOGOUT:${unanswered}`
            : 'Monitoring stopped (logged out of every master).',
      );
      policy.dispose();
      history.close();
    },
  };
  return core;
}
