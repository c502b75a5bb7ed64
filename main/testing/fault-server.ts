/**
 * A scripted fake NUT server (on 127.0.0.1 unless told another local address) for the faults a real upsd cannot be made to produce:
 * malformed or over-long lines, replies that never come, a LIST cut off mid-way, non-ASCII bytes,
 * byte-by-byte replies, dropped connections, unsolicited lines, STARTTLS with any certificate.
 *
 * The script sees each request line (LF split, CR stripped) and answers through the connection
 * object. Lines of one connection are handled one after the other, like upsd does, even when the
 * script is async. `close()` destroys every socket the server accepted.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface FaultConnection {
  /** 1-based, in accept order. */
  readonly id: number;
  /** Request lines received on this connection. */
  readonly received: string[];
  /** True once the socket is closed (by either side). */
  readonly closed: boolean;
  /** Raw bytes or text (latin1: one byte per char), no LF added. Resolves once written; a no-op when closed. */
  write(data: string | Uint8Array): Promise<void>;
  /** Each line followed by LF. */
  send(...lines: string[]): Promise<void>;
  /** Writes `data` in pieces of `chunkSize` bytes (default 1), waiting `delayMs` between pieces. */
  writeSlowly(data: string | Uint8Array, delayMs: number, chunkSize?: number): Promise<void>;
  /** Sends FIN (like upsd after LOGOUT or on its 60 s idle timeout); resolves when the socket is closed. */
  end(): Promise<void>;
  /** Drops the connection with a TCP RST (the client sees ECONNRESET). */
  reset(): void;
  /** Switches this connection to TLS as the server side (call right after sending `OK STARTTLS`). */
  startTls(options: { key: string; cert: string }): Promise<void>;
  /** Sends `OK STARTTLS` and switches to TLS before the client's handshake can arrive. */
  acceptStartTls(options: { key: string; cert: string }): Promise<void>;
  /** Resolves when the socket is closed. */
  whenClosed(): Promise<void>;
}

export type FaultScript = (line: string, connection: FaultConnection) => void | Promise<void>;

export interface FaultServerOptions {
  /** Runs when a client connects, before any line is handled (e.g. to send an unsolicited line). */
  onConnection?: (connection: FaultConnection) => void | Promise<void>;
  /** Local address to listen on (default 127.0.0.1), e.g. an address of a test network's bridge. */
  host?: string;
  /** Default: a port the OS picks. */
  port?: number;
}

export interface FaultServer {
  readonly host: string;
  readonly port: number;
  /** Every request line, all connections, in arrival order. */
  readonly received: string[];
  readonly connections: readonly FaultConnection[];
  /** Errors thrown by the script (a failing script must fail the test: `close()` rethrows them). */
  readonly scriptErrors: unknown[];
  /** Resolves with connection `index` (0-based) once it is accepted; by default the next one to come. */
  waitForConnection(index?: number): Promise<FaultConnection>;
  /** Resolves once `count` request lines have arrived in total. */
  waitForLines(count: number): Promise<void>;
  /** Destroys every accepted socket and stops listening; rejects if the script threw. */
  close(): Promise<void>;
}

/** Starts a fault server on 127.0.0.1 (or `options.host`) with an OS-chosen port (or `options.port`). */
export async function startFaultServer(
  script: FaultScript,
  options: FaultServerOptions = {},
): Promise<FaultServer> {
  const received: string[] = [];
  const connections: FaultConnectionImpl[] = [];
  const scriptErrors: unknown[] = [];
  const changeWaiters = new Set<() => void>();
  const notify = (): void => {
    for (const waiter of [...changeWaiters]) waiter();
  };
  const waitUntil = (predicate: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      if (predicate()) {
        resolve();
        return;
      }
      const check = (): void => {
        if (!predicate()) return;
        changeWaiters.delete(check);
        resolve();
      };
      changeWaiters.add(check);
    });

  const server = net.createServer((socket) => {
    const connection = new FaultConnectionImpl(connections.length + 1, socket, script, {
      onLine: (line) => {
        received.push(line);
        notify();
      },
      onScriptError: (error) => scriptErrors.push(error),
    });
    connections.push(connection);
    notify();
    connection.begin(options.onConnection);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;

  return {
    host: options.host ?? '127.0.0.1',
    port: address.port,
    received,
    connections,
    scriptErrors,
    async waitForConnection(index = connections.length) {
      await waitUntil(() => connections.length > index);
      return connections[index]!;
    },
    waitForLines: (count) => waitUntil(() => received.length >= count),
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.destroy();
      await Promise.all(connections.map((connection) => connection.whenClosed()));
      await closing;
      changeWaiters.clear();
      if (scriptErrors.length > 0)
        throw new AggregateError(scriptErrors, 'The fault-server script threw');
    },
  };
}

