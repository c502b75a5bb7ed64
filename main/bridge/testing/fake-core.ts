/**
 * TEST DOUBLE — not product code. A CoreService with in-memory state and invented readings, used
 * only by the bridge tests and by the renderer's development screenshots while the real core
 * (main/core/app-core.ts) is being built. It implements the contract honestly: every response
 * satisfies the shared zod schemas, config:save validates with the real ConfigSchema, and pushes
 * go through onPush exactly as the real core's do. It never opens a socket or runs a program.
 */
import {
  type Config,
  ConfigSchema,
  type Master,
  type MonitoredUps,
  monitorId as makeMonitorId,
  upsSystemName,
} from '../../../shared/config';
import type { DiscoveryResult } from '../../../shared/discovery';
import {
  type EventQuery,
  EventQuerySchema,
  type MetricSample,
  type SampleQuery,
  SampleQuerySchema,
  type StoredEvent,
  sampleBucketMs,
} from '../../../shared/history';
import {
  DEFAULT_MASTER_HOSTSYNC_SECONDS,
  type FsdPreflight,
  type FsdPreflightRequest,
  FsdPreflightRequestSchema,
  type FsdRunView,
} from '../../../shared/fsd-test';
import type {
  ApiHandlers,
  ConnectionTestResult,
  PushChannel,
  PushOf,
  ResponseOf,
} from '../../../shared/ipc';
import {
  type AppSnapshot,
  type Diagnosis,
  type ServerIdentity,
  type UpsSnapshot,
  upsTrayLevel,
  worstTrayLevel,
} from '../../../shared/snapshot';
import type { CoreService } from '../../core/core-service';
import { describeShutdownRule } from '../../monitor/snapshot';

export type FakeScenario = 'showcase' | 'empty' | 'shutdown';

export interface FakeCoreOptions {
  scenario?: FakeScenario;
  /** Tick readings every second and push snapshots (dev server). Tests leave it off. */
  live?: boolean;
  now?: () => number;
}

type Listener = (payload: unknown) => void;

interface UpsSim {
  connection: UpsSnapshot['connection'];
  status: string | null;
  level: UpsSnapshot['level'];
  statusText: string;
  metrics: UpsSnapshot['metrics'];
  statusAt: number | null;
  variablesAt: number | null;
  stale: boolean;
  lastError: Diagnosis | null;
  server: ServerIdentity;
  clients: {
    list: { address: string; hostname: string | null; isThisMachine: boolean }[] | null;
    numLogins: number | null;
    at: number | null;
  };
  shutdown: UpsSnapshot['shutdown'];
  fsdLatchedAtStart: boolean;
  critical: boolean;
  criticalReason: string | null;
  unknownTokens: string[];
  /** Frozen while lost: readings stop moving. */
  live: boolean;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const SYNOLOGY: ServerIdentity = {
  kind: 'synology',
  version: 'Network UPS Tools upsd DSM7-2-1-69057-workplus',
  protocol: '1.2',
};
const PROXMOX: ServerIdentity = {
  kind: 'proxmox',
  version: 'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/',
  protocol: '1.3',
};
const PLAIN_NUT: ServerIdentity = {
  kind: 'nut',
  version: 'Network UPS Tools upsd 2.7.4 - http://www.networkupstools.org/',
  protocol: '1.2',
};

function showcaseConfig(): Config {
  return ConfigSchema.parse({
    masters: [
      {
        id: 'nas',
        label: 'DiskStation',
        preset: 'synology',
        host: 'diskstation.home.arpa',
        ups: [
          {
            name: 'ups',
            username: 'monuser',
            role: 'secondary',
            expectedClients: ['pve.home.arpa'],
          },
        ],
      },
      {
        id: 'pve',
        label: 'Proxmox rack',
        preset: 'proxmox',
        host: 'pve.home.arpa',
        ups: [
          {
            name: 'eaton',
            username: 'upsmonclient',
            role: 'secondary',
            expectedClients: ['192.168.1.20', '192.168.1.40'],
          },
        ],
      },
      {
        id: 'garage',
        label: 'Garage Pi',
        preset: 'generic',
        host: 'garage-pi.home.arpa',
        ups: [
          { name: 'cyberpower', username: '', role: 'monitor-only', password: { source: 'none' } },
        ],
      },
      {
        id: 'lab',
        label: 'Lab server',
        preset: 'generic',
        host: 'lab.home.arpa',
        port: 3494,
        ups: [{ name: 'apc', username: 'upsmon', role: 'secondary' }],
      },
    ],
    hooks: {
      events: {
        ONBATT: { notify: true, exec: true },
        ONLINE: { notify: true, exec: true },
        LOWBATT: { notify: true, exec: true },
      },
      notifyCommand: { file: '/usr/local/bin/ups-notify', args: ['--channel', 'homelab'] },
      eventHooks: [
        {
          events: ['ONBATT'],
          ups: '*',
          command: { file: '/usr/local/bin/pause-backups', args: [] },
          timeoutSeconds: 30,
        },
      ],
      upssched: {
        cmdScript: { file: '/usr/local/bin/upssched-cmd', args: [] },
        rules: [
          { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'onbatt', seconds: 120 },
          { event: 'ONLINE', ups: '*', action: 'CANCEL-TIMER', timer: 'onbatt' },
        ],
      },
    },
  });
}

export class FakeCore implements CoreService {
  readonly handlers: ApiHandlers;
  private readonly listeners = new Map<PushChannel, Set<Listener>>();
  private config: Config;
  private readonly sims = new Map<string, UpsSim>();
  private readonly secrets = new Map<string, string>();
  private readonly events: StoredEvent[] = [];
  private readonly notifications: ResponseOf<'notifications:recent'> = [];
  private nextEventId = 1;
  /** Set by tests to simulate a config file the core could not load. */
  configProblem: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly now: () => number;
  private readonly live: boolean;
  private readonly startedAt: number;
  /** Calls per channel, for tests. */
  readonly calls: { channel: string; request: unknown }[] = [];

  constructor(options: FakeCoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.live = options.live ?? false;
    this.startedAt = this.now();
    const scenario = options.scenario ?? 'showcase';
    this.config = scenario === 'empty' ? ConfigSchema.parse({}) : showcaseConfig();
    if (scenario !== 'empty') this.seedShowcase(scenario);
    this.handlers = this.makeHandlers();
  }

  // ---- CoreService ------------------------------------------------------------------------------

