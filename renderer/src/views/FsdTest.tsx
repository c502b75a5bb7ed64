/**
 * The guarded FSD test (shared/fsd-test.ts): choose local rehearsal or a real FSD on the master,
 * run the preflight (nothing is sent that could set FSD), confirm (master mode: type the UPS
 * name), watch the countdown and timeline with an Abort button, then read the report and export
 * it. The core enforces every guard; the UI shows them.
 */
import { useCallback, useEffect, useId, useState } from 'react';
import type {
  FsdCheck,
  FsdPreflight,
  FsdPreflightRequest,
  FsdReport,
  FsdReportSummary,
  FsdRunView,
} from '../../../shared/fsd-test';
import {
  DEFAULT_FSD_MIN_CHARGE_PERCENT,
  DEFAULT_MASTER_HOSTSYNC_SECONDS,
  VERDICT_TEXT,
  notLeftText,
  secondaryCounts,
  secondaryCountsText,
} from '../../../shared/fsd-test';
import type { UpsSnapshot } from '../../../shared/snapshot';
import { api, errorText } from '../api';
import {
  Callout,
  DiagnosisText,
  ErrorBox,
  Field,
  RichText,
  Spinner,
  Switch,
} from '../components/common';
import {
  describeServer,
  formatDateTime,
  formatRuntime,
  formatWhen,
  displayCommand,
} from '../format';
import { AlertIcon, CheckIcon, CrossIcon, InfoIcon, PowerIcon } from '../icons';
import { announce, useNow } from '../store';

type Mode = 'local' | 'master';
type ErrorInfo = { message: string; fix?: string } | null;

const ACTIVE: FsdRunView['state'][] = ['countdown', 'running'];

