/**
 * Outage records from status transitions and readings: one tracker per UPS, fed with what the
 * monitor reads (ups.status, charge, runtime, load, power, LIST CLIENT) and the events it logs.
 * An outage starts at the first read with OB and ends at the first read without it (power back),
 * when the UPS stays unreadable past a grace time while on battery (comm lost — or shutdown, when
 * the shutdown sequence or FSD came first), or when monitoring stops after the shutdown began.
 *
 * Pure apart from the clock values it is given: no I/O, no timers. Its whole state is
 * {@link OpenOutageState} (plain JSON), which the core stores after each change, so an outage in
 * progress survives a restart of the app (main/outages/outage-service.ts).
 *
 * The figures are running sums, never a kept series: the discharge rate is a least-squares fit of
 * charge over time, the energy a trapezoid integral of power over time (only between two reads
 * that both knew the power — nothing is invented where it was unknown).
 */
import type { DischargeFit, OutageEnd, OutageEvent, OutageRecord } from '../../shared/outages';
import { statusTokens } from '../../shared/status-tokens';

/** One read of the UPS, as the monitor has it. */
export interface OutageObservation {
  at: number;
  /** false while the UPS cannot be read (connection lost, driver stale): then nothing else counts. */
  readable: boolean;
  /** ups.status as read (tokens separated by spaces). */
  status: string | null;
  charge: number | null;
  /** battery.runtime, seconds. */
  runtime: number | null;
  /** ups.load, %. */
  load: number | null;
  /** ups.realpower, W. */
  realpower: number | null;
  /** ups.realpower.nominal, W. */
  nominalPower: number | null;
  /** LIST CLIENT addresses with their names; null when the server cannot list. */
  clients: readonly { address: string; hostname: string | null }[] | null;
}

export interface OutageTrackerOptions {
  /** An unreadable UPS on battery for longer than this ends the outage (comm lost). */
  commGraceMs: number;
  /** Reads closer together than this add no point (status changes always do). */
  minPointIntervalMs: number;
}

export const DEFAULT_TRACKER_OPTIONS: OutageTrackerOptions = {
  commGraceMs: 60_000,
  minPointIntervalMs: 1_000,
};

const MAX_EVENTS = 200;

interface Sums {
  n: number;
  t: number;
  c: number;
  tt: number;
  tc: number;
  cc: number;
  firstT: number | null;
  lastT: number | null;
}

/** An outage in progress: the record so far plus the running sums (JSON, stored as is). */
export interface OpenOutageState {
  record: OutageRecord;
  fit: Sums;
  load: { n: number; sum: number };
  lastPoint: { at: number; power: number | null; status: string | null } | null;
  coveredMs: number;
  /** Epoch ms of the last read on battery. */
  lastSeenAt: number;
  /** Set while the UPS is unreadable: since when. */
  unreadableSince: number | null;
  /** The shutdown began (this machine's sequence, SHUTDOWN, or FSD from the master). */
  shutdownAt: number | null;
  /** LIST CLIENT now, to diff against the next read. */
  clients: { address: string; hostname: string | null }[] | null;
}

/** The last on-line read (for the record's `onLineBefore`). */
export interface OnLineRead {
  at: number;
  charge: number | null;
  runtimeSeconds: number | null;
  load: number | null;
}

export type TrackerChange =
  | { type: 'opened'; state: OpenOutageState }
  | { type: 'updated'; state: OpenOutageState }
  | { type: 'closed'; record: OutageRecord };

/** Power drawn, W: ups.realpower, else load × ups.realpower.nominal, else unknown. */
export function powerOf(
  observation: Pick<OutageObservation, 'realpower' | 'load' | 'nominalPower'>,
): { watts: number; source: NonNullable<OutageRecord['energySource']> } | null {
  if (observation.realpower !== null && Number.isFinite(observation.realpower))
    return { watts: observation.realpower, source: 'ups.realpower' };
  if (
    observation.load !== null &&
    observation.nominalPower !== null &&
    Number.isFinite(observation.load) &&
    Number.isFinite(observation.nominalPower)
  )
    return {
      watts: (observation.load / 100) * observation.nominalPower,
      source: 'load × ups.realpower.nominal',
    };
  return null;
}

