/**
 * Step 1 of the FSD test: what to test (local rehearsal or a real FSD on the master, with its
 * credential, HOSTSYNC and minimum charge), and the button that runs the preflight.
 */
import { useId, useState } from 'react';
import type { FsdPreflight, FsdPreflightRequest, FsdRunView } from '../../../../shared/fsd-test';
import {
  DEFAULT_FSD_MIN_CHARGE_PERCENT,
  DEFAULT_MASTER_HOSTSYNC_SECONDS,
} from '../../../../shared/fsd-test';
import type { UpsSnapshot } from '../../../../shared/snapshot';
import { api, errorText } from '../../api';
import { ErrorBox, Field, Switch } from '../../components/common';
import { announce } from '../../store';
import { PreflightView } from './PreflightView';
import type { ErrorInfo, Mode } from './shared';

export function Wizard({
  ups,
  onStarted,
}: {
  ups: UpsSnapshot;
  onStarted: (run: FsdRunView) => void;
}) {
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
