/**
 * The one API contract between the core and the UI. The Electron preload and the browser
 * bridge both carry exactly these channels; every request is validated on the core side with
 * these schemas, and the types on both sides are inferred from them.
 *
 * - `invoke` channels: request → response.
 * - `push` channels: core → UI notifications (snapshot changes, new events, navigation).
 */
import * as z from 'zod';
import { ChannelStatusSchema } from './channels';
import { ServiceInstallResultSchema, ServiceStatusSchema } from './control';
import { ConfigSchema, TlsSchema } from './config';
import {
  FsdPreflightRequestSchema,
  FsdPreflightSchema,
  FsdReportExportSchema,
  FsdReportFormatSchema,
  FsdReportSummarySchema,
  FsdRunViewSchema,
  FsdStartRequestSchema,
} from './fsd-test';
import { DiscoveryRequestSchema, DiscoveryResultSchema } from './discovery';
import {
  EventQuerySchema,
  MetricSampleSchema,
  SampleQuerySchema,
  StoredEventSchema,
} from './history';
import {
  INVOKE_CHANNELS,
  type InvokeChannel,
  PUSH_CHANNELS,
  type PushChannel,
  isInvokeChannel,
  isPushChannel,
} from './ipc-channels';
import { AppSnapshotSchema, DiagnosisSchema, ServerIdentitySchema } from './snapshot';
import {
  ActionOutcomeSchema,
  CommandCredentialSchema,
  RunCommandRequestSchema,
  SelfTestRecordSchema,
  SelfTestStatusSchema,
  SetVariableRequestSchema,
  UpsControlsSchema,
} from './ups-commands';
import { WhatIfRequestSchema, WhatIfResultSchema } from './what-if';
import {
  BatteryHealthRequestSchema,
  BatteryHealthSchema,
  OutageExportRequestSchema,
  OutageExportSchema,
  OutageGetRequestSchema,
  OutageListRequestSchema,
  OutageListSchema,
  OutageRecordSchema,
} from './outages';

// The names live in the zod-free module (the preload imports it); the schemas below are keyed
// by exactly those names.
export { INVOKE_CHANNELS, PUSH_CHANNELS, isInvokeChannel, isPushChannel };
export type { InvokeChannel, PushChannel };

/** The request and response schemas of one invoke channel. */
interface InvokeSchemas {
  request: z.ZodType;
  response: z.ZodType;
}

const none = z.undefined();
const monitorRef = z.object({ monitorId: z.string().min(1) });

export const VariableSchema = z.object({
  name: z.string(),
  value: z.string(),
  description: z.string().nullable(),
  writable: z.boolean(),
});

export const ConnectionTestRequestSchema = z.object({
  host: z.string().min(1, 'enter the master’s host name or IP address'),
  port: z.number().int().min(1).max(65_535),
  tls: TlsSchema.prefault({}),
  upsName: z.string().default(''),
  username: z.string().default(''),
  /** Only for this test; stored separately through `secrets:set-password`. Empty: use the stored one. */
  password: z.string().optional(),
  /** For a stored master: use its stored password when none is given. */
  masterId: z.string().optional(),
  /** The preset being edited (names Proxmox/Synology specifics; upsd cannot tell Proxmox apart). */
  preset: z.enum(['synology', 'proxmox', 'generic']).optional(),
  /** secondary: protection needs LOGIN, so a missing user fails the test. */
  role: z.enum(['secondary', 'monitor-only']).optional(),
});

export const ConnectionTestStepSchema = z.object({
  step: z.enum(['resolve', 'connect', 'tls', 'identify', 'ups', 'login', 'read']),
  ok: z.boolean(),
  detail: z.string(),
});

/** How the UI and `nut-sentinel doctor` name the steps. */
export const CONNECTION_TEST_STEP_LABELS: Record<
  z.infer<typeof ConnectionTestStepSchema>['step'],
  string
> = {
  resolve: 'Resolve the host name',
  connect: 'Connect (TCP)',
  tls: 'STARTTLS',
  identify: 'Identify the server',
  ups: 'Find the UPS',
  login: 'Log in as a secondary',
  read: 'Read the status',
};

export const ConnectionTestResultSchema = z.object({
  ok: z.boolean(),
  steps: z.array(ConnectionTestStepSchema),
  diagnosis: DiagnosisSchema.nullable(),
  server: ServerIdentitySchema.nullable(),
  /** UPS names the server offers (to pick from instead of typing). */
  upsNames: z.array(z.string()),
  /** The UPS the test used: the one typed, or the only one the server offers. */
  upsName: z.string().optional(),
  /** The rights words this server understands (upsmon secondary vs upsmon slave). */
  rightsWords: z.enum(['primary-secondary', 'master-slave']).optional(),
  /** This machine's address as the master sees this connection (what its allow-list needs). */
  localAddress: z.string().nullable().optional(),
  /** Synology: LOGIN with DSM's other documented built-in user may work; offered once, on the user's click. */
  suggestion: z.object({ username: z.string(), password: z.string() }).nullable().optional(),
});
export type ConnectionTestResult = z.infer<typeof ConnectionTestResultSchema>;

