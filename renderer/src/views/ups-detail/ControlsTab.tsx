/**
 * The "Commands" tab of a UPS: the instant commands it offers (LIST CMD + CMDDESC), its writable
 * settings (LIST RW with ENUM/RANGE as choices or bounded inputs), the credential that has the
 * right (typed in, or remembered apart from the monitoring one), each result as TRACKING
 * reports it, and the scheduled self-tests. The core decides; the form only keeps bad values and
 * unconfirmed dangerous commands from leaving.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { UpsSnapshot } from '../../../../shared/snapshot';
import {
  type ActionOutcome,
  type CommandCredential,
  DANGER_TEXT,
  DEFAULT_MUTE_MINUTES,
  type UpsCommandInfo,
  type UpsControls,
  type UpsWritable,
  commandDanger,
} from '../../../../shared/ups-commands';
import { api, errorText } from '../../api';
import { Callout, ErrorBox, Field, RichText, Spinner, Switch } from '../../components/common';
import { TypedNameConfirm, confirmsName } from '../../components/TypedNameConfirm';
import { formatTimeOfDay } from '../../format';
import { RefreshIcon, SearchIcon } from '../../icons';
import { announce } from '../../store';
import {
  type CredentialForm,
  EMPTY_CREDENTIAL,
  checkWritableValue,
  credentialOf,
  needsConfirmation,
  outcomeSummary,
} from './controls-form';
import { SelfTestsSection } from './SelfTestsSection';

type ErrorInfo = { message: string; fix?: string } | null;

/** From this many writable variables on, the list gets a search field. */
const WRITABLE_FILTER_FROM = 8;
/** A result line: the request in flight (TRACKING pending), or the core's outcome. */
type Result =
  | { state: 'running' }
  | { state: 'done'; outcome: ActionOutcome }
  | { state: 'error'; error: ErrorInfo };

export function ControlsTab({ ups }: { ups: UpsSnapshot }) {
  const [reload, setReload] = useState(0);
  const key = `${ups.monitorId}#${reload}`;
  const [loaded, setLoaded] = useState<{
    key: string;
    controls: UpsControls | null;
    error: ErrorInfo;
  }>({
    key: '',
    controls: null,
    error: null,
  });
  const [credential, setCredential] = useState<CredentialForm>(EMPTY_CREDENTIAL);
  const [results, setResults] = useState<Record<string, Result>>({});
  const storedSeen = useRef<string | null | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    api
      .invoke('ups:list-controls', { monitorId: ups.monitorId })
      .then((controls) => {
        if (cancelled) return;
        setLoaded({ key, controls, error: null });
        // A newly remembered (or forgotten) credential becomes the default; a re-read after a
        // command keeps the user's choice.
        if (storedSeen.current !== controls.storedCredentialUser) {
          storedSeen.current = controls.storedCredentialUser;
          setCredential((c) => ({ ...c, useStored: controls.storedCredentialUser !== null }));
        }
      })
      .catch((e: unknown) => !cancelled && setLoaded({ key, controls: null, error: errorText(e) }));
    return () => {
      cancelled = true;
    };
  }, [ups.monitorId, key]);

  const { controls, error } = loaded;
  const storedUser = controls?.storedCredentialUser ?? null;
  const resolved = credentialOf(credential, storedUser);

  /** Runs one request with the credential; a remembered one is listed again afterwards. */
  async function act(
    id: string,
    send: (credential: CommandCredential) => Promise<ActionOutcome>,
  ): Promise<void> {
    if (!resolved.ok) return;
    setResults((r) => ({ ...r, [id]: { state: 'running' } }));
    try {
      const outcome = await send(resolved.credential);
      setResults((r) => ({ ...r, [id]: { state: 'done', outcome } }));
      announce(`${outcome.name}: ${outcomeSummary(outcome).label}`);
      if (credential.remember && !credential.useStored && outcome.state !== 'refused') {
        setCredential({ ...EMPTY_CREDENTIAL, useStored: true });
        setReload((n) => n + 1);
      }
    } catch (e) {
      setResults((r) => ({ ...r, [id]: { state: 'error', error: errorText(e) } }));
    }
  }

  const forget = async () => {
    try {
      await api.invoke('ups:forget-command-credential', { monitorId: ups.monitorId });
      setCredential(EMPTY_CREDENTIAL);
      announce('The remembered command credential is forgotten.');
      setReload((n) => n + 1);
    } catch (e) {
      setLoaded((l) => ({ ...l, error: errorText(e) }));
    }
  };

  return (
    <div className="controls-tab" data-testid="controls-tab">
      <div className="section-head">
        <h2>Commands and settings</h2>
        <button
          type="button"
          className="button button-ghost button-small"
          onClick={() => setReload((n) => n + 1)}
          disabled={loaded.key !== key}
        >
          <RefreshIcon size={16} /> Read again
        </button>
      </div>
      <ErrorBox error={error} testId="controls-error" />
      {!controls && !error && <Spinner label="Reading the commands and settings" />}
      {controls && (
        <>
          <p className="muted small" data-testid="controls-server">
            {controls.server.version ?? 'Server version not known'}
            {' — '}
            {controls.tracking
              ? 'results come from TRACKING (the driver says whether it worked).'
              : 'this server has no TRACKING (NUT before 2.8.0): only whether upsd passed a command on is known.'}
          </p>
          <CredentialSection
            controls={controls}
            form={credential}
            onChange={setCredential}
            onForget={() => void forget()}
            problem={resolved.ok ? null : resolved.error}
          />
          <CommandsSection
            ups={ups}
            commands={controls.commands}
            results={results}
            canSend={resolved.ok}
            onRun={(command, extra) =>
              act(`cmd:${command.name}`, (c) =>
                api.invoke('ups:run-command', {
                  monitorId: ups.monitorId,
                  command: command.name,
                  credential: c,
                  ...extra,
                }),
              )
            }
          />
          <WritableSection
            writable={controls.writable}
            results={results}
            canSend={resolved.ok}
            onSet={(variable, value) =>
              act(`set:${variable.name}`, (c) =>
                api.invoke('ups:set-variable', {
                  monitorId: ups.monitorId,
                  name: variable.name,
                  value,
                  credential: c,
                }),
              ).then(() => setReload((n) => n + 1))
            }
          />
          <SelfTestsSection
            ups={ups}
            controls={controls}
            credential={resolved.ok ? resolved.credential : null}
          />
        </>
      )}
    </div>
  );
}

