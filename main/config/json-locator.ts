/**
 * A small strict JSON scanner (RFC 8259) that does not build values but remembers where every
 * value and every object key starts, so validation problems can be reported as `file:line:column`.
 * It also reports syntax errors with their position (JSON.parse's messages differ between Node
 * versions and give only an offset) and duplicate keys (JSON.parse silently keeps the last one).
 */

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

class ScanError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
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

/** Scans `text` (without a BOM) and returns a locator, or the first syntax error. */
export function scanJson(text: string): JsonScanResult {
  const toPosition = makePositionMapper(text);
  const nodes = new Map<string, { value: number; key?: number }>();
  const duplicates: JsonDuplicateKey[] = [];
  let i = 0;

  const skipWs = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };

  const fail = (reason: string, at = i): never => {
    throw new ScanError(at, reason);
  };

  const expected = (what: string): never =>
    fail(`expected ${what} but found ${describeChar(text, i)}`);

  const scanString = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('this string is not closed (missing `"`)', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c === 0x0a || c === 0x0d)
        fail('this string is not closed before the end of the line (missing `"`)', start);
      if (c < 0x20)
        fail(`${describeChar(text, i)} inside a string (write it as an escape such as \\t)`);
      if (c === 0x5c) {
        const e = text[i + 1];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            i += 2;
            break;
          case 'b':
            out += '\b';
            i += 2;
            break;
          case 'f':
            out += '\f';
            i += 2;
            break;
          case 'n':
            out += '\n';
            i += 2;
            break;
          case 'r':
            out += '\r';
            i += 2;
            break;
          case 't':
            out += '\t';
            i += 2;
            break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('`\\u` must be followed by four hex digits');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 6;
            break;
          }
          default:
            fail(`invalid escape \`\\${e ?? ''}\` in a string`);
        }
        continue;
      }
      out += text[i];
      i++;
    }
  };

  const numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const scanNumber = () => {
    numberPattern.lastIndex = i;
    const m = numberPattern.exec(text);
    if (!m) return expected('a value');
    const end = i + m[0].length;
    const next = text[end];
    if (next !== undefined && /[0-9A-Za-z.+-]/.test(next))
      fail(`invalid number (unexpected ${describeChar(text, end)})`, end);
    i = end;
  };

  const scanValue = (
    path: (string | number)[],
    keyOffset: number | undefined,
    depth: number,
  ): void => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skipWs();
    const entry: { value: number; key?: number } = { value: i };
    if (keyOffset !== undefined) entry.key = keyOffset;
    nodes.set(pathKey(path), entry);
    const c = text[i];
    if (c === '{') {
      i++;
      skipWs();
      if (text[i] === '}') {
        i++;
        return;
      }
      const seen = new Set<string>();
      for (;;) {
        skipWs();
        if (text[i] !== '"')
          expected(
            seen.size === 0
              ? 'a property name in double quotes or `}`'
              : 'a property name in double quotes',
          );
        const keyAt = i;
        const key = scanString();
        if (seen.has(key)) duplicates.push({ ...toPosition(keyAt), path: [...path, key] });
        seen.add(key);
        skipWs();
        if (text[i] !== ':') expected('`:` after the property name');
        i++;
        scanValue([...path, key], keyAt, depth + 1);
        skipWs();
        if (text[i] === ',') {
          i++;
          skipWs();
          if (text[i] === '}') fail('trailing comma before `}` (JSON does not allow it)');
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        expected('`,` or `}`');
      }
    }
    if (c === '[') {
      i++;
      skipWs();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        scanValue([...path, index], undefined, depth + 1);
        skipWs();
        if (text[i] === ',') {
          i++;
          skipWs();
          if (text[i] === ']') fail('trailing comma before `]` (JSON does not allow it)');
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        expected('`,` or `]`');
      }
    }
    if (c === '"') {
      scanString();
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        const next = text[i];
        if (next !== undefined && /[0-9A-Za-z_]/.test(next))
          fail(`unexpected ${describeChar(text, i)} after \`${literal}\``);
        return;
      }
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      scanNumber();
      return;
    }
    if (c === "'") fail('strings must use double quotes (`"`), not single quotes');
    expected('a value');
  };

  try {
    skipWs();
    if (i >= text.length) fail('the file is empty (expected a JSON object)');
    scanValue([], undefined, 0);
    skipWs();
    if (i < text.length)
      fail(`unexpected ${describeChar(text, i)} after the end of the JSON value`);
  } catch (err) {
    if (err instanceof ScanError)
      return { ok: false, error: { ...toPosition(err.offset), reason: err.reason } };
    throw err;
  }

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
