/**
 * Reliable delivery: every message for every channel is first committed to the outbox table of
 * the history store (so it survives a crash or a power cut), then sent in order, one at a time
 * per channel, with exponential backoff between failed attempts. Nothing here is awaited by the
 * monitor, the hooks or the shutdown command: a dead or slow channel only delays itself.
 *
 * `flush(ms)` makes every pending message due now and waits at most `ms` (shutdown notice).
 */
import type { Alert, ChannelStatus } from '../../shared/channels';
import type { StoredEvent } from '../../shared/history';
import type { Clock, Logger, TimerHandle } from '../platform/ports';
import type { HistoryLog, OutboxRow } from '../history/history-log';
import { type ChannelTransport, DeliveryError } from './transport';

export interface OutboxChannel {
  id: string;
  type: string;
  enabled: boolean;
  timeoutMs: number;
  transport: ChannelTransport;
}

export interface OutboxDeps {
  store: HistoryLog;
  clock: Clock;
  logger: Logger;
  channels: () => ReadonlyMap<string, OutboxChannel>;
  recordEvent: (event: StoredEvent) => void;
  /** Every attempt's outcome (metrics). */
  onAttempt?: (channel: string, ok: boolean) => void;
  /** Given up after this long undelivered (default 24 h). */
  maxAgeMs?: number;
}

const BASE_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

