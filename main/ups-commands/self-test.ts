/**
 * Scheduled battery self-tests (a UPS entry's `selfTest`, off by default): at most every
 * `everyDays`, run the UPS's test command (test.battery.start.quick, or the one it offers) through
 * INSTCMD with TRACKING where the server has it, then follow `ups.test.result` to its verdict.
 * Every test, refusal and skip is an event of type `SELF_TEST` (shared/ups-commands.ts
 * SelfTestRecord in its data), which is also the history the UI shows and the schedule reads.
 *
 * A test only starts when the UPS is on line (OL, not OB, no outage in progress) and charged at
 * least `minChargePercent`. A refusal for lack of the right (or no credential at all, or no test
 * command) is recorded once and holds the schedule until a command credential is saved again:
 * never retried every month.
 */
import type { EventQuery, StoredEvent } from '../../shared/history';
import type { UpsSnapshot } from '../../shared/snapshot';
import {
  COMMAND_CREDENTIAL_EVENT,
  type CommandCredential,
  CommandCredentialSchema,
  SELF_TEST_COMMANDS,
  SELF_TEST_EVENT,
  type SelfTestRecord,
  SelfTestRecordSchema,
  type SelfTestResultKind,
  type SelfTestStatus,
} from '../../shared/ups-commands';
import type { Config } from '../../shared/config';
import type { Clock, Logger, TimerHandle } from '../platform/ports';
import {
  type Credential,
  type Target,
  type UpsCommands,
  connectToMaster,
  findTarget,
} from './ups-commands';
import type { NutClient, NutClientOptions } from '../nut/client';
import { statusTokens } from '../../shared/status-tokens';

export interface SelfTestDeps {
  commands: UpsCommands;
  config(): Config;
  connect(options: NutClientOptions): Promise<NutClient>;
  /** The live view of a monitored UPS (undefined when it is not monitored). */
  snapshot(monitorId: string): UpsSnapshot | undefined;
  history: { queryEvents(query: EventQuery): StoredEvent[] };
  clock: Clock;
  logger: Logger;
  tuning?: {
    /** How often the schedule is checked (default 60 s). */
    tickMs?: number;
    /** ups.test.result polling (default 5 s) and how long to follow it (default 10 min). */
    resultPollMs?: number;
    resultTimeoutMs?: number;
  };
}

const DAY_MS = 86_400_000;

/** What ups.test.result says, in one word (drivers word it differently). */
export function classifyTestResult(text: string): 'passed' | 'failed' | 'waiting' | 'other' {
  const t = text.toLowerCase();
  if (/progress|running|scheduled|no test|not initiated|^\s*$/.test(t)) return 'waiting';
  if (/fail|error|warn|abort|cancel/.test(t)) return 'failed';
  if (/pass|\bok\b|success|good/.test(t)) return 'passed';
  return 'other';
}

/** Why a test may not run now (null: it may). */
export function selfTestBlocker(
  ups: UpsSnapshot | undefined,
  minChargePercent: number,
): string | null {
  if (!ups) return 'the UPS is not monitored';
  if (ups.connection !== 'connected' || ups.stale)
    return 'the master is not answering (no current reading)';
  const status = statusTokens(ups.status);
  if (status.has('OB') || ups.onBatterySince !== null || ups.level === 'on-battery')
    return 'the UPS is on battery (an outage is in progress)';
  if (!status.has('OL')) return `the UPS is not on line (ups.status "${ups.status ?? ''}")`;
  if (status.has('LB') || status.has('FSD') || ups.level !== 'online')
    return `the UPS is not in a normal state (${ups.statusText})`;
  if (status.has('CAL') || status.has('TEST')) return 'the UPS is already calibrating or testing';
  const charge = ups.metrics.charge;
  if (charge === null) return 'the UPS does not report battery.charge';
  if (charge < minChargePercent)
    return `the battery is charged ${charge} %, below the ${minChargePercent} % a test needs`;
  return null;
}

export class SelfTests {
  private timer: TimerHandle | null = null;
  private readonly running = new Set<string>();
  /** The last skip reason per UPS: a skip is recorded once per reason, not at every check. */
  private readonly lastSkip = new Map<string, string>();
  private stopped = false;
  private ticking: Promise<void> | null = null;

