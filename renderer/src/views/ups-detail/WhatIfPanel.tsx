/**
 * "What if the power failed now" for one UPS (main/what-if): the shutdown chain laid against the
 * battery — on battery at t0, low battery at t1, FSD and the secondaries down by t2, the master
 * down by t3, the battery empty — with where each figure comes from, the margin, and what is
 * missing to tell it. Read again every 30 s (the runtime moves with the load). The master's
 * shutdown time and HOSTSYNC typed here are kept per UPS while the window lives (useWhatIfInputs).
 */
import { useEffect, useId, useState } from 'react';
import { create } from 'zustand';
import type { UpsSnapshot } from '../../../../shared/snapshot';
import type { WhatIfBasis, WhatIfResult, WhatIfVerdict } from '../../../../shared/what-if';
import { api, errorText } from '../../api';
import { Callout, ErrorBox, Field, Spinner } from '../../components/common';
import { formatRuntime } from '../../format';
import { upsHref } from '../../router';

const BASIS_LABEL: Record<WhatIfBasis, string> = {
  reported: 'reported by the UPS',
  measured: 'measured by an FSD test',
  configured: 'this machine’s settings',
  given: 'given here',
  assumed: 'upsmon’s default',
  unknown: 'not known',
};

const VERDICT_TONE: Record<WhatIfVerdict, 'good' | 'warn' | 'bad' | 'info'> = {
  ok: 'good',
  tight: 'warn',
  negative: 'bad',
  unknown: 'warn',
};

const REFRESH_MS = 30_000;

interface TypedInputs {
  masterShutdown: string;
  hostSync: string;
}

const NOTHING_TYPED: TypedInputs = { masterShutdown: '', hostSync: '' };

/**
 * What the user typed, per UPS, kept while this window lives: leaving the tab (or the UPS) and
 * coming back shows the same timeline. Not in the config: the core's what-if takes these as
 * inputs of the request (`masterShutdownSeconds`, `hostSyncSeconds`), not as settings — they are
 * the answer to a question about the master, which this machine does not run, and
 * `timing.hostSyncSeconds` already means this machine's own upsmon HOSTSYNC. Kept as typed (an
 * invalid entry keeps its error), forgotten when the window reloads.
 */
export const useWhatIfInputs = create<{ byUps: Record<string, TypedInputs> }>(() => ({
  byUps: {},
}));

function setTyped(monitorId: string, change: Partial<TypedInputs>): void {
  useWhatIfInputs.setState((s) => ({
    byUps: { ...s.byUps, [monitorId]: { ...(s.byUps[monitorId] ?? NOTHING_TYPED), ...change } },
  }));
}

/** The master's own shutdown time and HOSTSYNC as the user typed them ('' = not given). */
export function whatIfRequestOf(
  monitorId: string,
  masterShutdown: string,
  hostSync: string,
):
  | {
      ok: true;
      request: { monitorId: string; masterShutdownSeconds?: number; hostSyncSeconds?: number };
    }
  | { ok: false; error: string } {
  const seconds = (text: string, name: string) => {
    if (text.trim() === '') return { value: undefined };
    const n = Number(text);
    return Number.isFinite(n) && n >= 0 && n <= 3600
      ? { value: n }
      : { error: `${name}: seconds from 0 to 3600.` };
  };
  const shutdown = seconds(masterShutdown, 'The master’s shutdown');
  const sync = seconds(hostSync, 'HOSTSYNC');
  if ('error' in shutdown) return { ok: false, error: shutdown.error! };
  if ('error' in sync) return { ok: false, error: sync.error! };
  return {
    ok: true,
    request: {
      monitorId,
      ...(shutdown.value !== undefined ? { masterShutdownSeconds: shutdown.value } : {}),
      ...(sync.value !== undefined ? { hostSyncSeconds: sync.value } : {}),
    },
  };
}

