import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NutError } from './errors.js';
import {
  ListReplyCollector,
  MAX_WORD_LENGTH,
  MAX_WORDS_PER_COMMAND,
  buildCommand,
  compareVersions,
  encodeArg,
  errCodeOf,
  quoteArg,
  quoted,
  secret,
  tokenize,
  tokenizeDetailed,
} from './protocol.js';

function thrownBy(run: () => unknown): NutError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(NutError);
    return error as NutError;
  }
  throw new Error('expected a NutError');
}

describe('tokenize (main/nut/README.md §1.2)', () => {
  it('rule 1: splits on any whitespace, including tab and CR', () => {
    expect(tokenize('GET  VAR\tdummy\r ups.status\r')).toEqual([
      'GET',
      'VAR',
      'dummy',
      'ups.status',
    ]);
    expect(tokenize('   ')).toEqual([]);
    expect(tokenize('')).toEqual([]);
  });

  it('rule 2: quotes group words; the quotes are not part of the word; "" is an empty word', () => {
    expect(tokenize('VAR dummy ups.mfr "Power Co"')).toEqual([
      'VAR',
      'dummy',
      'ups.mfr',
      'Power Co',
    ]);
    expect(tokenize('VAR dummy x ""')).toEqual(['VAR', 'dummy', 'x', '']);
    expect(tokenize('"" ""')).toEqual(['', '']);
    // A closing quote ends the word at once; a quote inside an unquoted word is literal.
    expect(tokenize('"ab"cd')).toEqual(['ab', 'cd']);
    expect(tokenize('ab"cd"')).toEqual(['ab"cd"']);
  });

  it('rule 3: backslash escapes the next character inside and outside quotes', () => {
    expect(tokenize(String.raw`"a\"b" "c\\d" "e\#f"`)).toEqual(['a"b', 'c\\d', 'e#f']);
    expect(tokenize(String.raw`embedded\ space x\"y back\\slash h\#ash`)).toEqual([
      'embedded space',
      'x"y',
      'back\\slash',
      'h#ash',
    ]);
    expect(tokenize(String.raw`\"quoted\"`)).toEqual(['"quoted"']);
    // A lone trailing backslash escapes nothing.
    expect(tokenize('abc\\')).toEqual(['abc']);
  });

  it('rule 4: an unescaped # outside quotes starts a comment', () => {
    expect(tokenize('GET VAR ups ups.status # comment')).toEqual([
      'GET',
      'VAR',
      'ups',
      'ups.status',
    ]);
    expect(tokenize('abc#def ghi')).toEqual(['abc']);
    expect(tokenize('# only a comment')).toEqual([]);
  });

  it('rule 5: a # inside quotes is kept (upsd 2.8.0 would reject the line) and reported', () => {
    const result = tokenizeDetailed('DESC dummy x "Load # percent"');
    expect(result.words).toEqual(['DESC', 'dummy', 'x', 'Load # percent']);
    expect(result.issues).toEqual(['hash-in-quotes']);
  });

  it('rule 6: an unquoted = is a word of its own', () => {
    expect(tokenize('a=b')).toEqual(['a', '=', 'b']);
    expect(tokenize('=x')).toEqual(['=', 'x']);
    expect(tokenize('"a=b"')).toEqual(['a=b']);
  });

  it('drops bytes outside 0x20-0x7F like parseconf (CVE-2012-2944) and reports it', () => {
    const result = tokenizeDetailed('VAR ups ups.st\u00e4tus "x\u0001y\u00ffz\tw"');
    expect(result.words).toEqual(['VAR', 'ups', 'ups.sttus', 'xyzw']);
    expect(result.issues).toEqual(['dropped-non-printable']);
    // DEL (0x7F) passes parseconf's filter.
    expect(tokenize('a\u007fb')).toEqual(['a\u007fb']);
  });

  it('keeps a non-empty partial word of an unterminated quote, as pconf_line does', () => {
    expect(tokenizeDetailed('VAR ups x "abc')).toEqual({
      words: ['VAR', 'ups', 'x', 'abc'],
      issues: ['unterminated-quote'],
    });
    expect(tokenizeDetailed('VAR ups x "').words).toEqual(['VAR', 'ups', 'x']);
  });

  it('stops at an LF like a line end', () => {
    expect(tokenize('a b\nc d')).toEqual(['a', 'b']);
  });

  it('tokenizes plain lines (the sliced fast path) exactly like the full state machine', () => {
    // A trailing `#` starts a comment outside quotes, so it changes nothing but forces the full path.
    const plain = fc.string({
      unit: fc.constantFrom('a', 'Z', '0', '.', '-', ' ', ' ', '"', ':', '\u007f'),
      maxLength: 40,
    });
    fc.assert(
      fc.property(plain, (line) => {
        const fast = tokenizeDetailed(line);
        const full = tokenizeDetailed(`${line}#`);
        if (full.issues.length === 0) expect(fast).toEqual(full);
      }),
      { numRuns: 2000 },
    );
  });

  describe('verified transcripts (Appendix A)', () => {
    const transcripts: [string, string[]][] = [
      [
        'UPS dummy "Test UPS with \\"quotes\\" and spaces"',
        ['UPS', 'dummy', 'Test UPS with "quotes" and spaces'],
      ],
      ['UPS seq "Sequence UPS"', ['UPS', 'seq', 'Sequence UPS']],
      ['BEGIN LIST UPS', ['BEGIN', 'LIST', 'UPS']],
      ['END LIST UPS', ['END', 'LIST', 'UPS']],
      ['VAR dummy ups.status "OL"', ['VAR', 'dummy', 'ups.status', 'OL']],
      ['VAR dummy ups.status "FSD OB LB"', ['VAR', 'dummy', 'ups.status', 'FSD OB LB']],
      ['TYPE dummy ups.id RW STRING:16', ['TYPE', 'dummy', 'ups.id', 'RW', 'STRING:16']],
      ['ERR UNKNOWN-UPS', ['ERR', 'UNKNOWN-UPS']],
      ['OK Goodbye', ['OK', 'Goodbye']],
      ['OK PRIMARY-GRANTED', ['OK', 'PRIMARY-GRANTED']],
      ['NUMLOGINS dummy 1', ['NUMLOGINS', 'dummy', '1']],
      ['CLIENT dummy 127.0.0.1', ['CLIENT', 'dummy', '127.0.0.1']],
      [
        'OK TRACKING 2DDC5036-F665-4D29-BE4C-0374D091D263',
        ['OK', 'TRACKING', '2DDC5036-F665-4D29-BE4C-0374D091D263'],
      ],
      ['1.3', ['1.3']],
      ['PENDING', ['PENDING']],
    ];
    it.each(transcripts)('%s', (line, words) => {
      expect(tokenize(line)).toEqual(words);
    });
  });
});

