/**
 * NutClient: a typed, promise-based client for upsd over one persistent TCP (optionally TLS)
 * connection. Plain Node, no electron.
 *
 * Framing (main/nut/README.md §1.1, §1.5, §4.1): upsd answers strictly in order and has no request ids,
 * so requests go into a FIFO and replies are matched by position only. Requests may be pipelined
 * (several in flight). As soon as the order can no longer be trusted (a request timed out, a reply
 * arrived with no request waiting, a reply had the wrong shape) the connection is closed and
 * every pending request rejected: guessing would hand one request's answer to another.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import {
  ClientErrorCode,
  NutError,
  connectTimeoutError,
  describeErrCode,
  errnoOf,
  hasServerCode,
  serverError,
  socketError,
  type NutErrorContext,
} from './errors.js';
import { type RightsWords, rightsWordsFor } from '../../shared/rights.js';
import { LineReader, type ReaderEvent } from './line-reader.js';
import { DEFAULT_MAX_LIST_BYTES, DEFAULT_MAX_LIST_ITEMS, DESCRIPTION_FANOUT } from './limits.js';
import {
  ListReplyCollector,
  type ListLimits,
  buildCommand,
  compareVersions,
  describeWords,
  errCodeOf,
  quoted,
  secret,
  tokenizeDetailed,
  type CommandWord,
  type EncodedCommand,
} from './protocol.js';

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

/** Parsed `GET TYPE` reply. */
export interface NutVarType {
  rw: boolean;
  enum: boolean;
  range: boolean;
  /** `UNKNOWN` when the server names neither STRING nor NUMBER (older servers). */
  kind: 'STRING' | 'NUMBER' | 'UNKNOWN';
  /** For `STRING:<n>`. */
  maxLength?: number;
  /** All flags as sent, e.g. `['RW', 'STRING:16']`. */
  flags: string[];
}

export interface NutUpsInfo {
  name: string;
  description: string;
}

export interface NutRange {
  min: number;
  max: number;
}

/** Result of `GET TRACKING <id>`: the driver's verdict on a SET VAR / INSTCMD. */
export type TrackingResult = 'PENDING' | 'SUCCESS' | { error: string };

export interface ActionOptions {
  /**
   * Enable TRACKING on this connection (once) and poll `GET TRACKING <id>` until the driver reports
   * a result. Requires a NUT 2.8.0+ server and credentials (USERNAME/PASSWORD sent).
   */
  waitForResult?: boolean;
  /** How long to poll before giving up with result `PENDING`; default 10000 ms (upsrw's default). */
  timeoutMs?: number;
  /** Default 500 ms. */
  pollIntervalMs?: number;
}

export interface ActionResult {
  /** Set when tracking is on for this connection (upsd answered `OK TRACKING <id>`). */
  trackingId: string | undefined;
  /**
   * Only with `waitForResult`: the final result, or `PENDING` when the driver did not answer within
   * `timeoutMs`. Without tracking, upsd's `OK` only means "forwarded to the driver".
   */
  result: TrackingResult | undefined;
}

export interface NutCapabilities {
  /** `NETVER`, e.g. `1.3` (NUT 2.8.x) or `1.2` (2.6.4–2.7.4, Synology DSM). */
  netVer: string;
  /** `PROTVER` (NUT 2.8.0+); undefined when the server does not know it. */
  protVer: string | undefined;
  /** `VER` free text, e.g. `Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/`. */
  serverVersion: string;
  /** VER mentions DSM: Synology's patched upsd (UPS is always `ups`, no PRIMARY, no TRACKING). */
  isSynology: boolean;
  /** `PRIMARY` known (else only `MASTER`); `primary()` falls back by itself anyway. */
  supportsPrimary: boolean;
  /** `SET TRACKING` / `GET TRACKING`. */
  supportsTracking: boolean;
  /** `LIST CLIENT` (NETVER ≥ 1.2). */
  supportsListClient: boolean;
}

/** Events: `close` fires once, with the cause (undefined after a deliberate `close()`/`logout()`). */
export type NutClientEvents = {
  close: [cause: NutError | undefined];
  /** Something odd but survivable in the reply stream (non-ASCII bytes, tokenizer oddities). */
  warning: [message: string];
};

interface LineReply {
  raw: string;
  words: string[];
}

type Outcome = { line: LineReply } | { items: string[][] } | { error: NutError };

interface PendingRequest {
  readonly command: EncodedCommand;
  readonly context: NutErrorContext;
  /** Present for LIST requests. */
  readonly collector: ListReplyCollector | undefined;
  settle(outcome: Outcome): void;
  /** Runs synchronously when the reply line arrives, before any further byte is processed. */
  readonly onReplySync: ((reply: LineReply) => void) | undefined;
}

interface ResolvedOptions {
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

type Phase = 'open' | 'closing' | 'closed';

/** Encoded commands by their words, one map level per word. */
type EncodedTrie = Map<string, EncodedNode>;
interface EncodedNode {
  readonly next: EncodedTrie;
  /** The command whose last word this is, once encoded. */
  command: EncodedCommand | undefined;
}

const LOGOUT_GRACE_MS = 1000;

export class NutClient extends EventEmitter<NutClientEvents> {
  private readonly options: ResolvedOptions;
  private socket: net.Socket;
  /** The TCP socket under TLS (same as `socket` in plaintext); destroyed too, whatever TLS does. */
  private readonly plainSocket: net.Socket;
  private reader: LineReader;
  private readonly pending: PendingRequest[] = [];
  private phase: Phase = 'open';
  private cause: NutError | undefined;
  private readonly closedPromise: Promise<NutError | undefined>;
  private resolveClosed!: (cause: NutError | undefined) => void;
  /**
   * The request timeout of the oldest unanswered request. One timer per connection, re-armed with
   * `refresh()` whenever the head changes (no timer object per request); when it fires with
   * nothing pending it does nothing.
   */
  private headTimer: NodeJS.Timeout | undefined;
  /** Re-armed with `refresh()` on every send; unref'd. */
  private keepAliveTimer: NodeJS.Timeout | undefined;
  /** Encoded polling commands, reused: a monitor asks the same few things every poll. */
  private encoded: EncodedTrie = new Map();
  private encodedCount = 0;
  /** Set while the socket is being handed to TLS: no byte may be read or written in plaintext. */
  private upgrading = false;
  private loggedInAs: string | undefined;
  private trackingOn: Promise<void> | undefined;
  private capabilitiesCache: Promise<NutCapabilities> | undefined;
  /** Known once capabilities() ran: the words this server's upsd.users understands. */
  private rightsWords: RightsWords | undefined;
  private tlsState: { protocol: string | null; fingerprint256: string | undefined } | undefined;
  private tlsDeclined: string | undefined;
  private readonly addresses: {
    localAddress?: string;
    localPort?: number;
    remoteAddress?: string;
    remotePort?: number;
  };

