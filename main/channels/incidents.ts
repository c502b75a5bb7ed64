/**
 * Turns the monitor's event stream into incidents: one per problem, opened by the event that
 * starts it (ONBATT, COMMBAD, BYPASS, …), updated at the steps that matter (charge thresholds,
 * LOWBATT, FSD, the shutdown starting, an expected secondary missing) and resolved with a
 * summary once the problem is gone. Power that comes back is only resolved after a settle time,
 * so a flapping line stays one incident (its flaps are counted, not announced). Everything
 * else (REPLBATT, LOGIN_REFUSED, …) is a one-off message.
 *
 * Pure apart from the injected clock: the caller routes and queues what `emit` receives.
 */
import { hostname } from 'node:os';
import { ALERT_SCHEMA, type Alert, type AlertPhase } from '../../shared/channels';
import type { Severity, StoredEvent } from '../../shared/history';
import { formatDuration } from '../../shared/durations';
import { DEFAULT_NOTIFY_SEVERITY, isNotifyType } from '../../shared/notify-types';
import type { UpsSnapshot } from '../../shared/snapshot';
import type { Clock, TimerHandle } from '../platform/ports';
import { randomHex } from '../platform/unique-id';

export interface IncidentSettings {
  settleSeconds: number;
  chargeSteps: readonly number[];
}

/** An alert plus where it may go: `incidentChannels` are the channels that already got this incident. */
export interface RoutedAlert {
  alert: Alert;
  monitorId: string | null;
  /** Channels that received earlier messages of the incident (a resolution goes to exactly these). */
  incidentChannels: ReadonlySet<string>;
  /** Lets the router record which channels got the message (so later updates follow). */
  delivered(channels: readonly string[]): void;
}

export interface IncidentDeps {
  clock: Clock;
  settings: () => IncidentSettings;
  /** The UPS as the dashboard sees it now (readings, names), if it is monitored. */
  ups: (monitorId: string) => UpsSnapshot | undefined;
  /** Per-UPS title prefix (`messagePrefix`). */
  prefix: (monitorId: string) => string;
  emit: (routed: RoutedAlert) => void;
}

interface Incident {
  id: string;
  kind: string;
  monitorId: string;
  startedAt: number;
  sequence: number;
  lowestCharge: number | null;
  shutdownStarted: boolean;
  flaps: number;
  stepsDone: Set<number>;
  missing: Set<string>;
  settleTimer: TimerHandle | null;
  channels: Set<string>;
}

/** Events that open an incident, and the event that ends it. */
const PAIRS: Readonly<Record<string, { kind: string; ends: readonly string[] }>> = {
  ONBATT: { kind: 'power', ends: ['ONLINE'] },
  COMMBAD: { kind: 'comm', ends: ['COMMOK'] },
  NOCOMM: { kind: 'comm', ends: ['COMMOK'] },
  BYPASS: { kind: 'bypass', ends: ['NOTBYPASS'] },
  OVER: { kind: 'overload', ends: ['NOTOVER'] },
  ALARM: { kind: 'alarm', ends: ['NOTALARM'] },
  OFF: { kind: 'off', ends: ['NOTOFF'] },
};
const ENDS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(PAIRS).flatMap((p) => p.ends.map((e) => [e, p.kind])),
);
/** Events that are steps of an open power incident (and otherwise one-off messages). */
const POWER_STEPS = new Set(['LOWBATT', 'FSD']);
/** Quiet ends of a pair whose start was not seen (e.g. ONLINE at start-up): no message. */
const SILENT_WITHOUT_INCIDENT = new Set([
  ...Object.keys(ENDS),
  'NOTCAL',
  'NOTTRIM',
  'NOTBOOST',
  'NOTECO',
  'NOTOTHER',
]);

function readingsText(ups: UpsSnapshot | undefined): string {
  if (!ups) return '';
  const parts: string[] = [];
  if (ups.metrics.charge !== null) parts.push(`${Math.round(ups.metrics.charge)} %`);
  if (ups.metrics.runtime !== null) parts.push(`${formatDuration(ups.metrics.runtime)} runtime`);
  return parts.join(', ');
}

const HOST = hostname();

export class IncidentTracker {
  private readonly open = new Map<string, Incident>();

  constructor(private readonly deps: IncidentDeps) {}

