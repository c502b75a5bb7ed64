/**
 * One settings section as a form: loads its slice of the config, validates it with the section's
 * zod schema as the user types (errors shown after the first save attempt), saves with
 * `config:save` and shows the core's issues afterwards.
 */
import { type FormEvent, type ReactNode, useMemo, useRef, useState } from 'react';
import type * as z from 'zod';
import type { Config } from '../../shared/config';
import { Callout, ErrorBox, RichText, Spinner, focusFirstInvalid } from './components/common';
import {
  type ConfigData,
  type Issue,
  issuesOf,
  saveConfig,
  scopeIssues,
  useConfig,
} from './config-edit';
import { CheckIcon } from './icons';
import { announce, toast, useApp } from './store';

export interface SectionForm<T> {
  value: T | null;
  data: ConfigData | null;
  loadError: string | null;
  update: (fn: (v: T) => T) => void;
  issues: Issue[];
  /** Issues of a sub-path with the sub-path removed. */
  issuesAt: (prefix: string) => Issue[];
  dirty: boolean;
  saving: boolean;
  savedAt: number | null;
  save: () => Promise<boolean>;
  reset: () => void;
  /** Issues that did not fit any field (or came from elsewhere). */
  generalIssues: Issue[];
  /** Why the last save stopped before `config:save` (see `beforeSave`). */
  saveError: SaveError | null;
}

export interface SaveError {
  message: string;
  fix?: string | undefined;
}

export function useSectionForm<T>({
  select,
  schema,
  apply,
  prefix,
  knownPaths = () => true,
  toInput,
  extraIssues,
  beforeSave,
  onSaved,
}: {
  select: (c: Config) => T;
  schema: z.ZodType;
  /**
   * Puts the value into the config. It gets the schema's output, or the value itself when
   * `toInput` is given (the form model then differs from what the schema checks).
   */
  apply: (c: Config, v: T) => Config;
  /** This section's path in the config (for the core's issues), '' for several. */
  prefix: string;
  /** Paths shown next to a field; the others are listed above the save button. */
  knownPaths?: (path: string) => boolean;
  /** What the schema validates, when the form model is not the config's own shape. */
  toInput?: (v: T) => unknown;
  /** Checks the schema cannot make (e.g. uniqueness against the rest of the config). */
  extraIssues?: (v: T) => Issue[];
  /** Runs after validation and before `config:save`; an error stops the save and is shown. */
  beforeSave?: (v: T) => Promise<SaveError | null>;
  /** After a successful save (default: a "Settings saved." toast). */
  onSaved?: (v: T) => void;
}): SectionForm<T> {
  const { data, error: loadError } = useConfig();
  const [value, setValue] = useState<T | null>(() => (data ? select(data.config) : null));
  const [dirty, setDirty] = useState(false);
  const [seenData, setSeenData] = useState(data);
  const [submitted, setSubmitted] = useState(false);
  const [coreIssues, setCoreIssues] = useState<Issue[]>([]);
  const [saving, setSaving] = useState(false);
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const [saveError, setSaveError] = useState<SaveError | null>(null);

  // A newly loaded config replaces the form, unless the user is editing it.
  if (data !== seenData) {
    setSeenData(data);
    if (data && !dirty) setValue(select(data.config));
  }

  const clientIssues = useMemo(() => {
    if (value === null) return [];
    const r = schema.safeParse(toInput ? toInput(value) : value);
    return [...(r.success ? [] : issuesOf(r.error)), ...(extraIssues?.(value) ?? [])];
  }, [value, schema, toInput, extraIssues]);

  const issues = submitted ? [...clientIssues, ...coreIssues] : coreIssues;

  const update = (fn: (v: T) => T) => {
    setValue((v) => (v === null ? v : fn(v)));
    setDirty(true);
    setSavedAt(null);
    setCoreIssues([]);
  };

  const save = async (): Promise<boolean> => {
    setSubmitted(true);
    setSaveError(null);
    if (value === null) return false;
    const parsed = schema.safeParse(toInput ? toInput(value) : value);
    if (!parsed.success || (extraIssues?.(value).length ?? 0) > 0) {
      announce('Not saved: please correct the highlighted fields.', true);
      return false;
    }
    const saved = toInput ? value : (parsed.data as T);
    setSaving(true);
    const stopped = beforeSave ? await beforeSave(saved) : null;
    if (stopped) {
      setSaving(false);
      setSaveError(stopped);
      return false;
    }
    const result = await saveConfig((c) => apply(c, saved));
    setSaving(false);
    if (result.ok) {
      setDirty(false);
      setSubmitted(false);
      setCoreIssues([]);
      setSavedAt(Date.now());
      setValue(select(result.config));
      if (onSaved) onSaved(saved);
      else toast('Settings saved.');
      return true;
    }
    setCoreIssues(
      result.stage === 'transport' ? result.issues : scopeIssuesOrKeep(result.issues, prefix),
    );
    announce('Not saved: see the problems listed.', true);
    return false;
  };

  const reset = () => {
    if (data) setValue(select(data.config));
    setDirty(false);
    setSubmitted(false);
    setCoreIssues([]);
  };

  return {
    value,
    data,
    loadError,
    update,
    issues,
    issuesAt: (p) => scopeIssues(issues, p),
    dirty,
    saving,
    savedAt,
    save,
    reset,
    generalIssues: issues.filter((i) => i.path === '' || !knownPaths(i.path)),
    saveError,
  };
}