export function FsdTest({ ups }: { ups: UpsSnapshot }) {
  const [run, setRun] = useState<FsdRunView | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [reportsVersion, setReportsVersion] = useState(0);

  // Resume a run in progress (or show the last one of this UPS).
  useEffect(() => {
    let cancelled = false;
    api
      .invoke('fsd:get-run', {})
      .then((r) => {
        if (cancelled) return;
        setRun(r && r.monitorId === ups.monitorId ? r : null);
        setLoaded(true);
      })
      .catch(() => !cancelled && setLoaded(true));
    const off = api.subscribe('fsd:progress', (view) => {
      if (view.monitorId !== ups.monitorId) return;
      setRun(view);
      if (!ACTIVE.includes(view.state)) setReportsVersion((v) => v + 1);
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [ups.monitorId]);

  if (!loaded) return <Spinner label="Loading" />;
  const active = run !== null && ACTIVE.includes(run.state);
  return (
    <section aria-labelledby="fsd-h" data-testid="fsd-test">
      <div className="section-head">
        <h2 id="fsd-h">FSD test</h2>
      </div>
      <p className="muted">
        Find out, before a real outage, whether this machine (and the other secondaries) shut down
        in time when the master orders a forced shutdown (FSD) — like <code>upsmon -c fsd</code>,
        but observed and reported.
      </p>
      {run && <RunView run={run} onDismiss={active ? undefined : () => setRun(null)} />}
      {/* Kept mounted while a run is active: after an abort the chosen mode and credential are still there (in memory only). */}
      <div hidden={active}>
        <Wizard ups={ups} onStarted={setRun} />
      </div>
      <ReportList monitorId={ups.monitorId} version={reportsVersion} />
    </section>
  );
}

function Wizard({ ups, onStarted }: { ups: UpsSnapshot; onStarted: (run: FsdRunView) => void }) {
  const ids = useId();
  const [mode, setMode] = useState<Mode>('local');
  const [dryRun, setDryRun] = useState(true);
  const [credSource, setCredSource] = useState<'entered' | 'stored'>('entered');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [hostSync, setHostSync] = useState<number>(DEFAULT_MASTER_HOSTSYNC_SECONDS);
  const [minCharge, setMinCharge] = useState<number>(DEFAULT_FSD_MIN_CHARGE_PERCENT);
  const [preflight, setPreflight] = useState<FsdPreflight | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<ErrorInfo>(null);

  const request = (): FsdPreflightRequest => ({
    monitorId: ups.monitorId,
    mode,
    dryRun: mode === 'local' ? dryRun : true,
    ...(mode === 'master'
      ? {
          hostSyncSeconds: Number.isFinite(hostSync) ? hostSync : DEFAULT_MASTER_HOSTSYNC_SECONDS,
          minChargePercent: Number.isFinite(minCharge) ? minCharge : DEFAULT_FSD_MIN_CHARGE_PERCENT,
          credential:
            credSource === 'stored'
              ? { source: 'stored' as const }
              : { source: 'entered' as const, username: username.trim(), password, remember },
        }
      : {}),
  });

  const runPreflight = async () => {
    setChecking(true);
    setError(null);
    setPreflight(null);
    try {
      const result = await api.invoke('fsd:preflight', request());
      setPreflight(result);
      announce(
        result.blockers > 0
          ? `Preflight found ${result.blockers} blocker(s).`
          : 'Preflight passed.',
      );
    } catch (e) {
      setError(errorText(e));
    } finally {
      setChecking(false);
    }
  };

  const changed = () => setPreflight(null);

  return (
    <div className="fsd-wizard">
      <fieldset className="form-section" data-testid="fsd-mode">
        <legend>1. What to test</legend>
        <div className="radio-list">
          <label className="radio">
            <input
              type="radio"
              name={`${ids}-mode`}
              checked={mode === 'local'}
              onChange={() => {
                setMode('local');
                changed();
              }}
              data-testid="fsd-mode-local"
            />
            <span>
              <strong>This machine only (rehearsal)</strong>
              <span className="muted">
                {' '}
                — runs this machine’s shutdown sequence: the SHUTDOWN notification, hooks,
                FINALDELAY and the shutdown command. Sends nothing privileged to the master.
              </span>
            </span>
          </label>
          <label className="radio">
            <input
              type="radio"
              name={`${ids}-mode`}
              checked={mode === 'master'}
              onChange={() => {
                setMode('master');
                changed();
              }}
              data-testid="fsd-mode-master"
            />
            <span>
              <strong>Real forced shutdown on the master</strong>
              <span className="muted">
                {' '}
                — sends FSD to {ups.systemName}: every secondary of this UPS really shuts down, and
                usually the master and the UPS power too. The report shows who logged out within
                HOSTSYNC.
              </span>
            </span>
          </label>
        </div>
        {mode === 'local' && (
          <Switch
            checked={dryRun}
            onChange={(v) => {
              setDryRun(v);
              changed();
            }}
            label="Dry run"
            hint={
              dryRun
                ? 'The shutdown command is recorded, not run. Hooks do run.'
                : 'This machine WILL power off at the end of the test.'
            }
            testId="fsd-dry-run"
          />
        )}
        {mode === 'master' && (
          <div className="form-grid">
            <Field label="Credential with the FSD right">
              {(p) => (
                <select
                  {...p}
                  value={credSource}
                  onChange={(e) => {
                    setCredSource(e.target.value as 'entered' | 'stored');
                    changed();
                  }}
                >
                  <option value="entered">Enter it now</option>
                  <option value="stored">The one remembered for this UPS</option>
                </select>
              )}
            </Field>
            {credSource === 'entered' && (
              <>
                <Field
                  label="User"
                  hint="upsmon primary (upsmon master before NUT 2.8), or a user with actions = FSD."
                >
                  {(p) => (
                    <input
                      {...p}
                      value={username}
                      onChange={(e) => {
                        setUsername(e.target.value);
                        changed();
                      }}
                      autoComplete="off"
                      spellCheck={false}
                      data-testid="fsd-username"
                    />
                  )}
                </Field>
                <Field label="Password">
                  {(p) => (
                    <input
                      {...p}
                      type="password"
                      value={password}
                      onChange={(e) => {
                        setPassword(e.target.value);
                        changed();
                      }}
                      autoComplete="new-password"
                      data-testid="fsd-password"
                    />
                  )}
                </Field>
              </>
            )}
            <Field
              label="Master’s HOSTSYNC (s)"
              hint="upsd does not publish it; 15 s is upsmon’s default."
              className="narrow"
            >
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={0}
                  max={3600}
                  value={Number.isNaN(hostSync) ? '' : hostSync}
                  onChange={(e) => {
                    setHostSync(e.target.valueAsNumber);
                    changed();
                  }}
                />
              )}
            </Field>
            <Field
              label="Minimum battery charge (%)"
              hint="Below it, or off line, the test is blocked: the master would cut the power."
              className="narrow"
            >
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={0}
                  max={100}
                  value={Number.isNaN(minCharge) ? '' : minCharge}
                  onChange={(e) => {
                    setMinCharge(e.target.valueAsNumber);
                    changed();
                  }}
                  data-testid="fsd-min-charge"
                />
              )}
            </Field>
          </div>
        )}
        {mode === 'master' && credSource === 'entered' && (
          <label className="check">
            <input
              type="checkbox"
              checked={remember}
              onChange={(e) => {
                setRemember(e.target.checked);
                changed();
              }}
            />{' '}
            Remember this credential in the secret store for the next test
          </label>
        )}
        <div className="button-row">
          <button
            type="button"
            className="button"
            onClick={() => void runPreflight()}
            disabled={
              checking || (mode === 'master' && credSource === 'entered' && username.trim() === '')
            }
            data-testid="fsd-preflight"
          >
            {checking ? 'Checking…' : '2. Run the preflight'}
          </button>
          <span className="muted small">Reads only: nothing that could set FSD is sent.</span>
        </div>
        <ErrorBox error={error} />
      </fieldset>
      {preflight && (
        <PreflightView
          preflight={preflight}
          onStarted={(run) => {
            // A preflight serves one start: after an abort the next test needs a fresh one.
            setPreflight(null);
            onStarted(run);
          }}
          onRedo={() => void runPreflight()}
        />
      )}
    </div>
  );
}

