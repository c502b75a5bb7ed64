import { describe, expect, it } from 'vitest';
import type { UpsWritable } from '../../../../shared/ups-commands';
import {
  EMPTY_CREDENTIAL,
  checkWritableValue,
  credentialOf,
  needsConfirmation,
  scheduleOf,
} from './controls-form';

const writable = (over: Partial<UpsWritable>): UpsWritable => ({
  name: 'ups.delay.shutdown',
  value: '20',
  description: null,
  input: 'number',
  choices: [],
  ranges: [],
  maxLength: null,
  ...over,
});

describe('checkWritableValue', () => {
  it('takes only the ENUM values the UPS offers', () => {
    const v = writable({ input: 'enum', choices: ['low', 'medium', 'high'] });
    expect(checkWritableValue(v, 'medium')).toEqual({ ok: true, value: 'medium' });
    expect(checkWritableValue(v, 'loud')).toEqual({
      ok: false,
      error: 'Pick one of the values the UPS offers: low, medium, high.',
    });
  });

  it('bounds a RANGE (any of several ranges) and says which', () => {
    const v = writable({
      input: 'range',
      ranges: [
        { min: 0, max: 60 },
        { min: 120, max: 180 },
      ],
    });
    expect(checkWritableValue(v, ' 30 ')).toEqual({ ok: true, value: '30' });
    expect(checkWritableValue(v, '150')).toEqual({ ok: true, value: '150' });
    expect(checkWritableValue(v, '90')).toEqual({
      ok: false,
      error: 'Out of range: the UPS accepts 0–60 or 120–180.',
    });
    expect(checkWritableValue(v, 'soon')).toEqual({ ok: false, error: 'Enter a number.' });
    expect(checkWritableValue(v, '')).toEqual({ ok: false, error: 'Enter a number.' });
  });

  it('keeps STRING:n within its length and free of what upsd cannot carry', () => {
    const v = writable({ input: 'string', maxLength: 8 });
    expect(checkWritableValue(v, 'rack 2')).toEqual({ ok: true, value: 'rack 2' });
    expect(checkWritableValue(v, 'rack 2 left')).toEqual({
      ok: false,
      error: 'At most 8 characters.',
    });
    expect(checkWritableValue(v, 'a"b').ok).toBe(false);
  });
});

describe('credentialOf', () => {
  it('uses the remembered credential only when there is one', () => {
    expect(credentialOf({ ...EMPTY_CREDENTIAL, useStored: true }, 'admin')).toEqual({
      ok: true,
      credential: { source: 'stored' },
    });
    const none = credentialOf({ ...EMPTY_CREDENTIAL, useStored: true }, null);
    expect(none.ok).toBe(false);
  });

  it('asks for the user that has the right; sends the typed one with "remember"', () => {
    expect(credentialOf(EMPTY_CREDENTIAL, null)).toEqual({
      ok: false,
      error:
        'Enter the upsd user that has the right (instcmds = … for commands, actions = SET for settings).',
    });
    expect(
      credentialOf(
        { useStored: false, username: ' admin ', password: 'pw', remember: true },
        'other',
      ),
    ).toEqual({
      ok: true,
      credential: { source: 'entered', username: 'admin', password: 'pw', remember: true },
    });
  });
});

describe('needsConfirmation', () => {
  it('guards the commands that cut power, drain the battery or bypass it', () => {
    for (const name of [
      'load.off',
      'load.off.delay',
      'outlet.1.load.off',
      'shutdown.return',
      'shutdown.stayoff',
      'calibrate.start',
      'test.battery.start.deep',
      'bypass.start',
    ])
      expect(needsConfirmation(name), name).toBe(true);
    for (const name of ['beeper.mute', 'test.battery.start.quick', 'load.on', 'calibrate.stop'])
      expect(needsConfirmation(name), name).toBe(false);
  });
});

describe('scheduleOf', () => {
  const form = { enabled: true, everyDays: '30', command: 'auto', minChargePercent: '90' };
  it('turns the form into the schedule the config keeps', () => {
    expect(scheduleOf(form, [])).toEqual({
      ok: true,
      schedule: { enabled: true, everyDays: 30, command: 'auto', minChargePercent: 90 },
    });
    expect(scheduleOf({ ...form, command: 'test.battery.start' }, ['test.battery.start']).ok).toBe(
      true,
    );
  });

  it('says what is wrong with each field', () => {
    expect(
      scheduleOf(
        { enabled: true, everyDays: '0.5', command: 'test.panel.start', minChargePercent: '120' },
        ['test.battery.start.quick'],
      ),
    ).toEqual({
      ok: false,
      errors: {
        everyDays: 'Whole days from 1 to 366 (30: monthly).',
        minChargePercent: 'A percentage from 0 to 100.',
        command: 'This UPS does not offer test.panel.start: pick auto or one of its test commands.',
      },
    });
  });
});
