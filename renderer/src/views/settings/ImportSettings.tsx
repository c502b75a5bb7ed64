/**
 * Import upsmon.conf / upssched.conf: paste or pick the files, preview the plan (what changes in
 * the current config, with keep/replace choices) and the per-line report, apply, undo.
 */
import { type ChangeEvent, useId, useState } from 'react';
import { type ImportChoice, MAX_IMPORT_FILE_CHARS, type ResponseOf } from '../../../../shared/ipc';
import { api, errorText } from '../../api';
import { useConfig } from '../../config-edit';
import { formatDateTime } from '../../format';
import { Callout, ErrorBox, RichText } from '../../components/common';
import { href } from '../../router';
import { announce, markConfigSaved, toast } from '../../store';
import { ImportPlanView } from './ImportPlanView';

type Report = ResponseOf<'config:import-upsmon'>;

const MAX = MAX_IMPORT_FILE_CHARS;

function FileText({
  label,
  value,
  onChange,
  testId,
  placeholder,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  testId: string;
  placeholder: string;
}) {
  const id = useId();
  const [fileError, setFileError] = useState<string | null>(null);
  const onFile = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    if (file.size > MAX) {
      setFileError(
        `${file.name} is larger than ${MAX / 1024 / 1024} MiB; that is not a upsmon configuration.`,
      );
      return;
    }
    setFileError(null);
    file
      .text()
      .then(onChange)
      .catch(() => setFileError(`${file.name} could not be read.`));
  };
  return (
    <div className="field">
      <div className="label-row">
        <label htmlFor={id}>{label}</label>
        <label className="button button-small button-ghost file-button">
          Choose file…
          <input
            type="file"
            accept=".conf,text/plain"
            onChange={onFile}
            className="visually-hidden"
            data-testid={`${testId}-file`}
          />
        </label>
      </div>
      <textarea
        id={id}
        className="mono"
        rows={8}
        value={value}
        onChange={(e) => onChange(e.target.value.slice(0, MAX))}
        placeholder={placeholder}
        spellCheck={false}
        data-testid={testId}
      />
      {fileError && <div className="field-error">{fileError}</div>}
    </div>
  );
}

