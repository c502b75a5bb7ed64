/**
 * An upssched-compatible timer engine (main/monitor/README.md §2) on the injected Clock.
 *
 * For every notification, EVERY matching `AT` rule applies, in configuration order (upssched
 * scans the whole file). A rule matches when its event equals the notification type
 * (case-insensitive) and its ups is `*` or exactly the UPS system string (`ups@host[:port]`,
 * case-sensitive like upssched's strcmp).
 *
 * Semantics, and where they deliberately differ from NUT 2.8.0:
 * - `START-TIMER name secs` adds an independent timer. A second START with the same name adds a
 *   second timer; it does not restart the first (upssched 2.8.0 behaviour, verified: two ONBATT
 *   one second apart fired the command twice). Users who want "restart" pair it with a CANCEL.
 * - `CANCEL-TIMER name [cmd]` cancels ALL running timers with that name (upssched 2.8.5+). 2.8.0
 *   only removed the first one, so with two ONBATT before an ONLINE a timer survived the return
 *   of power and shut the machine down; removing all is what users expect. The name alone
 *   matches, whatever UPS started the timer (CANCEL-TIMER has no UPS filter in upssched either).
 *   When none was running and cmd is given, `CMDSCRIPT cmd` runs.
 * - `EXECUTE cmd` runs `CMDSCRIPT cmd` at once.
 * - A timer that fires runs `CMDSCRIPT <timername>` with UPSNAME/NOTIFYTYPE/NOTIFYMSG of the
 *   event that STARTED that timer (2.8.0 handed every timer the environment of the upssched call
 *   that started its daemon — a verified quirk we do not reproduce).
 * - Timers have millisecond resolution (upssched checks about once per second).
 *
 * The engine only decides; it hands each command to `launch`, which runs it (the hook
 * dispatcher runs it through the ProcessRunner and records it). CMDSCRIPT is a Command
 * { file, args }; the timer name / command argument is appended as its last argument.
 */
import type { Command, UpsschedRule } from '../../shared/config';
import type { Clock, TimerHandle } from '../platform/ports';

export interface UpsschedEvent {
  /** NotifyType, e.g. `ONBATT`. */
  event: string;
  /** The UPS system string (`ups@host[:port]`); empty for SHUTDOWN. */
  upsName: string;
  /** The formatted notification message (NOTIFYMSG). */
  message: string;
  /** `master/ups`, or `*`. */
  monitorId: string;
}

export type UpsschedCause =
  | { kind: 'execute'; argument: string }
  | { kind: 'cancel-fallback'; timer: string; argument: string }
  | { kind: 'timer'; timer: string; timerId: number };

/** One CMDSCRIPT invocation decided by the engine. */
export interface UpsschedCommand {
  file: string;
  /** CMDSCRIPT's own args followed by the timer name / command argument. */
  args: string[];
  /** UPSNAME, NOTIFYTYPE and NOTIFYMSG of the event behind this run. */
  env: Record<string, string>;
  cause: UpsschedCause;
  /** The event that caused the run (for a timer: the one that started it). */
  origin: UpsschedEvent;
}

export interface RunningTimer {
  id: number;
  name: string;
  upsName: string;
  notifyType: string;
  monitorId: string;
  /** Epoch ms when it was started and when it is due (for the UI). */
  startedAt: number;
  dueAt: number;
}

/** What one notification did, in rule order (for logs and tests). */
export type UpsschedAction =
  | { action: 'START-TIMER'; timer: string; seconds: number; timerId: number }
  | { action: 'CANCEL-TIMER'; timer: string; cancelled: number; ranCommand: string | null }
  | { action: 'EXECUTE'; command: string };

export interface UpsschedEngineOptions {
  clock: Clock;
  /** CMDSCRIPT; without it rules still keep timers but nothing runs (and `launch` is not called). */
  cmdScript: Command | null;
  rules: readonly UpsschedRule[];
  /** Runs a command; must not block (the dispatcher queues it). */
  launch: (command: UpsschedCommand) => void;
  /** Called whenever the set of running timers changes (UI refresh). */
  onTimersChanged?: (timers: RunningTimer[]) => void;
}

interface TimerEntry extends RunningTimer {
  handle: TimerHandle;
  origin: UpsschedEvent;
}

/** Does an AT rule apply to this notification? */
export function ruleMatches(
  rule: Pick<UpsschedRule, 'event' | 'ups'>,
  event: string,
  upsName: string,
): boolean {
  if (rule.event.toUpperCase() !== event.toUpperCase()) return false;
  return rule.ups === '*' || rule.ups === upsName;
}