/**
 * Largest upsmon.conf / upssched.conf the import accepts: real files are a few KiB, and a 1 MiB
 * file still previews in well under a second (main/bench); two of them fit in one bridge message.
 */
export const MAX_IMPORT_FILE_CHARS = 1.5 * 1024 * 1024;

/** One line of the upsmon.conf/upssched.conf import report (main/config/import-report.ts). */
export const ImportReportLineSchema = z.object({
  /** `upsmon.conf` or `upssched.conf` (or the names given). */
  file: z.string(),
  /** 1-based line where the directive starts; 0 for notes about the file as a whole. */
  line: z.number().int(),
  /** The line as written, with passwords replaced by the redaction marker. */
  text: z.string(),
  status: z.enum(['mapped', 'ignored', 'unsupported', 'error']),
  note: z.string(),
});
export type ImportReportLine = z.infer<typeof ImportReportLineSchema>;

/** keep: the current setting stays; replace: the imported one takes its place. */
export const ImportChoiceSchema = z.enum(['keep', 'replace']);
export type ImportChoice = z.infer<typeof ImportChoiceSchema>;

/** One change an import makes to the current config (main/config/import-plan.ts). */
export const ImportPlanItemSchema = z.object({
  /** Stable within a preview and its apply: `master:<host>:<port>`, `upssched-rule:<rule>`, … */
  id: z.string(),
  area: z.enum(['master', 'timing', 'hooks', 'upssched', 'shutdown']),
  action: z.enum(['add', 'merge', 'replace', 'remove', 'unchanged']),
  /** One sentence: what changes, e.g. `master pve (192.168.1.107 port 3493): UPS second added`. */
  summary: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  /** Present where the current and the imported setting can coexist: what applies (default replace). */
  choice: ImportChoiceSchema.optional(),
});
export type ImportPlanItem = z.infer<typeof ImportPlanItemSchema>;

/** Something to fix or know before applying: an EXEC without a command, a program that is missing. */
export const ImportProblemSchema = z.object({
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  fix: z.string(),
});
export type ImportProblem = z.infer<typeof ImportProblemSchema>;

export const ImportPlanSchema = z.object({
  items: z.array(ImportPlanItemSchema),
  problems: z.array(ImportProblemSchema),
  /** One sentence for the UI and the event log, e.g. `1 master merged, 2 upssched rules replaced`. */
  summary: z.string(),
  /** Identifies this exact plan: an apply that names it is refused if the plan came out different. */
  digest: z.string(),
});
export type ImportPlan = z.infer<typeof ImportPlanSchema>;

/** A config problem at a dotted path (`masters.0.port`), for the form field it belongs to. */
export const ConfigIssueSchema = z.object({ path: z.string(), message: z.string() });
export type ConfigIssue = z.infer<typeof ConfigIssueSchema>;

/** What the core asks the desktop notifier to show (main/platform/ports.ts NotifierPort). */
export const DesktopNotificationSchema = z.object({
  /** Stable key for de-duplication, e.g. `ONBATT:ups@nas`. */
  key: z.string(),
  title: z.string(),
  body: z.string(),
  urgency: z.enum(['low', 'normal', 'critical']),
  /** Renderer route to open when clicked, e.g. `/ups/<id>`. */
  route: z.string().optional(),
});
export type DesktopNotification = z.infer<typeof DesktopNotificationSchema>;

/** A notification as recorded, with when (`notifications:recent`). */
export const NotificationRecordSchema = DesktopNotificationSchema.extend({ at: z.number() });
export type NotificationRecord = z.infer<typeof NotificationRecordSchema>;

/** The outcome of a test message through one alert channel (`alerts:test`, `notify-test`). */
export const ChannelTestResultSchema = z.object({ ok: z.boolean(), detail: z.string() });
export type ChannelTestResult = z.infer<typeof ChannelTestResultSchema>;

