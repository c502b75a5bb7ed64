/**
 * What happens on a notification (main/monitor/README.md §1.8), like upsmon's notify() plus upssched:
 *
 * 1. The message: the configured NOTIFYMSG template (`hooks.events[type].message`, `%s` = the
 *    UPS system string), else the monitor's message, else upsmon's default text.
 * 2. A desktop notification when the event's `notify` flag is on (defaults: on for the events
 *    upsmon reports by default plus our own alarms, see DEFAULT_NOTIFY in shared/notify-types.ts).
 * 3. NOTIFYCMD: `hooks.notifyCommand` with the message as its last argument and env
 *    NOTIFYTYPE/UPSNAME, only when the event's `exec` flag is on (off unless configured, as in
 *    upsmon, where EXEC is never a default flag).
 * 4. Per-event hooks (`hooks.eventHooks`) naming the event, for UPS `*` or the exact system
 *    string, with env NOTIFYTYPE/UPSNAME/NOTIFYMSG.
 * 5. upssched rules (main/hooks/upssched.ts) with CMDSCRIPT = `hooks.upssched.cmdScript`.
 *
 * Hooks and upssched rules name their events themselves, so they are their own opt-in and do
 * not need the `exec` flag. (upsmon only hands an event to upssched when its NOTIFYFLAG has EXEC;
 * an importer of upsmon.conf should keep only AT lines for EXEC events to preserve behaviour.)
 *
 * Every program run is recorded through the event sink (kind `hook`, type `HOOK_RUN`) with
 * program, args, exit code, signal, timed-out flag, duration and bounded output, redacted of
 * secrets. dispatch() never blocks: runs are queued (bounded concurrency) and each one is killed
 * at its timeout by the ProcessRunner.
 */
import type { Command, Hooks } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import {
  DEFAULT_NOTIFY,
  DEFAULT_NOTIFY_MESSAGES,
  DEFAULT_NOTIFY_SEVERITY,
  notifyTitle,
  type NotifyType,
  formatNotifyMessage,
  isNotifyType,
} from '../../shared/notify-types';
import {
  type Clock,
  type DesktopNotification,
  type Logger,
  type NotifierPort,
  type ProcessResult,
  type ProcessRunner,
  runnerFailure,
} from '../platform/ports';
import { redactArgs, redactText, secretsInArgs } from './redact';
import {
  type RunningTimer,
  type UpsschedAction,
  type UpsschedCommand,
  UpsschedEngine,
} from './upssched';

/** A notification as the monitor emits it. */
export interface HookNotification {
  event: NotifyType;
  /** UPS system string (`ups@host[:port]`), as UPSNAME; empty for SHUTDOWN. */
  upsName: string;
  /** The monitor's message; replaced by a configured NOTIFYMSG template. */
  message?: string;
  /** `master/ups`, or `*` for events not tied to one UPS. */
  monitorId: string;
  /** The second `%s` of a template (ups.alarm for ALARM, unknown tokens for OTHER). */
  detail?: string;
  /** Extra sentence for the desktop notification only (e.g. the shutdown countdown); hooks get the plain message. */
  desktopNote?: string;
}

export type HookSource = 'notify-command' | 'event-hook' | 'upssched';

export interface DispatchSummary {
  message: string;
  /** A desktop notification was handed to the notifier. */
  notified: boolean;
  /** Programs queued now (NOTIFYCMD, event hooks, upssched EXECUTE / CANCEL fallbacks). */
  queued: number;
  upssched: UpsschedAction[];
}

export interface HookDispatcherOptions {
  hooks: Hooks;
  runner: ProcessRunner;
  clock: Clock;
  /** The (policy-wrapped) desktop notifier; null: no desktop notifications (headless without one). */
  notifier: NotifierPort | null;
  /** The event log. */
  sink: (event: StoredEvent) => void;
  logger?: Logger;
  /** Known secret values (NUT passwords) to mask wherever they would be recorded. */
  secrets?: () => readonly string[];
  /** At most this many hook programs run at once; the rest wait in order. Default 4. */
  maxConcurrentRuns?: number;
  /** Bytes of stdout/stderr kept in an event (the last ones). Default 8 KiB. */
  maxRecordedOutputBytes?: number;
  /** The UI route a notification opens; default `/ups/<monitorId, URI-encoded>`. */
  routeFor?: (monitorId: string) => string | undefined;
  /** Running upssched timers changed (for the UI). */
  onTimersChanged?: (timers: RunningTimer[]) => void;
}

/** Desktop urgency from the event's default severity (critical → critical, warning → normal, info → low). */
export function urgencyOf(event: string): DesktopNotification['urgency'] {
  const severity = isNotifyType(event) ? DEFAULT_NOTIFY_SEVERITY[event] : 'warning';
  return severity === 'critical' ? 'critical' : severity === 'warning' ? 'normal' : 'low';
}

