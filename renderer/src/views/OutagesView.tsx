/**
 * Outage records (main/outages): the list (blips grouped), one outage in detail with its
 * charge/runtime/load curve and event markers, and the CSV/JSON export — for every UPS on its own
 * page, or for one UPS on its Outages tab.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { sampleBucketMs } from '../../../shared/history';
import type { ResponseOf } from '../../../shared/ipc';
import {
  OUTAGE_END_TEXT,
  OUTAGE_RECORDED_EVENT,
  type OutageRecord,
  groupOutages,
} from '../../../shared/outages';
import { api, errorText } from '../api';
import { formatSpan } from '../battery-words';
import { METRIC_SPECS, MetricChart, buildSeries } from '../components/Chart';
import { EmptyState, ErrorBox, Field, Spinner } from '../components/common';
import { formatDateTime } from '../format';
import { chartMarkers } from '../history-range';
import { useApp } from '../store';
import { downloadFile } from '../download';

const CURVES = METRIC_SPECS.filter((s) => s.metric !== 'inputVoltage');

/** The whole Outages page: every UPS, with a UPS filter. */
export function OutagesView() {
  const upses = useApp((s) => s.snapshot?.ups ?? []);
  const [monitorId, setMonitorId] = useState<string>('');
  return (
    <>
      <h1 tabIndex={-1} data-route-heading>
        Outages
      </h1>
      <p className="muted">
        Every stretch on battery, from the first on-battery reading until the power came back or the
        machines went down. Battery health is on each UPS’s Battery tab.
      </p>
      <Field label="UPS">
        {(props) => (
          <select
            {...props}
            value={monitorId}
            onChange={(e) => setMonitorId(e.target.value)}
            data-testid="outages-ups-filter"
          >
            <option value="">Every UPS</option>
            {upses.map((u) => (
              <option key={u.monitorId} value={u.monitorId}>
                {u.upsName} on {u.masterLabel}
              </option>
            ))}
          </select>
        )}
      </Field>
      <OutagesPanel key={monitorId} monitorId={monitorId || undefined} />
    </>
  );
}

type OutageList = ResponseOf<'outages:list'>;