function CredentialSection({
  controls,
  form,
  onChange,
  onForget,
  problem,
}: {
  controls: UpsControls;
  form: CredentialForm;
  onChange: (form: CredentialForm) => void;
  onForget: () => void;
  problem: string | null;
}) {
  const ids = useId();
  const stored = controls.storedCredentialUser;
  return (
    <section aria-labelledby={`${ids}-h`} className="card-section" data-testid="command-credential">
      <h3 id={`${ids}-h`}>Credential with the right</h3>
      <p className="muted small">
        Commands need a upsd.users entry with <code>instcmds = …</code>, settings one with{' '}
        <code>actions = SET</code>. It is kept apart from the monitoring login
        {controls.canRemember
          ? ' and, if you choose, remembered in the secret store (never in the config file).'
          : '; this machine has no secret store, so it is asked for each time.'}
      </p>
      {stored !== null && (
        <div className="row-gap">
          <Switch
            checked={form.useStored}
            onChange={(useStored) => onChange({ ...form, useStored })}
            label={`Use the remembered credential of ${stored}`}
            testId="use-stored-credential"
          />
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={onForget}
            data-testid="forget-credential"
          >
            Forget it
          </button>
        </div>
      )}
      {!(form.useStored && stored !== null) && (
        <div className="form-grid">
          <Field label="upsd user">
            {(p) => (
              <input
                {...p}
                value={form.username}
                onChange={(e) => onChange({ ...form, username: e.target.value })}
                autoComplete="username"
                spellCheck={false}
                data-testid="command-username"
              />
            )}
          </Field>
          <Field label="Password">
            {(p) => (
              <input
                {...p}
                type="password"
                value={form.password}
                onChange={(e) => onChange({ ...form, password: e.target.value })}
                autoComplete="current-password"
                data-testid="command-password"
              />
            )}
          </Field>
          {controls.canRemember && (
            <Switch
              checked={form.remember}
              onChange={(remember) => onChange({ ...form, remember })}
              label="Remember it for this UPS"
              hint="In the secret store, apart from the monitoring password."
              testId="remember-credential"
            />
          )}
        </div>
      )}
      {problem && (
        <p className="muted small" data-testid="credential-problem">
          {problem}
        </p>
      )}
    </section>
  );
}

