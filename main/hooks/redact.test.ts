import { describe, expect, it } from 'vitest';
import { redactArgs, redactText, secretsInArgs } from './redact';

describe('redaction', () => {
  it('masks known secrets, longest first', () => {
    expect(redactText('pw=abc and abcdef here', ['abc', 'abcdef'])).toBe(
      'pw=[REDACTED] and [REDACTED] here',
    );
    expect(redactText('short ab stays', ['ab'])).toBe('short ab stays');
  });

  it('masks key=value secrets, bearer tokens and URL credentials', () => {
    expect(redactText('password=s3cr3t user=bob')).toBe('password=[REDACTED] user=bob');
    expect(redactText('{"apiKey": "k-123", "name": "x"}')).toBe(
      '{"apiKey": "[REDACTED]", "name": "x"}',
    );
    expect(redactText('Authorization: Bearer eyJhbGciOi.xyz')).toBe(
      'Authorization: Bearer [REDACTED]',
    );
    expect(redactText('curl https://user:pa55@host/x')).toBe('curl https://user:[REDACTED]@host/x');
    expect(redactText('UPS ups@nas on battery [OB LB]:45%')).toBe(
      'UPS ups@nas on battery [OB LB]:45%',
    );
  });

  it('masks the value after --password-like options and finds the secrets in args', () => {
    const args = ['-h', '+0', '--password', 'hunter22', '--token=abc123', 'https://a:b0b@x'];
    expect(redactArgs(args)).toEqual([
      '-h',
      '+0',
      '--password',
      '[REDACTED]',
      '--token=[REDACTED]',
      'https://a:[REDACTED]@x',
    ]);
    expect(secretsInArgs(args)).toEqual(['hunter22', 'abc123', 'b0b']);
  });
});
