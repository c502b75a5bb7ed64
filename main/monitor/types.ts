/**
 * Contracts of the pure decision core (state-machine.ts): its configuration, inputs, effects,
 * state and UI view model. Times are monotonic milliseconds supplied by the caller.
 */
import type { NotifyType } from '../../shared/notify-types';
import type { LogLevel } from '../platform/ports';

export type MonitorRole = 'secondary' | 'monitor-only';

/** What to do when the first status after start (or resume / re-arm) is `FSD` while `OL`. */
export type LatchedFsdPolicy = 'ignore-while-online' | 'ask' | 'obey';

export interface DecisionConfig {
  /** upsmon DEADTIME: last known OB and no successful poll for longer than this ⇒ assume LB. */
  deadTimeMs: number;
  /** upsmon HOSTSYNC: how long a secondary waits for the primary's FSD after OB+LB. */
  hostSyncMs: number;
  /** upsmon FINALDELAY: between the SHUTDOWN notification and the shutdown command. */
  finalDelayMs: number;
  /** upsmon NOCOMMWARNTIME: first NOCOMM after this long without communication, then repeated. */
  noCommWarnMs: number;
  /** upsmon RBWARNTIME: REPLBATT repeat interval while RB is present. */
  rbWarnMs: number;
  /**
   * Comm lost while the UPS was last seen on bypass, off or calibrating (the load has no battery
   * behind it) is critical once comm has been lost this long. upsmon 2.8.1+ decides at once, on a
   * single failed poll every POLLFREQ (5 s); polling 10× as often, we would hit a short blip (an
   * upsd restart, a Wi-Fi hiccup) 10× as often, so the default waits one upsmon poll. 0 = at once.
   */
  commLossCriticalMs: number;
  /**
   * Dry run: after the (recorded) shutdown command this machine stays logged out this long, so
   * the master sees it leave like after a real shutdown (upsmon on the master checks NUMLOGINS
   * every ~2 s while it waits HOSTSYNC), then logs in again and keeps monitoring.
   */
  rehearsalLogoutMs: number;
  /** secondary: decide and shut down like upsmon. monitor-only: notify, never shut down, no LOGIN. */
  role: MonitorRole;
  /**
   * MINSUPPLIES in use: this UPS turning critical does not start a shutdown by itself; the host
   * adds up the supplies of all UPSes (upsmon's recalc) and sends `supplies-short`.
   */
  hostDecides: boolean;
  latchedFsdAtStart: LatchedFsdPolicy;
  /** The MONITOR system string (`ups@host[:port]`): the `%s` of messages and UPSNAME of hooks. */
  upsName: string;
  /** NOTIFYMSG overrides (upsmon `%s` templates); missing types use DEFAULT_NOTIFY_MESSAGES. */
  messages?: Partial<Record<NotifyType, string>>;
}

/**
 * Why a poll produced no status. data-stale / driver-not-connected are comm loss like any
 * other failure (main/nut/README.md §4.7); unknown-ups is additionally logged as a configuration error.
 */
export type PollFailureReason =
  | 'data-stale'
  | 'driver-not-connected'
  | 'unknown-ups'
  | 'connection'
  | 'timeout'
  | 'login-refused'
  | 'access-denied'
  | 'empty-status'
  | 'protocol'
  | 'other';

/**
 * Everything that can happen to one monitored UPS. Contract for the caller (poller/session):
 * every poll attempt ends in exactly one `status-read` or `poll-failed`; `connected` /
 * `disconnected` only describe the TCP session (a disconnect alone is not comm loss — the next
 * poll decides); `tick` is sent at `nextWakeAt()` (or periodically); in-flight requests are
 * dropped on `resume` so no pre-sleep reply is delivered afterwards.
 */
