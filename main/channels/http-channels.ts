/**
 * The HTTP channels: a generic webhook (the versioned alert JSON, or a body template; optional
 * HMAC-SHA256 signature), ntfy (JSON publish; one notification per incident, updated in place
 * through its sequence id on ntfy ≥ 2.16) and Gotify (POST /message with the app token).
 */
import { createHmac } from 'node:crypto';
import type { Alert, GotifyChannel, NtfyChannel, WebhookChannel } from '../../shared/channels';
import {
  type ChannelTransport,
  checkHttpStatus,
  httpRequest,
  type SecretLookup,
  type SendOptions,
} from './transport';

const USER_AGENT = 'nut-sentinel';

/** The headers receivers use to check a webhook: HMAC-SHA256 over `TIMESTAMP.BODY`. */
export const SIGNATURE_HEADER = 'X-NUT-Sentinel-Signature';
export const TIMESTAMP_HEADER = 'X-NUT-Sentinel-Timestamp';

export function webhookSignature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

function lookup(value: unknown, path: string): unknown {
  let v: unknown = value;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** `{{a.b}}` placeholders with alert values; inside JSON the values are escaped so the body stays valid JSON. */
export function renderTemplate(template: string, alert: Alert, json: boolean): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, path: string) => {
    const value = lookup(alert, path);
    const text =
      typeof value === 'string'
        ? value
        : value === undefined || value === null
          ? ''
          : JSON.stringify(value);
    return json ? JSON.stringify(text).slice(1, -1) : text;
  });
}

export function createWebhookTransport(
  config: WebhookChannel,
  secret: SecretLookup,
): ChannelTransport {
  return {
    id: config.id,
    async send(alert: Alert, { timeoutMs }: SendOptions) {
      const json = /json/i.test(config.contentType);
      const body = config.bodyTemplate
        ? renderTemplate(config.bodyTemplate, alert, json)
        : JSON.stringify(alert);
      const headers: Record<string, string> = {
        ...config.headers,
        'Content-Type': config.contentType,
        'User-Agent': USER_AGENT,
        'Idempotency-Key': alert.id,
      };
      const authorization = await secret('authorization');
      if (authorization) headers.Authorization = authorization;
      const key = await secret('signingKey');
      if (key) {
        const timestamp = String(Math.floor(Date.now() / 1000));
        headers[TIMESTAMP_HEADER] = timestamp;
        headers[SIGNATURE_HEADER] = webhookSignature(key, timestamp, body);
      }
      const response = await httpRequest({
        url: config.url,
        method: config.method,
        headers,
        body,
        timeoutMs,
        tls: config.tls,
      });
      checkHttpStatus(response, 'the webhook');
    },
    close: () => Promise.resolve(),
  };
}

/** ntfy sequence ids: letters, digits, `-` and `_` (the incident id already is). */
function sequenceId(alert: Alert): string | undefined {
  return alert.incident
    ? alert.incident.id.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64)
    : undefined;
}

function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

export function createNtfyTransport(config: NtfyChannel, secret: SecretLookup): ChannelTransport {
  return {
    id: config.id,
    async send(alert: Alert, { timeoutMs }: SendOptions) {
      // JSON publish (POST to the server root): UTF-8 titles without header encoding.
      const sequence = sequenceId(alert);
      const body = JSON.stringify({
        topic: config.topic,
        title: alert.title,
        message: alert.text,
        priority: config.priority[alert.severity],
        tags: alert.phase === 'resolved' ? ['white_check_mark'] : config.tags[alert.severity],
        ...(sequence ? { sequence_id: sequence } : {}),
      });
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
      };
      const token = await secret('token');
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await httpRequest({
        url: `${baseUrl(config.url)}/`,
        method: 'POST',
        headers,
        body,
        timeoutMs,
        tls: config.tls,
      });
      checkHttpStatus(response, 'ntfy');
    },
    close: () => Promise.resolve(),
  };
}

export function createGotifyTransport(
  config: GotifyChannel,
  secret: SecretLookup,
): ChannelTransport {
  return {
    id: config.id,
    async send(alert: Alert, { timeoutMs }: SendOptions) {
      const token = await secret('token');
      if (!token)
        throw new Error(
          'no Gotify application token is stored for this channel (Settings → Alerts, or "token": {"source": "env", …})',
        );
      const body = JSON.stringify({
        title: alert.title,
        message: alert.text,
        priority: config.priority[alert.severity],
        extras: {
          'client::display': { contentType: 'text/plain' },
          // Gotify cannot edit a message: clients group the incident's messages by this id.
          'nut-sentinel::incident': alert.incident
            ? { id: alert.incident.id, sequence: alert.incident.sequence, phase: alert.phase }
            : null,
        },
      });
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        'X-Gotify-Key': token,
      };
      const response = await httpRequest({
        url: `${baseUrl(config.url)}/message`,
        method: 'POST',
        headers,
        body,
        timeoutMs,
        tls: config.tls,
      });
      checkHttpStatus(response, 'Gotify');
    },
    close: () => Promise.resolve(),
  };
}
