/**
 * One FSD test run: idle → countdown → running → finished | aborted | failed.
 *
 * - Countdown: nothing has been sent yet; abort ends the run at once and nothing is ever sent.
 * - Master mode: an observer connection (anonymous, never LOGINs, so it is not counted) takes a
 *   baseline of LIST CLIENT + NUMLOGINS; then a second connection authenticates with the FSD
 *   credential and sends `FSD <ups>` (t0 = its `OK FSD-SET`). From then on LIST CLIENT +
 *   NUMLOGINS are sampled every ~200 ms: each address that disappears is a secondary that logged
 *   out (its session closed), with its reverse-DNS name; NUMLOGINS changes are recorded too.
 *   This machine's own monitor sees the FSD on its next poll and runs its shutdown sequence
 *   (dry run or real, as configured): its notifications, hook runs and logout are in the
 *   timeline. The run ends when every secondary except this machine's own session has left, or
 *   HOSTSYNC + grace after t0. Secondaries that left after HOSTSYNC are "late", those still
 *   there at the end "never" (the master would have cut power while they were up).
 * - Local mode: this machine's shutdown sequence alone, like `upsmon -c fsd` on a secondary:
 *   the SHUTDOWN notification through a hook dispatcher (hooks run for real, output captured),
 *   FINALDELAY, the shutdown command with the test's dry-run flag, all timed. Never touches the
 *   master: no FSD, and in dry run the live monitoring session stays logged in. A real run logs
 *   the session out when the command starts (as upsmon does) and back in if this machine is
 *   still running when the command returns.
 */
import { randomUUID } from 'node:crypto';
import type {
  FsdHookRun,
  FsdLocalResult,
  FsdPreflight,
  FsdReport,
  FsdRunState,
  FsdRunView,
  FsdSecondaryResult,
  FsdTimelineEntry,
  FsdTimelineKind,
} from '../../shared/fsd-test';
import type { StoredEvent } from '../../shared/history';
import type { TimerHandle } from '../platform/ports';
import { HookDispatcher } from '../hooks/hook-dispatcher';
import { defaultShutdownCommand, runShutdownCommand } from '../hooks/shutdown-command';
import type { NutClient } from '../nut/client';
import { NutError } from '../nut/errors';
import {
  type FsdTestDeps,
  type Target,
  connectToMaster,
  errorMessage,
  lookupName,
  normalizeAddress,
} from './deps';
import type { ResolvedCredential } from './preflight';
import { latchNote, summarize } from './report';

type ApiErrorShape = { code: string; message: string; fix?: string };

export interface FsdRunOptions {
  deps: FsdTestDeps;
  target: Target;
  preflight: FsdPreflight;
  credential: ResolvedCredential | null;
  /** Ids of the blockers the user overrode. */
  overridden: string[];
  countdownSeconds: number;
  graceSeconds: number;
  /** Local mode: record the shutdown command instead of running it. */
  dryRun: boolean;
  /** Called on every visible change (→ `fsd:progress`). */
  onChange(run: FsdRun): void;
  /** Called once with the final report (→ history). */
  onReport(report: FsdReport, run: FsdRun): void;
}

/** One logged-in connection seen at the baseline (LIST CLIENT may list an address several times). */
interface Slot {
  address: string;
  hostname: string | null;
  isThisMachine: boolean;
  leftAt: number | null;
  resolutionMs: number | null;
}

interface Sample {
  at: number;
  addresses: string[] | null;
  numLogins: number | null;
  status: string | null;
}

const MONITOR_EVENT_TYPES = new Set([
  'FSD',
  'SHUTDOWN',
  'SHUTDOWN_BEGINS',
  'SHUTDOWN_COMMAND',
  'HOOK_RUN',
  'LOGOUT',
  'DISCONNECTED',
  'LOGIN',
  'UPSSCHED',
]);

