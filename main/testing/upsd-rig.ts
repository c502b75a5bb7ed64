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
import { execFile } from 'node:child_process';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  type LogSink,
  ManagedProcess,
  NUT_DAEMONS,
  dummyUpsDevFile,
  dummyUpsSection,
  getFreePort,
  makeTempDir,
  pingDriver,
  removeTempDir,
  sleep,
  waitFor,
} from '../demo/nut-daemons';
import { RawNutConnection, RawNutError, quote, tokenize } from './net.js';

// The process bookkeeping lives with the demo (product code); tests keep importing it from here.
export {
  type LogSink,
  ManagedProcess,
  makeTempDir,
  pingDriver,
  removeTempDir,
} from '../demo/nut-daemons';

const execFileAsync = promisify(execFile);

/** Binaries of Debian's nut-server/nut-client: the daemons, plus upsmon and NSS's certutil for the rigs. */
export const NUT_BINARIES = {
  ...NUT_DAEMONS,
  upsmon: '/lib/nut/upsmon',
  certutil: 'certutil',
} as const;

// ---------------------------------------------------------------------------------------------
// Options and presets

export interface RigUps {
  /** UPS name (section in ups.conf). Letters, digits, `.`, `_`, `-`. */
  name: string;
  /** `desc = "..."` in ups.conf (GET UPSDESC / LIST UPS); omitted → upsd's "Unavailable". */
  desc?: string;
  /**
   * Variables of the dummy-ups `.dev` file (`name: value`). Values must be printable ASCII without
   * `"`, `\` or `#` (the driver mangles those at run time, main/nut/README.md §1.2). Defaults to the
   * Synology seed's variables. `driver.*` are set by dummy-ups itself and are left out of the file.
   */
  vars?: Readonly<Record<string, string>>;
  /**
   * Driver `pollinterval` in seconds (default 30; NUT's default is 2). dummy-ups sleeps 1 s per
   * cycle and serves requests for the rest of it, so a long cycle means near-instant SETs.
   */
  pollInterval?: number;
}

export interface RigUser {
  name: string;
  password: string;
  /** `upsmon primary|secondary` (or the legacy words) in upsd.users. */
  upsmon?: 'primary' | 'secondary' | 'master' | 'slave';
  /** `actions = ...` lines, e.g. `['SET', 'FSD']`. */
  actions?: readonly string[];
  /** `instcmds = ...` lines, e.g. `['ALL']`. */
  instcmds?: readonly string[];
}

export interface UpsdRigOptions {
  /** UPSes to serve; default one UPS named `ups` like a Synology NAS ({@link SYNOLOGY_UPS}). */
  upses?: readonly RigUps[];
  /** Users; default {@link DEFAULT_RIG_USERS}. Replaces the defaults; use `extraUsers` to add. */
  users?: readonly RigUser[];
  /** Added to `users`. */
  extraUsers?: readonly RigUser[];
  /** upsd MAXAGE in seconds (default 15); small values (e.g. 3) make DATA-STALE tests fast. */
  maxAge?: number;
  /** Serve STARTTLS with an NSS cert db made by certutil (main/nut/README.md §3.4). */
  tls?: boolean;
  /** Address upsd listens on (default 127.0.0.1). Must be a local address of this host. */
  listen?: string;
  /** Fixed port; default: a free port picked at start (kept across restarts). */
  port?: number;
  /** Extra raw lines for upsd.conf (e.g. `DISABLE_WEAK_SSL true`, `MAXCONN 16`). */
  upsdConfExtra?: readonly string[];
  /** Number of `-D` flags for upsd (more log lines in {@link Rig.logs}). */
  upsdDebug?: number;
  /** How long start-up may take before failing (default 15 s). */
  startTimeoutMs?: number;
  /** Keep a warm driver set for the next rig/restart with the same UPSes (default true unless NUT_RIG_PREWARM=0). */
  prewarm?: boolean;
}

