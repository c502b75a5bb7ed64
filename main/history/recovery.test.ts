import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  folderFix,
  HistoryLockedError,
  HistoryStore,
  type HistoryStoreOptions,
} from './history-store';
import { SCHEMA_VERSION } from './migrations';
import { Database, sqliteEngine } from './sqlite';
import type { LogLevel } from '../platform/ports';
import { event, exited, firstLine, makeTempDir, sample, spawnChild } from './testing/helpers';

const T0 = Date.UTC(2025, 0, 1);

let dir: string;
let dbPath: string;
const open: HistoryStore[] = [];
const logs: { level: LogLevel; message: string }[] = [];
const logger = { log: (level: LogLevel, message: string) => void logs.push({ level, message }) };

function openStore(options: Partial<HistoryStoreOptions> = {}, file = dbPath): HistoryStore {
  const store = HistoryStore.open(file, {
    retentionDays: 3650,
    maxEvents: 1_000_000,
    pruneOnOpen: false,
    logger,
    ...options,
  });
  open.push(store);
  return store;
}

function siblings(): string[] {
  return fs.readdirSync(dir).sort();
}

/** A real history file with some data, closed. */
function writeHealthyFile(samples = 2000): void {
  const store = openStore();
  store.appendEvent(event({ at: T0, message: 'before the damage' }));
  for (let i = 0; i < samples; i++)
    store.appendSample(
      sample(T0 + i * 1000, { load: i % 100, status: `OL ${'x'.repeat(i % 40)}` }),
    );
  store.close();
}