  /** Feed every monitor event (notify and system). */
  onEvent(event: StoredEvent): void {
    if (event.kind === 'notify') this.onNotify(event);
    else if (event.kind === 'system') this.onSystem(event);
  }

  /** Feed readings changes: charge steps of an open power incident. */
  onReadings(): void {
    for (const incident of this.open.values()) {
      if (incident.kind !== 'power') continue;
      const ups = this.deps.ups(incident.monitorId);
      const charge = ups?.metrics.charge ?? null;
      if (charge === null || incident.settleTimer) continue;
      if (incident.lowestCharge === null || charge < incident.lowestCharge)
        incident.lowestCharge = charge;
      const crossed = this.deps
        .settings()
        .chargeSteps.filter((step) => charge <= step && !incident.stepsDone.has(step))
        .sort((a, b) => a - b);
      if (crossed.length === 0) continue;
      for (const step of crossed) incident.stepsDone.add(step);
      this.send(
        incident,
        'update',
        'warning',
        'CHARGE',
        `battery down to ${Math.round(charge)} % (threshold ${crossed[0]} %)${runtimeSuffix(ups)}`,
      );
    }
  }

  dispose(): void {
    for (const incident of this.open.values())
      if (incident.settleTimer) this.deps.clock.clearTimeout(incident.settleTimer);
    this.open.clear();
  }

  private key(monitorId: string, kind: string): string {
    return `${monitorId}|${kind}`;
  }

  private onNotify(event: StoredEvent): void {
    const type = event.type;
    const monitorId = event.monitorId;
    const pair = PAIRS[type];
    if (pair) {
      const existing = this.open.get(this.key(monitorId, pair.kind));
      if (existing) {
        if (existing.settleTimer) {
          // Back on battery before the settle time passed: the same incident, one more flap.
          this.deps.clock.clearTimeout(existing.settleTimer);
          existing.settleTimer = null;
          existing.flaps += 1;
        }
        return; // NOCOMM repeats while COMMBAD is open; nothing new to say.
      }
      this.openIncident(
        monitorId,
        pair.kind,
        type,
        severityOf(type),
        this.openingText(pair.kind, event, monitorId),
      );
      return;
    }
    const endKind = ENDS[type];
    if (endKind) {
      const incident = this.open.get(this.key(monitorId, endKind));
      if (!incident) return;
      if (endKind === 'power') {
        const settleMs = this.deps.settings().settleSeconds * 1000;
        if (settleMs <= 0) this.resolve(incident, type);
        else if (!incident.settleTimer)
          incident.settleTimer = this.deps.clock.setTimeout(
            () => this.resolve(incident, type),
            settleMs,
          );
      } else {
        this.resolve(incident, type);
      }
      return;
    }
    const power = this.open.get(this.key(monitorId, 'power'));
    if (POWER_STEPS.has(type) && power) {
      if (power.settleTimer) {
        this.deps.clock.clearTimeout(power.settleTimer);
        power.settleTimer = null;
      }
      const ups = this.deps.ups(monitorId);
      const text =
        type === 'LOWBATT'
          ? `battery LOW${readingsText(ups) ? `: ${readingsText(ups)}` : ''}`
          : 'the master set forced shutdown (FSD): every secondary shuts down now';
      this.send(power, 'update', 'critical', type, text);
      return;
    }
    if (type === 'SHUTDOWN') return; // announced per UPS by shutdown-begins (with the reason)
    if (SILENT_WITHOUT_INCIDENT.has(type)) return;
    this.oneOff(event);
  }

