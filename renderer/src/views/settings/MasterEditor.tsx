/**
 * Add or edit a NUT master: presets (Synology, Proxmox, other) with their hints, the connection,
 * each monitored UPS (picked from the server's list after a test), role, user and password
 * (saved with secrets:set-password, never in the config), and a step-by-step connection test
 * with the core's diagnosis.
 */
import { useId, useMemo, useState } from 'react';
import {
  type Master,
  MASTER_PRESETS,
  MasterSchema,
  impliedTlsMode,
  upsSystemName,
} from '../../../../shared/config';
import { CONNECTION_TEST_STEP_LABELS, type ConnectionTestResult } from '../../../../shared/ipc';
import { type RightsWords, upsmonRight } from '../../../../shared/rights';
import { api, errorText } from '../../api';
import { Callout, DiagnosisText, ErrorBox, Field, RichText } from '../../components/common';
import { type Issue, issueAt, saveConfig, scopeIssues, useConfig } from '../../config-edit';
import { describeServer, slugify } from '../../format';
import { ArrowLeftIcon, CheckIcon, CrossIcon, EyeIcon, PlusIcon, TrashIcon } from '../../icons';
import { type MasterPrefill, type PresetName, href, navigate } from '../../router';
import { SectionFormShell, useSectionForm } from '../../section-form';
import { announce, toast } from '../../store';

type PasswordSourceKind = 'store' | 'env' | 'file' | 'none';

interface UpsForm {
  key: number;
  name: string;
  role: 'secondary' | 'monitor-only';
  username: string;
  passwordSource: PasswordSourceKind;
  /** A new password to store (empty: keep the stored one). */
  password: string;
  envName: string;
  filePath: string;
  powerValue: number;
  expectedClients: string;
  /** Name when loaded (the stored password is keyed by it). */
  loadedName: string | null;
}

interface MasterForm {
  id: string;
  idEdited: boolean;
  label: string;
  preset: PresetName;
  host: string;
  port: number;
  tlsMode: 'off' | 'opportunistic' | 'required';
  fingerprint: string;
  caPem: string;
  insecure: boolean;
  ups: UpsForm[];
}

let nextKey = 1;

function upsFromPreset(preset: PresetName): UpsForm {
  const p = MASTER_PRESETS[preset].ups;
  return {
    key: nextKey++,
    name: p.name,
    role: p.role,
    username: p.username,
    passwordSource: 'store',
    password: p.password,
    envName: '',
    filePath: '',
    powerValue: 1,
    expectedClients: '',
    loadedName: null,
  };
}

function newForm(preset: PresetName): MasterForm {
  return {
    id: '',
    idEdited: false,
    label: preset === 'generic' ? '' : MASTER_PRESETS[preset].label,
    preset,
    host: '',
    port: MASTER_PRESETS[preset].port,
    tlsMode: 'off',
    fingerprint: '',
    caPem: '',
    insecure: false,
    ups: [upsFromPreset(preset)],
  };
}

/** A server found by "Find masters": host, port and UPS as the server offered them. */
function withPrefill(form: MasterForm, prefill: MasterPrefill | undefined): MasterForm {
  if (!prefill) return form;
  return {
    ...form,
    host: prefill.host,
    port: prefill.port,
    label: prefill.label || form.label,
    ups: form.ups.map((u, i) => (i === 0 && prefill.ups ? { ...u, name: prefill.ups } : u)),
  };
}

function formFromMaster(m: Master): MasterForm {
  return {
    id: m.id,
    idEdited: true,
    label: m.label,
    preset: m.preset,
    host: m.host,
    port: m.port,
    tlsMode: m.tls.mode,
    fingerprint: m.tls.fingerprint256 ?? '',
    caPem: m.tls.caPem ?? '',
    insecure: m.tls.insecure,
    ups: m.ups.map((u) => ({
      key: nextKey++,
      name: u.name,
      role: u.role,
      username: u.username,
      passwordSource: u.password.source,
      password: '',
      envName: u.password.source === 'env' ? u.password.name : '',
      filePath: u.password.source === 'file' ? u.password.path : '',
      powerValue: u.powerValue,
      expectedClients: u.expectedClients.join('\n'),
      loadedName: u.name,
    })),
  };
}