export class UpsschedEngine {
  private readonly clock: Clock;
  private cmdScript: Command | null;
  private rules: readonly UpsschedRule[];
  private readonly launch: (command: UpsschedCommand) => void;
  private readonly onTimersChanged: ((timers: RunningTimer[]) => void) | undefined;
  /** In start order, so that a CANCEL finds them the way upssched's list does. */
  private readonly running: TimerEntry[] = [];
  private nextId = 1;

  constructor(options: UpsschedEngineOptions) {
    this.clock = options.clock;
    this.cmdScript = options.cmdScript;
    this.rules = options.rules;
    this.launch = options.launch;
    this.onTimersChanged = options.onTimersChanged;
  }

  /** New CMDSCRIPT and rules (config reload). Running timers keep running and fire with the new CMDSCRIPT. */
  configure(cmdScript: Command | null, rules: readonly UpsschedRule[]): void {
    this.cmdScript = cmdScript;
    this.rules = rules;
  }

  /** Applies every matching AT rule to one notification. Never throws, never blocks. */
  handle(event: UpsschedEvent): UpsschedAction[] {
    const actions: UpsschedAction[] = [];
    for (const rule of this.rules) {
      if (!ruleMatches(rule, event.event, event.upsName)) continue;
      switch (rule.action) {
        case 'START-TIMER':
          actions.push({
            action: 'START-TIMER',
            timer: rule.timer,
            seconds: rule.seconds,
            timerId: this.start(rule.timer, rule.seconds, event),
          });
          break;
        case 'CANCEL-TIMER': {
          const cancelled = this.cancel(rule.timer);
          let ranCommand: string | null = null;
          if (cancelled === 0 && rule.command !== undefined && rule.command !== '') {
            ranCommand = rule.command;
            this.emit(rule.command, event, {
              kind: 'cancel-fallback',
              timer: rule.timer,
              argument: rule.command,
            });
          }
          actions.push({ action: 'CANCEL-TIMER', timer: rule.timer, cancelled, ranCommand });
          break;
        }
        case 'EXECUTE':
          this.emit(rule.command, event, { kind: 'execute', argument: rule.command });
          actions.push({ action: 'EXECUTE', command: rule.command });
          break;
      }
    }
    return actions;
  }

  /** The running timers, soonest first. */
  timers(): RunningTimer[] {
    return this.running
      .map(({ id, name, upsName, notifyType, monitorId, startedAt, dueAt }) => ({
        id,
        name,
        upsName,
        notifyType,
        monitorId,
        startedAt,
        dueAt,
      }))
      .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
  }

  /** Cancels every running timer without running anything (teardown). Returns how many. */
  cancelAll(): number {
    const count = this.running.length;
    for (const entry of this.running) this.clock.clearTimeout(entry.handle);
    this.running.length = 0;
    if (count > 0) this.changed();
    return count;
  }

  private start(name: string, seconds: number, origin: UpsschedEvent): number {
    const id = this.nextId++;
    const ms = Math.max(0, seconds * 1000);
    const startedAt = this.clock.now();
    const handle = this.clock.setTimeout(() => this.fire(id), ms);
    this.running.push({
      id,
      name,
      upsName: origin.upsName,
      notifyType: origin.event,
      monitorId: origin.monitorId,
      startedAt,
      dueAt: startedAt + ms,
      handle,
      origin,
    });
    this.changed();
    return id;
  }

  /** Cancels all running timers with this name; returns how many were running. */
  private cancel(name: string): number {
    let cancelled = 0;
    for (let i = this.running.length - 1; i >= 0; i--) {
      const entry = this.running[i]!;
      if (entry.name !== name) continue;
      this.clock.clearTimeout(entry.handle);
      this.running.splice(i, 1);
      cancelled++;
    }
    if (cancelled > 0) this.changed();
    return cancelled;
  }

  private fire(id: number): void {
    const index = this.running.findIndex((t) => t.id === id);
    if (index < 0) return;
    const [entry] = this.running.splice(index, 1);
    this.changed();
    this.emit(entry!.name, entry!.origin, { kind: 'timer', timer: entry!.name, timerId: id });
  }

  private emit(argument: string, origin: UpsschedEvent, cause: UpsschedCause): void {
    const script = this.cmdScript;
    if (!script) return;
    const command: UpsschedCommand = {
      file: script.file,
      args: [...script.args, argument],
      env: { UPSNAME: origin.upsName, NOTIFYTYPE: origin.event, NOTIFYMSG: origin.message },
      cause,
      origin,
    };
    try {
      this.launch(command);
    } catch {
      // launch must not throw; if it does, the engine still keeps its state consistent.
    }
  }

  private changed(): void {
    if (!this.onTimersChanged) return;
    try {
      this.onTimersChanged(this.timers());
    } catch {
      // A UI listener's failure is not the engine's.
    }
  }
}
