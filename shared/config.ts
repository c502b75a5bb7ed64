/**
 * The one configuration schema, shared by the tray app, the headless agent, the importers and
 * the settings UI. Defaults equal upsmon's where a directive exists (main/monitor/README.md §1.1).
 * Passwords are never part of it: a UPS entry names where its secret lives.
 */
import * as z from 'zod';
import { AlertsSchema, MetricsEndpointSchema, SecretSourceSchema } from './channels';
import { NOTIFY_TYPES } from './notify-types';
import { SelfTestScheduleSchema } from './ups-commands';

/** A program and its arguments, run with execFile (never through a shell). */
export const CommandSchema = z.object({
  file: z.string().min(1, 'the program path is empty'),
  args: z.array(z.string()).default([]),
});
export type Command = z.infer<typeof CommandSchema>;

const seconds = (min: number, max: number, fallback: number) =>
  z.number().min(min).max(max).default(fallback);

export const TimingSchema = z.object({
  /** How often `ups.status` is read (fast path for detection; upsmon POLLFREQ is 5 s). */
  statusPollSeconds: seconds(0.1, 60, 0.5),
  /** How often every variable is read (LIST VAR) for the dashboard and history. */
  fullPollSeconds: seconds(1, 3600, 5),
  /** upsmon DEADTIME: a UPS last seen on battery and silent this long counts as low battery. */
  deadTimeSeconds: seconds(1, 3600, 15),
  /** upsmon HOSTSYNC: how long a secondary waits for the master's FSD after OB+LB. */
  hostSyncSeconds: seconds(0, 3600, 15),
  /** upsmon FINALDELAY: between the SHUTDOWN notification and the shutdown command. */
  finalDelaySeconds: seconds(0, 3600, 5),
  /** upsmon NOCOMMWARNTIME: repeat interval of NOCOMM. */
  noCommWarnSeconds: seconds(1, 86_400, 300),
  /** upsmon RBWARNTIME: repeat interval of REPLBATT. */
  rbWarnSeconds: seconds(1, 604_800, 43_200),
  /**
   * Comm lost while the UPS was last on bypass, off or calibrating (no battery behind the load)
   * is critical after this long; 0 = at once, like upsmon 2.8.1+ (which polls 10× less often).
   */
  commLossCriticalSeconds: seconds(0, 3600, 5),
  connectTimeoutSeconds: seconds(0.5, 120, 5),
  requestTimeoutSeconds: seconds(0.5, 120, 5),
});
export type Timing = z.infer<typeof TimingSchema>;

export const TlsSchema = z
  .object({
    /** off: plaintext; opportunistic: STARTTLS when offered (like upsmon's default); required: refuse plaintext. */
    mode: z.enum(['off', 'opportunistic', 'required']).default('off'),
    /** PEM of a CA or of the self-signed server certificate to verify against. */
    caPem: z.string().optional(),
    /** Pinned SHA-256 fingerprint of the server certificate (hex, colons optional). */
    fingerprint256: z
      .string()
      .regex(
        /^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/,
        'a SHA-256 fingerprint is 32 hex byte pairs, e.g. AB:CD:…',
      )
      .optional(),
    /** Accept any certificate (encrypts, but does not authenticate the master). */
    insecure: z.boolean().default(false),
  })
  .transform((tls) => ({ ...tls, mode: impliedTlsMode(tls) }));
export type TlsConfig = z.infer<typeof TlsSchema>;

/**
 * A pinned fingerprint or a CA says the user wants this master authenticated, so `opportunistic`
 * means `required` with them: otherwise whoever answers STARTTLS with ERR FEATURE-NOT-CONFIGURED
 * gets USERNAME and PASSWORD in plain text.
 */
export function impliedTlsMode(tls: {
  mode: 'off' | 'opportunistic' | 'required';
  caPem?: string | undefined;
  fingerprint256?: string | undefined;
}): 'off' | 'opportunistic' | 'required' {
  const pinned = (tls.caPem ?? '').trim() !== '' || (tls.fingerprint256 ?? '').trim() !== '';
  return tls.mode === 'opportunistic' && pinned ? 'required' : tls.mode;
}

/** Where a UPS entry's password comes from (the same sources as every other secret). `store`: the OS keychain (safeStorage) in the app. */
export const PasswordSourceSchema = SecretSourceSchema;
export type PasswordSource = z.infer<typeof PasswordSourceSchema>;

/** YYYY-MM-DD names a real day (2025-02-30 does not). */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const upsNamePattern = /^[A-Za-z0-9_.-]+$/;

