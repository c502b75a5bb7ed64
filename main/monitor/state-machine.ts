/**
 * The pure decision core: what upsmon 2.8 would decide for one UPS monitored as a secondary
 * (main/nut/README.md sections 3.4–3.8), as a function
 *
 *     step(state, input, now, config) → { state, effects }
 *
 * No I/O, no timers, no clock: `now` is monotonic milliseconds from the caller, effects are
 * instructions for the caller (notify, shut down, close the session, …). The input state is
 * never modified.
 *
 * Rules (section numbers are main/nut/README.md's):
 *  - 3.4 status processing: comm restored (COMMOK, not on the very first success), then the
 *    clears (LB/FSD absent; CAL, OFF, BYPASS, ALARM, OVER, TRIM, BOOST, ECO absent ⇒ NOT*), then
 *    each token in order (ONLINE — silent for the first OL after start —, ONBATT also at start,
 *    LOWBATT, REPLBATT every RBWARNTIME, CAL, FSD, …) with `lastnoncrit` updated after each token.
 *    Unknown tokens ⇒ OTHER when their set changes, NOTOTHER when it empties. CAL is cleared when
 *    the token disappears (the 2.8.0/2.8.1 bug is not reproduced).
 *  - 3.5 comm loss: COMMBAD on the first failure (also at start), NOCOMM after NOCOMMWARNTIME
 *    without a successful read, repeated every NOCOMMWARNTIME. An empty status is a failure.
 *  - 3.6 criticality: DEADTIME promotion of a last-known-OB UPS (no LOWBATT notification; a UPS
 *    never read is not promoted); FSD ⇒ critical; not OB+LB ⇒ not; CAL ⇒ not; secondary ⇒
 *    critical once `now - lastnoncrit > HOSTSYNC` ("Giving up on the primary"). Plus the 2.8.1+
 *    rule: comm lost while last known CAL/BYPASS/OFF ⇒ critical (after commLossCriticalMs, below).
 *  - 3.6 doshutdown: SHUTDOWN notification, FINALDELAY, shutdown command, and (3.7) log out at
 *    once so the primary stops waiting.
 *
 * Our decisions beyond / different from upsmon:
 *  - Episode: begins with begin-shutdown (SHUTDOWN notification) and is never cancelled — not
 *    by power coming back during FINALDELAY, not by a suspend. It ends only with a process
 *    restart or an `episode-acknowledged` input once the command has finished (`done`). So at
 *    most one shutdown command per episode; flapping OL/OB/LB/FSD cannot start a second one.
 *    An acknowledgement re-arms like a restart: readings become stale, the latch check is armed.
 *  - After run-shutdown-command the session is closed at once (close-session) and not wanted
 *    again (view.sessionWanted) unless the command failed, the OS resumed, or it was acknowledged.
 *  - Latched FSD (main/nut/README.md §5, main/monitor/README.md §3): the first status after start — or after a
 *    resume / acknowledgement, when we did not witness the FSD being set — with FSD and OL but
 *    not OB is a latch: FSD_LATCHED_AT_START, then `latchedFsdAtStart` (default
 *    ignore-while-online: not critical while OL; critical as soon as OB is seen with FSD still
 *    set). `FSD WAIT` (no line state yet) is held until OL/OB is known, at most DEADTIME. FSD
 *    appearing later while running is always critical.
 *  - Suspend/resume: status/poll/tick inputs while suspended are discarded; after resume all
 *    readings are stale — no DEADTIME promotion, no comm-loss rule, no HOSTSYNC decision on them —
 *    until a fresh read; the HOSTSYNC wait restarts at that read; reconnect-now is emitted.
 *  - NOCOMM counts from the last successful read, or from start/resume when there is none
 *    (upsmon's lastpoll=0 makes it fire on the 2nd failure of a never-reached UPS).
 *  - DEADTIME promotion is kept apart from the LB token, so a real LB after a promotion still
 *    notifies LOWBATT (upsmon's flag is already set then). Decisions are identical.
 *  - Comm lost while last known CAL/BYPASS/OFF is critical once comm has been lost for
 *    commLossCriticalMs (default 5 s = one upsmon POLLFREQ; 0 = upsmon's "at once"): with 10× the
 *    poll rate a sub-second blip must not shut down a machine behind an ECO-mode UPS on bypass.
 *  - `disconnected` alone is not comm loss (avoids COMMBAD/COMMOK pairs on transparent
 *    reconnects); poll results decide.
 *  - LOGIN refused: LOGIN_REFUSED once per refusal streak/reason, reminder every NOCOMMWARNTIME.
 *  - Not implemented (upsmon 2.8.1+/2.8.3+ options, off by default here): OFFDURATION (OFF while
 *    communicating is not critical, as in 2.8.0), OVERDURATION, ALARMCRITICAL, OBLBDURATION.
 *    MINSUPPLIES / power values across several UPSes belong to the caller (MonitorService adds
 *    them up): with `hostDecides` a critical UPS starts nothing until `supplies-short`; without
 *    it this machine is one MONITOR line with power value 1 and MINSUPPLIES 1. Host-level events (SUSPEND_*,
 *    NOPARENT, SHUTDOWN_HOSTSYNC) are not emitted per UPS.
 *  - Time comparisons keep upsmon's operators, in ms: DEADTIME `>`, HOSTSYNC `>`, NOCOMM `>=`
 *    (repeat `>`), RBWARNTIME `>`, FINALDELAY elapsed `>=`. `nextWakeAt()` gives the exact ms.
 *  - Missing data is never a value: only ups.status tokens drive decisions (no runtime/charge).
 */
import {
  DEFAULT_NOTIFY_MESSAGES,
  formatNotifyMessage,
  type NotifyType,
} from '../../shared/notify-types';
import type { LogLevel } from '../platform/ports';
import {
  describeStatus,
  isPlaceholderStatus,
  parseStatus,
  type KnownStatusToken,
  type ParsedStatus,
} from './status';
import type {
  Assessment,
  DecisionConfig,
  LatchState,
  MonitorEffect,
  MonitorInput,
  MonitorView,
  PollFailureReason,
  ShutdownReason,
  StepResult,
  UpsFlags,
  UpsMonitorState,
} from './types';

