/**
 * The connection under NutClient (main/nut/README.md §1.1, §4): one TCP socket (TLS after
 * STARTTLS), the line reader, the FIFO of requests waiting for their reply, the deadline of the
 * oldest one, the keep-alive, and the limits on what a server may send. It knows nothing of the
 * NUT commands: client.ts builds them, starttls.ts upgrades the socket.
 *
 * upsd answers strictly in order and has no request ids, so replies are matched to requests by
 * position only. As soon as the order can no longer be trusted (a request timed out, a reply
 * arrived with no request waiting, a reply had the wrong shape) the connection is closed and
 * every pending request rejected: guessing would hand one request's answer to another.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type tls from 'node:tls';
import type { RightsWords } from '../../shared/rights.js';
import {
  DEFAULT_NUT_PORT,
  type NutClientOptions,
  type ResolvedOptions,
  resolveOptions,
} from './client-options.js';
import {
  ClientErrorCode,
  NutError,
  connectTimeoutError,
  serverError,
  socketError,
  type NutErrorContext,
} from './errors.js';
import { LineReader, type ReaderEvent } from './line-reader.js';
import {
  ListReplyCollector,
  buildCommand,
  describeWords,
  tokenizeDetailed,
  type EncodedCommand,
} from './protocol.js';

/** Events: `close` fires once, with the cause (undefined after a deliberate `close()`/`logout()`). */
export type NutConnectionEvents = {
  close: [cause: NutError | undefined];
  /** Something odd but survivable in the reply stream (non-ASCII bytes, tokenizer oddities). */
  warning: [message: string];
};

export interface LineReply {
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

type Phase = 'open' | 'closing' | 'closed';

const LOGOUT_GRACE_MS = 1000;

export interface RequestOptions {
  ups?: string;
  /** The last request (LOGOUT): nothing may be sent after it. */
  closing?: boolean;
  onReplySync?: (reply: LineReply) => void;
}

export class NutConnection extends EventEmitter<NutConnectionEvents> {
  readonly options: ResolvedOptions;
  /**
   * The words this server's upsd.users understands, once the client detected them: an ERR
   * ACCESS-DENIED (also one ending a LIST) then names the right in the server's own words.
   */
  rightsWords: RightsWords | undefined;
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
  /** Set while the socket is being handed to TLS: no byte may be read or written in plaintext. */
  private upgrading = false;
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
   * Checks the options and opens the TCP connection (plaintext; see starttls.ts for the upgrade).
   * Rejects with a NutError: `refused`, `timeout`, `dns`, `unreachable`, `reset`, `argument`.
   */
  static async open(options: NutClientOptions): Promise<NutConnection> {
    const resolved = resolveOptions(options, createSocketWithSharedReads);
    return new NutConnection(await openSocket(resolved), resolved);
  }

  /** True until the connection is closed or closing (by either side, or after an error). */
  get isOpen(): boolean {
    return this.phase === 'open';
  }

  /** Closed for good (not merely closing after a LOGOUT). */
  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  get remoteAddress(): string | undefined {
    return this.addresses.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.addresses.remotePort;
  }

  get localAddress(): string | undefined {
    return this.addresses.localAddress;
  }

  get localPort(): number | undefined {
    return this.addresses.localPort;
  }

  /** Reply bytes held right now: the unfinished line plus the items of the LIST replies being collected. */
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

  context(ups?: string): NutErrorContext {
    return ups === undefined
      ? { host: this.options.host, port: this.options.port }
      : { host: this.options.host, port: this.options.port, ups };
  }

  /** Sends a command with a one-line reply; resolves with the reply, whatever it says (ERR too). */
  request(command: EncodedCommand, options: RequestOptions = {}): Promise<LineReply> {
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

  /** Sends `LIST <query>` and collects its items within the list limits; an ERR reply rejects. */
  requestList(
    command: EncodedCommand,
    query: readonly string[],
    ups?: string,
  ): Promise<string[][]> {
    return new Promise<string[][]>((resolve, reject) => {
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
  }

  /** Runs `send` with the socket corked, so the lines it sends leave in one write. */
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
   * Hands the socket over to TLS (right after `OK STARTTLS`): from now on no plaintext byte may be
   * read or written. Returns the plain socket to run the handshake on.
   */
  beginUpgrade(): net.Socket {
    const raw = this.socket;
    this.upgrading = true;
    this.detach(raw);
    // Errors of the plain socket surface on the TLS socket; this only keeps them from being unhandled.
    raw.on('error', () => undefined);
    return raw;
  }

  /** The handshake succeeded: requests go over the TLS socket, read by a fresh line reader. */
  completeUpgrade(secureSocket: tls.TLSSocket): void {
    this.upgrading = false;
    this.socket = secureSocket;
    this.reader = new LineReader({ maxLineLength: this.options.maxLineLength });
    this.attach(secureSocket);
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
      if (this.isClosed) return;
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
    // upsd never starts a line with HTTP/: a web server (a NAS's or hypervisor's web interface)
    // answered. Said before the lines that follow its answer fail the connection as unsolicited.
    if (head && words[0]?.startsWith('HTTP/')) {
      this.fail(this.notNutServerError(head.command, words));
      return;
    }
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

  /** `command` was answered with `words`, which no upsd sends: another kind of server listens here. */
  notNutServerError(command: EncodedCommand, words: readonly string[]): NutError {
    const { host, port } = this.options;
    const answer = words.length === 0 ? 'an empty line' : `"${describeWords(words)}"`;
    const web = /^HTTP\//i.test(words[0] ?? '');
    return new NutError({
      kind: 'protocol',
      code: ClientErrorCode.unexpectedReply,
      explanation: `${host}:${port} answered ${command.redacted} with ${answer}, which is not a NUT reply: ${web ? 'a web server' : 'another kind of server'} listens there, not upsd.`,
      fix: `Check the address and port of the NUT server: upsd listens on port ${DEFAULT_NUT_PORT} unless a LISTEN line in its upsd.conf names another${web ? ' (the port of a web interface is not the NUT port)' : ''}.`,
      command: command.redacted,
      context: this.context(),
    });
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

  /** Starts (or re-arms) the keep-alive: a VER after keepAliveIntervalMs of silence from this side. */
  scheduleKeepAlive(): void {
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
    this.request(buildCommand(['VER'])).catch(() => undefined);
  };

  /** Closes because of `error`: rejects everything pending, destroys the socket, emits `close`. */
  fail(error: NutError): void {
    if (this.phase === 'closed') return;
    this.shutDown(error);
    this.socket.destroy();
    this.plainSocket.destroy();
  }

  /** Drops the socket now (no LOGOUT, no FIN wait): pending requests are rejected with CLOSED-BY-CLIENT. */
  abort(): void {
    if (this.phase !== 'closed') this.shutDown(undefined);
    this.socket.destroy();
    this.plainSocket.destroy();
  }

  /** Deliberate close: pending requests are rejected with CLOSED-BY-CLIENT; the socket is ended politely. */
  finishGracefully(): void {
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