export class FsdRun {
  readonly id = randomUUID();
  readonly createdAt: number;
  private stateValue: FsdRunState = 'idle';
  private readonly entries: FsdTimelineEntry[] = [];
  private countdownEndsAt: number | null = null;
  private t0: number | null = null;
  private startedAt: number | null = null;
  private finishedAt: number | null = null;
  private deadline: number | null = null;
  private numLogins: number | null = null;
  private slots: Slot[] = [];
  private reportId: string | null = null;
  private latchState: { note: string; watching: boolean; clearedAt: number | null } | null = null;
  private errorValue: ApiErrorShape | null = null;
  private abortRequested = false;
  private readonly abortListeners = new Set<() => void>();
  private tickTimer: TimerHandle | null = null;
  private finished!: () => void;
  /** Resolves when the run has ended (whatever the outcome) and its report was handed over. */
  readonly done: Promise<void>;
  private fsdWasSet = false;
  private localResult: FsdLocalResult | null = null;
  private perClient = false;
  private numLoginsBefore: number | null = null;

  constructor(private readonly options: FsdRunOptions) {
    this.createdAt = options.deps.clock.now();
    this.done = new Promise((resolve) => (this.finished = resolve));
  }

  get state(): FsdRunState {
    return this.stateValue;
  }

  get mode(): FsdPreflight['mode'] {
    return this.options.preflight.mode;
  }

  get monitorId(): string {
    return this.options.target.monitorId;
  }

  /** True once FSD-SET was received (the latch is set on the master). */
  get fsdSet(): boolean {
    return this.fsdWasSet;
  }

  get active(): boolean {
    return this.stateValue === 'countdown' || this.stateValue === 'running';
  }

  /** Starts the countdown (then the run). Returns at once. */
  start(): void {
    if (this.stateValue !== 'idle') return;
    const { countdownSeconds } = this.options;
    const { clock } = this.options.deps;
    this.stateValue = 'countdown';
    this.countdownEndsAt = clock.now() + countdownSeconds * 1000;
    this.add(
      'countdown',
      this.mode === 'master'
        ? `Countdown ${countdownSeconds} s: FSD will be sent to ${this.options.preflight.systemName} when it ends. Abort now and nothing is sent.`
        : `Countdown ${countdownSeconds} s: then this machine’s shutdown sequence runs${this.options.dryRun ? ' (dry run)' : ' FOR REAL'}.`,
    );
    this.record(
      'FSD_TEST_STARTED',
      'warning',
      `FSD test (${this.mode} mode) armed on ${this.options.preflight.systemName}: ${countdownSeconds} s countdown${this.options.overridden.length > 0 ? `, overriding ${this.options.overridden.join(', ')}` : ''}.`,
    );
    this.tick();
    void this.main();
  }

  /**
   * Abort. During the countdown nothing has been sent and nothing will be. While running, the
   * observation stops (master mode: FSD is already latched on the master and cannot be taken
   * back) or the local sequence stops before its next step.
   */
  abort(): void {
    if (!this.active || this.abortRequested) return;
    this.abortRequested = true;
    this.add(
      'aborted',
      this.stateValue === 'countdown'
        ? 'Aborted during the countdown: nothing was sent.'
        : this.fsdWasSet
          ? 'Aborted: observation stopped. FSD was already set on the master and stays set.'
          : 'Aborted.',
    );
    const inCountdown = this.stateValue === 'countdown';
    for (const listener of [...this.abortListeners]) listener();
    // Nothing was sent and nothing will be: the run is over at once.
    if (inCountdown) this.end('aborted');
    else this.changed();
  }

  view(): FsdRunView {
    const { preflight } = this.options;
    const now = this.options.deps.clock.now();
    return {
      runId: this.id,
      preflightId: preflight.id,
      monitorId: this.monitorId,
      mode: this.mode,
      upsName: preflight.upsName,
      state: this.stateValue,
      createdAt: this.createdAt,
      countdown: {
        seconds: this.options.countdownSeconds,
        endsAt: this.countdownEndsAt,
        secondsLeft:
          this.stateValue === 'countdown' && this.countdownEndsAt !== null
            ? Math.max(0, Math.ceil((this.countdownEndsAt - now) / 1000))
            : 0,
      },
      t0: this.t0,
      finishedAt: this.finishedAt,
      hostSyncSeconds: preflight.timeBudget.hostSyncSeconds,
      deadline: this.deadline,
      numLogins: this.numLogins,
      remaining: this.slots
        .filter((slot) => slot.leftAt === null)
        .map((slot) => ({
          address: slot.address,
          hostname: slot.hostname,
          isThisMachine: slot.isThisMachine,
        })),
      timeline: this.timeline(),
      reportId: this.reportId,
      latch: this.latchState ? { ...this.latchState } : null,
      error: this.errorValue,
    };
  }

