import { describe, expect, it } from 'vitest';
import { FsdPreflightRequestSchema } from '../../../../shared/fsd-test';
import {
  INITIAL_WIZARD_FORM,
  type WizardForm,
  canRunPreflight,
  preflightRequest,
} from './wizard-form';

const form = (changes: Partial<WizardForm>): WizardForm => ({ ...INITIAL_WIZARD_FORM, ...changes });

describe('FSD test wizard form', () => {
  it('starts as a local dry run, and a local request carries only the dry-run choice', () => {
    expect(preflightRequest('nas/ups', INITIAL_WIZARD_FORM)).toEqual({
      monitorId: 'nas/ups',
      mode: 'local',
      dryRun: true,
    });
    expect(
      preflightRequest('nas/ups', form({ dryRun: false, username: 'admin', password: 'pw' })),
    ).toEqual({ monitorId: 'nas/ups', mode: 'local', dryRun: false });
  });

  it('a real FSD is always a dry run here, with the entered credential trimmed', () => {
    const request = preflightRequest(
      'nas/ups',
      form({
        mode: 'master',
        dryRun: false,
        username: '  admin ',
        password: ' pw ',
        remember: true,
        hostSync: 30,
        minCharge: 80,
      }),
    );
    expect(request).toEqual({
      monitorId: 'nas/ups',
      mode: 'master',
      dryRun: true,
      hostSyncSeconds: 30,
      minChargePercent: 80,
      credential: { source: 'entered', username: 'admin', password: ' pw ', remember: true },
    });
    expect(FsdPreflightRequestSchema.safeParse(request).success).toBe(true);
  });

  it('a half-typed number falls back to the default; the stored credential sends no secret', () => {
    const request = preflightRequest(
      'nas/ups',
      form({
        mode: 'master',
        credSource: 'stored',
        password: 'typed',
        hostSync: NaN,
        minCharge: NaN,
      }),
    );
    expect(request).toEqual({
      monitorId: 'nas/ups',
      mode: 'master',
      dryRun: true,
      hostSyncSeconds: INITIAL_WIZARD_FORM.hostSync,
      minChargePercent: INITIAL_WIZARD_FORM.minCharge,
      credential: { source: 'stored' },
    });
  });

  it('needs a user name only for a real FSD with an entered credential', () => {
    expect(canRunPreflight(INITIAL_WIZARD_FORM)).toBe(true);
    expect(canRunPreflight(form({ mode: 'master', username: ' ' }))).toBe(false);
    expect(canRunPreflight(form({ mode: 'master', username: 'admin' }))).toBe(true);
    expect(canRunPreflight(form({ mode: 'master', credSource: 'stored' }))).toBe(true);
  });
});