/** Variables of the Synology seed's `upsc ups@nas` output (APC Back-UPS CS 350 via usbhid-ups). */
export const SYNOLOGY_UPS_VARS: Readonly<Record<string, string>> = {
  'battery.charge': '100',
  'battery.charge.low': '10',
  'battery.charge.warning': '50',
  'battery.date': '2021/08/15',
  'battery.mfr.date': '2021/08/15',
  'battery.runtime': '3007',
  'battery.runtime.low': '120',
  'battery.temperature': '29.2',
  'battery.type': 'PbAc',
  'battery.voltage': '13.5',
  'battery.voltage.nominal': '12.0',
  'device.mfr': 'American Power Conversion',
  'device.model': 'Back-UPS CS 350',
  'device.serial': '4B0841P06334',
  'device.type': 'ups',
  'input.sensitivity': 'low',
  'input.transfer.high': '278',
  'input.transfer.low': '160',
  'input.voltage': '234.0',
  'input.voltage.nominal': '230',
  'output.frequency': '50.0',
  'output.voltage': '230.0',
  'output.voltage.nominal': '230.0',
  'ups.beeper.status': 'enabled',
  'ups.delay.shutdown': '20',
  'ups.delay.start': '30',
  'ups.firmware': '807.q8.I',
  'ups.firmware.aux': 'q8',
  'ups.load': '16.0',
  'ups.mfr': 'American Power Conversion',
  'ups.mfr.date': '2008/10/07',
  'ups.model': 'Back-UPS CS 350',
  'ups.productid': '0002',
  'ups.realpower.nominal': '210',
  'ups.serial': '4B0841P06334',
  'ups.status': 'OL',
  'ups.test.result': 'No test initiated',
  'ups.timer.reboot': '0',
  'ups.timer.shutdown': '-1',
  'ups.timer.start': '0',
  'ups.vendorid': '051d',
};

/** Variables modelled on the Proxmox seed's `apc` (Back-UPS ES 700, offdelay 60, ondelay 70, lowbatt 80). */
export const PROXMOX_APC_UPS_VARS: Readonly<Record<string, string>> = {
  'battery.charge': '100',
  'battery.charge.low': '80',
  'battery.charge.warning': '50',
  'battery.date': 'not set',
  'battery.mfr.date': '2019/03/01',
  'battery.runtime': '1620',
  'battery.runtime.low': '120',
  'battery.type': 'PbAc',
  'battery.voltage': '13.6',
  'battery.voltage.nominal': '12.0',
  'device.mfr': 'American Power Conversion',
  'device.model': 'Back-UPS ES 700G',
  'device.serial': '5B1911T12345',
  'device.type': 'ups',
  'input.sensitivity': 'medium',
  'input.transfer.high': '266',
  'input.transfer.low': '180',
  'input.voltage': '230.0',
  'input.voltage.nominal': '230',
  'ups.beeper.status': 'enabled',
  'ups.delay.shutdown': '60',
  'ups.delay.start': '70',
  'ups.firmware': '871.O4 .I',
  'ups.firmware.aux': 'O4',
  'ups.load': '9',
  'ups.mfr': 'American Power Conversion',
  'ups.mfr.date': '2019/03/01',
  'ups.model': 'Back-UPS ES 700G',
  'ups.productid': '0002',
  'ups.realpower.nominal': '405',
  'ups.serial': '5B1911T12345',
  'ups.status': 'OL',
  'ups.test.result': 'No test initiated',
  'ups.timer.reboot': '0',
  'ups.timer.shutdown': '-1',
  'ups.vendorid': '051d',
};

/** Synology DSM's UPS: always named `ups`. */
export const SYNOLOGY_UPS: RigUps = {
  name: 'ups',
  desc: 'APC Back-UPS CS 350',
  vars: SYNOLOGY_UPS_VARS,
};
/** The Proxmox seed's UPS `apc`. */
export const PROXMOX_APC_UPS: RigUps = {
  name: 'apc',
  desc: 'APC Back-UPS ES 700',
  vars: PROXMOX_APC_UPS_VARS,
};

/** Users like the seeds' (Synology `monuser`/`secret`, Proxmox `upsmonclient`) plus a primary and an admin. */
export const RIG_USERS = {
  /** Synology's hard-coded monitoring user, as a secondary. */
  monuser: { name: 'monuser', password: 'secret', upsmon: 'secondary' },
  /** The Proxmox guide's secondary user (plain password). */
  upsmonclient: { name: 'upsmonclient', password: 'clientpass', upsmon: 'secondary' },
  /** A primary (`upsmon primary`: LOGIN, PRIMARY/MASTER, FSD). */
  monprimary: { name: 'monprimary', password: 'primarypass', upsmon: 'primary' },
  /** SET, FSD and every instant command; cannot LOGIN. */
  admin: { name: 'admin', password: 'adminpass', actions: ['SET', 'FSD'], instcmds: ['ALL'] },
} as const satisfies Record<string, RigUser>;