export function WhatIfPanel({ ups }: { ups: UpsSnapshot }) {
  const ids = useId();
  const { masterShutdown, hostSync } = useWhatIfInputs(
    (s) => s.byUps[ups.monitorId] ?? NOTHING_TYPED,
  );
  const [result, setResult] = useState<WhatIfResult | null>(null);
  const [error, setError] = useState<{ message: string; fix?: string } | null>(null);
  const asked = whatIfRequestOf(ups.monitorId, masterShutdown, hostSync);
  const requestKey = asked.ok ? JSON.stringify(asked.request) : null;

  useEffect(() => {
    if (requestKey === null) return;
    let cancelled = false;
    const load = () =>
      api
        .invoke('ups:get-what-if', JSON.parse(requestKey) as { monitorId: string })
        .then((r) => {
          if (cancelled) return;
          setResult(r);
          setError(null);
        })
        .catch((e: unknown) => !cancelled && setError(errorText(e)));
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [requestKey]);

  const horizon = result ? Math.max(1, ...result.steps.map((s) => s.atSeconds ?? 0)) : 1;

  return (
    <section aria-labelledby={`${ids}-h`} data-testid="what-if-panel">
      <div className="section-head">
        <h2 id={`${ids}-h`}>What if the power failed now?</h2>
      </div>
      <p className="muted small">
        The shutdown chain of {ups.upsName} against its battery, from the current readings, this
        machine’s settings and the measurements of earlier FSD tests.
      </p>
      <div className="form-grid">
        <Field
          label="The master’s own shutdown (s)"
          hint="How long the master takes to shut itself down — it cannot be measured from here."
          className="narrow"
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              max={3600}
              value={masterShutdown}
              onChange={(e) => setTyped(ups.monitorId, { masterShutdown: e.target.value })}
              data-testid="what-if-master-shutdown"
            />
          )}
        </Field>
        <Field
          label="The master’s HOSTSYNC (s)"
          hint="Empty: the last FSD test’s value, else upsmon’s 15 s."
          className="narrow"
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              max={3600}
              value={hostSync}
              onChange={(e) => setTyped(ups.monitorId, { hostSync: e.target.value })}
              data-testid="what-if-hostsync"
            />
          )}
        </Field>
      </div>
      {!asked.ok && (
        <p className="field-error" role="alert">
          {asked.error}
        </p>
      )}
      <ErrorBox error={error} testId="what-if-error" />
      {!result && !error && <Spinner label="Working out the timeline" />}
      {result && (
        <>
          <Callout
            tone={VERDICT_TONE[result.verdict]}
            title={result.headline}
            testId="what-if-verdict"
            role="status"
          >
            {result.alreadyOnBattery && <p>The UPS is on battery now: t0 is now.</p>}
            {result.marginSeconds !== null && (
              <p data-testid="what-if-margin">
                Margin: {result.marginSeconds < 0 ? '−' : ''}
                {formatRuntime(Math.abs(result.marginSeconds))}
              </p>
            )}
          </Callout>
          <ol
            className="what-if-timeline"
            data-testid="what-if-timeline"
            data-verdict={result.verdict}
          >
            {result.steps.map((step, i) => (
              <li
                key={`${step.id}-${i}`}
                data-testid="what-if-step"
                data-step={step.id}
                data-basis={step.basis}
              >
                <div className="what-if-time">
                  {step.atSeconds === null ? '?' : `t+${formatRuntime(step.atSeconds)}`}
                </div>
                <div className="what-if-body">
                  <strong>{step.label}</strong>{' '}
                  <span className={`badge basis-${step.basis}`}>{BASIS_LABEL[step.basis]}</span>
                  <div className="small">{step.detail}</div>
                  {step.atSeconds !== null && (
                    <div className="what-if-bar" aria-hidden="true">
                      <span
                        style={{
                          width: `${Math.max(0, Math.min(100, (step.atSeconds / horizon) * 100))}%`,
                        }}
                      />
                    </div>
                  )}
                </div>
              </li>
            ))}
          </ol>
          {result.warnings.length > 0 && (
            <ul className="what-if-warnings" data-testid="what-if-warnings">
              {result.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          {result.missing.length > 0 && (
            <Callout tone="info" title="Missing measurements" testId="what-if-missing">
              <ul>
                {result.missing.map((m) => (
                  <li key={m.what}>
                    <strong>{m.what}</strong>: {m.fix}
                  </li>
                ))}
              </ul>
              <p>
                <a href={upsHref(ups.monitorId, 'fsd-test')}>Open the FSD test</a>
              </p>
            </Callout>
          )}
        </>
      )}
    </section>
  );
}
