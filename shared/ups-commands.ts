/**
 * Instant commands, writable settings and scheduled self-tests of one UPS: what the UPS detail,
 * the CLI and the core exchange. The engine is main/ups-commands.
 *
 * Commands and settings need a upsd user with the right (`instcmds = …`, `actions = SET` in the
 * master's upsd.users), kept apart from the monitoring credential: typed in, or remembered in the
 * secret store (never in the config file, the logs or a command line).
 */
import * as z from 'zod';

/** Why a command needs the typed-name confirmation. */
export const CommandDangerSchema = z.enum(['cuts-power', 'drains-battery', 'unprotected']);
export type CommandDanger = z.infer<typeof CommandDangerSchema>;

const DANGEROUS: readonly { pattern: RegExp; danger: CommandDanger }[] = [
  { pattern: /^(outlet\.[^.]+\.)?load\.(off|cycle)(\.|$)/, danger: 'cuts-power' },
  { pattern: /^(outlet\.[^.]+\.)?shutdown\.(return|stayoff|reboot)/, danger: 'cuts-power' },
  { pattern: /^calibrate\.start$/, danger: 'drains-battery' },
  { pattern: /^test\.battery\.start\.deep$/, danger: 'drains-battery' },
  { pattern: /^test\.failure\.start$/, danger: 'drains-battery' },
  { pattern: /^bypass\.start$/, danger: 'unprotected' },
];

/** Commands that cut the load's power, drain the battery or leave the load unprotected. */
export function commandDanger(command: string): CommandDanger | null {
  const name = command.toLowerCase();
  return DANGEROUS.find((d) => d.pattern.test(name))?.danger ?? null;
}

export const DANGER_TEXT: Record<CommandDanger, string> = {
  'cuts-power': 'cuts the power of everything plugged into the UPS',
  'drains-battery': 'runs the battery down: less runtime is left for a real outage for hours',
  unprotected: 'puts the load on bypass: a power cut then reaches it unprotected',
};

/** Commands that silence the UPS; offered with "for 1 hour" when the UPS can switch it back. */
export const BEEPER_SILENCE_COMMANDS = ['beeper.mute', 'beeper.disable'] as const;
export const BEEPER_ENABLE_COMMAND = 'beeper.enable';
export const DEFAULT_MUTE_MINUTES = 60;

export const UpsCommandInfoSchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  danger: CommandDangerSchema.nullable(),
  /** beeper.mute/disable with beeper.enable available: can be muted for a while. */
  timedMute: z.boolean(),
});
export type UpsCommandInfo = z.infer<typeof UpsCommandInfoSchema>;

export const UpsWritableSchema = z.object({
  name: z.string(),
  value: z.string(),
  description: z.string().nullable(),
  /** enum: pick from `choices`; range: a number inside `ranges`; number/string: free input. */
  input: z.enum(['enum', 'range', 'number', 'string']),
  choices: z.array(z.string()),
  ranges: z.array(z.object({ min: z.number(), max: z.number() })),
  /** STRING:<n>. */
  maxLength: z.number().nullable(),
});
export type UpsWritable = z.infer<typeof UpsWritableSchema>;

export const UpsControlsSchema = z.object({
  monitorId: z.string(),
  upsName: z.string(),
  commands: z.array(UpsCommandInfoSchema),
  writable: z.array(UpsWritableSchema),
  /** NUT 2.8.0+: results come from TRACKING; else only "upsd passed it on". */
  tracking: z.boolean(),
  server: z.object({ version: z.string().nullable(), protVer: z.string().nullable() }),
  /** The user of the remembered command credential, if one is stored. */
  storedCredentialUser: z.string().nullable(),
  /** A secret store exists here (else the credential must be typed each time). */
  canRemember: z.boolean(),
});
export type UpsControls = z.infer<typeof UpsControlsSchema>;

export const CommandCredentialSchema = z.discriminatedUnion('source', [
  z.object({
    source: z.literal('entered'),
    username: z
      .string()
      .min(1, 'enter the upsd user that has the right (instcmds = … / actions = SET)')
      .max(256),
    password: z.string().max(512),
    /** Keep it in the secret store, apart from the monitoring password. */
    remember: z.boolean().default(false),
  }),
  z.object({ source: z.literal('stored') }),
]);
export type CommandCredential = z.input<typeof CommandCredentialSchema>;

export const RunCommandRequestSchema = z.object({
  monitorId: z.string().min(1),
  command: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an instant command looks like test.battery.start.quick')
    .max(128),
  /** INSTCMD's optional parameter (few drivers take one). */
  param: z.string().max(256).optional(),
  credential: CommandCredentialSchema,
  /** Dangerous commands: the UPS name, typed by the user. */
  confirmUpsName: z.string().optional(),
  /** beeper.mute/disable: switch the beeper back on after this many minutes (0: leave it off). */
  muteMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .optional(),
});
export type RunCommandRequest = z.input<typeof RunCommandRequestSchema>;

