/**
 * What the UI and the tray show: view models built by the core from the monitor state, the
 * last readings and the master's identity. Every reading carries its age and a `stale` flag, so
 * last-known values are shown as such (never as live numbers); missing data is null, never 0.
 */
import * as z from 'zod';

export const ConnectionStateSchema = z.enum([
  /** First connect still in progress. */
  'connecting',
  /** Session up (and logged in, for a secondary). */
  'connected',
  /** Was up, now down or the driver is stale: readings are old. */
  'lost',
  /** Never reached the master since start. */
  'unreachable',
  /** The master refused LOGIN: a configuration error, shown loudly. */
  'login-refused',
  /** The master refuses every command from this machine (Synology: not in Permitted DiskStation devices). */
  'not-permitted',
  /** Not monitoring (sleep, or the app is stopping). */
  'paused',
  /** Logged out on purpose: the shutdown command started (dry run: until the rehearsal logs in again). */
  'logged-out',
]);
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;

export const DiagnosisSchema = z.object({
  /** NUT ERR code or socket error kind (`refused`, `timeout`, …). */
  code: z.string(),
  explanation: z.string(),
  fix: z.string(),
});
export type Diagnosis = z.infer<typeof DiagnosisSchema>;

/** `rehearsed`: dry run — the command was recorded, not run; monitoring goes on until the UPS is back on line. */
export const ShutdownPhaseSchema = z.enum([
  'none',
  'waiting-hostsync',
  'final-delay',
  'command-running',
  'done',
  'rehearsed',
]);

export const ServerIdentitySchema = z.object({
  kind: z.enum(['synology', 'proxmox', 'nut', 'unknown']),
  /** VER text, e.g. `Network UPS Tools upsd 2.8.0 - …` or Synology's `… DSM7-2-…`. */
  version: z.string().nullable(),
  /** NETVER / PROTVER, e.g. `1.3`. */
  protocol: z.string().nullable(),
});
export type ServerIdentity = z.infer<typeof ServerIdentitySchema>;

/**
 * What the server says it is — never what the user picked as a preset: a Proxmox VE master is
 * called so only when its VER mentions it (a stock upsd on Proxmox reports plain NUT).
 */
export function detectedServerKind(
  version: string | null,
  isSynology: boolean,
): ServerIdentity['kind'] {
  if (isSynology) return 'synology';
  if (version === null) return 'unknown';
  return /\b(proxmox|pve)\b/i.test(version) ? 'proxmox' : 'nut';
}

/** The master link's encryption as configured and as the current (or last) connection has it. */
export const TlsStateSchema = z.object({
  /** Configured mode (a CA or pin makes `opportunistic` `required`). */
  mode: z.enum(['off', 'opportunistic', 'required']),
  /**
   * `encrypted`: STARTTLS succeeded; `plaintext`: TLS is off; `plaintext-fallback`: opportunistic
   * and the server declined STARTTLS. Null before the first connection.
   */
  link: z.enum(['encrypted', 'plaintext', 'plaintext-fallback']).nullable(),
  /** Negotiated TLS version, e.g. `TLSv1.3`. */
  protocol: z.string().nullable(),
  /** The server's ERR code when it declined STARTTLS. */
  declinedCode: z.string().nullable(),
});
export type TlsState = z.infer<typeof TlsStateSchema>;

export const ConnectedClientSchema = z.object({
  address: z.string(),
  /** Reverse-DNS name when it resolves. */
  hostname: z.string().nullable(),
  isThisMachine: z.boolean(),
});

/**
 * The address the master sees this machine as: what a Synology's Permitted DiskStation devices
 * and a Proxmox firewall rule must name. Taken from the session connection's local address and
 * checked against the master's LIST CLIENT.
 */
export const MasterSeesSchema = z.object({
  /** This machine's address on its session connection to the master; null before the first connection. */
  address: z.string().nullable(),
  /**
   * `listed`: the master's LIST CLIENT shows this address. `not-listed`: this machine is logged in
   * and the master lists its clients, but not this address (a NAT, VPN or proxy in between: the
   * master sees another address). `unverified`: no LIST CLIENT since this connection (the server
   * cannot list, e.g. Synology, or this machine is not logged in).
   */
  check: z.enum(['listed', 'not-listed', 'unverified']),
  /** The address before the last change seen while running (a new DHCP lease), else null. */
  previous: z.string().nullable(),
  /** Epoch ms that change was seen. */
  changedAt: z.number().nullable(),
});
export type MasterSees = z.infer<typeof MasterSeesSchema>;

