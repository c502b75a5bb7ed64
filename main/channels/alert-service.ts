/**
 * The remote alerting of one NUT Sentinel: builds a transport per configured channel, turns
 * monitor events into incidents (incidents.ts), routes each message (routing.ts) and hands it to
 * the persistent outbox (outbox.ts). Channels that also publish state (MQTT) get every change.
 * Nothing here is awaited by the monitor: `onMonitorEvent` only queues.
 */
import { type ChannelConfig, type ChannelStatus, channelSecretKey } from '../../shared/channels';
import type { Config } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import type { ChannelTestResult } from '../../shared/ipc';
import type { UpsSnapshot } from '../../shared/snapshot';
import type { Clock, Logger, SecretStore } from '../platform/ports';
import { resolveSecret } from '../platform/passwords';
import type { HistoryLog } from '../history/history-log';
import { createEmailTransport } from './email-channel';
import {
  createGotifyTransport,
  createNtfyTransport,
  createWebhookTransport,
} from './http-channels';
import { IncidentTracker, type RoutedAlert, testAlert } from './incidents';
import { Outbox, type OutboxChannel } from './outbox';
import { routeAlert } from './routing';
import type { ChannelTransport, SecretLookup } from './transport';

/** A channel that also mirrors live state (MQTT: state topics, Home Assistant discovery). */
export interface StatePublisher {
  publishState(ups: readonly UpsSnapshot[]): void;
}

export type TransportFactory = (
  config: ChannelConfig,
  secret: SecretLookup,
) => ChannelTransport & Partial<StatePublisher>;

export interface AlertServiceDeps {
  clock: Clock;
  logger: Logger;
  history: HistoryLog;
  secrets: SecretStore | null;
  /** Secrets read for channels are masked like NUT passwords (hook output, config writes). */
  rememberSecret: (value: string) => void;
  /** The UPSes as the dashboard sees them. */
  snapshots: () => readonly UpsSnapshot[];
  /** Delivery outcomes go to the event log (not back into incidents). */
  recordEvent: (event: StoredEvent) => void;
  /** Extra channel types (MQTT lives in main/mqtt and is plugged in by the composition). */
  factories?: Partial<Record<ChannelConfig['type'], TransportFactory>>;
  onAttempt?: (channel: string, ok: boolean) => void;
}

const BUILTIN: Partial<Record<ChannelConfig['type'], TransportFactory>> = {
  webhook: (c, s) => createWebhookTransport(c as Extract<ChannelConfig, { type: 'webhook' }>, s),
  ntfy: (c, s) => createNtfyTransport(c as Extract<ChannelConfig, { type: 'ntfy' }>, s),
  gotify: (c, s) => createGotifyTransport(c as Extract<ChannelConfig, { type: 'gotify' }>, s),
  email: (c, s) => createEmailTransport(c as Extract<ChannelConfig, { type: 'email' }>, s),
};

interface LiveChannel extends OutboxChannel {
  config: ChannelConfig;
  key: string;
  transport: ChannelTransport & Partial<StatePublisher>;
}

export class AlertService {
  private config: Config;
  private readonly channels = new Map<string, LiveChannel>();
  private readonly tracker: IncidentTracker;
  private readonly outbox: Outbox;
  private running = false;

  constructor(
    config: Config,
    private readonly deps: AlertServiceDeps,
  ) {
    this.config = config;
    this.tracker = new IncidentTracker({
      clock: deps.clock,
      settings: () => this.config.alerts.incidents,
      ups: (id) => deps.snapshots().find((u) => u.monitorId === id),
      prefix: (id) => this.prefixOf(id),
      emit: (routed) => this.route(routed),
    });
    this.outbox = new Outbox({
      store: deps.history,
      clock: deps.clock,
      logger: deps.logger,
      channels: () => this.channels,
      recordEvent: deps.recordEvent,
      ...(deps.onAttempt ? { onAttempt: deps.onAttempt } : {}),
    });
    this.syncChannels();
  }

  start(): void {
    this.running = true;
    this.outbox.start();
  }

  applyConfig(config: Config): void {
    this.config = config;
    this.syncChannels();
    if (this.running) this.outbox.start();
  }

  /** Every event the monitor records (SHUTDOWN, ONBATT, shutdown-begins, expected-client-missing, …). */
  onMonitorEvent(event: StoredEvent): void {
    this.tracker.onEvent(event);
    if (event.type === 'SHUTDOWN_BEGINS') {
      // The shutdown notice goes out now, inside FINALDELAY; the command never waits for it.
      const finalDelayMs =
        typeof event.data?.finalDelayMs === 'number'
          ? event.data.finalDelayMs
          : this.config.timing.finalDelaySeconds * 1000;
      void this.outbox.flush(Math.max(500, finalDelayMs - 250));
    }
  }