  /** The latch follow-up's state (set by the handlers after a master-mode run). */
  setLatch(
    latch: { note: string; watching: boolean; clearedAt: number | null },
    entry?: { at: number; message: string },
  ): void {
    this.latchState = latch;
    if (entry) this.add('latch-cleared', entry.message, undefined, entry.at);
    this.changed();
  }

  // ------------------------------------------------------------------------------------------

  private timeline(): FsdTimelineEntry[] {
    // Relative to FSD-SET (master) or the sequence start (local); without one, to the arming: an
    // aborted run has no negative times before an FSD that never happened.
    const base = this.t0 ?? this.createdAt;
    return [...this.entries]
      .sort((a, b) => a.at - b.at)
      .map((entry) => ({ ...entry, t: Math.round(entry.at - base) }));
  }

  private add(
    kind: FsdTimelineKind,
    message: string,
    data?: Record<string, unknown>,
    at = this.options.deps.clock.now(),
  ): void {
    this.entries.push({ at, t: 0, kind, message, ...(data ? { data } : {}) });
    this.changed();
  }

  private changed(): void {
    try {
      this.options.onChange(this);
    } catch (error) {
      this.options.deps.logger.log(
        'warn',
        `fsd-test: progress listener failed: ${errorMessage(error)}`,
      );
    }
  }

  private record(
    type: string,
    severity: StoredEvent['severity'],
    message: string,
    data?: Record<string, unknown>,
  ): void {
    try {
      this.options.deps.recordEvent({
        at: this.options.deps.clock.now(),
        monitorId: this.monitorId,
        kind: 'fsd-test',
        type,
        severity,
        message,
        data: { runId: this.id, mode: this.mode, ...data },
      });
    } catch (error) {
      this.options.deps.logger.log(
        'error',
        `fsd-test: could not record an event: ${errorMessage(error)}`,
      );
    }
  }

  /** Resolves true after `ms`, false as soon as the run is aborted. */
  private wait(ms: number): Promise<boolean> {
    if (this.abortRequested) return Promise.resolve(false);
    const { clock } = this.options.deps;
    return new Promise((resolve) => {
      const onAbort = () => {
        clock.clearTimeout(timer);
        this.abortListeners.delete(onAbort);
        resolve(false);
      };
      const timer = clock.setTimeout(
        () => {
          this.abortListeners.delete(onAbort);
          resolve(true);
        },
        Math.max(0, ms),
      );
      this.abortListeners.add(onAbort);
    });
  }

  /** Countdown ticks for the UI (one push per second). */
  private tick(): void {
    const { clock } = this.options.deps;
    if (this.stateValue !== 'countdown' || this.countdownEndsAt === null) return;
    const left = this.countdownEndsAt - clock.now();
    if (left <= 0) return;
    this.tickTimer = clock.setTimeout(
      () => {
        this.tickTimer = null;
        if (this.stateValue === 'countdown') {
          this.changed();
          this.tick();
        }
      },
      Math.min(1000, left % 1000 || 1000),
    );
  }

  private async main(): Promise<void> {
    const { deps } = this.options;
    try {
      const completed = await this.wait((this.countdownEndsAt ?? 0) - deps.clock.now());
      if (this.tickTimer) deps.clock.clearTimeout(this.tickTimer);
      if (!completed) {
        this.end('aborted');
        return;
      }
      this.stateValue = 'running';
      this.startedAt = deps.clock.now();
      this.changed();
      if (this.mode === 'master') await this.runMaster();
      else await this.runLocal();
      if (this.stateValue === 'running') this.end(this.abortRequested ? 'aborted' : 'finished');
    } catch (error) {
      deps.logger.log('error', `fsd-test: run failed: ${errorMessage(error)}`);
      this.fail({ code: 'INTERNAL', message: `The FSD test failed: ${errorMessage(error)}` });
    }
  }

  private fail(error: ApiErrorShape): void {
    if (!this.active) return;
    this.errorValue = error;
    this.add('error', error.message, error.fix ? { fix: error.fix } : undefined);
    this.end('failed');
  }