/** The form's TLS settings as the config has them (a pin or CA makes "when offered" required). */
function tlsOf(f: MasterForm): {
  mode: MasterForm['tlsMode'];
  insecure: boolean;
  fingerprint256?: string;
  caPem?: string;
} {
  const pins = {
    ...(f.fingerprint.trim() ? { fingerprint256: f.fingerprint.trim() } : {}),
    ...(f.caPem.trim() ? { caPem: f.caPem.trim() } : {}),
  };
  return { mode: impliedTlsMode({ mode: f.tlsMode, ...pins }), insecure: f.insecure, ...pins };
}

function pinnedTls(f: MasterForm): boolean {
  return f.fingerprint.trim() !== '' || f.caPem.trim() !== '';
}

/** The config object for this form (validated with MasterSchema before saving). */
function toMaster(f: MasterForm): unknown {
  return {
    id: f.id,
    label: f.label.trim(),
    preset: f.preset,
    host: f.host.trim(),
    port: f.port,
    tls: tlsOf(f),
    ups: f.ups.map((u) => ({
      name: u.name.trim(),
      role: u.role,
      username: u.username.trim(),
      password:
        u.passwordSource === 'env'
          ? { source: 'env', name: u.envName.trim() }
          : u.passwordSource === 'file'
            ? { source: 'file', path: u.filePath.trim() }
            : { source: u.passwordSource },
      powerValue: u.powerValue,
      expectedClients: u.expectedClients
        .split(/[\n,]/)
        .map((s) => s.trim())
        .filter(Boolean),
    })),
  };
}

