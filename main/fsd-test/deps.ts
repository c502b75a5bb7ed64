/**
 * What the FSD test needs from the rest of the core, as narrow ports: the config, the live
 * monitoring session of the UPS under test, the hooks config, the history store, the secret store
 * and the NUT client factory. app-core wires the real ones; nothing here imports electron.
 */
import {
  type Config,
  type Master,
  type MonitorTarget,
  findMonitorTarget,
} from '../../shared/config';
import type { FsdRunView } from '../../shared/fsd-test';
import type { StoredEvent } from '../../shared/history';
import type { Clock, Logger, ProcessRunner, SecretStore } from '../platform/ports';
import type { UpsSession } from '../monitor/ups-session';
import type { NutClient, NutClientOptions } from '../nut/client';
import { nutTlsOptions } from '../nut/tls-settings';

// The address rules are the NUT client's; the FSD test's modules take them from here.
export { matchesExpected, normalizeAddress } from '../nut/client-addresses';

/** The parts of a live monitoring session the test reads (and, in a real local run, logs out). */
export type SessionAccess = Pick<
  UpsSession,
  | 'monitorId'
  | 'settings'
  | 'systemName'
  | 'localAddress'
  | 'view'
  | 'variables'
  | 'server'
  | 'isConnected'
  | 'stop'
  | 'start'
  | 'acknowledgeEpisode'
>;

export interface FsdReportStore {
  saveFsdReport(report: { id: string; at: number; monitorId: string }): void;
  listFsdReports(monitorId?: string, limit?: number): unknown[];
  getFsdReport(id: string): unknown;
}

export interface FsdTestDeps {
  config(): Config;
  /** The monitoring session of a UPS (`master/ups`). */
  session(monitorId: string): SessionAccess | undefined;
  /** Events of the monitor (this machine's FSD/SHUTDOWN notifications, hook runs, logout…). */
  onMonitorEvent(listener: (event: StoredEvent) => void): () => void;
  history: FsdReportStore;
  /** Appends to the event log (and pushes it to the UI). */
  recordEvent(event: StoredEvent): void;
  /** null in the headless agent: the FSD credential is then typed in (or read from an env var by the CLI). */
  secrets: SecretStore | null;
  /** Known secret values are masked in recorded output and never written to the config file. */
  rememberSecret(value: string): void;
  knownSecrets(): readonly string[];
  connect(options: NutClientOptions): Promise<NutClient>;
  runner: ProcessRunner;
  clock: Clock;
  logger: Logger;
  /** Reverse DNS (null when the address has no name). */
  reverseLookup(address: string): Promise<string | null>;
  /** `fsd:progress`. */
  push(view: FsdRunView): void;
  tuning?: FsdTuning;
}

export interface FsdTuning {
  /** LIST CLIENT + NUMLOGINS sampling during a master-mode run (default 200 ms). */
  sampleIntervalMs?: number;
  /** ups.status polling of the latch follow-up (default 5000 ms). */
  latchPollMs?: number;
  /** How long a preflight (and the credential it holds in memory) stays usable (default 10 min). */
  preflightTtlMs?: number;
  /** Reverse DNS is given up after this long (default 1500 ms). */
  lookupTimeoutMs?: number;
}

/** The secret-store key of a UPS's remembered FSD credential (kept apart from the monitoring password). */
export function fsdCredentialKey(masterId: string, upsName: string): string {
  return `nut-fsd-credential:${masterId}:${upsName}`;
}

export type Target = MonitorTarget;

export const findTarget = findMonitorTarget;

/** A short-lived, never-logged-in connection to the master (same TLS settings as the monitor). */
export function connectToMaster(
  deps: Pick<FsdTestDeps, 'connect' | 'config'>,
  master: Master,
): Promise<NutClient> {
  const { timing } = deps.config();
  return deps.connect({
    host: master.host,
    port: master.port,
    connectTimeoutMs: timing.connectTimeoutSeconds * 1000,
    requestTimeoutMs: timing.requestTimeoutSeconds * 1000,
    keepAliveIntervalMs: 20_000,
    tls: nutTlsOptions(master.tls),
  });
}

/** Reverse DNS with a time limit; never throws. */
export async function lookupName(
  deps: Pick<FsdTestDeps, 'reverseLookup' | 'tuning'>,
  address: string,
): Promise<string | null> {
  const timeoutMs = deps.tuning?.lookupTimeoutMs ?? 1500;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      deps.reverseLookup(address).catch(() => null),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
        timer.unref?.();
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'explanation' in error)
    return String(error.explanation);
  return error instanceof Error ? error.message : String(error);
}
