/**
 * View models for the UI, the tray and the API, built from a session's decision state and
 * readings. Pure functions of their inputs (the time is passed in), so the tray, the dashboard
 * and tests agree on what "on battery" or "stale" mean.
 */
import type { Timing } from '../../shared/config';
import { formatAge, formatDuration } from '../../shared/durations';
import {
  type ConnectionState,
  type TrayState,
  type UpsSnapshot,
  worstTrayLevel,
} from '../../shared/snapshot';
import { matchesExpected } from '../nut/client-addresses';
import type { MonitorView } from './types';

export interface SessionReadings {
  monitorId: string;
  masterId: string;
  masterLabel: string;
  upsName: string;
  systemName: string;
  view: MonitorView;
  variables: ReadonlyMap<string, string>;
  statusAt: number | null;
  variablesAt: number | null;
  lastError: UpsSnapshot['lastError'];
  server: UpsSnapshot['server'];
  tls: UpsSnapshot['tls'];
  clients: { addresses: string[] | null; numLogins: number | null; at: number } | null;
  localAddress: string | null;
  /** What the service tracks about this machine's address on this master (see MonitorService); null before a connection. */
  addressHistory: AddressHistory | null;
  hostnameOf: (address: string) => string | null;
  expectedClients: readonly string[];
  dryRun: boolean;
  timing: Pick<Timing, 'statusPollSeconds' | 'fullPollSeconds'>;
  /** Monotonic → epoch offset for deadlines (epoch = monotonic + offset). */
  monotonicToEpoch: number;
  /** describeShutdownRule(…) for this UPS (the service knows the config). */
  rule: UpsSnapshot['rule'];
}

/** This machine's address on one master over time: a change (DHCP) is kept to say so. */
export interface AddressHistory {
  /** Epoch ms the current address was first seen. */
  since: number;
  previous: string | null;
  changedAt: number | null;
}

export interface ShutdownRuleInput {
  role: 'secondary' | 'monitor-only';
  powerValue: number;
  hostSyncSeconds: number;
  finalDelaySeconds: number;
  /** The shutdown command as shown (program and arguments). */
  command: string;
  dryRun: boolean;
  /** MINSUPPLIES when set, and what the other UPSes that are not critical feed now. */
  minSupplies: number | null;
  otherSupplies: number;
}

/** The rule that applies to this machine for one UPS, in plain words (the card shows it on battery). */
export function describeShutdownRule(r: ShutdownRuleInput): UpsSnapshot['rule'] {
  if (r.role === 'monitor-only')
    return { shutsDown: false, text: 'Will not shut down this machine: this UPS is monitor-only.' };
  if (r.powerValue === 0)
    return {
      shutsDown: false,
      text: 'Will not shut down this machine: its power value is 0 (it does not feed this machine).',
    };
  if (r.minSupplies !== null && r.otherSupplies >= r.minSupplies) {
    return {
      shutsDown: false,
      text: `Will not shut down this machine while the other UPSes still feed it (${r.otherSupplies} of MINSUPPLIES ${r.minSupplies}).`,
    };
  }
  const seconds = (value: number) => `${Number.isInteger(value) ? value : value.toFixed(1)} s`;
  const then = r.dryRun
    ? `then FINALDELAY ${seconds(r.finalDelaySeconds)} and \`${r.command}\` — recorded, not run (dry run)`
    : `then FINALDELAY ${seconds(r.finalDelaySeconds)} and \`${r.command}\``;
  return {
    shutsDown: true,
    text: `Shuts down this machine at low battery after HOSTSYNC ${seconds(r.hostSyncSeconds)}, or at once on FSD; ${then}.`,
  };
}

