/**
 * Pure helpers for the NUT network protocol text format (main/nut/README.md §1.2, §1.5): tokenizing
 * replies exactly like upsd's `parseconf`, encoding request arguments, and assembling multi-line
 * LIST replies. No I/O here.
 */
import { ClientErrorCode, NutError } from './errors.js';
import { DEFAULT_MAX_LIST_BYTES, DEFAULT_MAX_LIST_ITEMS } from './limits.js';
import { REDACTED } from '../platform/redaction';

/** upsd's tokenizer keeps at most this many words per line and drops the rest silently. */
export const MAX_WORDS_PER_COMMAND = 32;
/** upsd's tokenizer keeps at most this many characters per word and drops the rest silently. */
export const MAX_WORD_LENGTH = 512;

// ---------------------------------------------------------------------------------------------
// Tokenizing (parseconf, `common/parseconf.c`)

/** Something the tokenizer tolerated that upsd or libupsclient would have treated differently. */
export type TokenizeIssue =
  /** A byte outside 0x20–0x7F was dropped from a word (what parseconf does since CVE-2012-2944). */
  | 'dropped-non-printable'
  /** An unescaped `#` inside quotes: upsd 2.8.0 aborts the line; we keep it (upsd emits DESC texts unescaped). */
  | 'hash-in-quotes'
  /** The line ended inside a quoted word; the partial word is kept when not empty, as parseconf does. */
  | 'unterminated-quote';

export interface TokenizeResult {
  words: string[];
  issues: TokenizeIssue[];
}

/** States of parseconf's state machine (plus Comment = its FINDEOL). */
const State = {
  FindWordStart: 0,
  Collect: 1,
  CollectLiteral: 2,
  QuoteCollect: 3,
  QuoteLiteral: 4,
  Comment: 5,
} as const;
type State = (typeof State)[keyof typeof State];

/** C `isspace()` in the C locale: space, \t, \n, \v, \f, \r. */
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

const LF = 0x0a;

/**
 * Splits one reply line into words with upsd's parseconf rules: whitespace separates words,
 * `"..."` groups (and `""` is an empty word), backslash escapes the next character inside and
 * outside quotes, an unquoted `#` starts a comment, an unquoted `=` is a word of its own, and
 * bytes outside 0x20–0x7F are dropped. Never throws; see {@link tokenizeDetailed} for what was
 * tolerated.
 *
 * @example tokenize('UPS dummy "Test UPS with \\"quotes\\" and spaces"')
 *   // → ['UPS', 'dummy', 'Test UPS with "quotes" and spaces']
 */
export function tokenize(line: string): string[] {
  return tokenizeDetailed(line).words;
}

/** {@link tokenize}, also reporting the {@link TokenizeIssue}s met on the way. */
export function tokenizeDetailed(line: string): TokenizeResult {
  // Nearly every reply line is plain printable ASCII without escapes, comments or `=`: words and
  // closed quotes only, sliced out instead of built character by character.
  if (!NEEDS_FULL_TOKENIZER.test(line)) {
    const words = tokenizePlain(line);
    if (words !== null) return { words, issues: [] };
  }
  return tokenizeFull(line);
}

