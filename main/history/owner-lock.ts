/**
 * Who owns a history file. Opening one file from two stores is refused: node-sqlite3-wasm's VFS
 * locks with a `<db>.lock` directory (mkdir/rmdir), and we run SQLite in EXCLUSIVE locking mode
 * (needed for WAL without shared memory), so a second connection would only ever see
 * "database is locked". A crash leaves that directory behind and would lock the file forever,
 * so next to it we keep `<db>.owner` (pid, host, boot): an owner that is gone (dead pid, earlier
 * boot) is stale and both files are cleared; a live owner is reported as a
 * {@link HistoryLockedError} naming the process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../platform/process-alive';
import { randomHex } from '../platform/unique-id';

export interface OwnerInfo {
  pid: number;
  host: string;
  /** Linux boot_id when readable, else null. */
  bootId: string | null;
  /** Epoch ms of the machine's boot, as computed from the wall clock and uptime. */
  bootTime: number;
  openedAt: number;
  /** Distinguishes this opening from an earlier one with the same pid. */
  token: string;
}

export class HistoryLockedError extends Error {
  readonly code = 'HISTORY_LOCKED';
  constructor(
    readonly filePath: string,
    readonly owner: OwnerInfo | null,
    detail: string,
  ) {
    super(`The history file ${filePath} is in use: ${detail}`);
    this.name = 'HistoryLockedError';
  }
}

/** Paths open in this process (a second store on the same file is refused without touching disk). */
const openInProcess = new Set<string>();

/** Two boot-time estimates within this distance are the same boot (uptime and wall clock drift). */
const SAME_BOOT_TOLERANCE_MS = 5 * 60_000;
/** An unreadable owner file younger than this may be a writer between create and write. */
const UNREADABLE_GRACE_MS = 10_000;

export function ownerFilePath(dbPath: string): string {
  return `${dbPath}.owner`;
}

export function vfsLockDirPath(dbPath: string): string {
  return `${dbPath}.lock`;
}

export interface OwnerLock {
  readonly filePath: string;
  readonly info: OwnerInfo;
  /** Whether a stale owner (crashed process) was cleared on the way in. */
  readonly clearedStale: OwnerInfo | 'unreadable' | null;
  release(): void;
}

function readBootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function currentOwner(now: number): OwnerInfo {
  return {
    pid: process.pid,
    host: os.hostname(),
    bootId: readBootId(),
    bootTime: Math.round(now - os.uptime() * 1000),
    openedAt: now,
    token: randomHex(16),
  };
}

function parseOwner(text: string): OwnerInfo | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const o = value as Record<string, unknown>;
    if (
      typeof o.pid !== 'number' ||
      typeof o.host !== 'string' ||
      typeof o.bootTime !== 'number' ||
      typeof o.token !== 'string'
    ) {
      return null;
    }
    return {
      pid: o.pid,
      host: o.host,
      bootId: typeof o.bootId === 'string' ? o.bootId : null,
      bootTime: o.bootTime,
      openedAt: typeof o.openedAt === 'number' ? o.openedAt : 0,
      token: o.token,
    };
  } catch {
    return null;
  }
}

type Verdict = { stale: true } | { stale: false; detail: string };

function judge(owner: OwnerInfo, me: OwnerInfo): Verdict {
  if (owner.host !== me.host) {
    return {
      stale: false,
      detail: `it is open on host ${owner.host} (pid ${owner.pid}), which cannot be checked from here`,
    };
  }
  const sameBoot =
    owner.bootId !== null && me.bootId !== null
      ? owner.bootId === me.bootId
      : Math.abs(owner.bootTime - me.bootTime) < SAME_BOOT_TOLERANCE_MS;
  if (!sameBoot) return { stale: true };
  // Our own pid but not registered in this process: a previous process that had our pid.
  if (owner.pid === me.pid) return { stale: true };
  if (isProcessAlive(owner.pid)) {
    return {
      stale: false,
      detail: `process ${owner.pid} (opened ${new Date(owner.openedAt).toISOString()}) has it open`,
    };
  }
  return { stale: true };
}

function removeQuietly(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Claims `dbPath` for this process or throws {@link HistoryLockedError}. The caller must have
 * created the directory.
 */
export function acquireOwnerLock(dbPath: string, now: number): OwnerLock {
  const filePath = path.resolve(dbPath);
  if (openInProcess.has(filePath)) {
    throw new HistoryLockedError(
      filePath,
      null,
      'another history store in this process has it open',
    );
  }
  const ownerPath = ownerFilePath(filePath);
  const me = currentOwner(now);
  let clearedStale: OwnerInfo | 'unreadable' | null = null;

  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(ownerPath, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let text: string;
      let mtimeMs: number;
      try {
        text = fs.readFileSync(ownerPath, 'utf8');
        mtimeMs = fs.statSync(ownerPath).mtimeMs;
      } catch (readError) {
        if ((readError as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        throw readError;
      }
      const owner = parseOwner(text);
      if (owner === null) {
        if (Date.now() - mtimeMs < UNREADABLE_GRACE_MS) {
          throw new HistoryLockedError(
            filePath,
            null,
            `${ownerPath} is being written by another process`,
          );
        }
        clearedStale = 'unreadable';
      } else {
        const verdict = judge(owner, me);
        if (!verdict.stale) throw new HistoryLockedError(filePath, owner, verdict.detail);
        clearedStale = owner;
      }
      // The owner crashed: its VFS lock directory is left over too.
      removeQuietly(() => fs.rmSync(vfsLockDirPath(filePath), { recursive: true }));
      removeQuietly(() => fs.unlinkSync(ownerPath));
      continue;
    }
    try {
      fs.writeSync(fd, JSON.stringify(me));
    } finally {
      fs.closeSync(fd);
    }
    openInProcess.add(filePath);
    let released = false;
    return {
      filePath,
      info: me,
      clearedStale,
      release() {
        if (released) return;
        released = true;
        openInProcess.delete(filePath);
        try {
          const owner = parseOwner(fs.readFileSync(ownerPath, 'utf8'));
          if (owner?.token === me.token) fs.unlinkSync(ownerPath);
        } catch {
          // Already gone or unreadable: nothing of ours to remove.
        }
      },
    };
  }
  throw new HistoryLockedError(
    filePath,
    null,
    `could not claim ${ownerPath} (another process keeps replacing it)`,
  );
}