function ResultLine({ result, testId }: { result: Result | undefined; testId: string }) {
  if (!result) return null;
  if (result.state === 'running')
    return (
      <div
        className="command-result tone-info"
        data-testid={testId}
        data-state="pending"
        role="status"
      >
        Pending… waiting for the driver’s verdict
      </div>
    );
  if (result.state === 'error') return <ErrorBox error={result.error} testId={testId} />;
  const { outcome } = result;
  const summary = outcomeSummary(outcome);
  return (
    <div
      className={`command-result tone-${summary.tone}`}
      data-testid={testId}
      data-state={outcome.state}
      role="status"
    >
      <strong>{summary.label}</strong>
      {outcome.code && <code className="diag-code"> {outcome.code}</code>}
      <span> — {outcome.message}</span>
      {outcome.fix && (
        <p className="diag-fix">
          <strong>Fix: </strong>
          <RichText text={outcome.fix} />
        </p>
      )}
      {outcome.rightsHint && (
        <pre className="rights-hint" data-testid="rights-hint">
          {outcome.rightsHint}
        </pre>
      )}
      {outcome.revertAt !== null && (
        <p className="small" data-testid="mute-revert">
          The beeper is switched back on at {formatTimeOfDay(outcome.revertAt)}.
        </p>
      )}
    </div>
  );
}

