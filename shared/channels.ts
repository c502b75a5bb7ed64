/**
 * Remote alert channels (ntfy, Gotify, webhook, e-mail, MQTT), the incident settings and the
 * Prometheus endpoint: the config schema parts (used by shared/config.ts), the webhook body
 * schema (versioned: receivers parse it) and the delivery status the UI shows.
 *
 * Secrets (tokens, SMTP/MQTT passwords, the webhook signing key) are never in the config: a
 * field names where the secret lives, exactly like a UPS entry's password.
 */
import * as z from 'zod';
import { SeveritySchema } from './history';

/** Where a channel secret comes from; `store`: the OS keychain in the app, the encrypted store in the agent. */
export const SecretSourceSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('store') }),
  z.object({
    source: z.literal('env'),
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name'),
  }),
  z.object({ source: z.literal('file'), path: z.string().min(1) }),
  z.object({ source: z.literal('none') }),
]);
export type SecretSource = z.infer<typeof SecretSourceSchema>;

/** The secret-store key of one channel secret (`field`: token, password, signingKey, …). */
export function channelSecretKey(channelId: string, field: string): string {
  return `channel-secret:${channelId}:${field}`;
}

const httpUrl = z
  .string()
  .url('not a URL')
  .refine((u) => /^https?:\/\//i.test(u), 'the URL must start with http:// or https://');

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time is HH:MM (24 h), e.g. 22:30');

/** TLS settings for a channel's server (HTTPS, SMTP, MQTT). */
export const ChannelTlsSchema = z.object({
  /** PEM of a CA (or of a self-signed server certificate) to trust in addition to the system CAs. */
  caPem: z.string().optional(),
  /** Accept any certificate (encrypts, does not authenticate the server). */
  insecure: z.boolean().default(false),
});

const common = {
  /** Stable id (slug): names the channel in the CLI (`notify-test ID`), the event log and the secret store. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an id has lower-case letters, digits and dashes'),
  enabled: z.boolean().default(true),
  /** Which UPSes: `*` or monitor ids (`master-id/ups-name`). */
  ups: z.array(z.string().min(1)).min(1).default(['*']),
  /** Which severities open or update an incident here (a resolution reaches every channel that got the incident). */
  severities: z.array(SeveritySchema).min(1).default(['warning', 'critical']),
  /** Local time window in which only critical messages are sent (others are dropped, and logged). */
  quietHours: z.object({ from: hhmm, to: hhmm }).optional(),
  /** Per-attempt timeout. */
  timeoutSeconds: z.number().min(1).max(120).default(10),
};

const ntfyPriority = z.number().int().min(1).max(5);
const gotifyPriority = z.number().int().min(0).max(10);
const tagList = z.array(z.string().min(1));

export const WebhookChannelSchema = z.object({
  ...common,
  type: z.literal('webhook'),
  url: httpUrl,
  method: z.enum(['POST', 'PUT']).default('POST'),
  /** Extra request headers (not secret: use `authorization` for credentials). */
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'not a header name'), z.string())
    .default({})
    .refine(
      (h) => !Object.keys(h).some((k) => k.toLowerCase() === 'authorization'),
      'put credentials in `authorization` (a secret source), not in headers',
    ),
  /** Sent as the Authorization header (e.g. `Bearer …`), from the secret store/env/file. */
  authorization: SecretSourceSchema.default({ source: 'none' }),
  /** HMAC-SHA256 key: each request carries `X-NUT-Sentinel-Signature: sha256=<hex of HMAC(timestamp + "." + body)>`. */
  signingKey: SecretSourceSchema.default({ source: 'none' }),
  /** Replaces the JSON body: `{{field.path}}` takes a value of the alert (JSON-escaped when contentType is JSON). */
  bodyTemplate: z.string().optional(),
  contentType: z.string().default('application/json'),
  tls: ChannelTlsSchema.prefault({}),
});

