/**
 * Typed errors of the NUT client. Every failure the client reports is a {@link NutError} carrying a
 * machine-readable `kind` + `code`, a plain-language `explanation` and an actionable `fix`, so the
 * UI and the logs can show something better than "Error: ERR ACCESS-DENIED".
 *
 * Secrets never reach these objects: `command` is always the redacted form of what was sent.
 */

import { isIP } from 'node:net';
import { type RightsWords, rightNeededFor, rightsWordsFor } from '../../shared/rights';
import { isLoopbackHost } from '../platform/loopback';

/**
 * What went wrong, coarsely:
 * - `server`: upsd answered `ERR <code>`; the connection is still usable.
 * - `argument`: the request was refused locally before anything was sent; the connection is still usable.
 * - every other kind means the connection is gone (or was never made).
 */
export type NutErrorKind =
  | 'server'
  | 'refused'
  | 'timeout'
  | 'reset'
  | 'dns'
  | 'unreachable'
  | 'closed'
  | 'tls'
  | 'protocol'
  | 'argument';

/** Where the error happened. Never contains credentials. */
export interface NutErrorContext {
  host?: string;
  port?: number;
  ups?: string;
}

export interface NutErrorInit {
  kind: NutErrorKind;
  /** `ERR` code for server errors (e.g. `ACCESS-DENIED`), a Node errno (e.g. `ECONNREFUSED`) or a client code. */
  code: string;
  explanation: string;
  fix: string;
  /** The command as sent, with secrets replaced by the redaction marker (REDACTED). */
  command?: string;
  context?: NutErrorContext;
  /** For `UNKNOWN-UPS`: the UPS names the server does have (from `LIST UPS`), when they could be fetched. */
  availableUps?: readonly string[];
  cause?: unknown;
}

/** Client-side codes (everything that is not an upsd `ERR` code or a Node errno). */
export const ClientErrorCode = {
  connectTimeout: 'CONNECT-TIMEOUT',
  requestTimeout: 'REQUEST-TIMEOUT',
  connectionClosed: 'CONNECTION-CLOSED',
  closedByClient: 'CLOSED-BY-CLIENT',
  lineTooLong: 'LINE-TOO-LONG',
  replyTooLarge: 'REPLY-TOO-LARGE',
  unsolicitedReply: 'UNSOLICITED-REPLY',
  unexpectedReply: 'UNEXPECTED-REPLY',
  starttlsRefused: 'STARTTLS-REFUSED',
  tlsHandshakeTimeout: 'TLS-HANDSHAKE-TIMEOUT',
  fingerprintMismatch: 'FINGERPRINT-MISMATCH',
  nonPrintableArgument: 'NON-PRINTABLE-ARGUMENT',
  emptyCommand: 'EMPTY-COMMAND',
  tooManyWords: 'TOO-MANY-WORDS',
  wordTooLong: 'WORD-TOO-LONG',
  invalidOption: 'INVALID-OPTION',
} as const;

export class NutError extends Error {
  override readonly name = 'NutError';
  readonly kind: NutErrorKind;
  readonly code: string;
  readonly explanation: string;
  readonly fix: string;
  readonly command: string | undefined;
  readonly context: NutErrorContext;
  readonly availableUps: readonly string[] | undefined;

