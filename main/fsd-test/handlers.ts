/**
 * The FSD test behind the API (shared/ipc.ts `fsd:*`): preflights kept briefly in memory (with
 * the credential, never returned), at most one active run, reports in history, the latch
 * follow-up after master-mode runs. app-core spreads `handlers` into its ApiHandlers and calls
 * `stop()` on shutdown; the CLI drives the same handlers.
 *
 * Guard rules enforced here (the UI shows them, the core decides):
 * - master mode needs `confirmUpsName` equal to the UPS name;
 * - a preflight blocker refuses the start unless it is overridable and `overrideBlockers` is set;
 * - a preflight expires (default 10 min); only one run may be active.
 */
import * as z from 'zod';
import type { FsdPreflight, FsdReport, FsdRunView } from '../../shared/fsd-test';
import { FsdPreflightRequestSchema } from '../../shared/fsd-test';
import type { ApiHandlers, InvokeChannel, ParsedRequestOf } from '../../shared/ipc';
import { ApiRequestError } from '../platform/api-request-error';
import { type FsdTestDeps, type Target, errorMessage, findTarget, fsdCredentialKey } from './deps';
import { FsdRun } from './fsd-run';
import { LatchWatcher } from './latch-watch';
import { type ParsedPreflightRequest, type ResolvedCredential, runPreflight } from './preflight';
import { exportReport, parseReport, reportSummary } from './report';

/** Every `fsd:*` channel of the contract (shared/ipc-channels.ts): a new one needs a handler here. */
export type FsdChannel = Extract<InvokeChannel, `fsd:${string}`>;
export type FsdHandlers = Pick<ApiHandlers, FsdChannel>;

export interface FsdTestService {
  handlers: FsdHandlers;
  /** Aborts an active run (a countdown sends nothing), waits for it, stops the latch watchers. */
  stop(): Promise<void>;
}

interface StoredPreflight {
  preflight: FsdPreflight;
  request: ParsedPreflightRequest;
  credential: ResolvedCredential | null;
  target: Target;
}

const StoredCredentialSchema = z.object({ username: z.string().min(1), password: z.string() });
const KEPT_RUNS = 20;

