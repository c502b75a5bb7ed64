/**
 * The core's outage records: one OutageTracker per UPS, fed from the monitor's readings and
 * events, its state stored in the history log after each change (so an outage in progress
 * survives a restart), and the battery health (with its "replace the battery" reminder) derived
 * from the stored records. The core wires it (main/core/app-core.ts); everything it needs comes
 * in through {@link OutageServiceDeps}.
 */
import { type Config, findMonitorTarget } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import {
  BATTERY_REPLACE_EVENT,
  type BatteryHealth,
  OUTAGE_END_TEXT,
  OUTAGE_RECORDED_EVENT,
  type OutageRecord,
  OutageRecordSchema,
  type ReplaceReason,
} from '../../shared/outages';
import { SELF_TEST_EVENT, SelfTestRecordSchema } from '../../shared/ups-commands';
import type { HistoryLog } from '../history/history-log';
import type { Clock, Logger, NotifierPort, TimerHandle } from '../platform/ports';
import { batteryHealth } from './battery-health';
import {
  DEFAULT_TRACKER_OPTIONS,
  type OpenOutageState,
  type OutageObservation,
  OutageTracker,
  type OutageTrackerOptions,
  type TrackerChange,
} from './outage-tracker';

/** What the monitor has for one UPS right now. */
export interface UpsReading {
  monitorId: string;
  /** Connected and the readings are fresh. */
  readable: boolean;
  status: string | null;
  statusAt: number | null;
  variables: ReadonlyMap<string, string>;
  variablesAt: number | null;
  clients: { address: string; hostname: string | null }[] | null;
}

export interface OutageServiceDeps {
  clock: Clock;
  logger: Logger;
  history: HistoryLog;
  config: () => Config;
  /** The readings of every UPS, or of the one named (cheaper: a change concerns one UPS). */
  readings: (monitorId?: string) => readonly UpsReading[];
  /** The what-if timeline for a UPS now (main/what-if), or null when it cannot be computed. */
  predict?: (monitorId: string) => OutageRecord['prediction'];
  recordEvent: (event: StoredEvent) => void;
  notifier: NotifierPort | null;
  /** The reminder of a UPS changed (the snapshot shows it). */
  onReminder?: (monitorId: string) => void;
  tracker?: Partial<OutageTrackerOptions>;
}

/** An open outage is stored at most this often between status changes and events. */
const SAVE_EVERY_MS = 10_000;
/** The reminder is re-evaluated at most this often per UPS (and at once after an outage). */
const HEALTH_EVERY_MS = 60_000;
const TICK_MS = 5_000;

/**
 * What the tracker sees of a reading. The status poll and the full poll run apart, so the charge
 * can be newer than the status: when the full poll's variables are the newer read, their own
 * ups.status goes with them (else the charge of a UPS just back on line, read before the next
 * status poll, would count as a point of the discharge).
 */
export function observationOf(reading: UpsReading, now: number): OutageObservation {
  const vars = reading.variables;
  const variablesNewer =
    reading.variablesAt !== null && reading.variablesAt > (reading.statusAt ?? -Infinity);
  return {
    at: reading.readable ? Math.max(reading.statusAt ?? 0, reading.variablesAt ?? 0) || now : now,
    readable: reading.readable,
    status: (variablesNewer ? vars.get('ups.status') : undefined) ?? reading.status,
    charge: numeric(vars, 'battery.charge'),
    runtime: numeric(vars, 'battery.runtime'),
    load: numeric(vars, 'ups.load'),
    realpower: numeric(vars, 'ups.realpower'),
    nominalPower: numeric(vars, 'ups.realpower.nominal'),
    clients: reading.clients,
  };
}