export const DEFAULT_RIG_USERS: readonly RigUser[] = Object.values(RIG_USERS);

/** The rig's own control user (always added; never LOGINs, so it never shows in NUMLOGINS/LIST CLIENT). */
export const RIG_CONTROL_USER = 'rigctl';

const DEFAULT_POLL_INTERVAL = 30;

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
// TLS: NSS cert db made by certutil, cached per process and per SAN set

interface CertBundle {
  dir: string;
  password: string;
  nickname: string;
  certPem: string;
  fingerprint256: string;
}

const certCache = new Map<string, Promise<CertBundle>>();
const CERT_NICKNAME = 'nut-test-server';

async function certutil(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(NUT_BINARIES.certutil, args, { timeout: 30_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    const hint = (error as { code?: string }).code === 'ENOENT' ? ' (install libnss3-tools)' : '';
    throw new Error(
      `certutil ${args.join(' ')} failed${hint}: ${stderr || (error as Error).message}`,
      { cause: error },
    );
  }
}

/** Creates (once per process and SAN set) an NSS db with a self-signed server certificate. */
function getCertBundle(sans: readonly string[]): Promise<CertBundle> {
  const key = sans.join(',');
  let bundle = certCache.get(key);
  if (!bundle) {
    bundle = makeCertBundle(sans);
    certCache.set(key, bundle);
    bundle.catch(() => certCache.delete(key));
  }
  return bundle;
}

async function makeCertBundle(sans: readonly string[]): Promise<CertBundle> {
  const dir = await makeTempDir('certs');
  const password = randomBytes(12).toString('hex');
  const pwFile = path.join(dir, 'pw.txt');
  const noiseFile = path.join(dir, 'noise.bin');
  const db = path.join(dir, 'db');
  await fsp.mkdir(db, { mode: 0o700 });
  await fsp.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  await fsp.writeFile(noiseFile, randomBytes(2048), { mode: 0o600 });
  await certutil(['-N', '-d', `sql:${db}`, '-f', pwFile]);
  // main/nut/README.md §3.4, with --extSAN instead of -8 so 127.0.0.1 is an IP SAN (Node checks IPs against IP SANs only).
  await certutil([
    '-S',
    '-d',
    `sql:${db}`,
    '-n',
    CERT_NICKNAME,
    '-s',
    'CN=localhost',
    '-t',
    'CT,,',
    '-x',
    '-k',
    'rsa',
    '-g',
    '2048',
    '-v',
    '12',
    '-f',
    pwFile,
    '-z',
    noiseFile,
    '--extSAN',
    sans.join(','),
  ]);
  const certPem = await certutil(['-L', '-d', `sql:${db}`, '-n', CERT_NICKNAME, '-a']);
  const fingerprint256 = new X509Certificate(certPem).fingerprint256;
  return { dir: db, password, nickname: CERT_NICKNAME, certPem, fingerprint256 };
}

/**
 * A self-signed certificate made the same way as the TLS rig's (NSS certutil), for tests that need
 * a certificate other than the server's (e.g. a wrong CA). Cached per SAN list.
 */
export async function makeTestCertificate(
  sans: readonly string[] = ['dns:other.invalid'],
): Promise<{ certPem: string; fingerprint256: string }> {
  const bundle = await getCertBundle(sans);
  return { certPem: bundle.certPem, fingerprint256: bundle.fingerprint256 };
}

// ---------------------------------------------------------------------------------------------
// Driver sets (the dummy-ups processes of one rig generation), with a per-process warm pool

const UPS_NAME = /^[A-Za-z0-9._-]+$/;
const VAR_NAME = /^[A-Za-z0-9._-]+$/;
const SAFE_VALUE = /^[\x20-\x7e]*$/;

function assertSafeValue(what: string, value: string): void {
  if (!SAFE_VALUE.test(value) || /["\\#]/.test(value)) {
    throw new Error(
      `${what}: ${JSON.stringify(value)} must be printable ASCII without ", \\ or # (dummy-ups mangles them; main/nut/README.md §1.2)`,
    );
  }
}

/** ups.conf content for a set of UPSes whose `.dev` files live in `etcDir`. */
function upsConf(upses: readonly RigUps[], etcDir: string): string {
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

class DriverSet {
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

function prewarmEnabled(option: boolean | undefined): boolean {
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
async function acquireDriverSet(
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