/** The least-squares discharge fit from the running sums (null with fewer than two points or no span). */
export function dischargeFit(sums: Sums): DischargeFit | null {
  if (sums.n < 2 || sums.firstT === null || sums.lastT === null) return null;
  const sxx = sums.tt - (sums.t * sums.t) / sums.n;
  if (sxx <= 0) return null;
  const sxy = sums.tc - (sums.t * sums.c) / sums.n;
  const syy = sums.cc - (sums.c * sums.c) / sums.n;
  const slope = sxy / sxx;
  let stdError: number | null = null;
  if (sums.n >= 3) {
    const residual = Math.max(0, syy - slope * sxy);
    stdError = Math.sqrt(residual / (sums.n - 2) / sxx);
  }
  return {
    ratePerMinute: -slope,
    rateStdError: stdError,
    points: sums.n,
    spanMs: (sums.lastT - sums.firstT) * 60_000,
  };
}

function emptySums(): Sums {
  return { n: 0, t: 0, c: 0, tt: 0, tc: 0, cc: 0, firstT: null, lastT: null };
}

/** One UPS's outages. Feed every read ({@link observe}) and every event ({@link recordEvent}). */
export class OutageTracker {
  private state: OpenOutageState | null;
  private lastOnLine: OnLineRead | null = null;
  /** Restored from storage and not read since: the gap before the first read is the app's downtime. */
  private resumed: boolean;

  constructor(
    readonly monitorId: string,
    restored: OpenOutageState | null = null,
    private readonly options: OutageTrackerOptions = DEFAULT_TRACKER_OPTIONS,
  ) {
    this.state = restored;
    this.resumed = restored !== null;
  }

  /** The outage in progress, if any. */
  get open(): OpenOutageState | null {
    return this.state;
  }

  observe(observation: OutageObservation): TrackerChange | null {
    const state = this.state;
    if (!observation.readable) {
      if (!state) return null;
      if (state.unreadableSince === null) {
        state.unreadableSince = observation.at;
        return { type: 'updated', state };
      }
      return this.expire(observation.at);
    }
    const status = statusTokens(observation.status);
    const resumed = this.resumed;
    this.resumed = false;
    if (!status.has('OB')) {
      if (status.has('OL'))
        this.lastOnLine = {
          at: observation.at,
          charge: observation.charge,
          runtimeSeconds: observation.runtime,
          load: observation.load,
        };
      if (!state) return null;
      // Back after a long silence: the outage ended while we could not see it.
      if (
        state.unreadableSince !== null &&
        observation.at - state.unreadableSince > this.options.commGraceMs
      )
        return this.close(
          state.unreadableSince,
          state.shutdownAt !== null ? 'shutdown' : 'comm-lost',
        );
      // A restored outage (the app was stopped): it ended some time after the last read we have.
      if (resumed && observation.at - state.lastSeenAt > this.options.commGraceMs)
        return this.close(
          state.lastSeenAt,
          state.shutdownAt !== null ? 'shutdown' : 'monitoring-stopped',
        );
      return this.close(observation.at, 'power-back');
    }
    if (!state) return { type: 'opened', state: this.start(observation) };
    state.unreadableSince = null;
    if (!this.addPoint(state, observation)) return null;
    return { type: 'updated', state };
  }

  /** An event logged for this UPS (notify or system): kept in the record; SHUTDOWN/FSD mark the shutdown. */
  recordEvent(event: OutageEvent): TrackerChange | null {
    const state = this.state;
    if (!state) return null;
    if (state.record.events.length < MAX_EVENTS) state.record.events.push({ ...event });
    if (
      state.shutdownAt === null &&
      (event.type === 'SHUTDOWN_BEGINS' || event.type === 'SHUTDOWN' || event.type === 'FSD')
    )
      state.shutdownAt = event.at;
    return { type: 'updated', state };
  }

  /** Time passes without reads (a timer): an unreadable UPS past the grace ends the outage. */
  tick(now: number): TrackerChange | null {
    return this.expire(now);
  }

  /**
   * Monitoring stops. After the shutdown began, the outage ended with it; otherwise it stays
   * open (stored) and is continued or closed by the first read after the next start.
   */
  stop(now: number): TrackerChange | null {
    const state = this.state;
    if (!state || state.shutdownAt === null) return null;
    return this.close(
      Math.max(state.lastSeenAt, Math.min(now, state.lastSeenAt + 60_000)),
      'shutdown',
    );
  }

  private expire(now: number): TrackerChange | null {
    const state = this.state;
    if (!state || state.unreadableSince === null) return null;
    if (now - state.unreadableSince <= this.options.commGraceMs) return null;
    return this.close(state.unreadableSince, state.shutdownAt !== null ? 'shutdown' : 'comm-lost');
  }