export type MonitorInput =
  | {
      readonly type: 'status-read';
      readonly status: string;
      /** ups.alarm when ALARM is present (optional). */ readonly alarm?: string;
    }
  | { readonly type: 'poll-failed'; readonly reason: PollFailureReason; readonly message: string }
  | { readonly type: 'connected' }
  | {
      readonly type: 'disconnected';
      /** We closed it (close-session, quit, reload). */ readonly intentional?: boolean;
      readonly message?: string;
    }
  | { readonly type: 'login-result'; readonly result: 'ok' }
  | { readonly type: 'login-result'; readonly result: 'refused'; readonly reason: string }
  | { readonly type: 'tick' }
  | { readonly type: 'suspend' }
  | { readonly type: 'resume' }
  | {
      readonly type: 'shutdown-command-finished';
      readonly ok: boolean;
      readonly detail?: string;
      /** Recorded, not run: a rehearsal. */ readonly dryRun?: boolean;
    }
  | { readonly type: 'local-fsd-requested'; readonly source?: string }
  /** With `hostDecides`: the host's supplies fell below MINSUPPLIES (`detail` says which are critical). */
  | { readonly type: 'supplies-short'; readonly detail: string }
  | { readonly type: 'latched-fsd-choice'; readonly choice: 'obey' | 'ignore' }
  /** Operator acknowledgement after a shutdown episode (machine still up): re-arms the decision core. */
  | { readonly type: 'episode-acknowledged' };

export type MonitorInputType = MonitorInput['type'];

/** Why the UPS is critical (main/monitor/README.md §1.6, §1.7). */
export type CriticalReason =
  /** FSD in ups.status: the primary (or the driver) orders the shutdown. */
  | 'fsd'
  /** OB+LB for longer than HOSTSYNC without the primary's FSD ("Giving up on the primary"). */
  | 'on-battery-low-battery'
  /** Last known OB, no data for > DEADTIME (promoted to LB), then HOSTSYNC elapsed. */
  | 'dead-on-battery'
  /** [2.8.1+] communication lost while last known CAL / BYPASS / OFF. */
  | 'comm-lost-calibrating'
  | 'comm-lost-bypass'
  | 'comm-lost-off';

/** Why a shutdown sequence started: a critical UPS, or `local-fsd-requested` (`upsmon -c fsd`). */
export type ShutdownReason =
  | CriticalReason
  | 'local-fsd'
  /** MINSUPPLIES: the UPSes still fine feed fewer supplies than needed (decided by the host). */
  | 'min-supplies';

/** Why a UPS that looks bad is (still) not critical. */
export type HoldReason =
  /** Secondary: OB+LB seen, waiting up to HOSTSYNC for the primary's FSD. */
  | 'waiting-for-primary'
  /** OB+LB while CAL: never critical (upsmon). */
  | 'calibrating'
  /** FSD latched at start while on line, ignored or awaiting the operator's choice. */
  | 'latched-fsd'
  /** FSD seen at start without OL/OB (e.g. `FSD WAIT`): decided when the line state is known, at most DEADTIME later. */
  | 'fsd-unconfirmed'
  /** Only readings from before the last resume / re-arm: nothing is decided on them. */
  | 'stale'
  /** Comm lost while last seen on bypass / off / calibrating: critical at `deadline` unless comm returns. */
  | 'comm-lost-unprotected';

export interface Assessment {
  readonly critical: boolean;
  readonly reason: CriticalReason | null;
  readonly hold: HoldReason | null;
  /**
   * When the hold turns critical if nothing changes: waiting-for-primary gives up once
   * `now > deadline` (upsmon's HOSTSYNC operator), comm-lost-unprotected once `now >= deadline`.
   */
  readonly deadline: number | null;
}

export type ShutdownPhase =
  'none' | 'waiting-hostsync' | 'final-delay' | 'command-running' | 'done' | 'rehearsed';

