/**
 * The form logic of the UPS commands and settings tab, apart from React so it is tested on its
 * own: what a writable variable's input accepts (ENUM choices, RANGE bounds, STRING length), the
 * credential a request carries, and which commands need the typed-name confirmation. The core
 * checks all of it again; this only keeps a bad value from leaving the form.
 */
import {
  type ActionOutcome,
  type CommandCredential,
  type SelfTestSchedule,
  SelfTestScheduleSchema,
  type UpsWritable,
  commandDanger,
} from '../../../../shared/ups-commands';

export type Checked = { ok: true; value: string } | { ok: false; error: string };

/** Whether `text` may be sent as the new value of `variable`, with a message when not. */
export function checkWritableValue(variable: UpsWritable, text: string): Checked {
  const value = variable.input === 'string' ? text : text.trim();
  switch (variable.input) {
    case 'enum':
      return variable.choices.includes(value)
        ? { ok: true, value }
        : {
            ok: false,
            error: `Pick one of the values the UPS offers: ${variable.choices.join(', ')}.`,
          };
    case 'range': {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) return { ok: false, error: 'Enter a number.' };
      if (!variable.ranges.some((r) => n >= r.min && n <= r.max))
        return {
          ok: false,
          error: `Out of range: the UPS accepts ${variable.ranges.map((r) => `${r.min}–${r.max}`).join(' or ')}.`,
        };
      return { ok: true, value };
    }
    case 'number': {
      const n = Number(value);
      return value !== '' && Number.isFinite(n)
        ? { ok: true, value }
        : { ok: false, error: 'Enter a number.' };
    }
    case 'string':
      if (variable.maxLength !== null && value.length > variable.maxLength)
        return { ok: false, error: `At most ${variable.maxLength} characters.` };
      if (/[\r\n"]/.test(value))
        return { ok: false, error: 'No line breaks or double quotes (upsd cannot take them).' };
      return { ok: true, value };
  }
}

export interface CredentialForm {
  /** Use the credential remembered for this UPS. */
  useStored: boolean;
  username: string;
  password: string;
  remember: boolean;
}

export const EMPTY_CREDENTIAL: CredentialForm = {
  useStored: false,
  username: '',
  password: '',
  remember: false,
};

/** The credential of a request, or why the form cannot send one yet. */
export function credentialOf(
  form: CredentialForm,
  storedUser: string | null,
): { ok: true; credential: CommandCredential } | { ok: false; error: string } {
  if (form.useStored && storedUser !== null) return { ok: true, credential: { source: 'stored' } };
  const username = form.username.trim();
  if (username === '')
    return {
      ok: false,
      error:
        'Enter the upsd user that has the right (instcmds = … for commands, actions = SET for settings).',
    };
  return {
    ok: true,
    credential: { source: 'entered', username, password: form.password, remember: form.remember },
  };
}

/** A command that cuts power, drains the battery or bypasses it: typed-name confirmation first. */
export function needsConfirmation(command: string): boolean {
  return commandDanger(command) !== null;
}

/** What the result line of one command or setting says, and its tone. */
export function outcomeSummary(outcome: ActionOutcome): {
  tone: 'good' | 'bad' | 'info' | 'warn';
  label: string;
} {
  switch (outcome.state) {
    case 'success':
      return { tone: 'good', label: outcome.tracked ? 'Success (TRACKING)' : 'Success' };
    case 'failed':
      return { tone: 'bad', label: outcome.tracked ? 'Failed (TRACKING)' : 'Failed' };
    case 'pending':
      return { tone: 'warn', label: 'Still pending (no verdict from the driver yet)' };
    case 'sent':
      return { tone: 'info', label: 'Sent (this server has no TRACKING: the result is not known)' };
    case 'refused':
      return { tone: 'bad', label: 'Refused: the user lacks the right' };
  }
}

export interface ScheduleForm {
  enabled: boolean;
  everyDays: string;
  command: string;
  minChargePercent: string;
}

export function scheduleForm(schedule: SelfTestSchedule): ScheduleForm {
  return {
    enabled: schedule.enabled,
    everyDays: String(schedule.everyDays),
    command: schedule.command,
    minChargePercent: String(schedule.minChargePercent),
  };
}

/** The schedule the form describes, or a message per field that is wrong. */
export function scheduleOf(
  form: ScheduleForm,
  offered: readonly string[],
):
  | { ok: true; schedule: SelfTestSchedule }
  | { ok: false; errors: Partial<Record<keyof ScheduleForm, string>> } {
  const errors: Partial<Record<keyof ScheduleForm, string>> = {};
  const everyDays = Number(form.everyDays);
  if (
    form.everyDays.trim() === '' ||
    !Number.isInteger(everyDays) ||
    everyDays < 1 ||
    everyDays > 366
  )
    errors.everyDays = 'Whole days from 1 to 366 (30: monthly).';
  const minCharge = Number(form.minChargePercent);
  if (
    form.minChargePercent.trim() === '' ||
    !Number.isFinite(minCharge) ||
    minCharge < 0 ||
    minCharge > 100
  )
    errors.minChargePercent = 'A percentage from 0 to 100.';
  const command = form.command.trim();
  if (command !== 'auto' && !offered.includes(command))
    errors.command = `This UPS does not offer ${command || 'that command'}: pick auto or one of its test commands.`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const parsed = SelfTestScheduleSchema.parse({
    enabled: form.enabled,
    everyDays,
    command,
    minChargePercent: minCharge,
  });
  return { ok: true, schedule: parsed };
}