/** Anything outside printable ASCII (0x20–0x7E), a backslash, `#` or `=`. */
const NEEDS_FULL_TOKENIZER = /[^\x20-\x7e]|[\\#=]/;

/**
 * parseconf's result for a line of printable ASCII without a backslash, `#` or `=` (spaces separate
 * words, `"..."` is one word, a `"` inside an unquoted word is kept); null for an unterminated
 * quote, which the full tokenizer reports.
 */
function tokenizePlain(line: string): string[] | null {
  const words: string[] = [];
  const length = line.length;
  let index = 0;
  while (index < length) {
    const code = line.charCodeAt(index);
    if (code === 0x20) {
      index++;
    } else if (code === 0x22) {
      const close = line.indexOf('"', index + 1);
      if (close === -1) return null;
      words.push(line.slice(index + 1, close));
      index = close + 1;
    } else {
      let end = index + 1;
      while (end < length && line.charCodeAt(end) !== 0x20) end++;
      words.push(line.slice(index, end));
      index = end;
    }
  }
  return words;
}

function tokenizeFull(line: string): TokenizeResult {
  const words: string[] = [];
  const issues = new Set<TokenizeIssue>();
  let word = '';
  let state: State = State.FindWordStart;

  const addChar = (code: number): void => {
    if (code < 0x20 || code > 0x7f) {
      issues.add('dropped-non-printable');
      return;
    }
    word += String.fromCharCode(code);
  };
  const endWord = (): void => {
    words.push(word);
    word = '';
  };

  scan: for (let index = 0; index < line.length; index++) {
    const code = line.charCodeAt(index);
    switch (state) {
      case State.FindWordStart:
        if (code === LF) break scan;
        if (code === 0x23 /* # */) state = State.Comment;
        else if (isSpace(code)) state = State.FindWordStart;
        else if (code === 0x5c /* \ */) state = State.CollectLiteral;
        else if (code === 0x22 /* " */) state = State.QuoteCollect;
        else if (code === 0x3d /* = */) {
          addChar(code);
          endWord();
        } else {
          addChar(code);
          state = State.Collect;
        }
        break;
      case State.Collect:
        if (code === 0x23) {
          endWord();
          state = State.Comment;
        } else if (code === LF) {
          endWord();
          break scan;
        } else if (isSpace(code)) {
          endWord();
          state = State.FindWordStart;
        } else if (code === 0x3d) {
          endWord();
          addChar(code);
          endWord();
          state = State.FindWordStart;
        } else if (code === 0x5c) state = State.CollectLiteral;
        else addChar(code);
        break;
      case State.CollectLiteral:
        if (code !== LF) addChar(code);
        state = State.Collect;
        break;
      case State.QuoteCollect:
        if (code === 0x22) {
          endWord();
          state = State.FindWordStart;
        } else if (code === 0x5c) state = State.QuoteLiteral;
        else {
          if (code === 0x23) issues.add('hash-in-quotes');
          addChar(code);
        }
        break;
      case State.QuoteLiteral:
        if (code !== LF) addChar(code);
        state = State.QuoteCollect;
        break;
      case State.Comment:
        if (code === LF) break scan;
        break;
    }
  }
  if (state === State.QuoteCollect || state === State.QuoteLiteral)
    issues.add('unterminated-quote');
  // parseconf ties off a word still being built at the end of the line only when it is not empty.
  if (word.length > 0) endWord();
  return { words, issues: [...issues] };
}

// ---------------------------------------------------------------------------------------------
// Encoding requests

function isPrintableAscii(code: number): boolean {
  return code >= 0x20 && code <= 0x7e;
}

/**
 * Throws a NutError (kind `argument`) unless `value` contains only printable ASCII. upsd silently
 * drops any other byte, which would e.g. corrupt a password without any error.
 */
export function assertSendable(
  value: string,
  options: { secret?: boolean; what?: string } = {},
): void {
  const what = options.what ?? 'An argument';
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (isPrintableAscii(code)) continue;
    const character = options.secret ? 'a character' : `the character ${describeCharCode(code)}`;
    throw new NutError({
      kind: 'argument',
      code: ClientErrorCode.nonPrintableArgument,
      explanation:
        `${what} contains ${character} at position ${index + 1} that NUT cannot transport: upsd silently drops ` +
        'everything but printable ASCII (space to ~), including line breaks, tabs and non-English letters.',
      fix: 'Use only printable ASCII characters (for a password: change it on the server to an ASCII-only one).',
    });
  }
  if (value.length > MAX_WORD_LENGTH) {
    throw new NutError({
      kind: 'argument',
      code: ClientErrorCode.wordTooLong,
      explanation: `${what} is ${value.length} characters long; upsd keeps only the first ${MAX_WORD_LENGTH} and silently drops the rest.`,
      fix: `Use at most ${MAX_WORD_LENGTH} characters.`,
    });
  }
}