  /** Readings changed (charge steps; state topics). */
  onChanged(): void {
    this.tracker.onReadings();
    const snapshots = this.deps.snapshots();
    for (const channel of this.channels.values()) {
      if (!channel.enabled || !channel.transport.publishState) continue;
      try {
        channel.transport.publishState(snapshots);
      } catch (error) {
        this.deps.logger.log(
          'warn',
          `channel ${channel.id}: state not published: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  /** Sends a test message straight away (not through the outbox), with the real outcome. */
  async test(channelId: string): Promise<ChannelTestResult> {
    const channel = this.channels.get(channelId);
    if (!channel) {
      const known = [...this.channels.keys()].join(', ') || 'none configured';
      return { ok: false, detail: `No channel "${channelId}" (configured: ${known}).` };
    }
    const result = await sendTest(channel, this.deps.clock);
    this.outbox.noteTest(channelId, result);
    return result;
  }

  status(): ChannelStatus[] {
    return this.outbox.status();
  }

  /** Waits (at most `ms`) for pending messages. */
  flush(ms: number): Promise<void> {
    return this.outbox.flush(ms);
  }

  /** A bounded flush, then the transports close; what is left stays queued for the next start. */
  async stop(flushMs: number): Promise<void> {
    if (flushMs > 0) await this.outbox.flush(flushMs);
    this.running = false;
    this.outbox.stop();
    this.tracker.dispose();
    await Promise.all(
      [...this.channels.values()].map((c) => c.transport.close().catch(() => undefined)),
    );
  }

  private prefixOf(monitorId: string): string {
    for (const master of this.config.masters)
      for (const ups of master.ups)
        if (`${master.id}/${ups.name}` === monitorId) return ups.messagePrefix ?? '';
    return '';
  }

  private route(routed: RoutedAlert): void {
    const now = new Date(this.deps.clock.now());
    const targets: string[] = [];
    for (const channel of this.channels.values()) {
      const decision = routeAlert(channel.config, routed, now);
      if (decision.send) targets.push(channel.id);
      else
        this.deps.logger.log(
          'debug',
          `alert ${routed.alert.id} not sent to ${channel.id}: ${decision.reason}`,
        );
    }
    routed.delivered(targets);
    if (targets.length > 0) this.outbox.enqueue(routed.alert, targets);
  }

  /**
   * A secret of this channel was stored (Settings saves the config first, the secrets after it):
   * channels that connect once (MQTT) read it when built, so rebuild the channel to use it.
   */
  secretChanged(channelId: string): void {
    const live = this.channels.get(channelId);
    if (!live) return;
    this.channels.delete(channelId);
    void live.transport.close().catch(() => undefined);
    this.syncChannels();
  }

  private secretLookup(config: ChannelConfig): SecretLookup {
    return channelSecrets(config, this.deps.secrets, this.deps.rememberSecret);
  }

  private syncChannels(): void {
    const wanted = new Map(this.config.alerts.channels.map((c) => [c.id, c]));
    for (const [id, live] of this.channels) {
      const next = wanted.get(id);
      if (!next || JSON.stringify(next) !== live.key) {
        this.channels.delete(id);
        void live.transport.close().catch(() => undefined);
      }
    }
    for (const [id, config] of wanted) {
      if (this.channels.has(id)) continue;
      const live = buildChannel(config, this.secretLookup(config), this.deps.factories);
      if (!live) {
        this.deps.logger.log(
          'error',
          `channel ${id}: type ${config.type} is not available in this build`,
        );
        continue;
      }
      this.channels.set(id, live);
    }
  }
}

/** Resolves a channel's secret fields from their sources (store key `channel-secret:ID:FIELD`). */
export function channelSecrets(
  config: ChannelConfig,
  secrets: SecretStore | null,
  remember: (value: string) => void = () => undefined,
): SecretLookup {
  return async (field) => {
    const source = (config as unknown as Record<string, unknown>)[field] as
      Parameters<typeof resolveSecret>[0] | undefined;
    if (!source) return undefined;
    const value = await resolveSecret(
      source,
      {
        storeKey: channelSecretKey(config.id, field),
        what: `${field} of channel ${config.id}`,
        configKey: field,
      },
      secrets,
    );
    if (value) remember(value);
    return value;
  };
}

function buildChannel(
  config: ChannelConfig,
  secret: SecretLookup,
  factories: AlertServiceDeps['factories'],
): LiveChannel | null {
  const factory = factories?.[config.type] ?? BUILTIN[config.type];
  if (!factory) return null;
  return {
    id: config.id,
    type: config.type,
    enabled: config.enabled,
    timeoutMs: config.timeoutSeconds * 1000,
    transport: factory(config, secret),
    config,
    key: JSON.stringify(config),
  };
}

async function sendTest(channel: OutboxChannel, clock: Clock): Promise<ChannelTestResult> {
  const started = clock.monotonic();
  try {
    await channel.transport.send(testAlert(channel.id, clock.now()), {
      timeoutMs: channel.timeoutMs,
    });
    return {
      ok: true,
      detail: `Delivered to ${channel.id} (${channel.type}) in ${Math.round(clock.monotonic() - started)} ms.`,
    };
  } catch (error) {
    return {
      ok: false,
      detail: `${channel.id} (${channel.type}): ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/**
 * `notify-test` without a running core: builds just this channel, sends the test message,
 * closes it. The agent may be running meanwhile (its history and monitor are not touched).
 */
export async function testChannelOnce(
  config: ChannelConfig,
  deps: { secrets: SecretStore | null; clock: Clock; factories?: AlertServiceDeps['factories'] },
): Promise<ChannelTestResult> {
  const live = buildChannel(config, channelSecrets(config, deps.secrets), deps.factories);
  if (!live)
    return { ok: false, detail: `Channel type ${config.type} is not available in this build.` };
  try {
    return await sendTest(live, deps.clock);
  } finally {
    await live.transport.close().catch(() => undefined);
  }
}