  private end(state: 'finished' | 'aborted' | 'failed'): void {
    if (!this.active) return;
    const { deps } = this.options;
    if (this.tickTimer) deps.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.stateValue = state;
    this.finishedAt = deps.clock.now();
    if (this.fsdWasSet)
      this.latchState = {
        note: latchNote(this.options.preflight.master.kind === 'synology'),
        watching: true,
        clearedAt: null,
      };
    const report = this.buildReport(state);
    this.add('finished', report.summary[0] ?? `Run ${state}.`);
    report.timeline = this.timeline();
    this.reportId = report.id;
    this.record(
      state === 'aborted'
        ? 'FSD_TEST_ABORTED'
        : state === 'failed'
          ? 'FSD_TEST_FAILED'
          : 'FSD_TEST_FINISHED',
      state === 'finished' && report.secondaries.every((s) => s.verdict === 'in-time')
        ? 'info'
        : 'warning',
      `FSD test (${this.mode} mode) on ${this.options.preflight.systemName} ${state}: ${report.summary[0] ?? ''}`.trim(),
      { reportId: report.id },
    );
    try {
      this.options.onReport(report, this);
    } catch (error) {
      deps.logger.log('error', `fsd-test: could not store the report: ${errorMessage(error)}`);
    }
    this.changed();
    this.finished();
  }

  // ------------------------------------------------------------------------------------------
  // Master mode

