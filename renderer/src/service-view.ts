/**
 * What the UI says about the background service (`service:status`, `service:install`): whether a
 * service runs on this machine, whether this app is attached to it, and whether Settings can
 * install one. The words live here, as plain functions of the core's answers, so the Settings
 * section and the sidebar say the same thing and the logic is tested without rendering
 * (./service-status.ts asks the core and keeps the answer).
 */
import type { ServiceInstallResult, ServiceStatus } from '../../shared/control';
import { toApiCallError } from './bridge-client';

/** attached: we use the service; refused: one runs but we may not open it; absent: none runs. */
export type ServiceState = 'attached' | 'refused' | 'absent' | 'this-is-the-service';

export interface ServiceView {
  state: ServiceState;
  /** Whether a background service runs on this machine (as far as this app can tell). */
  serviceRuns: boolean;
  /** Whether this app's monitoring goes through the service (one LOGIN per machine). */
  attached: boolean;
  headline: string;
  detail: string;
  /** Offer the Install button. */
  canInstall: boolean;
  /** The command the button runs, as one would type it (also the manual way). */
  command: string;
  /** Why installing is not offered (null when it is, or when a service already runs). */
  installBlocked: string | null;
}

export function describeService(status: ServiceStatus): ServiceView {
  const where = status.endpoint ? ` (${status.endpoint})` : '';
  const base = { command: status.install.command };
  if (status.mode === 'service')
    return {
      ...base,
      state: 'this-is-the-service',
      serviceRuns: true,
      attached: true,
      headline: 'This is the background service',
      detail: `This page is served by the background service itself${where}.`,
      canInstall: false,
      installBlocked: null,
    };
  if (status.mode === 'attached')
    return {
      ...base,
      state: 'attached',
      serviceRuns: true,
      attached: true,
      headline: 'Protected by the background service — works without login',
      detail: `The background service monitors the UPSes and runs the shutdown, whether or not anyone is logged in. This app shows its state and sends your changes to it over the local control socket${where}; it opens no NUT session of its own.`,
      canInstall: false,
      installBlocked: null,
    };
  if (status.problem)
    return {
      ...base,
      state: 'refused',
      serviceRuns: true,
      attached: false,
      headline: 'A background service runs, but this app may not use it',
      detail: `${status.problem} Until then this app monitors on its own (the service waits for it to log out before it takes over, so the two never both monitor).`,
      canInstall: false,
      installBlocked: null,
    };
  return {
    ...base,
    state: 'absent',
    serviceRuns: false,
    attached: false,
    headline: 'No background service runs on this machine',
    detail:
      'This app monitors the UPSes itself, so protection stops when you log out or quit it. Install the background service to protect the machine with nobody logged in; this app then attaches to it (one session per master, never two).',
    canInstall: status.install.available,
    installBlocked: status.install.available ? null : status.install.reason,
  };
}

/** The sidebar's one-word badge of how monitoring runs. */
export function sidebarServiceLabel(view: ServiceView): string {
  switch (view.state) {
    case 'attached':
    case 'this-is-the-service':
      return 'Background service';
    case 'refused':
      return 'On its own (service refused access)';
    case 'absent':
      return 'Monitoring in this app';
  }
}

export type InstallPhase =
  | { kind: 'idle' }
  | { kind: 'installing' }
  | { kind: 'installed'; detail: string }
  | { kind: 'failed'; message: string; fix?: string };

/** What an install attempt ended in: the installer's result, or the error the call threw. */
export function installOutcome(
  outcome: { result: ServiceInstallResult } | { error: unknown },
): InstallPhase {
  if ('error' in outcome) {
    const { message, fix } = toApiCallError(outcome.error);
    return fix ? { kind: 'failed', message, fix } : { kind: 'failed', message };
  }
  const { result } = outcome;
  if (result.ok) return { kind: 'installed', detail: result.detail };
  // The installer's detail is "why\noutput…\nYou can run it in a terminal instead: …".
  const [why = 'The installation failed.', ...rest] = result.detail.split('\n');
  const fix = rest.join('\n').trim();
  return fix ? { kind: 'failed', message: why, fix } : { kind: 'failed', message: why };
}