export type * from './types';
export { DEFAULT_NOTIFY_MESSAGES } from '../../shared/notify-types';

/** upsmon's defaults (main/monitor/README.md §1.1), in milliseconds. */
export const DEFAULT_DECISION_TIMING = {
  deadTimeMs: 15_000,
  hostSyncMs: 15_000,
  finalDelayMs: 5_000,
  noCommWarnMs: 300_000,
  rbWarnMs: 43_200_000,
} as const;

/** Not upsmon's (it has no such setting): see DecisionConfig.commLossCriticalMs. */
export const DEFAULT_COMM_LOSS_CRITICAL_MS = 5_000;

/** Not upsmon's (it has no dry run): see DecisionConfig.rehearsalLogoutMs. */
export const DEFAULT_REHEARSAL_LOGOUT_MS = 5_000;

export const DEFAULT_DECISION_CONFIG: Readonly<Omit<DecisionConfig, 'upsName' | 'messages'>> = {
  ...DEFAULT_DECISION_TIMING,
  commLossCriticalMs: DEFAULT_COMM_LOSS_CRITICAL_MS,
  rehearsalLogoutMs: DEFAULT_REHEARSAL_LOGOUT_MS,
  role: 'secondary',
  hostDecides: false,
  latchedFsdAtStart: 'ignore-while-online',
};

/** A full DecisionConfig from the defaults plus overrides. */
export function decisionConfig(
  upsName: string,
  overrides: Partial<Omit<DecisionConfig, 'upsName'>> = {},
): DecisionConfig {
  return { ...DEFAULT_DECISION_CONFIG, ...overrides, upsName };
}

const NO_FLAGS: UpsFlags = {
  online: false,
  onBattery: false,
  lowBattery: false,
  fsd: false,
  cal: false,
  off: false,
  bypass: false,
  over: false,
  trim: false,
  boost: false,
  alarm: false,
  eco: false,
};

const CALM: Assessment = { critical: false, reason: null, hold: null, deadline: null };

export function initialState(
  now: number,
  config: Pick<DecisionConfig, 'upsName' | 'role'>,
): UpsMonitorState {
  return {
    upsName: config.upsName,
    role: config.role,
    startedAt: now,
    now,
    connected: false,
    login: { kind: 'not-attempted' },
    lastLoginRefusedNotifyAt: null,
    commState: 'initial',
    lineState: 'initial',
    onBatterySince: null,
    flags: NO_FLAGS,
    deadPromoted: false,
    status: null,
    unknownTokens: [],
    alarmText: null,
    lastPollAt: null,
    lastNonCriticalAt: null,
    lastRbWarnAt: null,
    lastNoCommWarnAt: null,
    commFailingSince: null,
    lastPollFailure: null,
    freshFrom: now,
    suspended: false,
    resumedAt: null,
    latch: { kind: 'armed' },
    fsdNotified: false,
    fsdSeenAt: null,
    shutdown: { phase: 'none' },
    episodes: 0,
    sessionWanted: true,
    assessment: CALM,
  };
}

type Draft = { -readonly [K in keyof UpsMonitorState]: UpsMonitorState[K] };

interface Ctx {
  readonly s: Draft;
  readonly effects: MonitorEffect[];
  readonly now: number;
  readonly cfg: DecisionConfig;
  /** COMMBAD fired in this step: upsmon checks NOCOMM only on a later failure. */
  commBadNow: boolean;
}

/** Advance one UPS's monitor by one input at monotonic time `now`. Pure. */
export function step(
  state: UpsMonitorState,
  input: MonitorInput,
  now: number,
  config: DecisionConfig,
): StepResult {
  const effects: MonitorEffect[] = [];
  let at = now;
  if (!Number.isFinite(at) || at < state.now) {
    effects.push({
      type: 'log',
      level: 'warn',
      message: `${config.upsName}: time ${now} is before the last step (${state.now}); using ${state.now}`,
    });
    at = state.now;
  }
  const ctx: Ctx = {
    s: { ...state, upsName: config.upsName, role: config.role, now: at },
    effects,
    now: at,
    cfg: config,
    commBadNow: false,
  };

  if (handleInput(ctx, input)) recalc(ctx);

  const next: UpsMonitorState = ctx.s;
  const viewAfter = changedView(state, next);
  if (viewAfter !== null) effects.push({ type: 'state-changed', view: viewAfter });
  return { state: next, effects };
}

