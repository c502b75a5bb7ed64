/**
 * The real-upsd test rig: a PRIVATE upsd + dummy-ups instance per test (file), from Debian's
 * nut-server 2.8.0 (main/nut/README.md §3). Used by the NUT client's integration tests, by the
 * monitor's tests and by the benchmark. Nothing here imports electron.
 *
 * Each rig:
 * - lives in its own temp dirs (`mkdtemp`): the rig dir holds upsd's config (`etc/`: ups.conf,
 *   upsd.conf, upsd.users, certdb) and a driver-set dir holds the dummy-ups data files and sockets.
 *   NUT_CONFPATH / NUT_STATEPATH / NUT_ALTPIDPATH point there, so rigs in parallel vitest forks never
 *   share a file or a pid file;
 * - listens on a free loopback port (bind port 0, release, retry when upsd reports it taken) that it
 *   keeps across restarts;
 * - runs `/lib/nut/upsd -u root -F` and one `/lib/nut/dummy-ups -a <ups> -u root -F` per UPS as
 *   child processes it owns (foreground: the child pid IS the daemon pid, no pid files involved),
 *   each started through `setpriv --pdeathsig SIGKILL` so they die even if the test worker is
 *   SIGKILLed; a process 'exit' handler is a second safety net, and stale temp dirs of dead test
 *   processes are swept on the next start;
 * - waits until upsd answers with real data for every UPS (ups.status no longer `WAIT`) before
 *   resolving, and every mutator waits until upsd reports the effect, so tests are deterministic.
 *
 * Start-up time. dummy-ups 2.8.0 sleeps a hard-coded 1 s in every update pass and passes twice before
 * it serves its socket, so a cold start takes ~2 s no matter what. To keep suites fast the rig keeps
 * one pre-started ("warm") driver set per distinct UPS configuration per process: the next rig or
 * `restart()` with the same UPSes adopts it and starts in tens of milliseconds, and a replacement is
 * warmed in the background. Warm sets are ended by {@link stopWarmDrivers} or at process exit;
 * disable with `prewarm: false` or env `NUT_RIG_PREWARM=0`. Drivers run with `pollinterval = 30`
 * (NUT default 2) so their 1 s sleep is only 1/30 of each cycle: SET VAR values and upsd's initial
 * dump are then served at once ~97 % of the time instead of after up to 1 s.
 *
 * Needs root (drivers/upsd run with `-u root`), nut-server 2.8.0 and, for TLS, libnss3-tools.
 */
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  type LogSink,
  ManagedProcess,
  getFreePort,
  makeTempDir,
  removeTempDir,
  sleep,
  waitFor,
} from '../demo/nut-daemons';
import { RawNutConnection, RawNutError, quote, tokenize } from './net.js';

import { getCertBundle } from './upsd-rig-certs';
import {
  type DriverSet,
  UPS_NAME,
  VAR_NAME,
  acquireDriverSet,
  assertSafeValue,
  prewarmEnabled,
  upsConf,
} from './upsd-rig-drivers';
import {
  DEFAULT_POLL_INTERVAL,
  DEFAULT_RIG_USERS,
  NUT_BINARIES,
  RIG_CONTROL_USER,
  type RigUps,
  type RigUser,
  SYNOLOGY_UPS,
  SYNOLOGY_UPS_VARS,
  type UpsdRigOptions,
} from './upsd-rig-presets';

// The process bookkeeping lives with the demo (product code); tests keep importing it from here.
export {
  type LogSink,
  ManagedProcess,
  makeTempDir,
  pingDriver,
  removeTempDir,
} from '../demo/nut-daemons';
// The rig's parts, one module each; importers keep using this module.
export * from './upsd-rig-presets';
export { makeTestCertificate } from './upsd-rig-certs';
export { stopWarmDrivers, warmDriverPids } from './upsd-rig-drivers';

// ---------------------------------------------------------------------------------------------
// Rig handle

export interface RigTls {
  /** The server certificate (PEM), to trust as CA. */
  certPem: string;
  /** Path of that PEM inside the rig dir. */
  certFile: string;
  /** SHA-256 fingerprint as Node prints it (`X509Certificate.fingerprint256`): `AB:CD:...`. */
  fingerprint256: string;
  /** Host name in the certificate (SAN dns:localhost; SAN ip:127.0.0.1 and the listen address are also present). */
  servername: string;
  /** NSS cert db directory used by upsd (CERTPATH) and its nickname/password (CERTIDENT). */
  certDbDir: string;
  nickname: string;
  dbPassword: string;
}