export function MasterEditor({
  masterId,
  preset,
  prefill,
}: {
  masterId: string | null;
  preset: PresetName;
  prefill?: MasterPrefill | undefined;
}) {
  const { data } = useConfig();
  const [removing, setRemoving] = useState(false);
  const [removeError, setRemoveError] = useState<{ message: string; fix?: string } | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const ids = useId();
  const existing =
    masterId === null ? null : (data?.config.masters.find((m) => m.id === masterId) ?? null);
  const otherIds = useMemo(
    () => new Set((data?.config.masters ?? []).filter((m) => m.id !== masterId).map((m) => m.id)),
    [data, masterId],
  );
  const backHref = href({ name: 'settings', section: 'masters' });

  const sf = useSectionForm<MasterForm>({
    select: (c) => {
      const loaded = masterId === null ? undefined : c.masters.find((m) => m.id === masterId);
      if (loaded) return formFromMaster(loaded);
      const fresh = withPrefill(newForm(preset), prefill);
      const taken = new Set(c.masters.map((m) => m.id));
      return {
        ...fresh,
        id: uniqueId(slugify(fresh.label) || (preset === 'generic' ? 'nut' : preset), taken),
      };
    },
    schema: MasterSchema,
    toInput: toMaster,
    extraIssues: (f) => {
      const issues: Issue[] = [];
      if (otherIds.has(f.id))
        issues.push({ path: 'id', message: `Another master already uses the id "${f.id}".` });
      const names = f.ups.map((u) => u.name.trim());
      names.forEach((n, i) => {
        if (n && names.indexOf(n) !== i)
          issues.push({ path: `ups.${i}.name`, message: 'This UPS is listed twice.' });
      });
      return issues;
    },
    // The core's issues about this master lose the `masters.<index>` prefix.
    prefix: `masters.${
      masterId === null
        ? (data?.config.masters.length ?? 0)
        : (data?.config.masters.findIndex((m) => m.id === masterId) ?? 0)
    }`,
    knownPaths: (path) => /^(id|label|host|port|tls\.|ups\.\d+\.)/.test(path) || path === 'ups',
    // Passwords go to the secret store (never into the config file), and before the config, so
    // the new session's first LOGIN already has them (no spurious "login refused").
    beforeSave: async (f) => {
      try {
        for (const u of f.ups) {
          if (u.passwordSource === 'store' && u.password !== '') {
            await api.invoke('secrets:set-password', {
              masterId: f.id,
              upsName: u.name.trim(),
              password: u.password,
            });
          }
        }
        return null;
      } catch (error) {
        return {
          ...errorText(error),
          message: `Nothing was saved: storing the password failed: ${errorText(error).message}`,
        };
      }
    },
    apply: (c, f) => {
      const master = MasterSchema.parse(toMaster(f));
      const index = masterId === null ? -1 : c.masters.findIndex((m) => m.id === masterId);
      if (index >= 0) c.masters[index] = master;
      else c.masters.push(master);
      return c;
    },
    onSaved: (f) => {
      toast(`${f.label} saved.`);
      navigate(backHref);
    },
  });
  const form = sf.value;
  const issues = sf.issues;

  const heading = (
    <>
      <a className="back-link" href={backHref}>
        <ArrowLeftIcon size={16} /> Masters
      </a>
      <div className="page-head">
        <h1 tabIndex={-1} data-route-heading>
          {masterId === null ? 'Add a NUT master' : `Edit ${existing?.label ?? masterId}`}
        </h1>
      </div>
    </>
  );
  if (data && masterId !== null && !existing) {
    return (
      <Callout
        tone="warn"
        title="No such master"
        action={
          <a className="button" href={backHref}>
            Back to masters
          </a>
        }
      >
        <p>There is no master with the id “{masterId}” in the configuration.</p>
      </Callout>
    );
  }

  const set = (change: Partial<MasterForm>) =>
    sf.update((f) => {
      const next = { ...f, ...change };
      if (masterId === null && !next.idEdited && change.label !== undefined)
        next.id = uniqueId(slugify(change.label) || 'master', otherIds);
      return next;
    });
  const setUps = (i: number, change: Partial<UpsForm>) =>
    sf.update((f) => ({ ...f, ups: f.ups.map((u, j) => (j === i ? { ...u, ...change } : u)) }));

  const choosePreset = (p: PresetName) => {
    if (masterId !== null) {
      set({ preset: p });
      return;
    }
    const fresh = newForm(p);
    sf.update((f) => ({
      ...fresh,
      host: f.host,
      label: f.label && f.label !== MASTER_PRESETS[f.preset].label ? f.label : fresh.label,
      id: f.idEdited
        ? f.id
        : uniqueId(
            slugify(
              f.label && f.label !== MASTER_PRESETS[f.preset].label ? f.label : fresh.label,
            ) || 'master',
            otherIds,
          ),
      idEdited: f.idEdited,
    }));
  };

  const remove = async () => {
    setRemoving(true);
    const result = await saveConfig((c) => ({
      ...c,
      masters: c.masters.filter((m) => m.id !== masterId),
    }));
    setRemoving(false);
    if (result.ok) {
      toast(`${form?.label ?? masterId} removed.`);
      navigate(backHref);
    } else setRemoveError({ message: result.issues.map((i) => i.message).join(' ') });
  };

  const removeControls = masterId !== null && (
    <>
      {confirmRemove ? (
        <span className="confirm-remove" role="group" aria-label="Confirm removal">
          Stop monitoring {form?.label}?
          <button
            type="button"
            className="button button-danger"
            onClick={() => void remove()}
            disabled={removing || sf.saving}
            data-testid="confirm-remove-master"
          >
            Remove
          </button>
          <button
            type="button"
            className="button button-ghost"
            onClick={() => setConfirmRemove(false)}
          >
            Keep
          </button>
        </span>
      ) : (
        <button
          type="button"
          className="button button-ghost button-danger-text"
          onClick={() => setConfirmRemove(true)}
          data-testid="remove-master"
        >
          <TrashIcon size={16} /> Remove master
        </button>
      )}
    </>
  );

  return (
    <>
      {heading}
      <SectionFormShell
        form={sf}
        testId="master-form"
        label="Master"
        className="master-form"
        saveBar={{
          saveLabel: masterId === null ? 'Add master' : 'Save master',
          saveTestId: 'save-master',
          requireChanges: false,
          actions: (
            <>
              <ErrorBox error={removeError} />
              {removeControls}
              <span className="spacer" />
              <a className="button button-ghost" href={backHref}>
                Cancel
              </a>
            </>
          ),
        }}
      >
        {(form) => {
          const presetInfo = MASTER_PRESETS[form.preset];
          return (
            <>
              <fieldset className="preset-picker" data-testid="preset-picker">
                <legend>What shares the UPS?</legend>
                <div className="preset-options">
                  {(['synology', 'proxmox', 'generic'] as const).map((p) => (
                    <label
                      key={p}
                      className={`preset-option${form.preset === p ? ' is-selected' : ''}`}
                    >
                      <input
                        type="radio"
                        name={`${ids}-preset`}
                        value={p}
                        checked={form.preset === p}
                        onChange={() => choosePreset(p)}
                        data-testid={`preset-${p}`}
                      />
                      <span className="preset-name">{MASTER_PRESETS[p].label}</span>
                      <span className="preset-desc">
                        {p === 'synology'
                          ? 'DSM’s “Network UPS server”'
                          : p === 'proxmox'
                            ? 'nut-server on the PVE host'
                            : 'Any upsd (Debian, TrueNAS, pfSense, a Raspberry Pi…)'}
                      </span>
                    </label>
                  ))}
                </div>
                {presetInfo.hints.length > 0 && (
                  <Callout
                    tone="info"
                    title={`Before you start on the ${presetInfo.label}`}
                    testId="preset-hints"
                  >
                    <ul className="hint-list">
                      {presetInfo.hints.map((h) => (
                        <li key={h}>
                          <RichText text={h} />
                        </li>
                      ))}
                    </ul>
                  </Callout>
                )}
              </fieldset>

              <fieldset className="form-section">
                <legend>Connection</legend>
                <div className="form-grid">
                  <Field label="Name shown in the app" error={issueAt(issues, 'label')}>
                    {(p) => (
                      <input
                        {...p}
                        value={form.label}
                        onChange={(e) => set({ label: e.target.value })}
                        placeholder="e.g. DiskStation"
                        data-testid="master-label"
                      />
                    )}
                  </Field>
                  <Field
                    label="Host name or IP address"
                    error={issueAt(issues, 'host')}
                    hint="Of the machine the UPS is plugged into."
                  >
                    {(p) => (
                      <input
                        {...p}
                        value={form.host}
                        onChange={(e) => set({ host: e.target.value })}
                        placeholder={
                          form.preset === 'synology'
                            ? 'diskstation.local'
                            : form.preset === 'proxmox'
                              ? 'pve.local'
                              : 'upsd.local'
                        }
                        spellCheck={false}
                        autoComplete="off"
                        data-testid="master-host"
                      />
                    )}
                  </Field>
                  <Field label="Port" error={issueAt(issues, 'port')} className="narrow">
                    {(p) => (
                      <input
                        {...p}
                        type="number"
                        min={1}
                        max={65535}
                        value={Number.isNaN(form.port) ? '' : form.port}
                        onChange={(e) => set({ port: e.target.valueAsNumber })}
                        data-testid="master-port"
                      />
                    )}
                  </Field>
                  <Field
                    label="Id"
                    error={issueAt(issues, 'id')}
                    hint={
                      masterId === null
                        ? 'Used for history and stored passwords; cannot change later.'
                        : 'Fixed: history and stored passwords use it.'
                    }
                    className="narrow"
                  >
                    {(p) => (
                      <input
                        {...p}
                        value={form.id}
                        readOnly={masterId !== null}
                        onChange={(e) => set({ id: e.target.value, idEdited: true })}
                        spellCheck={false}
                        className="mono"
                        data-testid="master-id"
                      />
                    )}
                  </Field>
                </div>
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
                          onChange={(e) =>
                            set({ tlsMode: e.target.value as MasterForm['tlsMode'] })
                          }
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
                          onChange={(e) => set({ fingerprint: e.target.value })}
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
                        onChange={(e) => set({ caPem: e.target.value })}
                        placeholder="-----BEGIN CERTIFICATE-----"
                        spellCheck={false}
                      />
                    )}
                  </Field>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={form.insecure}
                      onChange={(e) => set({ insecure: e.target.checked })}
                    />{' '}
                    Accept any certificate (encrypts, but does not prove it is your master)
                  </label>
                </details>
              </fieldset>

              {form.ups.map((u, i) => (
                <UpsEditor
                  key={u.key}
                  index={i}
                  ups={u}
                  form={form}
                  masterId={masterId}
                  issues={scopeIssues(issues, `ups.${i}`)}
                  storedPassword={(sf.data?.storedPasswords ?? []).includes(
                    `${form.id}/${u.loadedName ?? u.name}`,
                  )}
                  onChange={(change) => setUps(i, change)}
                  onRemove={
                    form.ups.length > 1
                      ? () => sf.update((f) => ({ ...f, ups: f.ups.filter((_, j) => j !== i) }))
                      : undefined
                  }
                />
              ))}
              {issueAt(issues, 'ups') && <p className="field-error">{issueAt(issues, 'ups')}</p>}
              <button
                type="button"
                className="button button-ghost"
                onClick={() =>
                  sf.update((f) => ({
                    ...f,
                    ups: [
                      ...f.ups,
                      { ...upsFromPreset('generic'), username: f.ups[0]?.username ?? '' },
                    ],
                  }))
                }
              >
                <PlusIcon size={16} /> Monitor another UPS on this master
              </button>
            </>
          );
        }}
      </SectionFormShell>
    </>
  );
}

