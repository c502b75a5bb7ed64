/**
 * Network helpers for the real-upsd test rig (main/testing/upsd-rig.ts) and for tests:
 *
 * - getFreePort, waitFor, sleep: re-exported from main/demo/nut-daemons.ts (the demo needs them too).
 * - {@link RawNutConnection}: a deliberately minimal, independent NUT line client (plaintext only).
 *   The rig uses it for its privileged control connection and for polling, so the rig never depends
 *   on the client under test (main/nut/client.ts). Tests may use it to observe the server directly.
 * - {@link blackholeEndpoint}: a TCP endpoint whose SYNs are silently dropped (connect never completes),
 *   built in a private network namespace; never targets an outside address.
 *
 * Nothing here imports electron.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import { sleep } from '../demo/nut-daemons';

// Shared with the demo's real master (product code), re-exported for the tests.
export { type WaitForOptions, getFreePort, sleep, waitFor } from '../demo/nut-daemons';

const execFileAsync = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Ports

/** Resolves once something accepts TCP connections on host:port; false after `timeoutMs`. */
export async function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------
// NUT line protocol (tokenizer + quoting), independent of main/nut

/**
 * Splits a NUT reply line into words with upsd's rules (main/nut/README.md §1.2): whitespace separates,
 * `"..."` groups, backslash escapes the next character, an unquoted `#` starts a comment.
 */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (inQuotes) {
      if (ch === '"') inQuotes = false;
      else current += ch;
    } else if (ch === '"') {
      inQuotes = true;
      inWord = true;
    } else if (ch === '#') {
      break;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Quotes a free-text argument for a NUT request (escapes `\`, `"` and `#`, always quotes). */
export function quote(value: string): string {
  return `"${value.replace(/[\\"#]/g, (c) => `\\${c}`)}"`;
}

/** An `ERR <code>` reply received by {@link RawNutConnection}. */
export class RawNutError extends Error {
  override readonly name = 'RawNutError';
  constructor(
    readonly code: string,
    readonly request: string,
  ) {
    super(`upsd answered ERR ${code} to ${request}`);
  }
}

interface PendingRequest {
  request: string;
  list: boolean;
  lines: string[];
  resolve: (lines: string[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A minimal plaintext NUT connection: one request per line, replies correlated by order, `LIST`
 * replies collected until `END LIST`. `ERR` replies reject with {@link RawNutError}.
 */
export class RawNutConnection {
  private buffer = '';
  private readonly pending: PendingRequest[] = [];
  private closedError: Error | undefined;
  /** Every line received, for debugging (bounded). */
  readonly received: string[] = [];

  private constructor(
    private readonly socket: net.Socket,
    readonly requestTimeoutMs: number,
  ) {
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed by upsd')));
  }

  static async connect(
    host: string,
    port: number,
    options: { timeoutMs?: number; requestTimeoutMs?: number } = {},
  ): Promise<RawNutConnection> {
    const { timeoutMs = 2_000, requestTimeoutMs = 5_000 } = options;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return new RawNutConnection(socket, requestTimeoutMs);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends one line and resolves with the single reply line (rejects on `ERR`). */
  async request(line: string): Promise<string> {
    const lines = await this.send(line, false);
    return lines[0]!;
  }

  /** Sends a `LIST ...` line and resolves with the item lines between BEGIN and END (rejects on `ERR`). */
  async list(line: string): Promise<string[]> {
    return this.send(line, true);
  }

  /** Writes raw bytes without waiting for anything (for pipelining experiments). */
  writeRaw(data: string): void {
    this.socket.write(data, 'latin1');
  }

  /** `GET VAR` → the value. */
  async getVar(ups: string, name: string): Promise<string> {
    const reply = tokenize(await this.request(`GET VAR ${ups} ${name}`));
    if (reply[0] !== 'VAR' || reply.length < 4)
      throw new Error(`unexpected reply to GET VAR: ${reply.join(' ')}`);
    return reply[3]!;
  }

  /** Sends LOGOUT (best effort) and closes the socket. */
  async close(): Promise<void> {
    if (!this.closed) {
      try {
        await Promise.race([this.request('LOGOUT'), sleep(500)]);
      } catch {
        // already gone
      }
    }
    this.destroy();
  }

  destroy(): void {
    this.fail(new Error('connection closed by the rig'));
    this.socket.destroy();
  }

  private send(line: string, list: boolean): Promise<string[]> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`no reply to "${line}" within ${this.requestTimeoutMs} ms`));
        this.socket.destroy();
      }, this.requestTimeoutMs);
      this.pending.push({ request: line, list, lines: [], resolve, reject, timer });
      this.socket.write(`${line}\n`, 'latin1');
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      if (this.received.length < 1_000) this.received.push(line);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    const head = this.pending[0];
    if (!head) return; // unsolicited (e.g. after LOGOUT); ignore
    const finish = (error: Error | undefined, lines: string[]): void => {
      this.pending.shift();
      clearTimeout(head.timer);
      if (error) head.reject(error);
      else head.resolve(lines);
    };
    if (line.startsWith('ERR ') && head.lines.length === 0) {
      finish(new RawNutError(line.split(/\s+/)[1] ?? '', head.request), []);
      return;
    }
    if (!head.list) {
      finish(undefined, [line]);
      return;
    }
    if (head.lines.length === 0 && !line.startsWith('BEGIN LIST')) {
      finish(new Error(`expected BEGIN LIST in reply to ${head.request}, got: ${line}`), []);
      return;
    }
    if (line.startsWith('END LIST')) {
      finish(undefined, head.lines.slice(1));
      return;
    }
    head.lines.push(line);
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const request of this.pending.splice(0)) {
      clearTimeout(request.timer);
      request.reject(error);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Black-hole endpoint (connect never completes)

export interface BlackholeEndpoint {
  /** An address inside 198.18.0.0/15 (RFC 2544 benchmarking range) routed into a private netns. */
  host: string;
  port: number;
  /**
   * The host side of the veth (198.18.x.y/30): a local, non-loopback address of this machine while
   * the endpoint exists, usable e.g. as a rig's `listen` address ("upsd listens on the LAN only").
   */
  localAddress: string;
  /** The network namespace and host-side veth created for it (for debugging). */
  netns: string;
  hostInterface: string;
  /** Deletes the namespace (and with it both veth ends and the route). Idempotent. */
  cleanup(): Promise<void>;
}

const liveNamespaces = new Set<string>();
let exitHookInstalled = false;

function installNetnsExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const name of liveNamespaces) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    liveNamespaces.clear();
  });
}

