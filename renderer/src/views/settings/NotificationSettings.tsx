import { useEffect, useState } from 'react';
import * as z from 'zod';
import type { ResponseOf } from '../../../../shared/ipc';
import { api, errorText } from '../../api';
import { ErrorBox, Field, NumberInput, Switch } from '../../components/common';
import { issueAt } from '../../config-edit';
import { formatDateTime, formatWhen } from '../../format';
import { SectionFormShell, useSectionForm } from '../../section-form';
import { announce, useApp, useNow } from '../../store';
import { AlertChannels } from './AlertChannels';

const Schema = z.object({ desktop: z.boolean(), dedupeSeconds: z.number().min(0).max(86_400) });
type Value = z.infer<typeof Schema>;

export function NotificationSettings() {
  const form = useSectionForm<Value>({
    select: (c) => ({
      desktop: c.notifications.desktop,
      dedupeSeconds: c.notifications.dedupeSeconds,
    }),
    schema: Schema,
    apply: (c, v) => ({ ...c, notifications: { ...c.notifications, ...v } }),
    prefix: 'notifications',
  });
  return (
    <>
      <PauseControl />
      <SectionFormShell form={form} testId="notifications-form" label="Notification settings">
        {(v) => (
          <section className="form-section">
            <h2>Desktop notifications</h2>
            <Switch
              checked={v.desktop}
              onChange={(desktop) => form.update((x) => ({ ...x, desktop }))}
              label="Show desktop notifications"
              hint="Which events notify is set per event under Hooks & timers."
              testId="desktop-notifications"
            />
            <Field
              label="Do not repeat the same notification within (seconds)"
              error={issueAt(form.issues, 'dedupeSeconds')}
              className="narrow"
            >
              {(p) => (
                <NumberInput
                  {...p}
                  min={0}
                  value={v.dedupeSeconds}
                  onValue={(typed) => form.update((x) => ({ ...x, dedupeSeconds: typed }))}
                  data-testid="dedupe-seconds"
                />
              )}
            </Field>
          </section>
        )}
      </SectionFormShell>
      <AlertChannels />
      <RecentNotifications />
    </>
  );
}

export function PauseControl() {
  const paused = useApp((s) => s.snapshot?.notificationsPaused ?? false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const toggle = async (next: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.invoke('notifications:set-paused', { paused: next });
      announce(r.paused ? 'Notifications paused.' : 'Notifications resumed.');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="form-section">
      <h2>Pause</h2>
      <Switch
        checked={paused}
        onChange={(v) => void toggle(v)}
        disabled={busy}
        label="Pause desktop notifications"
        hint="Events are still logged and hooks still run; shutdown protection is not affected."
        testId="pause-notifications"
      />
      <ErrorBox error={error} />
    </section>
  );
}

function RecentNotifications() {
  const [list, setList] = useState<ResponseOf<'notifications:recent'> | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const now = useNow();
  useEffect(() => {
    api
      .invoke('notifications:recent', undefined)
      .then(setList)
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  return (
    <section className="form-section" aria-labelledby="recent-notif">
      <h2 id="recent-notif">Recently shown</h2>
      <ErrorBox error={error} />
      {list && list.length === 0 && <p className="muted">No notification shown yet.</p>}
      {list && list.length > 0 && (
        <ul className="notif-list" data-testid="recent-notifications">
          {[...list]
            .sort((a, b) => b.at - a.at)
            .map((n, i) => (
              <li key={`${n.at}-${i}`} className={`notif urgency-${n.urgency}`}>
                <time dateTime={new Date(n.at).toISOString()} title={formatDateTime(n.at)}>
                  {formatWhen(n.at, now)}
                </time>
                <div>
                  <strong>{n.route ? <a href={`#${n.route}`}>{n.title}</a> : n.title}</strong>
                  <div className="muted small">{n.body}</div>
                </div>
              </li>
            ))}
        </ul>
      )}
    </section>
  );
}
