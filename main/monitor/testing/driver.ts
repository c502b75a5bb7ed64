/**
 * Test driver for the pure monitor core: feeds timed inputs, keeps the state, records every
 * effect with its time, and deep-freezes each state it hands to `step` so any mutation of the
 * input state throws.
 */
import type { NotifyType } from '../../../shared/notify-types';
import {
  decisionConfig,
  describeState,
  initialState,
  nextWakeAt,
  step,
  type DecisionConfig,
  type MonitorEffect,
  type MonitorInput,
  type MonitorView,
  type PollFailureReason,
  type UpsMonitorState,
} from '../state-machine';

export const UPS = 'ups@nas.lan';

export interface Recorded {
  readonly at: number;
  readonly input: MonitorInput;
  readonly effect: MonitorEffect;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

export class Driver {
  state: UpsMonitorState;
  readonly config: DecisionConfig;
  now: number;
  readonly recorded: Recorded[] = [];
  /** Effects of the last input only. */
  last: MonitorEffect[] = [];

  constructor(overrides: Partial<Omit<DecisionConfig, 'upsName'>> = {}, start = 1_000) {
    this.config = decisionConfig(UPS, overrides);
    this.now = start;
    this.state = deepFreeze(initialState(start, this.config));
  }

  /** Feed one input at absolute time `at` (default: now). */
  input(input: MonitorInput, at: number = this.now): MonitorEffect[] {
    if (at < this.now) throw new Error(`driver time goes backwards: ${at} < ${this.now}`);
    this.now = at;
    const result = step(this.state, input, at, this.config);
    this.state = deepFreeze(result.state);
    this.last = [...result.effects];
    for (const effect of result.effects) this.recorded.push({ at, input, effect });
    return this.last;
  }

  /** Move the clock forward by `ms` and send a tick. */
  advance(ms: number): MonitorEffect[] {
    return this.input({ type: 'tick' }, this.now + ms);
  }

  /** Tick at absolute time `at`. */
  tickAt(at: number): MonitorEffect[] {
    return this.input({ type: 'tick' }, at);
  }

  /** A status read at absolute time `at` (default now). */
  status(status: string, at: number = this.now): MonitorEffect[] {
    return this.input({ type: 'status-read', status }, at);
  }

  /** Poll every `everyMs` from now (exclusive) to `until` (inclusive) with the same status. */
  pollUntil(status: string, until: number, everyMs = 1_000): void {
    for (let t = this.now + everyMs; t <= until; t += everyMs) this.status(status, t);
  }

  fail(
    reason: PollFailureReason = 'connection',
    at: number = this.now,
    message: string = reason,
  ): MonitorEffect[] {
    return this.input({ type: 'poll-failed', reason, message }, at);
  }

  /** Fail every `everyMs` from now (exclusive) to `until` (inclusive). */
  failUntil(until: number, reason: PollFailureReason = 'connection', everyMs = 1_000): void {
    for (let t = this.now + everyMs; t <= until; t += everyMs) this.fail(reason, t);
  }

  view(): MonitorView {
    return describeState(this.state);
  }

  wake(): number | null {
    return nextWakeAt(this.state, this.config);
  }

  effects(type?: MonitorEffect['type']): Recorded[] {
    return type === undefined ? this.recorded : this.recorded.filter((r) => r.effect.type === type);
  }

  /** Notification events in order, with their times. */
  notes(): Array<{ at: number; event: NotifyType; message: string; upsName: string }> {
    const out: Array<{ at: number; event: NotifyType; message: string; upsName: string }> = [];
    for (const r of this.recorded) {
      if (r.effect.type === 'notify')
        out.push({
          at: r.at,
          event: r.effect.event,
          message: r.effect.message,
          upsName: r.effect.upsName,
        });
    }
    return out;
  }

  events(): NotifyType[] {
    return this.notes().map((n) => n.event);
  }

  /** Times of effects of one kind. */
  timesOf(type: MonitorEffect['type']): number[] {
    return this.effects(type).map((r) => r.at);
  }

  logs(): string[] {
    const out: string[] = [];
    for (const r of this.recorded) if (r.effect.type === 'log') out.push(r.effect.message);
    return out;
  }
}

/** Effect types of one step's effects, without logs and state-changed (the "actions"). */
export function actions(effects: readonly MonitorEffect[]): string[] {
  return effects
    .filter((e) => e.type !== 'log' && e.type !== 'state-changed')
    .map((e) => (e.type === 'notify' ? `notify:${e.event}` : e.type));
}
