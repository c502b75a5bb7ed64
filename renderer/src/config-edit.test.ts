// @vitest-environment jsdom
// (config-edit.ts reaches the API module, which looks at `window` when it loads.)
import { describe, expect, it } from 'vitest';
import { TimingSchema } from '../../shared/config';
import { friendlyMessage, issueAt, issuesOf, scopeIssues } from './config-edit';

describe('form messages from the config schema', () => {
  it('words bounds for a form, fractional ones included', () => {
    const tooFast = TimingSchema.safeParse({ statusPollSeconds: 0 });
    expect(tooFast.success).toBe(false);
    expect(issuesOf(tooFast.error!)).toEqual([
      { path: 'statusPollSeconds', message: 'At least 0.1.' },
    ]);
    const tooSlow = TimingSchema.safeParse({ statusPollSeconds: 61 });
    expect(issuesOf(tooSlow.error!)).toEqual([
      { path: 'statusPollSeconds', message: 'At most 60.' },
    ]);
    expect(issuesOf(TimingSchema.safeParse({ fullPollSeconds: Number.NaN }).error!)).toEqual([
      { path: 'fullPollSeconds', message: 'Enter a number.' },
    ]);
    expect(friendlyMessage('Too small: expected string to have >=1 characters')).toBe(
      'This cannot be empty.',
    );
    expect(friendlyMessage('Too small: expected string to have >=8 characters')).toBe(
      'At least 8 characters.',
    );
    expect(friendlyMessage('Something else entirely')).toBe('Something else entirely');
  });

  it('scopes whole-config issue paths to a section', () => {
    const issues = [
      { path: 'masters.0.port', message: 'At most 65535.' },
      { path: 'masters.0', message: 'Duplicate id.' },
      { path: 'mastersX.1', message: 'not this one' },
      { path: 'timing.statusPollSeconds', message: 'At least 0.1.' },
    ];
    expect(scopeIssues(issues, 'masters.0')).toEqual([
      { path: 'port', message: 'At most 65535.' },
      { path: '', message: 'Duplicate id.' },
    ]);
    expect(scopeIssues(issues, '')).toBe(issues);
    expect(issueAt(issues, 'timing.statusPollSeconds')).toBe('At least 0.1.');
    expect(issueAt(issues, 'timing')).toBeUndefined();
  });
});