/** Core issues inside the section lose the prefix; others keep their full path. */
function scopeIssuesOrKeep(issues: Issue[], prefix: string): Issue[] {
  if (prefix === '') return issues;
  return issues.map((i) =>
    i.path === prefix || i.path.startsWith(`${prefix}.`)
      ? { ...i, path: i.path.slice(prefix.length + 1) }
      : { ...i, path: `(config) ${i.path}` },
  );
}

export function SectionFormShell<T>({
  form,
  children,
  testId,
  label,
  className,
  saveBar,
}: {
  form: SectionForm<T>;
  children: (value: T) => ReactNode;
  testId: string;
  label: string;
  /** Added to `settings-form`. */
  className?: string;
  saveBar?: SaveBarOptions;
}) {
  const ref = useRef<HTMLFormElement>(null);
  // Without a valid token the transport banner explains it; no second, generic error here.
  const unauthorized = useApp((s) => s.transport.kind === 'unauthorized');
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void form.save().then((ok) => {
      if (!ok) focusFirstInvalid(ref.current);
    });
  };
  if (form.loadError && unauthorized) return null;
  if (form.loadError)
    return (
      <Callout tone="bad" title="The settings could not be loaded">
        <RichText text={form.loadError} />
      </Callout>
    );
  if (form.value === null) return <Spinner label="Loading settings" />;
  return (
    <form
      className={className ? `settings-form ${className}` : 'settings-form'}
      onSubmit={onSubmit}
      noValidate
      data-testid={testId}
      aria-label={label}
      ref={ref}
    >
      {children(form.value)}
      <SaveBar form={form} {...saveBar} />
    </form>
  );
}

export interface SaveBarOptions {
  /** Default "Save". */
  saveLabel?: string;
  /** Default `save-settings`. */
  saveTestId?: string;
  /**
   * Default true: Save is enabled only with changes, and "Discard changes" is offered. False for
   * an editor that creates something (a prefilled new entry is worth saving as it is).
   */
  requireChanges?: boolean;
  /** More controls before the buttons (e.g. Remove, Cancel). */
  actions?: ReactNode;
}

export function SaveBar<T>({
  form,
  saveLabel = 'Save',
  saveTestId = 'save-settings',
  requireChanges = true,
  actions,
}: { form: SectionForm<T> } & SaveBarOptions) {
  const count = form.issues.length;
  const dirty = form.dirty || !requireChanges;
  return (
    <>
      <ErrorBox error={form.saveError} />
      <div className={`save-bar${dirty ? ' is-dirty' : ''}`}>
        {count > 0 && (
          <div className="save-issues" role="alert" data-testid="save-issues">
            <strong>
              {count === 1 ? 'One problem' : `${count} problems`} to fix before saving
              {form.generalIssues.length > 0 ? ':' : ' (highlighted above).'}
            </strong>
            {form.generalIssues.length > 0 && (
              <ul>
                {form.generalIssues.map((i, n) => (
                  <li key={n}>
                    {i.path && <code>{i.path}</code>} {i.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div className="save-actions">
          {form.savedAt !== null && !form.dirty && (
            <span className="saved-note" role="status" data-testid="saved-note">
              <CheckIcon size={16} /> Saved
            </span>
          )}
          {actions}
          {form.dirty && requireChanges && (
            <button
              type="button"
              className="button button-ghost"
              onClick={form.reset}
              disabled={form.saving}
            >
              Discard changes
            </button>
          )}
          <button
            type="submit"
            className="button button-primary"
            disabled={form.saving || !dirty}
            data-testid={saveTestId}
          >
            {form.saving ? 'Saving…' : saveLabel}
          </button>
        </div>
      </div>
    </>
  );
}