export interface RigProbe {
  /** `ups.status` as upsd reports it (with upsd's `FSD ` prefix when latched). */
  status?: string;
  /** The ERR code (e.g. `DATA-STALE`) or a connection error message. */
  error?: string;
}

export interface Rig {
  readonly host: string;
  readonly port: number;
  /** The rig dir (upsd config under `etc/`). */
  readonly dir: string;
  /** The current driver set's state dir (driver sockets; upsd's NUT_STATEPATH). */
  readonly stateDir: string;
  readonly maxAge: number;
  readonly upses: readonly RigUps[];
  readonly users: readonly RigUser[];
  readonly tls: RigTls | undefined;
  /** pid of the running upsd (undefined while stopped). */
  readonly upsdPid: number | undefined;
  /** How long start-up took (ms) and whether a warm driver set was used. */
  readonly startup: { ms: number; warm: boolean };
  driverPid(ups: string): number | undefined;
  /** `<ups>@<host>:<port>` (default: the first UPS), as upsc/upsmon MONITOR take it. */
  target(ups?: string): string;
  /** pids of every process of this rig that is currently running. */
  pids(): number[];

  /** SET VAR through a privileged connection, then waits until upsd reports the new value. */
  setVar(ups: string, name: string, value: string, options?: { timeoutMs?: number }): Promise<void>;
  /** `setVar(ups, 'ups.status', status)`; a latched `FSD ` prefix is accepted when waiting. */
  setStatus(ups: string, status: string, options?: { timeoutMs?: number }): Promise<void>;
  /** GET VAR (rejects with {@link RawNutError} on ERR). */
  getVar(ups: string, name: string): Promise<string>;
  /** GET VAR ups.status, never throwing. */
  probe(ups: string): Promise<RigProbe>;
  numLogins(ups: string): Promise<number>;
  /** LIST CLIENT → the client addresses (one per LOGIN). */
  listClients(ups: string): Promise<string[]>;
  /** Raw `FSD <ups>` as a privileged user; the latch stays until {@link restart}. */
  setFsd(ups: string): Promise<void>;
  /** A fresh plaintext raw connection to this upsd (caller closes it). */
  connect(): Promise<RawNutConnection>;

  /** Stops upsd AND the drivers, starts both again (the only way to clear FSD; main/nut/README.md §3.2). */
  restart(): Promise<void>;
  /** Ends the driver; waits until upsd answers DRIVER-NOT-CONNECTED. */
  stopDriver(ups: string): Promise<void>;
  /** Starts a stopped driver again (cold, ~2 s); waits until upsd serves its data. */
  startDriver(ups: string): Promise<void>;
  /** SIGSTOP the driver: upsd answers DATA-STALE once MAXAGE has passed. Does not wait. */
  freezeDriver(ups: string): Promise<void>;
  /** SIGCONT the driver; waits until upsd serves fresh data again (if upsd is running). */
  thawDriver(ups: string): Promise<void>;
  /** Stops upsd only (connections are then refused); the drivers keep running until startUpsd. */
  stopUpsd(): Promise<void>;
  /** Starts upsd again on the same port, with fresh drivers (main/nut/README.md §3.2). */
  startUpsd(): Promise<void>;
  /** Captured stdout/stderr of upsd and the drivers, plus rig events, with timestamps. */
  logs(): string;
  /** Ends every process it started (SIGTERM, then SIGKILL after a grace period) and removes its dirs. Idempotent. */
  stop(): Promise<void>;
}

/** Starts a private upsd + dummy-ups instance. Always `await rig.stop()` (e.g. in afterAll). */
export async function startUpsdRig(options: UpsdRigOptions = {}): Promise<Rig> {
  const rig = new UpsdRig(options);
  try {
    await rig.start();
  } catch (error) {
    const logs = rig.logs();
    await rig.stop();
    throw new Error(`startUpsdRig failed: ${(error as Error).message}\n--- rig logs ---\n${logs}`, {
      cause: error,
    });
  }
  return rig;
}

// ---------------------------------------------------------------------------------------------
// The rig

class UpsdRig implements Rig {
  host: string;
  port = 0;
  dir = '';
  readonly maxAge: number;
  readonly upses: readonly RigUps[];
  readonly users: readonly RigUser[];
  tls: RigTls | undefined;
  startup = { ms: 0, warm: false };