  private constructor(socket: net.Socket, options: ResolvedOptions) {
    super();
    this.options = options;
    this.socket = socket;
    this.plainSocket = socket;
    this.reader = new LineReader({ maxLineLength: options.maxLineLength });
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.addresses = {
      localAddress: socket.localAddress,
      localPort: socket.localPort,
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
    };
    this.attach(socket);
  }

  /**
   * Opens the TCP connection, and negotiates STARTTLS according to `options.tls.mode`.
   * Rejects with a NutError: `refused`, `timeout`, `dns`, `unreachable`, `reset`, `tls`, `argument`.
   */
  static async connect(options: NutClientOptions): Promise<NutClient> {
    const resolved = resolveOptions(options);
    const socket = await openSocket(resolved);
    const client = new NutClient(socket, resolved);
    if (resolved.tls.mode !== 'off') {
      try {
        await client.negotiateTls();
      } catch (error) {
        // A protocol error that broke the handshake is the better explanation than its aftermath.
        const failure =
          client.cause ??
          (error instanceof NutError ? error : socketError(error, { context: client.context() }));
        client.fail(failure);
        throw failure;
      }
    }
    client.scheduleKeepAlive();
    return client;
  }

  // -------------------------------------------------------------------------------------------
  // State

  /** True until the connection is closed (by either side, or after an error). */
  get isOpen(): boolean {
    return this.phase === 'open';
  }

  get host(): string {
    return this.options.host;
  }

  get port(): number {
    return this.options.port;
  }

  /** The UPS this connection did `LOGIN` for, while the connection is open. */
  get loggedInUps(): string | undefined {
    return this.loggedInAs;
  }

  get tlsActive(): boolean {
    return this.tlsState !== undefined;
  }

  /** Negotiated TLS version, e.g. `TLSv1.3`. */
  get tlsProtocol(): string | undefined {
    return this.tlsState?.protocol ?? undefined;
  }

  /** The server certificate's SHA-256 fingerprint (`AB:CD:...`) when TLS is active; for pinning in the UI. */
  get peerCertificateFingerprint256(): string | undefined {
    return this.tlsState?.fingerprint256;
  }

  /** With `opportunistic` TLS: the server's ERR code when it declined STARTTLS (so the link is plaintext). */
  get tlsDeclinedCode(): string | undefined {
    return this.tlsDeclined;
  }

  get remoteAddress(): string | undefined {
    return this.addresses.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.addresses.remotePort;
  }

  /** This side's address as upsd sees it (modulo NAT): what `LIST CLIENT` shows for this connection. */
  get localAddress(): string | undefined {
    return this.addresses.localAddress;
  }

  get localPort(): number | undefined {
    return this.addresses.localPort;
  }

  /**
   * Reply bytes this client holds right now: the unfinished line plus the items of the LIST replies
   * being collected. Bounded by maxLineLength + maxListBytes (main/nut/limits.ts); for tests and diagnostics.
   */
  get heldReplyBytes(): number {
    let bytes = this.reader.bufferedBytes;
    for (const request of this.pending) bytes += request.collector?.byteCount ?? 0;
    return bytes;
  }

  /** Why the connection closed; undefined while open or after a deliberate close. */
  get closeCause(): NutError | undefined {
    return this.cause;
  }

  /** Resolves once the connection is closed, with the same cause as the `close` event. */
  whenClosed(): Promise<NutError | undefined> {
    return this.closedPromise;
  }

  // -------------------------------------------------------------------------------------------
  // Protocol commands (main/nut/README.md §1.4)

  /** `VER`: free text (do not parse strictly; Synology shows `upsd DSM7-...`). */
  async ver(): Promise<string> {
    return (await this.expectLine(['VER'])).raw.trim();
  }

  /** `NETVER`: protocol version, `1.3` on NUT 2.8.x, `1.2` on 2.6.4–2.7.4 and Synology. */
  async netVer(): Promise<string> {
    return this.firstWord(await this.expectLine(['NETVER']), 'NETVER');
  }

  /** `PROTVER` (2.8.0+): same as NETVER; ERR UNKNOWN-COMMAND on older servers. */
  async protVer(): Promise<string> {
    return this.firstWord(await this.expectLine(['PROTVER']), 'PROTVER');
  }

  /** `HELP`: the server's command list as free text. */
  async help(): Promise<string> {
    return (await this.expectLine(['HELP'])).raw.trim();
  }

  /**
   * `USERNAME` + `PASSWORD` (the password always quoted and never logged). upsd answers OK to both
   * without checking them; wrong credentials only show up at LOGIN/PRIMARY/SET/... as
   * `ACCESS-DENIED`. Does nothing when `username` is empty (Synology rejects an empty USERNAME).
   */
  async authenticate(username: string, password: string): Promise<void> {
    if (username === '') return;
    const usernameCommand = buildCommand(['USERNAME', username]);
    const passwordCommand = buildCommand(['PASSWORD', secret(password)]);
    // Both are encoded before anything is sent, so a bad password never leaves a lone USERNAME behind.
    const [usernameReply, passwordReply] = await Promise.all([
      this.sendLine(usernameCommand),
      this.sendLine(passwordCommand),
    ]);
    this.checkOk(usernameReply, usernameCommand);
    this.checkOk(passwordReply, passwordCommand);
  }

  /** `LOGIN <ups>`: registers this connection as a monitor of `ups` (counted in NUMLOGINS). One per connection. */
  async login(ups: string): Promise<void> {
    await this.expectOk(['LOGIN', ups], ups);
    this.loggedInAs = ups;
  }

  /**
   * `LOGOUT`: accepts `OK Goodbye` (or `Goodbye...` from very old servers), then closes this side
   * without waiting for upsd (which only closes on its next loop pass, up to 2 s later).
   */
  async logout(): Promise<void> {
    const command = buildCommand(['LOGOUT']);
    let reply: LineReply;
    try {
      reply = await this.sendLine(command, { closing: true });
    } catch (error) {
      // The server closing first is just as good as a Goodbye.
      if (error instanceof NutError && error.kind === 'closed' && this.phase === 'closed') return;
      throw error;
    }
    this.finishGracefully();
    const first = reply.words[0]?.toUpperCase();
    if (first === 'OK' || first?.startsWith('GOODBYE')) return;
    const code = errCodeOf(reply.words);
    if (code !== undefined)
      throw serverError(code, {
        command: command.redacted,
        context: this.context(),
        rightsWords: this.rightsWords,
      });
    throw this.unexpectedReply(command, this.context(), reply, 'OK Goodbye');
  }