  private async runMaster(): Promise<void> {
    const { deps, target, preflight, credential } = this.options;
    const { ups } = target;
    if (!credential) {
      this.fail({
        code: 'FSD-CREDENTIAL-REQUIRED',
        message: 'No credential with the FSD right: nothing was sent.',
      });
      return;
    }
    let observer: NutClient;
    try {
      observer = await connectToMaster(deps, target.master);
    } catch (error) {
      this.fail(apiErrorOf(error, 'Cannot reach the master (nothing was sent):'));
      return;
    }
    const unsubscribe = deps.onMonitorEvent((event) => this.onMonitorEvent(event));
    try {
      // Baseline: who is logged in before anything happens.
      const baseline = await this.sample(observer, true);
      const session = deps.session(target.monitorId);
      const ownAddress =
        session?.view.loggedIn && session.localAddress
          ? normalizeAddress(session.localAddress)
          : null;
      this.perClient = baseline.addresses !== null;
      this.numLogins = baseline.numLogins;
      this.numLoginsBefore = baseline.numLogins;
      const names = new Map<string, string | null>();
      await Promise.all(
        [...new Set(baseline.addresses ?? [])].map(async (address) =>
          names.set(address, await lookupName(deps, address)),
        ),
      );
      let ownMarked = false;
      this.slots = (baseline.addresses ?? []).map((address) => {
        const own = !ownMarked && ownAddress !== null && address === ownAddress;
        if (own) ownMarked = true;
        return {
          address,
          hostname: names.get(address) ?? null,
          isThisMachine: own,
          leftAt: null,
          resolutionMs: null,
        };
      });
      const others = this.slots.filter((slot) => !slot.isThisMachine);
      this.add(
        'baseline',
        this.perClient
          ? `Before FSD: ${this.slots.length} logged in (NUMLOGINS ${baseline.numLogins ?? '?'}): ${this.slots.map((s) => describeSlot(s)).join(', ') || 'nobody'}.`
          : `Before FSD: NUMLOGINS ${baseline.numLogins ?? '?'} (the master does not list its clients).`,
        { addresses: baseline.addresses, numLogins: baseline.numLogins },
        baseline.at,
      );
      if (this.abortRequested) return;

      // FSD, on its own connection with the FSD credential.
      let fsdClient: NutClient | null = null;
      try {
        fsdClient = await connectToMaster(deps, target.master);
        await fsdClient.authenticate(credential.username, credential.password);
        if (this.abortRequested) return;
        this.add('fsd-sent', `FSD ${ups.name} sent as "${credential.username}".`);
        await fsdClient.fsd(ups.name);
      } catch (error) {
        this.fail(apiErrorOf(error, 'FSD was not set:'));
        return;
      } finally {
        await fsdClient?.close();
      }
      this.t0 = deps.clock.now();
      this.fsdWasSet = true;
      const hostSyncMs = preflight.timeBudget.hostSyncSeconds * 1000;
      this.deadline = this.t0 + hostSyncMs + this.options.graceSeconds * 1000;
      this.add(
        'fsd-set',
        `OK FSD-SET: the master now advertises FSD on ${preflight.systemName}. The latch stays until upsd restarts.`,
        undefined,
        this.t0,
      );
      this.record(
        'FSD_SET',
        'critical',
        `FSD test: FSD set on ${preflight.systemName} by "${credential.username}". Every secondary of this UPS shuts down; the latch stays until upsd restarts.`,
      );

      // Sampling until every other secondary has left, or HOSTSYNC + grace.
      let previous = multiset(baseline.addresses ?? []);
      let previousAt = baseline.at;
      let statusSeen = false;
      const interval = deps.tuning?.sampleIntervalMs ?? 200;
      const noOthersAtStart = this.perClient
        ? others.length === 0
        : (baseline.numLogins ?? 0) - (ownAddress ? 1 : 0) <= 0;
      let hostSyncNoted = false;
      while (!this.abortRequested && deps.clock.now() < this.deadline) {
        if (!(await this.wait(interval))) break;
        let sample: Sample;
        try {
          sample = await this.sample(observer, !statusSeen);
        } catch (error) {
          this.add('note', `Observer connection lost (${errorMessage(error)}); reconnecting.`);
          await observer.close();
          try {
            observer = await connectToMaster(deps, target.master);
          } catch (reconnectError) {
            this.add('error', `Cannot reconnect to the master: ${errorMessage(reconnectError)}`);
            if (!(await this.wait(1000))) break;
          }
          continue;
        }
        if (!statusSeen && sample.status !== null && /\bFSD\b/i.test(sample.status)) {
          statusSeen = true;
          this.add('fsd-visible', `ups.status is now "${sample.status}".`, undefined, sample.at);
        }
        if (!hostSyncNoted && this.t0 !== null && sample.at - this.t0 > hostSyncMs) {
          hostSyncNoted = true;
          const waiting = this.slots.filter((slot) => slot.leftAt === null && !slot.isThisMachine);
          this.add(
            'note',
            `HOSTSYNC (${preflight.timeBudget.hostSyncSeconds} s) is over: the master’s upsmon stops waiting now${waiting.length > 0 ? ` although ${waiting.map(describeSlot).join(', ')} ${waiting.length === 1 ? 'is' : 'are'} still logged in` : ''}.`,
            undefined,
            this.t0 + hostSyncMs,
          );
        }
        if (sample.numLogins !== null && sample.numLogins !== this.numLogins) {
          this.add(
            'numlogins',
            `NUMLOGINS ${this.numLogins ?? '?'} → ${sample.numLogins}.`,
            { from: this.numLogins, to: sample.numLogins },
            sample.at,
          );
          this.numLogins = sample.numLogins;
        }
        if (sample.addresses !== null) {
          const current = multiset(sample.addresses);
          this.diff(previous, current, sample.at, sample.at - previousAt);
          previous = current;
          previousAt = sample.at;
        }
        // Wait for this machine too (its own sequence closes its session after FINALDELAY), so
        // its verdict is measured rather than "never" by luck; HOSTSYNC + grace still bounds the run.
        const everyoneLeft = this.perClient
          ? this.slots.every((slot) => slot.leftAt !== null)
          : this.numLogins !== null && this.numLogins === 0;
        if (everyoneLeft && !noOthersAtStart) {
          this.add('note', 'Every secondary, this machine included, has logged out.');
          break;
        }
        if (noOthersAtStart && this.slots.every((slot) => slot.leftAt !== null)) break;
      }
    } finally {
      unsubscribe();
      await observer.close();
    }
  }

  private async sample(client: NutClient, withStatus: boolean): Promise<Sample> {
    const ups = this.options.target.ups.name;
    const at = this.options.deps.clock.now();
    const [addresses, numLogins, status] = await Promise.all([
      client.listClient(ups).catch(soft(null)),
      client.getNumLogins(ups).catch(soft(null)),
      withStatus ? client.getVar(ups, 'ups.status').catch(soft(null)) : Promise.resolve(null),
    ]);
    return { at, addresses: addresses?.map(normalizeAddress) ?? null, numLogins, status };
  }

