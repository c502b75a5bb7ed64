/**
 * The NUT client's options: what a caller may pass to NutClient.connect, and the checked, filled-in
 * form the connection and STARTTLS work with. A bad option is an `argument` NutError that says
 * which value to use instead.
 */
import type net from 'node:net';
import { ClientErrorCode, NutError } from './errors.js';
import { DEFAULT_MAX_LIST_BYTES, DEFAULT_MAX_LIST_ITEMS } from './limits.js';
import type { ListLimits } from './protocol.js';

export const DEFAULT_NUT_PORT = 3493;

export type TlsMode = 'off' | 'opportunistic' | 'required';

export interface NutTlsOptions {
  /**
   * `off`: never send STARTTLS. `opportunistic`: try STARTTLS, continue in plaintext if the server
   * declines (like upsmon's default). `required`: fail when the server declines.
   * A failed handshake or certificate check always fails the connection, whatever the mode.
   */
  mode: TlsMode;
  /** PEM of the CA (or of the self-signed server certificate itself) to verify the server against. */
  caPem?: string;
  /** Pinned SHA-256 certificate fingerprint, hex with or without colons, any case. */
  fingerprint256?: string;
  /** Name to check the certificate against (and SNI when it is not an IP); defaults to `host`. */
  servername?: string;
  /** Skip CA and name verification (a pinned fingerprint is still checked). For testing only. */
  insecure?: boolean;
  /** Default 5000 ms. */
  handshakeTimeoutMs?: number;
}

/** Creates the (not yet connected, or connecting) TCP socket; defaults to `net.createConnection`. */
export type SocketFactory = (options: { host: string; port: number }) => net.Socket;

export interface NutClientOptions {
  host: string;
  /** Default 3493. */
  port?: number;
  /** Default 5000 ms. */
  connectTimeoutMs?: number;
  /**
   * Default 5000 ms (libupsclient's read timeout). The deadline of the oldest unanswered request,
   * counted from the moment it is the oldest: the WHOLE reply (every line of a LIST) must arrive
   * by then, received items do not extend it. On expiry the connection is closed (kind
   * `timeout`), because later replies could no longer be matched.
   */
  requestTimeoutMs?: number;
  /**
   * Default 30000 ms; 0 disables. After this long without sending anything, the client sends `VER`
   * (answered by every upsd, no UPS or login needed) so upsd's hard-coded 60 s idle disconnect
   * never drops the connection (and with it our LOGIN). A dead peer then shows up as a timeout.
   */
  keepAliveIntervalMs?: number;
  /** TCP keep-alive probe delay; unset = OS default (off). */
  tcpKeepAliveMs?: number;
  /** Longest accepted reply line in bytes; default 4096 (upsd never sends more than 512). */
  maxLineLength?: number;
  /** Most items of one LIST reply; default 10 000 (main/nut/limits.ts). More closes the connection. */
  maxListItems?: number;
  /** Most bytes of one LIST reply; default 4 MiB (main/nut/limits.ts). More closes the connection. */
  maxListBytes?: number;
  /** Default `{ mode: 'off' }`. */
  tls?: NutTlsOptions;
  /** Injected socket factory (tests, proxies). */
  createSocket?: SocketFactory;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveIntervalMs: number;
  tcpKeepAliveMs: number | undefined;
  maxLineLength: number | undefined;
  listLimits: ListLimits;
  tls: Required<Pick<NutTlsOptions, 'mode' | 'handshakeTimeoutMs'>> &
    Omit<NutTlsOptions, 'mode' | 'handshakeTimeoutMs'>;
  /** Normalized (upper-case hex, no colons). */
  pinnedFingerprint: string | undefined;
  createSocket: SocketFactory;
}

export function normalizeFingerprint(value: string): string {
  return value.replace(/[\s:]/g, '').toUpperCase();
}

export function formatFingerprint(normalized: string): string {
  return normalized.match(/.{2}/g)?.join(':') ?? normalized;
}

function invalidOption(explanation: string, fix: string): NutError {
  return new NutError({ kind: 'argument', code: ClientErrorCode.invalidOption, explanation, fix });
}

function positiveMs(
  name: string,
  value: number | undefined,
  fallback: number,
  allowZero = false,
): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw invalidOption(
      `${name} must be a positive number of milliseconds, got ${value}.`,
      `Use a value such as ${fallback}.`,
    );
  }
  return value;
}

function positiveCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw invalidOption(
      `${name} must be a positive integer, got ${value}.`,
      `Use a value such as ${fallback}.`,
    );
  return value;
}

export function resolveOptions(
  options: NutClientOptions,
  defaultSocketFactory: SocketFactory,
): ResolvedOptions {
  const host = options.host.trim();
  if (host === '')
    throw invalidOption('No host was given.', "Enter the NUT server's host name or IP address.");
  const port = options.port ?? DEFAULT_NUT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw invalidOption(
      `Port ${port} is not a valid TCP port.`,
      'Use 3493 (the NUT default) unless the server is configured otherwise.',
    );
  const given = options.tls ?? { mode: 'off' };
  // A CA or a pin asks for an authenticated server: never fall back to plaintext (the same rule
  // as impliedTlsMode in shared/config.ts, which this module does not load).
  const pinned = (given.caPem ?? '').trim() !== '' || (given.fingerprint256 ?? '').trim() !== '';
  const tlsOptions: NutTlsOptions =
    given.mode === 'opportunistic' && pinned ? { ...given, mode: 'required' } : given;
  let pinnedFingerprint: string | undefined;
  if (tlsOptions.fingerprint256 !== undefined && tlsOptions.mode !== 'off') {
    pinnedFingerprint = normalizeFingerprint(tlsOptions.fingerprint256);
    if (!/^[0-9A-F]{64}$/.test(pinnedFingerprint)) {
      throw invalidOption(
        'The pinned certificate fingerprint is not a SHA-256 fingerprint (64 hex digits).',
        'Copy the fingerprint as shown, e.g. AB:CD:...:EF (colons optional).',
      );
    }
  }
  return {
    host,
    port,
    connectTimeoutMs: positiveMs('connectTimeoutMs', options.connectTimeoutMs, 5000),
    requestTimeoutMs: positiveMs('requestTimeoutMs', options.requestTimeoutMs, 5000),
    keepAliveIntervalMs: positiveMs(
      'keepAliveIntervalMs',
      options.keepAliveIntervalMs,
      30_000,
      true,
    ),
    tcpKeepAliveMs: options.tcpKeepAliveMs,
    maxLineLength: options.maxLineLength,
    listLimits: {
      maxItems: positiveCount('maxListItems', options.maxListItems, DEFAULT_MAX_LIST_ITEMS),
      maxBytes: positiveCount('maxListBytes', options.maxListBytes, DEFAULT_MAX_LIST_BYTES),
    },
    tls: {
      ...tlsOptions,
      handshakeTimeoutMs: positiveMs('tls.handshakeTimeoutMs', tlsOptions.handshakeTimeoutMs, 5000),
    },
    pinnedFingerprint,
    createSocket: options.createSocket ?? defaultSocketFactory,
  };
}
