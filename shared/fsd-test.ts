/**
 * The guarded FSD test (the seeds' `upsmon -c fsd` + reading syslog, made observable): what the
 * wizard, the tray and `nut-sentinel fsd-test` send, what the core answers, and the report kept
 * in history. Shared because the renderer builds the wizard from these types and the IPC
 * contract (shared/ipc.ts) carries them; the engine lives in main/fsd-test.
 *
 * Two modes:
 * - `local`: this machine's shutdown sequence only (like `upsmon -c fsd` on a secondary): the
 *   SHUTDOWN notification through the hooks, FINALDELAY, the shutdown command (dry run unless
 *   explicitly asked for real). Never sends anything privileged to the master.
 * - `master`: `FSD <ups>` sent to the master with a credential that has the FSD right; every
 *   secondary of that UPS really shuts down, and usually the master and the UPS power too.
 *   The report says which secondaries logged out within the master's HOSTSYNC.
 */
import * as z from 'zod';

export const FsdModeSchema = z.enum(['local', 'master']);
export type FsdMode = z.infer<typeof FsdModeSchema>;

/** upsmon's default HOSTSYNC (main/monitor/README.md §1.1); upsd does not publish the master's value. */
export const DEFAULT_MASTER_HOSTSYNC_SECONDS = 15;

/**
 * Master mode needs a UPS on line and charged at least this much: an FSD "test" during a real
 * outage (or right after one) powers the master and the UPS off early, with too little battery
 * left for the next cut.
 */
export const DEFAULT_FSD_MIN_CHARGE_PERCENT = 80;

/**
 * The credential for `FSD <ups>`, apart from the monitoring credential: typed in for this test
 * (optionally remembered in the secret store), or the one remembered earlier for this UPS.
 */
export const FsdCredentialSchema = z.discriminatedUnion('source', [
  z.object({
    source: z.literal('entered'),
    username: z
      .string()
      .min(
        1,
        'enter the user name that has the FSD right (upsmon primary/master, or actions = FSD)',
      )
      .max(256),
    password: z.string().max(512),
    /** Keep it in the secret store (never in the config file) for the next test. */
    remember: z.boolean().default(false),
  }),
  z.object({ source: z.literal('stored') }),
]);
export type FsdCredential = z.infer<typeof FsdCredentialSchema>;

export const FsdPreflightRequestSchema = z.object({
  monitorId: z.string().min(1),
  mode: FsdModeSchema,
  /** Required for master mode; ignored in local mode. */
  credential: FsdCredentialSchema.optional(),
  /** The master's HOSTSYNC as configured on the master (default 15 s, upsmon's default). */
  hostSyncSeconds: z.number().min(0).max(3600).optional(),
  /** Local mode: record the shutdown command instead of running it (default true). */
  dryRun: z.boolean().default(true),
  /** Master mode is blocked while battery.charge is below this (percent). */
  minChargePercent: z.number().min(0).max(100).default(DEFAULT_FSD_MIN_CHARGE_PERCENT),
});
export type FsdPreflightRequest = z.input<typeof FsdPreflightRequestSchema>;

export const FsdCheckStatusSchema = z.enum(['ok', 'info', 'warning', 'blocker']);

/** One preflight finding. A blocker refuses the start unless it is `overridable` and overridden. */
export const FsdCheckSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: FsdCheckStatusSchema,
  detail: z.string(),
  fix: z.string().optional(),
  overridable: z.boolean(),
});
export type FsdCheck = z.infer<typeof FsdCheckSchema>;

export const FsdClientSchema = z.object({
  address: z.string(),
  /** Reverse-DNS name when it resolves. */
  hostname: z.string().nullable(),
  isThisMachine: z.boolean(),
});
export type FsdClient = z.infer<typeof FsdClientSchema>;

export const FsdHookInfoSchema = z.object({
  source: z.enum(['notify-command', 'event-hook', 'upssched']),
  program: z.string(),
  args: z.array(z.string()),
  detail: z.string(),
});

export const FsdTimeBudgetSchema = z.object({
  hostSyncSeconds: z.number(),
  hostSyncSource: z.enum(['request', 'default']),
  /** Why the value is assumed: upsd does not publish the master's HOSTSYNC. */
  hostSyncNote: z.string(),
  statusPollSeconds: z.number(),
  finalDelaySeconds: z.number(),
  /** After FSD: one status poll + FINALDELAY, then the command starts and the session logs out. */
  expectedLogoutSeconds: z.number(),
  /** Total duration of this machine's last measured shutdown sequence (local test), if any. */
  measuredShutdownSeconds: z.number().nullable(),
  measuredAt: z.number().nullable(),
  measuredReportId: z.string().nullable(),
  /** expectedLogout + measured command time (or null when not measured). */
  neededSeconds: z.number().nullable(),
  batteryRuntimeSeconds: z.number().nullable(),
  upsDelayShutdownSeconds: z.number().nullable(),
  verdict: z.string(),
});
export type FsdTimeBudget = z.infer<typeof FsdTimeBudgetSchema>;