/** The effective policy of one event after config and defaults. */
export function eventPolicy(
  hooks: Hooks,
  event: string,
): { notify: boolean; exec: boolean; template: string | undefined } {
  const configured = (
    hooks.events as Partial<Record<string, { notify?: boolean; exec?: boolean; message?: string }>>
  )[event];
  return {
    notify: configured?.notify ?? DEFAULT_NOTIFY.has(event),
    exec: configured?.exec ?? false,
    template: configured?.message,
  };
}

interface RunSpec {
  source: HookSource;
  command: Command;
  /** Appended after command.args (NOTIFYCMD's message). */
  extraArgs: string[];
  env: Record<string, string>;
  timeoutMs: number;
  notification: { event: string; upsName: string; monitorId: string };
  /** Extra data for the event (timer name, upssched cause, hook index). */
  detail: Record<string, unknown>;
  /** Clock.monotonic() when the event happened (a run starting much later is dropped). */
  queuedAt?: number;
  /** Later runs of the same hook for the same event and UPS folded into this one while it waited. */
  coalesced?: number;
}

/** One pending run per program, event and UPS: a flapping line must not pile up runs. */
function coalesceKey(spec: RunSpec): string {
  const which =
    spec.source === 'event-hook'
      ? spec.detail.hookIndex
      : spec.source === 'upssched'
        ? (spec.detail.timer ?? spec.detail.argument ?? null)
        : null;
  return JSON.stringify([spec.source, which, spec.notification.event, spec.notification.upsName]);
}

export class HookDispatcher {
  private hooks: Hooks;
  private readonly runner: ProcessRunner;
  private readonly clock: Clock;
  private readonly notifier: NotifierPort | null;
  private readonly sink: (event: StoredEvent) => void;
  private readonly logger: Logger | undefined;
  private readonly secrets: () => readonly string[];
  private readonly maxConcurrent: number;
  private readonly maxRecorded: number;
  private readonly routeFor: (monitorId: string) => string | undefined;
  private readonly upssched: UpsschedEngine;
  private readonly queue: RunSpec[] = [];
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** Runs ever queued (to count what one dispatch queued through upssched). */
  private enqueuedTotal = 0;

  constructor(options: HookDispatcherOptions) {
    this.hooks = options.hooks;
    this.runner = options.runner;
    this.clock = options.clock;
    this.notifier = options.notifier;
    this.sink = options.sink;
    this.logger = options.logger;
    this.secrets = options.secrets ?? (() => []);
    this.maxConcurrent = Math.max(1, options.maxConcurrentRuns ?? 4);
    this.maxRecorded = options.maxRecordedOutputBytes ?? 8 * 1024;
    this.routeFor =
      options.routeFor ?? ((id) => (id === '*' ? undefined : `/ups/${encodeURIComponent(id)}`));
    this.upssched = new UpsschedEngine({
      clock: options.clock,
      cmdScript: options.hooks.upssched?.cmdScript ?? null,
      rules: options.hooks.upssched?.rules ?? [],
      launch: (command) => this.launchUpssched(command),
      ...(options.onTimersChanged ? { onTimersChanged: options.onTimersChanged } : {}),
    });
  }

  /** New hooks config. Running upssched timers survive unless upssched was removed. */
  updateConfig(hooks: Hooks): void {
    this.hooks = hooks;
    if (!hooks.upssched) this.upssched.cancelAll();
    this.upssched.configure(hooks.upssched?.cmdScript ?? null, hooks.upssched?.rules ?? []);
  }

