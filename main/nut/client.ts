/**
 * NutClient: a typed, promise-based client for upsd over one persistent TCP (optionally TLS)
 * connection. Plain Node, no electron.
 *
 * Split as node-postgres splits its client: this file is the NUT commands (main/nut/README.md
 * §1.4) and what their replies mean; connection.ts is the transport (socket, line reader, the
 * FIFO of pending requests, deadlines, keep-alive, limits); starttls.ts the upgrade to TLS;
 * client-options.ts the options and their checks. Requests may be pipelined: upsd answers in
 * order, and the connection matches replies by position.
 */
import { EventEmitter } from 'node:events';
import { type RightsWords, rightsWordsFor } from '../../shared/rights.js';
import type { NutClientOptions } from './client-options.js';
import { type LineReply, NutConnection, type NutConnectionEvents } from './connection.js';
import {
  ClientErrorCode,
  NutError,
  hasServerCode,
  serverError,
  socketError,
  type NutErrorContext,
} from './errors.js';
import { DESCRIPTION_FANOUT } from './limits.js';
import {
  buildCommand,
  compareVersions,
  describeWords,
  errCodeOf,
  quoted,
  secret,
  type CommandWord,
  type EncodedCommand,
} from './protocol.js';
import { negotiateStartTls } from './starttls.js';

export {
  DEFAULT_NUT_PORT,
  normalizeFingerprint,
  type NutClientOptions,
  type NutTlsOptions,
  type SocketFactory,
  type TlsMode,
} from './client-options.js';

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
export type NutClientEvents = NutConnectionEvents;

/** Encoded commands by their words, one map level per word. */
type EncodedTrie = Map<string, EncodedNode>;
interface EncodedNode {
  readonly next: EncodedTrie;
  /** The command whose last word this is, once encoded. */
  command: EncodedCommand | undefined;
}

export class NutClient extends EventEmitter<NutClientEvents> {
  private readonly connection: NutConnection;
  /** Encoded polling commands, reused: a monitor asks the same few things every poll. */
  private encoded: EncodedTrie = new Map();
  private encodedCount = 0;
  private loggedInAs: string | undefined;
  private trackingOn: Promise<void> | undefined;
  private capabilitiesCache: Promise<NutCapabilities> | undefined;
  private tlsState: { protocol: string | null; fingerprint256: string | undefined } | undefined;
  private tlsDeclined: string | undefined;

  private constructor(connection: NutConnection) {
    super();
    this.connection = connection;
    connection.on('close', (cause) => {
      this.loggedInAs = undefined;
      this.emit('close', cause);
    });
    connection.on('warning', (message) => this.emit('warning', message));
  }

  /**
   * Opens the TCP connection, and negotiates STARTTLS according to `options.tls.mode`.
   * Rejects with a NutError: `refused`, `timeout`, `dns`, `unreachable`, `reset`, `tls`, `argument`.
   */
  static async connect(options: NutClientOptions): Promise<NutClient> {
    const connection = await NutConnection.open(options);
    const client = new NutClient(connection);
    if (connection.options.tls.mode !== 'off') {
      try {
        const outcome = await negotiateStartTls(connection);
        if (outcome.kind === 'declined') client.tlsDeclined = outcome.code;
        else
          client.tlsState = { protocol: outcome.protocol, fingerprint256: outcome.fingerprint256 };
      } catch (error) {
        // A protocol error that broke the handshake is the better explanation than its aftermath.
        const failure =
          connection.closeCause ??
          (error instanceof NutError
            ? error
            : socketError(error, { context: connection.context() }));
        connection.fail(failure);
        throw failure;
      }
    }
    connection.scheduleKeepAlive();
    return client;
  }

  // -------------------------------------------------------------------------------------------
  // State

  /** True until the connection is closed (by either side, or after an error). */
  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  get host(): string {
    return this.connection.options.host;
  }

  get port(): number {
    return this.connection.options.port;
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
    return this.connection.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.connection.remotePort;
  }

  /** This side's address as upsd sees it (modulo NAT): what `LIST CLIENT` shows for this connection. */
  get localAddress(): string | undefined {
    return this.connection.localAddress;
  }

  get localPort(): number | undefined {
    return this.connection.localPort;
  }

  /**
   * Reply bytes this client holds right now: the unfinished line plus the items of the LIST replies
   * being collected. Bounded by maxLineLength + maxListBytes (main/nut/limits.ts); for tests and diagnostics.
   */
  get heldReplyBytes(): number {
    return this.connection.heldReplyBytes;
  }

  /** Why the connection closed; undefined while open or after a deliberate close. */
  get closeCause(): NutError | undefined {
    return this.connection.closeCause;
  }

  /** Resolves once the connection is closed, with the same cause as the `close` event. */
  whenClosed(): Promise<NutError | undefined> {
    return this.connection.whenClosed();
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
      if (error instanceof NutError && error.kind === 'closed' && this.connection.isClosed) return;
      throw error;
    }
    this.connection.finishGracefully();
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
    return this.connection.pipeline(send);
  }

  /**
   * Closes the connection: `LOGOUT` first when logged in (after the requests already in flight),
   * then closes the socket. Never throws; idempotent. Requests still pending when not logged in
   * are rejected with `CLOSED-BY-CLIENT`.
   */
  async close(): Promise<void> {
    if (this.connection.isOpen && this.loggedInAs !== undefined) {
      try {
        await this.logout();
      } catch {
        // Closing anyway; the server drops our LOGIN when the socket closes.
      }
    }
    if (this.connection.isOpen) this.connection.finishGracefully();
    await this.connection.whenClosed();
  }

  /**
   * Drops the connection now, without LOGOUT (quitting must not wait on a master that stopped
   * answering): pending requests, a LOGOUT waiting for its reply too, are rejected with
   * `CLOSED-BY-CLIENT` and close() resolves. upsd forgets the LOGIN when the socket closes.
   */
  abort(): void {
    this.loggedInAs = undefined;
    this.connection.abort();
  }

  // -------------------------------------------------------------------------------------------
  // Command helpers

  private context(ups?: string): NutErrorContext {
    return this.connection.context(ups);
  }

  /** Known once capabilities() ran: the words this server's upsd.users understands. */
  private get rightsWords(): RightsWords | undefined {
    return this.connection.rightsWords;
  }

  private sendLine(
    command: EncodedCommand,
    options?: Parameters<NutConnection['request']>[1],
  ): Promise<LineReply> {
    return this.connection.request(command, options);
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
      fix: `Check that ${this.host}:${this.port} is a NUT server (upsd); reconnect.`,
      command: command.redacted,
      context,
    });
    this.connection.fail(error);
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
    if (!hasServerCode(error, 'UNKNOWN-UPS') || !this.connection.isOpen) return error;
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
    const run = (): Promise<string[][]> => this.connection.requestList(command, query, ups);
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
    this.connection.rightsWords = rightsWordsFor({ protVer, synology: isSynology });
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
