/**
 * The guarded FSD test (shared/fsd-test.ts): choose local rehearsal or a real FSD on the master,
 * run the preflight (nothing is sent that could set FSD), confirm (master mode: type the UPS
 * name), watch the countdown and timeline with an Abort button, then read the report and export
 * it. The core enforces every guard; the UI shows them.
 */
import { useEffect, useState } from 'react';
import type { FsdRunView } from '../../../shared/fsd-test';
import type { UpsSnapshot } from '../../../shared/snapshot';
import { api } from '../api';
import { Spinner } from '../components/common';
import { ReportList } from './fsd-test/ReportList';
import { RunView } from './fsd-test/RunView';
import { ACTIVE } from './fsd-test/shared';
import { Wizard } from './fsd-test/Wizard';

export function FsdTest({ ups }: { ups: UpsSnapshot }) {
  const [run, setRun] = useState<FsdRunView | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [reportsVersion, setReportsVersion] = useState(0);

  // Resume a run in progress (or show the last one of this UPS).
  useEffect(() => {
    let cancelled = false;
    api
      .invoke('fsd:get-run', {})
      .then((r) => {
        if (cancelled) return;
        setRun(r && r.monitorId === ups.monitorId ? r : null);
        setLoaded(true);
      })
      .catch(() => !cancelled && setLoaded(true));
    const off = api.subscribe('fsd:progress', (view) => {
      if (view.monitorId !== ups.monitorId) return;
      setRun(view);
      if (!ACTIVE.includes(view.state)) setReportsVersion((v) => v + 1);
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [ups.monitorId]);

  if (!loaded) return <Spinner label="Loading" />;
  const active = run !== null && ACTIVE.includes(run.state);
  return (
    <section aria-labelledby="fsd-h" data-testid="fsd-test">
      <div className="section-head">
        <h2 id="fsd-h">FSD test</h2>
      </div>
      <p className="muted">
        Find out, before a real outage, whether this machine (and the other secondaries) shut down
        in time when the master orders a forced shutdown (FSD) — like <code>upsmon -c fsd</code>,
        but observed and reported.
      </p>
      {run && <RunView run={run} onDismiss={active ? undefined : () => setRun(null)} />}
      {/* Kept mounted while a run is active: after an abort the chosen mode and credential are still there (in memory only). */}
      <div hidden={active}>
        <Wizard ups={ups} onStarted={setRun} />
      </div>
      <ReportList monitorId={ups.monitorId} version={reportsVersion} />
    </section>
  );
}