  private start(observation: OutageObservation): OpenOutageState {
    const clients = observation.clients ? observation.clients.map((c) => ({ ...c })) : null;
    const record: OutageRecord = {
      id: `${this.monitorId}@${observation.at}`,
      monitorId: this.monitorId,
      startedAt: observation.at,
      endedAt: null,
      endedBy: null,
      durationMs: 0,
      chargeAtStart: observation.charge,
      chargeAtEnd: observation.charge,
      lowestCharge: observation.charge,
      runtimeAtStartSeconds: observation.runtime,
      onLineBefore: this.lastOnLine ? { ...this.lastOnLine } : null,
      meanLoad: null,
      energyWh: null,
      energySource: null,
      energyCoverage: 0,
      discharge: null,
      events: [],
      clientsAtStart: clients ? clients.map((c) => c.address) : null,
      logouts: [],
      prediction: null,
    };
    const state: OpenOutageState = {
      record,
      fit: emptySums(),
      load: { n: 0, sum: 0 },
      lastPoint: null,
      coveredMs: 0,
      lastSeenAt: observation.at,
      unreadableSince: null,
      shutdownAt: null,
      clients,
    };
    this.state = state;
    this.addPoint(state, observation);
    return state;
  }

  /** Adds a read to the sums; false when it was too close to the last one to count. */
  private addPoint(state: OpenOutageState, observation: OutageObservation): boolean {
    const { record } = state;
    const last = state.lastPoint;
    this.diffClients(state, observation);
    if (
      last &&
      observation.at - last.at < this.options.minPointIntervalMs &&
      observation.status === last.status
    ) {
      // No point for the fit, but the lowest charge is never missed.
      const c = observation.charge;
      if (c !== null && Number.isFinite(c)) {
        record.chargeAtEnd = c;
        record.lowestCharge = record.lowestCharge === null ? c : Math.min(record.lowestCharge, c);
      }
      return false;
    }
    const at = observation.at;
    state.lastSeenAt = at;
    record.durationMs = at - record.startedAt;
    if (observation.charge !== null && Number.isFinite(observation.charge)) {
      const c = observation.charge;
      record.chargeAtEnd = c;
      record.lowestCharge = record.lowestCharge === null ? c : Math.min(record.lowestCharge, c);
      if (record.chargeAtStart === null) record.chargeAtStart = c;
      const t = (at - record.startedAt) / 60_000;
      const f = state.fit;
      f.n += 1;
      f.t += t;
      f.c += c;
      f.tt += t * t;
      f.tc += t * c;
      f.cc += c * c;
      f.firstT ??= t;
      f.lastT = t;
      record.discharge = dischargeFit(f);
    }
    if (observation.load !== null && Number.isFinite(observation.load)) {
      state.load.n += 1;
      state.load.sum += observation.load;
      record.meanLoad = state.load.sum / state.load.n;
    }
    if (record.runtimeAtStartSeconds === null && observation.runtime !== null)
      record.runtimeAtStartSeconds = observation.runtime;
    const power = powerOf(observation);
    if (power && last && last.power !== null) {
      const ms = at - last.at;
      state.coveredMs += ms;
      record.energyWh =
        (record.energyWh ?? 0) + (((last.power + power.watts) / 2) * ms) / 3_600_000;
    }
    if (power) record.energySource ??= power.source;
    record.energyCoverage =
      record.durationMs > 0 ? Math.min(1, state.coveredMs / record.durationMs) : 0;
    state.lastPoint = { at, power: power?.watts ?? null, status: observation.status };
    return true;
  }

  private diffClients(state: OpenOutageState, observation: OutageObservation): void {
    if (!observation.clients) return;
    const now = new Set(observation.clients.map((c) => c.address));
    for (const before of state.clients ?? []) {
      if (!now.has(before.address))
        state.record.logouts.push({
          address: before.address,
          hostname:
            observation.clients.find((c) => c.address === before.address)?.hostname ??
            before.hostname,
          at: observation.at,
        });
    }
    state.clients = observation.clients.map((c) => ({ ...c }));
  }

  private close(endedAt: number, endedBy: OutageEnd): TrackerChange {
    const state = this.state!;
    this.state = null;
    const record = state.record;
    record.endedAt = Math.max(record.startedAt, endedAt);
    record.endedBy = endedBy;
    record.durationMs = record.endedAt - record.startedAt;
    record.energyCoverage =
      record.durationMs > 0 ? Math.min(1, state.coveredMs / record.durationMs) : 0;
    return { type: 'closed', record };
  }
}