export type ShutdownState =
  | { readonly phase: 'none' }
  | {
      readonly phase: 'final-delay';
      readonly episode: number;
      readonly reason: ShutdownReason;
      readonly beganAt: number;
      /** The command runs once `now >= deadline` (beganAt + FINALDELAY). */
      readonly deadline: number;
    }
  | {
      readonly phase: 'command-running';
      readonly episode: number;
      readonly reason: ShutdownReason;
      readonly beganAt: number;
      readonly commandStartedAt: number;
    }
  | {
      readonly phase: 'done';
      readonly episode: number;
      readonly reason: ShutdownReason;
      readonly beganAt: number;
      readonly commandStartedAt: number;
      readonly finishedAt: number;
      readonly ok: boolean;
      readonly detail: string | null;
    }
  /**
   * Dry run: the command was recorded, not run. The episode stays (no second shutdown while FSD
   * stays latched) until the UPS is back on line and not critical; the session logs in again at
   * `reloginAt`.
   */
  | {
      readonly phase: 'rehearsed';
      readonly episode: number;
      readonly reason: ShutdownReason;
      readonly beganAt: number;
      readonly rehearsedAt: number;
      readonly reloginAt: number;
    };

export type LatchState =
  /** The next status read decides whether an FSD in it is latched. */
  | { readonly kind: 'armed' }
  /** FSD seen at that read, but neither OL nor OB yet. */
  | { readonly kind: 'pending'; readonly since: number }
  /** No latch (any FSD is live). */
  | { readonly kind: 'none' }
  | {
      readonly kind: 'latched';
      readonly since: number;
      readonly handling: 'ignored' | 'awaiting-choice' | 'obeyed';
    };

export interface UpsFlags {
  readonly online: boolean;
  readonly onBattery: boolean;
  readonly lowBattery: boolean;
  readonly fsd: boolean;
  readonly cal: boolean;
  readonly off: boolean;
  readonly bypass: boolean;
  readonly over: boolean;
  readonly trim: boolean;
  readonly boost: boolean;
  readonly alarm: boolean;
  readonly eco: boolean;
}

export type LoginState =
  | { readonly kind: 'not-attempted' }
  | { readonly kind: 'ok'; readonly at: number }
  | {
      readonly kind: 'refused';
      readonly reason: string;
      readonly since: number;
      readonly at: number;
    };

export interface PollFailure {
  readonly reason: PollFailureReason;
  readonly message: string;
  readonly at: number;
}

/** upsmon's `commstate` (-1 / 0 / 1) and `linestate` (-1 / 0 / 1). */
export type CommState = 'initial' | 'ok' | 'lost';
export type LineState = 'initial' | 'online' | 'on-battery';

/** The whole state of one monitored UPS. Immutable: `step` returns a new object. */
export interface UpsMonitorState {
  readonly upsName: string;
  readonly role: MonitorRole;
  readonly startedAt: number;
  /** Time of the last step. */
  readonly now: number;
  readonly connected: boolean;
  readonly login: LoginState;
  readonly lastLoginRefusedNotifyAt: number | null;
  readonly commState: CommState;
  readonly lineState: LineState;
  /** When OB was first seen in this stretch on battery (monotonic), null while not on battery. */
  readonly onBatterySince: number | null;
  readonly flags: UpsFlags;
  /** DEADTIME promotion to LB (no LOWBATT notification); cleared by the next successful read. */
  readonly deadPromoted: boolean;
  /** Raw ups.status of the last successful read. */
  readonly status: string | null;
  readonly unknownTokens: readonly string[];
  readonly alarmText: string | null;
  /** Last successful status read (upsmon `lastpoll`); null = never. */
  readonly lastPollAt: number | null;
  /** upsmon `lastnoncrit`. */
  readonly lastNonCriticalAt: number | null;
  readonly lastRbWarnAt: number | null;
  readonly lastNoCommWarnAt: number | null;
  readonly commFailingSince: number | null;
  readonly lastPollFailure: PollFailure | null;
  /** Readings older than this are stale (start, last resume, last re-arm). */
  readonly freshFrom: number;
  readonly suspended: boolean;
  readonly resumedAt: number | null;
  readonly latch: LatchState;
  /** FSD was notified for the current presence of the FSD token. */
  readonly fsdNotified: boolean;
  /**
   * Last status (a real one or upsd's `WAIT` placeholder) that had FSD; null once a status without
   * FSD is read. FSD is upsd's own flag, so `FSD WAIT` reports it although it carries no UPS data.
   */
  readonly fsdSeenAt: number | null;
  readonly shutdown: ShutdownState;
  /** Shutdown episodes begun in this process. */
  readonly episodes: number;
  /** False from close-session until the machine is known to still be up (command failed, resume, acknowledgement). */
  readonly sessionWanted: boolean;
  readonly assessment: Assessment;
}