class FaultConnectionImpl implements FaultConnection {
  readonly received: string[] = [];
  private stream: net.Socket;
  private readonly plain: net.Socket;
  private pendingText = '';
  private queue: Promise<void> = Promise.resolve();
  private readonly closedPromise: Promise<void>;
  private markClosed!: () => void;
  private isClosed = false;

  constructor(
    readonly id: number,
    socket: net.Socket,
    private readonly script: FaultScript,
    private readonly hooks: { onLine(line: string): void; onScriptError(error: unknown): void },
  ) {
    this.plain = socket;
    this.stream = socket;
    // Clients in these tests misbehave on purpose; a reset must not crash the test process.
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) => {
      this.markClosed = () => {
        this.isClosed = true;
        resolve();
      };
    });
    socket.once('close', () => this.markClosed());
    socket.on('data', this.onData);
  }

  get closed(): boolean {
    // Destroyed counts at once: a script looping on writes (which resolve at once when destroyed)
    // would otherwise never let the 'close' event run.
    return this.isClosed || this.stream.destroyed || this.plain.destroyed;
  }

  begin(onConnection: FaultServerOptions['onConnection']): void {
    if (onConnection) this.enqueue(() => onConnection(this));
  }

  write(data: string | Uint8Array): Promise<void> {
    if (this.isClosed || this.stream.destroyed || this.stream.writableEnded)
      return Promise.resolve();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    return new Promise((resolve) => this.stream.write(bytes, () => resolve()));
  }

  send(...lines: string[]): Promise<void> {
    return this.write(lines.map((line) => `${line}\n`).join(''));
  }

  async writeSlowly(data: string | Uint8Array, delayMs: number, chunkSize = 1): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    for (let offset = 0; offset < bytes.length && !this.isClosed; offset += chunkSize) {
      await this.write(bytes.subarray(offset, offset + chunkSize));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  end(): Promise<void> {
    this.stream.end();
    // The client normally closes its side in response; do not wait forever if it does not.
    const force = setTimeout(() => this.destroy(), 2000);
    return this.closedPromise.finally(() => clearTimeout(force));
  }

  reset(): void {
    this.plain.resetAndDestroy();
  }

  destroy(): void {
    this.stream.destroy();
    this.plain.destroy();
  }

  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  async acceptStartTls(options: { key: string; cert: string }): Promise<void> {
    // The write callback runs before the next socket read is dispatched, so the client's
    // ClientHello always reaches the TLS socket, never the plaintext line splitter.
    await this.send('OK STARTTLS');
    return this.startTls(options);
  }

  startTls(options: { key: string; cert: string }): Promise<void> {
    this.plain.off('data', this.onData);
    this.pendingText = '';
    const secure = new tls.TLSSocket(this.plain, {
      isServer: true,
      key: options.key,
      cert: options.cert,
    });
    secure.on('error', () => undefined);
    secure.once('close', () => this.markClosed());
    secure.on('data', this.onData);
    this.stream = secure;
    return new Promise((resolve) => {
      secure.once('secure', () => resolve());
      secure.once('close', () => resolve());
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    this.pendingText += chunk.toString('latin1');
    let newline = this.pendingText.indexOf('\n');
    while (newline !== -1) {
      const line = this.pendingText.slice(0, newline).replace(/\r$/, '');
      this.pendingText = this.pendingText.slice(newline + 1);
      this.received.push(line);
      this.hooks.onLine(line);
      this.enqueue(() => this.script(line, this));
      newline = this.pendingText.indexOf('\n');
    }
  };

  private enqueue(step: () => void | Promise<void>): void {
    this.queue = this.queue.then(step).catch((error: unknown) => {
      this.hooks.onScriptError(error);
      this.destroy();
    });
  }
}

/**
 * A script answering from a table of exact request lines; a value may be one reply line or
 * several (for LIST). Unknown requests get `ERR UNKNOWN-COMMAND`, like upsd.
 */
export function scriptFromTable(table: Record<string, string | readonly string[]>): FaultScript {
  return async (line, connection) => {
    const reply = Object.hasOwn(table, line) ? table[line]! : 'ERR UNKNOWN-COMMAND';
    await connection.send(...(typeof reply === 'string' ? [reply] : reply));
  };
}
