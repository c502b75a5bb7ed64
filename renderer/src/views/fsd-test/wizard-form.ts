/**
 * The FSD test wizard's form model: what the person chose, and the preflight request it makes.
 * Pure, so the rules (a real FSD is always a dry run on this machine, a half-typed number falls
 * back to the default, the credential is sent only for a real FSD) are tested without a DOM.
 */
import {
  DEFAULT_FSD_MIN_CHARGE_PERCENT,
  DEFAULT_MASTER_HOSTSYNC_SECONDS,
  type FsdPreflightRequest,
} from '../../../../shared/fsd-test';
import type { Mode } from './shared';

export interface WizardForm {
  mode: Mode;
  /** Local rehearsal only: record the shutdown command instead of running it. */
  dryRun: boolean;
  credSource: 'entered' | 'stored';
  username: string;
  password: string;
  /** Keep the entered credential in the secret store for the next test. */
  remember: boolean;
  /** NaN while the field is empty or half-typed. */
  hostSync: number;
  /** NaN while the field is empty or half-typed. */
  minCharge: number;
}

export const INITIAL_WIZARD_FORM: WizardForm = {
  mode: 'local',
  dryRun: true,
  credSource: 'entered',
  username: '',
  password: '',
  remember: false,
  hostSync: DEFAULT_MASTER_HOSTSYNC_SECONDS,
  minCharge: DEFAULT_FSD_MIN_CHARGE_PERCENT,
};

/** The fsd:preflight request for this form. */
export function preflightRequest(monitorId: string, form: WizardForm): FsdPreflightRequest {
  if (form.mode === 'local') return { monitorId, mode: 'local', dryRun: form.dryRun };
  return {
    monitorId,
    mode: 'master',
    // On the master's test this machine only watches: its own shutdown is always a dry run.
    dryRun: true,
    hostSyncSeconds: Number.isFinite(form.hostSync)
      ? form.hostSync
      : DEFAULT_MASTER_HOSTSYNC_SECONDS,
    minChargePercent: Number.isFinite(form.minCharge)
      ? form.minCharge
      : DEFAULT_FSD_MIN_CHARGE_PERCENT,
    credential:
      form.credSource === 'stored'
        ? { source: 'stored' }
        : {
            source: 'entered',
            username: form.username.trim(),
            password: form.password,
            remember: form.remember,
          },
  };
}

/** A real FSD with an entered credential needs a user name before the preflight can run. */
export function canRunPreflight(form: WizardForm): boolean {
  return !(form.mode === 'master' && form.credSource === 'entered' && form.username.trim() === '');
}