describe('encodeArg / quoteArg', () => {
  it('escapes backslash, quote and hash, and quotes only when needed', () => {
    expect(encodeArg('ups.status')).toBe('ups.status');
    expect(encodeArg('a"b')).toBe('a\\"b');
    expect(encodeArg('a\\b#c')).toBe('a\\\\b\\#c');
    expect(encodeArg('two words')).toBe('"two words"');
    expect(encodeArg('')).toBe('""');
    expect(encodeArg('a=b')).toBe('"a=b"');
  });

  it('always quotes with quoteArg (values, passwords, INSTCMD params)', () => {
    expect(quoteArg('42')).toBe('"42"');
    expect(quoteArg('pa ss"q\\z')).toBe('"pa ss\\"q\\\\z"');
    expect(quoteArg('')).toBe('""');
  });

  it.each([
    ['LF', 'pass\nword'],
    ['CR', 'pass\rword'],
    ['tab', 'pass\tword'],
    ['UTF-8 letter', 'pässword'],
    ['emoji', 'pw\u{1F600}'],
    ['DEL', 'pw\u007f'],
    ['NUL', 'pw\u0000'],
  ])('refuses a %s with a typed argument error', (_name, value) => {
    const error = thrownBy(() => quoteArg(value));
    expect(error.kind).toBe('argument');
    expect(error.code).toBe('NON-PRINTABLE-ARGUMENT');
    expect(error.fix).not.toBe('');
  });

  it('does not reveal a secret value or its characters in the error', () => {
    const error = thrownBy(() => quoteArg('hunter2\u00e9', { secret: true }));
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('U+00E9');
    expect(error.message).toContain('position 8');
  });

  it('refuses words over 512 characters', () => {
    expect(encodeArg('x'.repeat(MAX_WORD_LENGTH))).toHaveLength(MAX_WORD_LENGTH);
    expect(thrownBy(() => encodeArg('x'.repeat(MAX_WORD_LENGTH + 1))).code).toBe('WORD-TOO-LONG');
  });
});

describe('buildCommand', () => {
  it('encodes words and redacts secrets', () => {
    expect(buildCommand(['SET', 'VAR', 'dummy', 'ups.id', quoted('my ups')])).toEqual({
      wire: 'SET VAR dummy ups.id "my ups"',
      redacted: 'SET VAR dummy ups.id "my ups"',
    });
    expect(buildCommand(['PASSWORD', secret('pa ss"q\\z')])).toEqual({
      wire: 'PASSWORD "pa ss\\"q\\\\z"',
      redacted: 'PASSWORD [REDACTED]',
    });
  });

  it('refuses more than 32 words, an empty command and bad words, naming the argument', () => {
    const words = Array.from({ length: MAX_WORDS_PER_COMMAND + 1 }, (_, index) => `w${index}`);
    expect(buildCommand(words.slice(0, MAX_WORDS_PER_COMMAND)).wire.split(' ')).toHaveLength(
      MAX_WORDS_PER_COMMAND,
    );
    expect(thrownBy(() => buildCommand(words)).code).toBe('TOO-MANY-WORDS');
    expect(thrownBy(() => buildCommand([])).kind).toBe('argument');
    const error = thrownBy(() => buildCommand(['SET', 'VAR', 'ups', 'x', quoted('a\nb')]));
    expect(error.message).toContain('Argument 4 of SET VAR');
    const secretError = thrownBy(() => buildCommand(['PASSWORD', secret('top\nsecret')]));
    expect(secretError.message).not.toContain('top');
    expect(secretError.message).not.toContain('secret\u0000');
  });
});

