/**
 * The service's local control channel: the desktop app (and `web`) attach here instead of
 * running a core of their own, so a machine has one LOGIN per UPS. It carries exactly the
 * bridge's protocol — `{ id, channel, request }` → `{ id, ok, response | error }` plus
 * `{ push, payload }`, dispatched by main/core/dispatch.ts — one JSON message per line.
 *
 * Authorisation: the socket file (0660, root and the `nut-sentinel` group, in a 0750 folder of
 * the same owner; see ./endpoint.ts), and on Linux the peer's credentials (./peer-credentials.ts):
 * a connection from a user who is neither root nor in the group is answered with a refusal that
 * says how to get access, then closed. On Windows the pipe's default ACL (./endpoint.ts).
 *
 * Hand-over: the service listens before it logs in. A desktop app that was monitoring on its own
 * sees the socket appear (it checks twice a second), sends `control:stopping-own-core`, logs out,
 * and sends `control:released`; the service waits for that (at most `releaseTimeoutMs`) and for
 * `handoverMs` after it started listening, then starts its core. So the app's sessions and the
 * service's never overlap. Stopping is the mirror image: the agent stops its core (LOGOUT) before
 * it closes this channel, and only then do attached apps start their own.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import {
  CONTROL_GROUP,
  CONTROL_RELEASED_CHANNEL,
  type ControlHello,
  type ServiceStatus,
} from '../../shared/control';
import { type ApiHandlers, type BridgeServerMessage, PUSH_CHANNELS } from '../../shared/ipc';
import type { CoreService } from '../core/core-service';
import { busyReply, dispatchInvoke, parseClientMessage } from '../core/dispatch';
import type { Logger } from '../platform/ports';
import {
  CONTROL_DIR_MODE,
  CONTROL_SOCKET_MODE,
  type WindowsPipeAccess,
  windowsPipeListenOptions,
} from './endpoint';
import { linuxPeerCredentials, type PeerCredentials, peerAllowed } from './peer-credentials';
import { readLines, writeMessage } from './wire';

export const CONTROL_STOPPING_CHANNEL = 'control:stopping-own-core';

export interface ControlServerOptions {
  core: CoreService;
  endpoint: string;
  logger: Logger;
  version: string;
  platform?: NodeJS.Platform;
  /** POSIX: the group that may connect (default `nut-sentinel`); null: root only. */
  group?: string | null;
  /** Windows: who may open the pipe (default administrators). */
  windowsAccess?: WindowsPipeAccess;
  /** How long after listening the service waits for apps to hand over (default 2 s). */
  handoverMs?: number;
  /** The longest it waits for one app that said it is logging out (default 20 s). */
  releaseTimeoutMs?: number;
  /** Tests: the socket's mode instead of 0660 (to reach the peer check with a second uid). */
  socketMode?: number;
  /** Linux peer lookup (tests may replace it); null turns the check off. */
  peerCredentials?: ((socket: Socket) => Promise<PeerCredentials | null>) | null;
  /** Simultaneous clients. */
  maxClients?: number;
  /** Outstanding requests per client before BUSY. */
  maxPendingPerClient?: number;
}

export interface ControlServer {
  readonly endpoint: string;
  readonly state: 'starting' | 'running';
  /** The gid of the control group, or null when the group does not exist here. */
  readonly groupId: number | null;
  /** Resolves when no app is still handing over (see the module comment); then start the core. */
  handover(): Promise<void>;
  /** Tells every client that the service now monitors. */
  setRunning(): void;
  /** Closes every connection and removes the socket. Call after the core has stopped. */
  close(): Promise<void>;
}

export class ControlEndpointError extends Error {
  constructor(
    readonly explanation: string,
    readonly fix: string,
  ) {
    super(explanation);
    this.name = 'ControlEndpointError';
  }
}

/** The socket (or its folder) cannot be created by this user. */
function mayNotCreate(endpoint: string): ControlEndpointError {
  const uid = process.getuid?.();
  return new ControlEndpointError(
    `This agent${uid === undefined ? '' : ` (uid ${uid})`} may not create its control socket ${endpoint}.`,
    'Run the service as root (as `service install` sets it up), give --control-socket a path this user may write, or leave --control-socket out (then no desktop app can attach).',
  );
}

