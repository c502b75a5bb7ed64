import { describe, expect, it } from 'vitest';
import { shellWords } from './shell-words';

describe('shellWords', () => {
  it('leaves safe words bare and single-quotes the rest', () => {
    expect(shellWords(['/usr/bin/upsc', 'ups@nas:3493', 'battery.charge'])).toBe(
      '/usr/bin/upsc ups@nas:3493 battery.charge',
    );
    expect(shellWords(['echo', 'hello world', 'a;b', '$HOME'])).toBe(
      "echo 'hello world' 'a;b' '$HOME'",
    );
  });
  it("writes a ' inside a word as '\\'' and an empty word as ''", () => {
    expect(shellWords(["it's"])).toBe("'it'\\''s'");
    expect(shellWords(['printf', ''])).toBe("printf ''");
  });
});