async function ip(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', args, { timeout: 10_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`\`ip ${args.join(' ')}\` failed: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * A TCP endpoint where `connect()` never completes: the SYN is sent into a veth whose other end
 * lives in a private network namespace, addressed to a permanent fake neighbour MAC, so the frame
 * is silently discarded there (no RST, no ICMP). The kernel keeps retransmitting the SYN until the
 * caller's own connect timeout fires (Linux would give up only after ~127 s).
 *
 * Method (verified on this Debian host; no iptables/nft needed):
 *   ip netns add nutbh-XXXXXX
 *   ip link add nbhXXXXXXa type veth peer name nbhXXXXXXb netns nutbh-XXXXXX
 *   ip addr add 198.18.A.B/30 dev nbhXXXXXXa; ip link set nbhXXXXXXa up
 *   ip -n nutbh-XXXXXX link set nbhXXXXXXb up          (peer has no IP address at all)
 *   ip neigh replace 198.18.A.B+1 lladdr 02:00:00:00:00:01 dev nbhXXXXXXa nud permanent
 * The target 198.18.A.B+1 is verified with `ip route get` to leave through our veth before this
 * returns, so a half-done setup can never send packets to the default gateway.
 *
 * Needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN for `ip netns`); otherwise throws a clear Error.
 */
export async function blackholeEndpoint(
  options: { port?: number } = {},
): Promise<BlackholeEndpoint> {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new Error(
      `blackholeEndpoint: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create a network namespace with ` +
        `\`ip netns add\` and a veth pair; this process runs as uid ${String(uid)}. Run the tests as root (or in a ` +
        `container with those capabilities); connect-timeout tests cannot be run safely otherwise.`,
    );
  }
  const id = randomBytes(3).toString('hex');
  const netns = `nutbh-${id}`;
  const hostInterface = `nbh${id}a`;
  const peerInterface = `nbh${id}b`;
  // Pick a /30 inside 198.18.0.0/16: .(4k+1) on our side, .(4k+2) the black-holed target.
  const block = randomBytes(2).readUInt16BE(0) & 0x3fff;
  const base = block * 4;
  const hostAddress = `198.18.${base >> 8}.${(base & 0xff) + 1}`;
  const target = `198.18.${base >> 8}.${(base & 0xff) + 2}`;

  try {
    await ip(['netns', 'add', netns]);
  } catch (error) {
    throw new Error(
      `blackholeEndpoint: could not create a network namespace (${(error as Error).message}). ` +
        'It needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN and a writable /run/netns.',
      { cause: error },
    );
  }
  installNetnsExitHook();
  liveNamespaces.add(netns);
  const cleanup = async (): Promise<void> => {
    if (!liveNamespaces.delete(netns)) return;
    await ip(['netns', 'del', netns]);
  };
  try {
    await ip([
      'link',
      'add',
      hostInterface,
      'type',
      'veth',
      'peer',
      'name',
      peerInterface,
      'netns',
      netns,
    ]);
    await ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostInterface]);
    await ip(['link', 'set', hostInterface, 'up']);
    await ip(['-n', netns, 'link', 'set', peerInterface, 'up']);
    await ip([
      'neigh',
      'replace',
      target,
      'lladdr',
      '02:00:00:00:00:01',
      'dev',
      hostInterface,
      'nud',
      'permanent',
    ]);
    const route = await ip(['route', 'get', target]);
    if (!new RegExp(`\\bdev ${hostInterface}\\b`).test(route)) {
      throw new Error(
        `blackholeEndpoint: ${target} is not routed through ${hostInterface} (got: ${route.trim()}); refusing to use it`,
      );
    }
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
  return {
    host: target,
    port: options.port ?? 3493,
    localAddress: hostAddress,
    netns,
    hostInterface,
    cleanup,
  };
}
