import { EmptyState, ErrorBox, Spinner } from '../../components/common';
import { FindMasters } from '../../components/FindMasters';
import { useConfig } from '../../config-edit';
import { ROLE_LABEL } from '../../format';
import { CheckIcon, LockIcon, PlusIcon, ServerIcon } from '../../icons';
import { href } from '../../router';
import { useApp } from '../../store';
import { MASTER_PRESETS } from '../../../../shared/config';

export function MastersList() {
  const { data, error } = useConfig();
  const snapshot = useApp((s) => s.snapshot);
  if (error) return <ErrorBox error={{ message: error }} />;
  if (!data) return <Spinner />;
  const masters = data.config.masters;
  const add = (
    <div className="add-buttons">
      <a
        className="button button-primary"
        href={href({ name: 'master-edit', masterId: null, preset: 'synology' })}
        data-testid="add-master-synology"
      >
        <PlusIcon size={16} /> Synology NAS
      </a>
      <a
        className="button button-primary"
        href={href({ name: 'master-edit', masterId: null, preset: 'proxmox' })}
        data-testid="add-master-proxmox"
      >
        <PlusIcon size={16} /> Proxmox VE host
      </a>
      <a
        className="button"
        href={href({ name: 'master-edit', masterId: null, preset: 'generic' })}
        data-testid="add-master-generic"
      >
        <PlusIcon size={16} /> Other NUT server
      </a>
    </div>
  );
  return (
    <section aria-labelledby="masters-h">
      <div className="section-head">
        <h2 id="masters-h">Masters</h2>
      </div>
      {masters.length === 0 ? (
        <EmptyState title="No master yet" action={add}>
          <p>
            A master is the machine the UPS is plugged into (a Synology NAS, a Proxmox VE host, any
            NUT server). Or import an existing upsmon.conf.
          </p>
          <FindMasters />
        </EmptyState>
      ) : (
        <>
          <ul className="master-list">
            {masters.map((m) => (
              <li
                key={m.id}
                className="master-item"
                data-testid="master-item"
                data-master-id={m.id}
              >
                <div className="master-item-main">
                  <ServerIcon size={20} />
                  <div>
                    <a
                      className="master-item-title"
                      href={href({ name: 'master-edit', masterId: m.id, preset: m.preset })}
                    >
                      {m.label}
                    </a>
                    <div className="muted small">
                      {MASTER_PRESETS[m.preset].label} ·{' '}
                      <code>
                        {m.host}:{m.port}
                      </code>
                      {m.tls.mode !== 'off' && <> · TLS {m.tls.mode}</>}
                    </div>
                  </div>
                </div>
                <ul className="master-ups">
                  {m.ups.map((u) => {
                    const snap = snapshot?.ups.find((s) => s.monitorId === `${m.id}/${u.name}`);
                    const stored = data.storedPasswords.includes(`${m.id}/${u.name}`);
                    return (
                      <li key={u.name}>
                        <code>{u.name}</code> · {ROLE_LABEL[u.role]}
                        {u.username ? ` · ${u.username}` : ' · anonymous'}
                        {u.password.source === 'store' &&
                          u.username &&
                          (stored ? (
                            <span className="badge">
                              <CheckIcon size={12} /> password stored
                            </span>
                          ) : (
                            <span className="badge badge-warn">
                              <LockIcon size={12} /> no password stored
                            </span>
                          ))}
                        {snap?.connection === 'login-refused' && (
                          <span className="badge badge-bad">login refused</span>
                        )}
                        {snap?.connection === 'not-permitted' && (
                          <span className="badge badge-bad">not permitted</span>
                        )}
                      </li>
                    );
                  })}
                </ul>
                <a
                  className="button button-small"
                  href={href({ name: 'master-edit', masterId: m.id, preset: m.preset })}
                  aria-label={`Edit ${m.label}`}
                >
                  Edit
                </a>
              </li>
            ))}
          </ul>
          <h3 className="subhead">Add another master</h3>
          <FindMasters compact />
          {add}
        </>
      )}
      <p className="muted small">
        Configuration file: <code>{data.path}</code>
      </p>
    </section>
  );
}
