/**
 * The opt-in Prometheus endpoint (prom-client), served by the agent and the desktop app alike
 * (both compose the same core). UPS variables use nut_exporter's names so existing Grafana
 * dashboards keep working: every numeric NUT variable as `network_ups_tools_<var with _>`
 * (battery.charge → network_ups_tools_battery_charge), `network_ups_tools_ups_status{flag}`
 * and `network_ups_tools_device_info`. Labels: `ups` (the UPS name, as nut_exporter) and
 * `master` (the master's id, since one NUT Sentinel watches several). NUT Sentinel's own
 * metrics are prefixed `nut_sentinel_`.
 *
 * Values are read from the live snapshot at scrape time: nothing runs between scrapes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ChannelStatus, MetricsEndpointConfig } from '../../shared/channels';
import type { StoredEvent } from '../../shared/history';
import { ConnectionStateSchema, type UpsSnapshot } from '../../shared/snapshot';
import type { Clock, Logger } from '../platform/ports';
import { statusTokens } from '../../shared/status-tokens';

/** The ups.status flags nut_exporter reports (each 0 or 1). */
export const STATUS_FLAGS = [
  'OL',
  'OB',
  'LB',
  'HB',
  'RB',
  'CHRG',
  'DISCHRG',
  'BYPASS',
  'CAL',
  'OFF',
  'OVER',
  'TRIM',
  'BOOST',
  'FSD',
] as const;

export interface MetricsDeps {
  clock: Clock;
  logger: Logger;
  snapshots: () => readonly UpsSnapshot[];
  variables: (monitorId: string) => ReadonlyMap<string, string>;
  alertStatus: () => readonly ChannelStatus[];
  /** Loud problems (port in use) go to the event log. */
  recordProblem: (message: string) => void;
}

