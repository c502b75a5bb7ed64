/**
 * Add or edit a NUT master: presets (Synology, Proxmox, other) with their hints, the connection,
 * each monitored UPS (picked from the server's list after a test), role, user and password
 * (saved with secrets:set-password, never in the config), and a step-by-step connection test
 * with the core's diagnosis.
 */
import { useId, useMemo } from 'react';
import { MASTER_PRESETS, MasterSchema } from '../../../../shared/config';
import { api, errorText } from '../../api';
import { Callout, Field, NumberInput } from '../../components/common';
import { type Issue, issueAt, scopeIssues, useConfig } from '../../config-edit';
import { slugify } from '../../format';
import { ArrowLeftIcon, PlusIcon } from '../../icons';
import { type MasterPrefill, type PresetName, href, useNavigateWhileShown } from '../../router';
import { SectionFormShell, useSectionForm } from '../../section-form';
import { toast } from '../../store';
import {
  type MasterForm,
  type UpsForm,
  formFromMaster,
  newForm,
  toMaster,
  uniqueId,
  upsFromPreset,
  withPrefill,
} from './master-form';
import { PresetPicker } from './PresetPicker';
import { RemoveMasterControls } from './RemoveMasterControls';
import { TlsSection } from './TlsSection';
import { UpsEditor } from './UpsEditor';

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
  const ids = useId();
  const existing =
    masterId === null ? null : (data?.config.masters.find((m) => m.id === masterId) ?? null);
  const otherIds = useMemo(
    () => new Set((data?.config.masters ?? []).filter((m) => m.id !== masterId).map((m) => m.id)),
    [data, masterId],
  );
  const backHref = href({ name: 'settings', section: 'masters' });
  const navigate = useNavigateWhileShown();

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
              <RemoveMasterControls
                masterId={masterId}
                label={form?.label}
                saving={sf.saving}
                backHref={backHref}
              />
              <span className="spacer" />
              <a className="button button-ghost" href={backHref}>
                Cancel
              </a>
            </>
          ),
        }}
      >
        {(form) => (
          <>
            <PresetPicker
              preset={form.preset}
              radioName={`${ids}-preset`}
              onChoose={choosePreset}
            />

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
                    <NumberInput
                      {...p}
                      min={1}
                      max={65535}
                      value={form.port}
                      onValue={(typed) => set({ port: typed })}
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
              <TlsSection form={form} issues={issues} onChange={set} />
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
        )}
      </SectionFormShell>
    </>
  );
}
