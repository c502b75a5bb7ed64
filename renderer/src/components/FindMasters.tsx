/**
 * "Find masters on my network": asks the core to probe this machine's own subnets and mDNS
 * (discovery:find-masters, anonymous reads only) and turns a found UPS into a prefilled master
 * entry with one click. The UPS comes from what the server offers: one → its button says so,
 * several → one button each, none → why.
 */
import { useId, useState } from 'react';
import type { DiscoveredServer, DiscoveryResult } from '../../../shared/discovery';
import { upsmonRight } from '../../../shared/rights';
import { api, errorText } from '../api';
import { href } from '../router';
import { announce } from '../store';
import { Callout, ErrorBox, Field } from './common';
import { PlusIcon, ServerIcon } from '../icons';

function serverTitle(server: DiscoveredServer): string {
  if (server.kind === 'synology') return 'Synology NAS';
  if (server.kind === 'refusing') return 'NUT server that refuses this machine';
  if (server.kind === 'unknown') return 'Something on the NUT port';
  return server.preset === 'proxmox'
    ? `Proxmox VE host (NUT ${server.nutVersion ?? ''})`.replace(' )', ')')
    : `NUT server ${server.nutVersion ?? ''}`.trim();
}

function labelFor(server: DiscoveredServer): string {
  const name = server.mdnsHost?.replace(/\.local\.?$/, '') ?? null;
  if (server.kind === 'synology') return name ? `Synology ${name}` : 'Synology NAS';
  if (server.preset === 'proxmox') return name ? `Proxmox ${name}` : 'Proxmox VE host';
  return name ?? `NUT ${server.host}`;
}

function addHref(server: DiscoveredServer, ups: string): string {
  return href({
    name: 'master-edit',
    masterId: null,
    preset: server.preset,
    prefill: { host: server.host, port: server.port, ups, label: labelFor(server) },
  });
}