export function nutMetricName(variable: string): string {
  return `network_ups_tools_${variable.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

const UPS_LABELS = ['ups', 'master'] as const;

export class MetricsEndpoint {
  private readonly registry = new Registry();
  private readonly variableGauges = new Map<string, Gauge>();
  private readonly status = new Gauge({
    name: 'network_ups_tools_ups_status',
    help: 'UPS status flag (ups.status), 1 when set',
    labelNames: [...UPS_LABELS, 'flag'],
    registers: [this.registry],
  });
  private readonly deviceInfo = new Gauge({
    name: 'network_ups_tools_device_info',
    help: 'UPS device information (device.*) as labels, always 1',
    labelNames: [...UPS_LABELS, 'mfr', 'model', 'serial', 'type'],
    registers: [this.registry],
  });
  private readonly sessionState = new Gauge({
    name: 'nut_sentinel_session_state',
    help: 'Session state of the monitored UPS (1 for the current state)',
    labelNames: [...UPS_LABELS, 'state'],
    registers: [this.registry],
  });
  private readonly loggedIn = new Gauge({
    name: 'nut_sentinel_logged_in',
    help: '1 when this machine is logged in to the UPS as a secondary (counted by the master)',
    labelNames: UPS_LABELS,
    registers: [this.registry],
  });
  private readonly numLogins = new Gauge({
    name: 'nut_sentinel_numlogins',
    help: 'NUMLOGINS: systems logged in to the UPS on its master',
    labelNames: UPS_LABELS,
    registers: [this.registry],
  });
  private readonly missing = new Gauge({
    name: 'nut_sentinel_expected_clients_missing',
    help: 'Expected clients that are not logged in to the UPS',
    labelNames: UPS_LABELS,
    registers: [this.registry],
  });
  private readonly pollAge = new Gauge({
    name: 'nut_sentinel_last_poll_age_seconds',
    help: 'Seconds since ups.status was last read successfully',
    labelNames: UPS_LABELS,
    registers: [this.registry],
  });
  private readonly events = new Counter({
    name: 'nut_sentinel_events_total',
    help: 'Events recorded, by type and severity',
    labelNames: ['type', 'severity'],
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: 'nut_sentinel_alert_deliveries_total',
    help: 'Alert messages delivered, by channel',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  private readonly failures = new Counter({
    name: 'nut_sentinel_alert_delivery_failures_total',
    help: 'Failed alert delivery attempts, by channel',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  private readonly pending = new Gauge({
    name: 'nut_sentinel_alert_outbox_pending',
    help: 'Alert messages waiting in the outbox, by channel',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  private server: http.Server | null = null;
  private listening: { host: string; port: number } | null = null;

  // No prom-client default metrics: some of its Node gauges end in _total, which promtool rejects.
  constructor(private readonly deps: MetricsDeps) {}

  countEvent(event: StoredEvent): void {
    this.events.inc({ type: event.type, severity: event.severity });
  }

  countAttempt(channel: string, ok: boolean): void {
    (ok ? this.deliveries : this.failures).inc({ channel });
  }

  /** The exposition text (also what the endpoint serves). */
  async exposition(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The bound address while serving (port 0 in the config binds a free port). */
  get address(): { host: string; port: number } | null {
    return this.listening;
  }

  /** Starts, stops or moves the endpoint to match the config. */
  async apply(config: MetricsEndpointConfig): Promise<void> {
    const want = config.enabled ? { host: config.host, port: config.port } : null;
    if (
      this.server &&
      want &&
      this.requested &&
      want.host === this.requested.host &&
      want.port === this.requested.port
    )
      return;
    await this.close();
    if (!want) return;
    this.requested = want;
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res
          .writeHead(404, { 'Content-Type': 'text/plain' })
          .end('Only GET /metrics is served here.\n');
        return;
      }
      this.exposition().then(
        (text) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(text),
        (error: unknown) =>
          res
            .writeHead(500, { 'Content-Type': 'text/plain' })
            .end(`metrics failed: ${String(error)}\n`),
      );
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(want.port, want.host, () => resolve());
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'EADDRINUSE'
          ? 'the port is in use by another program'
          : code === 'EADDRNOTAVAIL'
            ? 'that address is not on this machine'
            : code === 'EACCES'
              ? 'not allowed (ports below 1024 need privileges)'
              : String(code ?? error);
      const message = `The metrics endpoint could not listen on ${want.host}:${want.port}: ${why}. Change metrics.port (or metrics.host) in Settings or the config file.`;
      this.deps.logger.log('error', message);
      this.deps.recordProblem(message);
      this.requested = null;
      return;
    }
    const address = server.address() as AddressInfo;
    this.server = server;
    this.listening = { host: want.host, port: address.port };
    this.deps.logger.log(
      'info',
      `metrics endpoint: http://${want.host.includes(':') ? `[${want.host}]` : want.host}:${address.port}/metrics`,
    );
  }

  private requested: { host: string; port: number } | null = null;

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.listening = null;
    this.requested = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private refresh(): void {
    for (const gauge of [
      this.status,
      this.deviceInfo,
      this.sessionState,
      this.loggedIn,
      this.numLogins,
      this.missing,
      this.pollAge,
      this.pending,
      ...this.variableGauges.values(),
    ])
      gauge.reset();
    const now = this.deps.clock.now();
    for (const ups of this.deps.snapshots()) {
      const labels = { ups: ups.upsName, master: ups.masterId };
      const vars = this.deps.variables(ups.monitorId);
      // Readings older than the polls allow are not presented as current values.
      if (!ups.stale) {
        for (const [name, value] of vars) {
          if (value.trim() === '') continue;
          const number = Number(value);
          if (!Number.isFinite(number)) continue;
          this.gauge(name).set(labels, number);
        }
        const flags = statusTokens(ups.status);
        for (const flag of STATUS_FLAGS)
          this.status.set({ ...labels, flag }, flags.has(flag) ? 1 : 0);
      }
      if (vars.size > 0) {
        this.deviceInfo.set(
          {
            ...labels,
            mfr: vars.get('device.mfr') ?? vars.get('ups.mfr') ?? '',
            model: vars.get('device.model') ?? vars.get('ups.model') ?? '',
            serial: vars.get('device.serial') ?? vars.get('ups.serial') ?? '',
            type: vars.get('device.type') ?? '',
          },
          1,
        );
      }
      for (const state of ConnectionStateSchema.options)
        this.sessionState.set({ ...labels, state }, ups.connection === state ? 1 : 0);
      this.loggedIn.set(labels, ups.loggedIn ? 1 : 0);
      if (ups.clients.numLogins !== null) this.numLogins.set(labels, ups.clients.numLogins);
      this.missing.set(labels, ups.clients.missingExpected.length);
      if (ups.statusAt !== null) this.pollAge.set(labels, Math.max(0, (now - ups.statusAt) / 1000));
    }
    for (const channel of this.deps.alertStatus())
      this.pending.set({ channel: channel.id }, channel.pending);
  }

  private gauge(variable: string): Gauge {
    let gauge = this.variableGauges.get(variable);
    if (!gauge) {
      const taken = this.registry.getSingleMetric(nutMetricName(variable));
      if (taken) return taken as Gauge; // e.g. a driver variable named like one of ours
      gauge = new Gauge({
        name: nutMetricName(variable),
        help: `Value of the NUT variable ${variable}`,
        labelNames: UPS_LABELS,
        registers: [this.registry],
      });
      this.variableGauges.set(variable, gauge);
    }
    return gauge;
  }
}