/** Request/response pairs, one per name in INVOKE_CHANNELS (no more, no fewer: `satisfies`). */
export const invokeChannels = {
  'app:get-snapshot': { request: none, response: AppSnapshotSchema },
  'ups:get-variables': { request: monitorRef, response: z.array(VariableSchema) },
  'events:query': { request: EventQuerySchema, response: z.array(StoredEventSchema) },
  'history:query-samples': { request: SampleQuerySchema, response: z.array(MetricSampleSchema) },
  'config:get': {
    request: none,
    response: z.object({
      config: ConfigSchema,
      /** `masterId/upsName` entries whose password is stored. */
      storedPasswords: z.array(z.string()),
      path: z.string(),
      /** The last import, while `config:undo-import` can still undo it (absent: none). */
      lastImport: z.object({ summary: z.string(), at: z.number() }).optional(),
    }),
  },
  'config:save': {
    request: z.object({ config: z.unknown() }),
    response: z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true) }),
      z.object({ ok: z.literal(false), issues: z.array(ConfigIssueSchema) }),
    ]),
  },
  'config:test-connection': {
    request: ConnectionTestRequestSchema,
    response: ConnectionTestResultSchema,
  },
  /** "Find masters on my network" (main/discovery): anonymous reads only, never a credential. */
  'discovery:find-masters': {
    request: DiscoveryRequestSchema.prefault({}),
    response: DiscoveryResultSchema,
  },
  'config:import-upsmon': {
    request: z.object({
      upsmonConf: z.string().max(MAX_IMPORT_FILE_CHARS),
      upsschedConf: z.string().max(MAX_IMPORT_FILE_CHARS).optional(),
      /** false: preview only. */
      apply: z.boolean(),
      /** keep/replace per plan item id (items with a `choice`); unnamed ones take their default. */
      choices: z.record(z.string(), ImportChoiceSchema).optional(),
      /** The previewed plan's digest: apply only if the plan is still that one. */
      planDigest: z.string().max(128).optional(),
    }),
    response: z.object({
      ok: z.boolean(),
      report: z.array(ImportReportLineSchema),
      config: ConfigSchema.nullable(),
      /** What the import changes in the current config (null when nothing usable was imported). */
      plan: ImportPlanSchema.nullable(),
      /** Applied and `config:undo-import` can restore the previous config. */
      undoAvailable: z.boolean(),
    }),
  },
  /** Restores the config file (byte for byte) and the password store as they were before the last import. */
  'config:undo-import': {
    request: none,
    response: z.object({ ok: z.literal(true), summary: z.string() }),
  },
  'secrets:set-password': {
    request: z.object({
      masterId: z.string().min(1),
      upsName: z.string().min(1),
      password: z.string().max(512),
    }),
    response: z.object({ ok: z.literal(true) }),
  },
  'notifications:recent': { request: none, response: z.array(NotificationRecordSchema) },
  /** Delivery status of every remote alert channel (main/channels). */
  'alerts:status': { request: none, response: z.array(ChannelStatusSchema) },
  /** Sends a test message through one channel now and reports the real outcome. */
  'alerts:test': {
    request: z.object({ channelId: z.string().min(1) }),
    response: ChannelTestResultSchema,
  },
  /** Stores a channel secret (token, password, signingKey, authorization) in the secret store. */
  'secrets:set-channel-secret': {
    request: z.object({
      channelId: z.string().min(1),
      field: z.enum(['token', 'password', 'signingKey', 'authorization']),
      value: z.string().min(1).max(4096),
    }),
    response: z.object({ ok: z.literal(true) }),
  },
  'notifications:set-paused': {
    request: z.object({ paused: z.boolean() }),
    response: z.object({ paused: z.boolean() }),
  },
  /** After a shutdown episode that left this machine running (dry run, failed command): re-arm the monitor. */
  'monitor:acknowledge-shutdown': {
    request: monitorRef,
    response: z.object({ ok: z.literal(true) }),
  },
  /** The operator's answer for an FSD already latched at start (policy `ask`). */
  'monitor:latched-fsd-choice': {
    request: z.object({ monitorId: z.string().min(1), choice: z.enum(['obey', 'ignore']) }),
    response: z.object({ ok: z.literal(true) }),
  },

  // The guarded FSD test (shared/fsd-test.ts, main/fsd-test). Preflight first (nothing is sent
  // that could set FSD), then start (typed confirmation, countdown, abort), progress on
  // `fsd:progress`, reports kept in history and exportable as JSON or Markdown.
  'fsd:preflight': { request: FsdPreflightRequestSchema, response: FsdPreflightSchema },
  'fsd:start': { request: FsdStartRequestSchema, response: FsdRunViewSchema },
  'fsd:abort': { request: z.object({ runId: z.string().min(1) }), response: FsdRunViewSchema },
  /** The run by id, or the latest one (null when there was none since start). */
  'fsd:get-run': {
    request: z.object({ runId: z.string().min(1).optional() }),
    response: FsdRunViewSchema.nullable(),
  },
  'fsd:list-reports': {
    request: z.object({
      monitorId: z.string().optional(),
      limit: z.number().int().min(1).max(500).default(50),
    }),
    response: z.array(FsdReportSummarySchema),
  },
  'fsd:get-report': {
    request: z.object({ id: z.string().min(1), format: FsdReportFormatSchema.default('json') }),
    response: FsdReportExportSchema,
  },
  /** Removes the remembered FSD credential of a UPS. */
  'fsd:forget-credential': {
    request: z.object({ monitorId: z.string().min(1) }),
    response: z.object({ ok: z.literal(true), removed: z.boolean() }),
  },

  // Instant commands, writable settings and self-tests (shared/ups-commands.ts, main/ups-commands):
  // a credential with the right, apart from the monitoring one; dangerous commands need the typed UPS name.
  'ups:list-controls': { request: monitorRef, response: UpsControlsSchema },
  'ups:run-command': { request: RunCommandRequestSchema, response: ActionOutcomeSchema },
  'ups:set-variable': { request: SetVariableRequestSchema, response: ActionOutcomeSchema },
  /** Removes the remembered command credential of a UPS. */
  'ups:forget-command-credential': {
    request: monitorRef,
    response: z.object({ ok: z.literal(true), removed: z.boolean() }),
  },
  'ups:get-self-tests': { request: monitorRef, response: SelfTestStatusSchema },
  /** Runs a self-test now (same guards as the schedule); the stored credential unless one is given. */
  'ups:run-self-test': {
    request: z.object({
      monitorId: z.string().min(1),
      credential: CommandCredentialSchema.optional(),
    }),
    response: SelfTestRecordSchema,
  },
  /** "What if the power failed now" (shared/what-if.ts, main/what-if). */
  'ups:get-what-if': { request: WhatIfRequestSchema, response: WhatIfResultSchema },

  // Outage records and battery health (shared/outages.ts, main/outages).
  'outages:list': { request: OutageListRequestSchema, response: OutageListSchema },
  'outages:get': { request: OutageGetRequestSchema, response: OutageRecordSchema },
  'outages:export': { request: OutageExportRequestSchema, response: OutageExportSchema },
  'battery:get-health': { request: BatteryHealthRequestSchema, response: BatteryHealthSchema },

  // The background service (shared/control.ts, main/control): whether this UI is attached to it,
  // and installing it from Settings (asks for administrator rights the platform's way).
  'service:status': { request: none, response: ServiceStatusSchema },
  'service:install': { request: none, response: ServiceInstallResultSchema },
} as const satisfies Record<InvokeChannel, InvokeSchemas>;

