import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJsonPath, scanJson } from './json-locator';

function located(text: string, path: (string | number)[]) {
  const scan = scanJson(text);
  if (!scan.ok) throw new Error(`unexpected syntax error: ${scan.error.reason}`);
  return scan.locate(path);
}

describe('scanJson', () => {
  const text = [
    '{',
    '  "a": 1,',
    '  "list": [',
    '    {"x": true},',
    '    "two"',
    '  ],',
    '  "nested": {"deep": {"k": null}}',
    '}',
  ].join('\n');

  it('locates values and keys by path', () => {
    expect(located(text, ['a'])).toEqual({
      found: ['a'],
      exact: true,
      location: { key: { line: 2, column: 3 }, value: { line: 2, column: 8 } },
    });
    expect(located(text, ['list', 0, 'x']).location).toEqual({
      key: { line: 4, column: 6 },
      value: { line: 4, column: 11 },
    });
    expect(located(text, ['list', 1]).location.value).toEqual({ line: 5, column: 5 });
    expect(located(text, ['nested', 'deep', 'k']).location.value).toEqual({ line: 7, column: 28 });
    expect(located(text, []).location.value).toEqual({ line: 1, column: 1 });
  });

  it('falls back to the deepest existing parent for a missing member', () => {
    const hit = located(text, ['list', 0, 'missing']);
    expect(hit.exact).toBe(false);
    expect(hit.found).toEqual(['list', 0]);
    expect(hit.location.value).toEqual({ line: 4, column: 5 });
  });

  it('reports duplicate keys with their position', () => {
    const scan = scanJson('{"a": 1,\n "b": {"c": 1, "c": 2},\n "a": 3}');
    expect(scan.ok && scan.duplicates).toEqual([
      { path: ['b', 'c'], line: 2, column: 16 },
      { path: ['a'], line: 3, column: 2 },
    ]);
  });

  it.each([
    ['{"a": 1,}', 1, 9, 'trailing comma'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, 'expected `,` or `}`'],
    ['{"a": "unterminated}\n', 1, 7, 'not closed'],
    ['{"a": tru}', 1, 7, 'expected a value'],
    ['{"a": 01}', 1, 8, 'invalid number'],
    ["{'a': 1}", 1, 2, 'property name in double quotes'],
    ['{"a": \'x\'}', 1, 7, 'double quotes'],
    ['', 1, 1, 'empty'],
    ['  \n ', 2, 2, 'empty'],
    ['{"a": 1} x', 1, 10, 'after the end'],
    ['{"a": "tab\there"}', 1, 11, 'control character'],
    ['{"a": "\\x"}', 1, 8, 'invalid escape'],
    ['[1, 2', 1, 6, 'expected `,` or `]`'],
  ])('syntax error in %j at %i:%i', (input, line, column, reason) => {
    const scan = scanJson(input);
    expect(scan.ok).toBe(false);
    if (scan.ok) return;
    expect({ line: scan.error.line, column: scan.error.column }).toEqual({ line, column });
    expect(scan.error.reason).toContain(reason);
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    const scan = scanJson('['.repeat(100_000));
    expect(scan.ok).toBe(false);
    if (!scan.ok) expect(scan.error.reason).toContain('nesting deeper');
  });

  it('accepts exactly what JSON.parse accepts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(scanJson(text).ok).toBe(parses);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatJsonPath', () => {
  it('writes paths the way people read them', () => {
    expect(formatJsonPath(['masters', 0, 'ups', 1, 'name'])).toBe('masters[0].ups[1].name');
    expect(formatJsonPath(['hooks', 'events', 'ONBATT'])).toBe('hooks.events.ONBATT');
    expect(formatJsonPath(['odd key'])).toBe('["odd key"]');
    expect(formatJsonPath([])).toBe('(top level)');
  });
});
