/**
 * Remembers where every value and every object key of a JSON text starts, so validation problems
 * can be reported as `file:line:column`. Parsing is jsonc-parser's `visit` in strict mode (no
 * comments, no trailing commas); this module adds what the config needs on top of it: duplicate
 * keys (JSON.parse silently keeps the last one), a locator by path, and syntax errors worded for
 * people, at the character that is wrong (JSON.parse's messages differ between Node versions and
 * give only an offset).
 */
import { printParseErrorCode, visit, type ParseErrorCode } from 'jsonc-parser';

export type JsonPath = readonly (string | number)[];

export interface TextPosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units (what editors show for BMP text). */
  column: number;
}

export interface JsonNodeLocation {
  /** Where the value starts. */
  value: TextPosition;
  /** Where the property name starts (object members only). */
  key?: TextPosition;
}

export interface JsonSyntaxProblem extends TextPosition {
  reason: string;
}

export interface JsonDuplicateKey extends TextPosition {
  path: JsonPath;
}

export type JsonScanResult =
  | { ok: true; duplicates: JsonDuplicateKey[]; locate: (path: JsonPath) => JsonLocateResult }
  | { ok: false; error: JsonSyntaxProblem };

export interface JsonLocateResult {
  /** The deepest prefix of the requested path that exists in the text. */
  found: JsonPath;
  location: JsonNodeLocation;
  /** True when the whole requested path exists. */
  exact: boolean;
}

/** Deeper nesting than this is reported as an error instead of risking the call stack. */
const MAX_DEPTH = 256;

export function pathKey(path: JsonPath): string {
  return JSON.stringify(path);
}

/** Formats a path the way people write it: `masters[0].ups[1].name`. */
export function formatJsonPath(path: JsonPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** Maps offsets to line/column. Lines end at LF; a CR before it belongs to the line. */
export function makePositionMapper(text: string): (offset: number) => TextPosition {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  return (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
  };
}

function describeChar(text: string, offset: number): string {
  if (offset >= text.length) return 'the end of the file';
  const ch = text[offset] ?? '';
  const code = ch.charCodeAt(0);
  if (code < 0x20) return `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
  return `\`${ch}\``;
}

interface Problem {
  offset: number;
  reason: string;
}

/** The first thing wrong with the string literal that starts (with its `"`) at `start`. */
function stringProblem(text: string, start: number): Problem | undefined {
  for (let i = start + 1; ; i++) {
    if (i >= text.length)
      return { offset: start, reason: 'this string is not closed (missing `"`)' };
    const c = text.charCodeAt(i);
    if (c === 0x22) return undefined;
    if (c === 0x0a || c === 0x0d)
      return {
        offset: start,
        reason: 'this string is not closed before the end of the line (missing `"`)',
      };
    if (c < 0x20)
      return {
        offset: i,
        reason: `${describeChar(text, i)} inside a string (write it as an escape such as \\t)`,
      };
    if (c !== 0x5c) continue;
    const e = text[i + 1];
    if (e === 'u') {
      if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
        return { offset: i, reason: '`\\u` must be followed by four hex digits' };
      i += 5;
    } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
    else return { offset: i, reason: `invalid escape \`\\${e ?? ''}\` in a string` };
  }
}

/** The first thing wrong with the number literal that starts at `start`, if any. */
function numberProblem(text: string, start: number): Problem | undefined {
  const pattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  pattern.lastIndex = start;
  const m = pattern.exec(text);
  if (!m) return undefined;
  const end = start + m[0].length;
  const next = text[end];
  if (next !== undefined && /[0-9A-Za-z.+-]/.test(next))
    return { offset: end, reason: `invalid number (unexpected ${describeChar(text, end)})` };
  return undefined;
}

/** What the parser was waiting for when it met something else. */
type Expecting =
  | 'value'
  | 'first-key'
  | 'key'
  | 'colon'
  | 'first-element'
  | 'element'
  | 'after-member'
  | 'after-element'
  | 'end';

/** Words for a syntax error at `offset` while the parser was expecting `expecting`. */
function describeUnexpected(text: string, offset: number, expecting: Expecting): string {
  const found = describeChar(text, offset);
  const ch = text[offset];
  const valueWanted =
    expecting === 'value' || expecting === 'element' || expecting === 'first-element';
  if (valueWanted && ch === "'") return 'strings must use double quotes (`"`), not single quotes';
  switch (expecting) {
    case 'first-key':
      return `expected a property name in double quotes or \`}\` but found ${found}`;
    case 'key':
      if (ch === '}') return 'trailing comma before `}` (JSON does not allow it)';
      return `expected a property name in double quotes but found ${found}`;
    case 'colon':
      return `expected \`:\` after the property name but found ${found}`;
    case 'element':
      if (ch === ']') return 'trailing comma before `]` (JSON does not allow it)';
      return `expected a value but found ${found}`;
    case 'value':
    case 'first-element':
      return `expected a value but found ${found}`;
    case 'after-member':
      return `expected \`,\` or \`}\` but found ${found}`;
    case 'after-element':
      return `expected \`,\` or \`]\` but found ${found}`;
    case 'end':
      return `unexpected ${found} after the end of the JSON value`;
  }
}

/** jsonc-parser's scanner errors inside a string literal (by name: its codes are a const enum). */
const STRING_ERRORS: ReadonlySet<string> = new Set([
  'UnexpectedEndOfString',
  'InvalidCharacter',
  'InvalidEscapeCharacter',
  'InvalidUnicode',
]);

/** Nesting deeper than MAX_DEPTH: the offset just after the first bracket too deep, or -1. */
function tooDeepAt(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"' || c === '\n' || c === '\r') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > MAX_DEPTH) return i + 1;
    } else if (c === '}' || c === ']') depth--;
  }
  return -1;
}

