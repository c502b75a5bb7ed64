/**
 * Notification types: upsmon's NOTIFYTYPE names (main/monitor/README.md §1.8, `clients/upsmon.h notifylist`)
 * plus NUT Sentinel's own events. Used by the monitor core (main/monitor), the config schema
 * (NOTIFYFLAG/NOTIFYMSG, hooks, upssched rules) and the renderer.
 *
 * Pure data: no imports, no Node, no DOM.
 */

/**
 * Every upsmon NOTIFYTYPE (2.8.0 … HEAD), so that `upsmon.conf` NOTIFYFLAG/NOTIFYMSG lines and
 * `upssched.conf` AT lines import without loss. The per-UPS monitor core emits all of them except
 * the host-level ones (see {@link HOST_LEVEL_NOTIFY_TYPES}).
 */
export const UPSMON_NOTIFY_TYPES = [
  'ONLINE',
  'ONBATT',
  'LOWBATT',
  'FSD',
  'COMMOK',
  'COMMBAD',
  'SHUTDOWN',
  'REPLBATT',
  'NOCOMM',
  'NOPARENT',
  'CAL',
  'NOTCAL',
  'OFF',
  'NOTOFF',
  'BYPASS',
  'NOTBYPASS',
  'ECO',
  'NOTECO',
  'ALARM',
  'NOTALARM',
  'OVER',
  'NOTOVER',
  'TRIM',
  'NOTTRIM',
  'BOOST',
  'NOTBOOST',
  'OTHER',
  'NOTOTHER',
  'SUSPEND_STARTING',
  'SUSPEND_FINISHED',
  'SHUTDOWN_HOSTSYNC',
] as const;

/** NUT Sentinel's own events (not upsmon's): loud configuration and safety conditions. */
export const APP_NOTIFY_TYPES = [
  /** The master refused `LOGIN`: this machine is not counted as a secondary, so the master will not wait for it. */
  'LOGIN_REFUSED',
  /** The first status seen after start carried FSD while the UPS was on line (a latched FSD, e.g. Synology). */
  'FSD_LATCHED_AT_START',
] as const;

export const NOTIFY_TYPES = [...UPSMON_NOTIFY_TYPES, ...APP_NOTIFY_TYPES] as const;

export type UpsmonNotifyType = (typeof UPSMON_NOTIFY_TYPES)[number];
export type AppNotifyType = (typeof APP_NOTIFY_TYPES)[number];
export type NotifyType = (typeof NOTIFY_TYPES)[number];

/**
 * Types that belong to the host, not to one UPS: NOPARENT (upsmon's split-process mode),
 * SHUTDOWN_HOSTSYNC (a primary waiting for its secondaries; we are never primary) and the
 * OS sleep events (emitted once per host by whoever watches the OS power state).
 */
export const HOST_LEVEL_NOTIFY_TYPES: readonly NotifyType[] = [
  'NOPARENT',
  'SHUTDOWN_HOSTSYNC',
  'SUSPEND_STARTING',
  'SUSPEND_FINISHED',
];

const notifyTypeSet: ReadonlySet<string> = new Set<string>(NOTIFY_TYPES);

export function isNotifyType(value: string): value is NotifyType {
  return notifyTypeSet.has(value);
}

const upsmonNotifyTypeSet: ReadonlySet<string> = new Set<string>(UPSMON_NOTIFY_TYPES);

export function isUpsmonNotifyType(value: string): value is UpsmonNotifyType {
  return upsmonNotifyTypeSet.has(value);
}

/**
 * Default message templates. `%s` is the UPS system string (`ups@host[:port]`); ALARM, OTHER,
 * LOGIN_REFUSED and FSD_LATCHED_AT_START take a second `%s` (ups.alarm, the unknown tokens,
 * the refusal reason, what we do about the latch). Texts are upsmon's stock messages
 * (main/monitor/README.md §1.8 and upsmon.h); OVER/TRIM/BOOST and our two events are worded in the same style.
 */
