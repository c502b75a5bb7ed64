/**
 * What every alert channel implements, and the one HTTP client the HTTP channels (webhook,
 * ntfy, Gotify) share: node:http(s) with a hard per-attempt timeout, a custom CA or insecure
 * mode, and failures turned into short, secret-free reasons (host and port, never the URL path
 * or headers, which may carry tokens).
 */
import http from 'node:http';
import https from 'node:https';
import type { Alert } from '../../shared/channels';

export interface SendOptions {
  /** The attempt is abandoned (and counts as failed) after this long. */
  timeoutMs: number;
}

export interface ChannelTransport {
  readonly id: string;
  send(alert: Alert, options: SendOptions): Promise<void>;
  /** Ends connections (MQTT); idempotent. */
  close(): Promise<void>;
}

/** A failed attempt. `permanent`: retrying the same message cannot help (HTTP 400/401/403/404, SMTP auth refused). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Resolves one of the channel's secrets (token, password, signingKey, …) when a message is sent. */
export type SecretLookup = (field: string) => Promise<string | undefined>;

export interface HttpResponse {
  status: number;
  body: string;
}

const MAX_BODY = 64 * 1024;

/** Why a socket/TLS error happened, in words a user can act on. */
export function describeNetworkError(error: unknown, where: string, timeoutMs: number): string {
  const e = error as NodeJS.ErrnoException & { code?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection (is the service running on that port?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: the host name does not resolve`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable from this machine`;
    case 'ECONNRESET':
      return `${where} closed the connection`;
    case 'ETIMEDOUT':
    case 'TIMEOUT':
      return `${where} did not answer within ${Math.round(timeoutMs / 100) / 10} s`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `${where}: TLS certificate not trusted (${e.code}); set the channel's tls.caPem to the server's CA, or tls.insecure`;
    default:
      return `${where}: ${e.code ?? (error instanceof Error ? error.message : String(error))}`;
  }
}

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | Buffer;
  timeoutMs: number;
  tls: { caPem?: string | undefined; insecure: boolean };
}

/** One HTTP request; resolves with any answer (the caller judges the status), rejects with a DeliveryError on network failure. */
export function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  const url = new URL(request.url);
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      method: request.method,
      headers: { ...request.headers, 'Content-Length': String(body.length) },
      timeout: request.timeoutMs,
    };
    if (url.protocol === 'https:') {
      if (request.tls.caPem) options.ca = request.tls.caPem;
      options.rejectUnauthorized = !request.tls.insecure;
    }
    const req = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (error) => {
        clearTimeout(deadline);
        reject(new DeliveryError(describeNetworkError(error, where, request.timeoutMs)));
      });
    });
    // `timeout` only covers idle sockets: a hard deadline covers a server that trickles.
    const deadline = setTimeout(
      () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
      request.timeoutMs,
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error) => {
      clearTimeout(deadline);
      reject(new DeliveryError(describeNetworkError(error, where, request.timeoutMs)));
    });
    req.end(body);
  });
}

/** Judges an HTTP answer: 2xx is delivered; 408/429/5xx are retried; other 4xx are configuration errors. */
export function checkHttpStatus(response: HttpResponse, service: string): void {
  if (response.status >= 200 && response.status < 300) return;
  const detail = response.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  const message = `${service} answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  throw new DeliveryError(
    response.status === 401 || response.status === 403
      ? `${message} (check the channel's token or credentials)`
      : message,
    !retryable,
  );
}