/** The list and the selected outage; refreshes when an outage is recorded. */
export function OutagesPanel({ monitorId }: { monitorId?: string | undefined }) {
  const [list, setList] = useState<OutageList | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let cancelled = false;
    api
      .invoke('outages:list', { ...(monitorId ? { monitorId } : {}), limit: 500 })
      .then((answer) => {
        if (cancelled) return;
        setList(answer);
        setError(null);
      })
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [monitorId, reload]);

  // A new record, or the start of one (ONBATT), reloads the list.
  useEffect(
    () =>
      api.subscribe('events:appended', (event) => {
        if (monitorId && event.monitorId !== monitorId) return;
        if (event.type === OUTAGE_RECORDED_EVENT || event.type === 'ONBATT')
          setReload((n) => n + 1);
      }),
    [monitorId],
  );

  const items = useMemo(() => (list ? groupOutages(list.records, list.blipSeconds) : []), [list]);
  const record = list?.records.find((r) => r.id === selected) ?? null;

  return (
    <section aria-labelledby="outages-h" data-testid="outages-panel">
      <div className="section-head">
        <h2 id="outages-h">Outages{list ? ` (${list.records.length})` : ''}</h2>
        <div className="row-gap">
          <ExportButton monitorId={monitorId} format="csv" label="Export CSV" />
          <ExportButton monitorId={monitorId} format="json" label="Export JSON" />
        </div>
      </div>
      <ErrorBox error={error} />
      {!list && !error && <Spinner label="Loading outages" />}
      {list && list.records.length === 0 && (
        <EmptyState title="No outage recorded yet">
          <p>
            When a UPS goes on battery, the outage is recorded here: how long it lasted, how far the
            charge fell, what the UPS promised, who logged out and how it ended.
          </p>
        </EmptyState>
      )}
      {list && list.records.length > 0 && (
        <>
          {list.blipCount > 0 && (
            <p className="muted small" data-testid="outages-blips">
              {list.blipCount} blip{list.blipCount === 1 ? '' : 's'} shorter than {list.blipSeconds}{' '}
              s, grouped.
            </p>
          )}
          <div className="table-wrap">
            <table className="outage-list" data-testid="outage-list">
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  {!monitorId && <th scope="col">UPS</th>}
                  <th scope="col">Duration</th>
                  <th scope="col">Lowest charge</th>
                  <th scope="col">Energy</th>
                  <th scope="col">Ended by</th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) =>
                  item.kind === 'blips' ? (
                    <tr key={item.ids[0]} className="muted" data-testid="outage-blips-row">
                      <td>{formatDateTime(item.lastAt)}</td>
                      {!monitorId && <td />}
                      <td colSpan={4}>
                        {item.count} blip{item.count === 1 ? '' : 's'} ({formatSpan(item.totalMs)}{' '}
                        in all)
                      </td>
                    </tr>
                  ) : (
                    <tr
                      key={item.record.id}
                      className={`outage-row${selected === item.record.id ? ' is-selected' : ''}`}
                      data-testid="outage-row"
                    >
                      <td>
                        <button
                          type="button"
                          className="button button-ghost button-small"
                          aria-expanded={selected === item.record.id}
                          onClick={() =>
                            setSelected((s) => (s === item.record.id ? null : item.record.id))
                          }
                        >
                          {formatDateTime(item.record.startedAt)}
                        </button>
                      </td>
                      {!monitorId && <td>{item.record.monitorId}</td>}
                      <td>
                        {formatSpan(item.record.durationMs)}
                        {item.record.endedAt === null && ' so far'}
                      </td>
                      <td>
                        {item.record.lowestCharge === null ? '—' : `${item.record.lowestCharge} %`}
                      </td>
                      <td>
                        {item.record.energyWh === null
                          ? '—'
                          : `${item.record.energyWh.toFixed(1)} Wh`}
                      </td>
                      <td>
                        {item.record.endedBy === null
                          ? 'in progress'
                          : OUTAGE_END_TEXT[item.record.endedBy]}
                      </td>
                    </tr>
                  ),
                )}
              </tbody>
            </table>
          </div>
        </>
      )}
      {record && <OutageDetail record={record} />}
    </section>
  );
}

function ExportButton({
  monitorId,
  format,
  label,
}: {
  monitorId: string | undefined;
  format: 'csv' | 'json';
  label: string;
}) {
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setError(null);
    try {
      const exp = await api.invoke('outages:export', {
        ...(monitorId ? { monitorId } : {}),
        format,
      });
      downloadFile(exp);
    } catch (e) {
      setError(errorText(e).message);
    }
  };
  return (
    <>
      <button
        type="button"
        className="button button-small"
        onClick={() => void download()}
        data-testid={`outages-export-${format}`}
      >
        {label}
      </button>
      {error && <span className="field-error">{error}</span>}
    </>
  );
}

function seconds(value: number | null): string {
  return value === null ? 'unknown' : formatSpan(value * 1000);
}