  /** Applies the configuration to one notification. Returns at once; programs run in the background. */
  dispatch(notification: HookNotification): DispatchSummary {
    const { event, upsName, monitorId } = notification;
    const policy = eventPolicy(this.hooks, event);
    const message = this.messageFor(notification, policy.template);
    const summary: DispatchSummary = { message, notified: false, queued: 0, upssched: [] };
    if (this.closed) return summary;
    const ctx = { event, upsName, monitorId };
    const timeoutMs = this.hooks.timeoutSeconds * 1000;

    if (policy.notify && this.notifier) {
      summary.notified = true;
      const route = this.routeFor(monitorId);
      const desktop: DesktopNotification = {
        key: `${event}:${upsName || monitorId}`,
        title: notifyTitle(event),
        // upsmon's messages have no full stop ("Auto logout and shutdown proceeding"): one before the note.
        body: notification.desktopNote
          ? `${/[.!?]$/.test(message) ? message : `${message}.`} ${notification.desktopNote}`
          : message,
        urgency: urgencyOf(event),
        ...(route !== undefined ? { route } : {}),
      };
      this.notifier.notify(desktop).catch((error: unknown) => {
        this.logger?.log('warn', 'desktop notification failed', {
          event,
          error: error instanceof Error ? error.message : String(error),
        });
      });
    }

    if (policy.exec && this.hooks.notifyCommand) {
      this.enqueue({
        source: 'notify-command',
        command: this.hooks.notifyCommand,
        extraArgs: [message],
        env: { NOTIFYTYPE: event, UPSNAME: upsName },
        timeoutMs,
        notification: ctx,
        detail: {},
      });
      summary.queued++;
    }

    this.hooks.eventHooks.forEach((hook, index) => {
      if (!hook.events.includes(event)) return;
      if (hook.ups !== '*' && hook.ups !== upsName) return;
      this.enqueue({
        source: 'event-hook',
        command: hook.command,
        extraArgs: [],
        env: { NOTIFYTYPE: event, UPSNAME: upsName, NOTIFYMSG: message },
        timeoutMs: hook.timeoutSeconds * 1000,
        notification: ctx,
        detail: { hookIndex: index },
      });
      summary.queued++;
    });

    const before = this.enqueuedTotal;
    summary.upssched = this.upssched.handle({ event, upsName, message, monitorId });
    summary.queued += this.enqueuedTotal - before;
    this.recordTimerActions(summary.upssched, ctx);
    return summary;
  }

  /** The running upssched timers, soonest first. */
  timers(): RunningTimer[] {
    return this.upssched.timers();
  }

