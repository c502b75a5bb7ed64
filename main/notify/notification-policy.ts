/**
 * What stands between the hook dispatcher and the desktop: the settings switches (desktop off,
 * paused), de-duplication and a rate limit, plus an in-memory recorder of what was shown.
 *
 * - De-duplication: a notification whose key was SHOWN less than `dedupeSeconds` ago is dropped
 *   (a flapping `ONBATT:ups@nas` shows once per window).
 * - Rate limit: a token bucket of `maxPerMinute` tokens refilled continuously (default 6 per
 *   minute, bursts of 6). Notifications beyond it are counted, and once a token is available again
 *   one summary "N more notifications suppressed" is shown. Critical notifications (LOWBATT, FSD,
 *   SHUTDOWN …) bypass the rate limit — never hide that the machine is about to go down — but
 *   still take a token so the chatty ones yield to them.
 * - Pause (`notifications.paused`) and `notifications.desktop: false` drop everything silently;
 *   the event log still has every event.
 */
import type { NotificationRecord } from '../../shared/ipc';
import type {
  Clock,
  DesktopNotification,
  Logger,
  NotifierPort,
  TimerHandle,
} from '../platform/ports';

export interface NotificationSettings {
  desktop: boolean;
  paused: boolean;
  dedupeSeconds: number;
}

export interface NotificationPolicyOptions {
  clock: Clock;
  /** Read on every notification, so settings changes apply at once. */
  settings: () => NotificationSettings;
  /** Bucket size and refill per minute; default 6. */
  maxPerMinute?: number;
  logger?: Logger;
}

export type PolicyOutcome =
  'shown' | 'duplicate' | 'rate-limited' | 'paused' | 'disabled' | 'failed';

export interface PolicyStats {
  shown: number;
  duplicate: number;
  rateLimited: number;
  paused: number;
  disabled: number;
  failed: number;
  summaries: number;
}

const SUMMARY_KEY = 'notifications:suppressed';

const urgencyRank = { low: 0, normal: 1, critical: 2 } as const;

export class NotificationPolicy implements NotifierPort {
  private readonly clock: Clock;
  private readonly settings: () => NotificationSettings;
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly logger: Logger | undefined;
  private tokens: number;
  private lastRefill: number;
  private readonly lastShown = new Map<string, number>();
  private suppressed: DesktopNotification[] = [];
  private suppressedCount = 0;
  private summaryTimer: TimerHandle | null = null;
  private readonly stats: PolicyStats = {
    shown: 0,
    duplicate: 0,
    rateLimited: 0,
    paused: 0,
    disabled: 0,
    failed: 0,
    summaries: 0,
  };

  constructor(
    private readonly inner: NotifierPort,
    options: NotificationPolicyOptions,
  ) {
    this.clock = options.clock;
    this.settings = options.settings;
    this.capacity = Math.max(1, options.maxPerMinute ?? 6);
    this.refillPerMs = this.capacity / 60_000;
    this.logger = options.logger;
    this.tokens = this.capacity;
    this.lastRefill = options.clock.monotonic();
  }

  /** NotifierPort: resolves when the notification was shown or dropped; never rejects. */
  async notify(notification: DesktopNotification): Promise<void> {
    await this.submit(notification);
  }

  /** Like notify(), telling what became of it. */
  async submit(notification: DesktopNotification): Promise<PolicyOutcome> {
    const settings = this.settings();
    if (!settings.desktop) {
      this.stats.disabled++;
      return 'disabled';
    }
    if (settings.paused) {
      this.stats.paused++;
      return 'paused';
    }
    const now = this.clock.monotonic();
    const windowMs = settings.dedupeSeconds * 1000;
    const last = this.lastShown.get(notification.key);
    if (last !== undefined && windowMs > 0 && now - last < windowMs) {
      this.stats.duplicate++;
      this.logger?.log('debug', 'notification de-duplicated', { key: notification.key });
      return 'duplicate';
    }
    this.refill(now);
    if (this.tokens < 1 && notification.urgency !== 'critical') {
      this.stats.rateLimited++;
      this.suppressedCount++;
      this.suppressed.push(notification);
      if (this.suppressed.length > 20) this.suppressed.shift();
      this.scheduleSummary(now);
      return 'rate-limited';
    }
    this.tokens = Math.max(0, this.tokens - 1);
    this.pruneDedupe(now, windowMs);
    this.lastShown.set(notification.key, now);
    return this.deliver(notification);
  }