  /** Departures and arrivals between two LIST CLIENT samples. */
  private diff(
    before: Map<string, number>,
    after: Map<string, number>,
    at: number,
    resolutionMs: number,
  ): void {
    const session = this.options.deps.session(this.options.target.monitorId);
    const ownGone = !session?.isConnected;
    for (const [address, count] of before) {
      const left = count - (after.get(address) ?? 0);
      for (let i = 0; i < left; i++) {
        const candidates = this.slots.filter(
          (slot) => slot.address === address && slot.leftAt === null,
        );
        // Which of several sessions from one address left is not visible; our own is known.
        const slot =
          (ownGone ? candidates.find((s) => s.isThisMachine) : undefined) ??
          candidates.find((s) => !s.isThisMachine) ??
          candidates[0];
        if (!slot) continue;
        slot.leftAt = at;
        slot.resolutionMs = Math.round(resolutionMs);
        const after_ = this.t0 === null ? null : at - this.t0;
        this.add(
          'client-left',
          `${describeSlot(slot)} logged out${after_ === null ? '' : ` ${(after_ / 1000).toFixed(1)} s after FSD`}.`,
          {
            address,
            hostname: slot.hostname,
            isThisMachine: slot.isThisMachine,
            leftAtMs: after_,
            resolutionMs: slot.resolutionMs,
          },
          at,
        );
      }
    }
    for (const [address, count] of after) {
      const joined = count - (before.get(address) ?? 0);
      if (joined > 0)
        this.add(
          'client-joined',
          `${address} logged in${joined > 1 ? ` ×${joined}` : ''} (after the baseline).`,
          { address },
          at,
        );
    }
  }

  private onMonitorEvent(event: StoredEvent): void {
    if (event.kind === 'fsd-test') return;
    if (event.monitorId !== this.monitorId && event.monitorId !== '*') return;
    if (!MONITOR_EVENT_TYPES.has(event.type)) return;
    if (this.startedAt !== null && event.at < this.startedAt) return;
    this.add(
      'this-machine',
      `This machine: ${event.message}`,
      { kind: event.kind, type: event.type },
      event.at,
    );
  }

  // ------------------------------------------------------------------------------------------
  // Local mode