export const MonitoredUpsSchema = z.object({
  /** UPS name on the master (Synology: always `ups`). */
  name: z.string().regex(upsNamePattern, 'a UPS name has letters, digits, `_`, `.` or `-` only'),
  /** secondary: LOGIN, honour FSD, shut this machine down. monitor-only: watch, never shut down. */
  role: z.enum(['secondary', 'monitor-only']).default('secondary'),
  /** upsd.users user; empty = anonymous reads only (monitor-only). */
  username: z.string().default(''),
  password: PasswordSourceSchema.default({ source: 'store' }),
  /** upsmon MONITOR power value; 0 never triggers a shutdown. */
  powerValue: z.number().int().min(0).max(16).default(1),
  /** Hosts (IP or name) that should be logged in to this UPS; a notification fires when one goes missing. */
  expectedClients: z.array(z.string().min(1)).default([]),
  /** Put before the title of every remote alert about this UPS, e.g. `[NAS]`. */
  messagePrefix: z.string().max(40).optional(),
  /** The day this UPS's battery was last replaced (YYYY-MM-DD): battery age, and which outages count for the capacity estimate. */
  batteryReplacedOn: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD, e.g. 2025-03-14')
    .refine(isCalendarDate, 'not a calendar date (check the month and the day)')
    .optional(),
  /** Scheduled self-tests through INSTCMD (main/ups-commands); off by default. */
  selfTest: SelfTestScheduleSchema.prefault({}),
});
export type MonitoredUps = z.infer<typeof MonitoredUpsSchema>;

