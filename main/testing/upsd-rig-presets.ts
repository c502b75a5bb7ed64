/** The real-upsd rig's options, the NUT binaries it runs, and the UPS and user presets (see upsd-rig.ts). */
import { NUT_DAEMONS } from '../demo/nut-daemons';

/** Binaries of Debian's nut-server/nut-client: the daemons, plus upsmon and NSS's certutil for the rigs. */
export const NUT_BINARIES = {
  ...NUT_DAEMONS,
  upsmon: '/lib/nut/upsmon',
  certutil: 'certutil',
} as const;

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
/**
 * A `batteryReplacedOn` (30 days ago) for tests about other alerts: the Synology preset's
 * battery.date is years old, and its "replace the battery" reminder would join their counts.
 */
export function recentBatteryReplacement(): string {
  return new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
}

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

export const DEFAULT_POLL_INTERVAL = 30;