  private readonly options: UpsdRigOptions;
  private readonly controlPassword = randomBytes(12).toString('hex');
  private readonly logLines: string[] = [];
  private readonly t0 = performance.now();
  private upsd: ManagedProcess | undefined;
  private driverSet: DriverSet | undefined;
  private stopped = false;
  private readonly fixedPort: boolean;
  private readonly sink: LogSink = (label, line) => this.log(label, line);

  constructor(options: UpsdRigOptions) {
    this.options = options;
    this.host = options.listen ?? '127.0.0.1';
    this.maxAge = options.maxAge ?? 15;
    this.upses = (options.upses ?? [SYNOLOGY_UPS]).map((ups) => ({
      name: ups.name,
      desc: ups.desc,
      vars: ups.vars ?? SYNOLOGY_UPS_VARS,
      pollInterval: ups.pollInterval ?? DEFAULT_POLL_INTERVAL,
    }));
    this.users = [...(options.users ?? DEFAULT_RIG_USERS), ...(options.extraUsers ?? [])];
    this.fixedPort = options.port !== undefined;
    this.port = options.port ?? 0;
    this.validate();
  }

  get stateDir(): string {
    return this.driverSet?.state ?? '';
  }

  get upsdPid(): number | undefined {
    return this.upsd?.running ? this.upsd.pid : undefined;
  }

  driverPid(ups: string): number | undefined {
    const driver = this.driverSet?.drivers.get(this.upsName(ups));
    return driver?.running ? driver.pid : undefined;
  }