export const UpsSnapshotSchema = z.object({
  monitorId: z.string(),
  masterId: z.string(),
  masterLabel: z.string(),
  upsName: z.string(),
  /** upsmon system string: `ups@host[:port]`. */
  systemName: z.string(),
  role: z.enum(['secondary', 'monitor-only']),
  connection: ConnectionStateSchema,
  loggedIn: z.boolean(),
  /** Raw ups.status as last read (null until the first read). */
  status: z.string().nullable(),
  /** The status in words ("On battery, low battery"). */
  statusText: z.string(),
  /** Drives colour and the tray icon. */
  level: z.enum(['online', 'on-battery', 'low-battery', 'shutting-down', 'comm-lost', 'unknown']),
  unknownTokens: z.array(z.string()),
  critical: z.boolean(),
  criticalReason: z.string().nullable(),
  shutdown: z.object({
    phase: ShutdownPhaseSchema,
    deadline: z.number().nullable(),
    dryRun: z.boolean(),
    /** Epoch ms the dry-run shutdown was rehearsed (phase `rehearsed`), else null. */
    rehearsedAt: z.number().nullable().default(null),
    /** done: whether the real command succeeded (false: this machine is still up — "Re-arm monitoring"). */
    commandOk: z.boolean().nullable().default(null),
  }),
  /** Epoch ms of the first OB read of this stretch on battery (null while not on battery). */
  onBatterySince: z.number().nullable().default(null),
  /**
   * What this UPS does to this machine, in words: "Shuts down this machine at low battery after
   * HOSTSYNC 15 s, or at once on FSD; then FINALDELAY 5 s and `/sbin/shutdown -h +0`", or why not.
   */
  rule: z
    .object({ shutsDown: z.boolean(), text: z.string() })
    .default({ shutsDown: false, text: '' }),
  /** Which UPS it is, as the master reports it (`device.*`, else `ups.*`); null where it does not say. */
  device: z
    .object({ model: z.string().nullable(), manufacturer: z.string().nullable() })
    .default({ model: null, manufacturer: null }),
  fsdLatchedAtStart: z.boolean(),
  /** How a latched FSD is handled: `awaiting-choice` asks the operator (policy `ask`). */
  fsdLatch: z.enum(['ignored', 'awaiting-choice', 'obeyed']).nullable().optional(),
  metrics: z.object({
    charge: z.number().nullable(),
    runtime: z.number().nullable(),
    load: z.number().nullable(),
    inputVoltage: z.number().nullable(),
    outputVoltage: z.number().nullable(),
    /**
     * Load in watts: `ups.realpower` when the UPS measures it, else `ups.realpower.nominal` × `ups.load`;
     * null when it gives neither (never estimated from anything else).
     */
    realPower: z.number().nullable().default(null),
    /** `measured` (ups.realpower) or `nominal` (ups.realpower.nominal × ups.load); null with realPower. */
    realPowerSource: z.enum(['measured', 'nominal']).nullable().default(null),
  }),
  /** Epoch ms of the last successful status read / full variable read. */
  statusAt: z.number().nullable(),
  variablesAt: z.number().nullable(),
  /** True when the readings are older than the polling intervals allow. */
  stale: z.boolean(),
  lastError: DiagnosisSchema.nullable(),
  server: ServerIdentitySchema,
  tls: TlsStateSchema,
  clients: z.object({
    /** LIST CLIENT result, null when the server cannot list (then numLogins is all there is). */
    list: z.array(ConnectedClientSchema).nullable(),
    numLogins: z.number().nullable(),
    missingExpected: z.array(z.string()),
    at: z.number().nullable(),
  }),
  masterSees: MasterSeesSchema.default({
    address: null,
    check: 'unverified',
    previous: null,
    changedAt: null,
  }),
  /** "Replace the battery" with its reasons (main/outages battery health); null when nothing says so. */
  batteryReminder: z
    .object({
      text: z.string(),
      reasons: z.array(z.enum(['age', 'replbatt', 'self-test', 'capacity'])),
    })
    .nullable()
    .default(null),
});
export type UpsSnapshot = z.infer<typeof UpsSnapshotSchema>;

/** Shown wherever this machine would shut down (sidebar, cards, tray) while dry run is on. */
export const DRY_RUN_BADGE = 'Dry run — this machine will not shut down';

/** This UPS would shut this machine down, but dry run is on (monitor-only / power value 0 never would). */
export function dryRunApplies(ups: Pick<UpsSnapshot, 'role' | 'shutdown'>): boolean {
  return ups.role === 'secondary' && ups.shutdown.dryRun;
}

