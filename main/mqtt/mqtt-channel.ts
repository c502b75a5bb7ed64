/**
 * The MQTT channel (mqtt.js): alerts on PREFIX/events, live state per UPS as retained topics,
 * availability through a retained PREFIX/status with an MQTT last will ("offline" when this
 * process dies or loses the broker), and Home Assistant MQTT discovery so each UPS appears as a
 * device without YAML. Discovery topics this channel published are remembered in a small file
 * in the data folder, so a UPS removed from the config (also while the agent was stopped) is
 * removed from Home Assistant with empty retained configs.
 *
 * Topics (PREFIX defaults to nut-sentinel; BASE = PREFIX/ups/MASTER-ID/UPS-NAME):
 *   PREFIX/status            online | offline (retained, last will)
 *   PREFIX/events            every alert (the webhook JSON, not retained)
 *   BASE/state               JSON of everything below (retained)
 *   BASE/status|charge|runtime|load|input_voltage|output_voltage|power|connection|logged_in|num_logins  (retained)
 *   BASE/incident            the latest message of the UPS's current or last incident (retained)
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Alert, MqttChannel } from '../../shared/channels';
import type { UpsSnapshot } from '../../shared/snapshot';
import type { StatePublisher, TransportFactory } from '../channels/alert-service';
import {
  type ChannelTransport,
  DeliveryError,
  describeNetworkError,
  type SecretLookup,
  type SendOptions,
} from '../channels/transport';
import type { Logger } from '../platform/ports';
import { statusTokens } from '../../shared/status-tokens';

export interface MqttChannelDeps {
  logger: Logger;
  /** Where the list of published discovery topics is kept (the data folder). */
  stateDir: string;
  /** The UPS's variables (device.mfr, device.model, device.serial, ups.realpower …). */
  variables: (monitorId: string) => ReadonlyMap<string, string>;
}

export interface UpsState {
  status: string | null;
  status_text: string;
  on_battery: boolean;
  low_battery: boolean;
  charge: number | null;
  runtime: number | null;
  load: number | null;
  input_voltage: number | null;
  output_voltage: number | null;
  power: number | null;
  connection: string;
  connected: boolean;
  logged_in: boolean;
  num_logins: number | null;
  stale: boolean;
}