export const MasterSchema = z.object({
  /** Stable id (slug) used for secrets, history and routes. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an id has lower-case letters, digits and dashes'),
  label: z.string().min(1),
  preset: z.enum(['synology', 'proxmox', 'generic']).default('generic'),
  host: z.string().min(1, 'the master host is empty'),
  port: z.number().int().min(1).max(65_535).default(3493),
  tls: TlsSchema.prefault({}),
  ups: z.array(MonitoredUpsSchema).min(1, 'a master needs at least one UPS'),
});
export type Master = z.infer<typeof MasterSchema>;

/** Per-event behaviour, like upsmon's NOTIFYFLAG (notify ≈ SYSLOG/desktop, exec ≈ EXEC) and NOTIFYMSG. */
export const EventPolicySchema = z.object({
  notify: z.boolean().optional(),
  exec: z.boolean().optional(),
  /** upsmon NOTIFYMSG template; `%s` is the UPS system string (`ups@host`). */
  message: z.string().optional(),
});

export const NotifyTypeSchema = z.enum(NOTIFY_TYPES);

/** A command run on given events (our per-event hooks), with NOTIFYTYPE/UPSNAME in its environment. */
export const EventHookSchema = z.object({
  events: z.array(NotifyTypeSchema).min(1),
  /** `*` or a UPS system string (`ups@host[:port]`) as in upssched's AT lines. */
  ups: z.string().default('*'),
  command: CommandSchema,
  timeoutSeconds: seconds(1, 3600, 30),
});

/** upssched-compatible rule: `AT <event> <ups|*> START-TIMER|CANCEL-TIMER|EXECUTE …`. */
export const UpsschedRuleSchema = z.discriminatedUnion('action', [
  z.object({
    event: NotifyTypeSchema,
    ups: z.string().default('*'),
    action: z.literal('START-TIMER'),
    timer: z.string().min(1),
    seconds: z.number().min(0),
  }),
  z.object({
    event: NotifyTypeSchema,
    ups: z.string().default('*'),
    action: z.literal('CANCEL-TIMER'),
    timer: z.string().min(1),
    command: z.string().optional(),
  }),
  z.object({
    event: NotifyTypeSchema,
    ups: z.string().default('*'),
    action: z.literal('EXECUTE'),
    command: z.string().min(1),
  }),
]);
export type UpsschedRule = z.infer<typeof UpsschedRuleSchema>;

export const HooksSchema = z.object({
  events: z.partialRecord(NotifyTypeSchema, EventPolicySchema).default({}),
  /** upsmon NOTIFYCMD: run for events with exec, message as its last argument. */
  notifyCommand: CommandSchema.optional(),
  eventHooks: z.array(EventHookSchema).default([]),
  /** upssched: CMDSCRIPT receives the timer name / EXECUTE argument as its last argument. */
  upssched: z
    .object({ cmdScript: CommandSchema, rules: z.array(UpsschedRuleSchema).default([]) })
    .optional(),
  timeoutSeconds: seconds(1, 3600, 30),
  /** A queued hook run that could only start this long after its event is dropped (with an event saying so). */
  maxStartDelaySeconds: seconds(1, 3600, 30),
  /**
   * Environment variables passed to hooks, upssched commands, NOTIFYCMD and the shutdown command
   * beyond the basic set (PATH, HOME, USER, LOGNAME, LANG, LC_*, TZ; on Windows SystemRoot, ComSpec,
   * windir, PATHEXT). A variable that holds a password (`{ "source": "env" }`) is never passed.
   */
  passEnvironment: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name'))
    .default([]),
});
export type Hooks = z.infer<typeof HooksSchema>;

export const ShutdownSchema = z.object({
  /** null: the platform's safe default (see main/hooks/shutdown-command.ts). */
  command: CommandSchema.nullable().default(null),
  /** Record what would run instead of running it. */
  dryRun: z.boolean().default(false),
  timeoutSeconds: seconds(1, 3600, 120),
  /** What to do when the master already has FSD latched while the UPS is on line at start. */
  latchedFsdAtStart: z.enum(['ignore-while-online', 'ask', 'obey']).default('ignore-while-online'),
  /**
   * upsmon MINSUPPLIES, for a machine with redundant power supplies on several UPSes: shut down
   * once the power values of the secondary UPSes that are not critical add up to less than this.
   * null (default): any secondary UPS that turns critical shuts this machine down — safer when
   * UPSes are added just to watch them. Summed by MonitorService (checkSupplies).
   */
  minSupplies: z.number().int().min(0).max(64).nullable().default(null),
});

export const NotificationsSchema = z.object({
  desktop: z.boolean().default(true),
  paused: z.boolean().default(false),
  /** The same notification key is not shown again within this window. */
  dedupeSeconds: seconds(0, 86_400, 60),
});

export const HistorySchema = z.object({
  /**
   * false: no history file — the event log, the alert outbox and FSD test reports are kept in
   * memory only until the process stops, no metrics samples are kept, and SQLite is never loaded
   * (less memory on small machines). Read at start; a change takes effect at the next start.
   */
  enabled: z.boolean().default(true),
  retentionDays: z.number().int().min(1).max(3650).default(30),
  maxEvents: z.number().int().min(1000).max(10_000_000).default(200_000),
  sampleSeconds: seconds(1, 3600, 5),
});

/** Outage records (main/outages). */
export const OutagesSchema = z.object({
  /** Outages shorter than this are counted, but grouped as blips in lists. */
  blipSeconds: seconds(0, 3600, 30),
  /**
   * An outage in progress ends as "comm lost" once the UPS has been unreadable this long (upsd
   * down, the network gone); it ends at the moment the UPS became unreadable. Shorter gaps are
   * bridged: the outage continues when the reads come back on battery.
   */
  commLostSeconds: z
    .number()
    .min(5, 'Too small: at least 5 s, so that a short gap in the reads does not end the outage')
    .max(3600)
    .default(60),
});

/** Battery health (main/outages): when to remind that the battery needs replacing. */
export const BatterySchema = z.object({
  /** Remind once the battery is this old (lead-acid UPS batteries last 3–5 years). */
  maxAgeYears: z.number().min(0.5).max(20).default(4),
  /** Remind once the capacity estimate has fallen this many percent below the battery's first outages. */
  capacityDriftPercent: z.number().min(5).max(80).default(20),
  /** Outages at least this long count for the capacity estimate (shorter ones say too little). */
  usefulOutageMinutes: z.number().min(0.05).max(240).default(5),
});

export const ConfigSchema = z
  .object({
    version: z.literal(1).default(1),
    masters: z.array(MasterSchema).default([]),
    timing: TimingSchema.prefault({}),
    hooks: HooksSchema.prefault({}),
    shutdown: ShutdownSchema.prefault({}),
    notifications: NotificationsSchema.prefault({}),
    history: HistorySchema.prefault({}),
    outages: OutagesSchema.prefault({}),
    battery: BatterySchema.prefault({}),
    /** Remote alert channels and incident settings (main/channels). */
    alerts: AlertsSchema.prefault({}),
    /** The opt-in Prometheus endpoint (main/metrics). */
    metrics: MetricsEndpointSchema.prefault({}),
    startAtLogin: z.boolean().default(false),
  })
  .superRefine((config, ctx) => {
    const { minSupplies } = config.shutdown;
    const available = feedingPower(config.masters);
    if (minSupplies !== null && minSupplies > available) {
      ctx.addIssue({
        code: 'custom',
        path: ['shutdown', 'minSupplies'],
        message: `MINSUPPLIES ${minSupplies} is more than the secondary UPSes feed (power values add up to ${available}): this machine would shut down at once. Lower it, or turn it off to shut down when any secondary UPS is critical`,
      });
    }
    const known = new Set(
      config.masters.flatMap((master) => master.ups.map((ups) => monitorId(master.id, ups.name))),
    );
    const seen = new Set<string>();
    config.alerts.channels.forEach((channel, index) => {
      if (seen.has(channel.id))
        ctx.addIssue({
          code: 'custom',
          path: ['alerts', 'channels', index, 'id'],
          message: `a second channel is called "${channel.id}": ids must be unique`,
        });
      seen.add(channel.id);
      channel.ups.forEach((id, i) => {
        if (id !== '*' && !known.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['alerts', 'channels', index, 'ups', i],
            message: `no monitored UPS "${id}": use "*" or MASTER-ID/UPS-NAME of an entry under masters (${[...known].join(', ') || 'none configured'})`,
          });
        }
      });
    });
  });
