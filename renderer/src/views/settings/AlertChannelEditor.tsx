/**
 * Settings → Notifications → Remote alerts, the editor: add, edit and remove the channels under
 * `alerts.channels` through the shared section form (validation at the field, the core's issues
 * after saving). A secret typed here goes to the secret store after the config saved — never
 * into the config, which only says `{"source": "store"}`.
 */
import { type ReactNode, useState } from 'react';
import * as z from 'zod';
import {
  CHANNEL_SECRET_FIELDS,
  type ChannelConfig,
  ChannelSchema,
  type ChannelType,
  EmailChannelSchema,
  GotifyChannelSchema,
  MqttChannelSchema,
  NtfyChannelSchema,
  type SecretSource,
  WebhookChannelSchema,
} from '../../../../shared/channels';
import type { Severity } from '../../../../shared/history';
import type { RequestOf } from '../../../../shared/ipc';
import { api, errorText } from '../../api';
import { ErrorBox, Field, NumberInput, Switch } from '../../components/common';
import { type Issue, scopeIssues } from '../../config-edit';
import { type SectionForm, SectionFormShell, useSectionForm } from '../../section-form';
import { announce, toast } from '../../store';

const Schema = z.array(ChannelSchema);
type Channels = ChannelConfig[];
type SecretField = RequestOf<'secrets:set-channel-secret'>['field'];

const TYPE_LABEL: Record<ChannelType, string> = {
  webhook: 'Webhook',
  ntfy: 'ntfy',
  gotify: 'Gotify',
  email: 'E-mail (SMTP)',
  mqtt: 'MQTT',
};
const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
const SECRET_LABEL: Record<SecretField, string> = {
  token: 'Token',
  password: 'Password',
  authorization: 'Authorization header',
  signingKey: 'Signing key (HMAC-SHA256)',
};

/** Fields whose issues are shown next to the field (the others are listed in the save bar). */
const SHOWN =
  /^\d+\.(id|url|topic|host|port|from|to|username|clientId|topicPrefix|method|headers|contentType|bodyTemplate|timeoutSeconds|ups|severities|quietHours|priority|tags|homeAssistant|authorization|signingKey|token|password|security|tls)(\.|$)/;

/** A new channel of a type: the schema's defaults, required fields left empty for the user. */
export function newChannel(type: ChannelType, id: string): ChannelConfig {
  switch (type) {
    case 'webhook':
      return {
        ...WebhookChannelSchema.parse({ id, type, url: 'http://placeholder' }),
        url: '',
      };
    case 'ntfy':
      return {
        ...NtfyChannelSchema.parse({
          id,
          type,
          url: 'https://ntfy.sh',
          topic: 'placeholder',
        }),
        topic: '',
      };
    case 'gotify':
      return {
        ...GotifyChannelSchema.parse({ id, type, url: 'http://placeholder' }),
        url: '',
      };
    case 'email':
      return {
        ...EmailChannelSchema.parse({
          id,
          type,
          host: 'placeholder',
          from: 'placeholder',
          to: ['placeholder'],
        }),
        host: '',
        from: '',
        to: [],
      };
    case 'mqtt':
      return {
        ...MqttChannelSchema.parse({ id, type, url: 'mqtt://placeholder' }),
        url: '',
      };
  }
}

function freeId(channels: Channels, type: ChannelType): string {
  const taken = new Set(channels.map((c) => c.id));
  if (!taken.has(type)) return type;
  let n = 2;
  while (taken.has(`${type}-${n}`)) n++;
  return `${type}-${n}`;
}

/** The first issue at `path` or below it (e.g. `ups.0` shows at `ups`). */
function issueUnder(issues: Issue[], path: string): string | undefined {
  return issues.find((i) => i.path === path || i.path.startsWith(`${path}.`))?.message;
}