  private onSystem(event: StoredEvent): void {
    const monitorId = event.monitorId;
    if (event.type === 'SHUTDOWN_BEGINS') {
      let incident = this.open.get(this.key(monitorId, 'power'));
      if (!incident)
        incident = this.openIncident(monitorId, 'power', 'SHUTDOWN_BEGINS', 'critical', null);
      incident.shutdownStarted = true;
      this.send(
        incident,
        'update',
        'critical',
        'SHUTDOWN_BEGINS',
        `this machine (${HOST}) starts shutting down: ${event.message}`,
      );
    } else if (event.type === 'EXPECTED_CLIENT_MISSING') {
      const name = event.message.match(/^Expected client (\S+)/)?.[1] ?? 'a client';
      const power = this.open.get(this.key(monitorId, 'power'));
      if (power) {
        power.missing.add(name);
        this.send(
          power,
          'update',
          'warning',
          'EXPECTED_CLIENT_MISSING',
          `secondary ${name} is not logged in: the master will not wait for it`,
        );
      } else {
        const incident = this.openIncident(
          monitorId,
          `client:${name}`,
          'EXPECTED_CLIENT_MISSING',
          'warning',
          `secondary ${name} is not logged in: if the power fails, the master will not wait for it`,
        );
        incident.missing.add(name);
      }
    } else if (event.type === 'BATTERY_REPLACE') {
      // One open reminder per UPS (main/outages): a new reason is an update of it.
      // The event log's text names the UPS by id; the alert's title already names it.
      const text = event.message.replace(`${monitorId}: `, '').replace(/\.$/, '');
      const open = this.open.get(this.key(monitorId, 'battery'));
      if (open) this.send(open, 'update', 'warning', 'BATTERY_REPLACE', text);
      else this.openIncident(monitorId, 'battery', 'BATTERY_REPLACE', 'warning', text);
    } else if (event.type === 'EXPECTED_CLIENT_BACK') {
      const name = event.message.match(/^Expected client (\S+)/)?.[1] ?? '';
      const incident = this.open.get(this.key(monitorId, `client:${name}`));
      if (incident) this.resolve(incident, 'EXPECTED_CLIENT_BACK');
    }
  }

  private openingText(kind: string, event: StoredEvent, monitorId: string): string {
    const ups = this.deps.ups(monitorId);
    if (kind === 'power') return `on battery${readingsText(ups) ? `, ${readingsText(ups)}` : ''}`;
    if (kind === 'comm') return `connection to the UPS lost (${event.message})`;
    return event.message;
  }

  private openIncident(
    monitorId: string,
    kind: string,
    event: string,
    severity: Severity,
    text: string | null,
  ): Incident {
    const now = this.deps.clock.now();
    const incident: Incident = {
      id: `${now.toString(36)}-${randomHex(4)}`,
      kind,
      monitorId,
      startedAt: now,
      sequence: 0,
      lowestCharge: this.deps.ups(monitorId)?.metrics.charge ?? null,
      shutdownStarted: false,
      flaps: 0,
      stepsDone: new Set(),
      missing: new Set(),
      settleTimer: null,
      channels: new Set(),
    };
    // Steps already below the charge at the start are not announced again.
    const charge = incident.lowestCharge;
    if (charge !== null)
      for (const step of this.deps.settings().chargeSteps)
        if (charge <= step) incident.stepsDone.add(step);
    this.open.set(this.key(monitorId, kind), incident);
    if (text !== null) this.send(incident, 'open', severity, event, text);
    return incident;
  }

  private resolve(incident: Incident, event: string): void {
    if (incident.settleTimer) this.deps.clock.clearTimeout(incident.settleTimer);
    incident.settleTimer = null;
    this.open.delete(this.key(incident.monitorId, incident.kind));
    const duration = formatDuration((this.deps.clock.now() - incident.startedAt) / 1000);
    let text: string;
    if (incident.kind === 'power') {
      const parts = [`power back after ${duration}`];
      if (incident.lowestCharge !== null)
        parts.push(`lowest charge ${Math.round(incident.lowestCharge)} %`);
      if (incident.flaps > 0)
        parts.push(
          `${incident.flaps} more power failure${incident.flaps === 1 ? '' : 's'} in between`,
        );
      parts.push(
        incident.shutdownStarted
          ? `this machine (${HOST}) started its shutdown`
          : 'nobody shut down',
      );
      if (incident.missing.size > 0)
        parts.push(`missing during the outage: ${[...incident.missing].join(', ')}`);
      text = parts.join('; ');
    } else if (incident.kind === 'comm') {
      text = `connection back after ${duration}`;
    } else if (incident.kind.startsWith('client:')) {
      text = `secondary ${[...incident.missing].join(', ')} is logged in again (after ${duration})`;
    } else {
      text = `${incident.kind} ended after ${duration}`;
    }
    this.send(incident, 'resolved', 'info', event, text);
  }