  constructor(private readonly deps: SelfTestDeps) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        this.schedule();
      });
    }, this.deps.tuning?.tickMs ?? 60_000);
  }

  /** Checks every enabled schedule once and runs the tests that are due. */
  async tick(): Promise<void> {
    const config = this.deps.config();
    const due: Promise<unknown>[] = [];
    for (const master of config.masters) {
      for (const ups of master.ups) {
        if (!ups.selfTest.enabled) continue;
        const monitorId = `${master.id}/${ups.name}`;
        const status = this.status(monitorId);
        if (status.held || status.running) continue;
        if (status.nextDueAt !== null && status.nextDueAt > this.deps.clock.now()) continue;
        due.push(
          this.run(monitorId, 'schedule').catch((error: unknown) =>
            this.deps.logger.log('warn', `self-test ${monitorId}: ${String(error)}`),
          ),
        );
      }
    }
    await Promise.all(due);
  }

  private events(monitorId: string): StoredEvent[] {
    return this.deps.history.queryEvents({
      monitorId,
      kinds: ['system'],
      types: [SELF_TEST_EVENT, COMMAND_CREDENTIAL_EVENT],
      limit: 200,
    });
  }

  status(monitorId: string): SelfTestStatus {
    const target = findTarget(this.deps.config(), monitorId);
    const schedule = target?.ups.selfTest ?? {
      enabled: false,
      everyDays: 30,
      command: 'auto',
      minChargePercent: 90,
    };
    const events = this.events(monitorId);
    const records: SelfTestRecord[] = [];
    let held: string | null = null;
    let heldDecided = false;
    let lastRun: number | null = null;
    for (const event of events) {
      if (event.type === COMMAND_CREDENTIAL_EVENT) {
        heldDecided = true;
        continue;
      }
      const parsed = SelfTestRecordSchema.safeParse(event.data);
      if (!parsed.success) continue;
      records.push(parsed.data);
      const hold = event.data?.hold === true;
      if (!heldDecided && (parsed.data.result === 'refused' || hold)) {
        held = `${parsed.data.reason} Scheduled tests wait until a command credential is saved again.`;
        heldDecided = true;
      } else if (!heldDecided && parsed.data.result !== 'skipped') heldDecided = true;
      // A refusal or skip is no test: once the hold is lifted, the test is due at once.
      if (lastRun === null && ['passed', 'failed', 'unknown'].includes(parsed.data.result))
        lastRun = parsed.data.at;
    }
    const nextDueAt =
      !schedule.enabled || held
        ? null
        : lastRun === null
          ? this.deps.clock.now()
          : lastRun + schedule.everyDays * DAY_MS;
    return {
      monitorId,
      schedule,
      nextDueAt,
      held,
      running: this.running.has(monitorId),
      records: records.slice(0, 50),
    };
  }

  /**
   * Runs a self-test now (the schedule, or "Run a self-test now" with an optional credential).
   * Resolves with the record it stored.
   */
  async run(
    monitorId: string,
    trigger: 'schedule' | 'manual',
    credentialInput?: CommandCredential,
  ): Promise<SelfTestRecord> {
    const target = this.deps.commands.requireTarget(monitorId);
    if (this.running.has(monitorId))
      return this.record(
        target,
        trigger,
        'skipped',
        null,
        null,
        'A self-test of this UPS is already running.',
        null,
      );
    this.running.add(monitorId);
    try {
      return await this.runLocked(target, trigger, credentialInput);
    } finally {
      this.running.delete(monitorId);
    }
  }

  private async runLocked(
    target: Target,
    trigger: 'schedule' | 'manual',
    credentialInput: CommandCredential | undefined,
  ): Promise<SelfTestRecord> {
    const schedule = target.ups.selfTest;
    const blocker = selfTestBlocker(
      this.deps.snapshot(target.monitorId),
      schedule.minChargePercent,
    );
    if (blocker) return this.skip(target, trigger, `Self-test not run: ${blocker}.`, false);

    let credential: Credential | null;
    if (credentialInput) {
      credential = await this.deps.commands.resolveCredential(
        target,
        CommandCredentialSchema.parse(credentialInput),
      );
    } else {
      credential = await this.deps.commands.storedCredential(target);
    }
    if (!credential)
      return this.skip(
        target,
        trigger,
        'Self-test not run: no command credential is remembered for this UPS (a upsd user with `instcmds = test.battery.start.quick`).',
        true,
      );

    // The UPS's own test command: the configured one, or the first known one it offers.
    let command: string | null;
    let before: string | null;
    const client = await connectToMaster(this.deps, target.master).catch(() => null);
    if (!client)
      return this.skip(target, trigger, 'Self-test not run: the master is not reachable.', false);
    try {
      const offered = await client.listCmd(target.ups.name);
      const lower = new Map(offered.map((c) => [c.toLowerCase(), c]));
      command =
        schedule.command === 'auto'
          ? (SELF_TEST_COMMANDS.map((c) => lower.get(c)).find((c) => c !== undefined) ?? null)
          : (lower.get(schedule.command.toLowerCase()) ?? null);
      if (!command)
        return this.skip(
          target,
          trigger,
          schedule.command === 'auto'
            ? `Self-test not run: the UPS offers no test command (${SELF_TEST_COMMANDS.join(', ')}); it offers ${offered.join(', ') || 'no instant commands'}.`
            : `Self-test not run: the UPS does not offer ${schedule.command} (it offers ${offered.join(', ') || 'no instant commands'}).`,
          true,
        );
      before = await client.getVar(target.ups.name, 'ups.test.result').catch(() => null);
    } finally {
      await client.close();
    }

    const started = this.deps.clock.monotonic();
    const outcome = await this.deps.commands.execute(target, credential, {
      kind: 'command',
      name: command,
    });
    if (outcome.state === 'refused') {
      const record = this.record(
        target,
        trigger,
        'refused',
        command,
        null,
        `Self-test ${command} refused: ${outcome.message}`,
        null,
        { rightsHint: outcome.rightsHint, code: outcome.code },
      );
      return record;
    }
    if (outcome.state === 'failed')
      return this.record(
        target,
        trigger,
        'failed',
        command,
        null,
        `Self-test ${command} failed to start: ${outcome.message}`,
        this.elapsed(started),
        { code: outcome.code },
      );

    // Follow ups.test.result to its verdict.
    const pollMs = this.deps.tuning?.resultPollMs ?? 5000;
    const deadline = started + (this.deps.tuning?.resultTimeoutMs ?? 600_000);
    let last = before;
    let sawProgress = false;
    const reader = await connectToMaster(this.deps, target.master).catch(() => null);
    try {
      while (reader && this.deps.clock.monotonic() < deadline && !this.stopped) {
        await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, pollMs));
        const value = await reader.getVar(target.ups.name, 'ups.test.result').catch(() => null);
        if (value === null) continue;
        last = value;
        const kind = classifyTestResult(value);
        if (kind === 'waiting') {
          if (/progress|running/i.test(value)) sawProgress = true;
          continue;
        }
        // A final word that was already there before the test is the previous test's.
        if (value === before && !sawProgress) continue;
        const result: SelfTestResultKind = kind === 'other' ? 'unknown' : kind;
        return this.record(
          target,
          trigger,
          result,
          command,
          value,
          result === 'passed'
            ? `Self-test ${command} passed: ups.test.result "${value}".`
            : result === 'failed'
              ? `Self-test ${command} failed: ups.test.result "${value}". The battery may need replacing.`
              : `Self-test ${command} ended with ups.test.result "${value}", which does not say passed or failed.`,
          this.elapsed(started),
          { trackingState: outcome.state },
        );
      }
    } finally {
      await reader?.close().catch(() => undefined);
    }
    return this.record(
      target,
      trigger,
      'unknown',
      command,
      last,
      `Self-test ${command} was ${outcome.state === 'success' ? 'started (TRACKING: SUCCESS)' : 'sent'}, but ups.test.result gave no verdict${last === null ? '' : ` (last "${last}")`} within the wait.`,
      this.elapsed(started),
      { trackingState: outcome.state },
    );
  }

  private elapsed(started: number): number {
    return Math.round(this.deps.clock.monotonic() - started);
  }

  private skip(
    target: Target,
    trigger: 'schedule' | 'manual',
    reason: string,
    hold: boolean,
  ): SelfTestRecord {
    const record: SelfTestRecord = {
      at: this.deps.clock.now(),
      monitorId: target.monitorId,
      result: 'skipped',
      command: null,
      testResult: null,
      reason,
      trigger,
      durationMs: null,
    };
    // A scheduled skip is recorded once per reason (the schedule checks every minute).
    if (trigger === 'schedule' && this.lastSkip.get(target.monitorId) === reason) return record;
    this.lastSkip.set(target.monitorId, reason);
    this.deps.commands.record(target, SELF_TEST_EVENT, hold ? 'warning' : 'info', reason, {
      ...record,
      hold,
    });
    return record;
  }

  private record(
    target: Target,
    trigger: 'schedule' | 'manual',
    result: SelfTestResultKind,
    command: string | null,
    testResult: string | null,
    reason: string,
    durationMs: number | null,
    extra: Record<string, unknown> = {},
  ): SelfTestRecord {
    this.lastSkip.delete(target.monitorId);
    const record: SelfTestRecord = {
      at: this.deps.clock.now(),
      monitorId: target.monitorId,
      result,
      command,
      testResult,
      reason,
      trigger,
      durationMs,
    };
    const severity = result === 'passed' ? 'info' : result === 'skipped' ? 'info' : 'warning';
    this.deps.commands.record(target, SELF_TEST_EVENT, severity, reason, { ...extra, ...record });
    return record;
  }
}