export type Config = z.infer<typeof ConfigSchema>;

/** One monitored UPS with its master, by monitor id (`MASTER-ID/UPS-NAME`). */
export interface MonitorTarget {
  master: Master;
  ups: MonitoredUps;
  monitorId: string;
}

export function findMonitorTarget(config: Config, monitorId: string): MonitorTarget | undefined {
  for (const master of config.masters)
    for (const ups of master.ups)
      if (`${master.id}/${ups.name}` === monitorId) return { master, ups, monitorId };
  return undefined;
}
export type ConfigInput = z.input<typeof ConfigSchema>;

/** A UPS entry that decides about this machine: role secondary with a power value above 0. */
export function feedsThisMachine(ups: Pick<MonitoredUps, 'role' | 'powerValue'>): boolean {
  return ups.role === 'secondary' && ups.powerValue > 0;
}

/** The power values of the UPSes that feed this machine, added up (upsmon's total power). */
export function feedingPower(masters: readonly Pick<Master, 'ups'>[]): number {
  return masters.reduce(
    (sum, master) =>
      sum + master.ups.reduce((s, ups) => s + (feedsThisMachine(ups) ? ups.powerValue : 0), 0),
    0,
  );
}

export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}

/** The secret-store key of a UPS entry's password. */
export function passwordKey(masterId: string, upsName: string): string {
  return `nut-password:${masterId}:${upsName}`;
}

/** upsmon's system string for a UPS (`ups@host` or `ups@host:port`), used in messages, UPSNAME and upssched matching. */
export function upsSystemName(master: Pick<Master, 'host' | 'port'>, upsName: string): string {
  const host = master.host.includes(':') ? `[${master.host}]` : master.host;
  return master.port === 3493 ? `${upsName}@${host}` : `${upsName}@${host}:${master.port}`;
}

/** Stable id of one monitored UPS across the app (history, routes, IPC). */
export function monitorId(masterId: string, upsName: string): string {
  return `${masterId}/${upsName}`;
}

/** Presets offered when adding a master (main/nut/README.md §5). */
export const MASTER_PRESETS = {
  synology: {
    label: 'Synology NAS',
    port: 3493,
    ups: { name: 'ups', username: 'monuser', password: 'secret', role: 'secondary' },
    hints: [
      'In DSM: Control Panel → Hardware & Power → UPS → enable "Network UPS server".',
      'Add this machine’s IP address (IPv4 and, if used, IPv6) under "Permitted DiskStation devices"; otherwise the NAS answers ACCESS-DENIED.',
      'DSM’s UPS name is always "ups"; the built-in user is "monuser" with password "secret" (some DSM versions use "upsmon").',
    ],
  },
  proxmox: {
    label: 'Proxmox VE host',
    port: 3493,
    ups: { name: '', username: 'upsmonclient', password: '', role: 'secondary' },
    hints: [
      'upsd listens on localhost only until upsd.conf has `LISTEN 0.0.0.0 3493` (then restart nut-server).',
      'With the PVE firewall on, allow tcp/3493 at datacenter or node level, or clients time out.',
      'Create a secondary user in /etc/nut/upsd.users: `[upsmonclient]` `password = …` `upsmon secondary` (PVE 8 and later, NUT 2.8+); PVE 7 ships NUT 2.7, which knows only `upsmon slave`.',
    ],
  },
  generic: {
    label: 'NUT server',
    port: 3493,
    ups: { name: '', username: '', password: '', role: 'secondary' },
    hints: [],
  },
} as const;
