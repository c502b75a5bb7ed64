/**
 * The secondaries logged in to one UPS on its master (LIST CLIENT, with host names), this
 * machine marked, NUMLOGINS when the server cannot list, and the clients the user expects
 * ("pinned"), missing ones highlighted. Pinning edits `expectedClients` through config:save.
 */
import { type FormEvent, useId, useState } from 'react';
import type { UpsSnapshot } from '../../../shared/snapshot';
import { type ConfigData, saveConfig } from '../config-edit';
import { formatAge } from '../format';
import { AlertIcon, CheckIcon, PinIcon } from '../icons';
import { toast, useCoreNow } from '../store';
import { ErrorBox } from './common';
import { MasterSees } from './MasterSees';

interface Row {
  key: string;
  address: string | null;
  hostname: string | null;
  isThisMachine: boolean;
  pinnedAs: string | null;
  missing: boolean;
}

function buildRows(ups: UpsSnapshot, expected: string[]): Row[] {
  const rows: Row[] = [];
  const matched = new Set<string>();
  for (const c of ups.clients.list ?? []) {
    const pin =
      expected.find(
        (e) =>
          e === c.address || (c.hostname !== null && e.toLowerCase() === c.hostname.toLowerCase()),
      ) ?? null;
    if (pin) matched.add(pin);
    rows.push({
      key: `c:${c.address}`,
      address: c.address,
      hostname: c.hostname,
      isThisMachine: c.isThisMachine,
      pinnedAs: pin,
      missing: false,
    });
  }
  for (const e of expected) {
    if (matched.has(e)) continue;
    rows.push({
      key: `e:${e}`,
      address: null,
      hostname: e,
      isThisMachine: false,
      pinnedAs: e,
      missing: ups.clients.missingExpected.includes(e),
    });
  }
  return rows;
}

export function ClientsPanel({
  ups,
  config,
  headingLevel = 3,
}: {
  ups: UpsSnapshot;
  config: ConfigData | null;
  headingLevel?: 2 | 3;
}) {
  const now = useCoreNow();
  const ids = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string } | null>(null);
  const [newHost, setNewHost] = useState('');
  const entry = config?.config.masters
    .find((m) => m.id === ups.masterId)
    ?.ups.find((u) => u.name === ups.upsName);
  const expected = entry?.expectedClients ?? [];
  const rows = buildRows(ups, expected);
  const { list, numLogins, at } = ups.clients;
  const Heading = headingLevel === 2 ? 'h2' : 'h3';

  async function setExpected(change: (list: string[]) => string[], done: string) {
    setBusy(true);
    setError(null);
    const result = await saveConfig((c) => {
      const master = c.masters.find((m) => m.id === ups.masterId);
      const u = master?.ups.find((x) => x.name === ups.upsName);
      if (!u) throw new Error(`${ups.monitorId} is no longer configured.`);
      u.expectedClients = change(u.expectedClients);
      return c;
    });
    setBusy(false);
    if (result.ok) toast(done);
    else
      setError({
        message: result.issues
          .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
          .join(' '),
      });
  }

  const pin = (host: string) =>
    setExpected(
      (l) => (l.includes(host) ? l : [...l, host]),
      `${host} pinned as an expected client.`,
    );
  const unpin = (host: string) =>
    setExpected((l) => l.filter((x) => x !== host), `${host} unpinned.`);

  const onAdd = (e: FormEvent) => {
    e.preventDefault();
    const host = newHost.trim();
    if (!host) return;
    void pin(host).then(() => setNewHost(''));
  };

  let summary: string;
  if (list !== null)
    summary = `${list.length} ${list.length === 1 ? 'system' : 'systems'} logged in`;
  else if (numLogins !== null)
    summary = `The master cannot list its clients; it reports ${numLogins} ${numLogins === 1 ? 'login' : 'logins'} (NUMLOGINS)`;
  else summary = 'Not known right now (no answer from the master)';

  return (
    <section
      className="clients-panel"
      aria-labelledby={`${ids}-h`}
      data-testid="clients-panel"
      data-monitor-id={ups.monitorId}
    >
      <div className="section-head">
        <Heading id={`${ids}-h`}>
          {ups.upsName} <span className="muted">on {ups.masterLabel}</span>
        </Heading>
        <span className="muted small">
          {at !== null ? `checked ${formatAge(Math.max(0, now - at))}` : ''}
        </span>
      </div>
      <p className="clients-summary-line" data-testid="clients-count">
        {summary}
        {ups.clients.missingExpected.length > 0 && (
          <strong className="text-bad" data-testid="clients-missing-count">
            {' '}
            · {ups.clients.missingExpected.length} expected{' '}
            {ups.clients.missingExpected.length === 1 ? 'client is' : 'clients are'} missing
          </strong>
        )}
      </p>
      <MasterSees ups={ups} />
      {rows.length > 0 && (
        <ul className="client-list" aria-label={`Clients of ${ups.upsName}`}>
          {rows.map((r) => (
            <li
              key={r.key}
              className={`client-row${r.missing ? ' is-missing' : ''}${r.isThisMachine ? ' is-self' : ''}`}
              data-testid="client-row"
              data-address={r.address ?? ''}
              data-missing={r.missing ? 'true' : 'false'}
            >
              <span className="client-status" aria-hidden="true">
                {r.missing ? (
                  <AlertIcon size={16} />
                ) : r.address !== null ? (
                  <CheckIcon size={16} />
                ) : (
                  <PinIcon size={16} />
                )}
              </span>
              <span className="client-names">
                <span className="client-primary">{r.hostname ?? r.address}</span>
                {r.address !== null && r.hostname !== null && (
                  <span className="client-secondary">{r.address}</span>
                )}
              </span>
              <span className="client-badges">
                {r.isThisMachine && <span className="badge badge-accent">This machine</span>}
                {r.pinnedAs !== null && !r.missing && r.address !== null && (
                  <span className="badge">Expected</span>
                )}
                {r.missing && <span className="badge badge-bad">Missing</span>}
                {r.pinnedAs !== null && r.address === null && !r.missing && (
                  <span className="badge">
                    Expected · {list === null ? 'cannot verify' : 'not seen'}
                  </span>
                )}
              </span>
              {r.pinnedAs !== null ? (
                <button
                  type="button"
                  className="button button-small button-ghost"
                  disabled={busy}
                  onClick={() => void unpin(r.pinnedAs!)}
                  aria-label={`Unpin ${r.pinnedAs}`}
                >
                  Unpin
                </button>
              ) : (
                <button
                  type="button"
                  className="button button-small"
                  disabled={busy || !entry}
                  onClick={() => void pin(r.hostname ?? r.address!)}
                  aria-label={`Pin ${r.hostname ?? r.address} as expected`}
                >
                  <PinIcon size={14} /> Pin
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={onAdd}>
        <label htmlFor={`${ids}-add`}>Expect another client</label>
        <input
          id={`${ids}-add`}
          value={newHost}
          onChange={(e) => setNewHost(e.target.value)}
          placeholder="IP address or host name"
          disabled={!entry}
        />
        <button
          type="submit"
          className="button button-small"
          disabled={busy || !entry || newHost.trim() === ''}
        >
          <PinIcon size={14} /> Pin
        </button>
      </form>
      <ErrorBox error={error} />
    </section>
  );
}
