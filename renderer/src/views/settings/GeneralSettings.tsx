import * as z from 'zod';
import { HistorySchema, TimingSchema } from '../../../../shared/config';
import { Field, NumberInput, Switch } from '../../components/common';
import { issueAt } from '../../config-edit';
import { SectionFormShell, useSectionForm } from '../../section-form';

const Schema = z.object({
  startAtLogin: z.boolean(),
  timing: TimingSchema,
  history: HistorySchema,
});
type Value = z.infer<typeof Schema>;

export function GeneralSettings() {
  const form = useSectionForm<Value>({
    select: (c) => ({ startAtLogin: c.startAtLogin, timing: c.timing, history: c.history }),
    schema: Schema,
    apply: (c, v) => ({ ...c, ...v }),
    prefix: '',
    knownPaths: (p) => /^(timing|history)\./.test(p),
  });
  return (
    <SectionFormShell form={form} testId="general-form" label="General settings">
      {(v) => {
        const timing = (key: keyof Value['timing'], label: string, hint?: string) => (
          <Field
            label={label}
            hint={hint}
            error={issueAt(form.issues, `timing.${key}`)}
            className="narrow"
          >
            {(p) => (
              <NumberInput
                {...p}
                step="any"
                value={v.timing[key]}
                onValue={(typed) =>
                  form.update((x) => ({
                    ...x,
                    timing: { ...x.timing, [key]: typed },
                  }))
                }
              />
            )}
          </Field>
        );
        const history = (
          key: Exclude<keyof Value['history'], 'enabled'>,
          label: string,
          hint?: string,
        ) => (
          <Field
            label={label}
            hint={hint}
            error={issueAt(form.issues, `history.${key}`)}
            className="narrow"
          >
            {(p) => (
              <NumberInput
                {...p}
                value={v.history[key]}
                onValue={(typed) =>
                  form.update((x) => ({
                    ...x,
                    history: { ...x.history, [key]: typed },
                  }))
                }
              />
            )}
          </Field>
        );
        return (
          <>
            <section className="form-section">
              <h2>Startup</h2>
              <Switch
                checked={v.startAtLogin}
                onChange={(startAtLogin) => form.update((x) => ({ ...x, startAtLogin }))}
                label="Start NUT Sentinel when I log in"
                hint="Protection only works while NUT Sentinel runs."
                testId="start-at-login"
              />
            </section>
            <section className="form-section">
              <h2>Polling</h2>
              <div className="form-grid three">
                {timing(
                  'statusPollSeconds',
                  'Status every (s)',
                  'How fast a power cut is noticed (upsmon: 5 s).',
                )}
                {timing('fullPollSeconds', 'All variables every (s)')}
                {timing('connectTimeoutSeconds', 'Connect timeout (s)')}
                {timing('requestTimeoutSeconds', 'Request timeout (s)')}
                {timing('noCommWarnSeconds', 'Repeat NOCOMM every (s)')}
                {timing('rbWarnSeconds', 'Repeat REPLBATT every (s)')}
              </div>
            </section>
            <section className="form-section">
              <h2>History</h2>
              <Switch
                checked={v.history.enabled}
                onChange={(enabled) =>
                  form.update((x) => ({ ...x, history: { ...x.history, enabled } }))
                }
                label="Keep a history file (charts, event log across restarts, alerts that survive a restart)"
                hint="Off: nothing is written to disk and less memory is used; the event log and queued alerts are kept in memory until NUT Sentinel stops, charts stay empty. Takes effect at the next start."
                testId="history-enabled"
              />
              <div className="form-grid three">
                {history('retentionDays', 'Keep for (days)')}
                {history('sampleSeconds', 'Sample every (s)')}
                {history('maxEvents', 'Keep at most (events)')}
              </div>
            </section>
          </>
        );
      }}
    </SectionFormShell>
  );
}