export const FsdPreflightSchema = z.object({
  id: z.string(),
  at: z.number(),
  /** The preflight can be used by `fsd:start` until then (epoch ms). */
  expiresAt: z.number(),
  monitorId: z.string(),
  mode: FsdModeSchema,
  upsName: z.string(),
  systemName: z.string(),
  /** The local mode's dry-run flag (always true in master mode: the test itself runs no command here). */
  dryRun: z.boolean(),
  master: z.object({
    host: z.string(),
    port: z.number(),
    reachable: z.boolean(),
    kind: z.enum(['synology', 'proxmox', 'nut', 'unknown']),
    /** VER text. */
    version: z.string().nullable(),
    /** PROTVER / NETVER. */
    protocol: z.string().nullable(),
  }),
  ups: z.object({
    status: z.string().nullable(),
    fsdLatched: z.boolean(),
    batteryCharge: z.number().nullable(),
    batteryRuntimeSeconds: z.number().nullable(),
  }),
  clients: z.object({
    /** LIST CLIENT works on this server (Synology may refuse it). */
    listSupported: z.boolean(),
    list: z.array(FsdClientSchema).nullable(),
    numLogins: z.number().nullable(),
    /** This machine's address as the master sees it (our monitoring session). */
    thisMachineAddress: z.string().nullable(),
    thisMachineLoggedIn: z.boolean(),
    /** Secondaries other than this machine (from LIST CLIENT, else NUMLOGINS − this machine). */
    otherSecondaries: z.number().nullable(),
    missingExpected: z.array(z.string()),
  }),
  credential: z.object({
    source: z.enum(['entered', 'stored', 'none']),
    username: z.string().nullable(),
    /** A credential is remembered for this UPS (usable as `{ source: 'stored' }`). */
    storedAvailable: z.boolean(),
    verdict: z.enum(['primary-granted', 'denied', 'unverified', 'not-needed', 'missing']),
    detail: z.string(),
  }),
  thisMachine: z.object({
    role: z.enum(['secondary', 'monitor-only']),
    /** The configured shutdown.dryRun (what our monitor does when it sees FSD for real). */
    configDryRun: z.boolean(),
    shutdownCommand: z.object({
      program: z.string(),
      args: z.array(z.string()),
      isDefault: z.boolean(),
    }),
    finalDelaySeconds: z.number(),
    hooks: z.array(FsdHookInfoSchema),
    /** This test would power this machine off (master mode: not in dry run; local: dryRun false). */
    willReallyShutDown: z.boolean(),
  }),
  timeBudget: FsdTimeBudgetSchema,
  checks: z.array(FsdCheckSchema),
  /** Number of checks with status blocker. */
  blockers: z.number(),
  /** Some blocker cannot be overridden: the test cannot start. */
  hardBlocked: z.boolean(),
});
export type FsdPreflight = z.infer<typeof FsdPreflightSchema>;

export const FsdStartRequestSchema = z
  .object({
    /** A preflight made moments ago (its credential is kept in memory until it expires). */
    preflightId: z.string().optional(),
    /** Or the preflight's fields: the core runs the preflight itself first. */
    preflight: FsdPreflightRequestSchema.optional(),
    /** Master mode: the UPS name, typed by the user. */
    confirmUpsName: z.string().optional(),
    /** Start although the preflight found overridable blockers. */
    overrideBlockers: z.boolean().default(false),
    /** Time to abort before anything happens. */
    countdownSeconds: z.number().min(0).max(300).default(10),
    /** Local mode: overrides the preflight's dry-run flag (the preflight is redone when it differs). */
    dryRun: z.boolean().optional(),
    /** Master mode: keep watching this long after HOSTSYNC to see the late ones leave. */
    graceSeconds: z.number().min(0).max(600).default(10),
  })
  .refine((request) => request.preflightId !== undefined || request.preflight !== undefined, {
    message: 'give preflightId or preflight',
    path: ['preflightId'],
  });
export type FsdStartRequest = z.input<typeof FsdStartRequestSchema>;

export const FsdRunStateSchema = z.enum([
  'idle',
  'countdown',
  'running',
  'finished',
  'aborted',
  'failed',
]);
export type FsdRunState = z.infer<typeof FsdRunStateSchema>;

