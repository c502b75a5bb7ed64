/**
 * Settings → Background service: does a service run here, is this app attached to it, and the
 * offer to install it (with administrator rights asked the platform's way, main/service/elevate.ts).
 */
import { useState } from 'react';
import { api } from '../../api';
import { Callout, RichText } from '../../components/common';
import { refreshServiceStatus, useServiceView } from '../../service-status';
import { type InstallPhase, installOutcome } from '../../service-view';

export function BackgroundServiceSettings() {
  const { view, error } = useServiceView();
  const [phase, setPhase] = useState<InstallPhase>({ kind: 'idle' });

  const install = async (): Promise<void> => {
    setPhase({ kind: 'installing' });
    const next = await api.invoke('service:install', undefined).then(
      (result) => installOutcome({ result }),
      (thrown: unknown) => installOutcome({ error: thrown }),
    );
    setPhase(next);
    await refreshServiceStatus();
  };

  if (!view)
    return error ? (
      <Callout tone="bad" title="Could not ask about the background service" role="alert">
        <p>{error}</p>
      </Callout>
    ) : (
      <p className="muted">Asking about the background service…</p>
    );

  return (
    <section aria-labelledby="service-heading" data-testid="service-settings">
      <h2 id="service-heading">Background service</h2>
      <Callout
        tone={view.attached ? 'good' : view.state === 'refused' ? 'warn' : 'info'}
        title={view.headline}
        testId="service-state"
        role="status"
      >
        <p>
          <RichText text={view.detail} />
        </p>
        <dl className="facts">
          <dt>Service running</dt>
          <dd data-testid="service-runs">{view.serviceRuns ? 'Yes' : 'No'}</dd>
          <dt>This app attached</dt>
          <dd data-testid="service-attached">{view.attached ? 'Yes' : 'No'}</dd>
        </dl>
      </Callout>

      {view.state === 'absent' && (
        <div className="service-install">
          {view.canInstall ? (
            <>
              <p>
                Installing asks for an administrator password, then registers and starts the service
                (it runs <code>{view.command}</code>).
              </p>
              <div className="button-row">
                <button
                  type="button"
                  className="button button-primary"
                  onClick={() => void install()}
                  disabled={phase.kind === 'installing'}
                  data-testid="service-install"
                >
                  {phase.kind === 'installing'
                    ? 'Waiting for the administrator password…'
                    : 'Install the background service'}
                </button>
              </div>
            </>
          ) : (
            <Callout
              tone="info"
              title="Installing from here is not available"
              testId="service-install-blocked"
            >
              <p>{view.installBlocked}</p>
              <p>
                In a terminal: <code>{view.command}</code>
              </p>
            </Callout>
          )}
        </div>
      )}

      {phase.kind === 'installed' && (
        <Callout
          tone="good"
          title="The background service is installed"
          role="status"
          testId="service-installed"
        >
          <p className="pre-wrap">{phase.detail}</p>
        </Callout>
      )}
      {phase.kind === 'failed' && (
        <Callout
          tone="bad"
          title="The service was not installed"
          role="alert"
          testId="service-install-failed"
        >
          <p>{phase.message}</p>
          {phase.fix && <p className="pre-wrap">{phase.fix}</p>}
        </Callout>
      )}
    </section>
  );
}