function describeCharCode(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Escapes `\`, `"` and `#` with a backslash (parseconf's `pconf_encode`). */
function escapeWord(value: string): string {
  return value.replace(/[\\"#]/g, '\\$&');
}

export interface EncodeOptions {
  /** `always`: wrap in double quotes; `auto` (default): only when needed (empty, whitespace, `=`). */
  quote?: 'auto' | 'always';
  /** Keep the value out of error messages (passwords). */
  secret?: boolean;
  /** How to name the argument in error messages, e.g. `Argument 2 of SET VAR`. */
  what?: string;
}

/**
 * Encodes one request word so that upsd's tokenizer yields exactly `value`: escapes `\`, `"`, `#`
 * and wraps in double quotes when asked or when needed (empty, whitespace, or `=`, which parseconf
 * splits off as a word of its own). Throws a NutError (kind `argument`) for characters upsd
 * would drop and for words over {@link MAX_WORD_LENGTH} characters.
 */
export function encodeArg(value: string, options: EncodeOptions = {}): string {
  assertSendable(value, { secret: options.secret, what: options.what });
  const escaped = escapeWord(value);
  const needsQuotes = options.quote === 'always' || value.length === 0 || /[ =]/.test(value);
  return needsQuotes ? `"${escaped}"` : escaped;
}

/** {@link encodeArg} with quotes always: for values, passwords and INSTCMD parameters. */
export function quoteArg(value: string, options: { secret?: boolean } = {}): string {
  return encodeArg(value, { quote: 'always', secret: options.secret });
}

/** A request word that is always sent in quotes; `secret` words are also redacted in `EncodedCommand.redacted`. */
export interface QuotedWord {
  readonly value: string;
  readonly secret: boolean;
}

/** A request word: a plain string is quoted only when needed. */
export type CommandWord = string | QuotedWord;

/** A free-text word, always sent quoted. */
export function quoted(value: string): QuotedWord {
  return { value, secret: false };
}

/** A password: always sent quoted, never shown (REDACTED) in errors or logs. */
export function secret(value: string): QuotedWord {
  return { value, secret: true };
}

/** The one redaction marker (main/platform/redaction.ts), re-exported for the NUT client's users. */
export { REDACTED };

export interface EncodedCommand {
  /** The request line to send, without the terminating LF. */
  wire: string;
  /** The same line with secret words replaced by REDACTED: the only form allowed in errors and logs. */
  redacted: string;
}

/**
 * Encodes a request line, e.g. `buildCommand(['SET', 'VAR', ups, name, quoted(value)])`.
 * Throws a NutError (kind `argument`) for more than {@link MAX_WORDS_PER_COMMAND} words, words
 * over {@link MAX_WORD_LENGTH} characters and characters upsd would drop.
 */
export function buildCommand(words: readonly CommandWord[]): EncodedCommand {
  if (words.length === 0) {
    throw new NutError({
      kind: 'argument',
      code: ClientErrorCode.emptyCommand,
      explanation:
        'An empty command cannot be sent (upsd answers an empty line with ERR UNKNOWN-COMMAND).',
      fix: 'Pass at least the command keyword.',
    });
  }
  if (words.length > MAX_WORDS_PER_COMMAND) {
    throw new NutError({
      kind: 'argument',
      code: ClientErrorCode.tooManyWords,
      explanation: `The command has ${words.length} words; upsd keeps only the first ${MAX_WORDS_PER_COMMAND} and silently drops the rest.`,
      fix: `Send at most ${MAX_WORDS_PER_COMMAND} words per command.`,
    });
  }
  const wire: string[] = [];
  const redacted: string[] = [];
  words.forEach((word, index) => {
    const what = index === 0 ? 'The command keyword' : `Argument ${index} of ${commandName(words)}`;
    if (typeof word === 'string') {
      const encoded = encodeArg(word, { what });
      wire.push(encoded);
      redacted.push(encoded);
    } else {
      const encoded = encodeArg(word.value, { quote: 'always', secret: word.secret, what });
      wire.push(encoded);
      redacted.push(word.secret ? REDACTED : encoded);
    }
  });
  return { wire: wire.join(' '), redacted: redacted.join(' ') };
}

function commandName(words: readonly CommandWord[]): string {
  const first = words[0];
  const keyword = typeof first === 'string' ? first : 'the command';
  const second = words[1];
  return (keyword === 'GET' || keyword === 'SET' || keyword === 'LIST') &&
    typeof second === 'string'
    ? `${keyword} ${second}`
    : keyword;
}

// ---------------------------------------------------------------------------------------------
// Reply helpers

/** The code of an `ERR <code> [...]` reply, or undefined for any other reply. */
export function errCodeOf(words: readonly string[]): string | undefined {
  if (words[0]?.toUpperCase() !== 'ERR') return undefined;
  return words[1] ?? '';
}

/** Compares dotted numeric versions such as NETVER `1.2` and `1.3`; non-numeric parts count as 0. */
export function compareVersions(left: string, right: string): number {
  const leftParts = left.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const rightParts = right.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < Math.max(leftParts.length, rightParts.length); index++) {
    const difference = (leftParts[index] ?? 0) - (rightParts[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** Outcome of feeding one reply line to a {@link ListReplyCollector}. */
export type ListStep =
  | { status: 'continue' }
  | { status: 'done'; items: string[][] }
  /** `ERR <code>` instead of `BEGIN LIST`: a normal error answer; the connection stays in sync. */
  | { status: 'server-error'; code: string }
  /** Anything else: the reply stream no longer matches the requests (close the connection). */
  | { status: 'unexpected'; reason: string }
  /** More items or bytes than the limits allow: not a NUT server, or a broken one (close the connection). */
  | { status: 'too-large'; limit: 'items' | 'bytes'; reason: string };

export interface ListLimits {
  /** Most items accepted; default {@link DEFAULT_MAX_LIST_ITEMS}. */
  maxItems?: number;
  /** Most item bytes accepted (each line plus its LF); default {@link DEFAULT_MAX_LIST_BYTES}. */
  maxBytes?: number;
}

/**
 * Assembles one multi-line LIST reply (main/nut/README.md §1.5): `BEGIN LIST <query>` (or a single `ERR`
 * instead), item lines that start with the query words, then `END LIST ...`. Never throws.
 */
export class ListReplyCollector {
  private begun = false;
  private finished = false;
  private readonly items: string[][] = [];
  private readonly query: readonly string[];
  private readonly maxItems: number;
  private readonly maxBytes: number;
  private bytes = 0;

  /** @param query the words after `LIST`, as sent: e.g. `['VAR', 'dummy']`. */
  constructor(query: readonly string[], limits: ListLimits = {}) {
    this.query = query;
    this.maxItems = limits.maxItems ?? DEFAULT_MAX_LIST_ITEMS;
    this.maxBytes = limits.maxBytes ?? DEFAULT_MAX_LIST_BYTES;
  }

  get itemCount(): number {
    return this.items.length;
  }

  /** Bytes of the item lines received so far (LF included). */
  get byteCount(): number {
    return this.bytes;
  }

  get hasBegun(): boolean {
    return this.begun;
  }

  /** @param lineBytes the raw line's length in bytes, for the byte limit (default: the words' length). */
  accept(words: readonly string[], lineBytes?: number): ListStep {
    if (this.finished) return { status: 'unexpected', reason: 'line after END LIST' };
    if (!this.begun) {
      const code = errCodeOf(words);
      if (code !== undefined) {
        this.finished = true;
        return { status: 'server-error', code };
      }
      if (
        isKeyword(words[0], 'BEGIN') &&
        isKeyword(words[1], 'LIST') &&
        startsWithWords(words.slice(2), this.query)
      ) {
        this.begun = true;
        return { status: 'continue' };
      }
      return {
        status: 'unexpected',
        reason: `expected "BEGIN LIST ${this.query.join(' ')}", got "${describeWords(words)}"`,
      };
    }
    if (isKeyword(words[0], 'END') && isKeyword(words[1], 'LIST')) {
      this.finished = true;
      return { status: 'done', items: this.items };
    }
    if (words.length > this.query.length && startsWithWords(words, this.query)) {
      // Checked before the item is kept: what is held never exceeds the limits.
      const bytes = (lineBytes ?? words.reduce((sum, word) => sum + word.length + 1, 0)) + 1;
      if (this.items.length >= this.maxItems) {
        this.finished = true;
        return { status: 'too-large', limit: 'items', reason: `more than ${this.maxItems} items` };
      }
      if (this.bytes + bytes > this.maxBytes) {
        this.finished = true;
        return {
          status: 'too-large',
          limit: 'bytes',
          reason: `more than ${formatBytes(this.maxBytes)}`,
        };
      }
      this.bytes += bytes;
      this.items.push(words.slice(this.query.length));
      return { status: 'continue' };
    }
    return {
      status: 'unexpected',
      reason: `expected a "${this.query.join(' ')} ..." item, got "${describeWords(words)}"`,
    };
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function isKeyword(word: string | undefined, keyword: string): boolean {
  return word?.toUpperCase() === keyword;
}

function startsWithWords(words: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((expected, index) => words[index]?.toUpperCase() === expected.toUpperCase());
}

/** A short, printable rendering of a reply for error messages (replies never contain our secrets). */
export function describeWords(words: readonly string[]): string {
  const text = words.map((word) => (/^[!-~]+$/.test(word) ? word : JSON.stringify(word))).join(' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