export const DEFAULT_NOTIFY_MESSAGES: Readonly<Record<NotifyType, string>> = {
  ONLINE: 'UPS %s on line power',
  ONBATT: 'UPS %s on battery',
  LOWBATT: 'UPS %s battery is low',
  FSD: 'UPS %s: forced shutdown in progress',
  COMMOK: 'Communications with UPS %s established',
  COMMBAD: 'Communications with UPS %s lost',
  SHUTDOWN: 'Auto logout and shutdown proceeding',
  REPLBATT: 'UPS %s battery needs to be replaced',
  NOCOMM: 'UPS %s is unavailable',
  NOPARENT: 'upsmon parent process died - shutdown impossible',
  CAL: 'UPS %s: calibration in progress',
  NOTCAL: 'UPS %s: calibration finished',
  OFF: 'UPS %s: administratively OFF or asleep',
  NOTOFF: 'UPS %s: no longer administratively OFF or asleep',
  BYPASS: 'UPS %s: on bypass (powered, not protecting)',
  NOTBYPASS: 'UPS %s: no longer on bypass',
  ECO: 'UPS %s: in ECO mode (as defined by vendor)',
  NOTECO: 'UPS %s: no longer in ECO mode',
  ALARM: 'UPS %s: one or more active alarms: [%s]',
  NOTALARM: 'UPS %s is no longer in an alarm state (no active alarms)',
  OVER: 'UPS %s: overloaded',
  NOTOVER: 'UPS %s: no longer overloaded',
  TRIM: 'UPS %s: trimming incoming voltage',
  NOTTRIM: 'UPS %s: no longer trimming incoming voltage',
  BOOST: 'UPS %s: boosting incoming voltage',
  NOTBOOST: 'UPS %s: no longer boosting incoming voltage',
  OTHER: 'UPS %s: has at least one unclassified status token: [%s]',
  NOTOTHER: 'UPS %s has no unclassified status tokens anymore',
  SUSPEND_STARTING: 'OS is entering sleep/suspend/hibernate mode',
  SUSPEND_FINISHED:
    'OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to avoid an unfortunate shutdown',
  SHUTDOWN_HOSTSYNC: 'Waiting for secondaries to log out before shutting down',
  LOGIN_REFUSED:
    'Login to UPS %s refused (%s): this machine is NOT registered as a secondary, so the master will not wait for it before cutting power',
  FSD_LATCHED_AT_START:
    'UPS %s already had forced shutdown (FSD) set while on line power when monitoring started: %s',
};

/**
 * Short titles, the same in a desktop notification (main/hooks) and a browser alert (the UI's
 * BrowserAlerts); the body is the message.
 */
export const DEFAULT_NOTIFY_TITLES: Readonly<Record<NotifyType, string>> = {
  ONLINE: 'Power restored',
  ONBATT: 'On battery',
  LOWBATT: 'Low battery',
  FSD: 'Forced shutdown (FSD)',
  COMMOK: 'UPS reachable again',
  COMMBAD: 'UPS connection lost',
  SHUTDOWN: 'Shutdown sequence started',
  REPLBATT: 'Replace the UPS battery',
  NOCOMM: 'UPS unavailable',
  NOPARENT: 'Monitor failure',
  CAL: 'Battery calibration',
  NOTCAL: 'Calibration finished',
  OFF: 'UPS output off',
  NOTOFF: 'UPS output on',
  BYPASS: 'UPS on bypass',
  NOTBYPASS: 'UPS off bypass',
  ECO: 'UPS in ECO mode',
  NOTECO: 'UPS out of ECO mode',
  ALARM: 'UPS alarm',
  NOTALARM: 'UPS alarm cleared',
  OVER: 'UPS overloaded',
  NOTOVER: 'UPS no longer overloaded',
  TRIM: 'UPS trimming the input voltage',
  NOTTRIM: 'UPS no longer trimming',
  BOOST: 'UPS boosting the input voltage',
  NOTBOOST: 'UPS no longer boosting',
  OTHER: 'Unclassified UPS status',
  NOTOTHER: 'Unclassified UPS status cleared',
  SUSPEND_STARTING: 'Going to sleep',
  SUSPEND_FINISHED: 'Back from sleep',
  SHUTDOWN_HOSTSYNC: 'Waiting for secondaries',
  LOGIN_REFUSED: 'Login refused: no shutdown grace',
  FSD_LATCHED_AT_START: 'Forced shutdown flag already set',
};

/** The title of an event's notification: its default title, or the event name for one we do not know. */
export function notifyTitle(event: string): string {
  return isNotifyType(event) ? DEFAULT_NOTIFY_TITLES[event] : event;
}

/**
 * Titles of the event-log types that are not notifications (connection, hooks, config, FSD test,
 * outages, UPS commands). Same scheme as upsmon's names: UPPER_CASE, one name per fact.
 */
