import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, SecretScrubber } from './redaction';

describe('SecretScrubber', () => {
  it('replaces every occurrence of every secret', () => {
    const scrubber = new SecretScrubber(['hunter2', 'pa ss']);
    expect(scrubber.scrub('user monuser hunter2, again hunter2 and "pa ss"')).toBe(
      `user monuser ${REDACTED}, again ${REDACTED} and "${REDACTED}"`,
    );
    expect(scrubber.contains('xx hunter2 yy')).toBe(true);
    expect(scrubber.contains('hunter3')).toBe(false);
  });

  it('covers overlapping secrets with one marker and keeps adjacent ones apart', () => {
    const scrubber = new SecretScrubber(['abcd', 'cdef', 'xy']);
    expect(scrubber.scrub('1abcdef2')).toBe(`1${REDACTED}2`);
    expect(scrubber.scrub('xyxy')).toBe(`${REDACTED}${REDACTED}`);
  });

  it('finds a secret that ends inside a grapheme cluster', () => {
    const scrubber = new SecretScrubber(['a']);
    expect(scrubber.scrub('xa\u0301y')).toBe(`x${REDACTED}\u0301y`);
  });

  it('never leaves a secret that is part of the marker or spans its edge', () => {
    expect(new SecretScrubber(['RED']).scrub('a RED b')).not.toContain('RED');
    expect(new SecretScrubber(['D]x', 'pw']).scrub('pwx')).not.toContain('D]x');
  });

  it('leaves text alone without secrets (empty ones are ignored)', () => {
    const scrubber = new SecretScrubber(['']);
    expect(scrubber.empty).toBe(true);
    expect(scrubber.scrub('nothing to hide')).toBe('nothing to hide');
    expect(scrubber.contains('nothing')).toBe(false);
  });

  it('no secret survives, whatever the secrets and the text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        fc.string({ maxLength: 60 }),
        (secrets, noise) => {
          const text = `${noise}${secrets.join(noise)}${noise}`;
          const out = new SecretScrubber(secrets).scrub(text);
          for (const secret of secrets) expect(out).not.toContain(secret);
          expect(new SecretScrubber(secrets).contains(text)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