  /**
   * `PRIMARY <ups>`, falling back to `MASTER <ups>` when the reply is not OK (servers ≤ 2.7.4 and
   * Synology do not know PRIMARY), exactly like upsmon. Returns the one that was granted; throws
   * the MASTER error when both fail.
   */
  async primary(ups: string): Promise<'PRIMARY' | 'MASTER'> {
    return this.withUpsHint(async () => {
      const primaryCommand = buildCommand(['PRIMARY', ups]);
      const masterCommand = buildCommand(['MASTER', ups]);
      if (isOk(await this.sendLine(primaryCommand, { ups }))) return 'PRIMARY';
      this.checkOk(await this.sendLine(masterCommand, { ups }), masterCommand, ups);
      return 'MASTER';
    });
  }

  /** `FSD <ups>`: sets the forced-shutdown latch (needs `upsmon primary` or `actions = FSD`). */
  async fsd(ups: string): Promise<void> {
    await this.expectOk(['FSD', ups], ups);
  }

  /** `GET NUMLOGINS <ups>`: how many connections did LOGIN for this UPS. */
  async getNumLogins(ups: string): Promise<number> {
    const command = this.encode(['GET', 'NUMLOGINS', ups]);
    return this.withUpsHint(async () => {
      const reply = await this.expectKeyword(command, 'NUMLOGINS', 3, ups);
      const count = Number(reply.words[2]);
      if (!Number.isInteger(count) || count < 0)
        throw this.unexpectedReply(command, this.context(ups), reply, 'NUMLOGINS <ups> <n>');
      return count;
    });
  }

  /** `GET UPSDESC <ups>` (`Unavailable` when none is configured). */
  async getUpsDesc(ups: string): Promise<string> {
    const command = buildCommand(['GET', 'UPSDESC', ups]);
    return this.withUpsHint(
      async () => (await this.expectKeyword(command, 'UPSDESC', 3, ups)).words[2]!,
    );
  }

  /** `GET VAR <ups> <name>`. */
  async getVar(ups: string, name: string): Promise<string> {
    // The status poll: one async step (withUpsHint + expectKeyword inlined), the command reused.
    const command = this.encode(['GET', 'VAR', ups, name]);
    const reply = await this.sendLine(command, { ups });
    const code = errCodeOf(reply.words);
    if (code !== undefined)
      throw await this.upsHint(
        serverError(code, {
          command: command.redacted,
          context: this.context(ups),
          rightsWords: this.rightsWords,
        }),
      );
    if (reply.words[0]?.toUpperCase() !== 'VAR' || reply.words.length < 4)
      throw this.unexpectedReply(command, this.context(ups), reply, 'VAR ...');
    return reply.words[3]!;
  }

  /** `GET TYPE <ups> <name>`, parsed as a set of flags. */
  async getType(ups: string, name: string): Promise<NutVarType> {
    const command = buildCommand(['GET', 'TYPE', ups, name]);
    return this.withUpsHint(async () =>
      parseType((await this.expectKeyword(command, 'TYPE', 3, ups)).words.slice(3)),
    );
  }

  /** `GET DESC <ups> <name>`: human description of a variable. */
  async getDesc(ups: string, name: string): Promise<string> {
    const command = buildCommand(['GET', 'DESC', ups, name]);
    return this.withUpsHint(async () =>
      descriptionText(await this.expectKeyword(command, 'DESC', 4, ups)),
    );
  }

