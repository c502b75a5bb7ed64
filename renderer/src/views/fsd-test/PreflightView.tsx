/**
 * Step 2 of the FSD test: the preflight's findings, the blockers (and the override where one is
 * allowed), the confirmation (master mode: type the UPS name) and the start with its countdown.
 */
import { useState } from 'react';
import type { FsdCheck, FsdPreflight, FsdRunView } from '../../../../shared/fsd-test';
import { api, errorText } from '../../api';
import { Callout, ErrorBox, Field, NumberInput, RichText } from '../../components/common';
import { TypedNameConfirm, confirmsName } from '../../components/TypedNameConfirm';
import { describeServer, formatRuntime, displayCommand } from '../../format';
import { AlertIcon, CheckIcon, CrossIcon, InfoIcon, PowerIcon } from '../../icons';
import { announce, useNow } from '../../store';
import type { ErrorInfo } from './shared';

const CHECK_ICON: Record<FsdCheck['status'], typeof CheckIcon> = {
  ok: CheckIcon,
  info: InfoIcon,
  warning: AlertIcon,
  blocker: CrossIcon,
};

export function PreflightView({
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
  const confirmOk = preflight.mode === 'local' || confirmsName(confirm, preflight.upsName);
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
          <TypedNameConfirm
            name={preflight.upsName}
            value={confirm}
            onChange={setConfirm}
            testId="fsd-confirm"
          />
        )}
        <Field
          label="Countdown (s)"
          hint="Time to abort before anything happens."
          className="narrow"
        >
          {(p) => <NumberInput {...p} min={0} max={300} value={countdown} onValue={setCountdown} />}
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
