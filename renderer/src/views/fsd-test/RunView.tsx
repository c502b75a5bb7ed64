/** Step 3 of the FSD test: the countdown and timeline of a run, with Abort, then its report. */
import { useCallback, useState } from 'react';
import type { FsdRunView } from '../../../../shared/fsd-test';
import { api, errorText } from '../../api';
import { Callout, DiagnosisText, ErrorBox, RichText } from '../../components/common';
import { formatDateTime, formatWhen } from '../../format';
import { announce, useNow } from '../../store';
import { ReportActions } from './Report';
import { ACTIVE, type ErrorInfo } from './shared';

export function RunView({
  run,
  onDismiss,
}: {
  run: FsdRunView;
  onDismiss: (() => void) | undefined;
}) {
  const now = useNow();
  const [error, setError] = useState<ErrorInfo>(null);
  const [aborting, setAborting] = useState(false);
  const active = ACTIVE.includes(run.state);
  const secondsLeft =
    run.state === 'countdown' && run.countdown.endsAt !== null
      ? Math.max(0, Math.ceil((run.countdown.endsAt - now) / 1000))
      : run.countdown.secondsLeft;

  const abort = useCallback(async () => {
    setAborting(true);
    setError(null);
    try {
      await api.invoke('fsd:abort', { runId: run.runId });
      announce('FSD test aborted.', true);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setAborting(false);
    }
  }, [run.runId]);

  return (
    <div
      className={`fsd-run state-${run.state}`}
      data-testid="fsd-run"
      data-state={run.state}
      role={active ? 'alert' : undefined}
    >
      <div className="fsd-run-head">
        <div>
          <div className="fsd-run-title">
            {run.state === 'countdown' && (
              <>
                {run.mode === 'master' ? 'FSD will be sent' : 'The rehearsal starts'} in{' '}
                <span className="countdown" data-testid="fsd-countdown">
                  {secondsLeft} s
                </span>
              </>
            )}
            {run.state === 'running' &&
              (run.mode === 'master'
                ? 'Forced shutdown in progress — watching the secondaries'
                : 'Running this machine’s shutdown sequence')}
            {run.state === 'finished' && 'Test finished'}
            {run.state === 'aborted' && 'Test aborted'}
            {run.state === 'failed' && 'Test failed'}
            {run.state === 'idle' && 'Preparing'}
          </div>
          <div className="muted small">
            {run.mode === 'master' ? 'Master mode' : 'Local mode'} · {run.upsName} · started{' '}
            {formatDateTime(run.createdAt)}
            {run.numLogins !== null && ` · NUMLOGINS ${run.numLogins}`}
          </div>
        </div>
        {active ? (
          <button
            type="button"
            className="button button-danger"
            onClick={() => void abort()}
            disabled={aborting}
            data-testid="fsd-abort"
          >
            Abort
          </button>
        ) : (
          onDismiss && (
            <button type="button" className="button button-ghost button-small" onClick={onDismiss}>
              New test
            </button>
          )
        )}
      </div>
      <ErrorBox error={error} />
      {run.error && (
        <Callout tone="bad" title="What went wrong">
          <DiagnosisText
            explanation={run.error.message}
            fix={run.error.fix}
            code={run.error.code}
          />
        </Callout>
      )}
      {run.mode === 'master' && run.remaining.length > 0 && run.t0 !== null && (
        <p className="small" data-testid="fsd-remaining">
          {run.state === 'failed' || run.state === 'aborted'
            ? 'Not seen logging out before the test stopped'
            : 'Still logged in'}
          : {run.remaining.map((r) => r.hostname ?? r.address).join(', ')}
          {run.deadline !== null && ` · watching until ${formatWhen(run.deadline, now)}`}
        </p>
      )}
      {run.timeline.length > 0 && (
        <ol className="timeline" data-testid="fsd-timeline">
          {run.timeline.map((e, i) => (
            <li key={i} className={`tl-${e.kind}`}>
              <span className="tl-t">
                {e.t >= 0 ? '+' : '−'}
                {(Math.abs(e.t) / 1000).toFixed(1)} s
              </span>
              <span className="tl-kind">{e.kind}</span>
              <span className="tl-msg">
                <RichText text={e.message} />
              </span>
            </li>
          ))}
        </ol>
      )}
      {run.latch && (
        <Callout
          tone={run.latch.clearedAt ? 'good' : 'warn'}
          title={
            run.latch.clearedAt
              ? 'The master’s FSD flag is cleared'
              : 'The master still has FSD set'
          }
          testId="fsd-latch"
        >
          <p>
            <RichText text={run.latch.note} />
          </p>
        </Callout>
      )}
      {run.reportId && (
        <ReportActions id={run.reportId} latchClearedAt={run.latch?.clearedAt ?? null} />
      )}
    </div>
  );
}