export const FsdTimelineKindSchema = z.enum([
  'countdown',
  'aborted',
  'baseline',
  'fsd-sent',
  'fsd-set',
  'fsd-visible',
  'client-left',
  'client-joined',
  'numlogins',
  /** This machine: its monitor's notifications, shutdown steps and session (master mode). */
  'this-machine',
  /** Local mode: the SHUTDOWN notification, each hook's run, FINALDELAY, the shutdown command. */
  'notify',
  'hook',
  'final-delay',
  'shutdown-command',
  'session',
  'note',
  'error',
  'finished',
  'latch-cleared',
]);
export type FsdTimelineKind = z.infer<typeof FsdTimelineKindSchema>;

export const FsdTimelineEntrySchema = z.object({
  /** Epoch ms. */
  at: z.number(),
  /** ms since t0: FSD-SET (master) or the start of the sequence (local); negative before it. */
  t: z.number(),
  kind: FsdTimelineKindSchema,
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type FsdTimelineEntry = z.infer<typeof FsdTimelineEntrySchema>;

export const FsdVerdictSchema = z.enum(['in-time', 'late', 'never']);
export type FsdVerdict = z.infer<typeof FsdVerdictSchema>;

export const FsdSecondaryResultSchema = z.object({
  address: z.string(),
  hostname: z.string().nullable(),
  isThisMachine: z.boolean(),
  /** Epoch ms of the first sample that no longer listed it (null: still logged in at the end). */
  leftAt: z.number().nullable(),
  /** ms after FSD-SET. */
  leftAtMs: z.number().nullable(),
  /** The previous sample still listed it that long before: the time is exact to this. */
  resolutionMs: z.number().nullable(),
  /** in-time: left within HOSTSYNC; late: after it (the master had stopped waiting); never: still there at the end. */
  verdict: FsdVerdictSchema,
});
export type FsdSecondaryResult = z.infer<typeof FsdSecondaryResultSchema>;

export const FsdCommandResultSchema = z.object({
  program: z.string(),
  args: z.array(z.string()),
  isDefault: z.boolean(),
  dryRun: z.boolean(),
  /** ms since t0 (null: not started, e.g. aborted or could not start). */
  startedAtMs: z.number().nullable(),
  durationMs: z.number().nullable(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  stdout: z.string(),
  stderr: z.string(),
  spawnError: z.string().nullable(),
});

export const FsdHookRunSchema = z.object({
  source: z.string(),
  program: z.string(),
  args: z.array(z.string()),
  startedAtMs: z.number(),
  durationMs: z.number(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  stdout: z.string(),
  stderr: z.string(),
  spawnError: z.string().nullable(),
});
export type FsdHookRun = z.infer<typeof FsdHookRunSchema>;

export const FsdLocalResultSchema = z.object({
  dryRun: z.boolean(),
  finalDelaySeconds: z.number(),
  hooks: z.array(FsdHookRunSchema),
  /** upssched timers the SHUTDOWN notification started (cancelled when the test ended). */
  upsschedTimers: z.array(z.string()),
  command: FsdCommandResultSchema.nullable(),
  /** A real run logs the live session out like upsmon (dry run: never). */
  sessionLoggedOut: z.boolean(),
  sessionResumed: z.boolean(),
  measured: z.object({
    /** Until the last hook finished. */
    hooksMs: z.number(),
    finalDelayMs: z.number().nullable(),
    commandMs: z.number().nullable(),
    /** SHUTDOWN notification → everything finished. */
    totalMs: z.number(),
  }),
});
export type FsdLocalResult = z.infer<typeof FsdLocalResultSchema>;

export const FsdLatchInfoSchema = z.object({
  /** Why the FSD flag is still there after the test, and what clears it. */
  note: z.string(),
  watching: z.boolean(),
  clearedAt: z.number().nullable(),
});

export const FsdReportSchema = z.object({
  id: z.string(),
  /** Epoch ms the run started (countdown end). */
  at: z.number(),
  monitorId: z.string(),
  mode: FsdModeSchema,
  upsName: z.string(),
  systemName: z.string(),
  outcome: z.enum(['completed', 'aborted', 'failed']),
  master: z.object({
    host: z.string(),
    port: z.number(),
    kind: z.string(),
    version: z.string().nullable(),
    protocol: z.string().nullable(),
  }),
  hostSync: z.object({
    seconds: z.number(),
    source: z.enum(['request', 'default']),
    note: z.string(),
  }),
  graceSeconds: z.number(),
  /** Preflight findings as they were at the start, and the blockers the user overrode. */
  checks: z.array(FsdCheckSchema),
  overridden: z.array(z.string()),
  credentialUser: z.string().nullable(),
  fsdSetAt: z.number().nullable(),
  finishedAt: z.number(),
  totalMs: z.number(),
  timeline: z.array(FsdTimelineEntrySchema),
  secondaries: z.array(FsdSecondaryResultSchema),
  /** LIST CLIENT worked during the run (else only NUMLOGINS was observed). */
  perClient: z.boolean(),
  numLogins: z.object({ before: z.number().nullable(), after: z.number().nullable() }),
  local: FsdLocalResultSchema.nullable(),
  latch: FsdLatchInfoSchema.nullable(),
  /** Plain-language findings, first the most important. */
  summary: z.array(z.string()),
  error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }).nullable(),
});
export type FsdReport = z.infer<typeof FsdReportSchema>;

/**
 * What a secondary with no logout time did, in words: a completed run watched to the end; an
 * aborted or failed one stopped watching early, so "still logged in" would claim too much.
 */
export function notLeftText(outcome: FsdReport['outcome']): string {
  return outcome === 'completed'
    ? 'still logged in at the end'
    : 'not seen leaving before the test stopped';
}

/**
 * The one count of a report's secondaries that the summary, the table and "Earlier tests" all
 * show: the other secondaries by verdict, and this machine apart (it is not one of "the others").
 */
export interface SecondaryCounts {
  others: number;
  inTime: number;
  late: number;
  never: number;
  /** This machine's verdict when it was listed (logged in when FSD was set). */
  thisMachine: FsdVerdict | null;
}

export function secondaryCounts(
  secondaries: readonly Pick<FsdSecondaryResult, 'isThisMachine' | 'verdict'>[],
): SecondaryCounts {
  const others = secondaries.filter((s) => !s.isThisMachine);
  return {
    others: others.length,
    inTime: others.filter((s) => s.verdict === 'in-time').length,
    late: others.filter((s) => s.verdict === 'late').length,
    never: others.filter((s) => s.verdict === 'never').length,
    thisMachine: secondaries.find((s) => s.isThisMachine)?.verdict ?? null,
  };
}

export const VERDICT_TEXT: Record<FsdVerdict, string> = {
  'in-time': 'in time',
  late: 'late',
  never: 'never',
};

/** "2 in time · 0 late · 0 never" (+ " · this machine: in time"), the same words everywhere. */
export function secondaryCountsText(
  counts: Pick<SecondaryCounts, 'inTime' | 'late' | 'never' | 'thisMachine'>,
): string {
  const own =
    counts.thisMachine === null ? '' : ` · this machine: ${VERDICT_TEXT[counts.thisMachine]}`;
  return `${counts.inTime} in time · ${counts.late} late · ${counts.never} never${own}`;
}

export const FsdReportSummarySchema = z.object({
  id: z.string(),
  at: z.number(),
  monitorId: z.string(),
  mode: FsdModeSchema,
  upsName: z.string(),
  outcome: FsdReportSchema.shape.outcome,
  totalMs: z.number(),
  /** FSD reached the master (else the counts below are all 0 and mean nothing). */
  fsdSent: z.boolean(),
  inTime: z.number(),
  late: z.number(),
  never: z.number(),
  /** This machine's verdict, counted apart from the other secondaries (null: it was not listed). */
  thisMachine: FsdVerdictSchema.nullable().default(null),
  dryRun: z.boolean().nullable(),
  latchClearedAt: z.number().nullable(),
});
export type FsdReportSummary = z.infer<typeof FsdReportSummarySchema>;

export const FsdRunViewSchema = z.object({
  runId: z.string(),
  preflightId: z.string(),
  monitorId: z.string(),
  mode: FsdModeSchema,
  upsName: z.string(),
  state: FsdRunStateSchema,
  createdAt: z.number(),
  countdown: z.object({
    seconds: z.number(),
    endsAt: z.number().nullable(),
    secondsLeft: z.number(),
  }),
  /** Epoch ms of t0 (FSD-SET or the local sequence's start). */
  t0: z.number().nullable(),
  finishedAt: z.number().nullable(),
  hostSyncSeconds: z.number(),
  /** Master mode: the end of the observation (HOSTSYNC + grace after FSD-SET). */
  deadline: z.number().nullable(),
  numLogins: z.number().nullable(),
  /** Master mode: secondaries still logged in. */
  remaining: z.array(FsdClientSchema),
  timeline: z.array(FsdTimelineEntrySchema),
  reportId: z.string().nullable(),
  /** Master mode, after the run: the latch follow-up. */
  latch: FsdLatchInfoSchema.nullable(),
  error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }).nullable(),
});
export type FsdRunView = z.infer<typeof FsdRunViewSchema>;

export const FsdReportFormatSchema = z.enum(['json', 'markdown']);

export const FsdReportExportSchema = z.object({
  report: FsdReportSchema,
  format: FsdReportFormatSchema,
  /** The export itself: pretty JSON or Markdown text. */
  content: z.string(),
  fileName: z.string(),
  mimeType: z.string(),
});