  /** Counters since start (for diagnostics and tests). */
  getStats(): PolicyStats {
    return { ...this.stats };
  }

  /** Suppressed notifications not yet summarised. */
  pendingSuppressed(): number {
    return this.suppressedCount;
  }

  /** Stops the summary timer (teardown). A pending summary is dropped. */
  dispose(): void {
    if (this.summaryTimer) this.clock.clearTimeout(this.summaryTimer);
    this.summaryTimer = null;
  }

  private async deliver(notification: DesktopNotification): Promise<PolicyOutcome> {
    try {
      await this.inner.notify(notification);
      this.stats.shown++;
      return 'shown';
    } catch (error) {
      this.stats.failed++;
      this.logger?.log('warn', 'desktop notification failed', {
        key: notification.key,
        error: error instanceof Error ? error.message : String(error),
      });
      return 'failed';
    }
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.lastRefill);
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillPerMs);
    this.lastRefill = now;
  }

  private scheduleSummary(now: number): void {
    if (this.summaryTimer) return;
    this.refill(now);
    const wait = Math.max(0, Math.ceil((1 - this.tokens) / this.refillPerMs));
    this.summaryTimer = this.clock.setTimeout(() => {
      this.summaryTimer = null;
      this.flushSummary();
    }, wait);
  }

  private flushSummary(): void {
    const count = this.suppressedCount;
    if (count === 0) return;
    const settings = this.settings();
    const recent = this.suppressed;
    this.suppressedCount = 0;
    this.suppressed = [];
    if (!settings.desktop || settings.paused) return;
    this.refill(this.clock.monotonic());
    this.tokens = Math.max(0, this.tokens - 1);
    const titles = [...new Set(recent.map((n) => n.title))];
    const urgency = recent.reduce<DesktopNotification['urgency']>(
      (u, n) => (urgencyRank[n.urgency] > urgencyRank[u] ? n.urgency : u),
      'low',
    );
    const body =
      `${count} more notification${count === 1 ? ' was' : 's were'} suppressed (at most ${this.capacity} per minute)` +
      (titles.length > 0
        ? `: ${titles.slice(0, 5).join(', ')}${titles.length > 5 ? ', …' : ''}`
        : '') +
      '. The event log has all of them.';
    this.stats.summaries++;
    void this.deliver({
      key: SUMMARY_KEY,
      title: `${count} more event${count === 1 ? '' : 's'} suppressed`,
      body,
      urgency,
      route: '/events',
    });
  }

  private pruneDedupe(now: number, windowMs: number): void {
    if (this.lastShown.size < 256) return;
    for (const [key, at] of this.lastShown) if (now - at >= windowMs) this.lastShown.delete(key);
  }
}

/** One notification as recorded: the contract's NotificationRecord (`notifications:recent`). */
export type RecordedNotification = NotificationRecord;

/**
 * Keeps the last `capacity` notifications in memory, for tests and for the
 * `notifications:recent` API (the e2e tests read it). Optionally forwards to a real notifier
 * (the recording happens whether or not forwarding succeeds; a forwarding failure is passed on).
 */
export class RecordingNotifier implements NotifierPort {
  private readonly items: RecordedNotification[] = [];

  constructor(
    private readonly options: {
      capacity?: number;
      clock?: Pick<Clock, 'now'>;
      forward?: NotifierPort;
    } = {},
  ) {}

  async notify(notification: DesktopNotification): Promise<void> {
    const capacity = Math.max(1, this.options.capacity ?? 200);
    this.items.push({ ...notification, at: (this.options.clock ?? Date).now() });
    if (this.items.length > capacity) this.items.splice(0, this.items.length - capacity);
    if (this.options.forward) await this.options.forward.notify(notification);
  }

  /** Oldest first. */
  list(): RecordedNotification[] {
    return this.items.map((n) => ({ ...n }));
  }

  clear(): void {
    this.items.length = 0;
  }
}