/** 2 s, 4 s, 8 s … up to 5 min, ±20 % so that many agents do not retry in lockstep. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

interface LiveStatus {
  lastDeliveredAt: number | null;
  lastFailureAt: number | null;
  lastError: string | null;
  lastOk: boolean | null;
  lastTest: ChannelStatus['lastTest'];
}

export class Outbox {
  private readonly busy = new Set<string>();
  /** In-flight attempts: a flush can cut their deadline short (channel → reschedule). */
  private readonly inflight = new Map<string, (untilMonotonic: number) => void>();
  private readonly live = new Map<string, LiveStatus>();
  private timer: TimerHandle | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private flushUntil = 0;
  private flushWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly deps: OutboxDeps) {}

  /** Queues the alert for each channel (idempotent per alert id and channel) and starts sending. */
  enqueue(alert: Alert, channelIds: readonly string[]): void {
    const now = this.deps.clock.now();
    const message = JSON.stringify(alert);
    for (const channel of channelIds) {
      try {
        this.deps.store.enqueueOutbox({
          key: `${alert.id}@${channel}`,
          channel,
          createdAt: now,
          message,
        });
      } catch (error) {
        this.deps.logger.log(
          'error',
          `alert ${alert.id} for ${channel} could not be queued: ${errorText(error)}`,
        );
      }
    }
    this.pump();
  }

  /** Starts sending what an earlier run left (after a restart or a crash). */
  start(): void {
    this.stopped = false;
    this.pump();
  }

  /** Every pending message is tried now (backoff ignored); resolves when none is left or after `ms`. */
  flush(ms: number): Promise<void> {
    const until = this.deps.clock.monotonic() + ms;
    this.flushUntil = Math.max(this.flushUntil, until);
    for (const cutShort of this.inflight.values()) cutShort(until);
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        this.deps.clock.clearTimeout(timer);
        this.flushWaiters = this.flushWaiters.filter((w) => w !== check);
        resolve();
      };
      const check = () => {
        if (this.pendingFor().length === 0) finish();
      };
      const timer = this.deps.clock.setTimeout(finish, ms);
      this.flushWaiters.push(check);
      this.pump();
      check();
    });
  }

  /** No new attempts; in-flight ones finish in the background (their outcome is still recorded if the store is open). */
  stop(): void {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  status(): ChannelStatus[] {
    const counts = new Map<string, { pending: number; delivered: number; failed: number }>();
    try {
      for (const row of this.deps.store.outboxCounts()) {
        const c = counts.get(row.channel) ?? { pending: 0, delivered: 0, failed: 0 };
        c[row.state] += row.count;
        counts.set(row.channel, c);
      }
    } catch {
      // The store is closing: report what is known in memory.
    }
    return [...this.deps.channels().values()].map((channel) => {
      const c = counts.get(channel.id) ?? { pending: 0, delivered: 0, failed: 0 };
      const live = this.live.get(channel.id);
      const state: ChannelStatus['state'] = !channel.enabled
        ? 'disabled'
        : live?.lastOk === false
          ? 'failing'
          : live?.lastOk
            ? 'ok'
            : c.delivered > 0
              ? 'ok'
              : 'idle';
      return {
        id: channel.id,
        type: channel.type,
        enabled: channel.enabled,
        state,
        pending: c.pending,
        delivered: c.delivered,
        failed: c.failed,
        lastDeliveredAt: live?.lastDeliveredAt ?? null,
        lastFailureAt: live?.lastFailureAt ?? null,
        lastError: live?.lastError ?? null,
        lastTest: live?.lastTest ?? null,
      };
    });
  }

  private pendingFor(): OutboxRow[] {
    try {
      const channels = this.deps.channels();
      return this.deps.store.pendingOutbox().filter((row) => channels.get(row.channel)?.enabled);
    } catch {
      return [];
    }
  }

  private pump(): void {
    if (this.stopped) return;
    let rows: OutboxRow[];
    try {
      rows = this.deps.store.pendingOutbox();
    } catch (error) {
      this.deps.logger.log('warn', `alert outbox unreadable: ${errorText(error)}`);
      return;
    }
    const now = this.deps.clock.now();
    const flushing = this.deps.clock.monotonic() < this.flushUntil;
    const channels = this.deps.channels();
    const firstPerChannel = new Map<string, OutboxRow>();
    for (const row of rows)
      if (!firstPerChannel.has(row.channel)) firstPerChannel.set(row.channel, row);
    let nextAt = Number.POSITIVE_INFINITY;
    for (const [channelId, row] of firstPerChannel) {
      const channel = channels.get(channelId);
      if (!channel) {
        this.finish(row, 'failed', row.attempts, 'the channel is no longer configured', null);
        continue;
      }
      if (!channel.enabled || this.busy.has(channelId)) continue;
      if (row.nextAt > now && !flushing) {
        nextAt = Math.min(nextAt, row.nextAt);
        continue;
      }
      void this.attempt(channel, row);
    }
    this.schedule(nextAt);
    for (const waiter of [...this.flushWaiters]) waiter();
  }

  private schedule(at: number): void {
    if (at === Number.POSITIVE_INFINITY || this.stopped) return;
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.deps.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - this.deps.clock.now()),
    );
  }

  private async attempt(channel: OutboxChannel, row: OutboxRow): Promise<void> {
    this.busy.add(channel.id);
    const attempts = row.attempts + 1;
    let timeoutMs = channel.timeoutMs;
    const flushLeft = this.flushUntil - this.deps.clock.monotonic();
    if (flushLeft > 0) timeoutMs = Math.max(100, Math.min(timeoutMs, flushLeft));
    let alert: Alert;
    try {
      alert = JSON.parse(row.message) as Alert;
    } catch {
      this.finish(row, 'failed', attempts, 'unreadable message in the outbox', null);
      this.busy.delete(channel.id);
      return;
    }
    try {
      await this.withDeadline(channel.id, channel.transport.send(alert, { timeoutMs }), timeoutMs);
      this.deps.onAttempt?.(channel.id, true);
      this.finish(row, 'delivered', attempts, null, alert);
    } catch (error) {
      this.deps.onAttempt?.(channel.id, false);
      const reason = errorText(error);
      const permanent = error instanceof DeliveryError && error.permanent;
      const tooOld = this.deps.clock.now() - row.createdAt > (this.deps.maxAgeMs ?? DAY_MS);
      if (permanent || tooOld) {
        this.finish(row, 'failed', attempts, reason, alert);
      } else {
        this.retryLater(row, attempts, reason, alert, channel.id);
      }
    } finally {
      this.busy.delete(channel.id);
      this.inflight.delete(channel.id);
    }
    this.pump();
  }

  /**
   * The attempt counts as failed at its deadline even if the transport is still waiting (its own
   * timeout then ends the request): a flush can move the deadline earlier, so a message sent
   * before the shutdown began does not hold the channel past FINALDELAY.
   */
  private withDeadline(channel: string, sending: Promise<void>, timeoutMs: number): Promise<void> {
    const startedAt = this.deps.clock.monotonic();
    // A little later than the transport's own timeout, so its more precise reason wins.
    let deadline = startedAt + timeoutMs + 100;
    return new Promise<void>((resolve, reject) => {
      let timer: TimerHandle | null = null;
      const arm = () => {
        if (timer) this.deps.clock.clearTimeout(timer);
        timer = this.deps.clock.setTimeout(
          () => {
            const seconds = Math.round((this.deps.clock.monotonic() - startedAt) / 100) / 10;
            reject(
              new DeliveryError(
                `no answer within ${seconds} s (attempt ended early for the shutdown)`,
              ),
            );
          },
          Math.max(0, deadline - this.deps.clock.monotonic()),
        );
      };
      arm();
      this.inflight.set(channel, (until) => {
        if (until < deadline) {
          deadline = until;
          arm();
        }
      });
      sending.then(
        () => {
          if (timer) this.deps.clock.clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          if (timer) this.deps.clock.clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private retryLater(
    row: OutboxRow,
    attempts: number,
    reason: string,
    alert: Alert,
    channel: string,
  ): void {
    const delay = backoffMs(attempts);
    const now = this.deps.clock.now();
    this.noteLive(channel, false, reason);
    try {
      this.deps.store.updateOutbox(row.id, {
        state: 'pending',
        attempts,
        nextAt: now + delay,
        lastError: reason,
      });
    } catch (error) {
      this.deps.logger.log('warn', `alert outbox update failed: ${errorText(error)}`);
    }
    this.deps.logger.log(
      'warn',
      `alert ${alert.id} to ${channel}: attempt ${attempts} failed (${reason}); retrying in ${Math.round(delay / 1000)} s`,
    );
    // The event log gets the first failure of a message, not every retry.
    if (attempts === 1) {
      this.record(
        alert,
        channel,
        'warning',
        `Alert to ${channel} not delivered yet: ${reason}. Retrying with backoff.`,
        { state: 'retrying', attempts, error: reason },
      );
    }
  }

  private finish(
    row: OutboxRow,
    state: 'delivered' | 'failed',
    attempts: number,
    reason: string | null,
    alert: Alert | null,
  ): void {
    const now = this.deps.clock.now();
    try {
      this.deps.store.updateOutbox(row.id, { state, attempts, lastError: reason, doneAt: now });
    } catch (error) {
      this.deps.logger.log('warn', `alert outbox update failed: ${errorText(error)}`);
    }
    this.noteLive(row.channel, state === 'delivered', reason);
    const title = alert?.title ?? row.key;
    if (state === 'delivered') {
      this.record(
        alert,
        row.channel,
        'info',
        `Alert delivered to ${row.channel}${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${title}`,
        { state, attempts },
      );
    } else {
      this.record(
        alert,
        row.channel,
        'critical',
        `Alert to ${row.channel} given up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason ?? 'unknown error'} (${title})`,
        {
          state,
          attempts,
          error: reason,
        },
      );
    }
  }

  /**
   * A Send test (which bypasses the queue) went through the same transport, so it says as much
   * about the channel as a queued delivery: the status line shows it instead of "Nothing sent yet".
   */
  noteTest(channel: string, result: { ok: boolean; detail: string }): void {
    this.noteLive(channel, result.ok, result.ok ? null : result.detail);
    this.live.get(channel)!.lastTest = { ...result, at: this.deps.clock.now() };
  }

  private noteLive(channel: string, ok: boolean, reason: string | null): void {
    const live = this.live.get(channel) ?? {
      lastDeliveredAt: null,
      lastFailureAt: null,
      lastError: null,
      lastOk: null,
      lastTest: null,
    };
    const now = this.deps.clock.now();
    if (ok) live.lastDeliveredAt = now;
    else {
      live.lastFailureAt = now;
      live.lastError = reason;
    }
    live.lastOk = ok;
    this.live.set(channel, live);
  }

  private record(
    alert: Alert | null,
    channel: string,
    severity: StoredEvent['severity'],
    message: string,
    data: Record<string, unknown>,
  ): void {
    try {
      this.deps.recordEvent({
        at: this.deps.clock.now(),
        monitorId: alert?.ups?.monitorId ?? '*',
        kind: 'system',
        type: 'ALERT_DELIVERY',
        severity,
        message,
        data: { channel, alertId: alert?.id ?? null, ...data },
      });
    } catch (error) {
      this.deps.logger.log('warn', `alert delivery not recorded: ${errorText(error)}`);
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