/** A number from a NUT variable, or null when absent or not numeric (never 0 for "unknown"). */
export function numericVariable(
  variables: ReadonlyMap<string, string>,
  name: string,
): number | null {
  const raw = variables.get(name);
  if (raw === undefined || raw.trim() === '') return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

/** A variable's text, trimmed; null when absent or empty. */
function textVariable(variables: ReadonlyMap<string, string>, name: string): string | null {
  const value = variables.get(name)?.trim();
  return value ? value : null;
}

/** Which UPS it is: `device.model`/`device.mfr` (NUT 2.7+), else the older `ups.model`/`ups.mfr`. */
export function deviceIdentity(variables: ReadonlyMap<string, string>): UpsSnapshot['device'] {
  return {
    model: textVariable(variables, 'device.model') ?? textVariable(variables, 'ups.model'),
    manufacturer: textVariable(variables, 'device.mfr') ?? textVariable(variables, 'ups.mfr'),
  };
}

/**
 * Load in watts, only from what the UPS reports: `ups.realpower` (measured), else
 * `ups.realpower.nominal` × `ups.load` %. Nothing else is turned into watts (not
 * `ups.power`/VA, not a guessed power factor): without those variables the answer is null.
 */
export function realPowerOf(variables: ReadonlyMap<string, string>): {
  watts: number | null;
  source: 'measured' | 'nominal' | null;
} {
  const measured = numericVariable(variables, 'ups.realpower');
  if (measured !== null && measured >= 0) return { watts: measured, source: 'measured' };
  const nominal = numericVariable(variables, 'ups.realpower.nominal');
  const load = numericVariable(variables, 'ups.load');
  if (nominal !== null && nominal > 0 && load !== null && load >= 0)
    return { watts: (nominal * load) / 100, source: 'nominal' };
  return { watts: null, source: null };
}

/**
 * The address the master sees this machine as, checked against LIST CLIENT when that list was
 * read on the current address (an older list may still show a previous session).
 */
export function masterSeesOf(
  r: Pick<SessionReadings, 'localAddress' | 'addressHistory' | 'clients'> & { loggedIn: boolean },
): UpsSnapshot['masterSees'] {
  const address = r.localAddress;
  const history = r.addressHistory;
  const list = r.clients?.addresses ?? null;
  const current = r.clients !== null && history !== null && r.clients.at >= history.since;
  let check: UpsSnapshot['masterSees']['check'] = 'unverified';
  if (address !== null && list !== null && current) {
    if (list.includes(address)) check = 'listed';
    else if (r.loggedIn) check = 'not-listed';
  }
  return {
    address,
    check,
    previous: history?.previous ?? null,
    changedAt: history?.changedAt ?? null,
  };
}

/** Readings are stale when no status arrived within three polls (at least 5 s). */
export function isStale(
  readings: Pick<SessionReadings, 'statusAt' | 'view' | 'timing'>,
  now: number,
): boolean {
  if (readings.view.stale || readings.view.comm !== 'ok') return true;
  if (readings.statusAt === null) return true;
  const allowance = Math.max(5000, readings.timing.statusPollSeconds * 3000);
  return now - readings.statusAt > allowance;
}

function connectionState(view: MonitorView, lastError: UpsSnapshot['lastError']): ConnectionState {
  const state = connectionStateOf(view);
  // Refused everything, even VER: say "not permitted", not "login refused" or "unreachable".
  if (
    lastError?.code === 'NOT-PERMITTED' &&
    ['login-refused', 'unreachable', 'lost', 'connecting'].includes(state)
  )
    return 'not-permitted';
  return state;
}

function connectionStateOf(view: MonitorView): ConnectionState {
  if (view.suspended) return 'paused';
  // The shutdown sequence closed the session on purpose: not a lost connection.
  if (!view.sessionWanted && !view.connected) return 'logged-out';
  if (view.login === 'refused') return 'login-refused';
  // Connected means usable: logged in where we log in, and a status read since.
  if (view.connected)
    return view.comm === 'lost'
      ? 'lost'
      : view.comm === 'never' || (view.role === 'secondary' && !view.loggedIn)
        ? 'connecting'
        : 'connected';
  if (view.comm === 'never') return view.lastPollFailure ? 'unreachable' : 'connecting';
  return 'lost';
}

/**
 * "Shutting down" only when this machine really is: a real (not dry-run) sequence from FINALDELAY
 * on, or a real command that went through. A rehearsal, a failed command and an FSD on a UPS that
 * does not shut this machine down show the power state (critical ⇒ low-battery) instead.
 */
function levelOf(view: MonitorView, stale: boolean, dryRun: boolean): UpsSnapshot['level'] {
  const { phase, commandOk } = view.shutdown;
  const realShutdown =
    !dryRun &&
    (phase === 'final-delay' ||
      phase === 'command-running' ||
      (phase === 'done' && commandOk === true));
  if (realShutdown) return 'shutting-down';
  if (view.comm === 'never') return 'unknown';
  // A deliberate logout (the rehearsal's) keeps the last readings without calling it comm loss.
  if (stale && view.sessionWanted) return 'comm-lost';
  if (view.lowBattery || view.critical) return 'low-battery';
  if (view.line === 'on-battery') return 'on-battery';
  if (view.line === 'online') return 'online';
  return 'unknown';
}

export function buildUpsSnapshot(r: SessionReadings, now: number): UpsSnapshot {
  const { view } = r;
  const stale = isStale(r, now);
  const addresses = r.clients?.addresses ?? null;
  const list = addresses?.map((address) => ({
    address,
    hostname: r.hostnameOf(address),
    isThisMachine: r.localAddress !== null && address === r.localAddress,
  }));
  const missingExpected =
    list === undefined
      ? []
      : r.expectedClients.filter(
          (expected) => !list.some((c) => matchesExpected(expected, c.address, c.hostname)),
        );
  const deadline = view.shutdown.deadline;
  const power = realPowerOf(r.variables);
  return {
    monitorId: r.monitorId,
    masterId: r.masterId,
    masterLabel: r.masterLabel,
    upsName: r.upsName,
    systemName: r.systemName,
    role: view.role,
    connection: connectionState(view, r.lastError),
    loggedIn: view.loggedIn,
    status: view.status,
    statusText:
      view.comm === 'never'
        ? view.lastPollFailure
          ? 'Unreachable'
          : 'Connecting…'
        : view.statusText,
    level: levelOf(view, stale, r.dryRun),
    unknownTokens: [...view.unknownTokens],
    critical: view.critical,
    criticalReason: view.explanation,
    shutdown: {
      phase: view.shutdown.phase,
      deadline: deadline === null ? null : Math.round(deadline + r.monotonicToEpoch),
      dryRun: r.dryRun,
      rehearsedAt:
        view.shutdown.rehearsedAt === null
          ? null
          : Math.round(view.shutdown.rehearsedAt + r.monotonicToEpoch),
      commandOk: view.shutdown.commandOk,
    },
    onBatterySince:
      view.onBatterySince === null ? null : Math.round(view.onBatterySince + r.monotonicToEpoch),
    rule: r.rule,
    device: deviceIdentity(r.variables),
    fsdLatchedAtStart: view.latchedFsd !== null,
    fsdLatch: view.latchedFsd?.handling ?? null,
    metrics: {
      charge: numericVariable(r.variables, 'battery.charge'),
      runtime: numericVariable(r.variables, 'battery.runtime'),
      load: numericVariable(r.variables, 'ups.load'),
      inputVoltage: numericVariable(r.variables, 'input.voltage'),
      outputVoltage: numericVariable(r.variables, 'output.voltage'),
      realPower: power.watts,
      realPowerSource: power.source,
    },
    statusAt: r.statusAt,
    variablesAt: r.variablesAt,
    stale,
    lastError: r.lastError,
    server: r.server,
    tls: r.tls,
    clients: {
      list: list ?? null,
      numLogins: r.clients?.numLogins ?? null,
      missingExpected,
      at: r.clients?.at ?? null,
    },
    masterSees: masterSeesOf({ ...r, loggedIn: view.loggedIn }),
    // Filled in by the core from the battery health (main/outages), which the monitor does not know.
    batteryReminder: null,
  };
}

/** The tray shows the worst state across UPSes and that UPS's battery level. */
export function buildTrayState(ups: readonly UpsSnapshot[], now: number): TrayState {
  if (ups.length === 0)
    return { level: 'not-configured', charge: null, tooltip: 'NUT Sentinel — no UPS configured' };
  const { level, charge } = worstTrayLevel(ups);
  const lines = ups.map((u) => {
    const charge =
      u.metrics.charge === null ? 'charge unknown' : `${Math.round(u.metrics.charge)} %`;
    const runtime =
      u.metrics.runtime === null ? 'runtime unknown' : formatDuration(u.metrics.runtime);
    const age =
      u.statusAt === null ? 'no data yet' : `updated ${formatAge(Math.max(0, now - u.statusAt))}`;
    return `${u.upsName}@${u.masterLabel}: ${u.statusText}, ${charge}, ${runtime} (${age})`;
  });
  // A refused UPS is named when nothing worse than lost communication is going on.
  const refused =
    ups.find((u) => u.connection === 'not-permitted') ??
    ups.find((u) => u.connection === 'login-refused');
  const attention =
    refused && (level === 'comm-lost' || level === 'online')
      ? (refused.connection as 'not-permitted' | 'login-refused')
      : null;
  return { level, attention, charge, tooltip: lines.join('\n') };
}