export const SetVariableRequestSchema = z.object({
  monitorId: z.string().min(1),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a variable looks like ups.delay.shutdown')
    .max(128),
  value: z.string().max(256),
  credential: CommandCredentialSchema,
});
export type SetVariableRequest = z.input<typeof SetVariableRequestSchema>;

export const ActionStateSchema = z.enum([
  /** TRACKING: the driver reported SUCCESS. */
  'success',
  /** TRACKING: the driver reported a failure, or upsd refused (CMD-NOT-SUPPORTED, INVALID-VALUE…). */
  'failed',
  /** TRACKING: no verdict within the wait. */
  'pending',
  /** No TRACKING (NUT before 2.8.0): upsd passed it to the driver; the result is not known. */
  'sent',
  /** The credential lacks the right (or is wrong): see `rightsHint`. */
  'refused',
]);
export type ActionState = z.infer<typeof ActionStateSchema>;

export const ActionOutcomeSchema = z.object({
  monitorId: z.string(),
  kind: z.enum(['command', 'set']),
  /** The command or variable. */
  name: z.string(),
  value: z.string().nullable(),
  state: ActionStateSchema,
  /** Whether the verdict came through TRACKING. */
  tracked: z.boolean(),
  trackingId: z.string().nullable(),
  /** The server's word: SUCCESS, ERR UNKNOWN, ERR ACCESS-DENIED, … */
  code: z.string().nullable(),
  message: z.string(),
  fix: z.string().nullable(),
  /** For `refused`: the upsd.users lines this user needs, in the server's vocabulary. */
  rightsHint: z.string().nullable(),
  /** A timed mute: when the beeper is switched back on (epoch ms). */
  revertAt: z.number().nullable(),
  at: z.number(),
  durationMs: z.number(),
});
export type ActionOutcome = z.infer<typeof ActionOutcomeSchema>;

// ---------------------------------------------------------------------------------------------
// Scheduled self-tests

/** The test commands, preferred first, when the schedule names none ("auto"). */
export const SELF_TEST_COMMANDS = ['test.battery.start.quick', 'test.battery.start'] as const;

export const SelfTestScheduleSchema = z.object({
  /** Off by default: a self-test briefly runs the load from the battery. */
  enabled: z.boolean().default(false),
  /** Days between tests (30: monthly). */
  everyDays: z.number().int().min(1).max(366).default(30),
  /** The INSTCMD to run; `auto`: the first of SELF_TEST_COMMANDS the UPS offers. */
  command: z
    .string()
    .regex(
      /^(auto|[A-Za-z0-9][A-Za-z0-9._-]*)$/,
      'auto, or an instant command such as test.battery.start.quick',
    )
    .default('auto'),
  /** Only when battery.charge is at least this (percent). */
  minChargePercent: z.number().min(0).max(100).default(90),
});
export type SelfTestSchedule = z.infer<typeof SelfTestScheduleSchema>;

export const SelfTestResultKindSchema = z.enum([
  'passed',
  'failed',
  /** The UPS never gave a final ups.test.result within the wait. */
  'unknown',
  /** The credential lacks the right: not retried until a credential is saved again. */
  'refused',
  /** Not run now (on battery, charge too low, no credential…): tried again later. */
  'skipped',
]);
export type SelfTestResultKind = z.infer<typeof SelfTestResultKindSchema>;

/** One self-test (or a skip), as stored in the event log (type `SELF_TEST`, data below). */
export const SelfTestRecordSchema = z.object({
  at: z.number(),
  monitorId: z.string(),
  result: SelfTestResultKindSchema,
  command: z.string().nullable(),
  /** ups.test.result as read at the end (the UPS's own words). */
  testResult: z.string().nullable(),
  reason: z.string(),
  /** Scheduled by the timer, or started from the UI/CLI. */
  trigger: z.enum(['schedule', 'manual']),
  durationMs: z.number().nullable(),
  /** For `refused`: the upsd.users lines the user needs. */
  rightsHint: z.string().nullable().optional(),
});
export type SelfTestRecord = z.infer<typeof SelfTestRecordSchema>;

export const SelfTestStatusSchema = z.object({
  monitorId: z.string(),
  schedule: SelfTestScheduleSchema,
  /** Epoch ms the next scheduled test is due (null: schedule off, or waiting for a new credential). */
  nextDueAt: z.number().nullable(),
  /** Why the schedule is held (refused right, no credential). */
  held: z.string().nullable(),
  running: z.boolean(),
  records: z.array(SelfTestRecordSchema),
});
export type SelfTestStatus = z.infer<typeof SelfTestStatusSchema>;

/** The event type of self-test records (kind `system`). */
export const SELF_TEST_EVENT = 'SELF_TEST';
/** The event type of a saved command credential (lifts a held schedule). */
export const COMMAND_CREDENTIAL_EVENT = 'COMMAND_CREDENTIAL_SAVED';