  private async runLocal(): Promise<void> {
    const { deps, target, dryRun } = this.options;
    const config = deps.config();
    const t0 = deps.clock.now();
    this.t0 = t0;
    const hookRuns: FsdHookRun[] = [];
    let hooksDoneAt = t0;
    const tag = (event: StoredEvent): StoredEvent => ({
      ...event,
      message: `FSD test: ${event.message}`,
      data: { ...event.data, fsdTestRunId: this.id },
    });
    const dispatcher = new HookDispatcher({
      hooks: config.hooks,
      runner: deps.runner,
      clock: deps.clock,
      notifier: null,
      logger: deps.logger,
      secrets: () => deps.knownSecrets(),
      sink: (event) => {
        deps.recordEvent(tag(event));
        if (event.type !== 'HOOK_RUN' || !event.data) return;
        const data = event.data;
        const durationMs = num(data.durationMs) ?? 0;
        const run: FsdHookRun = {
          source: str(data.source) ?? 'hook',
          program: str(data.program) ?? '?',
          args: Array.isArray(data.args) ? data.args.map(String) : [],
          startedAtMs: Math.round(event.at - t0),
          durationMs: Math.round(durationMs),
          exitCode: num(data.exitCode),
          signal: str(data.signal),
          timedOut: data.timedOut === true,
          stdout: str(data.stdout) ?? '',
          stderr: str(data.stderr) ?? '',
          spawnError: str(data.spawnError),
        };
        hookRuns.push(run);
        hooksDoneAt = Math.max(hooksDoneAt, event.at + durationMs);
        this.add('hook', event.message, { ...run }, event.at + durationMs);
      },
    });
    const session = deps.session(target.monitorId);
    let sessionLoggedOut = false;
    let sessionResumed = false;
    let finalDelayMs: number;
    let command: FsdLocalResult['command'] = null;
    const timers: string[] = [];
    try {
      const summary = dispatcher.dispatch({
        event: 'SHUTDOWN',
        upsName: '',
        monitorId: target.monitorId,
      });
      for (const action of summary.upssched)
        if (action.action === 'START-TIMER') timers.push(`${action.timer} (${action.seconds} s)`);
      this.add(
        'notify',
        `SHUTDOWN notification ("${summary.message}"): ${summary.queued} program${summary.queued === 1 ? '' : 's'} started${timers.length > 0 ? `; upssched timers started: ${timers.join(', ')}` : ''}.`,
        { queued: summary.queued },
        t0,
      );
      const finalDelay = config.timing.finalDelaySeconds * 1000;
      const waited = await this.wait(finalDelay);
      finalDelayMs = Math.round(deps.clock.now() - t0);
      if (!waited) {
        this.add(
          'final-delay',
          `FINALDELAY interrupted after ${finalDelayMs} ms: the shutdown command was not run.`,
        );
      } else {
        this.add('final-delay', `FINALDELAY ${config.timing.finalDelaySeconds} s elapsed.`);
        const shutdownConfig = { ...config.shutdown, dryRun };
        const shown = shutdownConfig.command ?? defaultShutdownCommand();
        let commandStartedAt: number | null = null;
        let commandRecord: StoredEvent | null = null;
        const started = await runShutdownCommand({
          config: shutdownConfig,
          runner: deps.runner,
          clock: deps.clock,
          logger: deps.logger,
          monitorId: target.monitorId,
          reason: 'FSD test, local mode',
          secrets: () => deps.knownSecrets(),
          sink: (event) => {
            deps.recordEvent(tag(event));
            if (event.data?.phase === 'started' || event.data?.phase === 'dry-run')
              commandStartedAt = event.at;
            if (event.data?.phase === 'finished' || event.data?.phase === 'failed')
              commandRecord = event;
          },
        });
        const startedAt = commandStartedAt ?? deps.clock.now();
        if (started.dryRun) {
          this.add(
            'shutdown-command',
            `Dry run: would run ${[shown.file, ...shown.args].join(' ')} (not executed).`,
            undefined,
            startedAt,
          );
        } else if (!started.started) {
          this.add(
            'error',
            `The shutdown command could not start: ${started.spawnError ?? 'unknown error'}`,
            undefined,
            startedAt,
          );
        } else {
          this.add(
            'shutdown-command',
            `Shutdown command started: ${[shown.file, ...shown.args].join(' ')}.`,
            undefined,
            startedAt,
          );
          if (session?.isConnected) {
            // As upsmon: once the command runs, log out so the master stops waiting for us.
            await session.stop();
            sessionLoggedOut = true;
            this.add(
              'session',
              `Logged out of ${target.master.host} (as upsmon does once SHUTDOWNCMD runs).`,
            );
          }
        }
        const result = await started.completion;
        const finishedRecord = commandRecord as StoredEvent | null;
        const data = finishedRecord?.data ?? {};
        command = {
          program: shown.file,
          args: shown.args,
          isDefault: shutdownConfig.command === null,
          dryRun: started.dryRun,
          startedAtMs: started.started ? Math.round(startedAt - t0) : null,
          durationMs: result ? Math.round(result.durationMs) : started.dryRun ? 0 : null,
          exitCode: result?.exitCode ?? null,
          signal: result?.signal ?? null,
          timedOut: result?.timedOut ?? false,
          stdout: str(data.stdout) ?? result?.stdout ?? '',
          stderr: str(data.stderr) ?? result?.stderr ?? '',
          spawnError: started.spawnError ?? result?.spawnError ?? null,
        };
        if (result && started.started) {
          this.add(
            'shutdown-command',
            result.timedOut
              ? `The shutdown command timed out after ${Math.round(result.durationMs)} ms and was killed.`
              : `The shutdown command ended after ${Math.round(result.durationMs)} ms: ${result.signal ? `killed by ${result.signal}` : `exit code ${String(result.exitCode)}`}.`,
            { exitCode: result.exitCode, durationMs: Math.round(result.durationMs) },
          );
        }
        if (sessionLoggedOut && session) {
          session.start();
          sessionResumed = true;
          this.add(
            'session',
            'The shutdown command returned and this machine is still running: monitoring resumed (a fresh LOGIN).',
          );
        }
      }
      await dispatcher.idle();
    } finally {
      for (const timer of dispatcher.timers())
        this.add(
          'note',
          `upssched timer "${timer.name}" started by the test's SHUTDOWN was cancelled at the end of the test.`,
        );
      await dispatcher.close();
    }
    const end = deps.clock.now();
    this.localResult = {
      dryRun,
      finalDelaySeconds: config.timing.finalDelaySeconds,
      hooks: hookRuns.sort((a, b) => a.startedAtMs - b.startedAtMs),
      upsschedTimers: timers,
      command,
      sessionLoggedOut,
      sessionResumed,
      measured: {
        hooksMs: Math.round(hooksDoneAt - t0),
        finalDelayMs,
        commandMs: command?.durationMs ?? null,
        totalMs: Math.round(end - t0),
      },
    };
  }

