/**
 * E-mail over SMTP through nodemailer: STARTTLS (required, never falls back to plaintext),
 * implicit TLS or plaintext for a local relay; plain-text and HTML bodies. The messages of one
 * incident form a thread (Message-ID / In-Reply-To / References), so a mail client shows one
 * conversation instead of a pile.
 */
import type { Alert, EmailChannel } from '../../shared/channels';
import { formatDuration } from '../../shared/durations';
import {
  type ChannelTransport,
  DeliveryError,
  describeNetworkError,
  type SecretLookup,
  type SendOptions,
} from './transport';

const MESSAGE_DOMAIN = 'nut-sentinel.invalid';

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function details(alert: Alert): [string, string][] {
  const rows: [string, string][] = [];
  if (alert.ups) rows.push(['UPS', `${alert.ups.system} (${alert.ups.master})`]);
  if (alert.readings.status) rows.push(['Status', alert.readings.status]);
  if (alert.readings.charge !== null) rows.push(['Battery charge', `${alert.readings.charge} %`]);
  if (alert.readings.runtime !== null)
    rows.push(['Runtime', formatDuration(alert.readings.runtime)]);
  if (alert.readings.load !== null) rows.push(['Load', `${alert.readings.load} %`]);
  rows.push(['Event', alert.event], ['Time', alert.at], ['Reported by', alert.host]);
  return rows;
}

export function emailBodies(alert: Alert): { text: string; html: string } {
  const rows = details(alert);
  const text = `${alert.text}\n\n${rows.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
  const html =
    `<!doctype html><html><body style="font-family:sans-serif">` +
    `<h2 style="margin:0 0 .5em">${escapeHtml(alert.title)}</h2><p>${escapeHtml(alert.text)}</p>` +
    `<table cellpadding="4">${rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>` +
    `</body></html>`;
  return { text, html };
}

export function createEmailTransport(config: EmailChannel, secret: SecretLookup): ChannelTransport {
  const where = `SMTP ${config.host}:${config.port}`;
  return {
    id: config.id,
    async send(alert: Alert, { timeoutMs }: SendOptions) {
      const password = await secret('password');
      // Loaded on first use: an agent without an e-mail channel never pays for nodemailer.
      const { default: nodemailer } = await import('nodemailer');
      const transporter = nodemailer.createTransport({
        host: config.host,
        port: config.port,
        secure: config.security === 'tls',
        requireTLS: config.security === 'starttls',
        ignoreTLS: config.security === 'none',
        ...(config.username ? { auth: { user: config.username, pass: password ?? '' } } : {}),
        tls: {
          rejectUnauthorized: !config.tls.insecure,
          ...(config.tls.caPem ? { ca: config.tls.caPem } : {}),
        },
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      });
      const { text, html } = emailBodies(alert);
      const first = alert.incident ? `<${alert.incident.id}.1@${MESSAGE_DOMAIN}>` : undefined;
      try {
        await transporter.sendMail({
          from: config.from,
          to: config.to,
          subject: alert.title,
          text,
          html,
          messageId: `<${alert.id}@${MESSAGE_DOMAIN}>`,
          ...(first && alert.incident && alert.incident.sequence > 1
            ? { inReplyTo: first, references: [first] }
            : {}),
          headers: {
            'X-NUT-Sentinel-Event': alert.event,
            'X-NUT-Sentinel-Severity': alert.severity,
          },
        });
      } catch (error) {
        throw smtpError(error, where, timeoutMs);
      } finally {
        transporter.close();
      }
    },
    close: () => Promise.resolve(),
  };
}

function smtpError(error: unknown, where: string, timeoutMs: number): DeliveryError {
  const e = error as { code?: string; responseCode?: number; response?: string; message?: string };
  if (e.code === 'EAUTH')
    return new DeliveryError(
      `${where} refused the login (check the user name and the stored password)`,
      true,
    );
  if (e.responseCode !== undefined) {
    const reply = (e.response ?? '').replace(/\s+/g, ' ').slice(0, 200);
    return new DeliveryError(
      `${where} answered ${e.responseCode}: ${reply}`,
      e.responseCode >= 500,
    );
  }
  if (e.code === 'ETLS' || /STARTTLS/i.test(e.message ?? ''))
    return new DeliveryError(
      `${where}: STARTTLS failed or is not offered (${e.message ?? e.code})`,
    );
  if (
    e.code === 'ETIMEDOUT' ||
    e.code === 'ESOCKET' ||
    e.code === 'ECONNECTION' ||
    e.code === 'EDNS'
  ) {
    // nodemailer gives a socket error its own code (ESOCKET) and keeps the errno's as originalCode.
    const original = (error as { originalCode?: string }).originalCode;
    const cause = (error as { cause?: unknown }).cause ?? (original ? { code: original } : error);
    const inner = cause as { code?: string };
    return new DeliveryError(
      inner.code && inner.code !== e.code
        ? describeNetworkError(cause, where, timeoutMs)
        : `${where}: ${e.message ?? e.code}`,
    );
  }
  return new DeliveryError(describeNetworkError(error, where, timeoutMs));
}