export type MonitorEffect =
  | {
      readonly type: 'notify';
      readonly event: NotifyType;
      readonly message: string;
      /** '' for SHUTDOWN, as upsmon. */ readonly upsName: string;
    }
  | {
      readonly type: 'begin-shutdown';
      readonly episode: number;
      readonly reason: ShutdownReason;
      readonly message: string;
      readonly upsName: string;
      readonly finalDelayMs: number;
      /** Monotonic time at which run-shutdown-command will be emitted. */
      readonly commandAt: number;
    }
  | {
      readonly type: 'run-shutdown-command';
      readonly episode: number;
      readonly reason: ShutdownReason;
      readonly upsName: string;
    }
  /** LOGOUT and close the session now (do not wait for the shutdown command to finish). */
  | { readonly type: 'close-session'; readonly reason: string }
  /** Drop the current connection and any in-flight request, reconnect (and LOGIN) at once. */
  | { readonly type: 'reconnect-now'; readonly reason: string }
  | { readonly type: 'state-changed'; readonly view: MonitorView }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string };

export type MonitorEffectType = MonitorEffect['type'];

export interface StepResult {
  readonly state: UpsMonitorState;
  /** In order; an executor must start run-shutdown-command and carry on with close-session without awaiting it. */
  readonly effects: readonly MonitorEffect[];
}

/** View model for the UI/tray: a pure function of the state (no clock). */
export interface MonitorView {
  readonly upsName: string;
  readonly role: MonitorRole;
  readonly line: 'online' | 'on-battery' | 'unknown';
  /** On battery since (monotonic; the first OB read of this stretch), null while not on battery. */
  readonly onBatterySince: number | null;
  /** LB in the status, or assumed after DEADTIME (see lowBatteryAssumed). */
  readonly lowBattery: boolean;
  readonly lowBatteryAssumed: boolean;
  readonly fsd: boolean;
  /** never = no successful read yet (with failures: unreachable since start). */
  readonly comm: 'ok' | 'lost' | 'never';
  readonly commFailingSince: number | null;
  readonly connected: boolean;
  readonly loggedIn: boolean;
  readonly login: 'not-applicable' | 'not-attempted' | 'ok' | 'refused';
  readonly loginRefusedReason: string | null;
  readonly status: string | null;
  readonly statusText: string;
  readonly unknownTokens: readonly string[];
  /** The shown readings predate the last resume / re-arm. */
  readonly stale: boolean;
  readonly suspended: boolean;
  readonly critical: boolean;
  readonly criticalReason: CriticalReason | null;
  /** Human explanation of critical / hold, null when all is well. */
  readonly explanation: string | null;
  readonly hold: HoldReason | null;
  readonly shutdown: {
    readonly phase: ShutdownPhase;
    /** waiting-hostsync: the last instant of the wait; final-delay: when the command runs. */
    readonly deadline: number | null;
    readonly episode: number | null;
    readonly reason: ShutdownReason | null;
    readonly commandOk: boolean | null;
    /** rehearsed: when the dry-run command was recorded (monotonic). */
    readonly rehearsedAt: number | null;
  };
  readonly latchedFsd: {
    readonly handling: 'ignored' | 'awaiting-choice' | 'obeyed';
    readonly since: number;
  } | null;
  readonly episodes: number;
  readonly lastPollAt: number | null;
  readonly lastPollFailure: PollFailure | null;
  readonly sessionWanted: boolean;
}
