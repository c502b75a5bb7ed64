/** One UPS: the live card, then history charts, every variable, connected clients and its events. */
import { type RefObject, memo, useEffect, useId, useMemo, useRef, useState } from 'react';
import { sampleBucketMs } from '../../../shared/history';
import type { ResponseOf } from '../../../shared/ipc';
import type { UpsSnapshot } from '../../../shared/snapshot';
import { api, errorText } from '../api';
import { METRIC_SPECS, MetricChart, buildSeries } from '../components/Chart';
import { ClientsPanel } from '../components/ClientsPanel';
import { EmptyState, ErrorBox, Segmented, Spinner, TabLinks } from '../components/common';
import { EventLog, RecentEvents } from '../components/EventLog';
import { UpsCard } from '../components/UpsCard';
import { FsdTest } from './FsdTest';
import { ControlsTab } from './ups-detail/ControlsTab';
import { WhatIfPanel } from './ups-detail/WhatIfPanel';
import { BatteryHealthPanel } from './ups-detail/BatteryHealthPanel';
import { OutagesPanel } from './OutagesView';
import { useConfig } from '../config-edit';
import { formatAge, formatDateTime } from '../format';
import {
  type ChartMarker,
  DEFAULT_HISTORY_RANGE,
  HISTORY_RANGES,
  type HistoryRangeId,
  chartMarkers,
  firstReadingAt,
  historyRefreshMs,
  historyWindow,
} from '../history-range';
import { ArrowLeftIcon, RefreshIcon, SearchIcon } from '../icons';
import { type UpsTab, href, upsHref } from '../router';
import { useApp, useNow } from '../store';

const TABS: { id: UpsTab; label: string }[] = [
  { id: 'history', label: 'History' },
  { id: 'variables', label: 'Variables' },
  { id: 'clients', label: 'Clients' },
  { id: 'events', label: 'Events' },
  { id: 'outages', label: 'Outages' },
  { id: 'battery', label: 'Battery' },
  { id: 'controls', label: 'Commands' },
  { id: 'what-if', label: 'What if' },
  { id: 'fsd-test', label: 'FSD test' },
];

export function UpsDetail({ monitorId, tab }: { monitorId: string; tab: UpsTab }) {
  const ups = useApp((s) => s.snapshot?.ups.find((u) => u.monitorId === monitorId));
  const loaded = useApp((s) => s.snapshot !== null);

  if (!ups) {
    return (
      <>
        <h1 tabIndex={-1} data-route-heading>
          UPS {monitorId}
        </h1>
        {loaded ? (
          <EmptyState
            title="This UPS is not monitored"
            action={
              <a className="button" href="#/">
                Back to the dashboard
              </a>
            }
          >
            <p>It may have been removed from the configuration.</p>
          </EmptyState>
        ) : (
          <Spinner />
        )}
      </>
    );
  }

  return (
    <>
      <a className="back-link" href="#/">
        <ArrowLeftIcon size={16} /> Dashboard
      </a>
      <div className="page-head">
        <h1 tabIndex={-1} data-route-heading>
          {ups.upsName} <span className="muted">on {ups.masterLabel}</span>
        </h1>
        <a
          className="button button-ghost button-small"
          href={href({ name: 'master-edit', masterId: ups.masterId, preset: 'generic' })}
        >
          Edit master
        </a>
      </div>
      <RecentEvents monitorId={ups.monitorId} />
      <UpsCard ups={ups} variant="detail" />
      <TabLinks
        tabs={TABS}
        current={tab}
        hrefOf={(t) => upsHref(monitorId, t)}
        label="UPS sections"
      />
      <div className="tab-panel">
        {tab === 'history' && <HistoryPanel monitorId={ups.monitorId} />}
        {tab === 'variables' && <VariablesPanel ups={ups} />}
        {tab === 'clients' && <ClientsTab ups={ups} />}
        {tab === 'events' && (
          <EventLog fixedMonitorId={ups.monitorId} title={`Events of ${ups.upsName}`} />
        )}
        {tab === 'outages' && <OutagesPanel monitorId={ups.monitorId} />}
        {tab === 'battery' && <BatteryHealthPanel ups={ups} />}
        {tab === 'controls' && <ControlsTab ups={ups} />}
        {tab === 'what-if' && <WhatIfPanel ups={ups} />}
        {tab === 'fsd-test' && <FsdTest ups={ups} />}
      </div>
    </>
  );
}

function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      setWidth((old) => (Math.abs(old - w) >= 8 ? w : old));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}

/**
 * Keyed on the UPS id only: status pushes do not re-render the charts. The default range fits
 * the data that exists ("since first sample"); ONBATT, LOWBATT, FSD and SHUTDOWN from the event
 * log are markers on the time axis.
 */