/** The gid of a group (`getent` knows NSS groups; /etc/group as the fallback), or null. */
export async function lookupGroupId(name: string): Promise<number | null> {
  const fromGetent = await new Promise<string | null>((resolve) => {
    execFile('getent', ['group', name], { timeout: 3000 }, (error, stdout) =>
      resolve(error ? null : stdout),
    );
  });
  const text = fromGetent ?? (await readFile('/etc/group', 'utf8').catch(() => ''));
  for (const line of text.split('\n')) {
    const [groupName, , gid] = line.split(':');
    if (groupName === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return null;
}

interface Client {
  socket: Socket;
  pending: number;
  peer: PeerCredentials | null;
}

/** The service's answer to `service:status` asked over its own channel. */
function serviceStatusHere(endpoint: string): ServiceStatus {
  return {
    mode: 'service',
    endpoint,
    problem: null,
    install: { available: false, command: '', reason: 'This is the background service.' },
  };
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { core, endpoint, logger } = options;
  const platform = options.platform ?? process.platform;
  const posix = platform !== 'win32';
  const groupName = options.group === undefined ? CONTROL_GROUP : options.group;
  const groupId = posix && groupName !== null ? await lookupGroupId(groupName) : null;
  const maxClients = options.maxClients ?? 32;
  const maxPending = options.maxPendingPerClient ?? 64;
  const peerLookup =
    options.peerCredentials === undefined
      ? platform === 'linux'
        ? linuxPeerCredentials
        : null
      : options.peerCredentials;
  const handlers: ApiHandlers = {
    ...core.handlers,
    'service:status': () => Promise.resolve(serviceStatusHere(endpoint)),
  };

  let state: 'starting' | 'running' = 'starting';
  const clients = new Set<Client>();
  /** Clients that said they are logging out of their own sessions, with when they said so. */
  const releasing = new Map<Client, number>();
  const releaseWaiters = new Set<() => void>();
  const notifyRelease = (): void => {
    for (const wake of releaseWaiters) wake();
  };

  if (posix) await prepareSocketPath(endpoint, groupId, groupName, logger);

  const send = (client: Client, message: BridgeServerMessage | ControlHello | object): void => {
    if (!writeMessage(client.socket, message)) clients.delete(client);
  };

  const refuse = (socket: Socket, message: string): void => {
    socket.end(`${JSON.stringify({ refused: message })}\n`);
  };

  const accept = async (socket: Socket): Promise<void> => {
    socket.on('error', () => socket.destroy());
    if (clients.size >= maxClients) {
      refuse(socket, `The NUT Sentinel service already has ${maxClients} local clients.`);
      return;
    }
    let peer: PeerCredentials | null = null;
    if (peerLookup) {
      peer = await peerLookup(socket).catch(() => null);
      if (peer && !peerAllowed(peer, groupId)) {
        logger.log('warn', 'control connection refused', { uid: peer.uid, pid: peer.pid });
        refuse(
          socket,
          `User ${peer.uid} may not control the NUT Sentinel service: only root and members of the "${groupName ?? 'root'}" group can. ` +
            `Add the user to the group (sudo usermod -aG ${groupName ?? CONTROL_GROUP} USER), then log out and in again.`,
        );
        return;
      }
    }
    if (socket.destroyed) return;
    const client: Client = { socket, pending: 0, peer };
    clients.add(client);
    const drop = (): void => {
      clients.delete(client);
      if (releasing.delete(client)) notifyRelease();
    };
    socket.on('close', drop);
    send(client, {
      hello: 'nut-sentinel',
      version: options.version,
      pid: process.pid,
      state,
    } satisfies ControlHello);
    readLines(
      socket,
      (line) => void handleLine(client, line),
      () => {
        send(client, {
          id: -1,
          ok: false,
          error: { code: 'INVALID-MESSAGE', message: 'A control message is too large.' },
        });
        socket.destroySoon();
      },
    );
    logger.log('debug', 'control client attached', peer ? { uid: peer.uid, pid: peer.pid } : {});
  };

  const handleLine = async (client: Client, line: string): Promise<void> => {
    const parsed = parseClientMessage(line);
    if (!parsed.ok) {
      send(client, parsed.reply);
      return;
    }
    const { id, channel, request } = parsed.message;
    if (channel === CONTROL_STOPPING_CHANNEL) {
      if (state === 'starting') releasing.set(client, Date.now());
      send(client, { id, ok: true, response: { state } });
      return;
    }
    if (channel === CONTROL_RELEASED_CHANNEL) {
      if (releasing.delete(client)) notifyRelease();
      send(client, { id, ok: true, response: { state } });
      return;
    }
    if (client.pending >= maxPending) {
      send(client, busyReply(id, maxPending));
      return;
    }
    client.pending += 1;
    try {
      const result = await dispatchInvoke(handlers, channel, request);
      send(
        client,
        result.ok
          ? { id, ok: true, response: result.response }
          : { id, ok: false, error: result.error },
      );
    } finally {
      client.pending -= 1;
    }
  };

  const server: Server = createServer((socket) => void accept(socket));
  server.maxConnections = (options.maxClients ?? 32) + 4;
  // The socket is born 0600 (bind happens inside listen()); secureSocket then opens it to the group.
  const previousUmask = posix ? process.umask(0o177) : null;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      {
        path: endpoint,
        exclusive: true,
        ...(posix ? {} : windowsPipeListenOptions(options.windowsAccess ?? 'administrators')),
      },
      () => {
        server.off('error', reject);
        resolve();
      },
    );
    if (previousUmask !== null) process.umask(previousUmask);
  }).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new ControlEndpointError(
        `Another NUT Sentinel service already listens on ${endpoint}.`,
        'Stop it first (systemctl stop nut-sentinel), or give this agent another --control-socket.',
      );
    if (code === 'EACCES' || code === 'EPERM') throw mayNotCreate(endpoint);
    throw error;
  });
  if (posix)
    await secureSocket(
      endpoint,
      groupId,
      options.socketMode ?? (groupId === null ? 0o600 : CONTROL_SOCKET_MODE),
    );
  const listeningSince = Date.now();
  logger.log('info', `control socket ${endpoint}`, {
    group: groupId === null ? '(root only)' : groupName,
  });

  const unsubscribers = PUSH_CHANNELS.map((channel) =>
    core.onPush(channel, (payload) => {
      for (const client of clients) send(client, { push: channel, payload });
    }),
  );

  const releaseTimeoutMs = options.releaseTimeoutMs ?? 20_000;
  const handoverMs = options.handoverMs ?? 2_000;

  let closing: Promise<void> | null = null;
  return {
    endpoint,
    groupId,
    get state() {
      return state;
    },
    async handover() {
      for (;;) {
        const now = Date.now();
        for (const [client, since] of releasing) {
          if (now - since > releaseTimeoutMs) {
            logger.log('warn', 'an attached app did not hand over in time; starting anyway');
            releasing.delete(client);
          }
        }
        const windowLeft = listeningSince + handoverMs - now;
        if (windowLeft <= 0 && releasing.size === 0) return;
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            clearTimeout(timer);
            releaseWaiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(
            wake,
            Math.max(50, Math.min(windowLeft > 0 ? windowLeft : 250, 250)),
          );
          releaseWaiters.add(wake);
        });
      }
    },
    setRunning() {
      state = 'running';
      for (const client of clients) send(client, { state });
    },
    close() {
      closing ??= (async () => {
        for (const off of unsubscribers) off();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const client of clients) client.socket.destroy();
          clients.clear();
        });
        if (posix) await rm(endpoint, { force: true }).catch(() => undefined);
      })();
      return closing;
    },
  };
}