/** Returns false when the input was discarded (suspended) and nothing must be re-evaluated. */
function handleInput(ctx: Ctx, input: MonitorInput): boolean {
  const { s, now, cfg } = ctx;
  switch (input.type) {
    case 'status-read': {
      if (s.suspended) {
        log(ctx, 'debug', 'status read while the OS is suspending: discarded');
        return false;
      }
      const parsed = parseStatus(input.status);
      if (parsed.empty) {
        log(ctx, 'warn', 'ups.status is empty: treated as a communication failure');
        commFailure(ctx, 'empty-status', 'ups.status is empty');
      } else if (isPlaceholderStatus(parsed)) {
        placeholderStatus(ctx, parsed);
      } else {
        processStatus(ctx, parsed, input.alarm);
      }
      return true;
    }
    case 'poll-failed': {
      if (s.suspended) {
        log(ctx, 'debug', `poll failure while the OS is suspending (${input.reason}): discarded`);
        return false;
      }
      if (input.reason === 'unknown-ups') {
        // Every status poll fails the same way until the config or the server changes: say it once.
        const again = s.commState === 'lost' && s.lastPollFailure?.reason === 'unknown-ups';
        log(
          ctx,
          again ? 'debug' : 'error',
          `UPS does not exist on the server (configuration error): ${input.message}`,
        );
      }
      if (input.reason === 'login-refused') loginRefused(ctx, input.message);
      commFailure(ctx, input.reason, input.message);
      return true;
    }
    case 'tick':
      return !s.suspended;
    case 'connected':
      s.connected = true;
      if (s.login.kind === 'ok') s.login = { kind: 'not-attempted' };
      log(ctx, 'info', 'connected to the server');
      return true;
    case 'disconnected':
      s.connected = false;
      if (s.login.kind === 'ok') s.login = { kind: 'not-attempted' };
      log(
        ctx,
        input.intentional === true ? 'info' : 'warn',
        `disconnected${input.message === undefined ? '' : `: ${input.message}`}`,
      );
      return true;
    case 'login-result':
      if (cfg.role === 'monitor-only') {
        log(ctx, 'warn', 'login result ignored: a monitor-only UPS does not LOGIN');
        return true;
      }
      if (input.result === 'ok') {
        if (s.login.kind === 'refused')
          log(ctx, 'info', `LOGIN accepted again after being refused (${s.login.reason})`);
        else log(ctx, 'info', 'logged in: counted by the master as a secondary');
        s.login = { kind: 'ok', at: now };
        s.lastLoginRefusedNotifyAt = null;
      } else {
        loginRefused(ctx, input.reason);
      }
      return true;
    case 'suspend':
      if (!s.suspended) {
        s.suspended = true;
        log(
          ctx,
          'info',
          'OS is suspending: readings taken before sleep will not be used for decisions',
        );
      }
      return true;
    case 'resume':
      resume(ctx);
      return true;
    case 'shutdown-command-finished':
      commandFinished(ctx, input.ok, input.detail ?? null, input.dryRun === true);
      return true;
    case 'local-fsd-requested': {
      const source = input.source === undefined ? '' : ` (${input.source})`;
      if (cfg.role === 'monitor-only') {
        log(
          ctx,
          'warn',
          `local FSD request${source} ignored: this UPS is monitor-only and never shuts this machine down`,
        );
      } else if (s.shutdown.phase !== 'none') {
        log(
          ctx,
          'info',
          `local FSD request${source} ignored: shutdown episode ${s.episodes} is already ${s.shutdown.phase}`,
        );
      } else {
        log(ctx, 'warn', `local FSD requested${source}: starting the shutdown sequence`);
        beginShutdown(ctx, 'local-fsd');
      }
      return true;
    }
    case 'supplies-short': {
      if (cfg.role === 'monitor-only') {
        log(
          ctx,
          'info',
          `supplies below MINSUPPLIES (${input.detail}): ignored, this UPS is monitor-only`,
        );
      } else if (s.shutdown.phase !== 'none') {
        log(
          ctx,
          'info',
          `supplies below MINSUPPLIES (${input.detail}): shutdown episode ${s.episodes} is already ${s.shutdown.phase}`,
        );
      } else {
        log(
          ctx,
          'warn',
          `supplies below MINSUPPLIES (${input.detail}): starting the shutdown sequence`,
        );
        beginShutdown(ctx, 'min-supplies');
      }
      return true;
    }
    case 'latched-fsd-choice': {
      const latch = s.latch;
      if (latch.kind === 'latched' && latch.handling === 'awaiting-choice') {
        s.latch = { ...latch, handling: input.choice === 'obey' ? 'obeyed' : 'ignored' };
        log(
          ctx,
          'warn',
          input.choice === 'obey'
            ? 'operator chose to obey the latched FSD'
            : 'operator chose to ignore the latched FSD while on line power',
        );
      } else {
        log(ctx, 'info', `latched-FSD choice "${input.choice}" ignored: no decision is pending`);
      }
      return true;
    }
    case 'episode-acknowledged':
      acknowledge(ctx);
      return true;
    default: {
      const unexpected: never = input;
      log(ctx, 'error', `unknown input ${JSON.stringify(unexpected)}`);
      return true;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// main/monitor/README.md §1.4: a successful read

const CLEARABLE: ReadonlyArray<readonly [KnownStatusToken, keyof UpsFlags, NotifyType]> = [
  ['CAL', 'cal', 'NOTCAL'],
  ['OFF', 'off', 'NOTOFF'],
  ['BYPASS', 'bypass', 'NOTBYPASS'],
  ['ALARM', 'alarm', 'NOTALARM'],
  ['OVER', 'over', 'NOTOVER'],
  ['TRIM', 'trim', 'NOTTRIM'],
  ['BOOST', 'boost', 'NOTBOOST'],
  ['ECO', 'eco', 'NOTECO'],
];

const SIMPLE_TOKENS: Partial<Record<KnownStatusToken, readonly [keyof UpsFlags, NotifyType]>> = {
  CAL: ['cal', 'CAL'],
  OFF: ['off', 'OFF'],
  BYPASS: ['bypass', 'BYPASS'],
  OVER: ['over', 'OVER'],
  TRIM: ['trim', 'TRIM'],
  BOOST: ['boost', 'BOOST'],
  ECO: ['eco', 'ECO'],
};

function processStatus(ctx: Ctx, parsed: ParsedStatus, alarm: string | undefined): void {
  const { s, now, cfg } = ctx;
  const has = (t: KnownStatusToken) => parsed.known.includes(t);

  // ups_is_alive
  s.lastPollAt = now;
  s.status = parsed.raw;
  if (s.commState === 'lost') notify(ctx, 'COMMOK');
  s.commState = 'ok';
  s.commFailingSince = null;
  // First read after a resume / re-arm: the HOSTSYNC wait restarts from fresh data.
  if (s.lastNonCriticalAt !== null && s.lastNonCriticalAt < s.freshFrom) s.lastNonCriticalAt = now;
  s.deadPromoted = false;
  s.fsdSeenAt = has('FSD') ? now : null;

  classifyLatch(ctx, parsed);

  const flags: { -readonly [K in keyof UpsFlags]: boolean } = { ...s.flags };
  if (!has('LB')) flags.lowBattery = false;
  if (!has('FSD')) {
    flags.fsd = false;
    s.fsdNotified = false;
  }
  for (const [token, flag, event] of CLEARABLE) {
    if (!has(token) && flags[flag]) {
      flags[flag] = false;
      notify(ctx, event);
    }
  }

  for (const token of parsed.tokens) {
    if (token.kind === 'known') {
      switch (token.token) {
        case 'OL':
          if (!flags.online) {
            if (s.lineState !== 'initial') notify(ctx, 'ONLINE');
            s.lineState = 'online';
            s.onBatterySince = null;
            flags.online = true;
            flags.onBattery = false;
          }
          break;
        case 'OB':
          if (!flags.onBattery) {
            s.lineState = 'on-battery';
            s.onBatterySince = now;
            notify(ctx, 'ONBATT');
            flags.onBattery = true;
            flags.online = false;
          }
          break;
        case 'LB':
          if (!flags.lowBattery) {
            notify(ctx, 'LOWBATT');
            flags.lowBattery = true;
          }
          break;
        case 'RB':
          if (s.lastRbWarnAt === null || now - s.lastRbWarnAt > cfg.rbWarnMs) {
            notify(ctx, 'REPLBATT');
            s.lastRbWarnAt = now;
          }
          break;
        case 'FSD':
          flags.fsd = true;
          if (!s.fsdNotified && fsdEffective(s.latch)) {
            notify(ctx, 'FSD');
            s.fsdNotified = true;
          }
          break;
        case 'ALARM':
          if (!flags.alarm) {
            notify(ctx, 'ALARM', [alarm ?? '']);
            flags.alarm = true;
          }
          break;
        default: {
          const simple = SIMPLE_TOKENS[token.token];
          if (simple !== undefined && !flags[simple[0]]) {
            notify(ctx, simple[1]);
            flags[simple[0]] = true;
          }
          // HB, CHRG, DISCHRG, WAIT: known, no decision attached.
        }
      }
    }
    // update_crittimer after every token
    if (!(flags.onBattery && flags.lowBattery) || flags.cal) s.lastNonCriticalAt = now;
  }
  s.flags = flags;

  const key = (tokens: readonly string[]) =>
    tokens
      .map((t) => t.toUpperCase())
      .sort()
      .join(' ');
  if (parsed.unknown.length > 0 && key(parsed.unknown) !== key(s.unknownTokens)) {
    notify(ctx, 'OTHER', [parsed.unknown.join(' ')]);
  } else if (parsed.unknown.length === 0 && s.unknownTokens.length > 0) {
    notify(ctx, 'NOTOTHER');
  }
  s.unknownTokens = parsed.unknown;
  s.alarmText = has('ALARM') ? (alarm ?? null) : null;
}

/**
 * upsd's `WAIT` placeholder (alone or with FSD): not an observation of the UPS. Nothing read before
 * is cleared (OFF, BYPASS, CAL, LB, …), the line state is kept, `lastPollAt` does not move (DEADTIME
 * keeps counting), and comm state is untouched: a comm loss stays lost with its start (so the
 * comm-loss grace is not restarted), and no COMMBAD for the second upsd shows it after a restart.
 * A WAIT that never ends is bounded by upsd itself: a driver that sends nothing goes DATA-STALE
 * after MAXAGE. Only the FSD flag, which upsd keeps itself, is taken from it.
 */
function placeholderStatus(ctx: Ctx, parsed: ParsedStatus): void {
  const { s, now } = ctx;
  log(
    ctx,
    'debug',
    `ups.status "${parsed.raw}" is upsd's placeholder while it (re)connects to the driver: not an observation`,
  );
  const fsd = parsed.known.includes('FSD');
  s.fsdSeenAt = fsd ? now : null;
  classifyLatch(ctx, parsed);
  if (fsd) {
    s.flags = { ...s.flags, fsd: true };
    if (!s.fsdNotified && fsdEffective(s.latch)) {
      notify(ctx, 'FSD');
      s.fsdNotified = true;
    }
  } else if (s.flags.fsd) {
    s.flags = { ...s.flags, fsd: false };
    s.fsdNotified = false;
  }
}

/** FSD set on the master as of a status read after the last resume / re-arm. */
function fsdCurrent(s: Pick<UpsMonitorState, 'flags' | 'fsdSeenAt' | 'freshFrom'>): boolean {
  return s.flags.fsd && s.fsdSeenAt !== null && s.fsdSeenAt >= s.freshFrom;
}

const LATCH_POLICY_TEXT = {
  'ignore-while-online':
    'not shutting down while it stays on line power; a power failure with FSD still set will shut this machine down',
  ask: 'waiting for your decision (obey or ignore); not shutting down while on line power',
  obey: 'obeying it as upsmon would: shutting down',
} as const;

/** Decides whether an FSD is a latch left from an earlier event (see the module comment). */
function classifyLatch(ctx: Ctx, parsed: ParsedStatus): void {
  const { s, now, cfg } = ctx;
  const fsd = parsed.known.includes('FSD');
  const ol = parsed.known.includes('OL');
  const ob = parsed.known.includes('OB');
  const latch = s.latch;
  switch (latch.kind) {
    case 'none':
      return;
    case 'armed':
    case 'pending':
      if (!fsd) {
        if (latch.kind === 'pending')
          log(ctx, 'info', 'FSD disappeared before the line state was known');
        s.latch = { kind: 'none' };
      } else if (ob) {
        if (latch.kind === 'pending')
          log(ctx, 'warn', 'FSD with the UPS on battery: a live forced shutdown');
        s.latch = { kind: 'none' };
      } else if (ol) {
        const policy = cfg.latchedFsdAtStart;
        const handling =
          policy === 'obey' ? 'obeyed' : policy === 'ask' ? 'awaiting-choice' : 'ignored';
        s.latch = { kind: 'latched', since: now, handling };
        log(
          ctx,
          'warn',
          `FSD already set while on line power at the first reading: latched FSD (policy ${policy})`,
        );
        notify(ctx, 'FSD_LATCHED_AT_START', [LATCH_POLICY_TEXT[policy]]);
      } else if (latch.kind === 'armed') {
        s.latch = { kind: 'pending', since: now };
        log(
          ctx,
          'warn',
          `FSD at the first reading without OL/OB ("${parsed.raw}"): deciding when the line state is known, at most DEADTIME (${cfg.deadTimeMs} ms) from now`,
        );
      }
      return;
    case 'latched':
      if (!fsd) {
        log(ctx, 'info', 'the latched FSD was cleared on the master');
        s.latch = { kind: 'none' };
      } else if (latch.handling !== 'obeyed' && (ob || (!ol && s.flags.onBattery))) {
        log(ctx, 'warn', 'on battery while the latched FSD is still set: obeying FSD');
        s.latch = { ...latch, handling: 'obeyed' };
      }
      return;
  }
}

/** Whether a set FSD flag counts (is not an ignored latch / undecided). */
function fsdEffective(latch: LatchState): boolean {
  if (latch.kind === 'pending') return false;
  if (latch.kind === 'latched') return latch.handling === 'obeyed';
  return true;
}

// ---------------------------------------------------------------------------------------------
// main/monitor/README.md §1.5: failures

function commFailure(ctx: Ctx, reason: PollFailureReason, message: string): void {
  const { s, now } = ctx;
  s.lastPollFailure = { reason, message, at: now };
  if (s.commState !== 'lost') {
    s.commState = 'lost';
    s.commFailingSince = now;
    notify(ctx, 'COMMBAD');
    ctx.commBadNow = true;
    log(ctx, 'warn', `communication lost (${reason}): ${message}`);
  } else {
    log(ctx, 'debug', `poll failed again (${reason}): ${message}`);
  }
}

function loginRefused(ctx: Ctx, reason: string): void {
  const { s, now, cfg } = ctx;
  const prev = s.login;
  const newStreak = prev.kind !== 'refused' || prev.reason !== reason;
  const reminderDue =
    s.lastLoginRefusedNotifyAt === null || now - s.lastLoginRefusedNotifyAt >= cfg.noCommWarnMs;
  if (newStreak || reminderDue) {
    notify(ctx, 'LOGIN_REFUSED', [reason]);
    s.lastLoginRefusedNotifyAt = now;
  }
  log(
    ctx,
    newStreak ? 'error' : 'debug',
    `LOGIN refused (${reason}): the master will not wait for this machine before cutting power`,
  );
  s.login = {
    kind: 'refused',
    reason,
    since: prev.kind === 'refused' && !newStreak ? prev.since : now,
    at: now,
  };
}

// ---------------------------------------------------------------------------------------------
// Sleep, the end of the shutdown command, acknowledgement

function resume(ctx: Ctx): void {
  const { s, now } = ctx;
  s.suspended = false;
  s.resumedAt = now;
  s.freshFrom = now;
  s.deadPromoted = false;
  // We did not witness what happened during sleep: an FSD seen now while on line is judged as at start.
  if (s.latch.kind === 'pending' || (s.latch.kind === 'none' && !s.flags.fsd))
    s.latch = { kind: 'armed' };
  log(
    ctx,
    'info',
    'OS resumed: all readings are stale, nothing is decided until a fresh status is read',
  );
  if (s.shutdown.phase === 'command-running') {
    log(ctx, 'info', 'resumed while the shutdown command runs: not reconnecting');
    return;
  }
  s.sessionWanted = true;
  ctx.effects.push({ type: 'reconnect-now', reason: 'resumed from sleep' });
}

function commandFinished(ctx: Ctx, ok: boolean, detail: string | null, dryRun: boolean): void {
  const { s, now, cfg } = ctx;
  const sd = s.shutdown;
  if (sd.phase !== 'command-running') {
    log(ctx, 'warn', `shutdown-command-finished while the shutdown phase is ${sd.phase}: ignored`);
    return;
  }
  if (dryRun && ok) {
    // A rehearsal: logged out like a real shutdown; back in after the hold, monitoring on.
    s.shutdown = {
      phase: 'rehearsed',
      episode: sd.episode,
      reason: sd.reason,
      beganAt: sd.beganAt,
      rehearsedAt: now,
      reloginAt: now + cfg.rehearsalLogoutMs,
    };
    log(
      ctx,
      'info',
      `dry run: shutdown rehearsed (the command was recorded, not run); logging in again in ${cfg.rehearsalLogoutMs} ms; the episode ends when the UPS is back on line`,
    );
    return;
  }
  s.shutdown = { ...sd, phase: 'done', finishedAt: now, ok, detail };
  const suffix = detail === null ? '' : `: ${detail}`;
  if (!ok) {
    log(
      ctx,
      'error',
      `the shutdown command failed${suffix}. This machine keeps running; no automatic retry in this episode (acknowledge to re-arm)`,
    );
    s.sessionWanted = true;
    ctx.effects.push({
      type: 'reconnect-now',
      reason: 'the shutdown command failed: keep monitoring',
    });
  } else if (s.resumedAt !== null && s.resumedAt >= sd.commandStartedAt) {
    log(ctx, 'info', `the shutdown command finished after a resume (this machine is up)${suffix}`);
    s.sessionWanted = true;
    ctx.effects.push({ type: 'reconnect-now', reason: 'resumed after the shutdown command' });
  } else {
    log(ctx, 'info', `the shutdown command finished${suffix}`);
  }
}

function acknowledge(ctx: Ctx): void {
  const { s, now } = ctx;
  if (s.shutdown.phase !== 'done') {
    log(
      ctx,
      'warn',
      s.shutdown.phase === 'none'
        ? 'acknowledgement ignored: no shutdown episode to end'
        : `acknowledgement ignored: the shutdown is ${s.shutdown.phase}`,
    );
    return;
  }
  log(
    ctx,
    'info',
    `shutdown episode ${s.shutdown.episode} acknowledged: decisions re-armed on fresh readings`,
  );
  s.shutdown = { phase: 'none' };
  s.freshFrom = now;
  s.deadPromoted = false;
  s.latch = { kind: 'armed' };
  if (!s.sessionWanted) {
    s.sessionWanted = true;
    ctx.effects.push({ type: 'reconnect-now', reason: 'shutdown episode acknowledged' });
  }
}

// ---------------------------------------------------------------------------------------------
// main/monitor/README.md §1.6: recalc after every input

function isFresh(
  s: Pick<UpsMonitorState, 'lastPollAt' | 'freshFrom'>,
): s is { lastPollAt: number; freshFrom: number } {
  return s.lastPollAt !== null && s.lastPollAt >= s.freshFrom;
}

function recalc(ctx: Ctx): void {
  const { s, now, cfg } = ctx;
  if (!s.suspended) {
    if (s.latch.kind === 'pending' && now - s.latch.since > cfg.deadTimeMs) {
      log(
        ctx,
        'warn',
        'FSD still set and the line state still unknown after DEADTIME: obeying FSD',
      );
      s.latch = { kind: 'none' };
    }
    if (isFresh(s) && s.flags.onBattery && !s.deadPromoted && now - s.lastPollAt > cfg.deadTimeMs) {
      s.deadPromoted = true;
      log(
        ctx,
        'warn',
        `no status for ${now - s.lastPollAt} ms (> DEADTIME ${cfg.deadTimeMs} ms) and last known on battery: assuming low battery`,
      );
    }
    if (s.commState === 'lost' && !ctx.commBadNow) {
      const since = Math.max(s.lastPollAt ?? Number.NEGATIVE_INFINITY, s.freshFrom);
      if (
        now - since >= cfg.noCommWarnMs &&
        (s.lastNoCommWarnAt === null || now - s.lastNoCommWarnAt > cfg.noCommWarnMs)
      ) {
        notify(ctx, 'NOCOMM');
        s.lastNoCommWarnAt = now;
      }
    }
    if (!s.fsdNotified && fsdCurrent(s) && fsdEffective(s.latch)) {
      notify(ctx, 'FSD');
      s.fsdNotified = true;
    }
    const assessment = assess(s, now, cfg);
    if (!sameAssessment(assessment, s.assessment)) logAssessment(ctx, assessment);
    s.assessment = assessment;
    if (
      assessment.critical &&
      assessment.reason !== null &&
      cfg.role === 'secondary' &&
      !cfg.hostDecides &&
      s.shutdown.phase === 'none'
    ) {
      beginShutdown(ctx, assessment.reason);
    }
  }
  endRehearsal(ctx);
  // A begun shutdown is a commitment: it runs to the end even across a suspend.
  const sd = s.shutdown;
  if (sd.phase === 'final-delay' && now >= sd.deadline) {
    s.shutdown = {
      phase: 'command-running',
      episode: sd.episode,
      reason: sd.reason,
      beganAt: sd.beganAt,
      commandStartedAt: now,
    };
    s.sessionWanted = false;
    ctx.effects.push({
      type: 'run-shutdown-command',
      episode: sd.episode,
      reason: sd.reason,
      upsName: cfg.upsName,
    });
    ctx.effects.push({
      type: 'close-session',
      reason: 'the shutdown command started: log out so the master stops waiting for this machine',
    });
  }
}

/**
 * A rehearsed (dry-run) episode: log in again once the logout was visible to the master; the
 * episode ends — with no user action — on a fresh reading that is on line and not critical. While
 * FSD stays latched it stays critical, so it is one rehearsal per episode, not a logout loop.
 */
function endRehearsal(ctx: Ctx): void {
  const { s, now } = ctx;
  const sd = s.shutdown;
  if (sd.phase !== 'rehearsed') return;
  if (!s.sessionWanted && now >= sd.reloginAt && !s.suspended) {
    s.sessionWanted = true;
    ctx.effects.push({
      type: 'reconnect-now',
      reason: 'dry run: the shutdown was rehearsed, monitoring goes on',
    });
  }
  const f = s.flags;
  if (
    s.sessionWanted &&
    isFresh(s) &&
    s.lastPollAt >= sd.reloginAt &&
    f.online &&
    !f.onBattery &&
    !s.assessment.critical
  ) {
    log(
      ctx,
      'info',
      `the UPS is back on line: rehearsed shutdown episode ${sd.episode} is over, decisions re-armed`,
    );
    s.shutdown = { phase: 'none' };
  }
}

/** is_ups_critical() with DEADTIME promotion applied by the caller (main/monitor/README.md §1.6). */
function assess(s: Draft, now: number, cfg: DecisionConfig): Assessment {
  // FSD first: upsd reports it even while it has no UPS data (`FSD WAIT`).
  let fsdHold: Assessment['hold'] = null;
  if (fsdCurrent(s)) {
    if (fsdEffective(s.latch)) return critical('fsd');
    fsdHold = s.latch.kind === 'pending' ? 'fsd-unconfirmed' : 'latched-fsd';
  }
  if (s.lastPollAt === null) return { ...CALM, hold: fsdHold }; // never heard from ⇒ assumed online
  if (!isFresh(s)) return { ...CALM, hold: 'stale' };
  const f = s.flags;
  const unprotectedUntil = unprotectedCriticalAt(s, cfg);
  if (unprotectedUntil !== null && now >= unprotectedUntil)
    return critical(
      f.cal ? 'comm-lost-calibrating' : f.bypass ? 'comm-lost-bypass' : 'comm-lost-off',
    );
  const unprotected: Assessment | null =
    unprotectedUntil === null
      ? null
      : { ...CALM, hold: 'comm-lost-unprotected', deadline: unprotectedUntil };
  if (!(f.onBattery && (f.lowBattery || s.deadPromoted)))
    return unprotected ?? { ...CALM, hold: fsdHold };
  if (f.cal) return unprotected ?? { ...CALM, hold: 'calibrating' };
  const lastNonCritical = s.lastNonCriticalAt ?? s.lastPollAt;
  const deadline = lastNonCritical + cfg.hostSyncMs;
  if (now - lastNonCritical > cfg.hostSyncMs)
    return critical(f.lowBattery ? 'on-battery-low-battery' : 'dead-on-battery');
  // Both holds may run at once (OB LB BYPASS with comm lost): show the one that decides first.
  if (unprotected !== null && unprotectedUntil !== null && unprotectedUntil <= deadline)
    return unprotected;
  return { critical: false, reason: null, hold: 'waiting-for-primary', deadline };
}

/**
 * 2.8.1+: comm lost while the load has no battery behind it (last known CAL, BYPASS or OFF) is
 * critical from this instant (after the grace, see the header); null when the rule does not apply.
 */
function unprotectedCriticalAt(
  s: Pick<UpsMonitorState, 'commState' | 'commFailingSince' | 'flags'>,
  cfg: DecisionConfig,
): number | null {
  const f = s.flags;
  if (s.commState !== 'lost' || s.commFailingSince === null || !(f.cal || f.bypass || f.off))
    return null;
  return s.commFailingSince + cfg.commLossCriticalMs;
}

function critical(reason: Assessment['reason']): Assessment {
  return { critical: true, reason, hold: null, deadline: null };
}

function sameAssessment(a: Assessment, b: Assessment): boolean {
  return (
    a.critical === b.critical &&
    a.reason === b.reason &&
    a.hold === b.hold &&
    a.deadline === b.deadline
  );
}

const REASON_TEXT: Record<ShutdownReason, string> = {
  fsd: 'forced shutdown (FSD) set on the master',
  'on-battery-low-battery':
    'Giving up on the primary: on battery with low battery for longer than HOSTSYNC without FSD',
  'dead-on-battery':
    'Giving up on the primary: no data for longer than DEADTIME while on battery, then HOSTSYNC elapsed',
  'comm-lost-calibrating': 'communication lost while the UPS was calibrating',
  'comm-lost-bypass': 'communication lost while the UPS was on bypass',
  'comm-lost-off': 'communication lost while the UPS output was off',
  'local-fsd': 'local forced shutdown requested',
  'min-supplies': 'the UPSes that are not critical feed fewer power supplies than MINSUPPLIES',
};

const HOLD_TEXT: Record<NonNullable<Assessment['hold']>, string> = {
  'waiting-for-primary':
    'on battery with low battery: waiting for the primary to set FSD (HOSTSYNC)',
  calibrating: 'on battery with low battery but calibrating: not critical',
  'latched-fsd': 'FSD latched from before start, UPS on line power: not critical',
  'fsd-unconfirmed':
    'FSD at start without line state yet: not acted on until OL/OB is known (at most DEADTIME)',
  stale: 'only readings from before sleep: waiting for a fresh status',
  'comm-lost-unprotected':
    'communication lost while the UPS was on bypass, off or calibrating (no battery protection): critical unless it returns within the comm-loss grace',
};

function logAssessment(ctx: Ctx, a: Assessment): void {
  const { s } = ctx;
  if (a.critical && a.reason !== null) {
    const during =
      s.shutdown.phase === 'none'
        ? ''
        : ` (shutdown episode ${s.episodes} is ${s.shutdown.phase}: no second shutdown)`;
    const monitorOnly =
      ctx.cfg.role === 'monitor-only'
        ? ' (monitor-only: not shutting down)'
        : ctx.cfg.hostDecides
          ? ' (MINSUPPLIES: the supplies of all UPSes decide)'
          : '';
    log(ctx, 'warn', `critical: ${REASON_TEXT[a.reason]}${during}${monitorOnly}`);
  } else if (a.hold !== null) {
    const until = a.deadline === null ? '' : ` until ${a.deadline}`;
    log(ctx, a.hold === 'stale' ? 'debug' : 'info', `not critical: ${HOLD_TEXT[a.hold]}${until}`);
  } else if (s.assessment.critical || s.assessment.hold !== null) {
    log(ctx, 'info', 'no longer critical');
  }
}

function beginShutdown(ctx: Ctx, reason: ShutdownReason): void {
  const { s, now, cfg } = ctx;
  const episode = s.episodes + 1;
  s.episodes = episode;
  const deadline = now + cfg.finalDelayMs;
  s.shutdown = { phase: 'final-delay', episode, reason, beganAt: now, deadline };
  log(
    ctx,
    'warn',
    `Executing automatic power-fail shutdown (${REASON_TEXT[reason]}); shutdown command in ${cfg.finalDelayMs} ms`,
  );
  notify(ctx, 'SHUTDOWN', [], '');
  ctx.effects.push({
    type: 'begin-shutdown',
    episode,
    reason,
    message: REASON_TEXT[reason],
    upsName: cfg.upsName,
    finalDelayMs: cfg.finalDelayMs,
    commandAt: deadline,
  });
}

// ---------------------------------------------------------------------------------------------
// Effects helpers

function notify(
  ctx: Ctx,
  event: NotifyType,
  extra: readonly string[] = [],
  upsName: string = ctx.cfg.upsName,
): void {
  const template = ctx.cfg.messages?.[event] ?? DEFAULT_NOTIFY_MESSAGES[event];
  ctx.effects.push({
    type: 'notify',
    event,
    message: formatNotifyMessage(template, [upsName, ...extra]),
    upsName,
  });
}

function log(ctx: Ctx, level: LogLevel, message: string): void {
  ctx.effects.push({ type: 'log', level, message: `UPS ${ctx.cfg.upsName}: ${message}` });
}

// ---------------------------------------------------------------------------------------------
// Scheduling and the view model

/**
 * The earliest monotonic time at which a `tick` can change anything (a deadline of FINALDELAY,
 * DEADTIME, HOSTSYNC, NOCOMMWARNTIME or the unconfirmed-FSD wait), or null when only new input
 * can. The caller schedules one timer for it; ticking earlier is harmless and has no effect.
 */
export function nextWakeAt(state: UpsMonitorState, config: DecisionConfig): number | null {
  const candidates: number[] = [];
  const sd = state.shutdown;
  if (!state.suspended) {
    // While suspended, ticks are discarded; the resume input itself re-evaluates everything.
    if (sd.phase === 'final-delay') candidates.push(sd.deadline);
    if (sd.phase === 'rehearsed' && !state.sessionWanted) candidates.push(sd.reloginAt);
    if (state.latch.kind === 'pending') candidates.push(state.latch.since + config.deadTimeMs + 1);
    if (isFresh(state) && state.flags.onBattery && !state.deadPromoted)
      candidates.push(state.lastPollAt + config.deadTimeMs + 1);
    const a = state.assessment;
    if (a.hold === 'waiting-for-primary' && a.deadline !== null) candidates.push(a.deadline + 1);
    // Also while critical for OB+LB: the assessment then changes to comm-lost-* (FSD ranks above).
    const unprotectedUntil = unprotectedCriticalAt(state, config);
    const fsdDecided = a.critical && a.reason === 'fsd';
    if (!fsdDecided && isFresh(state) && unprotectedUntil !== null && unprotectedUntil > state.now)
      candidates.push(unprotectedUntil);
    if (state.commState === 'lost') {
      const since = Math.max(state.lastPollAt ?? Number.NEGATIVE_INFINITY, state.freshFrom);
      const repeat =
        state.lastNoCommWarnAt === null
          ? Number.NEGATIVE_INFINITY
          : state.lastNoCommWarnAt + config.noCommWarnMs + 1;
      candidates.push(Math.max(since + config.noCommWarnMs, repeat));
    }
  }
  return candidates.length === 0 ? null : Math.max(state.now, Math.min(...candidates));
}

export function describeState(state: UpsMonitorState): MonitorView {
  const f = state.flags;
  const a = state.assessment;
  const sd = state.shutdown;
  const waiting =
    sd.phase === 'none' && state.role === 'secondary' && a.hold === 'waiting-for-primary';
  const latch = state.latch;
  return {
    upsName: state.upsName,
    role: state.role,
    line: f.onBattery ? 'on-battery' : f.online ? 'online' : 'unknown',
    onBatterySince: f.onBattery ? state.onBatterySince : null,
    lowBattery: f.lowBattery || state.deadPromoted,
    lowBatteryAssumed: state.deadPromoted && !f.lowBattery,
    fsd: f.fsd,
    comm: state.lastPollAt === null ? 'never' : state.commState === 'lost' ? 'lost' : 'ok',
    commFailingSince: state.commFailingSince,
    connected: state.connected,
    loggedIn: state.connected && state.login.kind === 'ok',
    login: state.role === 'monitor-only' ? 'not-applicable' : state.login.kind,
    loginRefusedReason: state.login.kind === 'refused' ? state.login.reason : null,
    status: state.status,
    statusText: state.status === null ? 'No status read yet' : describeStatus(state.status),
    unknownTokens: state.unknownTokens,
    stale: state.lastPollAt !== null && state.lastPollAt < state.freshFrom,
    suspended: state.suspended,
    critical: a.critical,
    criticalReason: a.reason,
    explanation:
      a.critical && a.reason !== null
        ? REASON_TEXT[a.reason]
        : a.hold !== null
          ? HOLD_TEXT[a.hold]
          : null,
    hold: a.hold,
    shutdown: {
      phase: waiting ? 'waiting-hostsync' : sd.phase,
      deadline: waiting ? a.deadline : sd.phase === 'final-delay' ? sd.deadline : null,
      episode: sd.phase === 'none' ? null : sd.episode,
      reason: sd.phase === 'none' ? null : sd.reason,
      commandOk: sd.phase === 'done' ? sd.ok : null,
      rehearsedAt: sd.phase === 'rehearsed' ? sd.rehearsedAt : null,
    },
    latchedFsd: latch.kind === 'latched' ? { handling: latch.handling, since: latch.since } : null,
    episodes: state.episodes,
    lastPollAt: state.lastPollAt,
    lastPollFailure: state.lastPollFailure,
    sessionWanted: state.sessionWanted,
  };
}

function sameView(a: MonitorView, b: MonitorView): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The view of `after` when it differs from the view of `before` (JSON equality), else null. Every
 * status read moves `lastPollAt`, so the usual answer comes from the fields a view copies verbatim
 * (one view built, nothing serialized); only when none of those moved are both views compared.
 */
function changedView(before: UpsMonitorState, after: UpsMonitorState): MonitorView | null {
  const view = describeState(after);
  if (
    jsonDiffers(before.lastPollAt, after.lastPollAt) ||
    jsonDiffers(before.status, after.status) ||
    jsonDiffers(before.connected, after.connected) ||
    jsonDiffers(before.commFailingSince, after.commFailingSince) ||
    jsonDiffers(before.suspended, after.suspended) ||
    jsonDiffers(before.episodes, after.episodes) ||
    jsonDiffers(before.sessionWanted, after.sessionWanted) ||
    jsonDiffers(before.upsName, after.upsName) ||
    jsonDiffers(before.role, after.role)
  ) {
    return view;
  }
  return sameView(describeState(before), view) ? null : view;
}

/** Whether two scalars serialize differently with JSON.stringify (NaN, ±Infinity and null all read `null`). */
function jsonDiffers(
  a: string | number | boolean | null,
  b: string | number | boolean | null,
): boolean {
  if (a === b) return false;
  return !(isJsonNull(a) && isJsonNull(b));
}

function isJsonNull(value: string | number | boolean | null): boolean {
  return value === null || (typeof value === 'number' && !Number.isFinite(value));
}
