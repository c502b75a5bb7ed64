import { useCallback, useEffect, useState } from 'react';
import type { ResponseOf } from '../../../../shared/ipc';
import { api, errorText } from '../../api';
import { Callout, ErrorBox, Field } from '../../components/common';
import { formatDateTime, formatWhen } from '../../format';
import { useNow } from '../../store';

type Status = ResponseOf<'alerts:status'>[number];
type SecretField = 'token' | 'password' | 'signingKey' | 'authorization';

/** Which secret fields a channel type has (the config names where each lives). */
const SECRET_FIELDS: Record<string, readonly SecretField[]> = {
  webhook: ['authorization', 'signingKey'],
  ntfy: ['token'],
  gotify: ['token'],
  email: ['password'],
  mqtt: ['password'],
};

const STATE_TEXT: Record<Status['state'], string> = { ok: 'Delivering', failing: 'Failing (retrying)', idle: 'Nothing sent yet', disabled: 'Disabled' };

/**
 * Settings → Notifications → Remote alerts: each configured channel with its delivery status,
 * a Send test button and, for secrets kept in the store, a field to store one. Channels are
 * defined in the config file (README "Alerts beyond this desktop").
 */
export function AlertChannels() {
  const [status, setStatus] = useState<Status[] | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const refresh = useCallback(() => {
    api
      .invoke('alerts:status', undefined)
      .then(setStatus)
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 5_000);
    return () => clearInterval(timer);
  }, [refresh]);
  return (
    <section className="form-section" aria-labelledby="alert-channels" data-testid="alert-channels">
      <h2 id="alert-channels">Remote alerts</h2>
      <p className="muted">
        ntfy, Gotify, webhook, e-mail and MQTT channels are set in the config file under <code>alerts.channels</code>. Messages are queued and retried until delivered.
      </p>
      <ErrorBox error={error} />
      {status && status.length === 0 && <p className="muted">No alert channel configured.</p>}
      {status?.map((channel) => <ChannelRow key={channel.id} channel={channel} onChanged={refresh} />)}
    </section>
  );
}

function ChannelRow({ channel, onChanged }: { channel: Status; onChanged: () => void }) {
  const now = useNow();
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; detail: string } | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const sendTest = async () => {
    setTesting(true);
    setResult(null);
    setError(null);
    try {
      setResult(await api.invoke('alerts:test', { channelId: channel.id }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setTesting(false);
      onChanged();
    }
  };
  return (
    <div className={`channel channel-${channel.state}`} data-testid={`channel-${channel.id}`}>
      <div className="channel-head">
        <strong>{channel.id}</strong> <span className="muted">({channel.type})</span> <span data-testid={`channel-state-${channel.id}`}>{STATE_TEXT[channel.state]}</span>
      </div>
      <div className="muted small">
        {channel.delivered} delivered · {channel.pending} waiting · {channel.failed} given up
        {channel.lastDeliveredAt !== null && (
          <>
            {' '}
            · last delivered <time title={formatDateTime(channel.lastDeliveredAt)}>{formatWhen(channel.lastDeliveredAt, now)}</time>
          </>
        )}
      </div>
      {channel.state === 'failing' && channel.lastError && (
        <Callout tone="bad" title="Last attempt failed" testId={`channel-error-${channel.id}`}>
          {channel.lastError}
        </Callout>
      )}
      <button type="button" className="button button-small" onClick={() => void sendTest()} disabled={testing || !channel.enabled} data-testid={`send-test-${channel.id}`}>
        {testing ? 'Sending…' : 'Send test'}
      </button>
      {result && (
        <Callout tone={result.ok ? 'good' : 'bad'} title={result.ok ? 'Test delivered' : 'Test failed'} role="status" testId={`test-result-${channel.id}`}>
          {result.detail}
        </Callout>
      )}
      <ErrorBox error={error} />
      <SecretForm channel={channel} />
    </div>
  );
}

function SecretForm({ channel }: { channel: Status }) {
  const fields = SECRET_FIELDS[channel.type] ?? [];
  const [field, setField] = useState<SecretField | undefined>(fields[0]);
  const [value, setValue] = useState('');
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  if (!field) return null;
  const save = async () => {
    setError(null);
    setSaved(false);
    try {
      await api.invoke('secrets:set-channel-secret', { channelId: channel.id, field, value });
      setValue('');
      setSaved(true);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {fields.length > 1 && (
        <Field label="Secret" className="narrow">
          {(p) => (
            <select {...p} value={field} onChange={(e) => setField(e.target.value as SecretField)}>
              {fields.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      <Field label={`Store ${field}`} hint={`Used when the channel says "${field}": {"source": "store"}. Never written to the config file.`}>
        {(p) => <input {...p} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} data-testid={`secret-${channel.id}`} />}
      </Field>
      <button type="submit" className="button button-ghost button-small" disabled={value === ''}>
        Store
      </button>
      {saved && <span role="status">Stored.</span>}
      <ErrorBox error={error} />
    </form>
  );
}
