/** The master's STARTTLS settings: mode, a pinned fingerprint or CA, or "accept any". */
import { impliedTlsMode } from '../../../../shared/config';
import { Field } from '../../components/common';
import { type Issue, issueAt } from '../../config-edit';
import { type MasterForm, pinnedTls, tlsOf } from './master-form';

export function TlsSection({
  form,
  issues,
  onChange,
}: {
  form: MasterForm;
  issues: Issue[];
  onChange: (change: Partial<MasterForm>) => void;
}) {
  return (
    <details className="advanced" open={form.tlsMode !== 'off'}>
      <summary>Encryption (STARTTLS)</summary>
      <div className="form-grid">
        <Field
          label="TLS"
          hint={
            pinnedTls(form)
              ? 'Required: with a pinned fingerprint or CA, falling back to plain text would hand the password to whoever declines STARTTLS.'
              : 'Synology and most appliances do not offer STARTTLS.'
          }
        >
          {(p) => (
            <select
              {...p}
              value={impliedTlsMode(tlsOf(form))}
              onChange={(e) => onChange({ tlsMode: e.target.value as MasterForm['tlsMode'] })}
              data-testid="master-tls"
            >
              <option value="off">Off (plain text, like upsmon)</option>
              <option value="opportunistic" disabled={pinnedTls(form)}>
                When offered{pinnedTls(form) ? ' (not with a pinned certificate)' : ''}
              </option>
              <option value="required">Required</option>
            </select>
          )}
        </Field>
        <Field
          label="Pinned certificate fingerprint (SHA-256)"
          error={issueAt(issues, 'tls.fingerprint256')}
        >
          {(p) => (
            <input
              {...p}
              className="mono"
              value={form.fingerprint}
              onChange={(e) => onChange({ fingerprint: e.target.value })}
              placeholder="AB:CD:…"
              spellCheck={false}
            />
          )}
        </Field>
      </div>
      <Field label="CA or server certificate (PEM)">
        {(p) => (
          <textarea
            {...p}
            className="mono"
            rows={3}
            value={form.caPem}
            onChange={(e) => onChange({ caPem: e.target.value })}
            placeholder="-----BEGIN CERTIFICATE-----"
            spellCheck={false}
          />
        )}
      </Field>
      <label className="check">
        <input
          type="checkbox"
          checked={form.insecure}
          onChange={(e) => onChange({ insecure: e.target.checked })}
        />{' '}
        Accept any certificate (encrypts, but does not prove it is your master)
      </label>
    </details>
  );
}
