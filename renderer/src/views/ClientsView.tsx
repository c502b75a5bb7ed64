/** Connected secondaries, grouped by master. */
import { ClientsPanel } from '../components/ClientsPanel';
import { EmptyState, ErrorBox, Spinner } from '../components/common';
import { useConfig } from '../config-edit';
import { ServerIcon } from '../icons';
import { href } from '../router';
import { useApp } from '../store';
import type { UpsSnapshot } from '../../../shared/snapshot';
import { describeServer } from '../format';

export function ClientsView() {
  const snapshot = useApp((s) => s.snapshot);
  const { data, error } = useConfig();
  const groups = new Map<string, UpsSnapshot[]>();
  for (const u of snapshot?.ups ?? [])
    groups.set(u.masterId, [...(groups.get(u.masterId) ?? []), u]);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1} data-route-heading>
          Connected secondaries
        </h1>
        <p className="page-sub">
          Which machines each master counts before it cuts power, and which expected ones are
          missing.
        </p>
      </div>
      {error && <ErrorBox error={{ message: error }} />}
      {!snapshot && <Spinner />}
      {snapshot && groups.size === 0 && (
        <EmptyState
          title="No master configured"
          action={
            <a
              className="button button-primary"
              href={href({ name: 'settings', section: 'masters' })}
            >
              Add a master
            </a>
          }
        />
      )}
      {[...groups.entries()].map(([masterId, list]) => {
        const first = list[0]!;
        const master = data?.config.masters.find((m) => m.id === masterId);
        return (
          <section
            key={masterId}
            className="panel"
            aria-labelledby={`master-${masterId}`}
            data-testid="master-clients"
            data-master-id={masterId}
          >
            <div className="panel-head">
              <h2 id={`master-${masterId}`}>
                <ServerIcon size={18} /> {first.masterLabel}
              </h2>
              <span className="muted small">
                {master ? `${master.host}:${master.port}` : ''} · {describeServer(first.server)}
              </span>
            </div>
            {list.map((u) => (
              <ClientsPanel key={u.monitorId} ups={u} config={data} />
            ))}
          </section>
        );
      })}
    </>
  );
}