const CHECK_ICON: Record<FsdCheck['status'], typeof CheckIcon> = {
  ok: CheckIcon,
  info: InfoIcon,
  warning: AlertIcon,
  blocker: CrossIcon,
};

function PreflightView({
  preflight,
  onStarted,
  onRedo,
}: {
  preflight: FsdPreflight;
  onStarted: (run: FsdRunView) => void;
  onRedo: () => void;
}) {
  const now = useNow();
  const [confirm, setConfirm] = useState('');
  const [override, setOverride] = useState(false);
  const [countdown, setCountdown] = useState(10);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<ErrorInfo>(null);
  const overridable = preflight.blockers > 0 && !preflight.hardBlocked;
  const expired = preflight.expiresAt <= now;
  const confirmOk = preflight.mode === 'local' || confirm === preflight.upsName;
  const canStart =
    !expired && !preflight.hardBlocked && (preflight.blockers === 0 || override) && confirmOk;
  const c = preflight.clients;
  const tm = preflight.thisMachine;

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      const run = await api.invoke('fsd:start', {
        preflightId: preflight.id,
        countdownSeconds: Number.isFinite(countdown) ? countdown : 10,
        overrideBlockers: override,
        ...(preflight.mode === 'master' ? { confirmUpsName: confirm } : {}),
      });
      announce(
        `FSD test starts in ${run.countdown.secondsLeft} seconds. Abort is available.`,
        true,
      );
      onStarted(run);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setStarting(false);
    }
  };

  return (
    <div
      className="form-section"
      data-testid="fsd-preflight-result"
      data-blockers={preflight.blockers}
    >
      <h3>Preflight</h3>
      <ul className="check-list">
        {preflight.checks.map((check) => {
          const Icon = CHECK_ICON[check.status];
          return (
            <li
              key={check.id}
              className={`check-item st-${check.status}`}
              data-testid="fsd-check"
              data-status={check.status}
            >
              <Icon size={16} className="check-icon" />
              <div>
                <strong>{check.title}</strong>
                {check.status === 'blocker' && (
                  <span className="badge badge-bad">
                    {check.overridable ? 'blocker (can be overridden)' : 'blocker'}
                  </span>
                )}
                <div className="small">
                  <RichText text={check.detail} />
                </div>
                {check.fix && (
                  <div className="small">
                    <strong>Fix: </strong>
                    <RichText text={check.fix} />
                  </div>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      <dl className="facts">
        <div>
          <dt>Master</dt>
          <dd>
            {preflight.master.host}:{preflight.master.port} ·{' '}
            {describeServer({
              kind: preflight.master.kind,
              version: preflight.master.version,
              protocol: preflight.master.protocol,
            })}
            {!preflight.master.reachable && <strong className="text-bad"> · not reachable</strong>}
          </dd>
        </div>
        <div>
          <dt>UPS</dt>
          <dd>
            <code>{preflight.ups.status ?? 'unknown'}</code>
            {preflight.ups.fsdLatched && (
              <strong className="text-bad"> · FSD already latched</strong>
            )}{' '}
            · charge{' '}
            {preflight.ups.batteryCharge === null
              ? 'unknown'
              : `${Math.round(preflight.ups.batteryCharge)} %`}{' '}
            · runtime {formatRuntime(preflight.ups.batteryRuntimeSeconds)}
          </dd>
        </div>
        <div>
          <dt>Secondaries</dt>
          <dd>
            {c.list
              ? `${c.list.length} logged in`
              : c.numLogins !== null
                ? `${c.numLogins} logins (the master cannot list them)`
                : 'unknown'}
            {c.otherSecondaries !== null && ` · ${c.otherSecondaries} besides this machine`}
            {c.thisMachineLoggedIn ? (
              ' · this machine is logged in'
            ) : (
              <strong className="text-bad"> · this machine is NOT logged in</strong>
            )}
            {c.missingExpected.length > 0 && (
              <strong className="text-bad"> · missing: {c.missingExpected.join(', ')}</strong>
            )}
          </dd>
        </div>
        <div>
          <dt>This machine</dt>
          <dd>
            {tm.role === 'secondary' ? 'secondary' : 'monitor only'} · runs{' '}
            <code>{displayCommand(tm.shutdownCommand.program, tm.shutdownCommand.args)}</code>
            {tm.shutdownCommand.isDefault && ' (default)'} after FINALDELAY {tm.finalDelaySeconds} s
            {tm.hooks.length > 0 && ` · ${tm.hooks.length} hook(s)`}
          </dd>
        </div>
      </dl>

      {tm.willReallyShutDown && (
        <Callout tone="bad" title="This machine will power off" testId="fsd-real-shutdown">
          <p>The test ends by running the shutdown command for real. Save your work first.</p>
        </Callout>
      )}
      {preflight.mode === 'master' && (
        <Callout tone="warn" title="Every secondary of this UPS will shut down">
          <p>
            After the countdown, NUT Sentinel sends <code>FSD {preflight.upsName}</code> to the
            master. The FSD flag then stays set on the master until its upsd restarts.
          </p>
        </Callout>
      )}
      {expired && (
        <Callout
          tone="warn"
          title="This preflight has expired"
          action={
            <button type="button" className="button button-small" onClick={onRedo}>
              Run it again
            </button>
          }
        >
          <p>Preflights are valid for a few minutes: the situation may have changed.</p>
        </Callout>
      )}

      <div className="form-grid">
        {preflight.mode === 'master' && (
          <Field label={`Type the UPS name (${preflight.upsName}) to confirm`}>
            {(p) => (
              <input
                {...p}
                className="mono"
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
                autoComplete="off"
                spellCheck={false}
                data-testid="fsd-confirm"
              />
            )}
          </Field>
        )}
        <Field
          label="Countdown (s)"
          hint="Time to abort before anything happens."
          className="narrow"
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              max={300}
              value={Number.isNaN(countdown) ? '' : countdown}
              onChange={(e) => setCountdown(e.target.valueAsNumber)}
            />
          )}
        </Field>
      </div>
      {overridable && (
        <label className="check">
          <input
            type="checkbox"
            checked={override}
            onChange={(e) => setOverride(e.target.checked)}
            data-testid="fsd-override"
          />{' '}
          Start anyway (override the blockers that allow it)
        </label>
      )}
      {preflight.hardBlocked && (
        <p className="text-bad">
          A blocker above cannot be overridden: fix it and run the preflight again.
        </p>
      )}
      <ErrorBox error={error} />
      <div className="button-row">
        <button
          type="button"
          className={`button ${preflight.mode === 'master' || tm.willReallyShutDown ? 'button-danger' : 'button-primary'}`}
          disabled={!canStart || starting}
          onClick={() => void start()}
          data-testid="fsd-start"
        >
          <PowerIcon size={16} />{' '}
          {starting
            ? 'Starting…'
            : preflight.mode === 'master'
              ? 'Send FSD to the master'
              : dryRunLabel(preflight)}
        </button>
        <button type="button" className="button button-ghost" onClick={onRedo}>
          Check again
        </button>
      </div>
    </div>
  );
}

function dryRunLabel(p: FsdPreflight): string {
  return p.dryRun ? 'Start the rehearsal (dry run)' : 'Start — and shut this machine down';
}

function RunView({ run, onDismiss }: { run: FsdRunView; onDismiss: (() => void) | undefined }) {
  const now = useNow();
  const [error, setError] = useState<ErrorInfo>(null);
  const [aborting, setAborting] = useState(false);
  const active = ACTIVE.includes(run.state);
  const secondsLeft =
    run.state === 'countdown' && run.countdown.endsAt !== null
      ? Math.max(0, Math.ceil((run.countdown.endsAt - now) / 1000))
      : run.countdown.secondsLeft;

  const abort = useCallback(async () => {
    setAborting(true);
    setError(null);
    try {
      await api.invoke('fsd:abort', { runId: run.runId });
      announce('FSD test aborted.', true);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setAborting(false);
    }
  }, [run.runId]);

  return (
    <div
      className={`fsd-run state-${run.state}`}
      data-testid="fsd-run"
      data-state={run.state}
      role={active ? 'alert' : undefined}
    >
      <div className="fsd-run-head">
        <div>
          <div className="fsd-run-title">
            {run.state === 'countdown' && (
              <>
                {run.mode === 'master' ? 'FSD will be sent' : 'The rehearsal starts'} in{' '}
                <span className="countdown" data-testid="fsd-countdown">
                  {secondsLeft} s
                </span>
              </>
            )}
            {run.state === 'running' &&
              (run.mode === 'master'
                ? 'Forced shutdown in progress — watching the secondaries'
                : 'Running this machine’s shutdown sequence')}
            {run.state === 'finished' && 'Test finished'}
            {run.state === 'aborted' && 'Test aborted'}
            {run.state === 'failed' && 'Test failed'}
            {run.state === 'idle' && 'Preparing'}
          </div>
          <div className="muted small">
            {run.mode === 'master' ? 'Master mode' : 'Local mode'} · {run.upsName} · started{' '}
            {formatDateTime(run.createdAt)}
            {run.numLogins !== null && ` · NUMLOGINS ${run.numLogins}`}
          </div>
        </div>
        {active ? (
          <button
            type="button"
            className="button button-danger"
            onClick={() => void abort()}
            disabled={aborting}
            data-testid="fsd-abort"
          >
            Abort
          </button>
        ) : (
          onDismiss && (
            <button type="button" className="button button-ghost button-small" onClick={onDismiss}>
              New test
            </button>
          )
        )}
      </div>
      <ErrorBox error={error} />
      {run.error && (
        <Callout tone="bad" title="What went wrong">
          <DiagnosisText
            explanation={run.error.message}
            fix={run.error.fix}
            code={run.error.code}
          />
        </Callout>
      )}
      {run.mode === 'master' && run.remaining.length > 0 && run.t0 !== null && (
        <p className="small" data-testid="fsd-remaining">
          {run.state === 'failed' || run.state === 'aborted'
            ? 'Not seen logging out before the test stopped'
            : 'Still logged in'}
          : {run.remaining.map((r) => r.hostname ?? r.address).join(', ')}
          {run.deadline !== null && ` · watching until ${formatWhen(run.deadline, now)}`}
        </p>
      )}
      {run.timeline.length > 0 && (
        <ol className="timeline" data-testid="fsd-timeline">
          {run.timeline.map((e, i) => (
            <li key={i} className={`tl-${e.kind}`}>
              <span className="tl-t">
                {e.t >= 0 ? '+' : '−'}
                {(Math.abs(e.t) / 1000).toFixed(1)} s
              </span>
              <span className="tl-kind">{e.kind}</span>
              <span className="tl-msg">
                <RichText text={e.message} />
              </span>
            </li>
          ))}
        </ol>
      )}
      {run.latch && (
        <Callout
          tone={run.latch.clearedAt ? 'good' : 'warn'}
          title={
            run.latch.clearedAt
              ? 'The master’s FSD flag is cleared'
              : 'The master still has FSD set'
          }
          testId="fsd-latch"
        >
          <p>
            <RichText text={run.latch.note} />
          </p>
        </Callout>
      )}
      {run.reportId && (
        <ReportActions id={run.reportId} latchClearedAt={run.latch?.clearedAt ?? null} />
      )}
    </div>
  );
}

function ReportActions({ id, latchClearedAt }: { id: string; latchClearedAt: number | null }) {
  const [report, setReport] = useState<FsdReport | null>(null);
  const [error, setError] = useState<ErrorInfo>(null);
  // Fetched again when the latch clears: the stored report's summary and latch change then.
  useEffect(() => {
    let cancelled = false;
    api
      .invoke('fsd:get-report', { id, format: 'json' })
      .then((r) => !cancelled && setReport(r.report))
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [id, latchClearedAt]);
  const summary = report?.summary ?? null;
  return (
    <div className="fsd-report" data-testid="fsd-report">
      {summary && summary.length > 0 && (
        <ul className="hint-list">
          {summary.map((s, i) => (
            <li key={i}>
              <RichText text={s} />
            </li>
          ))}
        </ul>
      )}
      {report &&
        report.mode === 'master' &&
        report.fsdSetAt !== null &&
        report.secondaries.length > 0 && <SecondariesTable report={report} />}
      <ErrorBox error={error} />
      <div className="button-row">
        <DownloadButton id={id} format="markdown" label="Download report (Markdown)" />
        <DownloadButton id={id} format="json" label="JSON" />
      </div>
    </div>
  );
}

/** Who logged out when after FSD, as the master saw it (LIST CLIENT): the other secondaries, then this machine apart. */
function SecondariesTable({ report }: { report: FsdReport }) {
  const counts = secondaryCounts(report.secondaries);
  const others = report.secondaries.filter((s) => !s.isThisMachine);
  const own = report.secondaries.filter((s) => s.isThisMachine);
  const row = (s: FsdReport['secondaries'][number], i: number) => (
    <tr
      key={i}
      data-testid="fsd-secondary"
      data-address={s.address}
      data-this-machine={s.isThisMachine}
      data-verdict={s.verdict}
    >
      <td className="mono">
        {s.address}
        {s.hostname && <span className="muted"> ({s.hostname})</span>}
        {s.isThisMachine && <span className="badge">this machine</span>}
      </td>
      <td className="nowrap" data-testid="fsd-secondary-left">
        {s.leftAtMs !== null
          ? `${(s.leftAtMs / 1000).toFixed(1)} s${s.resolutionMs !== null ? ` (±${s.resolutionMs} ms)` : ''}`
          : notLeftText(report.outcome)}
      </td>
      <td>
        <span className={`badge${s.verdict === 'in-time' ? '' : ' badge-bad'}`}>
          {VERDICT_TEXT[s.verdict]}
        </span>
      </td>
    </tr>
  );
  return (
    <div className="table-wrap">
      <table data-testid="fsd-secondaries">
        <caption className="muted small" data-testid="fsd-secondaries-counts">
          Other secondaries (HOSTSYNC {report.hostSync.seconds} s): {secondaryCountsText(counts)}
        </caption>
        <thead>
          <tr>
            <th scope="col">Address</th>
            <th scope="col">Logged out after FSD</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody data-testid="fsd-secondaries-others">
          {others.length === 0 ? (
            <tr>
              <td colSpan={3} className="muted">
                No other secondary was logged in.
              </td>
            </tr>
          ) : (
            others.map(row)
          )}
        </tbody>
        {own.length > 0 && (
          <tbody data-testid="fsd-secondaries-own">
            <tr>
              <th scope="rowgroup" colSpan={3} className="small">
                This machine
              </th>
            </tr>
            {own.map(row)}
          </tbody>
        )}
      </table>
    </div>
  );
}

function DownloadButton({
  id,
  format,
  label,
}: {
  id: string;
  format: 'json' | 'markdown';
  label: string;
}) {
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setError(null);
    try {
      const exp = await api.invoke('fsd:get-report', { id, format });
      const url = URL.createObjectURL(new Blob([exp.content], { type: exp.mimeType }));
      const a = document.createElement('a');
      a.href = url;
      a.download = exp.fileName;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(errorText(e).message);
    }
  };
  return (
    <>
      <button type="button" className="button button-small" onClick={() => void download()}>
        {label}
      </button>
      {error && <span className="field-error">{error}</span>}
    </>
  );
}

/** The "Secondaries" cell of an earlier test: counts only where FSD reached the master. */
function secondariesSummary(r: FsdReportSummary): string {
  if (r.mode !== 'master') return '—';
  if (!r.fsdSent) return 'FSD not sent';
  const counts = secondaryCountsText(r);
  return r.outcome === 'completed' ? counts : `${counts} (stopped early)`;
}

function ReportList({ monitorId, version }: { monitorId: string; version: number }) {
  const [reports, setReports] = useState<FsdReportSummary[] | null>(null);
  const [error, setError] = useState<ErrorInfo>(null);
  useEffect(() => {
    let cancelled = false;
    api
      .invoke('fsd:list-reports', { monitorId, limit: 20 })
      .then((r) => !cancelled && setReports(r))
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [monitorId, version]);
  if (error) return <ErrorBox error={error} />;
  if (!reports || reports.length === 0) return null;
  return (
    <section className="form-section" aria-labelledby="fsd-reports-h" data-testid="fsd-reports">
      <h3 id="fsd-reports-h">Earlier tests</h3>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Mode</th>
              <th scope="col">Outcome</th>
              <th scope="col">Secondaries</th>
              <th scope="col">Report</th>
            </tr>
          </thead>
          <tbody>
            {reports.map((r) => (
              <tr key={r.id}>
                <td className="nowrap">{formatDateTime(r.at)}</td>
                <td>
                  {r.mode}
                  {r.dryRun ? ' (dry run)' : ''}
                </td>
                <td>{r.outcome}</td>
                <td data-testid="fsd-report-secondaries">{secondariesSummary(r)}</td>
                <td className="nowrap">
                  <DownloadButton id={r.id} format="markdown" label="Markdown" />{' '}
                  <DownloadButton id={r.id} format="json" label="JSON" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
