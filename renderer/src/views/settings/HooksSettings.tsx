/**
 * What happens on each event: desktop notification, NOTIFYCMD, message template (upsmon's
 * NOTIFYFLAG/NOTIFYMSG), per-event commands (program + argument list, no shell) and
 * upssched-style timers (START-TIMER / CANCEL-TIMER / EXECUTE).
 */
import { useId, useState } from 'react';
import { type Hooks, HooksSchema, type UpsschedRule } from '../../../../shared/config';
import {
  DEFAULT_NOTIFY_MESSAGES,
  NOTIFY_TYPES,
  type NotifyType,
} from '../../../../shared/notify-types';
import { CommandEditor } from '../../components/CommandEditor';
import { Field, NumberInput, Switch } from '../../components/common';
import { type Issue, issueAt, scopeIssues } from '../../config-edit';
import { PlusIcon, TrashIcon } from '../../icons';
import { SectionFormShell, type SectionForm, useSectionForm } from '../../section-form';
import { useApp } from '../../store';

const COMMON: NotifyType[] = [
  'ONLINE',
  'ONBATT',
  'LOWBATT',
  'FSD',
  'COMMOK',
  'COMMBAD',
  'SHUTDOWN',
  'REPLBATT',
  'NOCOMM',
  'LOGIN_REFUSED',
  'FSD_LATCHED_AT_START',
];

export function HooksSettings() {
  const form = useSectionForm<Hooks>({
    select: (c) => c.hooks,
    schema: HooksSchema,
    apply: (c, v) => ({ ...c, hooks: v }),
    prefix: 'hooks',
    knownPaths: (p) => /^(events|notifyCommand|eventHooks|upssched|timeoutSeconds)/.test(p),
  });
  return (
    <SectionFormShell form={form} testId="hooks-form" label="Hooks and timers">
      {(v) => (
        <>
          <EventPolicies form={form} value={v} />
          <NotifyCommand form={form} value={v} />
          <EventHooks form={form} value={v} />
          <Timers form={form} value={v} />
          <section className="form-section">
            <h2>Limits</h2>
            <Field
              label="Stop a hook after (seconds)"
              error={issueAt(form.issues, 'timeoutSeconds')}
              className="narrow"
              hint="Applies to NOTIFYCMD and upssched commands."
            >
              {(p) => (
                <NumberInput
                  {...p}
                  min={1}
                  value={v.timeoutSeconds}
                  onValue={(typed) => form.update((x) => ({ ...x, timeoutSeconds: typed }))}
                />
              )}
            </Field>
          </section>
        </>
      )}
    </SectionFormShell>
  );
}

type Props = { form: SectionForm<Hooks>; value: Hooks };