  /**
   * `GET DESC` for many variables (the variables view) with a bounded fan-out: at most
   * {@link DESCRIPTION_FANOUT}.concurrency requests in flight and {@link DESCRIPTION_FANOUT}.maxRequests in all,
   * so a LIST VAR of thousands of names never turns into thousands of queued requests. Names
   * beyond the cap, and names whose description is an `ERR` or `Description unavailable`, are left
   * out of the result. Rejects only when the connection is lost.
   */
  async getDescriptions(
    ups: string,
    names: readonly string[],
    limits: { concurrency?: number; maxRequests?: number } = {},
  ): Promise<Map<string, string>> {
    const concurrency = limits.concurrency ?? DESCRIPTION_FANOUT.concurrency;
    const wanted = names.slice(0, limits.maxRequests ?? DESCRIPTION_FANOUT.maxRequests);
    const result = new Map<string, string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < wanted.length) {
        const name = wanted[next++]!;
        try {
          const text = await this.getDesc(ups, name);
          if (text !== 'Description unavailable') result.set(name, text);
        } catch (error) {
          if (!(error instanceof NutError) || error.connectionLost) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, wanted.length) }, worker));
    return result;
  }

  /** `GET CMDDESC <ups> <cmd>`: human description of an instant command. */
  async getCmdDesc(ups: string, cmd: string): Promise<string> {
    const command = buildCommand(['GET', 'CMDDESC', ups, cmd]);
    return this.withUpsHint(async () =>
      descriptionText(await this.expectKeyword(command, 'CMDDESC', 4, ups)),
    );
  }

  /** `GET TRACKING`: whether tracking is on for this connection (2.8.0+). */
  async getTrackingMode(): Promise<'ON' | 'OFF'> {
    const command = buildCommand(['GET', 'TRACKING']);
    const reply = await this.expectLine(command);
    const mode = reply.words[0]?.toUpperCase();
    if (mode === 'ON' || mode === 'OFF') return mode;
    throw this.unexpectedReply(command, this.context(), reply, 'ON or OFF');
  }

  /**
   * `GET TRACKING <id>`: `PENDING`, `SUCCESS`, or `{ error }` (`UNKNOWN`, `FAILED`,
   * `INVALID-ARGUMENT`) as reported by the driver. Throws for other errors (e.g.
   * FEATURE-NOT-CONFIGURED when tracking is off on this connection).
   */
  async getTracking(id: string): Promise<TrackingResult> {
    const command = buildCommand(['GET', 'TRACKING', id]);
    const reply = await this.sendLine(command);
    const code = errCodeOf(reply.words);
    if (code === 'UNKNOWN' || code === 'FAILED' || code === 'INVALID-ARGUMENT')
      return { error: code };
    if (code !== undefined)
      throw serverError(code, {
        command: command.redacted,
        context: this.context(),
        rightsWords: this.rightsWords,
      });
    const status = reply.words[0]?.toUpperCase();
    if (status === 'PENDING' || status === 'SUCCESS') return status;
    throw this.unexpectedReply(command, this.context(), reply, 'PENDING, SUCCESS or ERR');
  }

  /** `LIST UPS`. */
  async listUps(): Promise<NutUpsInfo[]> {
    const items = await this.list(['UPS']);
    return items.map(([name, description]) => ({ name: name!, description: description ?? '' }));
  }

  /** `LIST VAR <ups>`: every variable and its value, in the server's order. */
  async listVar(ups: string): Promise<Map<string, string>> {
    return toMap(await this.list(['VAR', ups], ups));
  }

  /** `LIST RW <ups>`: the writable variables and their values. */
  async listRw(ups: string): Promise<Map<string, string>> {
    return toMap(await this.list(['RW', ups], ups));
  }

  /** `LIST CMD <ups>`: instant commands. */
  async listCmd(ups: string): Promise<string[]> {
    return (await this.list(['CMD', ups], ups)).map((item) => item[0]!);
  }

  /** `LIST ENUM <ups> <name>`: allowed values (often empty). */
  async listEnum(ups: string, name: string): Promise<string[]> {
    return (await this.list(['ENUM', ups, name], ups)).map((item) => item[0]!);
  }

  /** `LIST RANGE <ups> <name>`: allowed ranges. */
  async listRange(ups: string, name: string): Promise<NutRange[]> {
    const command = buildCommand(['LIST', 'RANGE', ups, name]);
    const items = await this.list(['RANGE', ups, name], ups);
    return items.map((item) => {
      const min = Number(item[0]);
      const max = Number(item[1]);
      if (item.length < 2 || !Number.isFinite(min) || !Number.isFinite(max)) {
        throw this.unexpectedReply(
          command,
          this.context(ups),
          { raw: '', words: ['RANGE', ups, name, ...item] },
          'RANGE <ups> <var> "<min>" "<max>"',
        );
      }
      return { min, max };
    });
  }

  /** `LIST CLIENT <ups>`: the IP address of each logged-in connection (the same IP may repeat). */
  async listClient(ups: string): Promise<string[]> {
    return (await this.list(['CLIENT', ups], ups)).map((item) => item[0]!);
  }

  /** `SET TRACKING ON|OFF` for this connection (needs USERNAME/PASSWORD sent; 2.8.0+). */
  async setTracking(on: boolean): Promise<void> {
    await this.expectOk(['SET', 'TRACKING', on ? 'ON' : 'OFF']);
    this.trackingOn = on ? Promise.resolve() : undefined;
  }

  /**
   * `SET VAR <ups> <name> "<value>"` (value always quoted). `OK` only means "forwarded to the
   * driver"; pass `waitForResult` to learn the driver's verdict through TRACKING.
   */
  async setVar(
    ups: string,
    name: string,
    value: string,
    options: ActionOptions = {},
  ): Promise<ActionResult> {
    const command = buildCommand(['SET', 'VAR', ups, name, quoted(value)]);
    return this.trackedAction(command, ups, options);
  }

  /** `INSTCMD <ups> <cmd> ["<param>"]` (param always quoted); see {@link setVar} for `options`. */
  async instCmd(
    ups: string,
    cmd: string,
    param?: string,
    options: ActionOptions = {},
  ): Promise<ActionResult> {
    const words: CommandWord[] = ['INSTCMD', ups, cmd];
    if (param !== undefined) words.push(quoted(param));
    return this.trackedAction(buildCommand(words), ups, options);
  }

  /** Server version and feature detection (VER, NETVER, PROTVER); cached per connection. */
  async capabilities(): Promise<NutCapabilities> {
    this.capabilitiesCache ??= this.detectCapabilities().catch((error: unknown) => {
      this.capabilitiesCache = undefined;
      throw error;
    });
    return this.capabilitiesCache;
  }

  /**
   * Sends any single-line command and returns the reply's words (an escape hatch for commands
   * this class does not wrap). Throws a server NutError on `ERR`.
   */
  async command(words: readonly CommandWord[]): Promise<string[]> {
    return (await this.expectLine(words)).words;
  }

  /**
   * Runs `send`, which issues several requests, with the socket corked: their lines leave in one
   * write instead of one each (fewer syscalls and segments; replies are matched as always).
   * Returns what `send` returns, e.g. `client.pipeline(() => Promise.all([...]))`.
   */
  pipeline<T>(send: () => T): T {
    const socket = this.socket;
    socket.cork();
    try {
      return send();
    } finally {
      socket.uncork();
    }
  }

  /**
   * Closes the connection: `LOGOUT` first when logged in (after the requests already in flight),
   * then closes the socket. Never throws; idempotent. Requests still pending when not logged in
   * are rejected with `CLOSED-BY-CLIENT`.
   */
  async close(): Promise<void> {
    if (this.phase === 'open' && this.loggedInAs !== undefined) {
      try {
        await this.logout();
      } catch {
        // Closing anyway; the server drops our LOGIN when the socket closes.
      }
    }
    if (this.phase === 'open') this.finishGracefully();
    await this.closedPromise;
  }

  // -------------------------------------------------------------------------------------------
  // Command helpers

  private context(ups?: string): NutErrorContext {
    return ups === undefined
      ? { host: this.options.host, port: this.options.port }
      : { host: this.options.host, port: this.options.port, ups };
  }

  private async expectLine(
    words: readonly CommandWord[] | EncodedCommand,
    ups?: string,
  ): Promise<LineReply> {
    const command = isEncoded(words) ? words : buildCommand(words);
    const reply = await this.sendLine(command, { ups });
    const code = errCodeOf(reply.words);
    if (code !== undefined)
      throw serverError(code, {
        command: command.redacted,
        context: this.context(ups),
        rightsWords: this.rightsWords,
      });
    return reply;
  }

  private async expectOk(words: readonly CommandWord[], ups?: string): Promise<string[]> {
    const command = buildCommand(words);
    const run = async (): Promise<string[]> => {
      const reply = await this.sendLine(command, { ups });
      this.checkOk(reply, command, ups);
      return reply.words;
    };
    return ups === undefined ? run() : this.withUpsHint(run);
  }

  private checkOk(reply: LineReply, command: EncodedCommand, ups?: string): void {
    if (isOk(reply)) return;
    const code = errCodeOf(reply.words);
    if (code !== undefined)
      throw serverError(code, {
        command: command.redacted,
        context: this.context(ups),
        rightsWords: this.rightsWords,
      });
    throw this.unexpectedReply(command, this.context(ups), reply, 'OK');
  }

  /** A single-line reply starting with `keyword` (e.g. `VAR`), with at least `minWords` words. */
  private async expectKeyword(
    command: EncodedCommand,
    keyword: string,
    minWords: number,
    ups?: string,
  ): Promise<LineReply> {
    const reply = await this.expectLine(command, ups);
    if (reply.words[0]?.toUpperCase() !== keyword || reply.words.length < minWords) {
      throw this.unexpectedReply(command, this.context(ups), reply, `${keyword} ...`);
    }
    return reply;
  }

  private firstWord(reply: LineReply, what: string): string {
    const word = reply.words[0];
    if (word === undefined)
      throw this.unexpectedReply(buildCommand([what]), this.context(), reply, 'a version number');
    return word;
  }

  /** A reply of the wrong shape means replies and requests are out of step: close the connection. */
  private unexpectedReply(
    command: EncodedCommand,
    context: NutErrorContext,
    reply: LineReply,
    expected: string,
  ): NutError {
    const error = new NutError({
      kind: 'protocol',
      code: ClientErrorCode.unexpectedReply,
      explanation: `Expected ${expected}, got "${describeWords(reply.words)}". Replies can no longer be matched to requests, so the connection was closed.`,
      fix: `Check that ${this.options.host}:${this.options.port} is a NUT server (upsd); reconnect.`,
      command: command.redacted,
      context,
    });
    this.fail(error);
    return error;
  }

  /** Adds the server's UPS names to an UNKNOWN-UPS error (one `LIST UPS`, best effort). */
  private async withUpsHint<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw await this.upsHint(error);
    }
  }

  /** The error to throw for `error`: with the server's UPS names when it is UNKNOWN-UPS. */
  private async upsHint(error: unknown): Promise<unknown> {
    if (!hasServerCode(error, 'UNKNOWN-UPS') || this.phase !== 'open') return error;
    let names: string[];
    try {
      names = (await this.listUps()).map((ups) => ups.name);
    } catch {
      return error;
    }
    return serverError(error.code, {
      command: error.command,
      context: error.context,
      availableUps: names,
      rightsWords: this.rightsWords,
    });
  }

  /**
   * buildCommand for plain words, cached per connection (bounded): the polling requests are the
   * same few lines every time. Looked up word by word (no key string to build and hash).
   */
  private encode(words: readonly string[]): EncodedCommand {
    let level = this.encoded;
    let node: EncodedNode | undefined;
    for (const word of words) {
      node = level.get(word);
      if (node === undefined) break;
      level = node.next;
    }
    if (node?.command !== undefined) return node.command;
    const command = buildCommand(words);
    if (this.encodedCount >= 64) {
      this.encoded = new Map();
      this.encodedCount = 0;
    }
    level = this.encoded;
    for (const word of words) {
      let child = level.get(word);
      if (child === undefined) {
        child = { next: new Map(), command: undefined };
        level.set(word, child);
      }
      node = child;
      level = child.next;
    }
    node!.command = command;
    this.encodedCount += 1;
    return command;
  }

  private async list(query: readonly string[], ups?: string): Promise<string[][]> {
    const command = this.encode(['LIST', ...query]);
    const run = (): Promise<string[][]> =>
      new Promise<string[][]>((resolve, reject) => {
        this.enqueue({
          command,
          context: this.context(ups),
          collector: new ListReplyCollector(query, this.options.listLimits),
          onReplySync: undefined,
          settle: (outcome) => {
            if ('items' in outcome) resolve(outcome.items);
            else if ('error' in outcome) reject(outcome.error);
            else reject(new Error('internal: single-line outcome for a LIST request'));
          },
        });
      });
    return ups === undefined ? run() : this.withUpsHint(run);
  }

  private async trackedAction(
    command: EncodedCommand,
    ups: string,
    options: ActionOptions,
  ): Promise<ActionResult> {
    if (options.waitForResult) await this.ensureTracking();
    const words = await this.withUpsHint(() => this.expectOkWords(command, ups));
    const trackingId = words[1]?.toUpperCase() === 'TRACKING' ? words[2] : undefined;
    if (!options.waitForResult || trackingId === undefined)
      return { trackingId, result: undefined };
    return { trackingId, result: await this.pollTracking(trackingId, options) };
  }

  private async expectOkWords(command: EncodedCommand, ups: string): Promise<string[]> {
    const reply = await this.sendLine(command, { ups });
    this.checkOk(reply, command, ups);
    return reply.words;
  }

  private async ensureTracking(): Promise<void> {
    this.trackingOn ??= this.setTracking(true).catch((error: unknown) => {
      this.trackingOn = undefined;
      throw error;
    });
    return this.trackingOn;
  }

  private async pollTracking(id: string, options: ActionOptions): Promise<TrackingResult> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const intervalMs = options.pollIntervalMs ?? 500;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const result = await this.getTracking(id);
      if (result !== 'PENDING') return result;
      if (performance.now() + intervalMs > deadline) return 'PENDING';
      await delay(intervalMs);
    }
  }

  private async detectCapabilities(): Promise<NutCapabilities> {
    const serverVersion = await this.ver();
    const netVer = await this.netVer();
    let protVer: string | undefined;
    try {
      protVer = await this.protVer();
    } catch (error) {
      if (!hasServerCode(error)) throw error;
    }
    const isSynology = /DSM/i.test(serverVersion);
    this.rightsWords = rightsWordsFor({ protVer, synology: isSynology });
    const version = protVer ?? netVer;
    const is28 = compareVersions(version, '1.3') >= 0 && !isSynology;
    return {
      netVer,
      protVer,
      serverVersion,
      isSynology,
      supportsPrimary: is28,
      supportsTracking: is28,
      supportsListClient: compareVersions(netVer, '1.2') >= 0,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Transport

  private sendLine(
    command: EncodedCommand,
    options: { ups?: string; closing?: boolean; onReplySync?: (reply: LineReply) => void } = {},
  ): Promise<LineReply> {
    return new Promise<LineReply>((resolve, reject) => {
      this.enqueue(
        {
          command,
          context: this.context(options.ups),
          collector: undefined,
          onReplySync: options.onReplySync,
          settle: (outcome) => {
            if ('line' in outcome) resolve(outcome.line);
            else if ('error' in outcome) reject(outcome.error);
            else reject(new Error('internal: LIST outcome for a single-line request'));
          },
        },
        options.closing === true,
      );
    });
  }

  private enqueue(request: PendingRequest, closing = false): void {
    if (this.phase !== 'open' || this.upgrading) {
      request.settle({ error: this.closedError(request) });
      return;
    }
    if (closing) this.phase = 'closing';
    this.pending.push(request);
    this.socket.write(`${request.command.wire}\n`);
    if (this.pending.length === 1) this.restartHeadTimer();
    this.scheduleKeepAlive();
  }

  private closedError(request: PendingRequest): NutError {
    const base = this.cause ?? closedByClientError(this.context());
    return base.with({ command: request.command.redacted, context: request.context });
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    // Sockets of the default factory deliver their bytes through `onread` instead of 'data'.
    const early = sharedReadTargets.get(socket);
    sharedReadTargets.set(socket, this.onData);
    if (Array.isArray(early)) process.nextTick(() => early.forEach(this.onData));
  }

  private detach(socket: net.Socket): void {
    sharedReadTargets.delete(socket);
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    const events = this.reader.push(chunk);
    for (let index = 0; index < events.length; index++) {
      // Each event may close the connection (the phase changes under our feet).
      if (this.isClosed()) return;
      this.handleEvent(events[index]!);
      if (this.upgrading && (index < events.length - 1 || this.reader.hasPartialLine)) {
        this.fail(
          this.protocolError(
            ClientErrorCode.unexpectedReply,
            'The server sent plaintext data after OK STARTTLS, where the TLS handshake should start.',
          ),
        );
        return;
      }
    }
  };

  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  private handleEvent(event: ReaderEvent): void {
    if (event.kind === 'too-long') {
      this.fail(
        this.protocolError(
          ClientErrorCode.lineTooLong,
          `The server sent a line longer than ${event.limit} bytes; upsd never sends more than 512, so this is not a NUT server or the stream is corrupted.`,
        ),
      );
      return;
    }
    const { words, issues } = tokenizeDetailed(event.text);
    if (event.nonPrintableBytes > 0) {
      this.emit(
        'warning',
        `Reply contained ${event.nonPrintableBytes} byte(s) outside printable ASCII; they were dropped as upsd's own parser does.`,
      );
    }
    for (const issue of issues) {
      if (issue !== 'dropped-non-printable')
        this.emit('warning', `Reply tokenized leniently (${issue}): "${describeWords(words)}".`);
    }
    const head = this.pending[0];
    if (!head) {
      this.fail(
        this.protocolError(
          ClientErrorCode.unsolicitedReply,
          `The server sent "${describeWords(words)}" although no request was waiting for a reply. Replies can no longer be matched to requests.`,
        ),
      );
      return;
    }
    if (!head.collector) {
      this.complete(head, { line: { raw: event.text, words } });
      return;
    }
    const step = head.collector.accept(words, event.text.length);
    switch (step.status) {
      case 'continue':
        // No timer refresh: the reply's deadline was fixed when it became the head.
        return;
      case 'too-large':
        this.fail(
          new NutError({
            kind: 'protocol',
            code: ClientErrorCode.replyTooLarge,
            explanation:
              `The server sent ${step.reason} in one LIST reply (${head.collector.itemCount} item(s) kept); real upsd replies are a few hundred lines, ` +
              'so this is not a NUT server, or a broken one. The connection was closed.',
            fix: `Check that ${this.options.host}:${this.options.port} is a NUT server (upsd) and that its driver is sane; it is retried with back-off.`,
            command: head.command.redacted,
            context: head.context,
          }),
        );
        return;
      case 'done':
        this.complete(head, { items: step.items });
        return;
      case 'server-error':
        this.complete(head, {
          error: serverError(step.code, {
            command: head.command.redacted,
            context: head.context,
            rightsWords: this.rightsWords,
          }),
        });
        return;
      case 'unexpected':
        this.fail(
          new NutError({
            kind: 'protocol',
            code: ClientErrorCode.unexpectedReply,
            explanation: `Malformed LIST reply: ${step.reason}. Replies can no longer be matched to requests, so the connection was closed.`,
            fix: `Check that ${this.options.host}:${this.options.port} is a NUT server (upsd); reconnect.`,
            command: head.command.redacted,
            context: head.context,
          }),
        );
        return;
    }
  }

  private complete(request: PendingRequest, outcome: Outcome): void {
    this.pending.shift();
    this.restartHeadTimer();
    if ('line' in outcome) request.onReplySync?.(outcome.line);
    request.settle(outcome);
  }

  private protocolError(code: string, explanation: string): NutError {
    return new NutError({
      kind: 'protocol',
      code,
      explanation,
      fix: `Check that ${this.options.host}:${this.options.port} is a NUT server (upsd) and not another service; reconnect.`,
      context: this.context(),
    });
  }

  private readonly onEnd = (): void => {
    if (this.phase === 'closed') return;
    if (this.phase === 'closing') {
      this.finishGracefully();
      return;
    }
    this.fail(this.serverClosedError());
  };

  private readonly onError = (error: Error): void => {
    if (this.phase === 'closed') return;
    this.fail(socketError(error, { context: this.context() }));
  };

  private readonly onClose = (): void => {
    if (this.phase === 'closed') return;
    if (this.phase === 'closing') {
      this.finishGracefully();
      return;
    }
    this.fail(this.serverClosedError());
  };

  private serverClosedError(): NutError {
    const head = this.pending[0];
    const midLine = this.reader.hasPartialLine ? ' in the middle of a line' : '';
    let explanation: string;
    if (head?.collector?.hasBegun) {
      explanation = `The server closed the connection${midLine} while sending a LIST reply (${head.collector.itemCount} item(s) received); the list is incomplete.`;
    } else if (head) {
      explanation = `The server closed the connection${midLine} before answering. upsd may have been stopped or restarted, or it dropped this client.`;
    } else {
      explanation =
        'The server closed the connection. upsd drops clients that send nothing for 60 s (the keep-alive should prevent that), ' +
        'and closes all connections when it is stopped or restarted.';
    }
    return new NutError({
      kind: 'closed',
      code: ClientErrorCode.connectionClosed,
      explanation,
      fix: 'Reconnect (and LOGIN again). If it keeps happening, check the upsd log on the server.',
      command: head?.command.redacted,
      context: head?.context ?? this.context(),
    });
  }

  /** The head request changed (or made progress): its timeout counts from now. */
  private restartHeadTimer(): void {
    if (this.pending.length === 0 || this.phase === 'closed') return;
    if (this.headTimer) this.headTimer.refresh();
    else this.headTimer = setTimeout(this.onHeadTimer, this.options.requestTimeoutMs);
  }

  /** Every head change refreshes the timer, so when it fires the current head has waited the full timeout. */
  private readonly onHeadTimer = (): void => {
    const head = this.pending[0];
    if (head && this.phase !== 'closed') this.onRequestTimeout(head);
  };

  private onRequestTimeout(request: PendingRequest): void {
    const progress = request.collector?.hasBegun
      ? ` (a LIST reply had started: ${request.collector.itemCount} item(s) received, but the whole reply must arrive within the timeout)`
      : '';
    this.fail(
      new NutError({
        kind: 'timeout',
        code: ClientErrorCode.requestTimeout,
        explanation:
          `No reply within ${this.options.requestTimeoutMs} ms${progress}. upsd may be frozen (e.g. by another client stuck in a TLS ` +
          'handshake), overloaded, or the network dropped. Later replies could no longer be matched to requests, so the connection was closed.',
        fix: 'Reconnect. If it happens again, check the server load and network, or raise requestTimeoutMs.',
        command: request.command.redacted,
        context: request.context,
      }),
    );
  }

  private scheduleKeepAlive(): void {
    const interval = this.options.keepAliveIntervalMs;
    if (interval <= 0 || this.phase !== 'open') return;
    // Re-armed on every send, so it only fires after `interval` of silence from our side.
    if (this.keepAliveTimer) {
      this.keepAliveTimer.refresh();
    } else {
      this.keepAliveTimer = setTimeout(this.onKeepAlive, interval);
      this.keepAliveTimer.unref();
    }
  }

  private readonly onKeepAlive = (): void => {
    if (this.phase !== 'open' || this.upgrading) return;
    if (this.pending.length > 0) {
      // Still waiting for a reply: that request's timeout watches the link.
      this.scheduleKeepAlive();
      return;
    }
    // Failures close the connection and are reported through the `close` event.
    this.sendLine(buildCommand(['VER'])).catch(() => undefined);
  };

  /** Closes because of `error`: rejects everything pending, destroys the socket, emits `close`. */
  private fail(error: NutError): void {
    if (this.phase === 'closed') return;
    this.shutDown(error);
    this.socket.destroy();
    this.plainSocket.destroy();
  }

  /** Deliberate close: pending requests are rejected with CLOSED-BY-CLIENT; the socket is ended politely. */
  private finishGracefully(): void {
    if (this.phase === 'closed') return;
    this.shutDown(undefined);
    const { socket, plainSocket } = this;
    socket.end();
    setTimeout(() => {
      socket.destroy();
      plainSocket.destroy();
    }, LOGOUT_GRACE_MS).unref();
  }

  private shutDown(cause: NutError | undefined): void {
    this.phase = 'closed';
    this.cause = cause;
    this.loggedInAs = undefined;
    if (this.headTimer) clearTimeout(this.headTimer);
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    this.headTimer = undefined;
    this.keepAliveTimer = undefined;
    const rejected = cause ?? closedByClientError(this.context());
    for (const request of this.pending.splice(0)) {
      request.settle({
        error: rejected.with({ command: request.command.redacted, context: request.context }),
      });
    }
    this.emit('close', cause);
    this.resolveClosed(cause);
  }

  // -------------------------------------------------------------------------------------------
  // STARTTLS (main/nut/README.md §1.7)

  private async negotiateTls(): Promise<void> {
    const command = buildCommand(['STARTTLS']);
    let handshake: Promise<tls.TLSSocket> | undefined;
    const reply = await this.sendLine(command, {
      // upsd 2.8.0 handshakes synchronously after OK STARTTLS and freezes for every client until we
      // do: start the handshake right here, before anything else can run.
      onReplySync: (line) => {
        if (line.words[0]?.toUpperCase() === 'OK' && line.words[1]?.toUpperCase() === 'STARTTLS')
          handshake = this.startHandshake();
      },
    });
    if (!handshake) {
      const code = errCodeOf(reply.words) ?? 'UNEXPECTED-REPLY';
      if (this.options.tls.mode === 'opportunistic') {
        this.tlsDeclined = code;
        return;
      }
      const reason = describeErrCode(code, { command: 'STARTTLS' });
      throw new NutError({
        kind: 'tls',
        code: ClientErrorCode.starttlsRefused,
        explanation: `TLS is required but the server declined STARTTLS (${code === 'UNEXPECTED-REPLY' ? `"${describeWords(reply.words)}"` : `ERR ${code}`}): ${reason.explanation}`,
        fix: reason.fix,
        command: command.redacted,
        context: this.context(),
      });
    }
    const secureSocket = await handshake;
    this.upgrading = false;
    this.socket = secureSocket;
    this.reader = new LineReader({ maxLineLength: this.options.maxLineLength });
    const certificate = secureSocket.getPeerCertificate();
    this.tlsState = {
      protocol: secureSocket.getProtocol(),
      fingerprint256: certificate.fingerprint256 || undefined,
    };
    this.attach(secureSocket);
  }

  private startHandshake(): Promise<tls.TLSSocket> {
    const raw = this.socket;
    this.upgrading = true;
    this.detach(raw);
    // Errors of the plain socket surface on the TLS socket; this only keeps them from being unhandled.
    raw.on('error', () => undefined);
    const settings = this.options.tls;
    const identity = settings.servername ?? this.options.host;
    const verify =
      settings.insecure !== true &&
      (settings.caPem !== undefined || this.options.pinnedFingerprint === undefined);
    const secureSocket = tls.connect({
      socket: raw,
      servername: net.isIP(identity) ? undefined : identity,
      rejectUnauthorized: verify,
      ca: settings.caPem === undefined ? undefined : [settings.caPem],
      checkServerIdentity: (_hostname, certificate) =>
        verify ? tls.checkServerIdentity(identity, certificate) : undefined,
    });
    return new Promise<tls.TLSSocket>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        secureSocket.off('secureConnect', onSecure);
        secureSocket.off('error', onError);
        secureSocket.off('close', onClose);
      };
      const failWith = (error: NutError): void => {
        cleanup();
        secureSocket.on('error', () => undefined);
        secureSocket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => {
        failWith(
          this.tlsError(ClientErrorCode.tlsHandshakeTimeout, {
            explanation: `The TLS handshake did not complete within ${settings.handshakeTimeoutMs} ms.`,
            fix: 'Check the network; if the server is slow to answer, raise tls.handshakeTimeoutMs.',
          }),
        );
      }, settings.handshakeTimeoutMs);
      const onSecure = (): void => {
        const pinned = this.options.pinnedFingerprint;
        const actual = secureSocket.getPeerCertificate().fingerprint256;
        if (pinned !== undefined && normalizeFingerprint(actual ?? '') !== pinned) {
          failWith(
            this.tlsError(ClientErrorCode.fingerprintMismatch, {
              explanation: `The server's certificate has SHA-256 fingerprint ${actual || '(none)'}, but ${formatFingerprint(pinned)} is pinned.`,
              fix: 'If the server certificate was deliberately replaced, pin the new fingerprint; otherwise something may be intercepting the connection.',
            }),
          );
          return;
        }
        cleanup();
        resolve(secureSocket);
      };
      const onError = (error: Error): void => failWith(this.tlsHandshakeError(error, identity));
      const onClose = (): void =>
        failWith(
          this.tlsError('ECONNRESET', {
            explanation:
              'The server closed the connection during the TLS handshake (it may not accept this TLS version or its certificate setup is broken).',
            fix: 'Check the upsd log on the server; try tls mode "off" to confirm plaintext works.',
          }),
        );
      secureSocket.once('secureConnect', onSecure);
      secureSocket.once('error', onError);
      secureSocket.once('close', onClose);
    });
  }

  private tlsError(
    code: string,
    text: { explanation: string; fix: string },
    cause?: unknown,
  ): NutError {
    return new NutError({
      kind: 'tls',
      code,
      ...text,
      command: 'STARTTLS',
      context: this.context(),
      cause,
    });
  }

  private tlsHandshakeError(error: Error, identity: string): NutError {
    const code = errnoOf(error) ?? 'TLS-HANDSHAKE-FAILED';
    const pinHint =
      'Provide the server certificate or its CA (caPem), or pin its SHA-256 fingerprint (fingerprint256); "insecure" skips verification (testing only).';
    if (
      [
        'DEPTH_ZERO_SELF_SIGNED_CERT',
        'SELF_SIGNED_CERT_IN_CHAIN',
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
        'UNABLE_TO_GET_ISSUER_CERT',
        'CERT_UNTRUSTED',
      ].includes(code)
    ) {
      return this.tlsError(
        code,
        {
          explanation:
            "The server's certificate is not signed by a trusted CA (upsd certificates are usually self-signed).",
          fix: pinHint,
        },
        error,
      );
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return this.tlsError(
        code,
        {
          explanation: `The server's certificate is not valid for "${identity}" (its names/IP addresses do not include it).`,
          fix: 'Set tls.servername to a name the certificate contains, or re-create the certificate with this host name or IP address as a subject alternative name.',
        },
        error,
      );
    }
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
      return this.tlsError(
        code,
        {
          explanation: `The server's certificate is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} (or a clock is wrong).`,
          fix: 'Renew the certificate on the server and check both clocks.',
        },
        error,
      );
    }
    return this.tlsError(
      code,
      {
        explanation: `The TLS handshake failed: ${error.message}`,
        fix: 'Check the TLS settings on both sides; ' + pinHint,
      },
      error,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isEncoded(value: readonly CommandWord[] | EncodedCommand): value is EncodedCommand {
  return !Array.isArray(value);
}

function isOk(reply: LineReply): boolean {
  return reply.words[0]?.toUpperCase() === 'OK';
}

function toMap(items: string[][]): Map<string, string> {
  return new Map(items.map((item) => [item[0]!, item[1] ?? '']));
}

function parseType(flags: string[]): NutVarType {
  const result: NutVarType = { rw: false, enum: false, range: false, kind: 'UNKNOWN', flags };
  for (const flag of flags) {
    const upper = flag.toUpperCase();
    if (upper === 'RW') result.rw = true;
    else if (upper === 'ENUM') result.enum = true;
    else if (upper === 'RANGE') result.range = true;
    else if (upper === 'NUMBER') result.kind = 'NUMBER';
    else if (upper.startsWith('STRING')) {
      result.kind = 'STRING';
      const length = Number.parseInt(upper.slice('STRING:'.length), 10);
      if (Number.isInteger(length) && length > 0) result.maxLength = length;
    }
  }
  return result;
}

/**
 * DESC/CMDDESC texts are emitted unescaped by upsd, so a `"` inside them breaks tokenizing; then
 * take the text between the first and last quote of the raw line instead.
 */
function descriptionText(reply: LineReply): string {
  if (reply.words.length === 4) return reply.words[3]!;
  const match = /^\s*\S+\s+\S+\s+\S+\s+"(.*)"\s*$/.exec(reply.raw);
  return match ? match[1]! : reply.words.slice(3).join(' ');
}

function closedByClientError(context: NutErrorContext): NutError {
  return new NutError({
    kind: 'closed',
    code: ClientErrorCode.closedByClient,
    explanation: 'The connection was closed by this client before the reply arrived.',
    fix: 'Open a new connection to send more commands.',
    context,
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function normalizeFingerprint(value: string): string {
  return value.replace(/[\s:]/g, '').toUpperCase();
}

function formatFingerprint(normalized: string): string {
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

function resolveOptions(options: NutClientOptions): ResolvedOptions {
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
    createSocket: options.createSocket ?? createSocketWithSharedReads,
  };
}

/**
 * Plaintext sockets of the default factory read into ONE buffer shared by all connections
 * (`onread`) instead of Node allocating a fresh 64 KiB buffer for every read and pushing it through
 * a Readable stream: less allocation and page-faulting on a path taken for every reply. A chunk is
 * consumed synchronously (the LineReader copies what it keeps), so the buffer is never read into
 * while still in use. A TLS socket put over it reads through TLS as usual ('data').
 */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);
/** The client's handler per socket, or copies of chunks read before a client attached. */
const sharedReadTargets = new WeakMap<net.Socket, ((chunk: Buffer) => void) | Buffer[]>();

function onSharedRead(this: net.Socket, bytes: number, buffer: Uint8Array): boolean {
  const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
  const target = sharedReadTargets.get(this);
  if (typeof target === 'function') target(chunk);
  else if (target) target.push(Buffer.from(chunk));
  else sharedReadTargets.set(this, [Buffer.from(chunk)]);
  return true;
}

function createSocketWithSharedReads(target: { host: string; port: number }): net.Socket {
  return net.createConnection({
    ...target,
    onread: { buffer: sharedReadBuffer, callback: onSharedRead },
  });
}

/** Connects the TCP socket, with a timeout that tells a silently-dropping firewall from a refusal. */
function openSocket(options: ResolvedOptions): Promise<net.Socket> {
  const context: NutErrorContext = { host: options.host, port: options.port };
  let socket: net.Socket;
  try {
    socket = options.createSocket({ host: options.host, port: options.port });
  } catch (error) {
    return Promise.reject(socketError(error, { context }));
  }
  return new Promise<net.Socket>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
    };
    const onConnect = (): void => {
      cleanup();
      socket.setNoDelay(true);
      if (options.tcpKeepAliveMs !== undefined) socket.setKeepAlive(true, options.tcpKeepAliveMs);
      resolve(socket);
    };
    const onError = (error: Error): void => {
      cleanup();
      socket.destroy();
      reject(socketError(error, { context, connectTimeoutMs: options.connectTimeoutMs }));
    };
    const timer = setTimeout(() => {
      cleanup();
      socket.on('error', () => undefined);
      socket.destroy();
      reject(connectTimeoutError(context, options.connectTimeoutMs));
    }, options.connectTimeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    // A factory may hand over an already connected socket.
    if (!socket.connecting && socket.remoteAddress !== undefined) onConnect();
  });
}
