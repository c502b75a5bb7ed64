/**
 * One monitored UPS of a master: its name on the server (picked from the list after a test), user,
 * role, where its password is kept, upsmon's power value, expected clients and the connection test.
 */
import { useId, useState } from 'react';
import { upsSystemName } from '../../../../shared/config';
import { type RightsWords, upsmonRight } from '../../../../shared/rights';
import { ErrorBox, Field, NumberInput } from '../../components/common';
import { type Issue, issueAt } from '../../config-edit';
import { EyeIcon, TrashIcon } from '../../icons';
import { ConnectionTestReport, useConnectionTest } from './ConnectionTest';
import type { MasterForm, PasswordSourceKind, UpsForm } from './master-form';

export function UpsEditor({
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
  const system = form.host
    ? upsSystemName(
        { host: form.host.trim(), port: Number.isNaN(form.port) ? 3493 : form.port },
        ups.name || '<ups>',
      )
    : null;

  // DSM's other built-in user is offered once per editor, on a click: never a guessing loop.
  const [suggestionUsed, setSuggestionUsed] = useState(false);
  const { test, runTest } = useConnectionTest({ form, ups, masterId, onChange });

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
              <NumberInput
                {...p}
                min={0}
                max={16}
                value={ups.powerValue}
                onValue={(typed) => onChange({ powerValue: typed })}
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
        <ConnectionTestReport
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

/** The right a secondary needs, in the words of the tested server (both while it is unknown). */
function rightHint(words: RightsWords | undefined): string {
  return words
    ? upsmonRight(words, 'secondary')
    : 'upsmon secondary” (“upsmon slave” on NUT before 2.8';
}
