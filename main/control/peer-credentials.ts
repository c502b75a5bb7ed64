/**
 * Who is on the other end of an accepted control connection (Linux). Node has no SO_PEERCRED,
 * so this asks the kernel's socket diagnostics through `ss` (iproute2, on every systemd
 * machine): our end's inode (from /proc/self/fd) names the peer's inode, `ss -p` names the
 * process holding it, and /proc/<pid>/status gives its uid, gid and supplementary groups. The
 * service runs as root, so it can see every process. Where any of that is missing (no `ss`,
 * another OS) the answer is `null` and the socket's file permissions alone decide.
 */
import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  groups: number[];
}

/** The inode of a socket file descriptor of this process (`socket:[123]`). */
async function ownInode(fd: number): Promise<number | null> {
  const link = await readlink(`/proc/self/fd/${fd}`).catch(() => null);
  const match = link === null ? null : /^socket:\[(\d+)\]$/.exec(link);
  return match ? Number(match[1]) : null;
}

function ssUnixSockets(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'ss',
      ['-x', '-p', '-n', '-H'],
      { timeout: 3000, maxBuffer: 16 * 1024 * 1024, env: { PATH: process.env.PATH ?? '' } },
      (error, stdout) => (error ? reject(new Error(error.message)) : resolve(stdout)),
    );
  });
}

/**
 * From `ss -xpnH` output: the pid that holds the socket whose inode is `inode`. Rows read
 * `u_str ESTAB 0 0 <local-path|*> <local-inode> <peer-path|*> <peer-inode> users:(("name",pid=N,fd=M))`.
 */
export function pidOfSocketInode(ssOutput: string, inode: number): number | null {
  for (const line of ssOutput.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    if (Number(fields[5]) !== inode) continue;
    const pid = /pid=(\d+)/.exec(line);
    return pid ? Number(pid[1]) : null;
  }
  return null;
}

/** The peer inode of our socket `inode` in the same output. */
export function peerInodeOf(ssOutput: string, inode: number): number | null {
  for (const line of ssOutput.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    if (Number(fields[5]) === inode) return Number(fields[7]) || null;
  }
  return null;
}

/** Uid, gid and groups from /proc/<pid>/status (the real ids). */
export function parseProcStatus(text: string): Omit<PeerCredentials, 'pid'> | null {
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const uid = field('Uid')?.split(/\s+/)[0];
  const gid = field('Gid')?.split(/\s+/)[0];
  if (uid === undefined || gid === undefined) return null;
  const groups = (field('Groups') ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n));
  return { uid: Number(uid), gid: Number(gid), groups };
}

/** The peer of an accepted Unix socket connection, or null when it cannot be told here. */
export async function linuxPeerCredentials(socket: Socket): Promise<PeerCredentials | null> {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  const inode = await ownInode(fd);
  if (inode === null) return null;
  const output = await ssUnixSockets().catch(() => null);
  if (output === null) return null;
  const peer = peerInodeOf(output, inode);
  if (peer === null) return null;
  const pid = pidOfSocketInode(output, peer);
  if (pid === null) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const ids = status === null ? null : parseProcStatus(status);
  return ids ? { pid, ...ids } : null;
}

/** May this peer use the service: root, or a member of the control group (primary or supplementary). */
export function peerAllowed(peer: PeerCredentials, groupId: number | null): boolean {
  if (peer.uid === 0 || peer.uid === process.getuid?.()) return true;
  if (groupId === null) return false;
  return peer.gid === groupId || peer.groups.includes(groupId);
}
