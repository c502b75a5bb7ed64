/**
 * Step 1 of the FSD test: what to test (local rehearsal or a real FSD on the master, with its
 * credential, HOSTSYNC and minimum charge), and the button that runs the preflight.
 */
import { useId, useState } from 'react';
import type { FsdPreflight, FsdRunView } from '../../../../shared/fsd-test';
import type { UpsSnapshot } from '../../../../shared/snapshot';
import { api, errorText } from '../../api';
import { ErrorBox, Field, NumberInput, Switch } from '../../components/common';
import { announce } from '../../store';
import { PreflightView } from './PreflightView';
import type { ErrorInfo } from './shared';
import {
  INITIAL_WIZARD_FORM,
  type WizardForm,
  canRunPreflight,
  preflightRequest,
} from './wizard-form';

/** Changes one field of the form (and so invalidates the preflight that was run for the old one). */
type SetField = <K extends keyof WizardForm>(key: K, value: WizardForm[K]) => void;

export function Wizard({
  ups,
  onStarted,
}: {
  ups: UpsSnapshot;
  onStarted: (run: FsdRunView) => void;
}) {
  const [form, setForm] = useState<WizardForm>(INITIAL_WIZARD_FORM);
  const [preflight, setPreflight] = useState<FsdPreflight | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<ErrorInfo>(null);

  const set: SetField = (key, value) => {
    setForm((current) => ({ ...current, [key]: value }));
    setPreflight(null);
  };

  const runPreflight = async () => {
    setChecking(true);
    setError(null);
    setPreflight(null);
    try {
      const result = await api.invoke('fsd:preflight', preflightRequest(ups.monitorId, form));
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

  return (
    <div className="fsd-wizard">
      <fieldset className="form-section" data-testid="fsd-mode">
        <legend>1. What to test</legend>
        <ModeChoice form={form} set={set} systemName={ups.systemName} />
        {form.mode === 'master' && <MasterFields form={form} set={set} />}
        <div className="button-row">
          <button
            type="button"
            className="button"
            onClick={() => void runPreflight()}
            disabled={checking || !canRunPreflight(form)}
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

/** Step 1a: a local rehearsal (with or without dry run) or a real FSD on the master. */
function ModeChoice({
  form,
  set,
  systemName,
}: {
  form: WizardForm;
  set: SetField;
  systemName: string;
}) {
  const ids = useId();
  return (
    <>
      <div className="radio-list">
        <label className="radio">
          <input
            type="radio"
            name={`${ids}-mode`}
            checked={form.mode === 'local'}
            onChange={() => set('mode', 'local')}
            data-testid="fsd-mode-local"
          />
          <span>
            <strong>This machine only (rehearsal)</strong>
            <span className="muted">
              {' '}
              — runs this machine’s shutdown sequence: the SHUTDOWN notification, hooks, FINALDELAY
              and the shutdown command. Sends nothing privileged to the master.
            </span>
          </span>
        </label>
        <label className="radio">
          <input
            type="radio"
            name={`${ids}-mode`}
            checked={form.mode === 'master'}
            onChange={() => set('mode', 'master')}
            data-testid="fsd-mode-master"
          />
          <span>
            <strong>Real forced shutdown on the master</strong>
            <span className="muted">
              {' '}
              — sends FSD to {systemName}: every secondary of this UPS really shuts down, and
              usually the master and the UPS power too. The report shows who logged out within
              HOSTSYNC.
            </span>
          </span>
        </label>
      </div>
      {form.mode === 'local' && (
        <Switch
          checked={form.dryRun}
          onChange={(v) => set('dryRun', v)}
          label="Dry run"
          hint={
            form.dryRun
              ? 'The shutdown command is recorded, not run. Hooks do run.'
              : 'This machine WILL power off at the end of the test.'
          }
          testId="fsd-dry-run"
        />
      )}
    </>
  );
}

/** Step 1b, for a real FSD: the credential with the FSD right, the master's HOSTSYNC, the minimum charge. */
function MasterFields({ form, set }: { form: WizardForm; set: SetField }) {
  return (
    <>
      <div className="form-grid">
        <Field label="Credential with the FSD right">
          {(p) => (
            <select
              {...p}
              value={form.credSource}
              onChange={(e) => set('credSource', e.target.value as 'entered' | 'stored')}
            >
              <option value="entered">Enter it now</option>
              <option value="stored">The one remembered for this UPS</option>
            </select>
          )}
        </Field>
        {form.credSource === 'entered' && (
          <>
            <Field
              label="User"
              hint="upsmon primary (upsmon master before NUT 2.8), or a user with actions = FSD."
            >
              {(p) => (
                <input
                  {...p}
                  value={form.username}
                  onChange={(e) => set('username', e.target.value)}
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
                  value={form.password}
                  onChange={(e) => set('password', e.target.value)}
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
            <NumberInput
              {...p}
              min={0}
              max={3600}
              value={form.hostSync}
              onValue={(typed) => set('hostSync', typed)}
            />
          )}
        </Field>
        <Field
          label="Minimum battery charge (%)"
          hint="Below it, or off line, the test is blocked: the master would cut the power."
          className="narrow"
        >
          {(p) => (
            <NumberInput
              {...p}
              min={0}
              max={100}
              value={form.minCharge}
              onValue={(typed) => set('minCharge', typed)}
              data-testid="fsd-min-charge"
            />
          )}
        </Field>
      </div>
      {form.credSource === 'entered' && (
        <label className="check">
          <input
            type="checkbox"
            checked={form.remember}
            onChange={(e) => set('remember', e.target.checked)}
          />{' '}
          Remember this credential in the secret store for the next test
        </label>
      )}
    </>
  );
}