function EventPolicies({ form, value }: Props) {
  const [all, setAll] = useState(false);
  const types = all
    ? NOTIFY_TYPES
    : NOTIFY_TYPES.filter((t) => COMMON.includes(t) || value.events[t] !== undefined);
  const setPolicy = (
    type: NotifyType,
    change: {
      notify?: boolean | undefined;
      exec?: boolean | undefined;
      message?: string | undefined;
    },
  ) =>
    form.update((x) => {
      const current = { ...(x.events[type] ?? {}), ...change };
      const cleaned = Object.fromEntries(
        Object.entries(current).filter(([, val]) => val !== undefined && val !== ''),
      );
      const events = { ...x.events };
      if (Object.keys(cleaned).length === 0) delete events[type];
      else events[type] = cleaned;
      return { ...x, events };
    });
  return (
    <section className="form-section" aria-labelledby="ev-policies">
      <h2 id="ev-policies">Events</h2>
      <p className="muted">
        Like upsmon’s NOTIFYFLAG and NOTIFYMSG. <code>%s</code> in a message is the UPS (
        <code>ups@host</code>).
      </p>
      <div className="table-wrap">
        <table className="policy-table" data-testid="event-policies">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Desktop</th>
              <th scope="col">Run NOTIFYCMD</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {types.map((t) => {
              const p = value.events[t] ?? {};
              return (
                <tr key={t} data-testid="event-policy" data-event={t}>
                  <th scope="row">
                    <code>{t}</code>
                  </th>
                  <td>
                    <label className="visually-hidden" htmlFor={`notify-${t}`}>
                      Desktop notification for {t}
                    </label>
                    <select
                      id={`notify-${t}`}
                      value={p.notify === undefined ? 'default' : p.notify ? 'on' : 'off'}
                      onChange={(e) =>
                        setPolicy(t, {
                          notify:
                            e.target.value === 'default' ? undefined : e.target.value === 'on',
                        })
                      }
                    >
                      <option value="default">Default</option>
                      <option value="on">Show</option>
                      <option value="off">Don’t show</option>
                    </select>
                  </td>
                  <td className="center">
                    <input
                      type="checkbox"
                      aria-label={`Run the notify command on ${t}`}
                      checked={p.exec === true}
                      onChange={(e) => setPolicy(t, { exec: e.target.checked ? true : undefined })}
                    />
                  </td>
                  <td>
                    <label className="visually-hidden" htmlFor={`msg-${t}`}>
                      Message for {t}
                    </label>
                    <input
                      id={`msg-${t}`}
                      value={p.message ?? ''}
                      placeholder={DEFAULT_NOTIFY_MESSAGES[t]}
                      onChange={(e) => setPolicy(t, { message: e.target.value })}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <button
        type="button"
        className="button button-ghost button-small"
        onClick={() => setAll((a) => !a)}
        aria-expanded={all}
      >
        {all ? 'Show the common events only' : `Show all ${NOTIFY_TYPES.length} events`}
      </button>
    </section>
  );
}

function NotifyCommand({ form, value }: Props) {
  const enabled = value.notifyCommand !== undefined;
  return (
    <section className="form-section" aria-labelledby="notifycmd">
      <h2 id="notifycmd">Notify command (NOTIFYCMD)</h2>
      <Switch
        checked={enabled}
        onChange={(on) =>
          form.update((x) => {
            if (on) return { ...x, notifyCommand: x.notifyCommand ?? { file: '', args: [] } };
            const { notifyCommand: _drop, ...rest } = x;
            return rest;
          })
        }
        label="Run a program for events marked “Run NOTIFYCMD”"
        hint="It gets the message as its last argument, and NOTIFYTYPE and UPSNAME in its environment."
        testId="notifycmd-enabled"
      />
      {value.notifyCommand && (
        <CommandEditor
          value={value.notifyCommand}
          onChange={(notifyCommand) => form.update((x) => ({ ...x, notifyCommand }))}
          issues={scopeIssues(form.issues, 'notifyCommand')}
          testId="notifycmd"
        />
      )}
    </section>
  );
}

function useUpsChoices(): string[] {
  const ups = useApp((s) => s.snapshot?.ups);
  return (ups ?? []).map((u) => u.systemName);
}

function UpsField({
  value,
  onChange,
  error,
  label = 'UPS',
}: {
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  label?: string;
}) {
  const choices = useUpsChoices();
  const listId = useId();
  return (
    <Field label={label} hint="* for every UPS, or ups@host" error={error} className="narrow">
      {(p) => (
        <>
          <input
            {...p}
            className="mono"
            value={value}
            onChange={(e) => onChange(e.target.value)}
            list={listId}
            spellCheck={false}
          />
          <datalist id={listId}>
            <option value="*" />
            {choices.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </>
      )}
    </Field>
  );
}

function EventPicker({
  value,
  onChange,
  error,
}: {
  value: NotifyType[];
  onChange: (v: NotifyType[]) => void;
  error?: string | undefined;
}) {
  const [all, setAll] = useState(false);
  const types = all
    ? NOTIFY_TYPES
    : NOTIFY_TYPES.filter((t) => COMMON.includes(t) || value.includes(t));
  return (
    <fieldset className={`event-picker${error ? ' has-error' : ''}`}>
      <legend>Events</legend>
      <div className="chips">
        {types.map((t) => (
          <label key={t} className={`chip${value.includes(t) ? ' is-on' : ''}`}>
            <input
              type="checkbox"
              checked={value.includes(t)}
              onChange={(e) =>
                onChange(e.target.checked ? [...value, t] : value.filter((x) => x !== t))
              }
            />
            {t}
          </label>
        ))}
        <button
          type="button"
          className="button button-ghost button-small"
          onClick={() => setAll((a) => !a)}
          aria-expanded={all}
        >
          {all ? 'Fewer' : 'More…'}
        </button>
      </div>
      {error && <div className="field-error">{error}</div>}
    </fieldset>
  );
}

function EventHooks({ form, value }: Props) {
  const setHook = (i: number, change: Partial<Hooks['eventHooks'][number]>) =>
    form.update((x) => ({
      ...x,
      eventHooks: x.eventHooks.map((h, j) => (j === i ? { ...h, ...change } : h)),
    }));
  return (
    <section className="form-section" aria-labelledby="event-hooks">
      <h2 id="event-hooks">Commands per event</h2>
      <p className="muted">
        Run a program when an event happens (e.g. pause backups on ONBATT). It gets NOTIFYTYPE,
        UPSNAME and NOTIFYMSG in its environment.
      </p>
      {value.eventHooks.map((h, i) => {
        const issues = scopeIssues(form.issues, `eventHooks.${i}`);
        return (
          <div className="hook-card" key={i} data-testid="event-hook">
            <div className="hook-card-head">
              <strong>Command {i + 1}</strong>
              <button
                type="button"
                className="button button-ghost button-small"
                onClick={() =>
                  form.update((x) => ({ ...x, eventHooks: x.eventHooks.filter((_, j) => j !== i) }))
                }
                aria-label={`Remove command ${i + 1}`}
              >
                <TrashIcon size={14} /> Remove
              </button>
            </div>
            <EventPicker
              value={h.events}
              onChange={(events) => setHook(i, { events })}
              error={issueAt(issues, 'events')}
            />
            <div className="form-grid">
              <UpsField
                value={h.ups}
                onChange={(ups) => setHook(i, { ups })}
                error={issueAt(issues, 'ups')}
              />
              <Field
                label="Stop after (s)"
                error={issueAt(issues, 'timeoutSeconds')}
                className="narrow"
              >
                {(p) => (
                  <NumberInput
                    {...p}
                    min={1}
                    value={h.timeoutSeconds}
                    onValue={(typed) => setHook(i, { timeoutSeconds: typed })}
                  />
                )}
              </Field>
            </div>
            <CommandEditor
              value={h.command}
              onChange={(command) => setHook(i, { command })}
              issues={scopeIssues(issues, 'command')}
              testId="event-hook-command"
            />
          </div>
        );
      })}
      <button
        type="button"
        className="button button-ghost"
        onClick={() =>
          form.update((x) => ({
            ...x,
            eventHooks: [
              ...x.eventHooks,
              { events: ['ONBATT'], ups: '*', command: { file: '', args: [] }, timeoutSeconds: 30 },
            ],
          }))
        }
        data-testid="add-event-hook"
      >
        <PlusIcon size={16} /> Add a command
      </button>
    </section>
  );
}

function Timers({ form, value }: Props) {
  const sched = value.upssched;
  const setRule = (i: number, rule: UpsschedRule) =>
    form.update((x) =>
      x.upssched
        ? {
            ...x,
            upssched: {
              ...x.upssched,
              rules: x.upssched.rules.map((r, j) => (j === i ? rule : r)),
            },
          }
        : x,
    );
  const addRules = (rules: UpsschedRule[]) =>
    form.update((x) => ({
      ...x,
      upssched: {
        cmdScript: x.upssched?.cmdScript ?? { file: '', args: [] },
        rules: [...(x.upssched?.rules ?? []), ...rules],
      },
    }));
  return (
    <section className="form-section" aria-labelledby="timers">
      <h2 id="timers">Timers (upssched)</h2>
      <Switch
        checked={sched !== undefined}
        onChange={(on) =>
          form.update((x) => {
            if (on)
              return {
                ...x,
                upssched: x.upssched ?? { cmdScript: { file: '', args: [] }, rules: [] },
              };
            const { upssched: _drop, ...rest } = x;
            return rest;
          })
        }
        label="Use upssched-style timers"
        hint="Act only when a condition lasts, e.g. start a 2-minute timer on ONBATT and cancel it on ONLINE."
        testId="upssched-enabled"
      />
      {sched && (
        <>
          <CommandEditor
            label="Command script (CMDSCRIPT)"
            value={sched.cmdScript}
            onChange={(cmdScript) =>
              form.update((x) => ({ ...x, upssched: { ...sched, ...x.upssched, cmdScript } }))
            }
            issues={scopeIssues(form.issues, 'upssched.cmdScript')}
            testId="cmdscript"
            filePlaceholder="/usr/local/bin/upssched-cmd"
          />
          <p className="muted small">
            The timer name (or the EXECUTE argument) is passed as its last argument.
          </p>
          <div className="table-wrap">
            <table className="rules-table" data-testid="upssched-rules">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">UPS</th>
                  <th scope="col">Action</th>
                  <th scope="col">Timer / argument</th>
                  <th scope="col">Seconds</th>
                  <th scope="col">
                    <span className="visually-hidden">Remove</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sched.rules.map((r, i) => (
                  <RuleRow
                    key={i}
                    index={i}
                    rule={r}
                    issues={scopeIssues(form.issues, `upssched.rules.${i}`)}
                    onChange={(rule) => setRule(i, rule)}
                    onRemove={() =>
                      form.update((x) =>
                        x.upssched
                          ? {
                              ...x,
                              upssched: {
                                ...x.upssched,
                                rules: x.upssched.rules.filter((_, j) => j !== i),
                              },
                            }
                          : x,
                      )
                    }
                  />
                ))}
              </tbody>
            </table>
          </div>
          {sched.rules.length === 0 && <p className="muted small">No rules yet.</p>}
          <div className="button-row">
            <button
              type="button"
              className="button button-ghost"
              onClick={() =>
                addRules([
                  { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: '', seconds: 60 },
                ])
              }
              data-testid="add-rule"
            >
              <PlusIcon size={16} /> Add a rule
            </button>
            <button
              type="button"
              className="button button-ghost"
              onClick={() =>
                addRules([
                  {
                    event: 'ONBATT',
                    ups: '*',
                    action: 'START-TIMER',
                    timer: 'onbatt',
                    seconds: 120,
                  },
                  { event: 'ONLINE', ups: '*', action: 'CANCEL-TIMER', timer: 'onbatt' },
                ])
              }
            >
              <PlusIcon size={16} /> Add the classic pair (ONBATT starts, ONLINE cancels)
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function RuleRow({
  index,
  rule,
  issues,
  onChange,
  onRemove,
}: {
  index: number;
  rule: UpsschedRule;
  issues: Issue[];
  onChange: (r: UpsschedRule) => void;
  onRemove: () => void;
}) {
  const choices = useUpsChoices();
  const listId = useId();
  const n = index + 1;
  const setAction = (action: UpsschedRule['action']) => {
    const base = { event: rule.event, ups: rule.ups };
    if (action === 'START-TIMER')
      onChange({
        ...base,
        action,
        timer: 'timer' in rule ? rule.timer : '',
        seconds: 'seconds' in rule ? rule.seconds : 60,
      });
    else if (action === 'CANCEL-TIMER')
      onChange({ ...base, action, timer: 'timer' in rule ? rule.timer : '' });
    else
      onChange({ ...base, action, command: 'command' in rule && rule.command ? rule.command : '' });
  };
  const err = (path: string) => issueAt(issues, path);
  return (
    <tr data-testid="upssched-rule" data-action={rule.action}>
      <td>
        <select
          aria-label={`Rule ${n} event`}
          value={rule.event}
          onChange={(e) => onChange({ ...rule, event: e.target.value as NotifyType })}
        >
          {NOTIFY_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </td>
      <td>
        <input
          aria-label={`Rule ${n} UPS`}
          className="mono"
          value={rule.ups}
          list={listId}
          onChange={(e) => onChange({ ...rule, ups: e.target.value })}
        />
        <datalist id={listId}>
          <option value="*" />
          {choices.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
      </td>
      <td>
        <select
          aria-label={`Rule ${n} action`}
          value={rule.action}
          onChange={(e) => setAction(e.target.value as UpsschedRule['action'])}
        >
          <option value="START-TIMER">START-TIMER</option>
          <option value="CANCEL-TIMER">CANCEL-TIMER</option>
          <option value="EXECUTE">EXECUTE</option>
        </select>
      </td>
      <td>
        {rule.action === 'EXECUTE' ? (
          <input
            aria-label={`Rule ${n} argument`}
            aria-invalid={err('command') ? true : undefined}
            className={`mono${err('command') ? ' is-invalid' : ''}`}
            value={rule.command}
            placeholder="argument"
            onChange={(e) => onChange({ ...rule, command: e.target.value })}
          />
        ) : (
          <input
            aria-label={`Rule ${n} timer name`}
            aria-invalid={err('timer') ? true : undefined}
            className={`mono${err('timer') ? ' is-invalid' : ''}`}
            value={rule.timer}
            placeholder="timer name"
            onChange={(e) => onChange({ ...rule, timer: e.target.value })}
          />
        )}
        {(err('timer') ?? err('command')) && (
          <div className="field-error small">{err('timer') ?? err('command')}</div>
        )}
      </td>
      <td>
        {rule.action === 'START-TIMER' ? (
          <NumberInput
            aria-label={`Rule ${n} seconds`}
            min={0}
            className="num"
            value={rule.seconds}
            onValue={(typed) => onChange({ ...rule, seconds: typed })}
          />
        ) : (
          <span className="muted">—</span>
        )}
        {err('seconds') && <div className="field-error small">{err('seconds')}</div>}
      </td>
      <td>
        <button
          type="button"
          className="icon-button"
          onClick={onRemove}
          aria-label={`Remove rule ${n}`}
        >
          <TrashIcon size={16} />
        </button>
      </td>
    </tr>
  );
}
