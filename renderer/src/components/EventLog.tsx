/** The event log with filters (UPS, kind, type, text, time), live-updated from `events:appended`. */
import { useCallback, useEffect, useId, useMemo, useState } from 'react';
import type { EventKind, EventQuery, StoredEvent } from '../../../shared/history';
import { eventTypeLabel } from '../../../shared/notify-types';
import { api, errorText } from '../api';
import { formatDateTime, formatWhen, fromDateTimeLocal } from '../format';
import { AlertIcon, InfoIcon, RefreshIcon, SearchIcon } from '../icons';
import { upsHref } from '../router';
import { useApp, useLiveEvents, useNow } from '../store';
import { ErrorBox, Spinner } from './common';

const KINDS: { id: EventKind; label: string }[] = [
  { id: 'notify', label: 'Notifications' },
  { id: 'hook', label: 'Hooks' },
  { id: 'system', label: 'System' },
  { id: 'fsd-test', label: 'FSD tests' },
];

const PAGE = 200;

const SEVERITY_RANK: Record<StoredEvent['severity'], number> = { info: 0, warning: 1, critical: 2 };

interface Filters {
  monitorId: string;
  kinds: EventKind[];
  type: string;
  /** Lowest severity shown ('' = all). */
  severity: '' | 'warning' | 'critical';
  text: string;
  from: string;
  to: string;
}

function toQuery(f: Filters, limit: number): EventQuery {
  const q: EventQuery = { limit };
  if (f.monitorId) q.monitorId = f.monitorId;
  if (f.kinds.length > 0 && f.kinds.length < KINDS.length) q.kinds = f.kinds;
  if (f.type) q.types = [f.type];
  if (f.text.trim()) q.text = f.text.trim().slice(0, 200);
  const from = fromDateTimeLocal(f.from);
  const to = fromDateTimeLocal(f.to);
  if (from !== undefined) q.from = from;
  if (to !== undefined) q.to = to + 59_999;
  return q;
}

function matches(e: StoredEvent, q: EventQuery): boolean {
  return (
    (q.monitorId === undefined || e.monitorId === q.monitorId) &&
    (q.kinds === undefined || q.kinds.includes(e.kind)) &&
    (q.types === undefined || q.types.includes(e.type)) &&
    (q.from === undefined || e.at >= q.from) &&
    (q.to === undefined || e.at <= q.to) &&
    (q.text === undefined || e.message.toLowerCase().includes(q.text.toLowerCase()))
  );
}