describe('round trip: anything sendable survives encoding and upsd-style tokenizing', () => {
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    maxLength: 80,
  });
  const nasty = fc.string({
    unit: fc.constantFrom('\\', '"', '#', ' ', '=', 'a', 'Z', '0', "'"),
    maxLength: 40,
  });

  it('quoteArg(value) tokenizes back to exactly value', () => {
    fc.assert(
      fc.property(fc.oneof(printable, nasty), (value) => {
        expect(tokenize(quoteArg(value))).toEqual([value]);
      }),
    );
  });

  it('encodeArg (auto quoting) tokenizes back to exactly value', () => {
    fc.assert(
      fc.property(fc.oneof(printable, nasty), (value) => {
        expect(tokenize(encodeArg(value))).toEqual([value]);
      }),
    );
  });

  it('a whole command tokenizes back to its words', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(printable, nasty), { minLength: 1, maxLength: MAX_WORDS_PER_COMMAND }),
        (words) => {
          expect(tokenize(buildCommand(words).wire)).toEqual(words);
          expect(tokenize(buildCommand(words.map(quoted)).wire)).toEqual(words);
        },
      ),
    );
  });

  it('tokenize never throws on arbitrary text', () => {
    fc.assert(
      // Code points up to U+02FF: ASCII, control characters, latin1 and beyond.
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0, max: 0x2ff }).map((code) => String.fromCharCode(code)),
          maxLength: 120,
        }),
        (line) => {
          const { words } = tokenizeDetailed(line);
          for (const word of words) expect(word).toMatch(/^[\x20-\x7f]*$/);
        },
      ),
    );
  });
});

describe('ListReplyCollector (main/nut/README.md §1.5)', () => {
  it('collects items between BEGIN LIST and END LIST, stripping the query prefix', () => {
    const collector = new ListReplyCollector(['UPS']);
    expect(collector.accept(tokenize('BEGIN LIST UPS'))).toEqual({ status: 'continue' });
    expect(collector.accept(tokenize('UPS dummy "Test UPS with \\"quotes\\" and spaces"'))).toEqual(
      { status: 'continue' },
    );
    expect(collector.accept(tokenize('UPS seq "Sequence UPS"'))).toEqual({ status: 'continue' });
    expect(collector.accept(tokenize('END LIST UPS'))).toEqual({
      status: 'done',
      items: [
        ['dummy', 'Test UPS with "quotes" and spaces'],
        ['seq', 'Sequence UPS'],
      ],
    });
  });

  it('matches the echoed query case-insensitively and accepts an empty list', () => {
    const collector = new ListReplyCollector(['CMD', 'DUMMY']);
    expect(collector.accept(tokenize('BEGIN LIST CMD DUMMY')).status).toBe('continue');
    expect(collector.accept(tokenize('CMD dummy load.off')).status).toBe('continue');
    expect(collector.accept(tokenize('END LIST CMD DUMMY'))).toEqual({
      status: 'done',
      items: [['load.off']],
    });
    const empty = new ListReplyCollector(['ENUM', 'dummy', 'ups.id']);
    empty.accept(tokenize('BEGIN LIST ENUM dummy ups.id'));
    expect(empty.accept(tokenize('END LIST ENUM dummy ups.id'))).toEqual({
      status: 'done',
      items: [],
    });
  });

  it('accepts an ERR in place of BEGIN LIST', () => {
    expect(new ListReplyCollector(['VAR', 'nosuch']).accept(['ERR', 'UNKNOWN-UPS'])).toEqual({
      status: 'server-error',
      code: 'UNKNOWN-UPS',
    });
  });

  it('reports anything else as unexpected', () => {
    expect(new ListReplyCollector(['VAR', 'dummy']).accept(['OK']).status).toBe('unexpected');
    expect(
      new ListReplyCollector(['VAR', 'dummy']).accept(tokenize('BEGIN LIST VAR other')).status,
    ).toBe('unexpected');
    const collector = new ListReplyCollector(['VAR', 'dummy']);
    collector.accept(tokenize('BEGIN LIST VAR dummy'));
    expect(collector.accept(['ERR', 'DATA-STALE']).status).toBe('unexpected');
    expect(collector.accept(tokenize('RW dummy x "1"')).status).toBe('unexpected');
  });
});

describe('small helpers', () => {
  it('errCodeOf', () => {
    expect(errCodeOf(['ERR', 'ACCESS-DENIED', 'future', 'words'])).toBe('ACCESS-DENIED');
    expect(errCodeOf(['ERR'])).toBe('');
    expect(errCodeOf(['OK'])).toBeUndefined();
  });

  it('compareVersions', () => {
    expect(compareVersions('1.3', '1.2')).toBe(1);
    expect(compareVersions('1.2', '1.3')).toBe(-1);
    expect(compareVersions('1.3', '1.3.0')).toBe(0);
    expect(compareVersions('1.10', '1.9')).toBe(1);
  });
});
