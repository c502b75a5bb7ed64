import { useCallback, useEffect, useState } from 'react';
import type { ResponseOf } from '../../../../shared/ipc';
import { api, errorText } from '../../api';
import { Callout, ErrorBox } from '../../components/common';
import { formatDateTime, formatWhen } from '../../format';
import { useApp, useNow } from '../../store';
import { AlertChannelEditor } from './AlertChannelEditor';

type Status = ResponseOf<'alerts:status'>[number];

/** What the status line says; a failure only says "retrying" when something is queued. */
function stateText(channel: Status): string {
  switch (channel.state) {
    case 'ok':
      return 'Delivering';
    case 'failing':
      return channel.pending > 0 ? 'Failing (retrying)' : 'Last attempt failed';
    case 'idle':
      return 'Nothing sent yet';
    case 'disabled':
      return 'Disabled';
  }
}

/**
 * Settings → Notifications → Remote alerts: each saved channel with its delivery status and a
 * Send test button, then the editor (AlertChannelEditor) that adds, edits and removes them and
 * stores their secrets. The config file and the CLI set the same `alerts.channels`.
 */
export function AlertChannels() {
  const [status, setStatus] = useState<Status[] | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  // A save here changes the channels: refresh at once rather than at the next tick.
  const configVersion = useApp((s) => s.configVersion);
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
  }, [refresh, configVersion]);
  return (
    <section className="form-section" aria-labelledby="alert-channels" data-testid="alert-channels">
      <h2 id="alert-channels">Remote alerts</h2>
      <p className="muted">
        ntfy, Gotify, webhook, e-mail and MQTT channels. Messages are queued and retried until
        delivered.
      </p>
      <ErrorBox error={error} />
      {status?.map((channel) => (
        <ChannelRow key={channel.id} channel={channel} onChanged={refresh} />
      ))}
      <AlertChannelEditor />
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
        <strong>{channel.id}</strong> <span className="muted">({channel.type})</span>{' '}
        <span data-testid={`channel-state-${channel.id}`}>{stateText(channel)}</span>
      </div>
      <div className="muted small">
        {channel.delivered} delivered · {channel.pending} waiting · {channel.failed} given up
        {channel.lastDeliveredAt !== null && (
          <>
            {' '}
            · last delivered{' '}
            <time title={formatDateTime(channel.lastDeliveredAt)}>
              {formatWhen(channel.lastDeliveredAt, now)}
            </time>
          </>
        )}
        {channel.lastTest && (
          <span data-testid={`channel-last-test-${channel.id}`}>
            {' '}
            · last test {channel.lastTest.ok ? 'delivered' : 'failed'}{' '}
            <time title={formatDateTime(channel.lastTest.at)}>
              {formatWhen(channel.lastTest.at, now)}
            </time>
          </span>
        )}
      </div>
      {channel.state === 'failing' && channel.lastError && (
        <Callout tone="bad" title="Last attempt failed" testId={`channel-error-${channel.id}`}>
          {channel.lastError}
        </Callout>
      )}
      <button
        type="button"
        className="button button-small"
        onClick={() => void sendTest()}
        disabled={testing || !channel.enabled}
        data-testid={`send-test-${channel.id}`}
      >
        {testing ? 'Sending…' : 'Send test'}
      </button>
      {result && (
        <Callout
          tone={result.ok ? 'good' : 'bad'}
          title={result.ok ? 'Test delivered' : 'Test failed'}
          role="status"
          testId={`test-result-${channel.id}`}
        >
          {result.detail}
        </Callout>
      )}
      <ErrorBox error={error} />
    </div>
  );
}