export function EventLog({
  fixedMonitorId,
  title = 'Events',
}: {
  fixedMonitorId?: string;
  title?: string;
}) {
  const ups = useApp((s) => s.snapshot?.ups);
  const now = useNow();
  const noFilters: Filters = {
    monitorId: fixedMonitorId ?? '',
    kinds: [],
    type: '',
    severity: '',
    text: '',
    from: '',
    to: '',
  };
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [debouncedText, setDebouncedText] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const [reloadKey, setReloadKey] = useState(0);
  const [state, setState] = useState<{
    key: string;
    events: StoredEvent[] | null;
    error: { message: string; fix?: string } | null;
  }>({ key: '', events: null, error: null });
  const ids = useId();

  useEffect(() => {
    const t = setTimeout(() => setDebouncedText(filters.text), 250);
    return () => clearTimeout(t);
  }, [filters.text]);

  const query = useMemo(
    () => toQuery({ ...filters, text: debouncedText }, limit),
    [filters, debouncedText, limit],
  );
  const key = `${JSON.stringify(query)}#${reloadKey}`;
  const { error } = state;
  // The severity filter is applied here (the store has no severity index); newest first.
  const minRank = filters.severity === '' ? 0 : SEVERITY_RANK[filters.severity];
  const events = useMemo(
    () => state.events?.filter((e) => SEVERITY_RANK[e.severity] >= minRank) ?? null,
    [state.events, minRank],
  );
  const loading = state.key !== key;

  useEffect(() => {
    let cancelled = false;
    api
      .invoke('events:query', query)
      .then((result) => {
        if (!cancelled)
          setState({ key, events: [...result].sort((a, b) => b.at - a.at), error: null });
      })
      .catch((e: unknown) => {
        if (!cancelled) setState((s) => ({ key, events: s.events, error: errorText(e) }));
      });
    return () => {
      cancelled = true;
    };
  }, [query, key]);

  useLiveEvents(
    useCallback(
      (e: StoredEvent) => {
        if (!matches(e, query)) return;
        setState((s) =>
          s.events === null || s.events.some((x) => x.id !== undefined && x.id === e.id)
            ? s
            : { ...s, events: [e, ...s.events] },
        );
      },
      [query],
    ),
  );

  // Only types that occurred (in what is loaded), plus the one chosen.
  const typeOptions = useMemo(() => {
    const seen = new Set<string>();
    for (const e of state.events ?? []) seen.add(e.type);
    if (filters.type) seen.add(filters.type);
    // Sorted as read: by the label, not the raw name.
    return [...seen].sort((a, b) => eventTypeLabel(a).localeCompare(eventTypeLabel(b)));
  }, [state.events, filters.type]);

  const labelOf = useMemo(() => {
    const map = new Map((ups ?? []).map((u) => [u.monitorId, `${u.upsName} · ${u.masterLabel}`]));
    return (id: string) => (id === '*' ? 'All' : (map.get(id) ?? id));
  }, [ups]);

  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => {
    setFilters((f) => ({ ...f, [key]: value }));
    setLimit(PAGE);
  };
  const filtered =
    filters.kinds.length > 0 ||
    filters.type !== '' ||
    filters.severity !== '' ||
    filters.text !== '' ||
    filters.from !== '' ||
    filters.to !== '' ||
    (!fixedMonitorId && filters.monitorId !== '');

  return (
    <section className="event-log" aria-labelledby={`${ids}-title`} data-testid="event-log">
      <div className="section-head">
        <h2 id={`${ids}-title`}>{title}</h2>
        <button
          type="button"
          className="button button-ghost button-small"
          onClick={() => setReloadKey((k) => k + 1)}
          aria-label="Reload events"
        >
          <RefreshIcon size={16} /> Reload
        </button>
      </div>
      <form
        className="filters"
        role="search"
        aria-label="Filter events"
        onSubmit={(e) => e.preventDefault()}
      >
        <div className="filter-field filter-grow">
          <label htmlFor={`${ids}-text`}>Search</label>
          <div className="filter-search">
            <SearchIcon size={16} />
            <input
              id={`${ids}-text`}
              type="search"
              placeholder="Words in the message"
              value={filters.text}
              onChange={(e) => set('text', e.target.value)}
              data-testid="event-filter-text"
            />
          </div>
        </div>
        {!fixedMonitorId && (
          <div className="filter-field">
            <label htmlFor={`${ids}-ups`}>UPS</label>
            <select
              id={`${ids}-ups`}
              value={filters.monitorId}
              onChange={(e) => set('monitorId', e.target.value)}
              data-testid="event-filter-ups"
            >
              <option value="">All UPSes</option>
              {(ups ?? []).map((u) => (
                <option key={u.monitorId} value={u.monitorId}>
                  {u.upsName} · {u.masterLabel}
                </option>
              ))}
              <option value="*">Not tied to a UPS</option>
            </select>
          </div>
        )}
        <div className="filter-field">
          <label htmlFor={`${ids}-type`}>Type</label>
          <select
            id={`${ids}-type`}
            value={filters.type}
            onChange={(e) => set('type', e.target.value)}
            data-testid="event-filter-type"
          >
            <option value="">All types</option>
            {typeOptions.map((t) => (
              <option key={t} value={t}>
                {eventTypeLabel(t)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter-field">
          <label htmlFor={`${ids}-severity`}>Severity</label>
          <select
            id={`${ids}-severity`}
            value={filters.severity}
            onChange={(e) => set('severity', e.target.value as Filters['severity'])}
            data-testid="event-filter-severity"
          >
            <option value="">All</option>
            <option value="warning">Warnings and critical</option>
            <option value="critical">Critical only</option>
          </select>
        </div>
        <div className="filter-field filter-date">
          <label htmlFor={`${ids}-from`}>From</label>
          <input
            id={`${ids}-from`}
            type="datetime-local"
            value={filters.from}
            onChange={(e) => set('from', e.target.value)}
            data-testid="event-filter-from"
          />
        </div>
        <div className="filter-field filter-date">
          <label htmlFor={`${ids}-to`}>To</label>
          <input
            id={`${ids}-to`}
            type="datetime-local"
            value={filters.to}
            onChange={(e) => set('to', e.target.value)}
            data-testid="event-filter-to"
          />
        </div>
        <div className="filter-row">
          <fieldset className="chips filter-kinds" data-testid="event-filter-kinds">
            <legend className="filter-legend">
              {filters.kinds.length === 0
                ? 'Show (all kinds; tick to show only those)'
                : 'Show only'}
            </legend>
            {KINDS.map((k) => (
              <label key={k.id} className={`chip${filters.kinds.includes(k.id) ? ' is-on' : ''}`}>
                <input
                  type="checkbox"
                  checked={filters.kinds.includes(k.id)}
                  onChange={(e) =>
                    set(
                      'kinds',
                      e.target.checked
                        ? [...filters.kinds, k.id]
                        : filters.kinds.filter((x) => x !== k.id),
                    )
                  }
                />
                {k.label}
              </label>
            ))}
          </fieldset>
          {filtered && (
            <button
              type="button"
              className="button button-ghost button-small"
              onClick={() => setFilters(noFilters)}
            >
              Clear filters
            </button>
          )}
        </div>
      </form>

      <ErrorBox error={error} />
      {events === null && !error && <Spinner label="Loading events" />}
      {events !== null && events.length === 0 && (
        <p className="muted empty-line">
          {filtered ? 'No event matches these filters.' : 'No events recorded yet.'}
        </p>
      )}
      {events !== null && events.length > 0 && (
        <div className="table-wrap">
          <table className="events-table" data-testid="events-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                {!fixedMonitorId && <th scope="col">UPS</th>}
                <th scope="col">Type</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody aria-live="polite" aria-relevant="additions">
              {events.map((e, i) => (
                <tr
                  key={e.id ?? `${e.at}-${i}`}
                  className={`sev-${e.severity}`}
                  data-testid="event-row"
                  data-type={e.type}
                  data-kind={e.kind}
                  data-severity={e.severity}
                >
                  <td className="nowrap">
                    <time dateTime={new Date(e.at).toISOString()} title={formatDateTime(e.at)}>
                      {formatWhen(e.at, now)}
                    </time>
                  </td>
                  {!fixedMonitorId && (
                    <td className="nowrap">
                      {e.monitorId !== '*' ? (
                        <a href={upsHref(e.monitorId, 'events')}>{labelOf(e.monitorId)}</a>
                      ) : typeof e.data?.triggeredBy === 'string' ? (
                        <a href={upsHref(e.data.triggeredBy, 'events')} data-testid="event-ups">
                          {labelOf(e.data.triggeredBy)}
                        </a>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  )}
                  <td className="nowrap">
                    <span className={`type-badge kind-${e.kind} sev-${e.severity}`}>
                      {e.severity === 'info' ? <InfoIcon size={13} /> : <AlertIcon size={13} />}
                      <span className="visually-hidden">{e.severity}: </span>
                      {e.type}
                    </span>
                  </td>
                  <td>
                    <span className="event-message">{e.message}</span>
                    {e.data && Object.keys(e.data).length > 0 && <EventData data={e.data} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {events !== null && events.length >= limit && (
        <button
          type="button"
          className="button"
          onClick={() => setLimit((l) => Math.min(5000, l + PAGE))}
          disabled={loading || limit >= 5000}
        >
          Show older events
        </button>
      )}
    </section>
  );
}

function EventData({ data }: { data: Record<string, unknown> }) {
  const { stdout, stderr, ...rest } = data;
  return (
    <details className="event-data">
      <summary>Details</summary>
      <dl>
        {Object.entries(rest).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
            </dd>
          </div>
        ))}
      </dl>
      {typeof stdout === 'string' && stdout !== '' && (
        <>
          <div className="small muted">Output</div>
          <pre>{stdout}</pre>
        </>
      )}
      {typeof stderr === 'string' && stderr !== '' && (
        <>
          <div className="small muted">Errors</div>
          <pre className="is-stderr">{stderr}</pre>
        </>
      )}
    </details>
  );
}

/** The last few events of one UPS, newest first, live: the detail page's header shows them. */
export function RecentEvents({ monitorId, count = 5 }: { monitorId: string; count?: number }) {
  const now = useNow();
  const [events, setEvents] = useState<StoredEvent[] | null>(null);
  useEffect(() => {
    let cancelled = false;
    api
      .invoke('events:query', { monitorId, limit: count })
      .then(
        (result) =>
          !cancelled && setEvents([...result].sort((a, b) => b.at - a.at).slice(0, count)),
      )
      .catch(() => !cancelled && setEvents([]));
    return () => {
      cancelled = true;
    };
  }, [monitorId, count]);
  useLiveEvents(
    useCallback(
      (e: StoredEvent) => {
        if (e.monitorId !== monitorId) return;
        setEvents((list) => [e, ...(list ?? [])].slice(0, count));
      },
      [monitorId, count],
    ),
  );
  if (!events || events.length === 0) return null;
  return (
    <section
      className="recent-events"
      aria-label={`Last ${count} events`}
      data-testid="recent-events"
    >
      <ol>
        {events.map((e, i) => (
          <li
            key={e.id ?? `${e.at}-${i}`}
            className={`sev-${e.severity}`}
            data-testid="recent-event"
            data-type={e.type}
          >
            <time dateTime={new Date(e.at).toISOString()} title={formatDateTime(e.at)}>
              {formatWhen(e.at, now)}
            </time>{' '}
            <span className={`type-badge kind-${e.kind} sev-${e.severity}`}>{e.type}</span>{' '}
            <span className="event-message">{e.message}</span>
          </li>
        ))}
      </ol>
      <a className="small" href={upsHref(monitorId, 'events')}>
        All events of this UPS
      </a>
    </section>
  );
}