/** A text field of a channel by name (the kind-specific ones the generic input edits). */
function stringAt(channel: ChannelConfig, key: string): string {
  const v = (channel as unknown as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : '';
}

const splitList = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function AlertChannelEditor() {
  const form = useSectionForm<Channels>({
    select: (c) => c.alerts.channels,
    schema: Schema,
    apply: (c, channels) => ({ ...c, alerts: { ...c.alerts, channels } }),
    prefix: 'alerts.channels',
    knownPaths: (p) => SHOWN.test(p),
  });
  // Secrets typed in, stored once the config naming them saved (key: `channelId\nfield`).
  const [pendingSecrets, setPendingSecrets] = useState<Map<string, string>>(new Map());
  const [newType, setNewType] = useState<ChannelType>('webhook');
  const [secretError, setSecretError] = useState<{ message: string; fix?: string } | null>(null);

  const saveWithSecrets: SectionForm<Channels> = {
    ...form,
    dirty: form.dirty || pendingSecrets.size > 0,
    save: async () => {
      const current = form.value ?? [];
      setSecretError(null);
      const ok = form.dirty ? await form.save() : true;
      if (!ok) return false;
      const failed: string[] = [];
      for (const [key, value] of pendingSecrets) {
        const [channelId, field] = key.split('\n') as [string, SecretField];
        if (!current.some((c) => c.id === channelId)) continue;
        try {
          await api.invoke('secrets:set-channel-secret', { channelId, field, value });
        } catch (e) {
          failed.push(`${channelId} ${field}: ${errorText(e).message}`);
        }
      }
      setPendingSecrets(new Map());
      if (failed.length > 0) {
        setSecretError({
          message: `The config saved, but a secret was not stored: ${failed.join('; ')}`,
          fix: 'Type it again and save, or use an env or file source.',
        });
        announce('A secret was not stored.', true);
        return false;
      }
      if (!form.dirty && pendingSecrets.size > 0) toast('Secrets stored.');
      return true;
    },
    reset: () => {
      setPendingSecrets(new Map());
      form.reset();
    },
  };

  return (
    <SectionFormShell
      form={saveWithSecrets}
      testId="alert-channels-form"
      label="Remote alert channels"
    >
      {(channels) => (
        <section className="form-section" aria-labelledby="alert-channel-editor">
          <h2 id="alert-channel-editor">Alert channels</h2>
          <p className="muted">
            Saved to <code>alerts.channels</code> in the config file. Secrets typed here go to the
            secret store, never into the file.
          </p>
          {channels.length === 0 && <p className="muted">No channel yet.</p>}
          {channels.map((channel, index) => (
            <ChannelEditor
              key={index}
              channel={channel}
              issues={scopeIssues(form.issues, String(index))}
              onChange={(next) =>
                form.update((list) => list.map((c, i) => (i === index ? next : c)))
              }
              onRemove={() => form.update((list) => list.filter((_, i) => i !== index))}
              pendingSecret={(field) => pendingSecrets.get(`${channel.id}\n${field}`) ?? ''}
              setPendingSecret={(field, value) =>
                setPendingSecrets((m) => {
                  const next = new Map(m);
                  if (value === '') next.delete(`${channel.id}\n${field}`);
                  else next.set(`${channel.id}\n${field}`, value);
                  return next;
                })
              }
            />
          ))}
          <ErrorBox error={secretError} testId="channel-secret-error" />
          <div className="inline-form">
            <Field label="New channel type" className="narrow">
              {(p) => (
                <select
                  {...p}
                  value={newType}
                  onChange={(e) => setNewType(e.target.value as ChannelType)}
                  data-testid="new-channel-type"
                >
                  {(Object.keys(TYPE_LABEL) as ChannelType[]).map((t) => (
                    <option key={t} value={t}>
                      {TYPE_LABEL[t]}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <button
              type="button"
              className="button button-small"
              onClick={() =>
                form.update((list) => [...list, newChannel(newType, freeId(list, newType))])
              }
              data-testid="add-channel"
            >
              Add channel
            </button>
          </div>
        </section>
      )}
    </SectionFormShell>
  );
}

function ChannelEditor({
  channel,
  issues,
  onChange,
  onRemove,
  pendingSecret,
  setPendingSecret,
}: {
  channel: ChannelConfig;
  issues: Issue[];
  onChange: (c: ChannelConfig) => void;
  onRemove: () => void;
  pendingSecret: (field: SecretField) => string;
  setPendingSecret: (field: SecretField, value: string) => void;
}) {
  const err = (path: string) => issueUnder(issues, path);
  const set = <K extends keyof ChannelConfig>(key: K, value: ChannelConfig[K]) =>
    onChange({ ...channel, [key]: value });
  // Kind-specific keys: typed loosely here, the schema checks the result.
  const setAny = (patch: Record<string, unknown>) => onChange({ ...channel, ...patch });
  const text = (key: string, label: string, hint?: string, placeholder?: string) => (
    <Field label={label} hint={hint} error={err(key)}>
      {(p) => (
        <input
          {...p}
          value={stringAt(channel, key)}
          placeholder={placeholder}
          onChange={(e) => setAny({ [key]: e.target.value })}
          data-testid={`channel-${channel.id}-${key}`}
        />
      )}
    </Field>
  );
  const testId = `edit-channel-${channel.id}`;
  return (
    <fieldset className="channel-editor" data-testid={testId}>
      <legend>
        {channel.id} <span className="muted">({TYPE_LABEL[channel.type]})</span>
      </legend>
      <Field
        label="Id"
        hint="Names the channel in the CLI (notify-test ID), the event log and the secret store."
        error={err('id')}
        className="narrow"
      >
        {(p) => (
          <input
            {...p}
            value={channel.id}
            onChange={(e) => set('id', e.target.value)}
            data-testid={`${testId}-id`}
          />
        )}
      </Field>
      <Switch
        checked={channel.enabled}
        onChange={(enabled) => set('enabled', enabled)}
        label="Enabled"
        testId={`${testId}-enabled`}
      />

      {channel.type === 'webhook' && (
        <>
          {text(
            'url',
            'URL',
            'Receives a JSON body (nut-sentinel.alert/v1) per message.',
            'https://example.net/hooks/ups',
          )}
          <Field label="Method" error={err('method')} className="narrow">
            {(p) => (
              <select
                {...p}
                value={channel.method}
                onChange={(e) => setAny({ method: e.target.value })}
              >
                <option value="POST">POST</option>
                <option value="PUT">PUT</option>
              </select>
            )}
          </Field>
          <HeadersInput
            value={channel.headers}
            onChange={(headers) => setAny({ headers })}
            error={err('headers')}
          />
          {text('contentType', 'Content type')}
          <Field
            label="Body template (optional)"
            hint="Replaces the JSON body; {{field.path}} takes a value of the alert."
            error={err('bodyTemplate')}
          >
            {(p) => (
              <textarea
                {...p}
                rows={3}
                value={channel.bodyTemplate ?? ''}
                onChange={(e) =>
                  setAny({
                    bodyTemplate: e.target.value === '' ? undefined : e.target.value,
                  })
                }
              />
            )}
          </Field>
        </>
      )}
      {channel.type === 'ntfy' && (
        <>
          {text('url', 'Server URL', undefined, 'https://ntfy.sh')}
          {text('topic', 'Topic')}
          <SeverityNumbers
            label="Priority (1–5)"
            value={channel.priority}
            onChange={(priority) => setAny({ priority })}
            issues={scopeIssues(issues, 'priority')}
          />
          <fieldset className="inline-form">
            <legend>Tags (comma-separated)</legend>
            {SEVERITIES.map((s) => (
              <ListInput
                key={s}
                label={s}
                value={channel.tags[s]}
                onChange={(list) => setAny({ tags: { ...channel.tags, [s]: list } })}
                error={err(`tags.${s}`)}
              />
            ))}
          </fieldset>
        </>
      )}
      {channel.type === 'gotify' && (
        <>
          {text('url', 'Server URL', undefined, 'https://gotify.example.net')}
          <SeverityNumbers
            label="Priority (0–10)"
            value={channel.priority}
            onChange={(priority) => setAny({ priority })}
            issues={scopeIssues(issues, 'priority')}
          />
        </>
      )}
      {channel.type === 'email' && (
        <>
          {text('host', 'SMTP host')}
          <Field label="Port" error={err('port')} className="narrow">
            {(p) => (
              <NumberInput
                {...p}
                value={channel.port}
                onValue={(typed) => setAny({ port: typed })}
              />
            )}
          </Field>
          <Field label="Security" error={err('security')} className="narrow">
            {(p) => (
              <select
                {...p}
                value={channel.security}
                onChange={(e) => setAny({ security: e.target.value })}
              >
                <option value="starttls">STARTTLS (port 587)</option>
                <option value="tls">TLS (port 465)</option>
                <option value="none">None (local relays only)</option>
              </select>
            )}
          </Field>
          {text('username', 'User name')}
          {text('from', 'From')}
          <ListInput
            label="To (comma-separated)"
            value={channel.to}
            onChange={(to) => setAny({ to })}
            error={err('to')}
          />
        </>
      )}
      {channel.type === 'mqtt' && (
        <>
          {text('url', 'Broker URL', undefined, 'mqtt://broker.local:1883')}
          {text('username', 'User name')}
          <Field label="Client id (optional)" error={err('clientId')}>
            {(p) => (
              <input
                {...p}
                value={channel.clientId ?? ''}
                onChange={(e) =>
                  setAny({
                    clientId: e.target.value === '' ? undefined : e.target.value,
                  })
                }
              />
            )}
          </Field>
          {text('topicPrefix', 'Topic prefix')}
          <Switch
            checked={channel.homeAssistant.enabled}
            onChange={(enabled) => setAny({ homeAssistant: { ...channel.homeAssistant, enabled } })}
            label="Home Assistant discovery"
          />
        </>
      )}

      {CHANNEL_SECRET_FIELDS[channel.type].map((field) => (
        <SecretSourceInput
          key={field}
          field={field as SecretField}
          channelId={channel.id}
          value={(channel as unknown as Record<string, SecretSource>)[field]!}
          onChange={(source) => setAny({ [field]: source })}
          issues={scopeIssues(issues, field)}
          pending={pendingSecret(field as SecretField)}
          setPending={(v) => setPendingSecret(field as SecretField, v)}
        />
      ))}

      <fieldset>
        <legend>Routing</legend>
        <ListInput
          label="UPSes (comma-separated)"
          hint='"*" for all, or MASTER-ID/UPS-NAME'
          value={channel.ups}
          onChange={(ups) => set('ups', ups)}
          error={err('ups')}
          testId={`${testId}-ups`}
        />
        <div className="field" role="group" aria-label="Severities">
          <span>Severities</span>
          {SEVERITIES.map((s) => (
            <label key={s} className="checkbox">
              <input
                type="checkbox"
                checked={channel.severities.includes(s)}
                onChange={(e) =>
                  set(
                    'severities',
                    e.target.checked
                      ? SEVERITIES.filter((x) => x === s || channel.severities.includes(x))
                      : channel.severities.filter((x) => x !== s),
                  )
                }
              />{' '}
              {s}
            </label>
          ))}
          {err('severities') && <div className="field-error">{err('severities')}</div>}
        </div>
        <Switch
          checked={channel.quietHours !== undefined}
          onChange={(on) => set('quietHours', on ? { from: '22:00', to: '07:00' } : undefined)}
          label="Quiet hours"
          hint="In this local time window only critical messages are sent."
        />
        {channel.quietHours && (
          <div className="inline-form">
            {(['from', 'to'] as const).map((k) => (
              <Field
                key={k}
                label={k === 'from' ? 'From' : 'To'}
                error={err(`quietHours.${k}`)}
                className="narrow"
              >
                {(p) => (
                  <input
                    {...p}
                    value={channel.quietHours![k]}
                    placeholder="HH:MM"
                    onChange={(e) =>
                      set('quietHours', {
                        ...channel.quietHours!,
                        [k]: e.target.value,
                      })
                    }
                  />
                )}
              </Field>
            ))}
          </div>
        )}
        <Field
          label="Timeout per attempt (seconds)"
          error={err('timeoutSeconds')}
          className="narrow"
        >
          {(p) => (
            <NumberInput
              {...p}
              min={1}
              max={120}
              value={channel.timeoutSeconds}
              onValue={(typed) => set('timeoutSeconds', typed)}
            />
          )}
        </Field>
      </fieldset>

      <fieldset>
        <legend>TLS</legend>
        <Switch
          checked={channel.tls.insecure}
          onChange={(insecure) => setAny({ tls: { ...channel.tls, insecure } })}
          label="Accept any certificate"
          hint="Encrypts but does not check who the server is."
        />
        <Field label="Extra CA or server certificate (PEM, optional)" error={err('tls')}>
          {(p) => (
            <textarea
              {...p}
              rows={2}
              value={channel.tls.caPem ?? ''}
              onChange={(e) =>
                setAny({
                  tls: {
                    ...channel.tls,
                    caPem: e.target.value === '' ? undefined : e.target.value,
                  },
                })
              }
            />
          )}
        </Field>
      </fieldset>

      <button
        type="button"
        className="button button-ghost button-small"
        onClick={onRemove}
        data-testid={`${testId}-remove`}
      >
        Remove {channel.id}
      </button>
    </fieldset>
  );
}

function SecretSourceInput({
  field,
  channelId,
  value,
  onChange,
  issues,
  pending,
  setPending,
}: {
  field: SecretField;
  channelId: string;
  value: SecretSource;
  onChange: (s: SecretSource) => void;
  issues: Issue[];
  pending: string;
  setPending: (v: string) => void;
}) {
  const testId = `edit-channel-${channelId}-${field}`;
  const sourceOf = (source: SecretSource['source']): SecretSource =>
    source === 'env' ? { source, name: '' } : source === 'file' ? { source, path: '' } : { source };
  return (
    <div className="inline-form">
      <Field label={SECRET_LABEL[field]} className="narrow" error={issueUnder(issues, 'source')}>
        {(p) => (
          <select
            {...p}
            value={value.source}
            onChange={(e) => onChange(sourceOf(e.target.value as SecretSource['source']))}
            data-testid={`${testId}-source`}
          >
            <option value="none">None</option>
            <option value="store">Secret store</option>
            <option value="env">Environment variable</option>
            <option value="file">File</option>
          </select>
        )}
      </Field>
      {value.source === 'store' && (
        <Field
          label={`New ${SECRET_LABEL[field].toLowerCase()}`}
          hint="Stored in the secret store when you save; leave empty to keep the stored one."
        >
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="off"
              value={pending}
              onChange={(e) => setPending(e.target.value)}
              data-testid={`${testId}-secret`}
            />
          )}
        </Field>
      )}
      {value.source === 'env' && (
        <Field label="Variable name" error={issueUnder(issues, 'name')}>
          {(p) => (
            <input
              {...p}
              value={value.name}
              onChange={(e) => onChange({ source: 'env', name: e.target.value })}
            />
          )}
        </Field>
      )}
      {value.source === 'file' && (
        <Field label="File path" error={issueUnder(issues, 'path')}>
          {(p) => (
            <input
              {...p}
              value={value.path}
              onChange={(e) => onChange({ source: 'file', path: e.target.value })}
            />
          )}
        </Field>
      )}
    </div>
  );
}

function SeverityNumbers({
  label,
  value,
  onChange,
  issues,
}: {
  label: string;
  value: Record<Severity, number>;
  onChange: (v: Record<Severity, number>) => void;
  issues: Issue[];
}) {
  return (
    <fieldset className="inline-form">
      <legend>{label}</legend>
      {SEVERITIES.map((s) => (
        <Field key={s} label={s} error={issueUnder(issues, s)} className="narrow">
          {(p) => (
            <NumberInput
              {...p}
              value={value[s]}
              onValue={(typed) => onChange({ ...value, [s]: typed })}
            />
          )}
        </Field>
      ))}
    </fieldset>
  );
}

/** A comma-separated list; keeps what is typed (e.g. a trailing comma) while editing. */
function ListInput({
  label,
  hint,
  value,
  onChange,
  error,
  testId,
}: {
  label: string;
  hint?: ReactNode;
  value: string[];
  onChange: (v: string[]) => void;
  error?: string | undefined;
  testId?: string;
}) {
  const [textValue, setText] = useState(value.join(', '));
  const shown = splitList(textValue).join('\n') === value.join('\n') ? textValue : value.join(', ');
  return (
    <Field label={label} hint={hint} error={error}>
      {(p) => (
        <input
          {...p}
          value={shown}
          onChange={(e) => {
            setText(e.target.value);
            onChange(splitList(e.target.value));
          }}
          data-testid={testId}
        />
      )}
    </Field>
  );
}

/** Extra headers, one `Name: value` per line. */
function HeadersInput({
  value,
  onChange,
  error,
}: {
  value: Record<string, string>;
  onChange: (v: Record<string, string>) => void;
  error?: string | undefined;
}) {
  const format = (h: Record<string, string>) =>
    Object.entries(h)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
  const parse = (t: string) =>
    Object.fromEntries(
      t
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const i = l.indexOf(':');
          return i < 0 ? [l.trim(), ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
        }),
    );
  const [textValue, setText] = useState(format(value));
  const shown = format(parse(textValue)) === format(value) ? textValue : format(value);
  return (
    <Field
      label="Extra headers (optional)"
      hint="One Name: value per line; put credentials in Authorization below."
      error={error}
    >
      {(p) => (
        <textarea
          {...p}
          rows={2}
          value={shown}
          onChange={(e) => {
            setText(e.target.value);
            onChange(parse(e.target.value));
          }}
        />
      )}
    </Field>
  );
}
