import { EmptyState, ErrorBox, Spinner } from '../components/common';
import { FindMasters } from '../components/FindMasters';
import { dashboardSummary } from '../format';
import { UpsCard } from '../components/UpsCard';
import { href } from '../router';
import { useApp } from '../store';

export function Dashboard() {
  const snapshot = useApp((s) => s.snapshot);
  const loadError = useApp((s) => s.loadError);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1} data-route-heading>
          Dashboard
        </h1>
        {snapshot && snapshot.ups.length > 0 && (
          <p className="page-sub" data-testid="summary-line">
            {dashboardSummary(snapshot.ups)}
          </p>
        )}
      </div>
      {loadError && !snapshot && <ErrorBox error={{ message: loadError }} />}
      {!snapshot && !loadError && <Spinner label="Loading status" />}
      {snapshot && snapshot.ups.length === 0 && (
        <EmptyState
          title="No UPS monitored yet"
          action={
            <>
              <a
                className="button button-primary"
                href={href({ name: 'master-edit', masterId: null, preset: 'synology' })}
                data-testid="add-synology"
              >
                Add a Synology NAS
              </a>
              <a
                className="button button-primary"
                href={href({ name: 'master-edit', masterId: null, preset: 'proxmox' })}
                data-testid="add-proxmox"
              >
                Add a Proxmox VE host
              </a>
              <a
                className="button"
                href={href({ name: 'master-edit', masterId: null, preset: 'generic' })}
                data-testid="add-generic"
              >
                Another NUT server
              </a>
              <a
                className="button button-ghost"
                href={href({ name: 'settings', section: 'import' })}
              >
                Import upsmon.conf
              </a>
            </>
          }
        >
          <p>
            NUT Sentinel watches a UPS that another machine shares over the network (the NUT master)
            and shuts this machine down in time. Add the master that has the UPS plugged in.
          </p>
          <FindMasters />
          <p className="muted small">Or pick what shares the UPS and enter its address:</p>
        </EmptyState>
      )}
      {snapshot && snapshot.ups.length > 0 && (
        <div className="card-grid" data-testid="ups-grid">
          {snapshot.ups.map((u) => (
            <UpsCard key={u.monitorId} ups={u} />
          ))}
        </div>
      )}
    </>
  );
}
