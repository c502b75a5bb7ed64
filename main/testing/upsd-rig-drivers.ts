/**
 * The dummy-ups processes of one rig generation (a driver set), and the per-process pool of
 * pre-started ("warm") sets that lets the next rig or restart with the same UPSes start in tens of
 * milliseconds (see upsd-rig.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type net from 'node:net';
import path from 'node:path';
import {
  type LogSink,
  ManagedProcess,
  dummyUpsDevFile,
  dummyUpsSection,
  makeTempDir,
  pingDriver,
  removeTempDir,
  waitFor,
} from '../demo/nut-daemons';

import { DEFAULT_POLL_INTERVAL, NUT_BINARIES, type RigUps } from './upsd-rig-presets';

export const UPS_NAME = /^[A-Za-z0-9._-]+$/;
export const VAR_NAME = /^[A-Za-z0-9._-]+$/;
export const SAFE_VALUE = /^[\x20-\x7e]*$/;

export function assertSafeValue(what: string, value: string): void {
  if (!SAFE_VALUE.test(value) || /["\\#]/.test(value)) {
    throw new Error(
      `${what}: ${JSON.stringify(value)} must be printable ASCII without ", \\ or # (dummy-ups mangles them; main/nut/README.md §1.2)`,
    );
  }
}

/** ups.conf content for a set of UPSes whose `.dev` files live in `etcDir`. */
export function upsConf(upses: readonly RigUps[], etcDir: string): string {
  return upses
    .flatMap((ups) => [
      ...dummyUpsSection(
        { name: ups.name, desc: ups.desc, pollInterval: ups.pollInterval ?? DEFAULT_POLL_INTERVAL },
        etcDir,
      ),
      '',
    ])
    .join('\n');
}

export class DriverSet {
  readonly drivers = new Map<string, ManagedProcess>();
  /** The rig's own open connection to each driver (see {@link pingDriver}); closed after the driver exits. */
  private readonly links = new Map<string, net.Socket>();
  /** Lines logged before a rig adopted this set. */
  private readonly early: string[] = [];
  private sink: LogSink = (label, line) => {
    if (this.early.length < 500) this.early.push(`[${label}] ${line}`);
  };
  ready: Promise<void> = Promise.resolve();

  private constructor(
    readonly key: string,
    readonly dir: string,
    readonly upses: readonly RigUps[],
    private readonly timeoutMs: number,
  ) {}

  get etc(): string {
    return path.join(this.dir, 'etc');
  }

  get state(): string {
    return path.join(this.dir, 'state');
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      NUT_CONFPATH: this.etc,
      NUT_STATEPATH: this.state,
      NUT_ALTPIDPATH: this.state,
    };
  }

  /** Creates the files and starts every driver; `ready` resolves once all sockets exist. */
  static async create(
    key: string,
    upses: readonly RigUps[],
    timeoutMs: number,
  ): Promise<DriverSet> {
    const set = new DriverSet(key, await makeTempDir('drivers'), upses, timeoutMs);
    await fsp.mkdir(set.etc, { mode: 0o750 });
    await fsp.mkdir(set.state, { mode: 0o750 });
    for (const ups of upses)
      await fsp.writeFile(path.join(set.etc, `${ups.name}.dev`), dummyUpsDevFile(ups.vars ?? {}), {
        mode: 0o640,
      });
    await fsp.writeFile(path.join(set.etc, 'ups.conf'), upsConf(upses, set.etc), { mode: 0o640 });
    set.ready = Promise.all(upses.map((ups) => set.startDriver(ups.name))).then(() => undefined);
    set.ready.catch(() => undefined); // observed by whoever adopts the set
    return set;
  }

  /** Hands the set's output to a rig (replaying what was logged before). */
  adopt(sink: LogSink): void {
    for (const line of this.early.splice(0)) sink('warm', line);
    this.sink = sink;
    for (const driver of this.drivers.values()) driver.sink = sink;
  }

  get allRunning(): boolean {
    return this.upses.every((ups) => this.drivers.get(ups.name)?.running === true);
  }

  /** Starts `dummy-ups -a <ups> -u root -F` and waits for its socket in the state dir. */
  async startDriver(ups: string): Promise<void> {
    const socketPath = path.join(this.state, `dummy-ups-${ups}`);
    await fsp.rm(socketPath, { force: true });
    const driver = new ManagedProcess(
      `dummy-ups:${ups}`,
      NUT_BINARIES.dummyUps,
      ['-a', ups, '-u', 'root', '-F'],
      {
        env: this.env,
        cwd: this.dir,
        sink: (label, line) => this.sink(label, line),
      },
    );
    this.drivers.set(ups, driver);
    this.sink('rig', `started driver ${ups} (pid ${driver.pid}) in ${this.dir}`);
    // dummy-ups creates its socket after its first update pass (which sleeps 1 s), then sleeps 1 s
    // more before it serves the socket: it is ready once it answers PING on its socket with PONG.
    const deadline = performance.now() + this.timeoutMs;
    await waitFor(
      () => {
        if (!driver.running)
          throw new Error(
            `dummy-ups for ${ups} exited during start-up (code ${String(driver.exitCode)})`,
          );
        return fs.existsSync(socketPath);
      },
      { timeoutMs: this.timeoutMs, intervalMs: 10, description: `driver socket ${socketPath}` },
    );
    const link = await pingDriver(socketPath, Math.max(1_000, deadline - performance.now()));
    link.unref();
    this.links.set(ups, link);
    void driver.exited.then(() => link.destroy());
  }

  async stop(): Promise<void> {
    await Promise.all([...this.drivers.values()].map((driver) => driver.stop()));
    await removeTempDir(this.dir);
  }
}