export const NtfyChannelSchema = z.object({
  ...common,
  type: z.literal('ntfy'),
  /** Server base URL, e.g. https://ntfy.sh */
  url: httpUrl,
  topic: z
    .string()
    .regex(/^[-_A-Za-z0-9]{1,64}$/, 'an ntfy topic has letters, digits, `-` and `_` (up to 64)'),
  token: SecretSourceSchema.default({ source: 'none' }),
  /** ntfy priority 1 (min) … 5 (max) per severity. */
  priority: z
    .object({
      info: ntfyPriority.default(3),
      warning: ntfyPriority.default(4),
      critical: ntfyPriority.default(5),
    })
    .prefault({}),
  tags: z
    .object({
      info: tagList.default(['electric_plug']),
      warning: tagList.default(['warning']),
      critical: tagList.default(['rotating_light']),
    })
    .prefault({}),
  tls: ChannelTlsSchema.prefault({}),
});

export const GotifyChannelSchema = z.object({
  ...common,
  type: z.literal('gotify'),
  /** Server base URL, e.g. https://gotify.example.net */
  url: httpUrl,
  /** The application token (Gotify → Apps → Create application). */
  token: SecretSourceSchema.default({ source: 'store' }),
  /** Gotify priority 0 … 10 per severity. */
  priority: z
    .object({
      info: gotifyPriority.default(2),
      warning: gotifyPriority.default(5),
      critical: gotifyPriority.default(8),
    })
    .prefault({}),
  tls: ChannelTlsSchema.prefault({}),
});

export const EmailChannelSchema = z.object({
  ...common,
  type: z.literal('email'),
  host: z.string().min(1, 'the SMTP host is empty'),
  port: z.number().int().min(1).max(65_535).default(587),
  /** starttls: upgrade on port 587 (refuses plaintext); tls: implicit TLS (port 465); none: plaintext (local relays only). */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  username: z.string().default(''),
  password: SecretSourceSchema.default({ source: 'none' }),
  from: z.string().min(3, 'the From address is empty'),
  to: z.array(z.string().min(3)).min(1, 'name at least one recipient'),
  tls: ChannelTlsSchema.prefault({}),
});