  private send(
    incident: Incident,
    phase: AlertPhase,
    severity: Severity,
    event: string,
    text: string,
  ): void {
    incident.sequence += 1;
    const alert = this.alert({
      id: `${incident.id}.${incident.sequence}`,
      phase,
      severity,
      event,
      title: this.title(
        incident.monitorId,
        phase === 'resolved'
          ? `resolved: ${text.split(';')[0]}`
          : text.split(':')[0]!.split(',')[0]!,
      ),
      text,
      incident,
      monitorId: incident.monitorId,
      summary:
        phase === 'resolved'
          ? {
              durationSeconds: Math.round((this.deps.clock.now() - incident.startedAt) / 1000),
              lowestCharge: incident.lowestCharge,
              shutdownStarted: incident.shutdownStarted,
              flaps: incident.flaps,
            }
          : null,
    });
    this.deps.emit({
      alert,
      monitorId: incident.monitorId,
      incidentChannels: new Set(incident.channels),
      delivered: (channels) => channels.forEach((c) => incident.channels.add(c)),
    });
  }

  private oneOff(event: StoredEvent): void {
    const severity = isNotifyType(event.type)
      ? DEFAULT_NOTIFY_SEVERITY[event.type]
      : event.severity;
    const monitorId = event.monitorId === '*' ? null : event.monitorId;
    const alert = this.alert({
      id: `evt-${this.deps.clock.now().toString(36)}-${randomHex(4)}`,
      phase: 'event',
      severity,
      event: event.type,
      title: monitorId ? this.title(monitorId, event.message) : event.message,
      text: event.message,
      incident: null,
      monitorId,
      summary: null,
    });
    this.deps.emit({ alert, monitorId, incidentChannels: new Set(), delivered: () => undefined });
  }

  /** `[prefix] ups on Synology NAS: on battery` */
  private title(monitorId: string, what: string): string {
    const ups = this.deps.ups(monitorId);
    const prefix = this.deps.prefix(monitorId);
    const name = ups ? `${ups.upsName} on ${ups.masterLabel}` : monitorId;
    return `${prefix ? `${prefix} ` : ''}${name}: ${what}`;
  }

  private alert(parts: {
    id: string;
    phase: AlertPhase;
    severity: Severity;
    event: string;
    title: string;
    text: string;
    incident: Incident | null;
    monitorId: string | null;
    summary: Alert['summary'];
  }): Alert {
    const now = this.deps.clock.now();
    const ups = parts.monitorId ? this.deps.ups(parts.monitorId) : undefined;
    const incident = parts.incident;
    return {
      schema: ALERT_SCHEMA,
      id: parts.id,
      at: new Date(now).toISOString(),
      phase: parts.phase,
      severity: parts.severity,
      event: parts.event,
      title: parts.title,
      text:
        ups && parts.phase !== 'test'
          ? `${ups.upsName} on ${ups.masterLabel}: ${parts.text}`
          : parts.text,
      incident: incident
        ? {
            id: incident.id,
            kind: incident.kind,
            sequence: incident.sequence,
            startedAt: new Date(incident.startedAt).toISOString(),
            resolvedAt: parts.phase === 'resolved' ? new Date(now).toISOString() : null,
          }
        : null,
      ups: ups
        ? {
            monitorId: ups.monitorId,
            name: ups.upsName,
            system: ups.systemName,
            master: ups.masterLabel,
          }
        : null,
      readings: {
        status: ups?.status ?? null,
        charge: ups?.metrics.charge ?? null,
        runtime: ups?.metrics.runtime ?? null,
        load: ups?.metrics.load ?? null,
      },
      summary: parts.summary,
      host: HOST,
    };
  }
}

function severityOf(type: string): Severity {
  return isNotifyType(type) ? DEFAULT_NOTIFY_SEVERITY[type] : 'warning';
}

function runtimeSuffix(ups: UpsSnapshot | undefined): string {
  return ups?.metrics.runtime != null
    ? `, ${formatDuration(ups.metrics.runtime)} runtime left`
    : '';
}

/** A one-off test message (Send test / `nut-sentinel notify-test`). */
export function testAlert(channelId: string, now: number): Alert {
  return {
    schema: ALERT_SCHEMA,
    id: `test-${randomHex(6)}`,
    at: new Date(now).toISOString(),
    phase: 'test',
    severity: 'info',
    event: 'TEST',
    title: `NUT Sentinel test message for ${channelId}`,
    text: `If you read this, the channel "${channelId}" works. Sent by ${HOST}.`,
    incident: null,
    ups: null,
    readings: { status: null, charge: null, runtime: null, load: null },
    summary: null,
    host: HOST,
  };
}
