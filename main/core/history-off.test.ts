/**
 * `history.enabled: false`: the core runs without a history file and never loads SQLite's
 * WebAssembly (what saves memory on small machines, `npm run bench -- agent`), while the event log
 * still answers from memory. Checked in a child process, whose module cache shows exactly what
 * the core loaded; the same child with history on is the control that shows the check can fail.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./testing/history-off-child.ts', import.meta.url));
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function runCore(history: Record<string, unknown>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nut-sentinel-history-off-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ version: 1, history }));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, dir], {
    timeout: 60_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    sqliteModules: string[];
    events: string[];
    configProblem: string | null;
  };
  return { ...result, files: fs.readdirSync(dir).sort() };
}

describe('history.enabled: false', () => {
  it('writes no history file, never loads node-sqlite3-wasm, and keeps the event log in memory', async () => {
    const off = await runCore({ enabled: false });
    expect(off.configProblem).toBeNull();
    expect(off.sqliteModules).toEqual([]);
    expect(off.files).toEqual(['config.json']);
    expect(off.events).toEqual(['APP_START']);
  }, 90_000);

  it('control: with history on, the same child loads SQLite and writes the file', async () => {
    const on = await runCore({ enabled: true });
    expect(on.sqliteModules.length).toBeGreaterThan(0);
    expect(on.files).toContain('history.sqlite3');
    expect(on.events).toEqual(['APP_START']);
  }, 90_000);
});