  /** Resolves when no program is queued or running. */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Teardown: cancels upssched timers, drops queued runs, waits for the running ones (each is
   * bounded by its timeout). Later notifications are ignored.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.upssched.cancelAll();
    this.queue.length = 0;
    await this.idle();
  }

  private messageFor(notification: HookNotification, template: string | undefined): string {
    const args = [notification.upsName, notification.detail ?? ''];
    if (template !== undefined) return formatNotifyMessage(template, args);
    if (notification.message) return notification.message;
    const fallback = isNotifyType(notification.event)
      ? DEFAULT_NOTIFY_MESSAGES[notification.event]
      : `UPS %s: ${String(notification.event)}`;
    return formatNotifyMessage(fallback, args);
  }

  private launchUpssched(command: UpsschedCommand): void {
    if (this.closed) return;
    const detail: Record<string, unknown> = { cause: command.cause.kind };
    if (command.cause.kind === 'timer') detail.timer = command.cause.timer;
    else detail.argument = command.cause.argument;
    if (command.cause.kind === 'timer') {
      this.record({
        monitorId: command.origin.monitorId,
        type: 'UPSSCHED',
        severity: 'info',
        message: `upssched timer "${command.cause.timer}" fired`,
        data: {
          action: 'TIMER-FIRED',
          timer: command.cause.timer,
          event: command.origin.event,
          upsName: command.origin.upsName,
        },
      });
    }
    this.enqueue({
      source: 'upssched',
      command: { file: command.file, args: command.args },
      extraArgs: [],
      env: command.env,
      timeoutMs: this.hooks.timeoutSeconds * 1000,
      notification: {
        event: command.origin.event,
        upsName: command.origin.upsName,
        monitorId: command.origin.monitorId,
      },
      detail,
    });
  }

  private recordTimerActions(
    actions: UpsschedAction[],
    ctx: { event: string; upsName: string; monitorId: string },
  ): void {
    for (const a of actions) {
      if (a.action === 'START-TIMER') {
        this.record({
          monitorId: ctx.monitorId,
          type: 'UPSSCHED',
          severity: 'info',
          message: `upssched timer "${a.timer}" started on ${ctx.event}: runs in ${a.seconds} s unless cancelled`,
          data: {
            action: a.action,
            timer: a.timer,
            seconds: a.seconds,
            event: ctx.event,
            upsName: ctx.upsName,
          },
        });
      } else if (a.action === 'CANCEL-TIMER' && a.cancelled > 0) {
        this.record({
          monitorId: ctx.monitorId,
          type: 'UPSSCHED',
          severity: 'info',
          message:
            `upssched timer "${a.timer}" cancelled on ${ctx.event}` +
            (a.cancelled > 1 ? ` (${a.cancelled} running)` : ''),
          data: {
            action: a.action,
            timer: a.timer,
            cancelled: a.cancelled,
            event: ctx.event,
            upsName: ctx.upsName,
          },
        });
      }
    }
  }

  private enqueue(spec: RunSpec): void {
    this.enqueuedTotal++;
    const queued: RunSpec = { ...spec, queuedAt: this.clock.monotonic(), coalesced: 0 };
    const key = coalesceKey(queued);
    const index = this.queue.findIndex((pending) => coalesceKey(pending) === key);
    if (index >= 0) {
      // Keep its place in line, take the newest event's message and time.
      queued.coalesced = (this.queue[index]!.coalesced ?? 0) + 1;
      this.queue[index] = queued;
    } else {
      this.queue.push(queued);
    }
    this.pump();
  }

  private pump(): void {
    while (this.active < this.maxConcurrent && this.queue.length > 0) {
      const spec = this.queue.shift()!;
      const waitedMs = this.clock.monotonic() - (spec.queuedAt ?? this.clock.monotonic());
      const limitMs = this.hooks.maxStartDelaySeconds * 1000;
      if (waitedMs > limitMs) {
        this.recordDropped(spec, waitedMs, limitMs);
        continue;
      }
      this.active++;
      void this.execute(spec).finally(() => {
        this.active--;
        this.pump();
      });
    }
    if (this.active === 0 && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async execute(spec: RunSpec): Promise<void> {
    const args = [...spec.command.args, ...spec.extraArgs];
    const at = this.clock.now();
    let result: ProcessResult;
    try {
      result = await this.runner.run(spec.command.file, args, {
        env: spec.env,
        timeoutMs: spec.timeoutMs,
      });
    } catch (error) {
      result = runnerFailure(error, at);
    }
    try {
      this.sink(this.runEvent(spec, args, result, at));
    } catch (error) {
      this.logger?.log('error', 'recording a hook run failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private runEvent(spec: RunSpec, args: string[], result: ProcessResult, at: number): StoredEvent {
    const secrets = [...this.secrets(), ...secretsInArgs(args)];
    const program = redactText(spec.command.file, secrets);
    const label = {
      'notify-command': 'NOTIFYCMD',
      'event-hook': 'Hook',
      upssched: 'upssched CMDSCRIPT',
    }[spec.source];
    const seconds = (spec.timeoutMs / 1000).toString();
    let outcome: string;
    let ok = false;
    if (result.spawnError !== undefined) outcome = `could not start: ${result.spawnError}`;
    else if (result.timedOut)
      outcome = `timed out after ${seconds} s and was killed${result.signal ? ` (${result.signal})` : ''}`;
    else if (result.signal) outcome = `was killed by ${result.signal}`;
    else {
      ok = result.exitCode === 0;
      outcome = `exited with code ${String(result.exitCode)}`;
    }
    const tail = (s: string) => {
      const buf = Buffer.from(s, 'utf8');
      return buf.length <= this.maxRecorded
        ? s
        : `[…]${buf.subarray(buf.length - this.maxRecorded).toString('utf8')}`;
    };
    const data: Record<string, unknown> = {
      source: spec.source,
      event: spec.notification.event,
      upsName: spec.notification.upsName,
      program,
      args: redactArgs(args, secrets),
      env: Object.keys(spec.env),
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      timeoutMs: spec.timeoutMs,
      stdout: redactText(tail(result.stdout), secrets),
      stderr: redactText(tail(result.stderr), secrets),
      ...(spec.coalesced ? { coalesced: spec.coalesced } : {}),
      ...spec.detail,
    };
    if (result.spawnError !== undefined) data.spawnError = redactText(result.spawnError, secrets);
    return {
      at,
      monitorId: spec.notification.monitorId,
      kind: 'hook',
      type: 'HOOK_RUN',
      severity: ok ? 'info' : 'warning',
      message: redactText(
        `${label} ${program} on ${spec.notification.event} ${outcome} (${Math.round(result.durationMs)} ms)`,
        secrets,
      ),
      data,
    };
  }

  private recordDropped(spec: RunSpec, waitedMs: number, limitMs: number): void {
    const label = {
      'notify-command': 'NOTIFYCMD',
      'event-hook': 'Hook',
      upssched: 'upssched CMDSCRIPT',
    }[spec.source];
    const program = redactText(spec.command.file, this.secrets());
    this.record({
      monitorId: spec.notification.monitorId,
      type: 'HOOK_DROPPED',
      severity: 'warning',
      message: `${label} ${program} on ${spec.notification.event} was not run: other hooks kept it waiting ${Math.round(waitedMs / 1000)} s, over the ${limitMs / 1000} s limit (hooks.maxStartDelaySeconds)`,
      data: {
        source: spec.source,
        event: spec.notification.event,
        upsName: spec.notification.upsName,
        program,
        waitedMs: Math.round(waitedMs),
        limitMs,
        ...spec.detail,
      },
    });
  }

  private record(e: Omit<StoredEvent, 'at' | 'kind'>): void {
    try {
      this.sink({ at: this.clock.now(), kind: 'hook', ...e });
    } catch (error) {
      this.logger?.log('error', 'recording an upssched action failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
