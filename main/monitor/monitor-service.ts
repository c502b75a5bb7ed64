/**
 * All monitored UPSes of one machine: builds a session per configured UPS, routes their
 * notifications to the hook dispatcher and the event log, runs THE shutdown command (once per
 * process, whichever UPS asked first), samples metrics into history and builds the snapshot.
 */
import { EventEmitter } from 'node:events';
import {
  type Config,
  type Master,
  type MonitoredUps,
  feedsThisMachine,
  monitorId,
  upsSystemName,
} from '../../shared/config';
import type { MetricSample, StoredEvent } from '../../shared/history';
import { DEFAULT_NOTIFY_SEVERITY } from '../../shared/notify-types';
import type { AppSnapshot, UpsSnapshot } from '../../shared/snapshot';
import type { Clock, Logger, NotifierPort, ProcessRunner, TimerHandle } from '../platform/ports';
import { HookDispatcher } from '../hooks/hook-dispatcher';
import { defaultShutdownCommand, runShutdownCommand } from '../hooks/shutdown-command';
import type { NutClient, NutClientOptions } from '../nut/client';
import { PollTicker } from './poll-ticker';
import {
  type AddressHistory,
  buildTrayState,
  buildUpsSnapshot,
  describeShutdownRule,
  numericVariable,
} from './snapshot';
import { decisionConfig } from './state-machine';
import { type SessionSink, UpsSession, type UpsSessionSettings } from './ups-session';

export interface MonitorServiceDeps {
  clock: Clock;
  logger: Logger;
  runner: ProcessRunner;
  /** Desktop notifications (already behind the dedupe/rate-limit policy); null in a bare agent. */
  notifier: NotifierPort | null;
  /** The event log and metrics history (HistoryStore in production). */
  recordEvent: (event: StoredEvent) => void;
  recordSample?: (sample: MetricSample) => void;
  password: (master: Master, ups: MonitoredUps) => Promise<string | undefined>;
  connect?: (options: NutClientOptions) => Promise<NutClient>;
  reverseLookup?: (address: string) => Promise<string | null>;
  /** Known secrets to mask in recorded hook output. */
  secrets?: () => readonly string[];
}

export interface ShutdownOutcome {
  ok: boolean;
  detail?: string;
  /** Recorded only: the machine stays up. */
  dryRun?: boolean;
}