  target(ups?: string): string {
    const name = ups === undefined ? this.upses[0]!.name : this.upsName(ups);
    return `${name}@${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  pids(): number[] {
    return [this.upsd, ...(this.driverSet?.drivers.values() ?? [])]
      .filter((p): p is ManagedProcess => p?.running === true)
      .map((p) => p.pid);
  }

  logs(): string {
    return this.logLines.join('\n');
  }

  private log(label: string, line: string): void {
    const ms = (performance.now() - this.t0).toFixed(0).padStart(6);
    this.logLines.push(`+${ms}ms [${label}] ${line}`);
    if (this.logLines.length > 5_000) this.logLines.splice(0, 1_000);
  }

  private get etc(): string {
    return path.join(this.dir, 'etc');
  }

  private get upsdEnv(): NodeJS.ProcessEnv {
    const run = path.join(this.dir, 'run');
    return {
      ...process.env,
      NUT_CONFPATH: this.etc,
      NUT_STATEPATH: this.stateDir,
      NUT_ALTPIDPATH: run,
    };
  }

  private get startTimeoutMs(): number {
    return this.options.startTimeoutMs ?? 15_000;
  }

  private validate(): void {
    if (this.upses.length === 0) throw new Error('startUpsdRig: at least one UPS is needed');
    const names = new Set<string>();
    for (const ups of this.upses) {
      if (!UPS_NAME.test(ups.name))
        throw new Error(`startUpsdRig: bad UPS name ${JSON.stringify(ups.name)}`);
      if (names.has(ups.name.toLowerCase()))
        throw new Error(`startUpsdRig: duplicate UPS ${ups.name}`);
      names.add(ups.name.toLowerCase());
      if (ups.desc !== undefined) assertSafeValue(`desc of ${ups.name}`, ups.desc);
      for (const [name, value] of Object.entries(ups.vars ?? {})) {
        if (!VAR_NAME.test(name))
          throw new Error(`startUpsdRig: bad variable name ${JSON.stringify(name)}`);
        assertSafeValue(`${ups.name} ${name}`, value);
      }
      if (!ups.vars?.['ups.status'])
        throw new Error(`startUpsdRig: UPS ${ups.name} needs a ups.status variable`);
      if (!Number.isInteger(ups.pollInterval) || (ups.pollInterval ?? 0) < 1)
        throw new Error(`startUpsdRig: bad pollInterval for ${ups.name}`);
    }
    for (const user of this.users) {
      if (!UPS_NAME.test(user.name) || user.name === RIG_CONTROL_USER)
        throw new Error(`startUpsdRig: bad user name ${JSON.stringify(user.name)}`);
      assertSafeValue(`password of ${user.name}`, user.password);
    }
  }

  private upsName(ups: string): string {
    const found = this.upses.find((u) => u.name.toLowerCase() === ups.toLowerCase());
    if (!found)
      throw new Error(
        `rig: no UPS named ${ups} (have: ${this.upses.map((u) => u.name).join(', ')})`,
      );
    return found.name;
  }

  // -------------------------------------------------------------------------------------------
  // Start-up

  async start(): Promise<void> {
    const startedAt = performance.now();
    this.dir = await makeTempDir('upsd');
    await fsp.mkdir(this.etc, { mode: 0o750 });
    await fsp.mkdir(path.join(this.dir, 'run'), { mode: 0o750 });
    const [, { warm }] = await Promise.all([
      (async () => {
        if (this.options.tls) await this.setUpTls();
        await this.writeUsers();
      })(),
      this.startDrivers(),
    ]);
    await this.spawnUpsd();
    this.startup = { ms: Math.round(performance.now() - startedAt), warm };
    this.log(
      'rig',
      `ready on ${this.host}:${this.port} in ${this.startup.ms} ms (${warm ? 'warm' : 'cold'} drivers)`,
    );
  }

  private async setUpTls(): Promise<void> {
    const sans = ['dns:localhost', 'ip:127.0.0.1'];
    if (this.host !== '127.0.0.1' && this.host !== 'localhost')
      sans.push(/^[\d.]+$|:/.test(this.host) ? `ip:${this.host}` : `dns:${this.host}`);
    const bundle = await getCertBundle(sans);
    const certDbDir = path.join(this.dir, 'certdb');
    await fsp.mkdir(certDbDir, { mode: 0o700 });
    for (const file of await fsp.readdir(bundle.dir)) {
      await fsp.copyFile(path.join(bundle.dir, file), path.join(certDbDir, file));
    }
    const certFile = path.join(this.dir, 'server-cert.pem');
    await fsp.writeFile(certFile, bundle.certPem);
    this.tls = {
      certPem: bundle.certPem,
      certFile,
      fingerprint256: bundle.fingerprint256,
      servername: 'localhost',
      certDbDir,
      nickname: bundle.nickname,
      dbPassword: bundle.password,
    };
  }

  private async writeUsers(): Promise<void> {
    const lines: string[] = [];
    const controlUser: RigUser = {
      name: RIG_CONTROL_USER,
      password: this.controlPassword,
      actions: ['SET', 'FSD'],
      instcmds: ['ALL'],
    };
    for (const user of [...this.users, controlUser]) {
      lines.push(`[${user.name}]`, `\tpassword = ${quote(user.password)}`);
      if (user.upsmon) lines.push(`\tupsmon ${user.upsmon}`);
      for (const action of user.actions ?? []) lines.push(`\tactions = ${action}`);
      for (const cmd of user.instcmds ?? []) lines.push(`\tinstcmds = ${cmd}`);
      lines.push('');
    }
    await fsp.writeFile(path.join(this.etc, 'upsd.users'), lines.join('\n'), { mode: 0o640 });
  }

  private async writeUpsdConfig(): Promise<void> {
    const lines = [`LISTEN ${this.host} ${this.port}`, `MAXAGE ${this.maxAge}`];
    if (this.tls)
      lines.push(
        `CERTPATH ${this.tls.certDbDir}`,
        `CERTIDENT ${quote(this.tls.nickname)} ${quote(this.tls.dbPassword)}`,
      );
    lines.push(...(this.options.upsdConfExtra ?? []));
    await fsp.writeFile(path.join(this.etc, 'upsd.conf'), `${lines.join('\n')}\n`, { mode: 0o640 });
    await fsp.writeFile(path.join(this.etc, 'ups.conf'), upsConf(this.upses, this.driverSet!.etc), {
      mode: 0o640,
    });
  }

  private async startDrivers(): Promise<{ warm: boolean }> {
    const { set, warm } = await acquireDriverSet(this.upses, {
      prewarm: prewarmEnabled(this.options.prewarm),
      timeoutMs: this.startTimeoutMs,
      sink: this.sink,
    });
    if (this.stopped) {
      await set.stop();
      throw new Error('rig stopped during start-up');
    }
    this.driverSet = set;
    this.log('rig', `using ${warm ? 'warm' : 'cold'} driver set ${set.dir}`);
    return { warm };
  }

  private async stopDrivers(): Promise<void> {
    const set = this.driverSet;
    this.driverSet = undefined;
    await set?.stop();
  }

  /** Starts upsd (picking a new free port when the chosen one turns out to be taken) and waits until it serves every UPS. */
  private async spawnUpsd(): Promise<void> {
    const deadline = performance.now() + this.startTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      if (this.port === 0) this.port = await getFreePort(this.host);
      await this.writeUpsdConfig();
      const args = ['-u', 'root', '-F', ...Array<string>(this.options.upsdDebug ?? 0).fill('-D')];
      const upsd = new ManagedProcess('upsd', NUT_BINARIES.upsd, args, {
        env: this.upsdEnv,
        cwd: this.dir,
        sink: this.sink,
      });
      this.upsd = upsd;
      this.log(
        'rig',
        `started upsd (pid ${upsd.pid}) on ${this.host}:${this.port}, attempt ${attempt}`,
      );
      // upsd prints "listening on <addr> port <port>" once bound, or "not listening on ..." and exits.
      const listenLine = `listening on ${this.host} port ${this.port}`;
      const outcome = await waitFor(
        () => {
          if (upsd.output.some((line) => line.startsWith(listenLine))) return 'listening';
          if (!upsd.running) return 'exited';
          return undefined;
        },
        {
          timeoutMs: Math.max(1_000, deadline - performance.now()),
          intervalMs: 5,
          description: `upsd listening on ${this.host}:${this.port}`,
        },
      );
      if (outcome === 'listening') break;
      const portTaken = upsd.output.some((line) =>
        line.includes(`not listening on ${this.host} port ${this.port}`),
      );
      if (!portTaken || attempt >= 10 || performance.now() > deadline) {
        throw new Error(
          `upsd exited during start-up (code ${String(upsd.exitCode)})${portTaken ? `: port ${this.port} is taken` : ''}`,
        );
      }
      // Port taken between getFreePort() and upsd's bind: pick another one (a fixed port: wait and retry).
      if (this.fixedPort) await sleep(200);
      else this.port = 0;
    }
    await this.waitServing(Math.max(1_000, deadline - performance.now()));
  }

  /** Waits until upsd reports a real status (not WAIT, not an error) for the given UPSes. */
  private async waitServing(
    timeoutMs: number,
    upses: readonly string[] = this.upses.map((u) => u.name),
  ): Promise<void> {
    const connection = await RawNutConnection.connect(this.host, this.port);
    try {
      for (const ups of upses) {
        await waitFor(
          async () => {
            try {
              const status = await connection.getVar(ups, 'ups.status');
              return status !== '' && status !== 'WAIT';
            } catch (error) {
              if (error instanceof RawNutError) return false;
              throw error;
            }
          },
          { timeoutMs, intervalMs: 5, description: `upsd to serve ${ups}` },
        );
      }
    } finally {
      connection.destroy();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Queries and mutators

  async connect(): Promise<RawNutConnection> {
    return RawNutConnection.connect(this.host, this.port);
  }

  private async withControl<T>(fn: (connection: RawNutConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    try {
      await connection.request(`USERNAME ${RIG_CONTROL_USER}`);
      await connection.request(`PASSWORD ${quote(this.controlPassword)}`);
      return await fn(connection);
    } finally {
      await connection.close();
    }
  }

  private async withConnection<T>(fn: (connection: RawNutConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    try {
      return await fn(connection);
    } finally {
      connection.destroy();
    }
  }

  async setVar(
    ups: string,
    name: string,
    value: string,
    options: { timeoutMs?: number } = {},
  ): Promise<void> {
    const upsName = this.upsName(ups);
    if (!VAR_NAME.test(name)) throw new Error(`setVar: bad variable name ${JSON.stringify(name)}`);
    assertSafeValue(`setVar ${name}`, value);
    const isStatus = name.toLowerCase() === 'ups.status';
    await this.withControl(async (connection) => {
      await connection.request(`SET VAR ${upsName} ${name} ${quote(value)}`);
      let last = '';
      try {
        await waitFor(
          async () => {
            last = await connection.getVar(upsName, name);
            return last === value || (isStatus && last === `FSD ${value}`);
          },
          {
            timeoutMs: options.timeoutMs ?? 5_000,
            intervalMs: 20,
            description: `${upsName} ${name} = ${value}`,
          },
        );
      } catch (error) {
        throw new Error(
          `setVar: upsd still reports ${upsName} ${name} = ${JSON.stringify(last)}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    });
    this.log('rig', `set ${upsName} ${name} = ${value}`);
  }

  async setStatus(
    ups: string,
    status: string,
    options: { timeoutMs?: number } = {},
  ): Promise<void> {
    await this.setVar(ups, 'ups.status', status, options);
  }

  async getVar(ups: string, name: string): Promise<string> {
    return this.withConnection((connection) => connection.getVar(ups, name));
  }

  async probe(ups: string): Promise<RigProbe> {
    try {
      return { status: await this.getVar(ups, 'ups.status') };
    } catch (error) {
      return { error: error instanceof RawNutError ? error.code : (error as Error).message };
    }
  }

  async numLogins(ups: string): Promise<number> {
    const reply = await this.withConnection((connection) =>
      connection.request(`GET NUMLOGINS ${ups}`),
    );
    const words = tokenize(reply);
    if (words[0] !== 'NUMLOGINS' || words[2] === undefined)
      throw new Error(`unexpected NUMLOGINS reply: ${reply}`);
    return Number(words[2]);
  }

  async listClients(ups: string): Promise<string[]> {
    const lines = await this.withConnection((connection) => connection.list(`LIST CLIENT ${ups}`));
    return lines.map((line) => tokenize(line)[2] ?? '');
  }

  async setFsd(ups: string): Promise<void> {
    const upsName = this.upsName(ups);
    const reply = await this.withControl((connection) => connection.request(`FSD ${upsName}`));
    if (!reply.startsWith('OK')) throw new Error(`FSD ${upsName}: unexpected reply ${reply}`);
    this.log('rig', `FSD set on ${upsName}`);
  }

  // -------------------------------------------------------------------------------------------
  // Process control

  async restart(): Promise<void> {
    this.assertNotStopped();
    this.log('rig', 'restart: stopping upsd and drivers');
    await this.stopUpsd();
    await this.startUpsd();
  }

  async stopUpsd(): Promise<void> {
    this.assertNotStopped();
    await this.upsd?.stop();
    this.upsd = undefined;
  }

  async startUpsd(): Promise<void> {
    this.assertNotStopped();
    if (this.upsd?.running) throw new Error('startUpsd: upsd is already running');
    // main/nut/README.md §3.2: drivers that outlive an upsd restart can crash on the next value change.
    await this.stopDrivers();
    await this.startDrivers();
    await this.spawnUpsd();
  }

  async stopDriver(ups: string): Promise<void> {
    const upsName = this.upsName(ups);
    await this.driverSet?.drivers.get(upsName)?.stop();
    this.log('rig', `driver ${upsName} stopped`);
    if (this.upsd?.running) {
      await waitFor(async () => (await this.probe(upsName)).error === 'DRIVER-NOT-CONNECTED', {
        timeoutMs: 5_000,
        description: `upsd to report DRIVER-NOT-CONNECTED for ${upsName}`,
      });
    }
  }

  async startDriver(ups: string): Promise<void> {
    const upsName = this.upsName(ups);
    const set = this.driverSet;
    if (!set) throw new Error('startDriver: no driver set (upsd stopped?)');
    if (set.drivers.get(upsName)?.running)
      throw new Error(`startDriver: driver ${upsName} is already running`);
    await set.startDriver(upsName);
    if (this.upsd?.running) await this.waitServing(10_000, [upsName]);
  }

  freezeDriver(ups: string): Promise<void> {
    const driver = this.requireDriver(ups);
    driver.signal('SIGSTOP');
    driver.frozen = true;
    this.log('rig', `driver ${ups} frozen (SIGSTOP)`);
    return Promise.resolve();
  }

  async thawDriver(ups: string): Promise<void> {
    const driver = this.requireDriver(ups);
    driver.signal('SIGCONT');
    driver.frozen = false;
    this.log('rig', `driver ${ups} thawed (SIGCONT)`);
    if (this.upsd?.running)
      await this.waitServing(this.maxAge * 1_000 + 10_000, [this.upsName(ups)]);
  }

  private requireDriver(ups: string): ManagedProcess {
    const driver = this.driverSet?.drivers.get(this.upsName(ups));
    if (!driver?.running) throw new Error(`driver for ${ups} is not running`);
    return driver;
  }

  private assertNotStopped(): void {
    if (this.stopped) throw new Error('rig already stopped');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.upsd?.stop();
    await this.stopDrivers();
    if (this.dir) await removeTempDir(this.dir);
  }
}