  constructor(init: NutErrorInit) {
    super(formatMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.code = init.code;
    this.explanation = init.explanation;
    this.fix = init.fix;
    this.command = init.command;
    this.context = { ...init.context };
    this.availableUps = init.availableUps;
  }

  /** True when the connection this error came from can no longer be used. */
  get connectionLost(): boolean {
    return this.kind !== 'server' && this.kind !== 'argument';
  }

  /** A copy with some fields replaced (the message is rebuilt). */
  with(changes: Partial<NutErrorInit>): NutError {
    return new NutError({ ...this.toInit(), ...changes });
  }

  toInit(): NutErrorInit {
    return {
      kind: this.kind,
      code: this.code,
      explanation: this.explanation,
      fix: this.fix,
      command: this.command,
      context: this.context,
      availableUps: this.availableUps,
      cause: this.cause,
    };
  }

  /** Plain object for structured logs (Error fields are not enumerable). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      code: this.code,
      message: this.message,
      explanation: this.explanation,
      fix: this.fix,
      command: this.command,
      context: this.context,
      availableUps: this.availableUps,
    };
  }
}

/** Narrowing helper: `hasServerCode(err, 'DATA-STALE', 'DRIVER-NOT-CONNECTED')`. */
export function hasServerCode(error: unknown, ...codes: string[]): error is NutError {
  return (
    error instanceof NutError &&
    error.kind === 'server' &&
    (codes.length === 0 || codes.includes(error.code))
  );
}

function formatMessage(init: NutErrorInit): string {
  const where = formatWhere(init.context);
  const subject =
    init.kind === 'server'
      ? `Server answered ERR ${init.code}${init.command ? ` to ${init.command}` : ''}`
      : `${KIND_LABELS[init.kind]} (${init.code})${init.command ? ` during ${init.command}` : ''}`;
  return `${subject}${where ? ` [${where}]` : ''}: ${init.explanation}`;
}

function formatWhere(context: NutErrorContext | undefined): string {
  if (!context) return '';
  const hostPort =
    context.host === undefined
      ? ''
      : `${formatHost(context.host)}${context.port === undefined ? '' : `:${context.port}`}`;
  const ups = context.ups === undefined ? '' : `ups ${context.ups}`;
  return [ups, hostPort].filter(Boolean).join(' at ');
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

const KIND_LABELS: Record<NutErrorKind, string> = {
  server: 'Server error',
  refused: 'Connection refused',
  timeout: 'Timed out',
  reset: 'Connection reset',
  dns: 'Host name not found',
  unreachable: 'Host unreachable',
  closed: 'Connection closed',
  tls: 'TLS failure',
  protocol: 'Protocol error',
  argument: 'Invalid argument',
};

// ---------------------------------------------------------------------------------------------
// upsd ERR codes (main/nut/README.md §1.6)

/** Every `ERR` code upsd defines (`server/neterr.h`), including those 2.8.x never sends. */
export const NUT_ERR_CODES = [
  'ACCESS-DENIED',
  'UNKNOWN-UPS',
  'VAR-NOT-SUPPORTED',
  'CMD-NOT-SUPPORTED',
  'INVALID-ARGUMENT',
  'INSTCMD-FAILED',
  'SET-FAILED',
  'READONLY',
  'TOO-LONG',
  'INVALID-VALUE',
  'FEATURE-NOT-SUPPORTED',
  'FEATURE-NOT-CONFIGURED',
  'ALREADY-SSL-MODE',
  'DRIVER-NOT-CONNECTED',
  'DATA-STALE',
  'ALREADY-LOGGED-IN',
  'ALREADY-SET-USERNAME',
  'ALREADY-SET-PASSWORD',
  'USERNAME-REQUIRED',
  'PASSWORD-REQUIRED',
  'UNKNOWN-COMMAND',
  'UNKNOWN',
  'FAILED',
  'INVALID-PASSWORD',
  'INVALID-USERNAME',
  'VAR-UNKNOWN',
  'UNKNOWN-TYPE',
  'UNKNOWN-INSTCMD',
  'MISSING-ARGUMENT',
  'PASSWORD-INCORRECT',
] as const;

export type NutErrCode = (typeof NUT_ERR_CODES)[number];

export interface ErrDescription {
  explanation: string;
  fix: string;
}

const SYNOLOGY_PERMITTED =
  'On a Synology NAS, also add this machine\'s IP address under "Permitted DiskStation devices" ' +
  '(Control Panel → Hardware & Power → UPS).';

/**
 * The fix for a refused credential names only the right the refused command needs, in the words
 * the server understands (pre-2.8 servers know `upsmon master|slave` only).
 */
function credentialsFix(verb: string, words: RightsWords): string {
  const right = rightNeededFor(words, verb);
  const rightText = right
    ? `, and that the user has ${right} for ${verb}`
    : ', and that the user has the right for this command';
  return (
    `Check the user name and password against upsd.users on the NUT server${rightText}, then reload upsd (\`upsd -c reload\`). ` +
    SYNOLOGY_PERMITTED
  );
}

/** Without the command: the fix cannot name the right (describeErrCode names it when it can). */
const GENERIC_CREDENTIALS_FIX = credentialsFix('', rightsWordsFor(null));

const CREDENTIAL_CODES: ReadonlySet<string> = new Set([
  'ACCESS-DENIED',
  'INVALID-PASSWORD',
  'INVALID-USERNAME',
  'PASSWORD-INCORRECT',
]);

const DRIVER_FIX =
  'On the NUT server (the master), check the UPS cable (USB/serial/network) and the driver: `upsdrvctl start`, ' +
  '`systemctl status nut-driver@<ups>` or the driver log. Monitoring resumes by itself once the driver is back.';

const ERR_DESCRIPTIONS: Record<NutErrCode, ErrDescription> = {
  'ACCESS-DENIED': {
    explanation:
      'The server refused this command: the password is wrong, the user lacks the right for it in upsd.users, ' +
      'or (on Synology) this machine is not a permitted device. (upsd accepts USERNAME/PASSWORD without checking; ' +
      'the verdict only comes with the first privileged command.)',
    fix: GENERIC_CREDENTIALS_FIX,
  },
  'UNKNOWN-UPS': {
    explanation: 'The server has no UPS by this name.',
    fix: 'Use one of the UPS names defined in ups.conf on the server (a Synology NAS always calls it "ups"); names are case-insensitive.',
  },
  'VAR-NOT-SUPPORTED': {
    explanation: 'This UPS (its driver) does not provide this variable.',
    fix: 'List the available variables (LIST VAR) and pick one that exists; variable sets differ between drivers and models.',
  },
  'CMD-NOT-SUPPORTED': {
    explanation: 'The driver does not offer this instant command for this UPS.',
    fix: 'List the supported commands (LIST CMD) and pick one of them.',
  },
  'INVALID-ARGUMENT': {
    explanation:
      'The server did not accept the arguments (wrong number of words or an unknown sub-command).',
    fix: 'This usually means the server is older than this client expects; check the server version (VER/NETVER).',
  },
  'INSTCMD-FAILED': {
    explanation: 'upsd could not forward the instant command to the driver.',
    fix: 'Check that the driver is running on the server and look at the upsd/driver log.',
  },
  'SET-FAILED': {
    explanation:
      'upsd could not forward the new value to the driver (or the variable has broken length metadata).',
    fix: 'Check that the driver is running on the server and look at the upsd/driver log.',
  },
  READONLY: {
    explanation: 'This variable is read-only.',
    fix: 'Only variables listed by LIST RW can be changed.',
  },
  'TOO-LONG': {
    explanation: 'The value is longer than this string variable allows.',
    fix: 'Shorten the value to the length given by GET TYPE (STRING:<n>).',
  },
  'INVALID-VALUE': {
    explanation:
      'The value is not one of the allowed values (LIST ENUM) or is outside the allowed ranges (LIST RANGE).',
    fix: 'Pick a value from LIST ENUM or inside LIST RANGE for this variable.',
  },
  'FEATURE-NOT-SUPPORTED': {
    explanation: 'The server was built without this feature (for STARTTLS: without SSL support).',
    fix: 'Use a NUT build with SSL support on the server, or turn TLS off for this connection.',
  },
  'FEATURE-NOT-CONFIGURED': {
    explanation: 'The feature exists on the server but is not configured.',
    fix: 'Configure it on the server (see the explanation for the specific command).',
  },
  'ALREADY-SSL-MODE': {
    explanation: 'TLS is already active on this connection.',
    fix: 'Nothing to do; STARTTLS is only needed once per connection.',
  },
  'DRIVER-NOT-CONNECTED': {
    explanation:
      'The NUT server (master) has lost contact with its UPS: the UPS driver is not running or not connected to upsd.',
    fix: DRIVER_FIX,
  },
  'DATA-STALE': {
    explanation:
      'The NUT server (master) has lost contact with its UPS: the driver has not delivered fresh data recently ' +
      '(MAXAGE, 15 s by default), e.g. the USB cable was unplugged or the driver hangs.',
    fix: DRIVER_FIX,
  },
  'ALREADY-LOGGED-IN': {
    explanation:
      'This connection already did a LOGIN (upsd allows one LOGIN per connection, even for another UPS).',
    fix: 'Use one connection per monitored UPS.',
  },
  'ALREADY-SET-USERNAME': {
    explanation: 'A user name was already sent on this connection; upsd accepts it only once.',
    fix: 'Open a new connection to try other credentials.',
  },
  'ALREADY-SET-PASSWORD': {
    explanation: 'A password was already sent on this connection; upsd accepts it only once.',
    fix: 'Open a new connection to try other credentials.',
  },
  'USERNAME-REQUIRED': {
    explanation: 'This command needs credentials, but no user name was sent.',
    fix: 'Configure a user name and password from upsd.users on the server for this UPS.',
  },
  'PASSWORD-REQUIRED': {
    explanation: 'This command needs credentials, but no password was sent.',
    fix: 'Configure the password of this user from upsd.users on the server.',
  },
  'UNKNOWN-COMMAND': {
    explanation: 'The server does not know this command (older NUT versions lack some commands).',
    fix: 'Check the server version (VER/NETVER); this client falls back automatically where the protocol allows it.',
  },
  UNKNOWN: {
    explanation:
      'The driver did not report a result for the tracked request, or the tracking id is unknown/expired.',
    fix: 'The driver may have ignored the request; check the variable or the UPS state directly.',
  },
  FAILED: {
    explanation: 'The driver reported that the tracked request failed.',
    fix: 'Check the driver log on the server; the UPS may not support this value or command.',
  },
  'INVALID-PASSWORD': {
    explanation: 'The server rejected the password (only old or forked servers send this code).',
    fix: GENERIC_CREDENTIALS_FIX,
  },
  'INVALID-USERNAME': {
    explanation: 'The server rejected the user name (only old or forked servers send this code).',
    fix: GENERIC_CREDENTIALS_FIX,
  },
  'VAR-UNKNOWN': {
    explanation:
      'The server does not know this variable (only old or forked servers send this code).',
    fix: 'List the available variables (LIST VAR) and pick one that exists.',
  },
  'UNKNOWN-TYPE': {
    explanation:
      'The server could not determine the type of this variable (only old or forked servers send this code).',
    fix: 'Treat the variable as read-only text.',
  },
  'UNKNOWN-INSTCMD': {
    explanation:
      'The server does not know this instant command (only old or forked servers send this code).',
    fix: 'List the supported commands (LIST CMD) and pick one of them.',
  },
  'MISSING-ARGUMENT': {
    explanation: 'The server expected more arguments (only old or forked servers send this code).',
    fix: 'Check the server version; this client may be newer than the server.',
  },
  'PASSWORD-INCORRECT': {
    explanation: 'The server rejected the password (only old or forked servers send this code).',
    fix: GENERIC_CREDENTIALS_FIX,
  },
};

export function isKnownErrCode(code: string): code is NutErrCode {
  return Object.hasOwn(ERR_DESCRIPTIONS, code);
}

/**
 * Plain-language explanation and fix for an upsd `ERR` code. `command` (the request that got the
 * error, redacted or not; only its first words are looked at) refines the text where the same code
 * means different things for different commands.
 */
export function describeErrCode(
  code: string,
  options: {
    command?: string;
    availableUps?: readonly string[];
    /** The server's rights words when known; the old words (understood by all) otherwise. */
    rightsWords?: RightsWords | undefined;
  } = {},
): ErrDescription {
  const base: ErrDescription = isKnownErrCode(code)
    ? ERR_DESCRIPTIONS[code]
    : {
        explanation: `The server answered with an error code this client does not know (${code}).`,
        fix: 'Check the server log; the server may be newer than this client.',
      };
  const verb = commandVerb(options.command);
  const refined = refineForCommand(code, verb) ?? {
    ...base,
    ...(CREDENTIAL_CODES.has(code) && {
      fix: credentialsFix(verb, options.rightsWords ?? rightsWordsFor(null)),
    }),
  };
  if (code === 'UNKNOWN-UPS' && options.availableUps) {
    const list = options.availableUps.length > 0 ? options.availableUps.join(', ') : '(none)';
    return {
      explanation: `${refined.explanation} The server has: ${list}.`,
      fix: refined.fix,
    };
  }
  return refined;
}

/** First one or two words of a command line, upper-cased: `GET TRACKING`, `LOGIN`, ... */
function commandVerb(command: string | undefined): string {
  if (!command) return '';
  const words = command
    .trim()
    .split(/\s+/, 2)
    .map((word) => word.toUpperCase());
  const first = words[0] ?? '';
  return (first === 'GET' || first === 'SET' || first === 'LIST') && words[1]
    ? `${first} ${words[1]}`
    : first;
}

function refineForCommand(code: string, verb: string): ErrDescription | undefined {
  if (code === 'FEATURE-NOT-CONFIGURED' && verb === 'STARTTLS') {
    return {
      explanation:
        'TLS is supported by this upsd but no certificate is configured, so it can only talk in plaintext.',
      fix:
        'On the server configure a certificate in upsd.conf (OpenSSL builds: CERTFILE; NSS builds such as Debian: ' +
        'CERTPATH + CERTIDENT) and restart upsd, or set TLS to "off"/"opportunistic" for this connection.',
    };
  }
  if (code === 'FEATURE-NOT-CONFIGURED' && verb === 'GET TRACKING') {
    return {
      explanation:
        'Tracking is not enabled on this connection, so tracking results cannot be queried.',
      fix: 'Send SET TRACKING ON on the same connection before SET VAR/INSTCMD.',
    };
  }
  if (code === 'INVALID-ARGUMENT' && verb === 'SET TRACKING') {
    return {
      explanation:
        'The server does not support TRACKING (it is older than NUT 2.8.0, e.g. a Synology NAS).',
      fix: 'Send the command without waiting for its result; check the effect by reading the variable afterwards.',
    };
  }
  if (code === 'UNKNOWN-COMMAND' && (verb === 'PROTVER' || verb === 'PRIMARY')) {
    return {
      explanation: `The server is older than NUT 2.8.0 (or a Synology NAS) and does not know ${verb}.`,
      fix:
        verb === 'PRIMARY'
          ? 'Use MASTER instead (the client does this automatically).'
          : 'Use NETVER instead.',
    };
  }
  if (code === 'UNKNOWN-COMMAND' && verb === 'STARTTLS') {
    return {
      explanation: 'The server does not know STARTTLS, so it can only talk in plaintext.',
      fix: 'Use a NUT server with SSL support, or set TLS to "off"/"opportunistic" for this connection.',
    };
  }
  if (code === 'FEATURE-NOT-SUPPORTED' && verb === 'STARTTLS') {
    return {
      explanation: 'This upsd was built without SSL support, so it can only talk in plaintext.',
      fix: 'Use a NUT build with SSL support on the server, or set TLS to "off"/"opportunistic" for this connection.',
    };
  }
  return undefined;
}

/** Builds the error for an `ERR <code> ...` reply. */
export function serverError(
  code: string,
  options: {
    command?: string;
    context?: NutErrorContext;
    availableUps?: readonly string[];
    rightsWords?: RightsWords | undefined;
  } = {},
): NutError {
  const description = describeErrCode(code, options);
  return new NutError({
    kind: 'server',
    code,
    ...description,
    command: options.command,
    context: options.context,
    availableUps: options.availableUps,
  });
}

// ---------------------------------------------------------------------------------------------
// Socket-level failures

const DNS_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EAI_NODATA',
  'EAI_ADDRFAMILY',
]);
const UNREACHABLE_CODES = new Set([
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'EACCES',
  'EPERM',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** The errno of a Node socket error; Node 20's happy-eyeballs connect reports an AggregateError. */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = errnoOf(inner);
      if (innerCode) return innerCode;
    }
  }
  return undefined;
}