/** The socket's folder (created 0750, root and the group) and no stale socket left in it. */
async function prepareSocketPath(
  endpoint: string,
  groupId: number | null,
  groupName: string | null,
  logger: Logger,
): Promise<void> {
  const dir = path.dirname(endpoint);
  const created = await mkdir(dir, { recursive: true, mode: CONTROL_DIR_MODE }).catch(
    (error: NodeJS.ErrnoException) => {
      throw error.code === 'EACCES' || error.code === 'EPERM' ? mayNotCreate(endpoint) : error;
    },
  );
  if (created !== undefined || (await ownedByUs(dir))) {
    // Only a folder this process owns is re-permissioned: never chmod /tmp or /run.
    if (path.basename(dir) !== 'tmp' && dir !== '/run' && dir !== '/var/run') {
      await chmod(dir, CONTROL_DIR_MODE);
      if (groupId !== null)
        await chown(dir, process.getuid?.() ?? 0, groupId).catch(() => undefined);
    }
  }
  if (groupId === null && groupName !== null)
    logger.log(
      'warn',
      `group "${groupName}" does not exist: only root can use the control socket (create it with: groupadd --system ${groupName})`,
    );
  const existing = await lstat(endpoint).catch(() => null);
  if (existing === null) return;
  if (!existing.isSocket())
    throw new ControlEndpointError(
      `${endpoint} exists and is not a socket; the control socket would replace it.`,
      'Remove that file or choose another --control-socket.',
    );
  // A socket left by a crashed agent: refuse if something still answers there.
  const alive = await new Promise<boolean>((resolve) => {
    const socket = connect(endpoint);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (alive)
    throw new ControlEndpointError(
      `Another NUT Sentinel service already listens on ${endpoint}.`,
      'Stop it first (systemctl stop nut-sentinel), or give this agent another --control-socket.',
    );
  await rm(endpoint, { force: true });
}

async function ownedByUs(file: string): Promise<boolean> {
  const info = await lstat(file).catch(() => null);
  return info !== null && info.isDirectory() && info.uid === (process.getuid?.() ?? -1);
}

async function secureSocket(endpoint: string, groupId: number | null, mode: number): Promise<void> {
  if (groupId !== null)
    await chown(endpoint, process.getuid?.() ?? 0, groupId).catch(() => undefined);
  await chmod(endpoint, mode);
}