function ServerResult({ server }: { server: DiscoveredServer }) {
  const protocol = server.protVer ?? server.netVer;
  return (
    <li
      className="found-server"
      data-testid="found-server"
      data-host={server.host}
      data-kind={server.kind}
    >
      <div className="found-server-head">
        <ServerIcon size={20} />
        <div>
          <strong>{serverTitle(server)}</strong> <code>{`${server.host}:${server.port}`}</code>
          {server.kind === 'refusing' && <span className="badge badge-bad">Not permitted</span>}
          <div className="muted small">
            {[
              server.mdnsName ? `announced as “${server.mdnsName}”` : null,
              protocol ? `protocol ${protocol}` : null,
              server.kind === 'nut' || server.kind === 'synology'
                ? `rights: ${upsmonRight(server.rightsWords, 'secondary')}`
                : null,
              server.starttls === 'offered'
                ? 'STARTTLS offered'
                : server.starttls === 'not-offered'
                  ? 'no STARTTLS'
                  : null,
            ]
              .filter(Boolean)
              .join(' · ')}
          </div>
        </div>
      </div>
      {server.kind === 'refusing' && (
        <Callout tone="bad" title="Not permitted" testId="found-not-permitted">
          <p>{server.problem}</p>
        </Callout>
      )}
      {server.kind !== 'refusing' && server.problem && (
        <p className="muted small">{server.problem}</p>
      )}
      {(server.kind === 'nut' || server.kind === 'synology') && server.ups.length === 0 && (
        <p className="muted small" data-testid="found-no-ups">
          This server offers no UPS: its ups.conf defines none, or the UPS driver is not running on
          it.
        </p>
      )}
      {server.ups.length > 0 && (
        <ul className="found-ups">
          {server.ups.map((ups) => (
            <li key={ups.name} data-testid="found-ups" data-ups={ups.name}>
              <span>
                <code>{ups.name}</code>
                {ups.description &&
                ups.description !== 'Unavailable' &&
                ups.description !== ups.name
                  ? ` — ${ups.description}`
                  : ''}
                {ups.model ? <span className="muted"> · {ups.model}</span> : null}
                {ups.status ? <span className="muted"> · {ups.status}</span> : null}
              </span>
              <a
                className="button button-small button-primary"
                href={addHref(server, ups.name)}
                data-testid="add-found-ups"
              >
                <PlusIcon size={14} />{' '}
                {server.ups.length === 1 ? 'Add this master' : `Add ${ups.name}`}
              </a>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

export function FindMasters({ compact = false }: { compact?: boolean }) {
  const ids = useId();
  const [state, setState] = useState<{
    running: boolean;
    result: DiscoveryResult | null;
    error: { message: string; fix?: string } | null;
  }>({ running: false, result: null, error: null });
  const [range, setRange] = useState('');
  const [outside, setOutside] = useState(false);

  const search = async () => {
    setState({ running: true, result: null, error: null });
    try {
      const ranges = range.split(/[\s,]+/).filter(Boolean);
      const result = await api.invoke('discovery:find-masters', {
        ranges,
        allowOutsideLocal: outside,
      });
      setState({ running: false, result, error: null });
      announce(
        result.servers.length === 0
          ? 'No NUT server found.'
          : `Found ${result.servers.length} NUT server${result.servers.length === 1 ? '' : 's'}.`,
      );
    } catch (error) {
      setState({ running: false, result: null, error: errorText(error) });
    }
  };

  return (
    <section
      className={`find-masters${compact ? ' is-compact' : ''}`}
      aria-label="Find masters on my network"
      data-testid="find-masters"
    >
      <div className="find-masters-row">
        <button
          type="button"
          className="button button-primary"
          onClick={() => void search()}
          disabled={state.running}
          data-testid="find-masters-button"
        >
          {state.running ? 'Searching…' : 'Find masters on my network'}
        </button>
        <span className="muted small">
          Asks every address of your own network on port 3493 and mDNS; sends no password.
        </span>
      </div>
      <details className="advanced">
        <summary>Search a specific range</summary>
        <div className="form-grid">
          <Field
            label="Addresses"
            hint="e.g. 192.168.8.0/24 or 192.168.8.99; empty: this machine’s own networks."
          >
            {(p) => (
              <input
                {...p}
                className="mono"
                value={range}
                onChange={(e) => setRange(e.target.value)}
                placeholder="192.168.1.0/24"
                spellCheck={false}
                data-testid="find-masters-range"
              />
            )}
          </Field>
        </div>
        <label className="check">
          <input
            type="checkbox"
            id={`${ids}-outside`}
            checked={outside}
            onChange={(e) => setOutside(e.target.checked)}
          />{' '}
          Search outside my networks (only ranges you are allowed to scan)
        </label>
      </details>
      <ErrorBox error={state.error} testId="find-masters-error" />
      {state.result && (
        <div className="find-masters-result" data-testid="find-masters-result" aria-live="polite">
          <p className="muted small">
            Searched {state.result.scanned.map((r) => r.cidr).join(', ')}
            {state.result.mdns.browsed ? ' and mDNS' : ''} in{' '}
            {(state.result.durationMs / 1000).toFixed(1)} s.
          </p>
          {state.result.scanned.map(
            (r) =>
              r.note && (
                <p key={r.cidr} className="muted small">
                  {r.note}
                </p>
              ),
          )}
          {state.result.mdns.error && <p className="muted small">{state.result.mdns.error}</p>}
          {state.result.servers.length === 0 ? (
            <Callout tone="warn" title="No NUT server answered" testId="found-nothing">
              <p>
                Is the master on this network with its NUT server on? Synology: Control Panel →
                Hardware &amp; Power → UPS → “Enable network UPS server”. Proxmox: a `LISTEN` line
                in /etc/nut/upsd.conf. Or add it by hand with its address.
              </p>
            </Callout>
          ) : (
            <ul className="found-servers">
              {state.result.servers.map((server) => (
                <ServerResult key={`${server.host}:${server.port}`} server={server} />
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