/** One outage: the figures, what was predicted vs what happened, who logged out, the curve. */
export function OutageDetail({ record: r }: { record: OutageRecord }) {
  const lowBatteryAt = r.events.find((e) => e.type === 'LOWBATT')?.at ?? null;
  return (
    <article
      className="outage-detail"
      aria-label={`Outage of ${formatDateTime(r.startedAt)}`}
      data-testid="outage-detail"
    >
      <h3>
        {r.monitorId}: {formatSpan(r.durationMs)} on battery from {formatDateTime(r.startedAt)}
      </h3>
      <dl className="facts">
        <div>
          <dt>Ended</dt>
          <dd>
            {r.endedAt === null
              ? 'still in progress'
              : `${formatDateTime(r.endedAt)}, by ${OUTAGE_END_TEXT[r.endedBy ?? 'power-back']}`}
          </dd>
        </div>
        <div>
          <dt>Charge</dt>
          <dd data-testid="outage-charge">
            {r.chargeAtStart === null
              ? 'not reported'
              : `${r.chargeAtStart} % at the start, lowest ${r.lowestCharge ?? '?'} %`}
            {r.discharge && ` (falling ${r.discharge.ratePerMinute.toFixed(2)} %/min)`}
          </dd>
        </div>
        <div>
          <dt>Runtime</dt>
          <dd data-testid="outage-runtime">
            the UPS promised {seconds(r.runtimeAtStartSeconds)} at the start; spent{' '}
            {formatSpan(r.durationMs)} on battery
          </dd>
        </div>
        <div>
          <dt>Load</dt>
          <dd>{r.meanLoad === null ? 'not reported' : `${Math.round(r.meanLoad)} % on average`}</dd>
        </div>
        <div>
          <dt>Energy</dt>
          <dd data-testid="outage-energy">
            {r.energyWh === null
              ? 'unknown: the UPS reports neither ups.realpower nor ups.realpower.nominal'
              : `${r.energyWh.toFixed(1)} Wh from ${r.energySource}${r.energyCoverage < 0.95 ? `, over ${Math.round(r.energyCoverage * 100)} % of the outage` : ''}`}
          </dd>
        </div>
        <div>
          <dt>Secondaries</dt>
          <dd data-testid="outage-logouts">
            {r.logouts.length === 0
              ? r.clientsAtStart === null
                ? 'the server does not list its clients'
                : 'none logged out'
              : r.logouts
                  .map(
                    (l) =>
                      `${l.hostname ?? l.address} logged out after ${formatSpan(l.at - r.startedAt)}`,
                  )
                  .join('; ')}
          </dd>
        </div>
        {r.prediction && (
          <div>
            <dt>Predicted vs actual</dt>
            <dd data-testid="outage-prediction">
              At the start: {r.prediction.headline} Low battery expected after{' '}
              {seconds(r.prediction.lowBatteryAtSeconds)}
              {lowBatteryAt !== null
                ? `, came after ${formatSpan(lowBatteryAt - r.startedAt)}`
                : ', did not come'}
              ; battery empty expected after {seconds(r.prediction.emptyAtSeconds)}.
            </dd>
          </div>
        )}
      </dl>
      <OutageCurve record={r} />
      {r.events.length > 0 && (
        <>
          <h4>Events in between</h4>
          <ul className="plain-list small" data-testid="outage-events">
            {r.events.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <span className="muted">+{formatSpan(e.at - r.startedAt)}</span>{' '}
                <code>{e.type}</code> {e.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </article>
  );
}

/** Charge, runtime and load from the sampled history around the outage, with its events marked. */
function OutageCurve({ record: r }: { record: OutageRecord }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [samples, setSamples] = useState<ResponseOf<'history:query-samples'> | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const from = r.startedAt - 60_000;
  const to = (r.endedAt ?? r.startedAt + r.durationMs) + 60_000;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver((entries) =>
      setWidth(Math.floor(entries[0]?.contentRect.width ?? 0)),
    );
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    let cancelled = false;
    api
      .invoke('history:query-samples', { monitorId: r.monitorId, from, to, maxPoints: 600 })
      .then((s) => !cancelled && setSamples(s))
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [r.monitorId, from, to]);

  const markers = useMemo(
    () =>
      chartMarkers(
        r.events.map((e) => ({ ...e, kind: 'notify' as const })),
        from,
        to,
      ),
    [r.events, from, to],
  );
  const bucketMs = sampleBucketMs(from, to, 600);
  // As on the History tab: two charts side by side when wide, each about half the grid.
  const chartWidth = width >= 760 ? Math.floor((width - 24) / 2) - 24 : Math.max(0, width - 24);
  return (
    <div ref={box} className="chart-grid outage-curve" data-testid="outage-curve">
      <ErrorBox error={error} />
      {!samples && !error && <Spinner label="Loading the curve" />}
      {samples && samples.length === 0 && (
        <p className="muted">
          No samples of this period in the history (history off, or older than its retention).
        </p>
      )}
      {samples &&
        samples.length > 0 &&
        CURVES.map((spec) => (
          <MetricChart
            key={spec.metric}
            spec={spec}
            series={buildSeries(samples, spec.metric, bucketMs)}
            from={from}
            to={to}
            width={chartWidth}
            markers={markers}
            testId={`outage-chart-${spec.metric}`}
          />
        ))}
    </div>
  );
}
