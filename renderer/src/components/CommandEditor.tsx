/**
 * A program and its arguments, edited as a list (never a shell string): each argument reaches
 * the program exactly as typed, so quoting and injection are not a concern.
 */
import { useId } from 'react';
import type { Command } from '../../../shared/config';
import type { Issue } from '../config-edit';
import { issueAt } from '../config-edit';
import { displayCommand } from '../format';
import { CrossIcon, DownIcon, PlusIcon, UpIcon } from '../icons';

export function CommandEditor({
  value,
  onChange,
  issues = [],
  label = 'Program',
  testId,
  filePlaceholder = '/usr/local/bin/my-script',
}: {
  value: Command;
  onChange: (next: Command) => void;
  issues?: Issue[];
  label?: string;
  testId?: string;
  filePlaceholder?: string;
}) {
  const id = useId();
  const fileError = issueAt(issues, 'file');
  const setArg = (i: number, v: string) =>
    onChange({ ...value, args: value.args.map((a, j) => (j === i ? v : a)) });
  const move = (i: number, d: -1 | 1) => {
    const args = [...value.args];
    const j = i + d;
    if (j < 0 || j >= args.length) return;
    [args[i], args[j]] = [args[j]!, args[i]!];
    onChange({ ...value, args });
  };
  return (
    <div className="command-editor" data-testid={testId}>
      <div className={`field${fileError ? ' has-error' : ''}`}>
        <label htmlFor={`${id}-file`}>{label}</label>
        <input
          id={`${id}-file`}
          className="mono"
          value={value.file}
          placeholder={filePlaceholder}
          onChange={(e) => onChange({ ...value, file: e.target.value })}
          aria-invalid={fileError ? true : undefined}
          aria-describedby={fileError ? `${id}-file-error` : undefined}
          spellCheck={false}
          autoComplete="off"
          data-testid={testId ? `${testId}-file` : undefined}
        />
        {fileError && (
          <div className="field-error" id={`${id}-file-error`}>
            <CrossIcon size={14} /> {fileError}
          </div>
        )}
      </div>
      <fieldset className="args">
        <legend>Arguments</legend>
        {value.args.length === 0 && <p className="muted small">No arguments.</p>}
        <ol className="arg-list">
          {value.args.map((arg, i) => (
            <li key={i} className="arg-row">
              <label className="visually-hidden" htmlFor={`${id}-arg-${i}`}>
                Argument {i + 1}
              </label>
              <input
                id={`${id}-arg-${i}`}
                className="mono"
                value={arg}
                onChange={(e) => setArg(i, e.target.value)}
                spellCheck={false}
                autoComplete="off"
                data-testid={testId ? `${testId}-arg` : undefined}
              />
              <button
                type="button"
                className="icon-button"
                onClick={() => move(i, -1)}
                disabled={i === 0}
                aria-label={`Move argument ${i + 1} up`}
              >
                <UpIcon size={16} />
              </button>
              <button
                type="button"
                className="icon-button"
                onClick={() => move(i, 1)}
                disabled={i === value.args.length - 1}
                aria-label={`Move argument ${i + 1} down`}
              >
                <DownIcon size={16} />
              </button>
              <button
                type="button"
                className="icon-button"
                onClick={() => onChange({ ...value, args: value.args.filter((_, j) => j !== i) })}
                aria-label={`Remove argument ${i + 1}`}
              >
                <CrossIcon size={16} />
              </button>
            </li>
          ))}
        </ol>
        <button
          type="button"
          className="button button-small button-ghost"
          onClick={() => onChange({ ...value, args: [...value.args, ''] })}
          data-testid={testId ? `${testId}-add-arg` : undefined}
        >
          <PlusIcon size={14} /> Add argument
        </button>
      </fieldset>
      {value.file && (
        <p className="command-preview small">
          <span className="muted">Runs (no shell): </span>
          <code>{displayCommand(value.file, value.args)}</code>
        </p>
      )}
    </div>
  );
}
