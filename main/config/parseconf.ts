/**
 * NUT's config-file tokenizer (`common/parseconf.c`), character for character, so an imported
 * upsmon.conf/upssched.conf is split exactly as upsmon and upssched split it (main/nut/README.md §1.2):
 *
 * - words are separated by whitespace; `"…"` groups a word (quotes are not part of it; `""` is an
 *   empty word; a closing quote ends the word, so `"ab"cd` is two words);
 * - a backslash takes the next character literally, inside and outside quotes; a backslash before
 *   a newline continues the logical line on the next physical line;
 * - `#` outside quotes starts a comment; an unquoted `=` is a word of its own;
 * - only printable ASCII (0x20–0x7E, and DEL) is kept: other characters are dropped silently by
 *   upsmon, so a newline inside an unterminated quote is dropped too and the quote runs on into the
 *   next line(s);
 * - at most 32 words per line and 512 characters per word; the rest is dropped.
 *
 * Unlike upsmon we also keep where each word came from (to redact passwords in reports) and we
 * record everything that upsmon would have done silently, so the import can say so.
 */

export interface ConfWord {
  /** The word as upsmon sees it. */
  value: string;
  /** Offsets into the text: from the word's first character (quote or backslash included)… */
  start: number;
  /** …to just after its last one (closing quote included). */
  end: number;
}

export interface ConfLine {
  /** 1-based physical line where the logical line starts, and where it ends (continuations). */
  line: number;
  lastLine: number;
  /** Offsets of the logical line in the text, without its final newline (and trailing CR). */
  start: number;
  end: number;
  words: ConfWord[];
  /** What upsmon does silently here; empty for a clean line. */
  quirks: ConfQuirk[];
}

export type ConfQuirk =
  /** A quoted word ran past the end of the line: its newline was dropped and it swallowed the next line(s). */
  | 'unterminated-quote'
  /** A backslash at the end of the line joined the next line. */
  | 'continued'
  /** Non-ASCII or control characters were dropped from a word. */
  | 'dropped-characters'
  /** An unescaped `#` inside quotes: a parse error for NUT ≤ 2.8.0, literal since. */
  | 'hash-in-quotes'
  /** More than 32 words: the rest were dropped. */
  | 'too-many-words'
  /** A word longer than 512 characters was truncated. */
  | 'word-truncated';

export const PCONF_ARG_LIMIT = 32;
export const PCONF_WORDLEN_LIMIT = 512;

const enum State {
  FindWordStart,
  FindEol,
  QuoteCollect,
  QuoteLiteral,
  Collect,
  CollectLiteral,
}

function isSpace(ch: string): boolean {
  // C isspace() in the "C" locale (newline is handled before this is asked).
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\v' || ch === '\f' || ch === '\n';
}

/** Splits a whole config file into logical lines. Lines without words (blank, comment) are omitted. */
export function tokenizeConf(text: string): ConfLine[] {
  return [...confLines(text)];
}

/** {@link tokenizeConf} one logical line at a time, so a large file can be read in slices. */
export function* confLines(text: string): Generator<ConfLine, void, void> {
  let physicalLine = 1;
  let i = 0;
  while (i < text.length) {
    const startLine = physicalLine;
    const lineStart = i;
    const words: ConfWord[] = [];
    const quirks = new Set<ConfQuirk>();
    let state = State.FindWordStart;
    let word = '';
    let wordStart = -1;
    let inWord = false;

    const addChar = (ch: string) => {
      const code = ch.charCodeAt(0);
      if (code < 0x20 || code > 0x7f) {
        if (ch !== '\n') quirks.add('dropped-characters');
        return;
      }
      if (word.length >= PCONF_WORDLEN_LIMIT) {
        quirks.add('word-truncated');
        return;
      }
      word += ch;
    };
    const beginWord = (at: number) => {
      inWord = true;
      wordStart = at;
      word = '';
    };
    const endWord = (end: number) => {
      if (words.length >= PCONF_ARG_LIMIT) quirks.add('too-many-words');
      else words.push({ value: word, start: wordStart, end });
      inWord = false;
      word = '';
    };

    let ended = false;
    for (; i < text.length && !ended; i++) {
      const ch = text[i] ?? '';
      if (ch === '\n') physicalLine++;
      switch (state) {
        case State.FindWordStart:
          if (ch === '\n') ended = true;
          else if (ch === '#') state = State.FindEol;
          else if (isSpace(ch)) state = State.FindWordStart;
          else if (ch === '\\') {
            beginWord(i);
            state = State.CollectLiteral;
          } else if (ch === '"') {
            beginWord(i);
            state = State.QuoteCollect;
          } else {
            beginWord(i);
            addChar(ch);
            if (ch === '=') endWord(i + 1);
            else state = State.Collect;
          }
          break;
        case State.FindEol:
          if (ch === '\n') ended = true;
          break;
        case State.QuoteCollect:
          if (ch === '"') {
            endWord(i + 1);
            state = State.FindWordStart;
          } else if (ch === '\\') {
            state = State.QuoteLiteral;
          } else {
            if (ch === '\n') quirks.add('unterminated-quote');
            if (ch === '#') quirks.add('hash-in-quotes');
            addChar(ch);
          }
          break;
        case State.QuoteLiteral:
          if (ch === '\n') quirks.add('continued');
          else addChar(ch);
          state = State.QuoteCollect;
          break;
        case State.Collect:
          if (ch === '#') {
            endWord(i);
            state = State.FindEol;
          } else if (ch === '\n') {
            endWord(i);
            ended = true;
          } else if (isSpace(ch)) {
            endWord(i);
            state = State.FindWordStart;
          } else if (ch === '=') {
            endWord(i);
            beginWord(i);
            addChar(ch);
            endWord(i + 1);
            state = State.FindWordStart;
          } else if (ch === '\\') {
            state = State.CollectLiteral;
          } else {
            addChar(ch);
          }
          break;
        case State.CollectLiteral:
          if (ch === '\n') quirks.add('continued');
          else addChar(ch);
          state = State.Collect;
          break;
      }
    }
    // End of file inside a word: upsmon ties it off.
    if (!ended && inWord) {
      if (state === State.QuoteCollect || state === State.QuoteLiteral)
        quirks.add('unterminated-quote');
      endWord(i);
    }
    if (words.length > 0) {
      let end = ended ? i - 1 : i;
      if (text[end - 1] === '\r') end--;
      yield {
        line: startLine,
        lastLine: ended ? physicalLine - 1 : physicalLine,
        start: lineStart,
        end,
        words,
        quirks: [...quirks],
      };
    }
  }
}

/** The note for each quirk (empty when upsmon parsed the line cleanly). */
export function describeQuirks(quirks: readonly ConfQuirk[]): string[] {
  const text: Record<ConfQuirk, string> = {
    'unterminated-quote':
      'a quoted string is not closed on its line: upsmon drops the newline and reads on into the next line(s)',
    continued: 'continued on the next line with a trailing backslash',
    'dropped-characters': 'non-ASCII or control characters were dropped, as upsmon drops them',
    'hash-in-quotes':
      'an unescaped `#` inside quotes is a parse error for NUT 2.8.0 and older (write `\\#`)',
    'too-many-words': `more than ${PCONF_ARG_LIMIT} words: upsmon drops the rest`,
    'word-truncated': `a word longer than ${PCONF_WORDLEN_LIMIT} characters was cut, as upsmon cuts it`,
  };
  return quirks.map((q) => text[q]);
}