export function createFsdTest(deps: FsdTestDeps): FsdTestService {
  const preflights = new Map<string, StoredPreflight>();
  const runs = new Map<string, FsdRun>();
  let latest: FsdRun | null = null;
  /** Latch watchers by monitorId, with the reports (and live runs) waiting for the latch to clear. */
  const watchers = new Map<
    string,
    { watcher: LatchWatcher; waiting: { reportId: string; run: FsdRun | null }[] }
  >();
  let stopped = false;

  const requireTarget = (monitorId: string): Target => {
    const target = findTarget(deps.config(), monitorId);
    if (!target)
      throw new ApiRequestError({
        code: 'UNKNOWN-MONITOR',
        message: `No monitored UPS ${monitorId}.`,
        fix: 'Pick one of the configured UPSes (master/ups).',
      });
    return target;
  };

  const readStoredCredential = async (target: Target): Promise<ResolvedCredential | null> => {
    if (!deps.secrets) return null;
    const raw = await deps.secrets.get(fsdCredentialKey(target.master.id, target.ups.name));
    if (raw === undefined) return null;
    try {
      const parsed = StoredCredentialSchema.parse(JSON.parse(raw));
      deps.rememberSecret(parsed.password);
      return { ...parsed, source: 'stored' };
    } catch {
      return null;
    }
  };

  const lastLocalReport = (monitorId: string): FsdReport | null => {
    for (const raw of deps.history.listFsdReports(monitorId, 50)) {
      const report = parseReport(raw);
      if (report?.mode === 'local' && report.outcome === 'completed' && report.local) return report;
    }
    return null;
  };

  const prune = () => {
    const now = deps.clock.now();
    for (const [id, stored] of preflights)
      if (stored.preflight.expiresAt < now) preflights.delete(id);
  };

  const preflight = async (request: ParsedPreflightRequest): Promise<StoredPreflight> => {
    const target = requireTarget(request.monitorId);
    let credential: ResolvedCredential | null = null;
    let credentialProblem: string | undefined;
    const stored = await readStoredCredential(target);
    if (request.mode === 'master') {
      const given = request.credential;
      if (given?.source === 'entered') {
        credential = { username: given.username, password: given.password, source: 'entered' };
        deps.rememberSecret(given.password);
        if (given.remember) {
          if (!deps.secrets) {
            throw new ApiRequestError({
              code: 'NO-SECRET-STORE',
              message:
                'The FSD credential cannot be remembered here: this core has no secret store.',
              fix: 'Leave "remember" off and enter the credential for each test (the CLI reads the password from an environment variable).',
            });
          }
          await deps.secrets.set(
            fsdCredentialKey(target.master.id, target.ups.name),
            JSON.stringify({ username: given.username, password: given.password }),
          );
        }
      } else if (given?.source === 'stored') {
        credential = stored;
        if (!credential)
          credentialProblem = deps.secrets
            ? `No FSD credential is remembered for ${target.monitorId}.`
            : 'There is no secret store here, so no FSD credential can be remembered.';
      } else {
        credentialProblem = 'No credential with the FSD right was given.';
      }
    }
    const result = await runPreflight(deps, {
      request,
      target,
      credential,
      ...(credentialProblem ? { credentialProblem } : {}),
      storedCredentialAvailable:
        stored !== null ||
        (credential?.source === 'entered' &&
          request.credential?.source === 'entered' &&
          request.credential.remember),
      lastLocalReport: lastLocalReport(target.monitorId),
    });
    prune();
    const entry: StoredPreflight = {
      preflight: result.preflight,
      request,
      credential: result.credential,
      target,
    };
    preflights.set(result.preflight.id, entry);
    return entry;
  };

  const push = (run: FsdRun) => {
    try {
      deps.push(run.view());
    } catch (error) {
      deps.logger.log('warn', `fsd-test: push failed: ${errorMessage(error)}`);
    }
  };

  const saveReport = (report: FsdReport) => {
    deps.history.saveFsdReport(report);
  };

  /**
   * After a master-mode run: watch for the latch to clear (one watcher per UPS, however many
   * reports wait for it), then record it in every waiting report, the event log and the run view.
   */
  const watchLatch = (target: Target, reportId: string, run: FsdRun | null) => {
    if (stopped) return;
    const existing = watchers.get(target.monitorId);
    if (existing) {
      if (!existing.waiting.some((w) => w.reportId === reportId))
        existing.waiting.push({ reportId, run });
      return;
    }
    const entry: { watcher: LatchWatcher; waiting: { reportId: string; run: FsdRun | null }[] } = {
      waiting: [{ reportId, run }],
      watcher: new LatchWatcher({
        deps,
        target,
        onCleared: (at, status) => {
          watchers.delete(target.monitorId);
          // This machine's own monitor needs nothing here: a dry-run shutdown on the FSD was a
          // rehearsal that logged in again by itself, and it ends now that the UPS is on line.
          const message = `FSD latch cleared on ${target.master.host}: ups.status is "${status}" (upsd was restarted).`;
          for (const waiting of entry.waiting) {
            const report = parseReport(deps.history.getFsdReport(waiting.reportId));
            if (report) {
              report.latch = { note: report.latch?.note ?? '', watching: false, clearedAt: at };
              report.timeline.push({
                at,
                t: Math.round(at - (report.fsdSetAt ?? report.at)),
                kind: 'latch-cleared',
                message,
              });
              report.summary = report.summary.map((line) =>
                line.startsWith('The FSD latch is still set')
                  ? `The FSD latch was cleared at ${new Date(at).toISOString()}.`
                  : line,
              );
              saveReport(report);
            }
            waiting.run?.setLatch(
              { note: report?.latch?.note ?? '', watching: false, clearedAt: at },
              { at, message },
            );
          }
          deps.recordEvent({
            at,
            monitorId: target.monitorId,
            kind: 'fsd-test',
            type: 'FSD_LATCH_CLEARED',
            severity: 'info',
            message,
            data: { reportIds: entry.waiting.map((w) => w.reportId), status },
          });
        },
      }),
    };
    watchers.set(target.monitorId, entry);
    entry.watcher.start();
  };

  // Reports of recent master-mode runs whose latch was still set when the app stopped.
  for (const raw of deps.history.listFsdReports(undefined, 20)) {
    const report = parseReport(raw);
    if (
      !report ||
      report.mode !== 'master' ||
      !report.latch ||
      report.latch.clearedAt !== null ||
      !report.latch.watching
    )
      continue;
    if (deps.clock.now() - report.at > 7 * 86_400_000) continue;
    const target = findTarget(deps.config(), report.monitorId);
    if (target) watchLatch(target, report.id, null);
  }

  const viewOf = (runId: string): FsdRunView => {
    const run = runs.get(runId);
    if (!run)
      throw new ApiRequestError({
        code: 'FSD-RUN-UNKNOWN',
        message: `No FSD test run ${runId}.`,
        fix: 'Use the runId returned by fsd:start.',
      });
    return run.view();
  };

  const handlers: FsdHandlers = {
    'fsd:preflight': async (request) => (await preflight(request)).preflight,

    'fsd:start': async (request: ParsedRequestOf<'fsd:start'>) => {
      if (stopped)
        throw new ApiRequestError({ code: 'STOPPING', message: 'NUT Sentinel is stopping.' });
      if (latest?.active) {
        throw new ApiRequestError({
          code: 'FSD-RUN-ACTIVE',
          message: `An FSD test is already ${latest.state} (run ${latest.id}).`,
          fix: 'Wait for it to end, or abort it first.',
        });
      }
      let entry: StoredPreflight | undefined;
      if (request.preflightId !== undefined) {
        prune();
        entry = preflights.get(request.preflightId);
        if (!entry) {
          throw new ApiRequestError({
            code: 'FSD-PREFLIGHT-EXPIRED',
            message: 'This preflight is unknown or has expired.',
            fix: 'Run the preflight again: the situation on the master may have changed.',
          });
        }
      } else if (request.preflight !== undefined) {
        entry = await preflight(FsdPreflightRequestSchema.parse(request.preflight));
      }
      if (!entry)
        throw new ApiRequestError({
          code: 'INVALID-REQUEST',
          message: 'Give preflightId or preflight.',
        });
      if (
        entry.preflight.mode === 'local' &&
        request.dryRun !== undefined &&
        request.dryRun !== entry.request.dryRun
      ) {
        // The checks depend on the dry-run flag: redo them for what will really happen.
        entry = await preflight({ ...entry.request, dryRun: request.dryRun });
      }
      const { preflight: checked } = entry;
      if (checked.mode === 'master' && (request.confirmUpsName ?? '').trim() !== checked.upsName) {
        throw new ApiRequestError({
          code: 'FSD-CONFIRMATION-REQUIRED',
          message: `Type the UPS name "${checked.upsName}" to confirm: every secondary of ${checked.systemName} will really shut down, and usually the master and the UPS power too.`,
          fix: `Set confirmUpsName to "${checked.upsName}".`,
        });
      }
      const blockers = checked.checks.filter((check) => check.status === 'blocker');
      const hard = blockers.filter((check) => !check.overridable);
      if (hard.length > 0) {
        throw new ApiRequestError({
          code: 'FSD-BLOCKED',
          message: `The preflight found ${hard.length === 1 ? 'a blocker' : 'blockers'} that cannot be overridden: ${hard.map((check) => `${check.title}: ${check.detail}`).join(' | ')}`,
          fix:
            hard
              .map((check) => check.fix)
              .filter(Boolean)
              .join(' ') || 'Resolve it and run the preflight again.',
        });
      }
      if (blockers.length > 0 && !request.overrideBlockers) {
        throw new ApiRequestError({
          code: 'FSD-BLOCKED',
          message: `The preflight found ${blockers.length === 1 ? 'a blocker' : `${blockers.length} blockers`}: ${blockers.map((check) => `${check.title}: ${check.detail}`).join(' | ')}`,
          fix: `Resolve ${blockers.length === 1 ? 'it' : 'them'} and run the preflight again, or start with overrideBlockers if you are sure.`,
        });
      }
      if (checked.mode === 'master' && !entry.credential) {
        throw new ApiRequestError({
          code: 'FSD-CREDENTIAL-REQUIRED',
          message: 'Master mode needs a credential with the FSD right.',
          fix: 'Run the preflight with a credential.',
        });
      }
      // One start per preflight: a second start must go through a fresh preflight.
      preflights.delete(checked.id);
      const target = entry.target;
      const run = new FsdRun({
        deps,
        target,
        preflight: checked,
        credential: entry.credential,
        overridden: blockers.map((check) => check.id),
        countdownSeconds: request.countdownSeconds,
        graceSeconds: request.graceSeconds,
        dryRun: checked.mode === 'local' ? checked.dryRun : true,
        onChange: push,
        onReport: (report, finished) => {
          saveReport(report);
          if (finished.fsdSet && report.latch) watchLatch(target, report.id, finished);
        },
      });
      runs.set(run.id, run);
      latest = run;
      while (runs.size > KEPT_RUNS) {
        const oldest = runs.keys().next().value as string;
        if (runs.get(oldest)?.active) break;
        runs.delete(oldest);
      }
      run.start();
      return run.view();
    },

    'fsd:abort': ({ runId }) => {
      const run = runs.get(runId);
      if (!run) return Promise.resolve(viewOf(runId));
      run.abort();
      return Promise.resolve(run.view());
    },

    'fsd:get-run': ({ runId }) =>
      Promise.resolve(runId === undefined ? (latest?.view() ?? null) : viewOf(runId)),

    'fsd:list-reports': ({ monitorId, limit }) =>
      Promise.resolve(
        deps.history
          .listFsdReports(monitorId, limit)
          .map(parseReport)
          .filter((report): report is FsdReport => report !== null)
          .map(reportSummary),
      ),

    'fsd:get-report': ({ id, format }) => {
      const report = parseReport(deps.history.getFsdReport(id));
      if (!report)
        return Promise.reject(
          new ApiRequestError({ code: 'FSD-REPORT-UNKNOWN', message: `No FSD test report ${id}.` }),
        );
      return Promise.resolve({ report, format, ...exportReport(report, format) });
    },

    'fsd:forget-credential': async ({ monitorId }) => {
      const target = requireTarget(monitorId);
      if (!deps.secrets) return { ok: true as const, removed: false };
      const key = fsdCredentialKey(target.master.id, target.ups.name);
      const existed = (await deps.secrets.get(key)) !== undefined;
      if (existed) await deps.secrets.delete(key);
      return { ok: true as const, removed: existed };
    },
  };

  return {
    handlers,
    async stop() {
      stopped = true;
      const active = [...runs.values()].filter((run) => run.active);
      for (const run of active) run.abort();
      await Promise.all(active.map((run) => run.done));
      await Promise.all([...watchers.values()].map((entry) => entry.watcher.stop()));
      watchers.clear();
      preflights.clear();
    },
  };
}