export const OTHER_EVENT_TITLES: Readonly<Record<string, string>> = {
  ADDRESS_CHANGED: 'This machine’s address changed',
  ALERT_DELIVERY: 'Alert delivery',
  APP_START: 'App started',
  APP_STOP: 'App stopped',
  BATTERY_REPLACE: 'Replace the battery',
  COMMAND_CREDENTIAL_SAVED: 'Command credential saved',
  CONFIG_IMPORTED: 'Config imported',
  CONFIG_IMPORT_UNDONE: 'Config import undone',
  CONFIG_INVALID: 'Config invalid',
  CONFIG_RELOADED: 'Config file reloaded',
  CONFIG_RELOAD_FAILED: 'Config file not reloaded',
  CONFIG_SAVED: 'Settings saved',
  CONNECTED: 'Connected',
  DISCONNECTED: 'Disconnected',
  EXPECTED_CLIENT_BACK: 'Expected client back',
  EXPECTED_CLIENT_MISSING: 'Expected client missing',
  FSD_LATCH_CLEARED: 'FSD latch cleared',
  FSD_SET: 'FSD set (test)',
  FSD_TEST_ABORTED: 'FSD test aborted',
  FSD_TEST_FAILED: 'FSD test failed',
  FSD_TEST_FINISHED: 'FSD test finished',
  FSD_TEST_STARTED: 'FSD test started',
  FULL_POLL_FAILED: 'Reading variables failed',
  FULL_POLL_OK: 'Reading variables works again',
  HISTORY_LOCKED: 'History unavailable',
  HISTORY_RESET: 'History reset',
  HISTORY_RESTART_NEEDED: 'History change needs a restart',
  HOOK_DROPPED: 'Hook dropped',
  HOOK_RUN: 'Hook ran',
  INSTANT_COMMAND: 'UPS command sent',
  LATCHED_FSD_CHOICE: 'Latched FSD choice',
  LOGIN: 'Logged in',
  LOGOUT: 'Logged out',
  LOGOUT_DROPPED: 'Logout not confirmed',
  METRICS_ENDPOINT: 'Metrics endpoint problem',
  OUTAGE_RECORDED: 'Outage recorded',
  RESUME: 'Woke up',
  SELF_TEST: 'Battery self-test',
  SET_VARIABLE: 'UPS setting changed',
  SHUTDOWN_ACKNOWLEDGED: 'Shutdown acknowledged',
  SHUTDOWN_BEGINS: 'Shutdown begins',
  SHUTDOWN_COMMAND: 'Shutdown command ran',
  SUSPEND: 'Going to sleep',
  TLS_PLAINTEXT_FALLBACK: 'TLS fell back to plain text',
  UPSSCHED: 'upssched action',
};

/**
 * What the event log shows for a type: a readable title with the raw name kept beside it
 * ("On battery (ONBATT)"), so the name still matches upsmon's docs and the type filter's values.
 */
export function eventTypeLabel(type: string): string {
  const title = isNotifyType(type) ? DEFAULT_NOTIFY_TITLES[type] : OTHER_EVENT_TITLES[type];
  return title === undefined ? type : `${title} (${type})`;
}

/** How loud each event is by default (desktop urgency, event-log severity). */
/**
 * Events shown as desktop notifications unless configured otherwise: upsmon's SYSLOG+WALL
 * defaults (ONLINE … NOPARENT) plus the newer alarms that mean the load is not protected, and
 * our own configuration alarms. Chatty informational pairs (TRIM/BOOST/ECO/NOT*) stay off.
 */
export const DEFAULT_NOTIFY: ReadonlySet<string> = new Set<NotifyType>([
  'ONLINE',
  'ONBATT',
  'LOWBATT',
  'FSD',
  'COMMOK',
  'COMMBAD',
  'SHUTDOWN',
  'REPLBATT',
  'NOCOMM',
  'NOPARENT',
  'OFF',
  'BYPASS',
  'ALARM',
  'OVER',
  'SHUTDOWN_HOSTSYNC',
  'LOGIN_REFUSED',
  'FSD_LATCHED_AT_START',
]);

export const DEFAULT_NOTIFY_SEVERITY: Readonly<
  Record<NotifyType, 'info' | 'warning' | 'critical'>
> = {
  ONLINE: 'info',
  ONBATT: 'warning',
  LOWBATT: 'critical',
  FSD: 'critical',
  COMMOK: 'info',
  COMMBAD: 'warning',
  SHUTDOWN: 'critical',
  REPLBATT: 'warning',
  NOCOMM: 'warning',
  NOPARENT: 'critical',
  CAL: 'info',
  NOTCAL: 'info',
  OFF: 'warning',
  NOTOFF: 'info',
  BYPASS: 'warning',
  NOTBYPASS: 'info',
  ECO: 'info',
  NOTECO: 'info',
  ALARM: 'warning',
  NOTALARM: 'info',
  OVER: 'warning',
  NOTOVER: 'info',
  TRIM: 'info',
  NOTTRIM: 'info',
  BOOST: 'info',
  NOTBOOST: 'info',
  OTHER: 'info',
  NOTOTHER: 'info',
  SUSPEND_STARTING: 'info',
  SUSPEND_FINISHED: 'info',
  SHUTDOWN_HOSTSYNC: 'warning',
  LOGIN_REFUSED: 'critical',
  FSD_LATCHED_AT_START: 'warning',
};

/**
 * Fills a upsmon-style template: each `%s` takes the next argument (missing ones become empty,
 * as upsmon passes an empty UPSNAME for SHUTDOWN), `%%` is a literal `%`. Nothing else is
 * interpreted, so a user template can never crash or leak like a printf format would.
 */
export function formatNotifyMessage(template: string, args: readonly string[]): string {
  let next = 0;
  return template.replace(/%([s%])/g, (_match, kind: string) => {
    if (kind === '%') return '%';
    const value = args[next] ?? '';
    next += 1;
    return value;
  });
}
