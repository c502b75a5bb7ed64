/**
 * The Battery tab: age (from the UPS or the date entered when replacing it), REPLBATT history,
 * self-test results, the capacity estimate from real outages with its uncertainty, and whether
 * (and why) to replace the battery.
 */
import { useEffect, useState } from 'react';
import type { BatteryHealth } from '../../../../shared/outages';
import { OUTAGE_RECORDED_EVENT } from '../../../../shared/outages';
import type { UpsSnapshot } from '../../../../shared/snapshot';
import { api, errorText } from '../../api';
import { Callout, ErrorBox, Field, Spinner } from '../../components/common';
import { saveConfig, useConfig } from '../../config-edit';
import { formatDateTime } from '../../format';
import { announce } from '../../store';

const SOURCE_WORDS: Record<NonNullable<BatteryHealth['age']['source']>, string> = {
  config: 'the replacement date entered here',
  'battery.date': 'battery.date, as the UPS reports it',
  'battery.mfr.date': 'battery.mfr.date, as the UPS reports it',
};

export function BatteryHealthPanel({ ups }: { ups: UpsSnapshot }) {
  const [health, setHealth] = useState<BatteryHealth | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let cancelled = false;
    api
      .invoke('battery:get-health', { monitorId: ups.monitorId })
      .then((h) => {
        if (cancelled) return;
        setHealth(h);
        setError(null);
      })
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [ups.monitorId, reload, ups.batteryReminder?.text]);

  useEffect(
    () =>
      api.subscribe('events:appended', (event) => {
        if (event.monitorId === ups.monitorId && event.type === OUTAGE_RECORDED_EVENT)
          setReload((n) => n + 1);
      }),
    [ups.monitorId],
  );

  if (error) return <ErrorBox error={error} />;
  if (!health) return <Spinner label="Loading battery health" />;
  const { capacity } = health;
  return (
    <section aria-labelledby="battery-h" data-testid="battery-health">
      <h2 id="battery-h">Battery health</h2>
      {health.reminder ? (
        <Callout tone="bad" title="Replace the battery" testId="battery-reminder">
          <ul className="plain-list">
            {health.reasons.map((r) => (
              <li key={r.kind}>{r.text}</li>
            ))}
          </ul>
        </Callout>
      ) : (
        <p className="muted" data-testid="battery-no-reminder">
          Nothing says the battery needs replacing.
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>Age</dt>
          <dd data-testid="battery-age">
            {health.age.since === null
              ? `unknown${health.age.unreadable ? ` (${health.age.unreadable} is not a date)` : ''}: enter the date the battery was replaced below`
              : `${health.age.years?.toFixed(1)} years, since ${health.age.since} (from ${SOURCE_WORDS[health.age.source!]})`}
          </dd>
        </div>
        <div>
          <dt>REPLBATT</dt>
          <dd data-testid="battery-replbatt">
            {health.replbatt.current
              ? 'the UPS reports it now'
              : health.replbatt.history.length === 0
                ? 'never reported'
                : `last reported ${formatDateTime(health.replbatt.history[0]!.at)} (${health.replbatt.history.length} in all)`}
          </dd>
        </div>
        <div>
          <dt>Self-tests</dt>
          <dd data-testid="battery-self-tests">
            {health.selfTest.history.length === 0
              ? health.selfTest.result
                ? `ups.test.result: ${health.selfTest.result}`
                : 'none recorded (schedule one on the Commands tab)'
              : health.selfTest.history
                  .slice(0, 5)
                  .map(
                    (t) =>
                      `${formatDateTime(t.at)} ${t.result}${t.testResult ? ` (${t.testResult})` : ''}`,
                  )
                  .join('; ')}
          </dd>
        </div>
        <div>
          <dt>Capacity</dt>
          <dd data-testid="battery-capacity">{capacity.message}</dd>
        </div>
      </dl>
      {capacity.points.length > 0 && (
        <div className="table-wrap">
          <table data-testid="capacity-points">
            <caption className="muted small">
              Each outage of useful length: the discharge rate at its load, compared with the first
              outages of this battery (± one standard error).
            </caption>
            <thead>
              <tr>
                <th scope="col">Outage</th>
                <th scope="col">Load</th>
                <th scope="col">Discharge</th>
                <th scope="col">Capacity</th>
              </tr>
            </thead>
            <tbody>
              {capacity.points.map((p) => (
                <tr key={p.outageId}>
                  <td>{formatDateTime(p.at)}</td>
                  <td>{Math.round(p.load)} %</td>
                  <td>{p.ratePerMinute.toFixed(2)} %/min</td>
                  <td>
                    {p.baseline
                      ? 'baseline'
                      : `${Math.round(p.percent!)} % ± ${Math.max(1, Math.round(p.uncertainty ?? 0))}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ReplacedOnForm ups={ups} onSaved={() => setReload((n) => n + 1)} />
    </section>
  );
}

/** The date the battery was replaced (the config's batteryReplacedOn): age and which outages count. */
function ReplacedOnForm({ ups, onSaved }: { ups: UpsSnapshot; onSaved: () => void }) {
  const { data } = useConfig();
  const stored =
    data?.config.masters.find((m) => m.id === ups.masterId)?.ups.find((u) => u.name === ups.upsName)
      ?.batteryReplacedOn ?? '';
  const [value, setValue] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const shown = value ?? stored;

  const save = async () => {
    setSaving(true);
    setProblem(undefined);
    const result = await saveConfig((config) => {
      const entry = config.masters
        .find((m) => m.id === ups.masterId)
        ?.ups.find((u) => u.name === ups.upsName);
      if (entry) {
        if (shown === '') delete entry.batteryReplacedOn;
        else entry.batteryReplacedOn = shown;
      }
      return config;
    });
    setSaving(false);
    if (result.ok) {
      setValue(null);
      announce(
        shown ? `Battery replacement date saved: ${shown}.` : 'Battery replacement date cleared.',
      );
      onSaved();
    } else setProblem(result.issues.map((i) => i.message).join(' '));
  };

  return (
    <form
      className="row-gap"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Field
        label="Battery replaced on"
        hint="Outages before this day belong to the old battery; the age counts from it."
        error={problem}
      >
        {(props) => (
          <input
            {...props}
            type="date"
            value={shown}
            onChange={(e) => setValue(e.target.value)}
            data-testid="battery-replaced-on"
          />
        )}
      </Field>
      <button type="submit" className="button button-small" disabled={saving || value === null}>
        Save date
      </button>
    </form>
  );
}