/** Warm (pre-started, unused) driver sets by UPS configuration; at most one per configuration. */
const warmSets = new Map<string, Promise<DriverSet>>();
const MAX_WARM_SETS = 4;

export function prewarmEnabled(option: boolean | undefined): boolean {
  return option ?? process.env.NUT_RIG_PREWARM !== '0';
}

function driverSetKey(upses: readonly RigUps[]): string {
  return createHash('sha256').update(JSON.stringify(upses)).digest('hex');
}

function discard(set: Promise<DriverSet>): void {
  set.then((s) => s.stop()).catch(() => undefined);
}

function startWarmSet(key: string, upses: readonly RigUps[], timeoutMs: number): void {
  if (warmSets.has(key)) return;
  if (warmSets.size >= MAX_WARM_SETS) {
    const [oldestKey, oldest] = warmSets.entries().next().value as [string, Promise<DriverSet>];
    warmSets.delete(oldestKey);
    discard(oldest);
  }
  const set = DriverSet.create(key, upses, timeoutMs);
  set.catch(() => undefined);
  warmSets.set(key, set);
}

/** A started driver set for these UPSes: a warm one when available (then a replacement is warmed). */
export async function acquireDriverSet(
  upses: readonly RigUps[],
  options: { prewarm: boolean; timeoutMs: number; sink: LogSink },
): Promise<{ set: DriverSet; warm: boolean }> {
  const key = driverSetKey(upses);
  const pending = warmSets.get(key);
  warmSets.delete(key);
  // Start the replacement right away, so it is warm by the time a test calls restart().
  if (options.prewarm) startWarmSet(key, upses, options.timeoutMs);
  let result: { set: DriverSet; warm: boolean } | undefined;
  if (pending) {
    let warm: DriverSet | undefined;
    try {
      warm = await pending;
      warm.adopt(options.sink);
      await warm.ready;
      if (warm.allRunning) result = { set: warm, warm: true };
      else await warm.stop();
    } catch {
      await warm?.stop().catch(() => undefined);
    }
  }
  if (!result) {
    const set = await DriverSet.create(key, upses, options.timeoutMs);
    set.adopt(options.sink);
    try {
      await set.ready;
    } catch (error) {
      await set.stop().catch(() => undefined);
      throw error;
    }
    result = { set, warm: false };
  }
  return result;
}

/** Ends every warm (pre-started, unused) driver set of this process. Rigs in use are not affected. */
export async function stopWarmDrivers(): Promise<void> {
  const sets = [...warmSets.values()];
  warmSets.clear();
  await Promise.all(sets.map(async (set) => (await set.catch(() => undefined))?.stop()));
}

/** pids of the warm driver sets' running processes (for leak checks). */
export async function warmDriverPids(): Promise<number[]> {
  const sets = await Promise.all([...warmSets.values()].map((set) => set.catch(() => undefined)));
  return sets.flatMap((set) =>
    set ? [...set.drivers.values()].filter((d) => d.running).map((d) => d.pid) : [],
  );
}