class StopScan extends Error {
  constructor(readonly problem: Problem) {
    super(problem.reason);
  }
}

/** Scans `text` (without a BOM) and returns a locator, or the first syntax error. */
export function scanJson(text: string): JsonScanResult {
  const toPosition = makePositionMapper(text);
  const failed = (p: Problem): JsonScanResult => ({
    ok: false,
    error: { ...toPosition(p.offset), reason: p.reason },
  });
  if (/^[ \t\n\r]*$/.test(text))
    return failed({ offset: text.length, reason: 'the file is empty (expected a JSON object)' });

  // jsonc-parser recurses per nesting level; stop before a hostile file can exhaust the stack,
  // unless a real syntax error comes first (which the truncated text still shows).
  const deepAt = tooDeepAt(text);
  const parsed = deepAt < 0 ? text : text.slice(0, deepAt);

  const nodes = new Map<string, { value: number; key?: number }>();
  const duplicates: JsonDuplicateKey[] = [];
  /** One entry per open container: the keys seen so far (objects) or null (arrays). */
  const containers: (Set<string> | null)[] = [];
  let expecting: Expecting = 'value';
  let pendingKey: number | undefined;
  let lastNumberEnd = -1;

  const afterValue = () => {
    const top = containers[containers.length - 1];
    expecting = top === undefined ? 'end' : top === null ? 'after-element' : 'after-member';
  };
  const valueAt = (offset: number, path: JsonPath) => {
    const entry: { value: number; key?: number } = { value: offset };
    if (pendingKey !== undefined) entry.key = pendingKey;
    pendingKey = undefined;
    nodes.set(pathKey(path), entry);
  };
  const closeAt = (offset: number, ch: string) => {
    // jsonc-parser also reports the end of a container that runs into the end of the file.
    if (text[offset] !== ch) return;
    containers.pop();
    afterValue();
  };

  const problemAt = (code: ParseErrorCode, offset: number): Problem => {
    // `01`, `1x`: jsonc-parser ends the number early and complains about what follows.
    if (offset === lastNumberEnd && /[0-9A-Za-z.+-]/.test(text[offset] ?? ''))
      return { offset, reason: `invalid number (unexpected ${describeChar(text, offset)})` };
    const valueWanted =
      expecting === 'value' || expecting === 'element' || expecting === 'first-element';
    const keyWanted = expecting === 'key' || expecting === 'first-key';
    if (STRING_ERRORS.has(printParseErrorCode(code)) && (valueWanted || keyWanted)) {
      const p = stringProblem(text, offset);
      if (p) return p;
    }
    if (!valueWanted) return { offset, reason: describeUnexpected(text, offset, expecting) };
    const ch = text[offset];
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) {
      const p = numberProblem(text, offset);
      if (p) return p;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (!text.startsWith(literal, offset)) continue;
      const after = offset + literal.length;
      const next = text[after];
      if (next !== undefined && /[0-9A-Za-z_]/.test(next))
        return {
          offset: after,
          reason: `unexpected ${describeChar(text, after)} after \`${literal}\``,
        };
      afterValue();
      return { offset: after, reason: describeUnexpected(text, after, expecting) };
    }
    return { offset, reason: describeUnexpected(text, offset, expecting) };
  };

  try {
    visit(
      parsed,
      {
        onObjectBegin: (offset, _length, _line, _column, path) => {
          valueAt(offset, path());
          containers.push(new Set());
          expecting = 'first-key';
        },
        onObjectProperty: (key, offset, _length, _line, _column, path) => {
          const seen = containers[containers.length - 1];
          if (seen?.has(key)) duplicates.push({ ...toPosition(offset), path: [...path(), key] });
          seen?.add(key);
          pendingKey = offset;
          expecting = 'colon';
        },
        onObjectEnd: (offset) => closeAt(offset, '}'),
        onArrayBegin: (offset, _length, _line, _column, path) => {
          valueAt(offset, path());
          containers.push(null);
          expecting = 'first-element';
        },
        onArrayEnd: (offset) => closeAt(offset, ']'),
        onLiteralValue: (_value, offset, length, _line, _column, path) => {
          valueAt(offset, path());
          lastNumberEnd = typeof _value === 'number' ? offset + length : -1;
          afterValue();
        },
        onSeparator: (separator) => {
          if (separator === ':') expecting = 'value';
          else expecting = containers[containers.length - 1] === null ? 'element' : 'key';
        },
        onError: (code, offset) => {
          if (deepAt >= 0 && offset >= deepAt)
            throw new StopScan({
              offset: deepAt,
              reason: `nesting deeper than ${MAX_DEPTH} levels`,
            });
          throw new StopScan(problemAt(code, offset));
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  } catch (err) {
    if (err instanceof StopScan) return failed(err.problem);
    throw err;
  }
  if (deepAt >= 0)
    return failed({ offset: deepAt, reason: `nesting deeper than ${MAX_DEPTH} levels` });

  const locate = (path: JsonPath): JsonLocateResult => {
    for (let n = path.length; n >= 0; n--) {
      const prefix = path.slice(0, n);
      const hit = nodes.get(pathKey(prefix));
      if (hit) {
        const location: JsonNodeLocation = { value: toPosition(hit.value) };
        if (hit.key !== undefined) location.key = toPosition(hit.key);
        return { found: prefix, location, exact: n === path.length };
      }
    }
    return { found: [], location: { value: { line: 1, column: 1 } }, exact: path.length === 0 };
  };
  return { ok: true, duplicates, locate };
}