function CommandsSection({
  ups,
  commands,
  results,
  canSend,
  onRun,
}: {
  ups: UpsSnapshot;
  commands: UpsCommandInfo[];
  results: Record<string, Result>;
  canSend: boolean;
  onRun: (
    command: UpsCommandInfo,
    extra: { confirmUpsName?: string; muteMinutes?: number },
  ) => Promise<void>;
}) {
  const ids = useId();
  const [confirming, setConfirming] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  return (
    <section aria-labelledby={`${ids}-h`} data-testid="commands-section">
      <h3 id={`${ids}-h`}>Instant commands</h3>
      {commands.length === 0 && (
        <p className="muted">This UPS offers no instant commands (LIST CMD is empty).</p>
      )}
      <ul className="command-list">
        {commands.map((command) => {
          const danger = commandDanger(command.name);
          const result = results[`cmd:${command.name}`];
          const busy = result?.state === 'running';
          const open = confirming === command.name;
          return (
            <li key={command.name} data-testid="command-row" data-name={command.name}>
              <div className="command-head">
                <div>
                  <code>{command.name}</code>
                  {danger && (
                    <span className="badge tone-bad" title={DANGER_TEXT[danger]}>
                      {danger === 'cuts-power'
                        ? 'cuts power'
                        : danger === 'drains-battery'
                          ? 'drains battery'
                          : 'unprotected'}
                    </span>
                  )}
                  <div className={command.description ? 'small' : 'small muted'}>
                    {command.description ?? 'No description from the server'}
                  </div>
                </div>
                <div className="row-gap">
                  {command.timedMute && (
                    <button
                      type="button"
                      className="button button-small"
                      disabled={!canSend || busy}
                      onClick={() => void onRun(command, { muteMinutes: DEFAULT_MUTE_MINUTES })}
                      data-testid="mute-for-an-hour"
                    >
                      For 1 hour
                    </button>
                  )}
                  <button
                    type="button"
                    className={`button button-small${danger ? ' button-danger' : ''}`}
                    disabled={!canSend || busy}
                    onClick={() => {
                      if (needsConfirmation(command.name)) {
                        setConfirming(open ? null : command.name);
                        setTyped('');
                      } else void onRun(command, {});
                    }}
                    aria-expanded={danger ? open : undefined}
                    data-testid="run-command"
                  >
                    Run
                  </button>
                </div>
              </div>
              {open && danger && (
                <div className="command-confirm" data-testid="command-confirm">
                  <Callout tone="bad" title={`${command.name} ${DANGER_TEXT[danger]}.`}>
                    <p>
                      Everything plugged into {ups.upsName} depends on it. The core refuses it
                      without the typed name.
                    </p>
                  </Callout>
                  <TypedNameConfirm
                    name={ups.upsName}
                    value={typed}
                    onChange={setTyped}
                    testId="command-confirm-name"
                  />
                  <div className="row-gap">
                    <button
                      type="button"
                      className="button button-danger button-small"
                      disabled={!canSend || busy || !confirmsName(typed, ups.upsName)}
                      onClick={() => {
                        setConfirming(null);
                        void onRun(command, { confirmUpsName: typed });
                      }}
                      data-testid="command-confirm-run"
                    >
                      Run {command.name}
                    </button>
                    <button
                      type="button"
                      className="button button-ghost button-small"
                      onClick={() => setConfirming(null)}
                    >
                      Cancel
                    </button>
                  </div>
                </div>
              )}
              <ResultLine result={result} testId="command-result" />
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function WritableSection({
  writable,
  results,
  canSend,
  onSet,
}: {
  writable: UpsWritable[];
  results: Record<string, Result>;
  canSend: boolean;
  onSet: (variable: UpsWritable, value: string) => Promise<void>;
}) {
  const ids = useId();
  const [query, setQuery] = useState('');
  const q = query.trim().toLowerCase();
  // Some drivers (dummy-ups) make every variable writable: a filter keeps the list usable.
  const shown = writable.filter(
    (v) =>
      q === '' ||
      v.name.toLowerCase().includes(q) ||
      (v.description ?? '').toLowerCase().includes(q),
  );
  return (
    <section aria-labelledby={`${ids}-h`} data-testid="writable-section">
      <h3 id={`${ids}-h`}>Writable settings</h3>
      {writable.length === 0 && (
        <p className="muted">This UPS has no writable variables (LIST RW is empty).</p>
      )}
      {writable.length > WRITABLE_FILTER_FROM && (
        <div className="filter-search wide" role="search">
          <SearchIcon size={16} />
          <label htmlFor={`${ids}-q`} className="visually-hidden">
            Search writable settings
          </label>
          <input
            id={`${ids}-q`}
            type="search"
            placeholder={`Search ${writable.length} writable settings`}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            data-testid="writable-search"
          />
        </div>
      )}
      <ul className="command-list">
        {shown.map((variable) => (
          <WritableRow
            // A new value read from the UPS starts the row over.
            key={`${variable.name}=${variable.value}`}
            variable={variable}
            result={results[`set:${variable.name}`]}
            canSend={canSend}
            onSet={onSet}
          />
        ))}
      </ul>
    </section>
  );
}

/** One writable variable: ENUM as a choice, RANGE as a bounded number, STRING:n with its length. */
export function WritableRow({
  variable,
  result,
  canSend,
  onSet,
}: {
  variable: UpsWritable;
  result: Result | undefined;
  canSend: boolean;
  onSet: (variable: UpsWritable, value: string) => Promise<void>;
}) {
  const [text, setText] = useState(variable.value);
  const [tried, setTried] = useState(false);
  const checked = checkWritableValue(variable, text);
  const busy = result?.state === 'running';
  const range = variable.ranges[0];
  const hint =
    variable.input === 'range'
      ? `Allowed: ${variable.ranges.map((r) => `${r.min}–${r.max}`).join(' or ')}`
      : variable.input === 'string' && variable.maxLength !== null
        ? `At most ${variable.maxLength} characters`
        : undefined;
  return (
    <li data-testid="writable-row" data-name={variable.name}>
      <form
        className="command-head"
        onSubmit={(e) => {
          e.preventDefault();
          setTried(true);
          if (checked.ok && canSend) void onSet(variable, checked.value);
        }}
        noValidate
      >
        <Field
          label={<code>{variable.name}</code>}
          hint={[variable.description, hint].filter(Boolean).join(' · ') || undefined}
          error={tried && !checked.ok ? checked.error : undefined}
        >
          {(p) =>
            variable.input === 'enum' ? (
              <select
                {...p}
                value={text}
                onChange={(e) => setText(e.target.value)}
                data-testid="writable-input"
              >
                {!variable.choices.includes(text) && (
                  <option value={text}>{text || '(empty)'}</option>
                )}
                {variable.choices.map((choice) => (
                  <option key={choice} value={choice}>
                    {choice}
                  </option>
                ))}
              </select>
            ) : (
              <input
                {...p}
                type={variable.input === 'string' ? 'text' : 'number'}
                {...(variable.input === 'range' && range && variable.ranges.length === 1
                  ? { min: range.min, max: range.max }
                  : {})}
                {...(variable.maxLength !== null ? { maxLength: variable.maxLength } : {})}
                value={text}
                onChange={(e) => setText(e.target.value)}
                data-testid="writable-input"
              />
            )
          }
        </Field>
        <button
          type="submit"
          className="button button-small"
          disabled={!canSend || busy || text === variable.value}
          data-testid="writable-set"
        >
          Set
        </button>
      </form>
      <ResultLine result={result} testId="writable-result" />
    </li>
  );
}