/** What to do when this machine's own upsd refuses: shared by the client's error and the doctor. */
export function localRefusedFix(host: string, port: number): string {
  // The loopback address that was asked for: ::1 needs a LISTEN ::1 line, localhost and 127.x 127.0.0.1.
  const address = isIP(host.replace(/^\[|\]$/g, '')) === 6 ? '::1' : '127.0.0.1';
  return (
    'Start upsd on this machine (e.g. `systemctl start nut-server`; its log says why it is not running) and check the port. ' +
    `If its upsd.conf has LISTEN lines, add "LISTEN ${address} ${port}" and restart upsd. ` +
    `If the NUT server is another machine (a Synology NAS, a Proxmox host), use its address instead of ${host}.`
  );
}

/**
 * Maps a Node socket error (connect or later) to a NutError, telling apart "nothing listening",
 * "firewall drops packets", "reset", "DNS" and "no route".
 */
export function socketError(
  error: unknown,
  options: { context: NutErrorContext; command?: string; connectTimeoutMs?: number },
): NutError {
  const code = errnoOf(error) ?? 'UNKNOWN';
  const { host = '?', port = 3493 } = options.context;
  const base = { code, command: options.command, context: options.context, cause: error };
  if (code === 'ECONNREFUSED' && isLoopbackHost(host)) {
    // "It listens on localhost only" cannot be the reason when we are connecting to localhost.
    return new NutError({
      ...base,
      kind: 'refused',
      explanation:
        `Nothing accepts connections on ${host}:${port}, which is this machine: upsd is not running here, ` +
        'or the LISTEN lines of its upsd.conf name only other addresses or another port.',
      fix: localRefusedFix(host, port),
    });
  }
  if (code === 'ECONNREFUSED') {
    return new NutError({
      ...base,
      kind: 'refused',
      explanation:
        `Nothing accepts connections on ${host}:${port}. upsd is not running there, or it listens on localhost only: ` +
        'upsd binds to 127.0.0.1 until a LISTEN line is set in upsd.conf (as on a fresh Proxmox node).',
      fix:
        `On the NUT server add "LISTEN 0.0.0.0 ${port}" (or its LAN address) to upsd.conf and restart upsd ` +
        '(e.g. `systemctl restart nut-server`); check that upsd runs and the port is right. ' +
        'On Synology enable "Enable network UPS server".',
    });
  }
  if (code === 'ETIMEDOUT' || code === ClientErrorCode.connectTimeout) {
    return connectTimeoutError(options.context, options.connectTimeoutMs, error);
  }
  if (RESET_CODES.has(code)) {
    return new NutError({
      ...base,
      kind: 'reset',
      explanation:
        `${host}:${port} reset the connection: upsd was restarted or crashed, or a firewall, tcp-wrappers or a ` +
        'Synology device allow-list closed it.',
      fix:
        'Reconnect. If it happens again, check the upsd log on the server. ' + SYNOLOGY_PERMITTED,
    });
  }
  if (DNS_CODES.has(code)) {
    return new NutError({
      ...base,
      kind: 'dns',
      explanation: `The host name "${host}" could not be resolved${code === 'EAI_AGAIN' ? ' (the DNS server did not answer)' : ''}.`,
      fix: "Check the spelling and the DNS/mDNS setup, or use the server's IP address.",
    });
  }
  if (UNREACHABLE_CODES.has(code)) {
    return new NutError({
      ...base,
      kind: 'unreachable',
      explanation: `${host} cannot be reached from this machine (${code}): no route, the network is down, or a local firewall forbids it.`,
      fix: "Check the address, this machine's network/VPN connection and the local firewall.",
    });
  }
  return new NutError({
    ...base,
    kind: 'closed',
    explanation: `The connection to ${host}:${port} failed (${code}).`,
    fix: 'Reconnect; if it persists, check the network and the upsd log.',
  });
}

export function connectTimeoutError(
  context: NutErrorContext,
  timeoutMs: number | undefined,
  cause?: unknown,
): NutError {
  const { host = '?', port = 3493 } = context;
  return new NutError({
    kind: 'timeout',
    code: ClientErrorCode.connectTimeout,
    explanation:
      `No answer from ${host}:${port}${timeoutMs === undefined ? '' : ` within ${timeoutMs} ms`}. Most likely a firewall ` +
      'silently drops tcp/3493 (e.g. a Proxmox node whose firewall has no rule for it), or the host is down.',
    fix:
      `Allow TCP port ${port} from this machine in the server's firewall (Proxmox: Firewall → Add rule, ACCEPT, TCP, ` +
      `dest. port ${port}), check that the host is up and the address is right.`,
    context,
    cause,
  });
}