function numeric(variables: ReadonlyMap<string, string>, name: string): number | null {
  const raw = variables.get(name);
  if (raw === undefined || raw.trim() === '') return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function routeOf(monitorId: string, tab: string): string {
  return `/ups/${monitorId.split('/').map(encodeURIComponent).join('/')}/${tab}`;
}

export class OutageService {
  private readonly trackers = new Map<string, OutageTracker>();
  /** What was last fed per UPS: a reading is observed once, when something in it changed. */
  private readonly fed = new Map<string, string>();
  private readonly savedAt = new Map<string, number>();
  private readonly reminders = new Map<
    string,
    { kinds: string; reminder: { text: string; reasons: ReplaceReason['kind'][] } | null }
  >();
  private readonly healthAt = new Map<string, number>();
  private readonly healthInputs = new Map<string, string>();
  private readonly healthConfig = new Map<string, Config>();
  private timer: TimerHandle | null = null;
  private running = false;
  private readonly options: OutageTrackerOptions;

  constructor(private readonly deps: OutageServiceDeps) {
    const { tracker, config } = deps;
    // Shared by all trackers and read on each use, so a saved `outages.commLostSeconds` counts at once.
    this.options = {
      get commGraceMs() {
        return tracker?.commGraceMs ?? config().outages.commLostSeconds * 1000;
      },
      minPointIntervalMs: tracker?.minPointIntervalMs ?? DEFAULT_TRACKER_OPTIONS.minPointIntervalMs,
    };
  }

  /** Picks up the outages still in progress when the app stopped. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const row of this.deps.history.listOutages({ openOnly: true, limit: 1000 })) {
      if (this.trackers.has(row.monitorId) || row.openState === null) continue;
      this.trackers.set(
        row.monitorId,
        new OutageTracker(row.monitorId, row.openState as OpenOutageState, this.options),
      );
    }
    this.schedule();
  }

  /** Monitoring stops: outages that ended with the shutdown are closed, the others stay stored. */
  stop(): void {
    this.running = false;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    const now = this.deps.clock.now();
    for (const tracker of this.trackers.values()) {
      const change = tracker.stop(now);
      if (change) this.apply(tracker, change, true);
      else if (tracker.open) this.save(tracker.open, true);
    }
  }

  /**
   * The readings changed (the monitor's `changed`): feeds each UPS whose reading is new — only
   * `monitorId`'s when the change is that UPS's (every status poll of every UPS is one).
   */
  onChanged(monitorId?: string): void {
    if (!this.running) return;
    for (const reading of this.deps.readings(monitorId)) this.feed(reading);
  }

  /** An event the monitor logged: kept in the open outage of its UPS. */
  onEvent(event: StoredEvent): void {
    if (!this.running || event.type === OUTAGE_RECORDED_EVENT) return;
    if (event.type === BATTERY_REPLACE_EVENT) return;
    // The monitor logs a status event before it says the readings changed: ONBATT opens the outage.
    if (!this.trackers.get(event.monitorId)?.open) this.onChanged(event.monitorId);
    const tracker = this.trackers.get(event.monitorId);
    if (tracker) {
      const change = tracker.recordEvent({
        at: event.at,
        type: event.type,
        severity: event.severity,
        message: event.message,
      });
      if (change) this.apply(tracker, change, true);
    }
    // A new REPLBATT or self-test result can change the reminder at once.
    if (event.type === 'REPLBATT' || event.type === SELF_TEST_EVENT)
      this.checkHealth(event.monitorId, true);
  }

  /** The outage in progress of a UPS, if any (a copy). */
  openRecord(monitorId: string): OutageRecord | null {
    const open = this.trackers.get(monitorId)?.open;
    return open ? structuredClone(open.record) : null;
  }

  /** Stored records, newest first; the open ones with their figures so far. */
  list(monitorId?: string, limit = 500): OutageRecord[] {
    return this.deps.history
      .listOutages({ ...(monitorId ? { monitorId } : {}), limit })
      .map((row) => this.fresh(row.monitorId, row.record))
      .filter((r): r is OutageRecord => r !== null);
  }

  get(id: string): OutageRecord | null {
    const row = this.deps.history.getOutage(id);
    return row ? this.fresh(row.monitorId, row.record) : null;
  }

  /** The current reminder of a UPS (the card, the tray), null when there is none. */
  reminder(monitorId: string): { text: string; reasons: ReplaceReason['kind'][] } | null {
    return this.reminders.get(monitorId)?.reminder ?? null;
  }

  health(monitorId: string): BatteryHealth {
    const config = this.deps.config();
    const ups = findMonitorTarget(config, monitorId)?.ups;
    const reading = this.deps.readings(monitorId)[0];
    const records = this.deps.history
      .listOutages({ monitorId, limit: 5000 })
      .map((row) => OutageRecordSchema.safeParse(row.record))
      .flatMap((parsed) => (parsed.success ? [parsed.data] : []));
    const replbattEvents = this.deps.history
      .queryEvents({ monitorId, types: ['REPLBATT'], limit: 500 })
      .map((e) => ({ at: e.at, message: e.message }));
    const selfTests = this.deps.history
      .queryEvents({ monitorId, kinds: ['system'], types: [SELF_TEST_EVENT], limit: 200 })
      .map((e) => SelfTestRecordSchema.safeParse(e.data))
      .flatMap((parsed) =>
        parsed.success
          ? [
              {
                at: parsed.data.at,
                result: parsed.data.result,
                testResult: parsed.data.testResult,
                reason: parsed.data.reason,
              },
            ]
          : [],
      );
    return batteryHealth({
      monitorId,
      now: this.deps.clock.now(),
      settings: config.battery,
      replacedOn: ups?.batteryReplacedOn ?? null,
      variables: reading?.variables ?? new Map(),
      status: reading?.status ?? null,
      records,
      replbattEvents,
      selfTests,
    });
  }

  /** A record as stored, or — while in progress — as the tracker has it now. */
  private fresh(monitorId: string, stored: unknown): OutageRecord | null {
    const parsed = OutageRecordSchema.safeParse(stored);
    if (!parsed.success) return null;
    const open = this.trackers.get(monitorId)?.open;
    if (open && open.record.id === parsed.data.id) return structuredClone(open.record);
    return parsed.data;
  }

  private feed(reading: UpsReading): void {
    const key = reading.readable
      ? `r|${reading.status ?? ''}|${reading.variablesAt ?? ''}|${(reading.clients ?? []).map((c) => c.address).join(',')}`
      : 'unreadable';
    if (this.fed.get(reading.monitorId) === key) return;
    this.fed.set(reading.monitorId, key);
    const observation = observationOf(reading, this.deps.clock.now());
    let tracker = this.trackers.get(reading.monitorId);
    if (!tracker) {
      tracker = new OutageTracker(reading.monitorId, null, this.options);
      this.trackers.set(reading.monitorId, tracker);
    }
    const statusBefore = tracker.open?.lastPoint?.status ?? null;
    const change = tracker.observe(observation);
    if (change)
      this.apply(
        tracker,
        change,
        change.type !== 'updated' || statusBefore !== observation.status || !reading.readable,
      );
    if (!reading.readable) return;
    const vars = reading.variables;
    // What the battery health reads from the UPS: a change (e.g. the first full read) counts at once.
    const inputs = [
      vars.get('battery.date'),
      vars.get('battery.mfr.date'),
      vars.get('ups.test.result'),
      /\bRB\b/i.test(reading.status ?? ''),
    ].join('|');
    // A saved config (e.g. the battery's replacement date) counts at once as well.
    const changed =
      this.healthInputs.get(reading.monitorId) !== inputs ||
      this.healthConfig.get(reading.monitorId) !== this.deps.config();
    this.healthConfig.set(reading.monitorId, this.deps.config());
    this.healthInputs.set(reading.monitorId, inputs);
    this.checkHealth(reading.monitorId, changed);
  }

  private apply(tracker: OutageTracker, change: TrackerChange, force: boolean): void {
    if (change.type === 'opened') {
      try {
        change.state.record.prediction = this.deps.predict?.(tracker.monitorId) ?? null;
      } catch (error) {
        this.deps.logger.log(
          'warn',
          `what-if at the start of the outage on ${tracker.monitorId}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      this.save(change.state, true);
    } else if (change.type === 'updated') this.save(change.state, force);
    else this.closed(change.record);
  }

  private save(state: OpenOutageState, force: boolean): void {
    const { record } = state;
    const now = this.deps.clock.now();
    if (!force && now - (this.savedAt.get(record.id) ?? 0) < SAVE_EVERY_MS) return;
    this.savedAt.set(record.id, now);
    this.store(record, state);
  }

  private store(record: OutageRecord, openState: OpenOutageState | null): void {
    try {
      this.deps.history.saveOutage({
        id: record.id,
        monitorId: record.monitorId,
        startedAt: record.startedAt,
        endedAt: record.endedAt,
        record,
        openState,
      });
    } catch (error) {
      this.deps.logger.log(
        'error',
        `could not store the outage record ${record.id}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private closed(record: OutageRecord): void {
    this.savedAt.delete(record.id);
    this.store(record, null);
    const lowest = record.lowestCharge === null ? '' : `, lowest charge ${record.lowestCharge} %`;
    const energy = record.energyWh === null ? '' : `, ${record.energyWh.toFixed(1)} Wh`;
    this.deps.recordEvent({
      at: this.deps.clock.now(),
      monitorId: record.monitorId,
      kind: 'system',
      type: OUTAGE_RECORDED_EVENT,
      severity: 'info',
      message: `Outage recorded: ${minutes(record.durationMs)} on battery${lowest}${energy}; ended by ${OUTAGE_END_TEXT[record.endedBy ?? 'power-back']}.`,
      data: { outageId: record.id },
    });
    this.checkHealth(record.monitorId, true);
  }

  /** Re-derives the reminder; a new or changed one is an event and a notification. */
  private checkHealth(monitorId: string, now: boolean): void {
    const at = this.deps.clock.now();
    if (!now && at - (this.healthAt.get(monitorId) ?? -Infinity) < HEALTH_EVERY_MS) return;
    this.healthAt.set(monitorId, at);
    let health: BatteryHealth;
    try {
      health = this.health(monitorId);
    } catch (error) {
      this.deps.logger.log(
        'warn',
        `battery health of ${monitorId}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    const kinds = health.reasons
      .map((r) => r.kind)
      .sort()
      .join(',');
    const known = this.reminders.get(monitorId) ?? {
      kinds: this.lastNotifiedKinds(monitorId),
      reminder: null,
    };
    const reminder =
      health.reminder === null
        ? null
        : { text: health.reminder, reasons: health.reasons.map((r) => r.kind) };
    if (
      JSON.stringify(reminder) !== JSON.stringify(known.reminder) ||
      !this.reminders.has(monitorId)
    )
      this.deps.onReminder?.(monitorId);
    this.reminders.set(monitorId, { kinds, reminder });
    if (kinds === known.kinds || health.reminder === null) return;
    // Only reasons not reminded of before call for a new reminder.
    const before = new Set(known.kinds.split(',').filter(Boolean));
    if (health.reasons.every((r) => before.has(r.kind))) return;
    this.deps.recordEvent({
      at,
      monitorId,
      kind: 'system',
      type: BATTERY_REPLACE_EVENT,
      severity: 'warning',
      message: `${monitorId}: ${health.reminder}.`,
      data: { kinds: health.reasons.map((r) => r.kind) },
    });
    void this.deps.notifier
      ?.notify({
        key: `${BATTERY_REPLACE_EVENT}:${monitorId}:${kinds}`,
        title: `Replace the battery of ${monitorId}`,
        body: health.reasons.map((r) => r.text).join('; '),
        urgency: 'normal',
        route: routeOf(monitorId, 'battery'),
      })
      .catch(() => undefined);
  }

  /** The reasons of the last reminder logged for this UPS (so a restart does not remind again). */
  private lastNotifiedKinds(monitorId: string): string {
    const last = this.deps.history.queryEvents({
      monitorId,
      kinds: ['system'],
      types: [BATTERY_REPLACE_EVENT],
      limit: 1,
    })[0];
    const kinds = last?.data?.kinds;
    return Array.isArray(kinds) ? kinds.map(String).sort().join(',') : '';
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      const now = this.deps.clock.now();
      this.onChanged();
      for (const tracker of this.trackers.values()) {
        const change = tracker.tick(now);
        if (change) this.apply(tracker, change, true);
      }
      this.schedule();
    }, TICK_MS);
  }
}
