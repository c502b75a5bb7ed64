import * as z from 'zod';
import { ShutdownSchema, TimingSchema } from '../../../../shared/config';
import { CommandEditor } from '../../components/CommandEditor';
import { Field, NumberInput, Switch } from '../../components/common';
import { issueAt, scopeIssues } from '../../config-edit';
import { SectionFormShell, useSectionForm } from '../../section-form';

const Schema = z.object({ shutdown: ShutdownSchema, timing: TimingSchema });
type Value = z.infer<typeof Schema>;

const LATCH_OPTIONS = [
  {
    value: 'ignore-while-online',
    title: 'Ignore it while the UPS is on line power (recommended)',
    text: 'A Synology NAS keeps FSD set until upsd restarts; obeying it would shut this machine down again right after boot.',
  },
  {
    value: 'ask',
    title: 'Ask me',
    text: 'Show a notification and wait for you; an FSD that appears later is still obeyed.',
  },
  { value: 'obey', title: 'Obey it', text: 'Shut down, as upsmon does.' },
] as const;

export function ShutdownSettings() {
  const form = useSectionForm<Value>({
    select: (c) => ({ shutdown: c.shutdown, timing: c.timing }),
    schema: Schema,
    apply: (c, v) => ({ ...c, shutdown: v.shutdown, timing: v.timing }),
    prefix: '',
    knownPaths: (p) =>
      /^(shutdown\.(command|timeoutSeconds|minSupplies)|timing\.(hostSyncSeconds|finalDelaySeconds|deadTimeSeconds|commLossCriticalSeconds))/.test(
        p,
      ),
  });
  return (
    <SectionFormShell form={form} testId="shutdown-form" label="Shutdown settings">
      {(v) => {
        const num = (key: keyof Value['timing'], label: string, hint: string) => (
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
                min={0}
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
        return (
          <>
            <section className="form-section">
              <h2>Shutdown command</h2>
              <Switch
                checked={v.shutdown.dryRun}
                onChange={(dryRun) =>
                  form.update((x) => ({ ...x, shutdown: { ...x.shutdown, dryRun } }))
                }
                label="Dry run"
                hint="Go through every step and record what would run, but never shut this machine down. Use it to rehearse."
                testId="dry-run"
              />
              <fieldset className="radio-list">
                <legend>Command</legend>
                <label className="radio">
                  <input
                    type="radio"
                    name="shutdown-cmd"
                    checked={v.shutdown.command === null}
                    onChange={() =>
                      form.update((x) => ({ ...x, shutdown: { ...x.shutdown, command: null } }))
                    }
                    data-testid="shutdown-default"
                  />
                  <span>
                    <strong>This system’s safe default</strong>
                    <span className="muted">
                      {' '}
                      — <code>shutdown -h +0</code> on Linux (like upsmon),{' '}
                      <code>shutdown -h now</code> on macOS, <code>shutdown.exe /s /f /t 0</code> on
                      Windows
                    </span>
                  </span>
                </label>
                <label className="radio">
                  <input
                    type="radio"
                    name="shutdown-cmd"
                    checked={v.shutdown.command !== null}
                    onChange={() =>
                      form.update((x) => ({
                        ...x,
                        shutdown: {
                          ...x.shutdown,
                          command: x.shutdown.command ?? { file: '', args: [] },
                        },
                      }))
                    }
                    data-testid="shutdown-custom"
                  />
                  <span>
                    <strong>My own command</strong>
                  </span>
                </label>
              </fieldset>
              {v.shutdown.command !== null && (
                <CommandEditor
                  value={v.shutdown.command}
                  onChange={(command) =>
                    form.update((x) => ({ ...x, shutdown: { ...x.shutdown, command } }))
                  }
                  issues={scopeIssues(form.issues, 'shutdown.command')}
                  testId="shutdown-command"
                  filePlaceholder="/sbin/shutdown"
                />
              )}
              <Field
                label="Give the command up to (seconds)"
                error={issueAt(form.issues, 'shutdown.timeoutSeconds')}
                className="narrow"
              >
                {(p) => (
                  <NumberInput
                    {...p}
                    min={1}
                    value={v.shutdown.timeoutSeconds}
                    onValue={(typed) =>
                      form.update((x) => ({
                        ...x,
                        shutdown: { ...x.shutdown, timeoutSeconds: typed },
                      }))
                    }
                  />
                )}
              </Field>
            </section>
            <section className="form-section">
              <h2>Forced shutdown already set at start</h2>
              <p className="muted">
                When NUT Sentinel starts and the master already advertises FSD while the UPS is on
                line power:
              </p>
              <fieldset className="radio-list" data-testid="latched-fsd">
                <legend className="visually-hidden">Latched FSD policy</legend>
                {LATCH_OPTIONS.map((o) => (
                  <label key={o.value} className="radio">
                    <input
                      type="radio"
                      name="latched"
                      checked={v.shutdown.latchedFsdAtStart === o.value}
                      onChange={() =>
                        form.update((x) => ({
                          ...x,
                          shutdown: { ...x.shutdown, latchedFsdAtStart: o.value },
                        }))
                      }
                    />
                    <span>
                      <strong>{o.title}</strong>
                      <span className="muted"> — {o.text}</span>
                    </span>
                  </label>
                ))}
              </fieldset>
            </section>
            <section className="form-section">
              <h2>Redundant power supplies</h2>
              <Switch
                checked={v.shutdown.minSupplies !== null}
                onChange={(on) =>
                  form.update((x) => ({
                    ...x,
                    shutdown: { ...x.shutdown, minSupplies: on ? 1 : null },
                  }))
                }
                label="This machine’s power supplies hang on several UPSes (upsmon MINSUPPLIES)"
                hint="Off: any UPS with role secondary that turns critical shuts this machine down. On: shut down only when the UPSes that are not critical feed fewer supplies than set here; each UPS’s power value (in its master’s settings) says how many supplies it feeds."
                testId="min-supplies-switch"
              />
              {v.shutdown.minSupplies !== null && (
                <Field
                  label="Supplies needed to keep running"
                  error={issueAt(form.issues, 'shutdown.minSupplies')}
                  className="narrow"
                >
                  {(p) => (
                    <NumberInput
                      {...p}
                      min={1}
                      step={1}
                      value={v.shutdown.minSupplies ?? NaN}
                      onValue={(typed) =>
                        form.update((x) => ({
                          ...x,
                          shutdown: { ...x.shutdown, minSupplies: typed },
                        }))
                      }
                      data-testid="min-supplies"
                    />
                  )}
                </Field>
              )}
            </section>
            <section className="form-section">
              <h2>Timing</h2>
              <div className="form-grid three">
                {num(
                  'hostSyncSeconds',
                  'HOSTSYNC (s)',
                  'After low battery, how long to wait for the master’s forced shutdown.',
                )}
                {num(
                  'finalDelaySeconds',
                  'FINALDELAY (s)',
                  'Between the SHUTDOWN notification and the command.',
                )}
                {num(
                  'deadTimeSeconds',
                  'DEADTIME (s)',
                  'Silent this long while on battery counts as low battery.',
                )}
                {num(
                  'commLossCriticalSeconds',
                  'Lost on bypass (s)',
                  'No contact this long while the UPS is on bypass, off or calibrating (no battery behind the load) is critical. upsmon: at once.',
                )}
              </div>
            </section>
          </>
        );
      }}
    </SectionFormShell>
  );
}