export const MqttChannelSchema = z.object({
  ...common,
  type: z.literal('mqtt'),
  /** mqtt://host:1883 or mqtts://host:8883 */
  url: z
    .string()
    .url('not a URL')
    .refine(
      (u) => /^(mqtts?|wss?):\/\//i.test(u),
      'the broker URL starts with mqtt://, mqtts://, ws:// or wss://',
    ),
  username: z.string().default(''),
  password: SecretSourceSchema.default({ source: 'none' }),
  clientId: z.string().min(1).max(64).optional(),
  /** Topics: PREFIX/status (online/offline, last will), PREFIX/events, PREFIX/ups/MASTER/UPS/… */
  topicPrefix: z
    .string()
    .regex(/^[^#+\s]+$/, 'a topic prefix has no spaces, `#` or `+`')
    .refine((p) => !p.endsWith('/'), 'no trailing `/`')
    .default('nut-sentinel'),
  homeAssistant: z
    .object({
      enabled: z.boolean().default(true),
      discoveryPrefix: z
        .string()
        .regex(/^[^#+\s]+$/)
        .default('homeassistant'),
    })
    .prefault({}),
  tls: ChannelTlsSchema.prefault({}),
});

export const ChannelSchema = z.discriminatedUnion('type', [
  WebhookChannelSchema,
  NtfyChannelSchema,
  GotifyChannelSchema,
  EmailChannelSchema,
  MqttChannelSchema,
]);
export type ChannelConfig = z.infer<typeof ChannelSchema>;
export type ChannelType = ChannelConfig['type'];
export type WebhookChannel = z.infer<typeof WebhookChannelSchema>;
export type NtfyChannel = z.infer<typeof NtfyChannelSchema>;
export type GotifyChannel = z.infer<typeof GotifyChannelSchema>;
export type EmailChannel = z.infer<typeof EmailChannelSchema>;
export type MqttChannel = z.infer<typeof MqttChannelSchema>;

/** The secret fields of each channel type (config key = secret-store field). */
export const CHANNEL_SECRET_FIELDS: Readonly<Record<ChannelType, readonly string[]>> = {
  webhook: ['authorization', 'signingKey'],
  ntfy: ['token'],
  gotify: ['token'],
  email: ['password'],
  mqtt: ['password'],
};

export const IncidentSettingsSchema = z.object({
  /** After power returns, wait this long before resolving: a flapping line stays one incident. */
  settleSeconds: z.number().min(0).max(3600).default(30),
  /** While on battery, an update each time the charge falls to or below one of these (%). */
  chargeSteps: z.array(z.number().min(1).max(99)).default([75, 50, 25]),
});

export const AlertsSchema = z.object({
  channels: z.array(ChannelSchema).default([]),
  incidents: IncidentSettingsSchema.prefault({}),
});
export type AlertsConfig = z.infer<typeof AlertsSchema>;

export const MetricsEndpointSchema = z.object({
  /** Opt-in: serve Prometheus metrics at http://HOST:PORT/metrics. */
  enabled: z.boolean().default(false),
  /** Loopback by default; 0.0.0.0 / :: to let a Prometheus on another machine scrape it. */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65_535).default(9797),
});
export type MetricsEndpointConfig = z.infer<typeof MetricsEndpointSchema>;

// ------------------------------------------------------------------ the alert (webhook body v1)

export const ALERT_SCHEMA = 'nut-sentinel.alert/v1';

export const AlertPhaseSchema = z.enum(['open', 'update', 'resolved', 'event', 'test']);
export type AlertPhase = z.infer<typeof AlertPhaseSchema>;

/**
 * One message about an incident, as a webhook receives it (and MQTT's events topic carries it).
 * Versioned by `schema`; fields are only ever added within v1.
 */
export const AlertSchema = z.object({
  schema: z.literal(ALERT_SCHEMA),
  /** Idempotency key: the same message retried carries the same id. */
  id: z.string(),
  /** ISO 8601 time the message was made. */
  at: z.string(),
  phase: AlertPhaseSchema,
  severity: SeveritySchema,
  /** The NUT notify type or our event that caused it (ONBATT, LOWBATT, shutdown-begins, …). */
  event: z.string(),
  title: z.string(),
  text: z.string(),
  incident: z
    .object({
      id: z.string(),
      kind: z.string(),
      /** Position of this message within the incident (1 = open). */
      sequence: z.number().int(),
      startedAt: z.string(),
      resolvedAt: z.string().nullable(),
    })
    .nullable(),
  ups: z
    .object({ monitorId: z.string(), name: z.string(), system: z.string(), master: z.string() })
    .nullable(),
  readings: z.object({
    status: z.string().nullable(),
    charge: z.number().nullable(),
    runtime: z.number().nullable(),
    load: z.number().nullable(),
  }),
  summary: z
    .object({
      durationSeconds: z.number(),
      lowestCharge: z.number().nullable(),
      shutdownStarted: z.boolean(),
      flaps: z.number().int(),
    })
    .nullable(),
  host: z.string(),
});
export type Alert = z.infer<typeof AlertSchema>;

// ------------------------------------------------------------------ delivery status (Settings)

export const ChannelStatusSchema = z.object({
  id: z.string(),
  type: z.string(),
  enabled: z.boolean(),
  /** ok: last attempt (queued or Send test) delivered; failing: it failed; idle: nothing sent yet. */
  state: z.enum(['ok', 'failing', 'idle', 'disabled']),
  pending: z.number().int(),
  lastDeliveredAt: z.number().nullable(),
  lastFailureAt: z.number().nullable(),
  lastError: z.string().nullable(),
  delivered: z.number().int(),
  failed: z.number().int(),
  /** The last Send test since start (it bypasses the queue, so it is not in the counts). */
  lastTest: z.object({ ok: z.boolean(), at: z.number(), detail: z.string() }).nullable(),
});
export type ChannelStatus = z.infer<typeof ChannelStatusSchema>;
