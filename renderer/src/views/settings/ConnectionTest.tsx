/**
 * The step-by-step connection test of one UPS entry: running it through the core
 * (`config:test-connection`) and showing the steps, the server and the core's diagnosis.
 */
import { useState } from 'react';
import { CONNECTION_TEST_STEP_LABELS, type ConnectionTestResult } from '../../../../shared/ipc';
import { api, errorText } from '../../api';
import { Callout, DiagnosisText } from '../../components/common';
import { describeServer } from '../../format';
import { CheckIcon, CrossIcon } from '../../icons';
import { announce } from '../../store';
import { type MasterForm, type UpsForm, tlsOf } from './master-form';

export interface ConnectionTestState {
  running: boolean;
  result: ConnectionTestResult | null;
  error: { message: string; fix?: string } | null;
}

/** Runs the test for `ups` on the form's master; `credentials` tries a user other than the form's. */
export function useConnectionTest({
  form,
  ups,
  masterId,
  onChange,
}: {
  form: MasterForm;
  ups: UpsForm;
  masterId: string | null;
  onChange: (change: Partial<UpsForm>) => void;
}) {
  const [test, setTest] = useState<ConnectionTestState>({
    running: false,
    result: null,
    error: null,
  });
  const runTest = async (credentials?: { username: string; password: string }) => {
    setTest({ running: true, result: null, error: null });
    try {
      const password =
        credentials?.password ??
        (ups.passwordSource === 'store' && ups.password !== '' ? ups.password : undefined);
      const result = await api.invoke('config:test-connection', {
        host: form.host.trim(),
        port: Number.isNaN(form.port) ? 3493 : form.port,
        tls: tlsOf(form),
        upsName: ups.name.trim(),
        username: credentials?.username ?? ups.username.trim(),
        ...(password !== undefined ? { password } : {}),
        ...(masterId !== null ? { masterId } : {}),
        preset: form.preset,
        role: ups.role,
      });
      // The only UPS the server offers becomes this entry's UPS.
      if (ups.name.trim() === '' && result.upsName) onChange({ name: result.upsName });
      setTest({ running: false, result, error: null });
      announce(
        result.ok
          ? 'Connection test passed.'
          : `Connection test failed${result.diagnosis ? `: ${result.diagnosis.explanation}` : '.'}`,
        !result.ok,
      );
    } catch (error) {
      setTest({ running: false, result: null, error: errorText(error) });
    }
  };

  return { test, runTest };
}

const STEP_LABEL = CONNECTION_TEST_STEP_LABELS;

export function ConnectionTestReport({
  result,
  onTestAgain,
  onTrySuggestion,
}: {
  result: ConnectionTestResult;
  onTestAgain: () => void;
  onTrySuggestion: (() => void) | undefined;
}) {
  return (
    <div
      className={`test-result${result.ok ? ' is-ok' : ' is-failed'}`}
      data-testid="test-result"
      data-ok={result.ok ? 'true' : 'false'}
      aria-live="polite"
    >
      <ol className="test-steps">
        {result.steps.map((s, i) => (
          <li
            key={i}
            className={s.ok ? 'ok' : 'failed'}
            data-testid="test-step"
            data-step={s.step}
            data-ok={s.ok ? 'true' : 'false'}
          >
            <span className="step-icon">
              {s.ok ? (
                <CheckIcon size={16} title="passed" />
              ) : (
                <CrossIcon size={16} title="failed" />
              )}
            </span>
            <span className="step-name">{STEP_LABEL[s.step]}</span>
            <span className="step-detail">{s.detail}</span>
          </li>
        ))}
      </ol>
      {result.server && (
        <p className="small">
          <strong>Server:</strong> {describeServer(result.server)}
          {result.server.version ? <span className="muted"> — {result.server.version}</span> : null}
        </p>
      )}
      {result.ok && (
        <Callout tone="good" title="Everything works">
          <p>Save the master to start monitoring.</p>
        </Callout>
      )}
      {result.diagnosis && (
        <Callout
          tone="bad"
          title={result.diagnosis.code === 'NOT-PERMITTED' ? 'Not permitted' : 'What is wrong'}
          testId="test-diagnosis"
          action={
            <>
              {onTrySuggestion && result.suggestion && (
                <button
                  type="button"
                  className="button button-small"
                  onClick={onTrySuggestion}
                  data-testid="try-suggestion"
                >
                  Try DSM’s other user “{result.suggestion.username}”
                </button>
              )}
              <button
                type="button"
                className="button button-small"
                onClick={onTestAgain}
                data-testid="test-again"
              >
                Test again
              </button>
            </>
          }
        >
          <DiagnosisText
            explanation={result.diagnosis.explanation}
            fix={result.diagnosis.fix}
            code={result.diagnosis.code}
          />
        </Callout>
      )}
    </div>
  );
}