export class MonitorService extends EventEmitter<{
  changed: [session?: UpsSession];
  event: [StoredEvent];
}> {
  private config: Config;
  private sessionsById = new Map<
    string,
    { session: UpsSession; key: string; master: Master; ups: MonitoredUps }
  >();
  private readonly dispatcher: HookDispatcher;
  private shutdown: Promise<ShutdownOutcome> | null = null;
  /** SHUTDOWN is a host event (UPSNAME empty): notified once per process, like upsmon's doshutdown(). */
  private shutdownNotified = false;
  private sampleTimer: TimerHandle | null = null;
  private suppliesCheckQueued = false;
  private running = false;
  private readonly missingNotified = new Map<string, Set<string>>();
  /** This machine's address per master (all its UPS sessions connect from the same host): a change is an event. */
  private readonly addressByMaster = new Map<string, AddressHistory & { address: string }>();
  /** One timer per poll interval for all sessions: the process wakes once per tick, not once per UPS. */
  private readonly ticker: PollTicker;

  constructor(
    config: Config,
    private readonly deps: MonitorServiceDeps,
  ) {
    super();
    this.config = config;
    this.ticker = new PollTicker(deps.clock);
    this.dispatcher = new HookDispatcher({
      hooks: config.hooks,
      runner: deps.runner,
      clock: deps.clock,
      notifier: deps.notifier,
      sink: (event) => this.record(event),
      logger: deps.logger,
      ...(deps.secrets ? { secrets: deps.secrets } : {}),
      onTimersChanged: () => this.emit('changed'),
    });
  }

  get hooks(): HookDispatcher {
    return this.dispatcher;
  }

  sessions(): UpsSession[] {
    return [...this.sessionsById.values()].map((entry) => entry.session);
  }

  session(id: string): UpsSession | undefined {
    return this.sessionsById.get(id)?.session;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.syncSessions();
    this.scheduleSampling();
  }

  /**
   * Clean stop: every session logs out (in parallel; with `deadlineMs`, sessions whose master has
   * not answered by then are dropped without LOGOUT); upssched timers are cancelled; queued hooks
   * dropped. Resolves with the names of the UPSes dropped without LOGOUT.
   */
  async stop(options: { deadlineMs?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    this.running = false;
    if (this.sampleTimer) this.deps.clock.clearTimeout(this.sampleTimer);
    this.sampleTimer = null;
    const sessions = this.sessions();
    const answered = await Promise.all(sessions.map((session) => session.stop(options)));
    const dropped = sessions.filter((_, i) => !answered[i]).map((session) => session.systemName);
    this.sessionsById.clear();
    await this.dispatcher.close();
    return dropped;
  }

  /** Apply a new configuration: sessions whose settings changed are restarted, others keep running. */
  applyConfig(config: Config): void {
    this.config = config;
    this.dispatcher.updateConfig(config.hooks);
    if (this.running) this.syncSessions();
    this.queueSuppliesCheck();
    this.emit('changed');
  }

  suspend(): void {
    for (const session of this.sessions()) session.suspend();
  }

  resume(): void {
    for (const session of this.sessions()) session.resume();
  }

  snapshot(): Omit<AppSnapshot, 'configProblem' | 'programProblems'> {
    const now = this.deps.clock.now();
    const ups = this.sessions().map((session) => this.upsSnapshot(session, now));
    return {
      ups,
      tray: buildTrayState(ups, now),
      notificationsPaused: this.config.notifications.paused,
      at: now,
    };
  }

  upsSnapshot(session: UpsSession, now = this.deps.clock.now()): UpsSnapshot {
    const entry = this.sessionsById.get(session.monitorId);
    return buildUpsSnapshot(
      {
        monitorId: session.monitorId,
        masterId: session.settings.masterId,
        masterLabel: entry?.master.label ?? session.settings.masterLabel,
        upsName: session.settings.ups.name,
        systemName: session.systemName,
        view: session.view,
        variables: session.variables,
        statusAt: session.statusAt,
        variablesAt: session.variablesAt,
        lastError: session.lastError,
        server: session.server,
        tls: session.tls,
        clients: session.clients,
        localAddress: session.localAddress,
        addressHistory: this.addressByMaster.get(session.settings.masterId) ?? null,
        hostnameOf: (address) => session.hostnameOf(address),
        expectedClients: entry?.ups.expectedClients ?? [],
        dryRun: this.config.shutdown.dryRun,
        timing: this.config.timing,
        monotonicToEpoch: this.deps.clock.now() - this.deps.clock.monotonic(),
        rule: this.ruleFor(session),
      },
      now,
    );
  }

  private ruleFor(session: UpsSession): UpsSnapshot['rule'] {
    const entry = this.sessionsById.get(session.monitorId);
    const { timing, shutdown } = this.config;
    const command = shutdown.command ?? defaultShutdownCommand();
    // Like checkSupplies(): what the other UPSes feeding this machine that are not critical supply.
    const otherSupplies = [...this.sessionsById.values()]
      .filter(
        (other) =>
          other.session !== session && feedsThisMachine(other.ups) && !other.session.view.critical,
      )
      .reduce((sum, other) => sum + other.ups.powerValue, 0);
    return describeShutdownRule({
      role: entry?.ups.role ?? session.view.role,
      powerValue: entry?.ups.powerValue ?? 1,
      hostSyncSeconds: timing.hostSyncSeconds,
      finalDelaySeconds: timing.finalDelaySeconds,
      command: [command.file, ...command.args].join(' '),
      dryRun: shutdown.dryRun,
      minSupplies: shutdown.minSupplies,
      otherSupplies,
    });
  }

  private syncSessions(): void {
    const wanted = new Map<string, { master: Master; ups: MonitoredUps; key: string }>();
    for (const master of this.config.masters) {
      for (const ups of master.ups) {
        // Only what a session is built from: other settings (dry run, hooks) apply without a reconnect.
        const key = JSON.stringify({ ...this.settingsFor(master, ups), masterLabel: undefined });
        wanted.set(monitorId(master.id, ups.name), { master, ups, key });
      }
    }
    for (const [id, entry] of this.sessionsById) {
      const next = wanted.get(id);
      if (!next || next.key !== entry.key) {
        this.sessionsById.delete(id);
        void entry.session.stop();
      } else {
        entry.master = next.master;
      }
    }
    for (const [id, next] of wanted) {
      if (this.sessionsById.has(id)) continue;
      const session = new UpsSession(this.settingsFor(next.master, next.ups), {
        clock: this.deps.clock,
        logger: this.deps.logger,
        sink: this.sink,
        ticker: this.ticker,
        password: () => this.deps.password(next.master, next.ups),
        ...(this.deps.connect ? { connect: this.deps.connect } : {}),
        ...(this.deps.reverseLookup ? { reverseLookup: this.deps.reverseLookup } : {}),
      });
      this.sessionsById.set(id, { session, key: next.key, master: next.master, ups: next.ups });
      session.start();
    }
  }

  private settingsFor(master: Master, ups: MonitoredUps): UpsSessionSettings {
    const { timing, shutdown, hooks } = this.config;
    const messages = Object.fromEntries(
      Object.entries(hooks.events).flatMap(([type, policy]) =>
        policy?.message ? [[type, policy.message]] : [],
      ),
    );
    return {
      masterId: master.id,
      masterLabel: master.label,
      preset: master.preset,
      host: master.host,
      port: master.port,
      tls: master.tls,
      ups,
      timing,
      decision: decisionConfig(upsSystemName(master, ups.name), {
        deadTimeMs: timing.deadTimeSeconds * 1000,
        hostSyncMs: timing.hostSyncSeconds * 1000,
        finalDelayMs: timing.finalDelaySeconds * 1000,
        noCommWarnMs: timing.noCommWarnSeconds * 1000,
        rbWarnMs: timing.rbWarnSeconds * 1000,
        commLossCriticalMs: timing.commLossCriticalSeconds * 1000,
        // A power value of 0 never shuts this machine down (upsmon semantics).
        role: ups.powerValue === 0 ? 'monitor-only' : ups.role,
        hostDecides: shutdown.minSupplies !== null,
        latchedFsdAtStart: shutdown.latchedFsdAtStart,
        messages,
      }),
    };
  }

  private readonly sink: SessionSink = {
    notify: (session, effect) => {
      if (effect.event === 'SHUTDOWN') {
        // Several critical UPSes each begin their own episode; the host shuts down once. Their
        // decisions stay in the event log as shutdown-begins; hooks and the desktop see one SHUTDOWN.
        if (this.shutdownNotified) {
          this.deps.logger.log(
            'info',
            `${session.systemName}: shutdown already announced by another UPS: SHUTDOWN not notified again`,
            { monitorId: session.monitorId },
          );
          return;
        }
        this.shutdownNotified = true;
      }
      const summary = this.dispatcher.dispatch({
        event: effect.event,
        upsName: effect.upsName,
        message: effect.message,
        monitorId: session.monitorId,
        ...(effect.event === 'SHUTDOWN' ? { desktopNote: this.shutdownNote() } : {}),
      });
      this.record({
        at: this.deps.clock.now(),
        monitorId: effect.event === 'SHUTDOWN' ? '*' : session.monitorId,
        kind: 'notify',
        type: effect.event,
        severity: DEFAULT_NOTIFY_SEVERITY[effect.event],
        message: summary.message,
        data: {
          upsName: effect.upsName,
          // SHUTDOWN is this machine's, not one UPS's (monitorId `*`); the log still names the UPS.
          ...(effect.event === 'SHUTDOWN' ? { triggeredBy: session.monitorId } : {}),
          status: session.view.status,
          // A refused LOGIN is one event: what the server said and the fix travel with it.
          ...(effect.event === 'LOGIN_REFUSED' && session.lastError
            ? { code: session.lastError.code, fix: session.lastError.fix }
            : {}),
        },
      });
    },
    beginShutdown: (session, effect) => {
      this.record({
        at: this.deps.clock.now(),
        monitorId: session.monitorId,
        kind: 'system',
        type: 'SHUTDOWN_BEGINS',
        severity: 'critical',
        message: `Shutdown sequence started (${effect.reason}); the shutdown command runs in ${Math.round(effect.finalDelayMs / 1000)} s${this.config.shutdown.dryRun ? ' (dry run)' : ''}.`,
        data: { reason: effect.reason, finalDelayMs: effect.finalDelayMs },
      });
    },
    runShutdownCommand: (session, effect) =>
      this.runShutdownOnce(session.monitorId, `${effect.reason} on ${effect.upsName}`),
    system: (session, type, severity, message) => {
      this.record({
        at: this.deps.clock.now(),
        monitorId: session.monitorId,
        kind: 'system',
        type,
        severity,
        message,
      });
    },
    changed: (session) => {
      this.checkLocalAddress(session);
      this.checkExpectedClients(session);
      this.queueSuppliesCheck();
      // With the session: listeners that care about one UPS need not look at all of them.
      this.emit('changed', session);
    },
  };

  /** The countdown and what to expect, for the SHUTDOWN desktop notification. */
  private shutdownNote(): string {
    const seconds = this.config.timing.finalDelaySeconds;
    return this.config.shutdown.dryRun
      ? `Dry run: in ${seconds} s the shutdown command is recorded, not executed; this machine logs out like a real shutdown, then logs in again and keeps monitoring.`
      : `This computer shuts down in ${seconds} s: save your work now. To rehearse without shutting down, turn on dry run in Settings → Shutdown.`;
  }

  /**
   * One shutdown command for the whole machine, like upsmon: a UPS that turns critical while the
   * command runs, or after it succeeded, shares that outcome. Only when the machine is known to
   * still be up — a dry run, or a command that failed — does a later episode run it again, with
   * the configuration of that moment (e.g. dry run switched off since).
   */
  private runShutdownOnce(monitorId: string, reason: string): Promise<ShutdownOutcome> {
    if (this.shutdown) return this.shutdown;
    const run = (async (): Promise<ShutdownOutcome> => {
      const started = await runShutdownCommand({
        config: this.config.shutdown,
        runner: this.deps.runner,
        clock: this.deps.clock,
        sink: (event) => this.record(event),
        logger: this.deps.logger,
        monitorId,
        reason,
        ...(this.deps.secrets ? { secrets: this.deps.secrets } : {}),
      });
      if (!started.started)
        return {
          ok: false,
          detail: started.spawnError ?? 'the shutdown command could not be started',
        };
      const result = await started.completion;
      if (result === null)
        return { ok: true, detail: 'dry run: recorded, not executed', dryRun: true };
      const ok = result.exitCode === 0 && !result.timedOut;
      return ok
        ? { ok }
        : {
            ok,
            detail: result.timedOut
              ? 'timed out'
              : `exit code ${result.exitCode ?? result.signal ?? '?'}`,
          };
    })();
    this.shutdown = run;
    void run.then((outcome) => {
      const machineStaysUp = !outcome.ok || outcome.dryRun === true;
      if (machineStaysUp && this.shutdown === run) {
        this.shutdown = null;
        // The next episode is a new host shutdown: it is announced (SHUTDOWN) again.
        this.shutdownNotified = false;
      }
    });
    return run;
  }

  /** After the session that changed has applied all its effects (a check may feed that session too). */
  private queueSuppliesCheck(): void {
    if (this.suppliesCheckQueued || this.config.shutdown.minSupplies === null) return;
    this.suppliesCheckQueued = true;
    queueMicrotask(() => {
      this.suppliesCheckQueued = false;
      this.checkSupplies();
    });
  }

  /**
   * upsmon's recalc() across UPSes (main/monitor/README.md §1.6 step 3) when MINSUPPLIES is set: the UPSes
   * feeding this machine that are not critical contribute their power value; below MINSUPPLIES
   * every feeding session starts the shutdown (one command for the machine, each logs out).
   */
  private checkSupplies(): void {
    const minSupplies = this.config.shutdown.minSupplies;
    if (minSupplies === null || !this.running) return;
    const feeding = [...this.sessionsById.values()].filter((entry) => feedsThisMachine(entry.ups));
    const critical = feeding.filter((entry) => entry.session.view.critical);
    const fine = feeding.reduce(
      (sum, entry) => sum + (entry.session.view.critical ? 0 : entry.ups.powerValue),
      0,
    );
    if (fine >= minSupplies) return;
    const detail = `power ${fine} left, MINSUPPLIES ${minSupplies}; critical: ${critical.map((entry) => entry.session.systemName).join(', ') || 'none'}`;
    for (const entry of feeding) {
      const phase = entry.session.view.shutdown.phase;
      if (phase === 'none' || phase === 'waiting-hostsync') entry.session.suppliesShort(detail);
    }
  }

  /**
   * The address the master sees this machine as changed (a new DHCP lease, another interface):
   * the master's allow-list — Synology's Permitted DiskStation devices, a Proxmox firewall rule —
   * may name the old one. One event and one notification per change and master.
   */
  private checkLocalAddress(session: UpsSession): void {
    const address = session.localAddress;
    if (address === null) return;
    const { masterId, masterLabel } = session.settings;
    const known = this.addressByMaster.get(masterId);
    if (known?.address === address) return;
    const now = this.deps.clock.now();
    this.addressByMaster.set(masterId, {
      address,
      since: now,
      previous: known?.address ?? null,
      changedAt: known ? now : null,
    });
    if (!known) return;
    const label = this.sessionsById.get(session.monitorId)?.master.label ?? masterLabel;
    const message = `${label} now sees this machine as ${address} (was ${known.address}). If the master allows only listed addresses — Synology: Control Panel → Hardware & Power → UPS → Permitted DiskStation devices; Proxmox: a firewall rule for port 3493 — add ${address} there, or give this machine a fixed address (a DHCP reservation).`;
    this.record({
      at: now,
      monitorId: session.monitorId,
      kind: 'system',
      type: 'ADDRESS_CHANGED',
      severity: 'warning',
      message,
      data: { masterId, previous: known.address, address },
    });
    void this.deps.notifier
      ?.notify({
        key: `ADDRESS_CHANGED:${masterId}:${address}`,
        title: 'This machine’s address changed',
        body: message,
        urgency: 'normal',
        route: `/ups/${session.monitorId.split('/').map(encodeURIComponent).join('/')}/clients`,
      })
      .catch(() => undefined);
  }

  /** Expected clients that vanish from LIST CLIENT get one notification each (until they return). */
  private checkExpectedClients(session: UpsSession): void {
    const entry = this.sessionsById.get(session.monitorId);
    if (!entry || entry.ups.expectedClients.length === 0 || session.clients?.addresses == null)
      return;
    const snapshot = this.upsSnapshot(session);
    const missing = new Set(snapshot.clients.missingExpected);
    const already = this.missingNotified.get(session.monitorId) ?? new Set<string>();
    for (const name of missing) {
      if (already.has(name)) continue;
      already.add(name);
      const message = `Expected client ${name} is not logged in to ${session.systemName}: if the power fails, the master will not wait for it.`;
      this.record({
        at: this.deps.clock.now(),
        monitorId: session.monitorId,
        kind: 'system',
        type: 'EXPECTED_CLIENT_MISSING',
        severity: 'warning',
        message,
      });
      void this.deps.notifier
        ?.notify({
          key: `CLIENT_MISSING:${session.monitorId}:${name}`,
          title: 'Expected client missing',
          body: message,
          urgency: 'normal',
          route: `/ups/${session.monitorId.split('/').map(encodeURIComponent).join('/')}/clients`,
        })
        .catch(() => undefined);
    }
    for (const name of [...already]) {
      if (!missing.has(name)) {
        already.delete(name);
        this.record({
          at: this.deps.clock.now(),
          monitorId: session.monitorId,
          kind: 'system',
          type: 'EXPECTED_CLIENT_BACK',
          severity: 'info',
          message: `Expected client ${name} is logged in again.`,
        });
      }
    }
    this.missingNotified.set(session.monitorId, already);
  }

  private scheduleSampling(): void {
    if (!this.running) return;
    this.sampleTimer = this.deps.clock.setTimeout(() => {
      this.sampleAll();
      this.scheduleSampling();
    }, this.config.history.sampleSeconds * 1000);
  }

  /** Samples the latest readings; readings older than two full polls are recorded as gaps, not values. */
  private sampleAll(): void {
    const record = this.deps.recordSample;
    if (!record) return;
    const now = this.deps.clock.now();
    const maxAge =
      Math.max(2 * this.config.timing.fullPollSeconds, this.config.history.sampleSeconds) * 1000 +
      1000;
    for (const session of this.sessions()) {
      const fresh = session.variablesAt !== null && now - session.variablesAt <= maxAge;
      const vars = fresh ? session.variables : new Map<string, string>();
      record({
        at: now,
        monitorId: session.monitorId,
        charge: numericVariable(vars, 'battery.charge'),
        runtime: numericVariable(vars, 'battery.runtime'),
        load: numericVariable(vars, 'ups.load'),
        inputVoltage: numericVariable(vars, 'input.voltage'),
        status:
          session.statusAt !== null && now - session.statusAt <= maxAge
            ? session.view.status
            : null,
      });
    }
  }

  private record(event: StoredEvent): void {
    try {
      this.deps.recordEvent(event);
    } catch (error) {
      this.deps.logger.log(
        'error',
        `could not record an event: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.emit('event', event);
  }
}