/** Core → UI pushes. */
export const pushChannels = {
  'app:snapshot': AppSnapshotSchema,
  'events:appended': StoredEventSchema,
  /** Open a route (a notification was clicked, or the tray asked for a view). */
  'app:navigate': z.string(),
  /** The FSD test run: state, countdown, timeline (on every change). */
  'fsd:progress': FsdRunViewSchema,
} as const satisfies Record<PushChannel, z.ZodType>;

export type RequestOf<C extends InvokeChannel> = z.input<(typeof invokeChannels)[C]['request']>;
export type ParsedRequestOf<C extends InvokeChannel> = z.output<
  (typeof invokeChannels)[C]['request']
>;
export type ResponseOf<C extends InvokeChannel> = z.output<(typeof invokeChannels)[C]['response']>;
export type PushOf<P extends PushChannel> = z.output<(typeof pushChannels)[P]>;

/** An error crossing the boundary: always explained, never a stack trace. */
export const ApiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  fix: z.string().optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/** What the core implements once and both transports (IPC, bridge) dispatch to. */
export type ApiHandlers = {
  [C in InvokeChannel]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>>;
};

/** What the renderer sees (renderer/src/api.ts), whichever transport carries it. */
export interface NutSentinelApi {
  invoke<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  subscribe<P extends PushChannel>(channel: P, listener: (payload: PushOf<P>) => void): () => void;
}

/**
 * The result of one invoke, on every transport: what dispatchInvoke (main/core/dispatch.ts)
 * returns, what the IPC registrar hands the preload to unwrap, and, with the request's id, what
 * the bridge sends.
 */
export const InvokeResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), response: z.unknown() }),
  z.object({ ok: z.literal(false), error: ApiErrorSchema }),
]);
export type InvokeResult = z.infer<typeof InvokeResultSchema>;

/** Bridge wire format (WebSocket, JSON): browser → core. */
export const BridgeClientMessageSchema = z.object({
  id: z.number().int().nonnegative(),
  channel: z.string(),
  request: z.unknown().optional(),
});

/** Bridge wire format: core → browser, an invoke result (with the request's id) or a push. */
export const BridgeServerMessageSchema = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), response: z.unknown() }),
  z.object({ id: z.number().int(), ok: z.literal(false), error: ApiErrorSchema }),
  z.object({ push: z.enum(PUSH_CHANNELS), payload: z.unknown() }),
]);
export type BridgeServerMessage = z.infer<typeof BridgeServerMessageSchema>;