  // ------------------------------------------------------------------------------------------
  // Report

  private buildReport(state: 'finished' | 'aborted' | 'failed'): FsdReport {
    const { preflight, deps } = this.options;
    const finishedAt = this.finishedAt ?? deps.clock.now();
    const hostSyncMs = preflight.timeBudget.hostSyncSeconds * 1000;
    const secondaries: FsdSecondaryResult[] = this.fsdWasSet
      ? this.slots.map((slot) => {
          const leftAtMs =
            slot.leftAt === null || this.t0 === null ? null : Math.round(slot.leftAt - this.t0);
          return {
            address: slot.address,
            hostname: slot.hostname,
            isThisMachine: slot.isThisMachine,
            leftAt: slot.leftAt,
            leftAtMs,
            resolutionMs: slot.resolutionMs,
            verdict: leftAtMs === null ? 'never' : leftAtMs <= hostSyncMs ? 'in-time' : 'late',
          };
        })
      : [];
    const started = this.startedAt ?? this.createdAt;
    const report: FsdReport = {
      id: randomUUID(),
      at: started,
      monitorId: this.monitorId,
      mode: this.mode,
      upsName: preflight.upsName,
      systemName: preflight.systemName,
      outcome: state === 'finished' ? 'completed' : state,
      master: {
        host: preflight.master.host,
        port: preflight.master.port,
        kind: preflight.master.kind,
        version: preflight.master.version,
        protocol: preflight.master.protocol,
      },
      hostSync: {
        seconds: preflight.timeBudget.hostSyncSeconds,
        source: preflight.timeBudget.hostSyncSource,
        note: preflight.timeBudget.hostSyncNote,
      },
      graceSeconds: this.options.graceSeconds,
      checks: preflight.checks,
      overridden: this.options.overridden,
      credentialUser: this.mode === 'master' ? (this.options.credential?.username ?? null) : null,
      fsdSetAt: this.fsdWasSet ? this.t0 : null,
      finishedAt,
      totalMs: Math.round(finishedAt - (this.t0 ?? started)),
      timeline: this.timeline(),
      secondaries,
      perClient: this.perClient,
      numLogins: {
        before: this.numLoginsBefore,
        after: this.mode === 'master' ? this.numLogins : null,
      },
      local: this.localResult,
      latch: this.latchState,
      summary: [],
      error: this.errorValue,
    };
    report.summary = summarize(report);
    return report;
  }
}

function multiset(addresses: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const address of addresses) counts.set(address, (counts.get(address) ?? 0) + 1);
  return counts;
}

function describeSlot(slot: Pick<Slot, 'address' | 'hostname' | 'isThisMachine'>): string {
  const name = slot.hostname ? `${slot.address} (${slot.hostname})` : slot.address;
  return slot.isThisMachine ? `${name} [this machine]` : name;
}

function soft<T>(fallback: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof NutError && !error.connectionLost) return fallback;
    throw error;
  };
}

function apiErrorOf(error: unknown, prefix: string): ApiErrorShape {
  if (
    error instanceof NutError &&
    error.code === 'ACCESS-DENIED' &&
    error.command?.startsWith('FSD')
  ) {
    return {
      code: error.code,
      message: `${prefix} the master answered ERR ACCESS-DENIED to FSD: this credential has no FSD right (or the password is wrong).`,
      fix: 'FSD needs a user with `upsmon primary` (or `master`) or `actions = FSD` in the master’s upsd.users.',
    };
  }
  if (error instanceof NutError)
    return { code: error.code, message: `${prefix} ${error.explanation}`, fix: error.fix };
  return { code: 'INTERNAL', message: `${prefix} ${errorMessage(error)}` };
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