const HistoryPanel = memo(function HistoryPanel({ monitorId }: { monitorId: string }) {
  const [choice, setChoice] = useState<{ range: HistoryRangeId; picked: boolean }>({
    range: DEFAULT_HISTORY_RANGE,
    picked: false,
  });
  const gridRef = useRef<HTMLDivElement>(null);
  const gridWidth = useWidth(gridRef);
  // Two charts side by side when wide: each is about half the grid.
  const chartWidth = gridWidth >= 760 ? Math.floor((gridWidth - 24) / 2) - 24 : gridWidth - 24;
  const [result, setResult] = useState<{
    samples: ResponseOf<'history:query-samples'>;
    markers: ChartMarker[];
    from: number;
    to: number;
    bucketMs: number;
    sinceFirstSample: boolean;
  } | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const [reload, setReload] = useState(0);
  const spec = HISTORY_RANGES.find((r) => r.value === choice.range)!;
  const maxPoints = Math.max(60, Math.min(2000, chartWidth));

  useEffect(() => {
    if (chartWidth <= 0) return;
    let cancelled = false;
    /** Reads the window; resolves to the span it shows (ms), or null while it has no reading. */
    const load = async (): Promise<number | null> => {
      const now = Date.now();
      const rangeFrom = now - spec.ms;
      const query = (from: number) =>
        api.invoke('history:query-samples', { monitorId, from, to: now, maxPoints });
      let samples = await query(rangeFrom);
      let window = historyWindow({
        rangeMs: spec.ms,
        picked: choice.picked,
        firstSampleAt: firstReadingAt(samples),
        now,
      });
      // Less data than the range: read again from the first sample, at full resolution.
      if (window.sinceFirstSample) {
        samples = await query(window.from);
        window = { ...window, from: Math.min(window.from, firstReadingAt(samples) ?? window.from) };
      }
      const [own, host] = await Promise.all([
        api.invoke('events:query', {
          monitorId,
          kinds: ['notify'],
          types: ['ONBATT', 'LOWBATT', 'FSD'],
          from: window.from,
          to: now,
          limit: 500,
        }),
        api.invoke('events:query', {
          monitorId: '*',
          kinds: ['notify'],
          types: ['SHUTDOWN'],
          from: window.from,
          to: now,
          limit: 100,
        }),
      ]);
      if (cancelled) return null;
      setResult({
        samples,
        markers: chartMarkers([...own, ...host], window.from, now),
        from: window.from,
        to: now,
        bucketMs: sampleBucketMs(window.from, now, maxPoints),
        sinceFirstSample: window.sinceFirstSample,
      });
      setError(null);
      return firstReadingAt(samples) === null ? null : now - window.from;
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = (): void => {
      void load()
        .then(historyRefreshMs, (e: unknown) => {
          if (!cancelled) setError(errorText(e));
          return spec.refreshMs;
        })
        .then((delayMs) => {
          if (!cancelled) timer = setTimeout(run, delayMs);
        });
    };
    run();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [monitorId, spec, choice.picked, maxPoints, chartWidth, reload]);

  const series = useMemo(
    () =>
      result
        ? METRIC_SPECS.map((s) => buildSeries(result.samples, s.metric, result.bucketMs))
        : null,
    [result],
  );

  return (
    <section aria-labelledby="history-h" data-testid="history-panel">
      <div className="section-head">
        <h2 id="history-h">History</h2>
        <div className="row-gap">
          <span className="legend-onbatt">
            <span className="swatch" aria-hidden="true" /> on battery
          </span>
          <Segmented
            options={HISTORY_RANGES.map((r) => ({ value: r.value, label: r.label }))}
            value={choice.range}
            onChange={(range) => setChoice({ range, picked: true })}
            label="Time range"
            testId="history-range"
          />
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={() => setReload((r) => r + 1)}
            aria-label="Reload history"
          >
            <RefreshIcon size={16} />
          </button>
        </div>
      </div>
      {result && (
        <p
          className="muted small history-span"
          data-testid="history-span"
          data-since-first-sample={result.sinceFirstSample ? 'true' : 'false'}
        >
          {result.sinceFirstSample
            ? `Since first sample: ${formatDateTime(result.from)} (${formatAge(result.to - result.from).replace(' ago', '')})`
            : `Last ${spec.label}`}
          {result.markers.length > 0 &&
            ` · ${result.markers.length} ${result.markers.length === 1 ? 'event' : 'events'} marked (B on battery, L low battery, F FSD, S shutdown)`}
        </p>
      )}
      <ErrorBox error={error} />
      <div className="chart-grid" ref={gridRef}>
        {!series && !error && <Spinner label="Loading history" />}
        {series &&
          result &&
          METRIC_SPECS.map((s, i) => (
            <MetricChart
              key={s.metric}
              spec={s}
              series={series[i]!}
              from={result.from}
              to={result.to}
              width={chartWidth}
              markers={result.markers}
              testId={`chart-${s.metric}`}
            />
          ))}
      </div>
      {result && result.samples.length === 0 && (
        <p className="muted">
          No history recorded for this period yet. Samples are kept while NUT Sentinel runs.
        </p>
      )}
      <p className="muted small">
        Gaps are periods without readings (NUT Sentinel not running, this machine asleep, or the
        master unreachable) — they are never filled in.
      </p>
    </section>
  );
});

function VariablesPanel({ ups }: { ups: UpsSnapshot }) {
  const [query, setQuery] = useState('');
  const [reload, setReload] = useState(0);
  const key = `${ups.monitorId}#${reload}`;
  const [state, setState] = useState<{
    key: string;
    vars: ResponseOf<'ups:get-variables'> | null;
    readAt: number | null;
    error: { message: string; fix?: string } | null;
  }>({
    key: '',
    vars: null,
    readAt: null,
    error: null,
  });
  const { vars, readAt, error } = state;
  const loading = state.key !== key;
  const now = useNow();
  const ids = useId();

  useEffect(() => {
    let cancelled = false;
    api
      .invoke('ups:get-variables', { monitorId: ups.monitorId })
      .then((v) => {
        if (!cancelled)
          setState({
            key,
            vars: [...v].sort((a, b) => a.name.localeCompare(b.name)),
            readAt: Date.now(),
            error: null,
          });
      })
      .catch((e: unknown) => {
        if (!cancelled) setState((s) => ({ ...s, key, error: errorText(e) }));
      });
    return () => {
      cancelled = true;
    };
  }, [ups.monitorId, key]);

  const q = query.trim().toLowerCase();
  const shown = (vars ?? []).filter(
    (v) =>
      q === '' ||
      v.name.toLowerCase().includes(q) ||
      v.value.toLowerCase().includes(q) ||
      (v.description ?? '').toLowerCase().includes(q),
  );

  return (
    <section aria-labelledby={`${ids}-h`} data-testid="variables-panel">
      <div className="section-head">
        <h2 id={`${ids}-h`}>Variables</h2>
        <div className="row-gap">
          {readAt !== null && (
            <span className="muted small">read {formatAge(Math.max(0, now - readAt))}</span>
          )}
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={() => setReload((r) => r + 1)}
            disabled={loading}
          >
            <RefreshIcon size={16} /> Read again
          </button>
        </div>
      </div>
      <div className="filter-search wide" role="search">
        <SearchIcon size={16} />
        <label htmlFor={`${ids}-q`} className="visually-hidden">
          Search variables
        </label>
        <input
          id={`${ids}-q`}
          type="search"
          placeholder="Search names, values and descriptions"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="variables-search"
        />
      </div>
      {error && (
        <ErrorBox
          error={{
            message: error.message,
            fix:
              error.fix ??
              (ups.connection !== 'connected'
                ? 'The master is not answering right now; the dashboard keeps the last known readings.'
                : undefined),
          }}
        />
      )}
      {!vars && !error && <Spinner label="Reading variables" />}
      {vars && (
        <>
          <p className="muted small" aria-live="polite">
            {shown.length} of {vars.length} variables
          </p>
          <div className="table-wrap">
            <table className="vars-table" data-testid="variables-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Value</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((v) => (
                  <tr key={v.name} data-testid="variable-row" data-name={v.name}>
                    <th scope="row">
                      <code>{v.name}</code>
                    </th>
                    <td>
                      <code className="var-value">{v.value}</code>
                      {v.writable && (
                        <span className="badge" title="Writable with upsrw (SET VAR)">
                          rw
                        </span>
                      )}
                    </td>
                    <td className={v.description ? undefined : 'muted'}>
                      {v.description ?? 'No description from the server'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function ClientsTab({ ups }: { ups: UpsSnapshot }) {
  const { data, error } = useConfig();
  return (
    <>
      {error && <ErrorBox error={{ message: error }} />}
      <ClientsPanel ups={ups} config={data} headingLevel={2} />
      <p className="muted small">
        The master counts secondaries that logged in (LOGIN) and waits for them to log out before it
        cuts power. Pin the machines that should always be logged in: NUT Sentinel notifies you when
        one goes missing — before an outage.
      </p>
    </>
  );
}