export function ImportSettings() {
  const [upsmon, setUpsmon] = useState('');
  const [upssched, setUpssched] = useState('');
  const [preview, setPreview] = useState<{ report: Report; forText: string } | null>(null);
  const [applied, setApplied] = useState<Report | null>(null);
  const [choices, setChoices] = useState<Record<string, ImportChoice>>({});
  const [undone, setUndone] = useState<string | null>(null);
  // An import applied earlier (another visit, another window) can still be undone from here.
  const { data: configData } = useConfig();
  const lastImport = configData?.lastImport;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const key = `${upsmon}\u0000${upssched}`;

  const run = async (apply: boolean, chosen: Record<string, ImportChoice> = choices) => {
    setBusy(true);
    setError(null);
    setUndone(null);
    try {
      const report = await api.invoke('config:import-upsmon', {
        upsmonConf: upsmon,
        ...(upssched.trim() ? { upsschedConf: upssched } : {}),
        apply,
        choices: chosen,
        // What is applied is what was previewed, or nothing.
        ...(apply && preview?.forText === key && preview.report.plan
          ? { planDigest: preview.report.plan.digest }
          : {}),
      });
      if (apply) {
        setApplied(report);
        if (report.ok) {
          markConfigSaved();
          toast('Import applied.');
        } else announce('Import not applied: see the report.', true);
      } else {
        setPreview({ report, forText: key });
        setApplied(null);
        announce(report.ok ? 'Preview ready.' : 'Preview shows problems.');
      }
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const undo = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await api.invoke('config:undo-import', undefined);
      setApplied(null);
      setPreview(null);
      setUndone(result.summary);
      markConfigSaved();
      toast('Import undone.');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const undoButton = (
    <button
      type="button"
      className="button button-small"
      onClick={() => void undo()}
      disabled={busy}
      data-testid="import-undo"
    >
      Undo import
    </button>
  );

  const choose = (id: string, choice: ImportChoice) => {
    const next = { ...choices, [id]: choice };
    setChoices(next);
    void run(false, next);
  };

  const current = preview && preview.forText === key ? preview.report : null;
  const shown = applied ?? current;
  const counts = shown ? countBy(shown.report.map((r) => r.status)) : null;

  return (
    <section aria-labelledby="import-h" data-testid="import-section">
      <div className="section-head">
        <h2 id="import-h">Import from upsmon</h2>
      </div>
      <p className="muted">
        Moving from upsmon? Paste your <code>upsmon.conf</code> (and <code>upssched.conf</code>, if
        you use timers). The preview shows what changes in your current configuration (masters added
        or merged, rules and hooks added or replaced) and how each line maps; nothing changes until
        you apply, and an applied import can be undone. Passwords from MONITOR lines go to the
        secret store, never into the configuration file.
      </p>
      <div className="form-grid two">
        <FileText
          label="upsmon.conf"
          value={upsmon}
          onChange={setUpsmon}
          testId="import-upsmon"
          placeholder={
            'MONITOR ups@diskstation 1 monuser secret secondary\nSHUTDOWNCMD "/sbin/shutdown -h +0"'
          }
        />
        <FileText
          label="upssched.conf (optional)"
          value={upssched}
          onChange={setUpssched}
          testId="import-upssched"
          placeholder={
            'CMDSCRIPT /usr/local/bin/upssched-cmd\nAT ONBATT * START-TIMER onbatt 120\nAT ONLINE * CANCEL-TIMER onbatt'
          }
        />
      </div>
      <div className="button-row">
        <button
          type="button"
          className="button"
          onClick={() => {
            // New text, new plan: earlier choices named other items.
            const fresh = preview?.forText === key ? choices : {};
            setChoices(fresh);
            void run(false, fresh);
          }}
          disabled={busy || upsmon.trim() === ''}
          data-testid="import-preview"
        >
          Preview
        </button>
        <button
          type="button"
          className="button button-primary"
          onClick={() => void run(true)}
          disabled={busy || !current || !current.ok || applied !== null}
          data-testid="import-apply"
        >
          Apply import
        </button>
        {preview && preview.forText !== key && (
          <span className="muted small">The text changed: preview again before applying.</span>
        )}
      </div>
      <ErrorBox error={error} />
      {applied?.ok && (
        <Callout
          tone="good"
          title="Import applied"
          testId="import-applied"
          role="status"
          action={
            <>
              <a
                className="button button-small"
                href={href({ name: 'settings', section: 'masters' })}
              >
                Review the masters
              </a>
              {applied.undoAvailable && undoButton}
            </>
          }
        >
          <p>
            The configuration was updated as planned below, and monitoring restarts with it.
            {applied.undoAvailable &&
              ' Undo puts the previous configuration file back exactly as it was, and removes the passwords this import added.'}
          </p>
        </Callout>
      )}
      {!applied && !undone && lastImport && (
        <Callout
          tone="info"
          title="The last import can be undone"
          testId="import-last"
          action={undoButton}
        >
          <p>
            Applied at {formatDateTime(lastImport.at)}: {lastImport.summary}. Undo puts the
            configuration file back exactly as it was before it.
          </p>
        </Callout>
      )}
      {undone && (
        <Callout tone="good" title="Import undone" testId="import-undone" role="status">
          <p>{undone}</p>
        </Callout>
      )}
      {shown?.plan && (
        <ImportPlanView
          plan={shown.plan}
          applied={applied !== null}
          busy={busy}
          chosen={choices}
          onChoice={choose}
        />
      )}
      {shown && (
        <div className="import-report" data-testid="import-report">
          <h3>
            {applied ? 'Import report' : 'Preview'}
            {counts && (
              <span className="report-counts">
                {(['mapped', 'ignored', 'unsupported', 'error'] as const).map((s) =>
                  counts[s] ? (
                    <span key={s} className={`status-chip st-${s}`}>
                      {counts[s]} {s}
                    </span>
                  ) : null,
                )}
              </span>
            )}
          </h3>
          {!shown.ok && (
            <Callout tone="bad" title="This cannot be imported as it is">
              <p>Fix the lines marked “error” and preview again.</p>
            </Callout>
          )}
          <div className="table-wrap">
            <table className="report-table">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Text</th>
                  <th scope="col">Result</th>
                  <th scope="col">Note</th>
                </tr>
              </thead>
              <tbody>
                {shown.report.map((r, i) => (
                  <tr key={i} data-testid="import-line" data-status={r.status}>
                    <td className="nowrap muted">
                      {r.file}:{r.line}
                    </td>
                    <td>
                      <code>{r.text}</code>
                    </td>
                    <td>
                      <span className={`status-chip st-${r.status}`}>{r.status}</span>
                    </td>
                    <td>
                      <RichText text={r.note} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {shown.config && !applied && (
            <p className="small muted">
              After import: {shown.config.masters.length} master(s),{' '}
              {shown.config.masters.reduce((n, m) => n + m.ups.length, 0)} UPS(es),{' '}
              {shown.config.hooks.upssched?.rules.length ?? 0} upssched rule(s).
            </p>
          )}
        </div>
      )}
    </section>
  );
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
