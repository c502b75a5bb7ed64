/**
 * Scheduled self-tests of one UPS (main/ups-commands/self-test.ts): the schedule (off by
 * default, saved in the config), why it is held (a refused right is not retried every month),
 * a test now, and the results so far with the UPS's own words (ups.test.result).
 */
import { useEffect, useId, useState } from 'react';
import type { UpsSnapshot } from '../../../../shared/snapshot';
import {
  type CommandCredential,
  type SelfTestResultKind,
  type SelfTestStatus,
  type UpsControls,
} from '../../../../shared/ups-commands';
import { api, errorText } from '../../api';
import { Callout, ErrorBox, Field, Spinner, Switch } from '../../components/common';
import { saveConfig } from '../../config-edit';
import { formatDateTime, formatElapsed } from '../../format';
import { announce } from '../../store';
import { type ScheduleForm, scheduleForm, scheduleOf } from './controls-form';

const RESULT_LABEL: Record<SelfTestResultKind, string> = {
  passed: 'Passed',
  failed: 'Failed',
  unknown: 'No result',
  refused: 'Refused (no right)',
  skipped: 'Skipped',
};

export function SelfTestsSection({
  ups,
  controls,
  credential,
}: {
  ups: UpsSnapshot;
  controls: UpsControls;
  /** The tab's credential, or null when none is entered (the run then uses the remembered one). */
  credential: CommandCredential | null;
}) {
  const ids = useId();
  const [reload, setReload] = useState(0);
  const [status, setStatus] = useState<SelfTestStatus | null>(null);
  const [form, setForm] = useState<ScheduleForm | null>(null);
  const [tried, setTried] = useState(false);
  const [saving, setSaving] = useState(false);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const offered = controls.commands.map((c) => c.name).filter((n) => n.startsWith('test.'));

  useEffect(() => {
    let cancelled = false;
    api
      .invoke('ups:get-self-tests', { monitorId: ups.monitorId })
      .then((s) => {
        if (cancelled) return;
        setStatus(s);
        setForm((f) => f ?? scheduleForm(s.schedule));
      })
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [ups.monitorId, reload]);

  const checked = form ? scheduleOf(form, offered) : null;
  const errors = tried && checked && !checked.ok ? checked.errors : {};
  const dirty =
    form !== null &&
    status !== null &&
    JSON.stringify(form) !== JSON.stringify(scheduleForm(status.schedule));

  const save = async () => {
    setTried(true);
    if (!checked?.ok) return;
    setSaving(true);
    const result = await saveConfig((config) => {
      const entry = config.masters
        .find((m) => m.id === ups.masterId)
        ?.ups.find((u) => u.name === ups.upsName);
      if (entry) entry.selfTest = checked.schedule;
      return config;
    });
    setSaving(false);
    if (result.ok) {
      setError(null);
      setTried(false);
      announce('Self-test schedule saved.');
      setForm(null);
      setReload((n) => n + 1);
    } else setError({ message: result.issues.map((i) => i.message).join(' ') });
  };

  const runNow = async () => {
    setRunning(true);
    setError(null);
    try {
      const record = await api.invoke('ups:run-self-test', {
        monitorId: ups.monitorId,
        ...(credential ? { credential } : {}),
      });
      announce(`Self-test: ${RESULT_LABEL[record.result]}. ${record.reason}`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setRunning(false);
      setReload((n) => n + 1);
    }
  };

  return (
    <section aria-labelledby={`${ids}-h`} data-testid="self-tests">
      <h3 id={`${ids}-h`}>Self-tests</h3>
      <ErrorBox error={error} testId="self-test-error" />
      {!status && !error && <Spinner label="Reading the self-tests" />}
      {status && form && (
        <>
          <form
            className="form-grid"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
            noValidate
            data-testid="self-test-schedule"
          >
            <Switch
              checked={form.enabled}
              onChange={(enabled) => setForm({ ...form, enabled })}
              label="Run a self-test on a schedule"
              hint="Off by default: a self-test briefly runs the load from the battery. It runs only on line power, charged above the threshold, and never during an outage."
              testId="self-test-enabled"
            />
            <Field label="Every (days)" error={errors.everyDays} className="narrow">
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={1}
                  max={366}
                  value={form.everyDays}
                  onChange={(e) => setForm({ ...form, everyDays: e.target.value })}
                  data-testid="self-test-every"
                />
              )}
            </Field>
            <Field label="Only above charge (%)" error={errors.minChargePercent} className="narrow">
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={0}
                  max={100}
                  value={form.minChargePercent}
                  onChange={(e) => setForm({ ...form, minChargePercent: e.target.value })}
                  data-testid="self-test-min-charge"
                />
              )}
            </Field>
            <Field label="Test command" error={errors.command}>
              {(p) => (
                <select
                  {...p}
                  value={form.command}
                  onChange={(e) => setForm({ ...form, command: e.target.value })}
                  data-testid="self-test-command"
                >
                  <option value="auto">auto (quick battery test if offered)</option>
                  {!offered.includes(form.command) && form.command !== 'auto' && (
                    <option value={form.command}>{form.command} (not offered)</option>
                  )}
                  {offered.map((name) => (
                    <option key={name} value={name}>
                      {name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <div className="row-gap">
              <button
                type="submit"
                className="button button-small"
                disabled={!dirty || saving}
                data-testid="self-test-save"
              >
                {saving ? 'Saving…' : 'Save schedule'}
              </button>
              <button
                type="button"
                className="button button-small button-ghost"
                disabled={running || status.running}
                onClick={() => void runNow()}
                data-testid="self-test-run"
              >
                {running || status.running ? 'Testing…' : 'Run a self-test now'}
              </button>
            </div>
          </form>
          <p className="muted small" data-testid="self-test-next">
            {status.held
              ? null
              : status.nextDueAt !== null
                ? `Next scheduled test: ${formatDateTime(status.nextDueAt)}.`
                : status.schedule.enabled
                  ? 'The next test runs as soon as the UPS allows it.'
                  : 'No test is scheduled.'}
          </p>
          {status.held && (
            <Callout tone="warn" title="The schedule is held" testId="self-test-held">
              <p>{status.held}</p>
            </Callout>
          )}
          {status.records.length === 0 ? (
            <p className="muted">No self-test has run yet.</p>
          ) : (
            <div className="table-wrap">
              <table className="vars-table" data-testid="self-test-history">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Result</th>
                    <th scope="col">The UPS said</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {status.records.map((record) => (
                    <tr
                      key={`${record.at}-${record.result}`}
                      data-testid="self-test-record"
                      data-result={record.result}
                    >
                      <td>
                        {formatDateTime(record.at)}
                        <div className="muted small">
                          {record.trigger === 'schedule' ? 'scheduled' : 'started by hand'}
                          {record.durationMs !== null && ` · ${formatElapsed(record.durationMs)}`}
                        </div>
                      </td>
                      <td>{RESULT_LABEL[record.result]}</td>
                      <td>{record.testResult ? <code>{record.testResult}</code> : '—'}</td>
                      <td>
                        {record.reason}
                        {record.rightsHint && (
                          <pre className="rights-hint">{record.rightsHint}</pre>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