function numberVar(vars: ReadonlyMap<string, string>, name: string): number | null {
  const v = vars.get(name);
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function upsState(ups: UpsSnapshot, vars: ReadonlyMap<string, string>): UpsState {
  const tokens = statusTokens(ups.status);
  return {
    status: ups.status,
    status_text: ups.statusText,
    on_battery: tokens.has('OB'),
    low_battery: tokens.has('LB'),
    charge: ups.metrics.charge,
    runtime: ups.metrics.runtime,
    load: ups.metrics.load,
    input_voltage: ups.metrics.inputVoltage,
    output_voltage: ups.metrics.outputVoltage,
    power: numberVar(vars, 'ups.realpower') ?? numberVar(vars, 'ups.power'),
    connection: ups.connection,
    connected: ups.connection === 'connected' && !ups.stale,
    logged_in: ups.loggedIn,
    num_logins: ups.clients.numLogins,
    stale: ups.stale,
  };
}

export function nodeId(monitorId: string): string {
  return `nut_sentinel_${monitorId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function baseTopic(prefix: string, monitorId: string): string {
  return `${prefix}/ups/${monitorId}`;
}

interface Entity {
  component: 'sensor' | 'binary_sensor';
  key: string;
  name: string;
  template: string;
  extra?: Record<string, unknown>;
}

const ENTITIES: readonly Entity[] = [
  {
    component: 'sensor',
    key: 'battery_charge',
    name: 'Battery charge',
    template: '{{ value_json.charge }}',
    extra: { unit_of_measurement: '%', device_class: 'battery', state_class: 'measurement' },
  },
  {
    component: 'sensor',
    key: 'battery_runtime',
    name: 'Battery runtime',
    template: '{{ value_json.runtime }}',
    extra: { unit_of_measurement: 's', device_class: 'duration', state_class: 'measurement' },
  },
  {
    component: 'sensor',
    key: 'load',
    name: 'Load',
    template: '{{ value_json.load }}',
    extra: { unit_of_measurement: '%', state_class: 'measurement', icon: 'mdi:gauge' },
  },
  {
    component: 'sensor',
    key: 'input_voltage',
    name: 'Input voltage',
    template: '{{ value_json.input_voltage }}',
    extra: { unit_of_measurement: 'V', device_class: 'voltage', state_class: 'measurement' },
  },
  {
    component: 'sensor',
    key: 'output_voltage',
    name: 'Output voltage',
    template: '{{ value_json.output_voltage }}',
    extra: { unit_of_measurement: 'V', device_class: 'voltage', state_class: 'measurement' },
  },
  {
    component: 'sensor',
    key: 'power',
    name: 'Power',
    template: '{{ value_json.power }}',
    extra: { unit_of_measurement: 'W', device_class: 'power', state_class: 'measurement' },
  },
  {
    component: 'sensor',
    key: 'status',
    name: 'Status',
    template: '{{ value_json.status_text }}',
    extra: { icon: 'mdi:power-plug' },
  },
  {
    component: 'sensor',
    key: 'num_logins',
    name: 'Logged-in systems (NUMLOGINS)',
    template: '{{ value_json.num_logins }}',
    extra: { state_class: 'measurement', icon: 'mdi:account-multiple' },
  },
  {
    component: 'binary_sensor',
    key: 'on_battery',
    name: 'On battery',
    template: "{{ 'ON' if value_json.on_battery else 'OFF' }}",
    extra: { icon: 'mdi:battery-arrow-down' },
  },
  {
    component: 'binary_sensor',
    key: 'low_battery',
    name: 'Low battery',
    template: "{{ 'ON' if value_json.low_battery else 'OFF' }}",
    extra: { device_class: 'battery' },
  },
  {
    component: 'binary_sensor',
    key: 'connected',
    name: 'Connected',
    template: "{{ 'ON' if value_json.connected else 'OFF' }}",
    extra: { device_class: 'connectivity', entity_category: 'diagnostic' },
  },
  {
    component: 'binary_sensor',
    key: 'logged_in',
    name: 'Logged in as secondary',
    template: "{{ 'ON' if value_json.logged_in else 'OFF' }}",
    extra: { device_class: 'connectivity', entity_category: 'diagnostic' },
  },
];

/** Discovery configs of one UPS: topic → JSON payload. */
export function discoveryConfigs(
  config: Pick<MqttChannel, 'topicPrefix' | 'homeAssistant'>,
  ups: UpsSnapshot,
  vars: ReadonlyMap<string, string>,
): Map<string, string> {
  const node = nodeId(ups.monitorId);
  const device = {
    identifiers: [node],
    name: `${ups.upsName} on ${ups.masterLabel}`,
    manufacturer: vars.get('device.mfr') ?? vars.get('ups.mfr') ?? 'unknown',
    model: vars.get('device.model') ?? vars.get('ups.model') ?? 'UPS',
    ...((vars.get('device.serial') ?? vars.get('ups.serial'))
      ? { serial_number: vars.get('device.serial') ?? vars.get('ups.serial') }
      : {}),
  };
  const out = new Map<string, string>();
  for (const entity of ENTITIES) {
    out.set(
      `${config.homeAssistant.discoveryPrefix}/${entity.component}/${node}/${entity.key}/config`,
      JSON.stringify({
        name: entity.name,
        unique_id: `${node}_${entity.key}`,
        state_topic: `${baseTopic(config.topicPrefix, ups.monitorId)}/state`,
        value_template: entity.template,
        availability_topic: `${config.topicPrefix}/status`,
        ...entity.extra,
        device,
        origin: { name: 'NUT Sentinel' },
      }),
    );
  }
  return out;
}

const SUBTOPICS: readonly (keyof UpsState)[] = [
  'status',
  'charge',
  'runtime',
  'load',
  'input_voltage',
  'output_voltage',
  'power',
  'connection',
  'logged_in',
  'num_logins',
];

export function createMqttTransport(
  config: MqttChannel,
  secret: SecretLookup,
  deps: MqttChannelDeps,
): ChannelTransport & StatePublisher {
  const prefix = config.topicPrefix;
  const statusTopic = `${prefix}/status`;
  const indexFile = path.join(deps.stateDir, `mqtt-discovery-${config.id}.json`);
  const where = (() => {
    try {
      const u = new URL(config.url);
      return `MQTT broker ${u.hostname}:${u.port || (u.protocol === 'mqtts:' ? 8883 : 1883)}`;
    } catch {
      return 'MQTT broker';
    }
  })();
  let client: MqttClient | null = null;
  let closed = false;
  let lastError: string | null = null;
  /** A connection attempt is under way: from connect or a reconnect until CONNACK or its socket closes. */
  let attempting = true;
  /** Attempts whose socket closed before CONNACK (refused, unreachable, TLS or auth failures). */
  let failedAttempts = 0;
  /** Retained topics last published with their payload (republished after a reconnect). */
  const retained = new Map<string, string>();
  let monitorsSeen = new Set<string>();

  const readIndex = (): string[] => {
    try {
      const parsed: unknown = JSON.parse(readFileSync(indexFile, 'utf8'));
      return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
    } catch {
      return [];
    }
  };
  const writeIndex = (): void => {
    const topics = [...retained.keys()].filter((t) =>
      t.startsWith(`${config.homeAssistant.discoveryPrefix}/`),
    );
    try {
      mkdirSync(deps.stateDir, { recursive: true });
      writeFileSync(indexFile, JSON.stringify(topics), { mode: 0o600 });
    } catch (error) {
      deps.logger.log('warn', `mqtt ${config.id}: discovery index not saved: ${String(error)}`);
    }
  };

  const publish = (topic: string, payload: string, retain: boolean): void => {
    if (retain) {
      if (payload === '') retained.delete(topic);
      else retained.set(topic, payload);
    }
    if (client?.connected) client.publish(topic, payload, { qos: 1, retain }, () => undefined);
  };

  /** Removes from Home Assistant what an earlier run published and this config no longer has. */
  const clearStaleDiscovery = (): void => {
    for (const topic of readIndex())
      if (!retained.has(topic)) client?.publish(topic, '', { qos: 1, retain: true });
    writeIndex();
  };

  const connect = async (): Promise<void> => {
    const password = await secret('password');
    const options: IClientOptions = {
      clientId:
        config.clientId ?? `nut-sentinel-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 5_000,
      connectTimeout: config.timeoutSeconds * 1000,
      will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(config.username ? { username: config.username } : {}),
      ...(password ? { password } : {}),
      ...(config.tls.caPem ? { ca: config.tls.caPem } : {}),
      rejectUnauthorized: !config.tls.insecure,
    };
    // Loaded on first use: an agent without an MQTT channel never pays for mqtt.js.
    const { connect: mqttConnect } = await import('mqtt');
    if (closed) return;
    client = mqttConnect(config.url, options);
    client.on('reconnect', () => {
      attempting = true;
    });
    client.on('close', () => {
      if (attempting) failedAttempts += 1;
      attempting = false;
    });
    client.on('connect', () => {
      attempting = false;
      lastError = null;
      deps.logger.log('info', `mqtt ${config.id}: connected to ${where}`);
      client?.publish(statusTopic, 'online', { qos: 1, retain: true });
      for (const [topic, payload] of retained)
        client?.publish(topic, payload, { qos: 1, retain: true });
      if (config.homeAssistant.enabled && monitorsSeen.size > 0) clearStaleDiscovery();
    });
    client.on('error', (error) => {
      const code = (error as { code?: number | string }).code;
      lastError =
        code === 4 || code === 134
          ? `${where} refused the user name or password`
          : code === 5 || code === 135
            ? `${where}: not authorized`
            : describeNetworkError(error, where, config.timeoutSeconds * 1000);
      deps.logger.log('warn', `mqtt ${config.id}: ${lastError}`);
    });
    client.on('offline', () => {
      lastError ??= `${where} is not reachable`;
    });
  };
  const started = connect().catch((error: unknown) => {
    lastError = error instanceof Error ? error.message : String(error);
  });

  const waitConnected = async (timeoutMs: number): Promise<MqttClient> => {
    await started;
    // Never started: its password could not be read (lastError says why), or it was closed.
    if (!client) throw new DeliveryError(lastError ?? `${where}: the channel is closed`);
    const deadline = Date.now() + timeoutMs;
    const failedBefore = failedAttempts;
    // Between mqtt.js's reconnects (every 5 s) try at once: a Send test or a queued alert should
    // neither wait for that timer nor for its whole timeout when the broker refuses at once.
    if (!client.connected && !attempting && !closed) {
      attempting = true;
      client.reconnect();
    }
    while (!client?.connected) {
      if (failedAttempts > failedBefore)
        throw new DeliveryError(lastError ?? `${where} is not reachable`);
      if (Date.now() > deadline || closed)
        throw new DeliveryError(
          lastError ?? `${where} not connected within ${Math.round(timeoutMs / 1000)} s`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    return client;
  };

  return {
    id: config.id,
    async send(alert: Alert, { timeoutMs }: SendOptions) {
      const started = Date.now();
      const c = await waitConnected(timeoutMs);
      const payload = JSON.stringify(alert);
      const left = Math.max(100, timeoutMs - (Date.now() - started));
      const acked = (topic: string, retain: boolean) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new DeliveryError(
                  `${where} did not acknowledge within ${Math.round(left / 100) / 10} s`,
                ),
              ),
            left,
          );
          c.publish(topic, payload, { qos: 1, retain }, (error) => {
            clearTimeout(timer);
            if (error) reject(new DeliveryError(`${where}: ${error.message}`));
            else resolve();
          });
        });
      await acked(`${prefix}/events`, false);
      if (alert.ups) {
        const topic = `${baseTopic(prefix, alert.ups.monitorId)}/incident`;
        retained.set(topic, payload);
        await acked(topic, true);
      }
    },
    publishState(snapshots: readonly UpsSnapshot[]) {
      const now = new Set(snapshots.map((u) => u.monitorId));
      for (const ups of snapshots) {
        const vars = deps.variables(ups.monitorId);
        const state = upsState(ups, vars);
        const base = baseTopic(prefix, ups.monitorId);
        const json = JSON.stringify(state);
        if (retained.get(`${base}/state`) !== json) {
          publish(`${base}/state`, json, true);
          for (const key of SUBTOPICS) {
            const value = state[key];
            const text = value === null ? '' : String(value);
            if (retained.get(`${base}/${key}`) !== text) publish(`${base}/${key}`, text, true);
          }
        }
        if (config.homeAssistant.enabled) {
          for (const [topic, payload] of discoveryConfigs(config, ups, vars))
            if (retained.get(topic) !== payload) publish(topic, payload, true);
        }
      }
      // A UPS gone from the config: its discovery configs and state topics are cleared.
      let removed = false;
      for (const gone of [...monitorsSeen].filter((id) => !now.has(id))) {
        removed = true;
        const base = baseTopic(prefix, gone);
        const node = nodeId(gone);
        for (const topic of [...retained.keys()]) {
          if (topic.startsWith(`${base}/`) || topic.includes(`/${node}/`)) publish(topic, '', true);
        }
      }
      const first = monitorsSeen.size === 0 && now.size > 0;
      monitorsSeen = now;
      if (config.homeAssistant.enabled && client?.connected && (removed || first))
        clearStaleDiscovery();
      else if (config.homeAssistant.enabled && removed) writeIndex();
    },
    async close() {
      if (closed) return;
      closed = true;
      await started;
      const c = client;
      if (!c) return;
      // A clean stop says so (the last will only covers crashes and lost connections).
      await new Promise<void>((resolve) => {
        if (!c.connected) return resolve();
        const timer = setTimeout(resolve, 1_000);
        c.publish(statusTopic, 'offline', { qos: 1, retain: true }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await c.endAsync(false).catch(() => undefined);
    },
  };
}

/** The MQTT entry for AlertService's factories. */
export function mqttFactory(deps: MqttChannelDeps): TransportFactory {
  return (config, secret) => {
    if (config.type !== 'mqtt') throw new Error(`not an MQTT channel: ${config.id}`);
    return createMqttTransport(config, secret, deps);
  };
}