  onPush<P extends PushChannel>(channel: P, listener: (payload: PushOf<P>) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    const wrapped = listener as Listener;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  snapshot(): AppSnapshot {
    const ups: UpsSnapshot[] = [];
    for (const master of this.config.masters) {
      for (const entry of master.ups) {
        const id = makeMonitorId(master.id, entry.name);
        const sim = this.sims.get(id) ?? this.newSim();
        if (!this.sims.has(id)) this.sims.set(id, sim);
        ups.push(this.toSnapshot(master, entry, sim));
      }
    }
    return {
      ups,
      tray: trayOf(ups),
      notificationsPaused: this.config.notifications.paused,
      configProblem: this.configProblem,
      at: this.now(),
    };
  }

  start(): Promise<void> {
    if (this.live && !this.timer) {
      this.timer = setInterval(() => this.tick(), 1000);
      this.timer.unref?.();
    }
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return Promise.resolve();
  }

  // ---- Test helpers ---------------------------------------------------------------------------

  /** Emit a push exactly as the real core would. */
  emit<P extends PushChannel>(channel: P, payload: PushOf<P>): void {
    for (const listener of this.listeners.get(channel) ?? [])
      (listener as (p: PushOf<P>) => void)(payload);
  }

  /** Change one simulated UPS and push the new snapshot. */
  update(monitorId: string, change: Partial<UpsSim>): void {
    const sim = this.sims.get(monitorId);
    if (!sim) throw new Error(`fake core: no UPS ${monitorId}`);
    Object.assign(sim, change);
    this.emit('app:snapshot', this.snapshot());
  }

  /** Append an event (and push it). */
  addEvent(event: Omit<StoredEvent, 'id'>): StoredEvent {
    const stored = { ...event, id: this.nextEventId++ };
    this.events.push(stored);
    this.emit('events:appended', stored);
    return stored;
  }

  listenerCount(channel: PushChannel): number {
    return this.listeners.get(channel)?.size ?? 0;
  }

  // ---- Simulation -----------------------------------------------------------------------------

  private newSim(): UpsSim {
    return {
      connection: 'connecting',
      status: null,
      level: 'unknown',
      statusText: 'Connecting…',
      metrics: { charge: null, runtime: null, load: null, inputVoltage: null, outputVoltage: null },
      statusAt: null,
      variablesAt: null,
      stale: false,
      lastError: null,
      server: { kind: 'unknown', version: null, protocol: null },
      clients: { list: null, numLogins: null, at: null },
      shutdown: {
        phase: 'none',
        deadline: null,
        dryRun: this.config.shutdown.dryRun,
        rehearsedAt: null,
        commandOk: null,
      },
      fsdLatchedAtStart: false,
      critical: false,
      criticalReason: null,
      unknownTokens: [],
      live: true,
    };
  }

  private seedShowcase(scenario: FakeScenario): void {
    const now = this.now();
    const online = (
      server: ServerIdentity,
      charge: number,
      runtime: number,
      load: number,
    ): UpsSim => ({
      ...this.newSim(),
      connection: 'connected',
      status: 'OL',
      level: 'online',
      statusText: 'On line power',
      metrics: { charge, runtime, load, inputVoltage: 231.2, outputVoltage: 230.4 },
      statusAt: now - 400,
      variablesAt: now - 2_100,
      server,
    });
    this.sims.set('nas/ups', {
      ...online(SYNOLOGY, 100, 2843, 23),
      clients: { list: null, numLogins: 3, at: now - 20_000 },
    });
    this.sims.set('pve/eaton', {
      ...online(PROXMOX, 64, 1380, 41),
      status: 'OB DISCHRG',
      level: 'on-battery',
      statusText: 'On battery, discharging',
      metrics: { charge: 64, runtime: 1380, load: 41, inputVoltage: 0, outputVoltage: 229.8 },
      clients: {
        list: [
          { address: '127.0.0.1', hostname: 'localhost', isThisMachine: false },
          { address: '192.168.1.20', hostname: 'workstation.home.arpa', isThisMachine: true },
          { address: '192.168.1.31', hostname: 'nas-backup.home.arpa', isThisMachine: false },
        ],
        numLogins: 3,
        at: now - 8_000,
      },
    });
    this.sims.set('garage/cyberpower', {
      ...online(PLAIN_NUT, 97, 3120, 12),
      connection: 'lost',
      level: 'comm-lost',
      statusText: 'On line power',
      statusAt: now - 3 * MIN - 12_000,
      variablesAt: now - 3 * MIN - 14_000,
      stale: true,
      live: false,
      lastError: {
        code: 'timeout',
        explanation: 'garage-pi.home.arpa:3493 stopped answering (no reply within 5 s).',
        fix: 'Check that the Pi is powered and on the network. If a firewall sits between, allow tcp/3493. Readings resume on their own when it answers again.',
      },
    });
    this.sims.set('lab/apc', {
      ...online(PLAIN_NUT, 100, 5400, 8),
      connection: 'login-refused',
      lastError: {
        code: 'ACCESS-DENIED',
        explanation:
          'lab.home.arpa refused LOGIN for user "upsmon": the user/password pair is wrong or the user has no "upsmon secondary" line, so the master does not count this machine and will not wait for it before cutting power.',
        fix: 'In /etc/nut/upsd.users on the master, give the user `password = …` and `upsmon secondary`, restart upsd, then store the same password here (Settings → Masters → Lab server).',
      },
      clients: { list: null, numLogins: 1, at: now - 30_000 },
    });
    if (scenario === 'shutdown') {
      Object.assign(this.sims.get('pve/eaton')!, {
        status: 'OB LB',
        level: 'low-battery',
        statusText: 'On battery, low battery',
        critical: true,
        criticalReason: 'On battery with low battery (OB LB) — the master set FSD.',
        metrics: { charge: 18, runtime: 240, load: 44, inputVoltage: 0, outputVoltage: 229.1 },
        shutdown: {
          phase: 'waiting-hostsync',
          deadline: now + 45_000,
          dryRun: true,
          rehearsedAt: null,
          commandOk: null,
        },
      } satisfies Partial<UpsSim>);
    }
    for (const [id, sim] of this.sims) {
      const [masterId, upsName] = id.split('/') as [string, string];
      if (sim.connection !== 'login-refused' && sim.connection !== 'unreachable')
        this.secrets.set(`${masterId}/${upsName}`, 'stored');
    }
    this.seedEvents(now);
  }

  private seedEvents(now: number): void {
    const add = (
      ago: number,
      monitorId: string,
      kind: StoredEvent['kind'],
      type: string,
      severity: StoredEvent['severity'],
      message: string,
      data?: Record<string, unknown>,
    ) => {
      this.events.push({
        id: this.nextEventId++,
        at: now - ago,
        monitorId,
        kind,
        type,
        severity,
        message,
        ...(data ? { data } : {}),
      });
    };
    add(
      6 * DAY + 2 * HOUR,
      '*',
      'system',
      'app-start',
      'info',
      'NUT Sentinel started (4 UPSes on 4 masters).',
    );
    add(
      6 * DAY + 2 * HOUR - 2_000,
      'nas/ups',
      'system',
      'login',
      'info',
      'Logged in to ups@diskstation.home.arpa as monuser (secondary).',
    );
    add(
      3 * DAY,
      'nas/ups',
      'notify',
      'ONBATT',
      'warning',
      'UPS ups@diskstation.home.arpa on battery',
    );
    add(
      3 * DAY - 1_000,
      'nas/ups',
      'hook',
      'hook-run',
      'info',
      '/usr/local/bin/pause-backups exited 0 after 0.4 s',
      { exitCode: 0, stdout: 'paused 2 jobs\n', stderr: '', durationMs: 412 },
    );
    add(
      3 * DAY - 25 * MIN,
      'nas/ups',
      'notify',
      'ONLINE',
      'info',
      'UPS ups@diskstation.home.arpa on line power',
    );
    add(
      2 * DAY,
      'lab/apc',
      'notify',
      'LOGIN_REFUSED',
      'critical',
      'lab.home.arpa refused LOGIN for upsmon on apc: this machine is not counted as a secondary.',
    );
    add(2 * HOUR, 'pve/eaton', 'notify', 'ONBATT', 'warning', 'UPS eaton@pve.home.arpa on battery');
    add(
      2 * HOUR - 9 * MIN,
      'pve/eaton',
      'notify',
      'ONLINE',
      'info',
      'UPS eaton@pve.home.arpa on line power',
    );
    add(
      5 * HOUR,
      '*',
      'system',
      'suspend',
      'info',
      'This machine went to sleep: readings from before the sleep are not used.',
    );
    add(
      5 * HOUR - 40 * MIN,
      '*',
      'system',
      'resume',
      'info',
      'This machine woke up: reconnecting to every master.',
    );
    add(
      3 * MIN + 12_000,
      'garage/cyberpower',
      'notify',
      'COMMBAD',
      'warning',
      'Communications with UPS cyberpower@garage-pi.home.arpa lost',
    );
    add(25 * MIN, 'pve/eaton', 'notify', 'ONBATT', 'warning', 'UPS eaton@pve.home.arpa on battery');
    add(
      25 * MIN - 800,
      'pve/eaton',
      'hook',
      'hook-run',
      'warning',
      '/usr/local/bin/ups-notify exited 2 after 1.2 s',
      {
        exitCode: 2,
        stdout: '',
        stderr: 'ups-notify: webhook answered 503\n',
        durationMs: 1204,
      },
    );
    add(
      25 * MIN - 1_000,
      'pve/eaton',
      'system',
      'upssched-timer',
      'info',
      'upssched timer "onbatt" started (120 s).',
    );
    add(
      23 * MIN,
      'pve/eaton',
      'system',
      'upssched-timer',
      'info',
      'upssched timer "onbatt" fired: /usr/local/bin/upssched-cmd onbatt exited 0.',
    );
    add(
      90_000,
      'pve/eaton',
      'notify',
      'CLIENT_MISSING',
      'warning',
      'Expected secondary 192.168.1.40 is not logged in to eaton@pve.home.arpa.',
    );
    this.events.sort((a, b) => a.at - b.at);
    this.notifications.push(
      {
        at: now - 25 * MIN,
        key: 'ONBATT:eaton@pve.home.arpa',
        title: 'Proxmox rack: on battery',
        body: 'UPS eaton@pve.home.arpa on battery',
        urgency: 'normal',
        route: '/ups/pve/eaton',
      },
      {
        at: now - 3 * MIN,
        key: 'COMMBAD:cyberpower@garage-pi.home.arpa',
        title: 'Garage Pi: connection lost',
        body: 'Communications with UPS cyberpower@garage-pi.home.arpa lost',
        urgency: 'normal',
        route: '/ups/garage/cyberpower',
      },
    );
  }

  private tick(): void {
    const now = this.now();
    for (const [id, sim] of this.sims) {
      if (sim.connection === 'connecting' && now - this.startedAt > 1500) {
        Object.assign(sim, {
          connection: 'connected',
          status: 'OL',
          level: 'online',
          statusText: 'On line power',
          metrics: { charge: 100, runtime: 3600, load: 15, inputVoltage: 230, outputVoltage: 230 },
          server: PLAIN_NUT,
          clients: { list: null, numLogins: 1, at: now },
        } satisfies Partial<UpsSim>);
      }
      if (!sim.live || (sim.connection !== 'connected' && sim.connection !== 'login-refused'))
        continue;
      sim.statusAt = now - 200;
      if (now - (sim.variablesAt ?? 0) >= 5_000) {
        sim.variablesAt = now;
        const m = sim.metrics;
        if (m.load !== null) m.load = Math.max(1, Math.round(m.load + (wave(id, now) - 0.5) * 2));
        if (sim.level === 'on-battery' && m.runtime !== null && m.charge !== null) {
          m.runtime = Math.max(0, m.runtime - 5);
          m.charge = Math.max(0, Math.round((m.charge - 0.1) * 10) / 10);
        }
        if (m.inputVoltage !== null && m.inputVoltage > 0)
          m.inputVoltage = Math.round((230 + wave(id, now) * 3) * 10) / 10;
      }
    }
    this.emit('app:snapshot', this.snapshot());
  }

  private toSnapshot(master: Master, entry: MonitoredUps, sim: UpsSim): UpsSnapshot {
    const expected = entry.expectedClients;
    const list = sim.clients.list;
    const missingExpected =
      list === null
        ? []
        : expected.filter((host) => !list.some((c) => c.address === host || c.hostname === host));
    return {
      monitorId: makeMonitorId(master.id, entry.name),
      masterId: master.id,
      masterLabel: master.label,
      upsName: entry.name,
      systemName: upsSystemName(master, entry.name),
      role: entry.role,
      connection: sim.connection,
      loggedIn: sim.connection === 'connected' && entry.role === 'secondary',
      status: sim.status,
      statusText: sim.statusText,
      level: sim.level,
      unknownTokens: sim.unknownTokens,
      critical: sim.critical,
      criticalReason: sim.criticalReason,
      shutdown: sim.shutdown,
      onBatterySince:
        sim.level === 'on-battery' || sim.level === 'low-battery'
          ? (sim.statusAt ?? Date.now()) - 120_000
          : null,
      rule: describeShutdownRule({
        role: entry.role,
        powerValue: entry.powerValue,
        hostSyncSeconds: this.config.timing.hostSyncSeconds,
        finalDelaySeconds: this.config.timing.finalDelaySeconds,
        command: this.config.shutdown.command
          ? [this.config.shutdown.command.file, ...this.config.shutdown.command.args].join(' ')
          : '/sbin/shutdown -h +0',
        dryRun: this.config.shutdown.dryRun,
        minSupplies: this.config.shutdown.minSupplies,
        otherSupplies: 0,
      }),
      fsdLatchedAtStart: sim.fsdLatchedAtStart,
      metrics: { ...sim.metrics },
      statusAt: sim.statusAt,
      variablesAt: sim.variablesAt,
      stale: sim.stale,
      lastError: sim.lastError,
      server: sim.server,
      tls: {
        mode: master.tls.mode,
        link:
          sim.level === 'comm-lost' ? null : master.tls.mode === 'off' ? 'plaintext' : 'encrypted',
        protocol: master.tls.mode === 'off' ? null : 'TLSv1.3',
        declinedCode: null,
      },
      clients: { list, numLogins: sim.clients.numLogins, missingExpected, at: sim.clients.at },
    };
  }

  // ---- Handlers -------------------------------------------------------------------------------

  private makeHandlers(): ApiHandlers {
    const record = (channel: string, request: unknown) => this.calls.push({ channel, request });
    return {
      'app:get-snapshot': (request) => {
        record('app:get-snapshot', request);
        return Promise.resolve(this.snapshot());
      },
      'ups:get-variables': (request) => {
        record('ups:get-variables', request);
        const snap = this.snapshot().ups.find((u) => u.monitorId === request.monitorId);
        if (!snap)
          return Promise.reject(
            Object.assign(new Error('unknown UPS'), {
              code: 'UNKNOWN-UPS',
              explanation: `No monitored UPS is called ${request.monitorId}.`,
              fix: 'Pick a UPS from the dashboard.',
            }),
          );
        if (snap.connection === 'lost' || snap.connection === 'unreachable') {
          return Promise.reject(
            Object.assign(new Error('not connected'), {
              code: 'NOT-CONNECTED',
              explanation: `${snap.systemName} is not reachable right now, so its variables cannot be read.`,
              fix: 'The dashboard shows the last known readings; variables come back when the master answers again.',
            }),
          );
        }
        return Promise.resolve(variablesFor(snap));
      },
      'events:query': (request) => {
        record('events:query', request);
        return Promise.resolve(queryEvents(this.events, request));
      },
      'history:query-samples': (request) => {
        record('history:query-samples', request);
        return Promise.resolve(samplesFor(request, this.now(), this.sims.get(request.monitorId)));
      },
      'config:get': (request) => {
        record('config:get', request);
        return Promise.resolve({
          config: structuredClone(this.config),
          storedPasswords: [...this.secrets.keys()],
          path: '/home/demo/.config/nut-sentinel/config.json',
        });
      },
      'config:save': (request) => {
        record('config:save', request);
        const parsed = ConfigSchema.safeParse(request.config);
        if (!parsed.success) {
          return Promise.resolve({
            ok: false as const,
            issues: parsed.error.issues.map((i) => ({
              path: i.path.join('.'),
              message: i.message,
            })),
          });
        }
        const ids = new Set<string>();
        for (const [index, master] of parsed.data.masters.entries()) {
          if (ids.has(master.id))
            return Promise.resolve({
              ok: false as const,
              issues: [
                {
                  path: `masters.${index}.id`,
                  message: `Another master already uses the id "${master.id}".`,
                },
              ],
            });
          ids.add(master.id);
        }
        this.config = parsed.data;
        this.emit('app:snapshot', this.snapshot());
        return Promise.resolve({ ok: true as const });
      },
      'config:test-connection': (request) => {
        record('config:test-connection', {
          ...request,
          password: request.password === undefined ? undefined : '***',
        });
        return Promise.resolve(this.testConnection(request));
      },
      'discovery:find-masters': (request) => {
        record('discovery:find-masters', request);
        return Promise.resolve(fakeDiscovery());
      },
      'config:import-upsmon': (request) => {
        record('config:import-upsmon', { apply: request.apply });
        const result = importUpsmon(this.config, request.upsmonConf, request.upsschedConf ?? '');
        if (request.apply && result.ok && result.config) {
          this.config = result.config;
          for (const [key, password] of result.passwords) this.secrets.set(key, password);
          this.emit('app:snapshot', this.snapshot());
        }
        return Promise.resolve({ ok: result.ok, report: result.report, config: result.config });
      },
      'secrets:set-password': (request) => {
        record('secrets:set-password', { ...request, password: '***' });
        this.secrets.set(`${request.masterId}/${request.upsName}`, request.password);
        return Promise.resolve({ ok: true as const });
      },
      'alerts:status': (request) => {
        record('alerts:status', request);
        return Promise.resolve(
          this.config.alerts.channels.map((c) => ({
            id: c.id,
            type: c.type,
            enabled: c.enabled,
            state: 'idle' as const,
            pending: 0,
            delivered: 0,
            failed: 0,
            lastDeliveredAt: null,
            lastFailureAt: null,
            lastError: null,
          })),
        );
      },
      'alerts:test': (request) => {
        record('alerts:test', request);
        const known = this.config.alerts.channels.some((c) => c.id === request.channelId);
        return Promise.resolve({
          ok: known,
          detail: known
            ? `Delivered to ${request.channelId} (fake core).`
            : `No channel "${request.channelId}".`,
        });
      },
      'secrets:set-channel-secret': (request) => {
        record('secrets:set-channel-secret', { ...request, value: '***' });
        return Promise.resolve({ ok: true as const });
      },
      'notifications:recent': (request) => {
        record('notifications:recent', request);
        return Promise.resolve([...this.notifications].reverse());
      },
      'notifications:set-paused': (request) => {
        record('notifications:set-paused', request);
        this.config = {
          ...this.config,
          notifications: { ...this.config.notifications, paused: request.paused },
        };
        this.emit('app:snapshot', this.snapshot());
        return Promise.resolve({ paused: request.paused });
      },
      'monitor:acknowledge-shutdown': (request) => {
        record('monitor:acknowledge-shutdown', request);
        return Promise.resolve({ ok: true as const });
      },
      'monitor:latched-fsd-choice': (request) => {
        record('monitor:latched-fsd-choice', request);
        return Promise.resolve({ ok: true as const });
      },
      'fsd:preflight': (request) => {
        record('fsd:preflight', {
          ...request,
          credential: request.credential ? { source: request.credential.source } : undefined,
        });
        return Promise.resolve(this.fsdPreflight(request));
      },
      'fsd:start': (request) => {
        record('fsd:start', { preflightId: request.preflightId });
        const preflight = request.preflightId
          ? this.preflights.get(request.preflightId)
          : request.preflight
            ? this.fsdPreflight(request.preflight)
            : undefined;
        if (!preflight || preflight.expiresAt < this.now()) {
          return Promise.reject(
            Object.assign(new Error('no preflight'), {
              code: 'PREFLIGHT-EXPIRED',
              explanation: 'The preflight is missing or too old.',
              fix: 'Run the preflight again.',
            }),
          );
        }
        if (preflight.hardBlocked || (preflight.blockers > 0 && !request.overrideBlockers)) {
          return Promise.reject(
            Object.assign(new Error('blocked'), {
              code: 'PREFLIGHT-BLOCKED',
              explanation: 'The preflight found blockers.',
              fix: 'Fix them, or override the ones that allow it.',
            }),
          );
        }
        if (preflight.mode === 'master' && request.confirmUpsName !== preflight.upsName) {
          return Promise.reject(
            Object.assign(new Error('confirm'), {
              code: 'CONFIRMATION-MISMATCH',
              explanation: `Type the UPS name "${preflight.upsName}" to confirm.`,
              fix: 'It must match exactly.',
            }),
          );
        }
        return Promise.resolve(this.startFsdRun(preflight, request.countdownSeconds));
      },
      'fsd:abort': (request) => {
        record('fsd:abort', request);
        const run = this.fsdRuns.get(request.runId);
        if (!run)
          return Promise.reject(
            Object.assign(new Error('unknown run'), {
              code: 'UNKNOWN-RUN',
              explanation: `No FSD test run ${request.runId}.`,
              fix: 'Start a new test.',
            }),
          );
        if (run.state === 'countdown' || run.state === 'running') {
          run.state = 'aborted';
          run.finishedAt = this.now();
          run.timeline.push({
            at: this.now(),
            t: 0,
            kind: 'aborted',
            message: 'Aborted by the user before anything was sent.',
          });
          this.emit('fsd:progress', structuredClone(run));
        }
        return Promise.resolve(structuredClone(run));
      },
      'fsd:get-run': (request) => {
        record('fsd:get-run', request);
        const run = request.runId
          ? this.fsdRuns.get(request.runId)
          : [...this.fsdRuns.values()].at(-1);
        return Promise.resolve(run ? structuredClone(run) : null);
      },
      'fsd:list-reports': (request) => {
        record('fsd:list-reports', request);
        return Promise.resolve([]);
      },
      'fsd:get-report': (request) => {
        record('fsd:get-report', request);
        return Promise.reject(
          Object.assign(new Error('unknown report'), {
            code: 'UNKNOWN-REPORT',
            explanation: `No FSD test report ${request.id}.`,
            fix: 'Pick a report from the list.',
          }),
        );
      },
      'fsd:forget-credential': (request) => {
        record('fsd:forget-credential', request);
        return Promise.resolve({ ok: true as const, removed: false });
      },
    };
  }

  private readonly preflights = new Map<string, FsdPreflight>();
  private readonly fsdRuns = new Map<string, FsdRunView>();

  /** A local-mode preflight from the simulated state; master mode always needs a credential. */
  private fsdPreflight(raw: FsdPreflightRequest): FsdPreflight {
    const request = FsdPreflightRequestSchema.parse(raw);
    const snap = this.snapshot().ups.find((u) => u.monitorId === request.monitorId);
    if (!snap)
      throw Object.assign(new Error('unknown UPS'), {
        code: 'UNKNOWN-UPS',
        explanation: `No monitored UPS is called ${request.monitorId}.`,
        fix: 'Pick a UPS from the dashboard.',
      });
    const master = this.config.masters.find((m) => m.id === snap.masterId)!;
    const needsCredential = request.mode === 'master' && request.credential === undefined;
    const checks: FsdPreflight['checks'] = [
      {
        id: 'reachable',
        title: 'Master reachable',
        status: snap.connection === 'connected' ? 'ok' : 'blocker',
        detail: snap.connection === 'connected' ? 'Connected.' : 'Not connected.',
        overridable: false,
      },
      ...(needsCredential
        ? [
            {
              id: 'credential',
              title: 'FSD credential',
              status: 'blocker' as const,
              detail: 'Master mode needs a user with the FSD right.',
              overridable: false,
            },
          ]
        : []),
    ];
    const blockers = checks.filter((c) => c.status === 'blocker').length;
    const now = this.now();
    const preflight: FsdPreflight = {
      id: `pf-${this.preflights.size + 1}`,
      at: now,
      expiresAt: now + 5 * MIN,
      monitorId: snap.monitorId,
      mode: request.mode,
      upsName: snap.upsName,
      systemName: snap.systemName,
      dryRun: request.mode === 'master' ? true : request.dryRun,
      master: {
        host: master.host,
        port: master.port,
        reachable: snap.connection === 'connected',
        kind: snap.server.kind,
        version: snap.server.version,
        protocol: snap.server.protocol,
      },
      ups: {
        status: snap.status,
        fsdLatched: false,
        batteryCharge: snap.metrics.charge,
        batteryRuntimeSeconds: snap.metrics.runtime,
      },
      clients: {
        listSupported: snap.clients.list !== null,
        list: snap.clients.list,
        numLogins: snap.clients.numLogins,
        thisMachineAddress: snap.clients.list?.find((c) => c.isThisMachine)?.address ?? null,
        thisMachineLoggedIn: snap.loggedIn,
        otherSecondaries: snap.clients.list
          ? snap.clients.list.filter((c) => !c.isThisMachine).length
          : snap.clients.numLogins === null
            ? null
            : Math.max(0, snap.clients.numLogins - 1),
        missingExpected: snap.clients.missingExpected,
      },
      credential: {
        source: request.mode === 'master' ? (request.credential?.source ?? 'none') : 'none',
        username: request.credential?.source === 'entered' ? request.credential.username : null,
        storedAvailable: false,
        verdict:
          request.mode === 'local' ? 'not-needed' : request.credential ? 'unverified' : 'missing',
        detail:
          request.mode === 'local'
            ? 'Local mode sends nothing privileged to the master.'
            : 'Not checked by the test double.',
      },
      thisMachine: {
        role: snap.role,
        configDryRun: this.config.shutdown.dryRun,
        shutdownCommand: {
          program: this.config.shutdown.command?.file ?? '/sbin/shutdown',
          args: this.config.shutdown.command?.args ?? ['-h', '+0'],
          isDefault: this.config.shutdown.command === null,
        },
        finalDelaySeconds: this.config.timing.finalDelaySeconds,
        hooks: [],
        willReallyShutDown: request.mode === 'local' && !request.dryRun,
      },
      timeBudget: {
        hostSyncSeconds: request.hostSyncSeconds ?? DEFAULT_MASTER_HOSTSYNC_SECONDS,
        hostSyncSource: request.hostSyncSeconds === undefined ? 'default' : 'request',
        hostSyncNote: 'upsd does not publish the master’s HOSTSYNC.',
        statusPollSeconds: this.config.timing.statusPollSeconds,
        finalDelaySeconds: this.config.timing.finalDelaySeconds,
        expectedLogoutSeconds:
          this.config.timing.statusPollSeconds + this.config.timing.finalDelaySeconds,
        measuredShutdownSeconds: null,
        measuredAt: null,
        measuredReportId: null,
        neededSeconds: null,
        batteryRuntimeSeconds: snap.metrics.runtime,
        upsDelayShutdownSeconds: 20,
        verdict: 'Not measured yet: run a local test first.',
      },
      checks,
      blockers,
      hardBlocked: checks.some((c) => c.status === 'blocker' && !c.overridable),
    };
    this.preflights.set(preflight.id, preflight);
    return preflight;
  }

  private startFsdRun(preflight: FsdPreflight, countdownSeconds: number): FsdRunView {
    const now = this.now();
    const run: FsdRunView = {
      runId: `run-${this.fsdRuns.size + 1}`,
      preflightId: preflight.id,
      monitorId: preflight.monitorId,
      mode: preflight.mode,
      upsName: preflight.upsName,
      state: 'countdown',
      createdAt: now,
      countdown: {
        seconds: countdownSeconds,
        endsAt: now + countdownSeconds * 1000,
        secondsLeft: countdownSeconds,
      },
      t0: null,
      finishedAt: null,
      hostSyncSeconds: preflight.timeBudget.hostSyncSeconds,
      deadline: null,
      numLogins: preflight.clients.numLogins,
      remaining: preflight.clients.list ?? [],
      timeline: [
        {
          at: now,
          t: -countdownSeconds * 1000,
          kind: 'countdown',
          message: `Starting in ${countdownSeconds} s.`,
        },
      ],
      reportId: null,
      latch: null,
      error: null,
    };
    this.fsdRuns.set(run.runId, run);
    this.emit('fsd:progress', structuredClone(run));
    if (this.live) this.simulateFsdRun(run, preflight);
    return structuredClone(run);
  }

  /** Dev server only: walk a local dry-run through its steps (a master-mode run just ends). */
  private simulateFsdRun(run: FsdRunView, preflight: FsdPreflight): void {
    const step = (delayMs: number, change: () => void) =>
      setTimeout(() => {
        if (run.state === 'aborted') return;
        change();
        this.emit('fsd:progress', structuredClone(run));
      }, delayMs).unref?.();
    const countdownMs = run.countdown.seconds * 1000;
    const t0 = run.createdAt + countdownMs;
    const at = (t: number) => ({ at: t0 + t, t });
    step(countdownMs, () => {
      run.state = 'running';
      run.t0 = t0;
      run.countdown.secondsLeft = 0;
      run.timeline.push({
        ...at(0),
        kind: 'notify',
        message: `SHUTDOWN notification for ${preflight.systemName}.`,
      });
    });
    step(countdownMs + 400, () =>
      run.timeline.push({
        ...at(400),
        kind: 'hook',
        message: '/usr/local/bin/ups-notify exited 0 after 0.3 s.',
      }),
    );
    step(countdownMs + 800, () =>
      run.timeline.push({
        ...at(800),
        kind: 'final-delay',
        message: `FINALDELAY ${preflight.thisMachine.finalDelaySeconds} s.`,
      }),
    );
    step(countdownMs + 1500, () => {
      run.timeline.push({
        ...at(1500),
        kind: 'shutdown-command',
        message: `Dry run: would run \`${preflight.thisMachine.shutdownCommand.program} ${preflight.thisMachine.shutdownCommand.args.join(' ')}\`.`,
      });
      run.timeline.push({
        ...at(1500),
        kind: 'finished',
        message: 'Finished in 1.5 s (the test double does not keep reports).',
      });
      run.state = 'finished';
      run.finishedAt = t0 + 1500;
    });
  }

  private testConnection(
    request: Parameters<ApiHandlers['config:test-connection']>[0],
  ): ConnectionTestResult {
    const host = request.host.toLowerCase();
    const steps: ConnectionTestResult['steps'] = [];
    const fail = (
      diagnosis: Diagnosis,
      server: ServerIdentity | null = null,
      upsNames: string[] = [],
    ): ConnectionTestResult => ({ ok: false, steps, diagnosis, server, upsNames });
    steps.push({
      step: 'resolve',
      ok: true,
      detail: `${request.host} → ${host.includes('pve') ? '192.168.1.5' : '192.168.1.10'}`,
    });
    if (host.includes('refused')) {
      steps.push({
        step: 'connect',
        ok: false,
        detail: `Connection refused on port ${request.port}.`,
      });
      return fail({
        code: 'refused',
        explanation:
          'The host answered but nothing listens on that port: upsd is not running there, or it listens on localhost only.',
        fix: 'On the master, add `LISTEN 0.0.0.0 3493` to /etc/nut/upsd.conf and restart nut-server.',
      });
    }
    if (host.includes('timeout') || host.includes('firewall')) {
      steps.push({
        step: 'connect',
        ok: false,
        detail: `No answer within 5 s from port ${request.port}.`,
      });
      return fail({
        code: 'timeout',
        explanation: 'Nothing answered: the packets are dropped on the way, usually by a firewall.',
        fix: 'On Proxmox VE with the firewall on, add a rule accepting tcp/3493 from this machine (Datacenter or node → Firewall → Add).',
      });
    }
    steps.push({
      step: 'connect',
      ok: true,
      detail: `Connected to ${request.host}:${request.port} in 3 ms.`,
    });
    if (request.tls.mode === 'required') {
      steps.push({
        step: 'tls',
        ok: false,
        detail: 'STARTTLS answered ERR FEATURE-NOT-CONFIGURED.',
      });
      return fail({
        code: 'FEATURE-NOT-CONFIGURED',
        explanation: 'The master does not offer TLS (STARTTLS is not configured in upsd).',
        fix: 'Set TLS to "off" or "opportunistic", or configure CERTFILE in upsd.conf on the master.',
      });
    }
    if (request.tls.mode === 'opportunistic')
      steps.push({
        step: 'tls',
        ok: true,
        detail: 'Not offered by the master; continuing in plain text (opportunistic).',
      });
    const synology = host.includes('nas') || host.includes('syno') || host.includes('diskstation');
    const proxmox = host.includes('pve') || host.includes('proxmox');
    const server = synology ? SYNOLOGY : proxmox ? PROXMOX : PLAIN_NUT;
    const upsNames = synology ? ['ups'] : proxmox ? ['eaton', 'apc-rack'] : ['ups1'];
    steps.push({
      step: 'identify',
      ok: true,
      detail: `${server.version ?? 'unknown'} (protocol ${server.protocol ?? '?'})`,
    });
    if (request.upsName === '') {
      steps.push({
        step: 'ups',
        ok: false,
        detail: `No UPS chosen. The master offers: ${upsNames.join(', ')}.`,
      });
      return {
        ok: false,
        steps,
        diagnosis: {
          code: 'NO-UPS',
          explanation: 'Pick which UPS to monitor.',
          fix: `Choose one of: ${upsNames.join(', ')}.`,
        },
        server,
        upsNames,
      };
    }
    if (!upsNames.includes(request.upsName)) {
      steps.push({ step: 'ups', ok: false, detail: `ERR UNKNOWN-UPS for "${request.upsName}".` });
      return fail(
        {
          code: 'UNKNOWN-UPS',
          explanation: `The master has no UPS called "${request.upsName}" (UPS names are not user names).`,
          fix: `Choose one of: ${upsNames.join(', ')}.`,
        },
        server,
        upsNames,
      );
    }
    steps.push({ step: 'ups', ok: true, detail: `"${request.upsName}" exists.` });
    if (request.username === '') {
      steps.push({
        step: 'login',
        ok: true,
        detail:
          'No user given: read-only access (monitor-only; the master will not wait for this machine).',
      });
    } else {
      const stored = request.masterId
        ? this.secrets.get(`${request.masterId}/${request.upsName}`)
        : undefined;
      const password = request.password ?? stored ?? '';
      const good = synology
        ? request.username === 'monuser' && password === 'secret'
        : password.length > 0;
      if (!good) {
        steps.push({
          step: 'login',
          ok: false,
          detail: `USERNAME ${request.username} → OK, PASSWORD → OK, LOGIN ${request.upsName} → ERR ACCESS-DENIED.`,
        });
        return fail(
          synology
            ? {
                code: 'ACCESS-DENIED',
                explanation:
                  'DSM refused the login. Either the user/password is wrong or this machine’s address is not permitted.',
                fix: 'Use monuser / secret, and add this machine’s IPv4 and IPv6 addresses under Control Panel → Hardware & Power → UPS → Permitted DiskStation devices.',
              }
            : {
                code: 'ACCESS-DENIED',
                explanation: `upsd refused LOGIN for "${request.username}".`,
                fix: 'Check the password, and that /etc/nut/upsd.users gives this user `upsmon secondary`; restart upsd after editing.',
              },
          server,
          upsNames,
        );
      }
      steps.push({
        step: 'login',
        ok: true,
        detail: `Logged in as ${request.username}; the master now counts this machine (NUMLOGINS 2).`,
      });
    }
    steps.push({
      step: 'read',
      ok: true,
      detail: 'ups.status = OL, battery.charge = 100, battery.runtime = 2843',
    });
    return { ok: true, steps, diagnosis: null, server, upsNames };
  }
}

function trayOf(ups: UpsSnapshot[]): AppSnapshot['tray'] {
  if (ups.length === 0)
    return { level: 'not-configured', charge: null, tooltip: 'NUT Sentinel — no UPS configured' };
  const worst = ups.find((u) => upsTrayLevel(u) === worstTrayLevel(ups).level) ?? ups[0]!;
  return { ...worstTrayLevel(ups), tooltip: `${worst.masterLabel}: ${worst.statusText}` };
}

function wave(seed: string, t: number): number {
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) | 0;
  const x =
    Math.sin(t / 3.7e6 + h) * 0.6 +
    Math.sin(t / 9.1e5 + h * 0.3) * 0.3 +
    Math.sin(t / 61_000 + h) * 0.1;
  return (x + 1) / 2;
}

function variablesFor(snap: UpsSnapshot): ResponseOf<'ups:get-variables'> {
  const m = snap.metrics;
  const num = (v: number | null, digits = 0) => (v === null ? null : v.toFixed(digits));
  const vendor =
    snap.server.kind === 'synology'
      ? ['APC', 'Back-UPS ES 700G']
      : snap.server.kind === 'proxmox'
        ? ['EATON', '5E 1100i']
        : ['CPS', 'CP1500EPFCLCD'];
  const rows: [string, string | null, string, boolean?][] = [
    ['battery.charge', num(m.charge), 'Battery charge (percent)'],
    ['battery.charge.low', '10', 'Remaining battery level when UPS switches to LB (percent)', true],
    [
      'battery.charge.warning',
      '50',
      'Battery level when UPS switches to "Warning" state (percent)',
    ],
    ['battery.runtime', num(m.runtime), 'Battery runtime (seconds)'],
    [
      'battery.runtime.low',
      '120',
      'Remaining battery runtime when UPS switches to LB (seconds)',
      true,
    ],
    ['battery.type', 'PbAc', 'Battery chemistry'],
    ['battery.voltage', '13.5', 'Battery voltage (V)'],
    ['battery.voltage.nominal', '12.0', 'Nominal battery voltage (V)'],
    ['battery.mfr.date', '2022/03/14', 'Battery manufacturing date'],
    ['device.mfr', vendor[0]!, 'Device manufacturer'],
    ['device.model', vendor[1]!, 'Device model'],
    ['device.serial', '3B2211X04567', 'Device serial number'],
    ['device.type', 'ups', 'Device type (ups, pdu, scd, psu, ats)'],
    ['driver.name', 'usbhid-ups', 'Driver name'],
    ['driver.parameter.pollfreq', '30', 'Polling frequency'],
    ['driver.parameter.pollinterval', '2', 'Polling interval'],
    ['driver.version', '2.8.0', 'Driver version - NUT release'],
    ['input.voltage', num(m.inputVoltage, 1), 'Input voltage (V)'],
    ['input.voltage.nominal', '230', 'Nominal input voltage (V)'],
    ['input.transfer.high', '266', 'High voltage transfer point (V)', true],
    ['input.transfer.low', '180', 'Low voltage transfer point (V)', true],
    ['output.voltage', num(m.outputVoltage, 1), 'Output voltage (V)'],
    ['ups.beeper.status', 'enabled', 'UPS beeper status'],
    [
      'ups.delay.shutdown',
      '20',
      'Interval to wait after shutdown with delay command (seconds)',
      true,
    ],
    ['ups.load', num(m.load), 'Load on UPS (percent)'],
    ['ups.mfr', vendor[0]!, 'UPS manufacturer'],
    ['ups.model', vendor[1]!, 'UPS model'],
    ['ups.realpower.nominal', '390', 'UPS real power rating (W)'],
    ['ups.status', snap.status, 'UPS status'],
    ['ups.test.result', 'Done and passed', 'Results of last self test'],
    ['ups.timer.shutdown', '-1', 'Time before the load on UPS is shut down (seconds)'],
  ];
  const out: ResponseOf<'ups:get-variables'> = [];
  for (const [name, value, description, writable] of rows) {
    if (value === null) continue;
    out.push({
      name,
      value,
      description:
        snap.server.kind === 'synology' && name.startsWith('driver.') ? null : description,
      writable: writable ?? false,
    });
  }
  return out;
}

function queryEvents(events: StoredEvent[], raw: EventQuery): StoredEvent[] {
  const q = EventQuerySchema.parse(raw);
  const text = q.text?.toLowerCase();
  const out = events.filter(
    (e) =>
      (q.monitorId === undefined || e.monitorId === q.monitorId) &&
      (q.kinds === undefined || q.kinds.includes(e.kind)) &&
      (q.types === undefined || q.types.includes(e.type)) &&
      (q.from === undefined || e.at >= q.from) &&
      (q.to === undefined || e.at <= q.to) &&
      (text === undefined || e.message.toLowerCase().includes(text)),
  );
  // Newest first, as a log is read.
  return out.sort((a, b) => b.at - a.at).slice(0, q.limit);
}

/** Deterministic invented history with outages and a sleep gap, downsampled like the real store. */
function samplesFor(raw: SampleQuery, now: number, sim: UpsSim | undefined): MetricSample[] {
  const q = SampleQuerySchema.parse(raw);
  if (!sim) return [];
  const sampleMs = 5_000;
  const to = Math.min(q.to, now);
  const width = Math.max(sampleBucketMs(q.from, q.to, q.maxPoints), sampleMs);
  const outages = [
    { start: now - 3 * DAY, end: now - 3 * DAY + 25 * MIN },
    { start: now - 2 * HOUR, end: now - 2 * HOUR + 9 * MIN },
    ...(sim.level === 'on-battery' || sim.level === 'low-battery'
      ? [{ start: now - 25 * MIN, end: now + HOUR }]
      : []),
  ];
  const sleep = { start: now - 5 * HOUR, end: now - 5 * HOUR + 40 * MIN };
  const lastSeen = sim.live ? now : (sim.statusAt ?? now);
  const out: MetricSample[] = [];
  const seed = sim.server.kind;
  const baseLoad = sim.metrics.load ?? 20;
  for (let t = q.from - (q.from % width); t <= to; t += width) {
    if (t < q.from) continue;
    if (t >= sleep.start && t < sleep.end) continue;
    if (t > lastSeen) break;
    if (t < now - 7 * DAY) continue;
    const outage = outages.find((o) => t >= o.start && t < o.end);
    const after = outages.filter((o) => o.end <= t).at(-1);
    let charge = 100;
    let onBattery = false;
    if (outage) {
      onBattery = true;
      charge = Math.max(5, 100 - ((t - outage.start) / MIN) * 1.45);
    } else if (after && t - after.end < 3 * HOUR) {
      const dip = 100 - ((after.end - after.start) / MIN) * 1.45;
      charge = Math.min(100, dip + ((t - after.end) / (3 * HOUR)) * (100 - dip));
    }
    const load = Math.max(
      2,
      baseLoad +
        (wave(seed, t) - 0.5) * 12 +
        (t % 86_400_000 > 9 * HOUR && t % 86_400_000 < 18 * HOUR ? 4 : 0),
    );
    const runtime = Math.round((charge / 100) * 4200 * (20 / load));
    out.push({
      at: t,
      monitorId: q.monitorId,
      charge: Math.round(charge * 10) / 10,
      runtime: seed === 'synology' && t < now - 6 * DAY ? null : runtime,
      load: Math.round(load * 10) / 10,
      inputVoltage: onBattery ? 0 : Math.round((229 + wave(seed + 'v', t) * 4) * 10) / 10,
      status: onBattery ? 'OB DISCHRG' : charge < 100 ? 'OL CHRG' : 'OL',
    });
  }
  return out;
}

interface ImportResult {
  ok: boolean;
  report: ResponseOf<'config:import-upsmon'>['report'];
  config: Config | null;
  passwords: [string, string][];
}

/** A small upsmon.conf/upssched.conf reader, enough to exercise the import UI. */
function importUpsmon(current: Config, upsmonConf: string, upsschedConf: string): ImportResult {
  const report: ImportResult['report'] = [];
  const passwords: [string, string][] = [];
  const draft: Config = structuredClone(current);
  const timing = { ...draft.timing };
  const seconds: Record<string, keyof Config['timing']> = {
    POLLFREQ: 'statusPollSeconds',
    DEADTIME: 'deadTimeSeconds',
    HOSTSYNC: 'hostSyncSeconds',
    FINALDELAY: 'finalDelaySeconds',
    NOCOMMWARNTIME: 'noCommWarnSeconds',
    RBWARNTIME: 'rbWarnSeconds',
  };
  upsmonConf.split(/\r?\n/).forEach((rawLine, index) => {
    const text = rawLine.trim();
    if (text === '' || text.startsWith('#')) return;
    const words = text.match(/"[^"]*"|\S+/g)?.map((w) => w.replace(/^"|"$/g, '')) ?? [];
    const directive = (words[0] ?? '').toUpperCase();
    const line = {
      file: 'upsmon.conf',
      line: index + 1,
      text: text.replace(/^(MONITOR\s+\S+\s+\S+\s+\S+\s+)\S+/i, '$1••••••'),
    };
    if (directive === 'MONITOR' && words.length >= 6) {
      const [, system, power, user, pass, kind] = words as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const match = /^([A-Za-z0-9_.-]+)@(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(system);
      if (!match) {
        report.push({ ...line, status: 'error', note: `"${system}" is not ups@host[:port].` });
        return;
      }
      const upsName = match[1]!;
      const host = match[2]!.replace(/^\[|\]$/g, '');
      const port = match[3] ? Number(match[3]) : 3493;
      const id =
        host
          .toLowerCase()
          .split('.')[0]!
          .replace(/[^a-z0-9-]/g, '-')
          .replace(/^-+/, '') || 'master';
      let master = draft.masters.find((m) => m.host === host && m.port === port);
      if (!master) {
        master = {
          id: draft.masters.some((m) => m.id === id) ? `${id}-${draft.masters.length + 1}` : id,
          label: host,
          preset: 'generic',
          host,
          port,
          tls: { mode: 'off', insecure: false },
          ups: [],
        };
        draft.masters.push(master);
      }
      if (!master.ups.some((u) => u.name === upsName)) {
        const primary = /^(primary|master)$/i.test(kind);
        master.ups.push({
          name: upsName,
          role: 'secondary',
          username: user,
          password: { source: 'store' },
          powerValue: Number(power) || 0,
          expectedClients: [],
        });
        passwords.push([`${master.id}/${upsName}`, pass]);
        report.push({
          ...line,
          status: 'mapped',
          note: `${primary ? 'Imported as a secondary (this app never acts as the primary). ' : ''}Master ${master.id}, UPS ${upsName}; the password goes to the secret store.`,
        });
      } else report.push({ ...line, status: 'ignored', note: 'Already configured.' });
      return;
    }
    const key = seconds[directive];
    if (key && words[1] !== undefined) {
      const value = Number(words[1]);
      if (Number.isFinite(value)) {
        (timing as Record<string, number>)[key] = value;
        report.push({ ...line, status: 'mapped', note: `timing.${key} = ${value} s` });
      } else report.push({ ...line, status: 'error', note: 'Not a number.' });
      return;
    }
    if ((directive === 'SHUTDOWNCMD' || directive === 'NOTIFYCMD') && words[1] !== undefined) {
      const parts = words[1].split(/\s+/).filter(Boolean);
      const command = { file: parts[0] ?? '', args: parts.slice(1) };
      if (directive === 'SHUTDOWNCMD') draft.shutdown = { ...draft.shutdown, command };
      else draft.hooks = { ...draft.hooks, notifyCommand: command };
      report.push({
        ...line,
        status: 'mapped',
        note: `Split into program ${command.file} and ${command.args.length} argument(s); no shell is used.`,
      });
      return;
    }
    if (
      ['RUN_AS_USER', 'MINSUPPLIES', 'POWERDOWNFLAG', 'CERTPATH', 'CERTIDENT'].includes(directive)
    ) {
      report.push({
        ...line,
        status: 'ignored',
        note: 'Not needed: NUT Sentinel handles this itself.',
      });
      return;
    }
    report.push({ ...line, status: 'unsupported', note: `${directive} is not imported.` });
  });
  draft.timing = timing;
  const rules: Config['hooks']['upssched'] = draft.hooks.upssched
    ? { ...draft.hooks.upssched, rules: [...draft.hooks.upssched.rules] }
    : undefined;
  let cmdScript = rules?.cmdScript;
  const newRules: NonNullable<Config['hooks']['upssched']>['rules'] = [];
  upsschedConf.split(/\r?\n/).forEach((rawLine, index) => {
    const text = rawLine.trim();
    if (text === '' || text.startsWith('#')) return;
    const words = text.split(/\s+/);
    const line = { file: 'upssched.conf', line: index + 1, text };
    const directive = (words[0] ?? '').toUpperCase();
    if (directive === 'CMDSCRIPT' && words[1]) {
      cmdScript = { file: words[1], args: [] };
      report.push({ ...line, status: 'mapped', note: 'upssched command script.' });
    } else if (directive === 'AT' && words.length >= 5) {
      const [, event, ups, action, arg, extra] = words as [
        string,
        string,
        string,
        string,
        string,
        string?,
      ];
      const candidate =
        action === 'START-TIMER'
          ? { event, ups, action, timer: arg, seconds: Number(extra) }
          : action === 'CANCEL-TIMER'
            ? { event, ups, action, timer: arg, ...(extra ? { command: extra } : {}) }
            : { event, ups, action, command: arg };
      newRules.push(candidate as never);
      report.push({ ...line, status: 'mapped', note: `${action} rule.` });
    } else if (directive === 'PIPEFN' || directive === 'LOCKFN') {
      report.push({
        ...line,
        status: 'ignored',
        note: 'Not needed: timers run inside NUT Sentinel.',
      });
    } else {
      report.push({
        ...line,
        status: 'unsupported',
        note: 'Not an upssched directive this importer knows.',
      });
    }
  });
  if (cmdScript)
    draft.hooks = {
      ...draft.hooks,
      upssched: { cmdScript, rules: [...(rules?.rules ?? []), ...newRules] },
    };
  const parsed = ConfigSchema.safeParse(draft);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      report.push({
        file: 'result',
        line: 0,
        text: issue.path.join('.'),
        status: 'error',
        note: issue.message,
      });
    return { ok: false, report, config: null, passwords: [] };
  }
  const ok = !report.some((r) => r.status === 'error');
  return { ok, report, config: ok ? parsed.data : null, passwords: ok ? passwords : [] };
}

/** A canned "Find masters" answer: a Synology, a Proxmox host with two UPSes, one that refuses this machine. */
function fakeDiscovery(): DiscoveryResult {
  const base = {
    foundBy: ['scan' as const],
    mdnsName: null,
    mdnsHost: null,
    netVer: '1.2',
    protVer: null,
    starttls: 'not-offered' as const,
    problem: null,
    localAddress: '192.168.1.50',
  };
  return {
    servers: [
      {
        ...base,
        host: '192.168.1.10',
        port: 3493,
        kind: 'synology',
        version: SYNOLOGY.version,
        nutVersion: null,
        rightsWords: 'master-slave',
        preset: 'synology',
        ups: [{ name: 'ups', description: 'UPS', model: 'Back-UPS CS 350', status: 'OL' }],
      },
      {
        ...base,
        host: '192.168.1.5',
        port: 3493,
        foundBy: ['scan', 'mdns'],
        mdnsName: 'NUT on pve',
        mdnsHost: 'pve.local',
        kind: 'nut',
        version: PROXMOX.version,
        nutVersion: '2.8.0',
        netVer: '1.3',
        protVer: '1.3',
        rightsWords: 'primary-secondary',
        preset: 'proxmox',
        ups: [
          { name: 'eaton', description: 'Eaton 5E', model: '5E 1100i', status: 'OL' },
          { name: 'apc-rack', description: 'Rack UPS', model: 'Smart-UPS 1500', status: 'OL CHRG' },
        ],
      },
      {
        ...base,
        host: '192.168.1.20',
        port: 3493,
        kind: 'refusing',
        version: null,
        nutVersion: null,
        netVer: null,
        rightsWords: 'master-slave',
        starttls: 'unknown',
        preset: 'generic',
        ups: [],
        problem:
          'It answers every command with ACCESS-DENIED, even VER and LIST UPS: this machine is not allowed to talk to it. On a Synology NAS, add 192.168.1.50 under Control Panel → Hardware & Power → UPS → Permitted DiskStation devices.',
      },
    ],
    scanned: [{ cidr: '192.168.1.0/24', interface: 'eth0', addresses: 253, note: null }],
    attempts: 253,
    scanMs: 2010,
    durationMs: 2040,
    mdns: { browsed: true, error: null },
  };
}
