/**
 * The repository stands on its own: no file points at background notes or setup guides outside
 * it (they are summarised in main/nut/README.md and main/monitor/README.md, and the snippets the
 * tests need are fixtures). Walks the tree instead of asking git, so it runs on any checkout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const SKIP = new Set([
  'node_modules',
  'out',
  'dist',
  'release',
  '.git',
  'test-results',
  'playwright-report',
]);
// Built from pieces so that neither this test nor a plain grep for those names matches this file.
const OUTSIDE = new RegExp(
  ['protocol', ['peers', 'and', 'user', 'pain'].join('-'), 'measuring']
    .map((name) => `\\b${name}\\.md\\b`)
    .join('|') + `|shared/(nut|seeds)\\b`,
);

function* files(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (
      /\.(ts|tsx|js|mjs|cjs|json|md|txt|yml|yaml|html|css|sh)$/.test(entry.name) ||
      path.basename(path.dirname(full)) === '.ci'
    )
      yield full;
  }
}

describe('the repository stands alone', () => {
  it('references no document outside the repository', () => {
    const hits: string[] = [];
    for (const file of files(root)) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, index) => {
        if (OUTSIDE.test(line))
          hits.push(`${path.relative(root, file)}:${index + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(hits).toEqual([]);
  });
});
