/**
 * The live inputs of the what-if timeline (main/what-if/what-if.ts) for one monitored UPS: its
 * current readings, this machine's settings, and the measurements of earlier FSD tests kept in
 * history (the last completed local test: this machine's shutdown; the last completed
 * master-mode test: each other secondary's logout time and the HOSTSYNC it used).
 */
import type { Config } from '../../shared/config';
import { type FsdReport, FsdReportSchema } from '../../shared/fsd-test';
import type { UpsSnapshot } from '../../shared/snapshot';
import type { WhatIfRequest } from '../../shared/what-if';
import type { WhatIfInput } from './what-if';

function numberOf(variables: ReadonlyMap<string, string>, name: string): number | null {
  const raw = variables.get(name);
  if (raw === undefined || raw.trim() === '') return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

function parseReports(raw: readonly unknown[]): FsdReport[] {
  const reports: FsdReport[] = [];
  for (const entry of raw) {
    const parsed = FsdReportSchema.safeParse(entry);
    if (parsed.success) reports.push(parsed.data);
  }
  return reports.sort((a, b) => b.at - a.at);
}

export interface WhatIfSources {
  config: Config;
  ups: UpsSnapshot;
  /** The session's last LIST VAR. */
  variables: ReadonlyMap<string, string>;
  /** Stored FSD reports of this UPS (any order; unparseable ones are ignored). */
  reports: readonly unknown[];
  request: Pick<WhatIfRequest, 'masterShutdownSeconds' | 'hostSyncSeconds'>;
  at: number;
}

export function whatIfInput(sources: WhatIfSources): WhatIfInput {
  const { config, ups, variables, request } = sources;
  const reports = parseReports(sources.reports);
  const local = reports.find((r) => r.mode === 'local' && r.outcome === 'completed' && r.local);
  const master = reports.find(
    (r) => r.mode === 'master' && r.outcome === 'completed' && r.fsdSetAt !== null && r.perClient,
  );
  const hostSync =
    request.hostSyncSeconds !== undefined
      ? { seconds: request.hostSyncSeconds, basis: 'given' as const }
      : master
        ? {
            seconds: master.hostSync.seconds,
            basis:
              master.hostSync.source === 'request' ? ('measured' as const) : ('assumed' as const),
          }
        : { seconds: 15, basis: 'assumed' as const };
  return {
    monitorId: ups.monitorId,
    upsName: ups.upsName,
    at: sources.at,
    status: ups.status,
    charge: numberOf(variables, 'battery.charge') ?? ups.metrics.charge,
    runtimeSeconds: numberOf(variables, 'battery.runtime') ?? ups.metrics.runtime,
    load: numberOf(variables, 'ups.load') ?? ups.metrics.load,
    chargeLow: numberOf(variables, 'battery.charge.low'),
    runtimeLow: numberOf(variables, 'battery.runtime.low'),
    // Never read, and the session says why (an unknown UPS, a refused or lost connection).
    unreadable:
      ups.variablesAt === null && ups.lastError
        ? { explanation: ups.lastError.explanation, fix: ups.lastError.fix }
        : null,
    hostSync,
    thisMachine: {
      role: ups.role,
      statusPollSeconds: config.timing.statusPollSeconds,
      finalDelaySeconds: config.timing.finalDelaySeconds,
      measuredShutdownSeconds: local?.local ? local.local.measured.totalMs / 1000 : null,
      measuredDryRun: local?.local?.dryRun ?? false,
    },
    secondaries: master
      ? master.secondaries
          .filter((s) => !s.isThisMachine)
          .map((s) => ({
            name: s.hostname ? `${s.address} (${s.hostname})` : s.address,
            logoutSeconds: s.leftAtMs === null ? null : s.leftAtMs / 1000,
          }))
      : null,
    master: { shutdownSeconds: request.masterShutdownSeconds ?? null },
  };
}