beforeEach(() => {
  dir = makeTempDir();
  dbPath = path.join(dir, 'history.db');
  logs.length = 0;
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function expectFreshStoreThatReported(
  store: HistoryStore,
  reason: string,
  movedPrefix: string,
): string {
  expect(store.inMemory).toBe(false);
  expect(store.recoveries).toHaveLength(1);
  const recovery = store.recoveries[0]!;
  expect(recovery.reason).toBe(reason);
  expect(recovery.inMemory).toBe(false);
  expect(recovery.movedTo).not.toBeNull();
  expect(path.basename(recovery.movedTo!)).toMatch(
    new RegExp(`^history\\.db\\.${movedPrefix}-\\d{4}-\\d{2}-\\d{2}T`),
  );
  // Reported: logged, and recorded as the first event of the new file.
  expect(logs.some((l) => l.level === 'error' && l.message.includes(recovery.movedTo!))).toBe(true);
  const events = store.queryEvents({});
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({
    monitorId: '*',
    kind: 'system',
    type: 'HISTORY_RESET',
    severity: 'warning',
  });
  expect(events[0]!.message).toContain(recovery.movedTo!);
  // …and the new file works.
  store.appendSample(sample(T0));
  expect(store.querySamples({ monitorId: 'nas/ups', from: T0, to: T0 })).toHaveLength(1);
  return recovery.movedTo!;
}

describe('corrupt or unreadable files', () => {
  it('moves a non-database file aside and starts fresh', () => {
    const garbage = Buffer.from(
      'this is not an SQLite database, just some text that got here somehow\n'.repeat(100),
    );
    fs.writeFileSync(dbPath, garbage);
    const store = openStore();
    const movedTo = expectFreshStoreThatReported(store, 'corrupt', 'corrupt');
    expect(fs.readFileSync(movedTo)).toEqual(garbage);
  });

  function truncateToHalf(): void {
    const size = fs.statSync(dbPath).size;
    expect(size).toBeGreaterThan(40_000);
    fs.truncateSync(dbPath, Math.floor(size / 2));
  }

  function damageMiddlePages(): void {
    const fd = fs.openSync(dbPath, 'r+');
    const size = fs.fstatSync(fd).size;
    // Scribble over a few pages past the schema (page 1) but inside the data.
    fs.writeSync(fd, Buffer.alloc(3 * 4096, 0xa5), 0, 3 * 4096, Math.floor(size / 2 / 4096) * 4096);
    fs.closeSync(fd);
  }

  /** What a process that died with the file open leaves behind (its boot is over, so it is stale). */
  function leaveCrashedOwner(): void {
    fs.writeFileSync(
      `${dbPath}.owner`,
      JSON.stringify({
        pid: 1,
        host: os.hostname(),
        bootId: 'an-earlier-boot',
        bootTime: 0,
        openedAt: 0,
        token: 't',
      }),
    );
    fs.mkdirSync(`${dbPath}.lock`);
  }

  it('detects a truncated file with checkOnOpen: always', () => {
    writeHealthyFile();
    truncateToHalf();
    const store = openStore({ checkOnOpen: 'always' });
    expectFreshStoreThatReported(store, 'corrupt', 'corrupt');
  });

  it('detects damaged pages in the middle of the file with checkOnOpen: always', () => {
    writeHealthyFile();
    damageMiddlePages();
    const store = openStore({ checkOnOpen: 'always' });
    expectFreshStoreThatReported(store, 'corrupt', 'corrupt');
  });

  it('checks the file at open after a crash (the default policy)', () => {
    writeHealthyFile();
    damageMiddlePages();
    leaveCrashedOwner();
    const store = openStore();
    expectFreshStoreThatReported(store, 'corrupt', 'corrupt');
  });

  it('skips the check after a clean close, and catches the damage on first use instead', () => {
    writeHealthyFile();
    damageMiddlePages();
    const store = openStore();
    expect(store.recoveries).toEqual([]);
    // The first read of a missing page finds the damage; the query is answered from the fresh file.
    expect(store.querySamples({ monitorId: 'nas/ups', from: T0, to: T0 + 10_000_000 })).toEqual([]);
    expectFreshStoreThatReported(store, 'corrupt', 'corrupt');
  });

  it('sets aside a file from a newer app version instead of misreading it', () => {
    const db = new Database(dbPath);
    db.exec('CREATE TABLE future (x); PRAGMA user_version = 99;');
    db.close();
    const store = openStore();
    const movedTo = expectFreshStoreThatReported(store, 'newer-schema', 'newer-v99');
    // Left as it was: still in rollback-journal mode, readable by a plain connection.
    const check = new Database(movedTo);
    expect(check.all('PRAGMA user_version')).toEqual([{ user_version: 99 }]);
    expect(check.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'delete' }]);
    check.close();
  });

  it('runs in memory, and says so, when no file can be created at all', () => {
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, 'x');
    const store = openStore({}, path.join(blocker, 'history.db'));
    expect(store.inMemory).toBe(true);
    expect(store.recoveries).toEqual([
      expect.objectContaining({ reason: 'unopenable', inMemory: true, movedTo: null }),
    ]);
    expect(store.recoveries[0]!.error).toMatch(/ENOTDIR|EEXIST/);
    // The event and the log say what to do about it.
    const fix = `Something on the path ${blocker} is a file, not a folder: give the history a folder (the agent's --data-dir).`;
    expect(store.recoveries[0]!.fix).toBe(fix);
    expect(store.queryEvents({ types: ['HISTORY_RESET'] })[0]!.message).toMatch(
      new RegExp(
        `History is kept in memory only until the app restarts\\. ${fix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      ),
    );
    expect(logs.some((l) => l.level === 'error' && l.message.endsWith(fix))).toBe(true);
    expect(store.stats()).toMatchObject({ inMemory: true, journalMode: 'memory', events: 1 });
    const stored = store.appendEvent(event());
    expect(store.queryEvents({ types: ['ONBATT'] })).toEqual([stored]);
    store.appendSample(sample(T0, { runtime: null }));
    expect(store.querySamples({ monitorId: 'nas/ups', from: T0, to: T0 })[0]!.runtime).toBeNull();
  });

  it('throws instead when memoryFallback is off', () => {
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, 'x');
    expect(() => openStore({ memoryFallback: false }, path.join(blocker, 'history.db'))).toThrow(
      /ENOTDIR|EEXIST/,
    );
  });

  it('recovers when the file is damaged while open, and retries the write on the fresh file', () => {
    // Big enough that most pages are not in SQLite's 2 MB cache.
    writeHealthyFile(60_000);
    const store = openStore({ checkOnOpen: 'never' });
    store.appendEvent(event({ at: T0 + 1, message: 'still fine' }));
    expect(store.queryEvents({}).length).toBe(2);
    // Damage every page after the first few under the open connection.
    const fd = fs.openSync(dbPath, 'r+');
    const size = fs.fstatSync(fd).size;
    for (let offset = 8 * 4096; offset < size; offset += 4096)
      fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, offset);
    fs.closeSync(fd);
    const points = store.querySamples({
      monitorId: 'nas/ups',
      from: T0,
      to: T0 + 60_000_000,
      maxPoints: 10,
    });
    expect(points).toEqual([]); // the fresh file has no samples
    expect(store.recoveries).toEqual([
      expect.objectContaining({ reason: 'corrupt', inMemory: false }),
    ]);
    expect(fs.existsSync(store.recoveries[0]!.movedTo!)).toBe(true);
    const after = store.appendEvent(event({ at: Date.now() + 60_000, message: 'after recovery' }));
    expect(store.queryEvents({}).map((e) => e.message)).toEqual([
      after.message,
      expect.stringContaining('is damaged'),
    ]);
  });
});

describe('crash safety', () => {
  it('keeps an event appended right before a SIGKILL, and the flushed samples; the lock is reclaimed', async () => {
    const child = spawnChild('crash', dbPath);
    const line = await firstLine(child);
    const { signal } = await exited(child);
    expect(signal).toBe('SIGKILL');
    expect(line).toMatch(/^event \d+$/);
    // The dead process left its owner file and SQLite's lock directory behind.
    expect(siblings()).toEqual(expect.arrayContaining(['history.db.lock', 'history.db.owner']));

    const store = openStore();
    expect(store.recoveries).toEqual([]);
    const events = store.queryEvents({});
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: Number(line.split(' ')[1]),
      type: 'LOWBATT',
      severity: 'critical',
      data: { charge: 9 },
    });
    const samples = store.querySamples({ monitorId: 'nas/ups', from: 0, to: Date.UTC(2030, 0, 1) });
    expect(samples.map((s) => s.charge)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    expect(samples.every((s) => s.runtime === null)).toBe(true);
    expect(logs.some((l) => l.message.includes('cleared the lock'))).toBe(true);
  });
});

describe('one store per file', () => {
  it('refuses a second store on the same file in this process, until the first closes', () => {
    const first = openStore();
    first.appendEvent(event());
    let error: unknown;
    try {
      openStore({}, path.join(dir, '.', 'history.db'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HistoryLockedError);
    expect((error as HistoryLockedError).code).toBe('HISTORY_LOCKED');
    expect((error as Error).message).toMatch(/in use: another history store in this process/);
    first.close();
    expect(openStore().queryEvents({})).toHaveLength(1);
  });

  it('refuses while another live process has it open, and takes over once that process is killed', async () => {
    const child = spawnChild('hold', dbPath);
    try {
      const line = await firstLine(child);
      const pid = Number(line.split(' ')[1]);
      let error: unknown;
      try {
        openStore();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HistoryLockedError);
      expect((error as Error).message).toContain(`process ${pid}`);
      expect((error as HistoryLockedError).owner?.pid).toBe(pid);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    const store = openStore();
    expect(store.recoveries).toEqual([]);
    expect(store.stats().schemaVersion).toBe(SCHEMA_VERSION);
  });

  function writeOwner(fields: Record<string, unknown>): void {
    fs.writeFileSync(
      `${dbPath}.owner`,
      JSON.stringify({
        pid: 1,
        host: os.hostname(),
        bootId: null,
        bootTime: Date.now() - os.uptime() * 1000,
        openedAt: 0,
        token: 't',
        ...fields,
      }),
    );
    fs.mkdirSync(`${dbPath}.lock`);
  }

  it('treats an owner from an earlier boot as stale even if its pid is alive now', () => {
    writeHealthyFile(10);
    // pid 1 is always alive; the boot is what makes it stale.
    writeOwner({
      bootId: 'an-earlier-boot',
      bootTime: Date.now() - os.uptime() * 1000 - 86_400_000,
    });
    const store = openStore();
    expect(store.queryEvents({})).toHaveLength(1);
  });

  it('refuses an owner in this boot whose pid is alive', () => {
    writeHealthyFile(10);
    const bootId = fs.existsSync('/proc/sys/kernel/random/boot_id')
      ? fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
      : null;
    writeOwner({ pid: 1, bootId });
    expect(() => openStore()).toThrow(HistoryLockedError);
    // Nothing was touched.
    expect(siblings()).toEqual(['history.db', 'history.db.lock', 'history.db.owner']);
  });

  it('refuses an owner on another host (cannot check it)', () => {
    writeHealthyFile(10);
    writeOwner({ host: 'some-other-machine' });
    expect(() => openStore()).toThrow(/open on host some-other-machine/);
  });

  // The two engines lock differently (main/history/sqlite-native.ts): node-sqlite3-wasm with a
  // `<db>.lock` directory a crash leaves behind, node:sqlite with a file lock the OS drops.
  if (sqliteEngine === 'node-sqlite3-wasm') {
    it('refuses an SQLite lock directory that has no owner file, explaining what to remove', () => {
      writeHealthyFile(10);
      fs.mkdirSync(`${dbPath}.lock`);
      expect(() => openStore()).toThrow(/history\.db\.lock exists without an owner file/);
      expect(siblings()).toEqual(['history.db', 'history.db.lock']);
    });
  } else {
    it('refuses a file another connection holds SQLite’s lock on, without an owner file', () => {
      writeHealthyFile(10);
      const holder = new Database(dbPath);
      holder.exec('PRAGMA locking_mode = EXCLUSIVE');
      holder.exec('BEGIN EXCLUSIVE');
      try {
        expect(() => openStore()).toThrow(/holds SQLite’s lock on it without an owner file/);
        // Nothing was moved aside or claimed (the holder's WAL file aside).
        expect(siblings().filter((name) => !name.endsWith('-wal'))).toEqual(['history.db']);
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
      expect(openStore().queryEvents({})).toHaveLength(1);
    });

    it('opens a file despite a lock directory the WebAssembly engine left behind', () => {
      writeHealthyFile(10);
      fs.mkdirSync(`${dbPath}.lock`);
      expect(openStore().queryEvents({})).toHaveLength(1);
    });
  }
});

describe('the fix for a folder the history cannot use', () => {
  const failure = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
  it("names the folder and what to change, by the file system's answer", () => {
    expect(folderFix(failure('EACCES'), '/srv/h/history.db')).toMatch(
      /^This user( \(uid \d+\))? may not write \/srv\/h: change its owner or permissions, or give another --data-dir\.$/,
    );
    expect(folderFix(failure('EPERM'), '/srv/h/history.db')).toMatch(/may not write \/srv\/h:/);
    expect(folderFix(failure('EROFS'), '/srv/h/history.db')).toBe(
      '/srv/h is on a read-only file system: give another --data-dir.',
    );
    expect(folderFix(failure('ENOTDIR'), '/srv/h/history.db')).toMatch(
      /^Something on the path \/srv\/h is a file/,
    );
    // An answer without a known remedy adds nothing rather than a guess.
    expect(folderFix(failure('EIO'), '/srv/h/history.db')).toBeUndefined();
    expect(folderFix(new Error('no code'), '/srv/h/history.db')).toBeUndefined();
  });
});