function uniqueId(base: string, taken: Set<string>): string {
  const clean = base.replace(/^[^a-z0-9]+/, '') || 'master';
  if (!taken.has(clean)) return clean;
  for (let n = 2; ; n++) if (!taken.has(`${clean}-${n}`)) return `${clean}-${n}`;
}

function UpsEditor({
  index,
  ups,
  form,
  masterId,
  issues,
  storedPassword,
  onChange,
  onRemove,
}: {
  index: number;
  ups: UpsForm;
  form: MasterForm;
  masterId: string | null;
  issues: Issue[];
  storedPassword: boolean;
  onChange: (change: Partial<UpsForm>) => void;
  onRemove: (() => void) | undefined;
}) {
  const ids = useId();
  const [showPassword, setShowPassword] = useState(false);
  const [test, setTest] = useState<{
    running: boolean;
    result: ConnectionTestResult | null;
    error: { message: string; fix?: string } | null;
  }>({ running: false, result: null, error: null });
  const system = form.host
    ? upsSystemName(
        { host: form.host.trim(), port: Number.isNaN(form.port) ? 3493 : form.port },
        ups.name || '<ups>',
      )
    : null;

  // DSM's other built-in user is offered once per editor, on a click: never a guessing loop.
  const [suggestionUsed, setSuggestionUsed] = useState(false);
  const runTest = async (credentials?: { username: string; password: string }) => {
    setTest({ running: true, result: null, error: null });
    try {
      const password =
        credentials?.password ??
        (ups.passwordSource === 'store' && ups.password !== '' ? ups.password : undefined);
      const result = await api.invoke('config:test-connection', {
        host: form.host.trim(),
        port: Number.isNaN(form.port) ? 3493 : form.port,
        tls: tlsOf(form),
        upsName: ups.name.trim(),
        username: credentials?.username ?? ups.username.trim(),
        ...(password !== undefined ? { password } : {}),
        ...(masterId !== null ? { masterId } : {}),
        preset: form.preset,
        role: ups.role,
      });
      // The only UPS the server offers becomes this entry's UPS.
      if (ups.name.trim() === '' && result.upsName) onChange({ name: result.upsName });
      setTest({ running: false, result, error: null });
      announce(
        result.ok
          ? 'Connection test passed.'
          : `Connection test failed${result.diagnosis ? `: ${result.diagnosis.explanation}` : '.'}`,
        !result.ok,
      );
    } catch (error) {
      setTest({ running: false, result: null, error: errorText(error) });
    }
  };

  return (
    <fieldset className="form-section ups-editor" data-testid="ups-editor">
      <legend>{form.ups.length > 1 ? `UPS ${index + 1}` : 'UPS'}</legend>
      {onRemove && (
        <button
          type="button"
          className="button button-small button-ghost ups-remove"
          onClick={onRemove}
          aria-label={`Remove UPS ${index + 1}`}
        >
          <TrashIcon size={14} /> Remove
        </button>
      )}
      <div className="form-grid">
        <Field
          label="UPS name on the master"
          error={issueAt(issues, 'name')}
          hint={
            form.preset === 'synology'
              ? 'DSM always calls it “ups”.'
              : 'As in the master’s ups.conf — not a user name. Test the connection to pick from the list.'
          }
        >
          {(p) => (
            <input
              {...p}
              value={ups.name}
              onChange={(e) => onChange({ name: e.target.value })}
              spellCheck={false}
              autoComplete="off"
              className="mono"
              list={`${ids}-names`}
              data-testid="ups-name"
            />
          )}
        </Field>
        <Field
          label="User"
          error={issueAt(issues, 'username')}
          hint={
            ups.role === 'secondary'
              ? `A upsd.users user with “${rightHint(test.result?.rightsWords)}”.`
              : 'Empty: anonymous read-only access.'
          }
        >
          {(p) => (
            <input
              {...p}
              value={ups.username}
              onChange={(e) => onChange({ username: e.target.value })}
              spellCheck={false}
              autoComplete="off"
              data-testid="ups-username"
            />
          )}
        </Field>
      </div>
      {test.result && test.result.upsNames.length > 0 && (
        <>
          <datalist id={`${ids}-names`}>
            {test.result.upsNames.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
          <div
            className="ups-picker"
            role="group"
            aria-label="UPS names offered by the master"
            data-testid="ups-picker"
          >
            <span className="muted small">The master offers:</span>
            {test.result.upsNames.map((n) => (
              <button
                key={n}
                type="button"
                className={`chip-button${n === ups.name ? ' is-on' : ''}`}
                aria-pressed={n === ups.name}
                onClick={() => onChange({ name: n })}
              >
                {n}
              </button>
            ))}
          </div>
        </>
      )}

      <fieldset className="role-picker">
        <legend>Role</legend>
        <label className={`role-option${ups.role === 'secondary' ? ' is-selected' : ''}`}>
          <input
            type="radio"
            name={`${ids}-role`}
            checked={ups.role === 'secondary'}
            onChange={() => onChange({ role: 'secondary' })}
            data-testid="role-secondary"
          />
          <span>
            <strong>Secondary</strong> — logs in, so the master waits for this machine; shuts this
            machine down on low battery or forced shutdown.
          </span>
        </label>
        <label className={`role-option${ups.role === 'monitor-only' ? ' is-selected' : ''}`}>
          <input
            type="radio"
            name={`${ids}-role`}
            checked={ups.role === 'monitor-only'}
            onChange={() => onChange({ role: 'monitor-only' })}
            data-testid="role-monitor-only"
          />
          <span>
            <strong>Monitor only</strong> — watches and notifies; never shuts this machine down.
          </span>
        </label>
      </fieldset>

      <div className="form-grid">
        <Field label="Password kept in" error={issueAt(issues, 'password.source')}>
          {(p) => (
            <select
              {...p}
              value={ups.passwordSource}
              onChange={(e) => onChange({ passwordSource: e.target.value as PasswordSourceKind })}
              data-testid="password-source"
            >
              <option value="store">This app’s secret store (recommended)</option>
              <option value="env">An environment variable</option>
              <option value="file">A file</option>
              <option value="none">No password</option>
            </select>
          )}
        </Field>
        {ups.passwordSource === 'store' && (
          <Field
            label="Password"
            hint={
              storedPassword
                ? 'A password is stored. Type a new one to replace it.'
                : form.preset === 'synology' && ups.password === 'secret'
                  ? 'DSM’s built-in password. Never written to the config file.'
                  : 'Never written to the config file.'
            }
          >
            {(p) => (
              <div className="input-with-button">
                <input
                  {...p}
                  type={showPassword ? 'text' : 'password'}
                  value={ups.password}
                  onChange={(e) => onChange({ password: e.target.value })}
                  placeholder={storedPassword ? '•••••••• (stored)' : ''}
                  autoComplete="new-password"
                  data-testid="ups-password"
                />
                <button
                  type="button"
                  className="icon-button"
                  onClick={() => setShowPassword((s) => !s)}
                  aria-pressed={showPassword}
                  aria-label={showPassword ? 'Hide password' : 'Show password'}
                >
                  <EyeIcon size={16} />
                </button>
              </div>
            )}
          </Field>
        )}
        {ups.passwordSource === 'env' && (
          <Field label="Variable name" error={issueAt(issues, 'password.name')}>
            {(p) => (
              <input
                {...p}
                className="mono"
                value={ups.envName}
                onChange={(e) => onChange({ envName: e.target.value })}
                placeholder="NUT_PASSWORD"
              />
            )}
          </Field>
        )}
        {ups.passwordSource === 'file' && (
          <Field label="File path" error={issueAt(issues, 'password.path')}>
            {(p) => (
              <input
                {...p}
                className="mono"
                value={ups.filePath}
                onChange={(e) => onChange({ filePath: e.target.value })}
                placeholder="/etc/nut-sentinel/password"
              />
            )}
          </Field>
        )}
      </div>

      <details className="advanced">
        <summary>More</summary>
        <div className="form-grid">
          <Field
            label="Power value"
            error={issueAt(issues, 'powerValue')}
            hint="upsmon’s MONITOR power value: how many of this machine’s power supplies this UPS feeds. 0 never shuts down."
            className="narrow"
          >
            {(p) => (
              <input
                {...p}
                type="number"
                min={0}
                max={16}
                value={Number.isNaN(ups.powerValue) ? '' : ups.powerValue}
                onChange={(e) => onChange({ powerValue: e.target.valueAsNumber })}
              />
            )}
          </Field>
          <Field
            label="Expected clients"
            hint="One IP address or host name per line: you are told when one of them is not logged in."
            error={issueAt(issues, 'expectedClients')}
          >
            {(p) => (
              <textarea
                {...p}
                rows={3}
                value={ups.expectedClients}
                onChange={(e) => onChange({ expectedClients: e.target.value })}
                spellCheck={false}
              />
            )}
          </Field>
        </div>
      </details>

      <div className="test-row">
        <button
          type="button"
          className="button"
          onClick={() => void runTest()}
          disabled={test.running || form.host.trim() === ''}
          data-testid="test-connection"
        >
          {test.running ? 'Testing…' : 'Test connection'}
        </button>
        {system && <code className="muted small">{system}</code>}
        {form.host.trim() === '' && <span className="muted small">Enter the host first.</span>}
      </div>
      <ErrorBox error={test.error} />
      {test.result && (
        <TestResult
          result={test.result}
          onTestAgain={() => void runTest()}
          onTrySuggestion={
            test.result.suggestion && !suggestionUsed
              ? () => {
                  const suggestion = test.result!.suggestion!;
                  setSuggestionUsed(true);
                  onChange({
                    username: suggestion.username,
                    password: suggestion.password,
                    passwordSource: 'store',
                  });
                  void runTest(suggestion);
                }
              : undefined
          }
        />
      )}
    </fieldset>
  );
}

const STEP_LABEL = CONNECTION_TEST_STEP_LABELS;

/** The right a secondary needs, in the words of the tested server (both while it is unknown). */
function rightHint(words: RightsWords | undefined): string {
  return words
    ? upsmonRight(words, 'secondary')
    : 'upsmon secondary” (“upsmon slave” on NUT before 2.8';
}

function TestResult({
  result,
  onTestAgain,
  onTrySuggestion,
}: {
  result: ConnectionTestResult;
  onTestAgain: () => void;
  onTrySuggestion: (() => void) | undefined;
}) {
  return (
    <div
      className={`test-result${result.ok ? ' is-ok' : ' is-failed'}`}
      data-testid="test-result"
      data-ok={result.ok ? 'true' : 'false'}
      aria-live="polite"
    >
      <ol className="test-steps">
        {result.steps.map((s, i) => (
          <li
            key={i}
            className={s.ok ? 'ok' : 'failed'}
            data-testid="test-step"
            data-step={s.step}
            data-ok={s.ok ? 'true' : 'false'}
          >
            <span className="step-icon">
              {s.ok ? (
                <CheckIcon size={16} title="passed" />
              ) : (
                <CrossIcon size={16} title="failed" />
              )}
            </span>
            <span className="step-name">{STEP_LABEL[s.step]}</span>
            <span className="step-detail">{s.detail}</span>
          </li>
        ))}
      </ol>
      {result.server && (
        <p className="small">
          <strong>Server:</strong> {describeServer(result.server)}
          {result.server.version ? <span className="muted"> — {result.server.version}</span> : null}
        </p>
      )}
      {result.ok && (
        <Callout tone="good" title="Everything works">
          <p>Save the master to start monitoring.</p>
        </Callout>
      )}
      {result.diagnosis && (
        <Callout
          tone="bad"
          title={result.diagnosis.code === 'NOT-PERMITTED' ? 'Not permitted' : 'What is wrong'}
          testId="test-diagnosis"
          action={
            <>
              {onTrySuggestion && result.suggestion && (
                <button
                  type="button"
                  className="button button-small"
                  onClick={onTrySuggestion}
                  data-testid="try-suggestion"
                >
                  Try DSM’s other user “{result.suggestion.username}”
                </button>
              )}
              <button
                type="button"
                className="button button-small"
                onClick={onTestAgain}
                data-testid="test-again"
              >
                Test again
              </button>
            </>
          }
        >
          <DiagnosisText
            explanation={result.diagnosis.explanation}
            fix={result.diagnosis.fix}
            code={result.diagnosis.code}
          />
        </Callout>
      )}
    </div>
  );
}