/** A real shutdown is under way (FINALDELAY or the command, not a dry run): the only "Shutting down". */
export function realShutdownUnderway(ups: Pick<UpsSnapshot, 'shutdown'>): boolean {
  const { phase, dryRun } = ups.shutdown;
  return !dryRun && (phase === 'final-delay' || phase === 'command-running');
}

export const TrayLevelSchema = z.enum([
  'online',
  'on-battery',
  'low-battery',
  'shutting-down',
  'comm-lost',
  'not-configured',
]);
export type TrayLevel = z.infer<typeof TrayLevelSchema>;

export const TrayStateSchema = z.object({
  /** The worst state across monitored UPSes. */
  level: TrayLevelSchema,
  /** A UPS whose master refuses this machine: the tray and sidebar say so instead of "communication lost". */
  attention: z.enum(['login-refused', 'not-permitted']).nullable().optional(),
  /** Battery level of the UPS that decided the level (null when unknown). */
  charge: z.number().nullable(),
  tooltip: z.string(),
});
export type TrayState = z.infer<typeof TrayStateSchema>;

/** A UPS's own tray level (not-configured only describes having no UPS at all). */
export type UpsTrayLevel = Exclude<TrayLevel, 'not-configured'>;

/** Severity order for "worst of": the one rule the core's tray state, the Electron tray and the UI share. */
export const TRAY_SEVERITY: Readonly<Record<UpsTrayLevel, number>> = {
  online: 0,
  'comm-lost': 1,
  'on-battery': 2,
  'low-battery': 3,
  'shutting-down': 4,
};

/** The tray level of one UPS: its own level, raised by a critical condition, a shutdown in progress and stale or lost data. */
export function upsTrayLevel(ups: UpsSnapshot): UpsTrayLevel {
  const candidates: UpsTrayLevel[] = [ups.level === 'unknown' ? 'comm-lost' : ups.level];
  if (ups.critical) candidates.push('low-battery');
  if (realShutdownUnderway(ups)) candidates.push('shutting-down');
  // A deliberate logout (the shutdown sequence's) is not lost data.
  if (ups.stale || (ups.connection !== 'connected' && ups.connection !== 'logged-out'))
    candidates.push('comm-lost');
  return candidates.reduce(
    (worst, level) => (TRAY_SEVERITY[level] > TRAY_SEVERITY[worst] ? level : worst),
    'online',
  );
}

/** The worst tray level across UPSes, with the lowest battery charge among the UPSes at that level. */
export function worstTrayLevel(ups: readonly UpsSnapshot[]): {
  level: TrayLevel;
  charge: number | null;
} {
  if (ups.length === 0) return { level: 'not-configured', charge: null };
  const levels = ups.map(upsTrayLevel);
  const level = levels.reduce(
    (worst, l) => (TRAY_SEVERITY[l] > TRAY_SEVERITY[worst] ? l : worst),
    'online',
  );
  const charges = ups
    .filter((_, index) => levels[index] === level)
    .map((u) => u.metrics.charge)
    .filter((c): c is number => c !== null && Number.isFinite(c));
  return { level, charge: charges.length > 0 ? Math.min(...charges) : null };
}

/** A configured program that cannot run on this machine (main/config/program-check.ts). */
export const ProgramProblemSchema = z.object({
  /** Where in the config, e.g. `shutdown.command.file`. */
  path: z.string(),
  message: z.string(),
  /** error: the shutdown command (this machine would not shut down) or a relative path. */
  severity: z.enum(['error', 'warning']),
});
export type ProgramProblem = z.infer<typeof ProgramProblemSchema>;

/** Shown wherever the shutdown command's problem is (window banner, tray). */
export const SHUTDOWN_CANNOT_RUN = 'The shutdown command cannot run on this machine';

/** The shutdown command's problem among them, if it has one. */
export function shutdownProgramProblem(
  problems: readonly ProgramProblem[],
): ProgramProblem | undefined {
  return problems.find((p) => p.path.startsWith('shutdown.'));
}

export const AppSnapshotSchema = z.object({
  ups: z.array(UpsSnapshotSchema),
  tray: TrayStateSchema,
  notificationsPaused: z.boolean(),
  /** The config file could not be loaded (file, line, reason); the app runs without it until fixed. */
  configProblem: z.string().nullable(),
  /** The shutdown command and hook programs of the running config that cannot run here. */
  programProblems: z.array(ProgramProblemSchema),
  /** Epoch ms the snapshot was built: the UI shows data ages relative to it. */
  at: z.number(),
});
export type AppSnapshot = z.infer<typeof AppSnapshotSchema>;
