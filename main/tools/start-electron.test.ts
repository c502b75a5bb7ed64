/**
 * `npm start` without an Electron binary explains what happened and what to do, with no stack
 * trace; with ELECTRON_OVERRIDE_DIST_PATH it runs that executable with the app folder.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectron } from './start-electron';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const launcher = path.join(root, 'main/tools/start-electron.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');

async function start(
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [launcher, '--some-flag'], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm start launcher', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nut-start-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('explains a missing binary and the three ways out, without a stack trace', async () => {
    const empty = path.join(dir, 'empty');
    const result = await start({ ELECTRON_OVERRIDE_DIST_PATH: empty });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `ELECTRON_OVERRIDE_DIST_PATH is ${empty}, but there is no Electron executable`,
    );
    expect(result.stderr).toContain('node node_modules/electron/install.js');
    expect(result.stderr).toMatch(
      /ELECTRON_OVERRIDE_DIST_PATH=\/path\/to\/unpacked\/electron npm start/,
    );
    expect(result.stderr).toContain('npm run web');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('reports the skipped download when there is no override', () => {
    const found = findElectron({}, 'linux');
    // This machine installs with ELECTRON_SKIP_BINARY_DOWNLOAD=1; where the binary exists, it is found.
    if (found.ok) expect(found.executable).toMatch(/electron$/);
    else expect(found.problem).toMatch(/ELECTRON_SKIP_BINARY_DOWNLOAD=1/);
  });

  it('runs the executable from ELECTRON_OVERRIDE_DIST_PATH with the app folder and the arguments', async () => {
    const dist = path.join(dir, 'dist');
    await import('node:fs/promises').then((fs) => fs.mkdir(dist, { recursive: true }));
    const record = path.join(dir, 'argv.txt');
    const fake = path.join(dist, 'electron');
    await writeFile(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\nexit 7\n`);
    await chmod(fake, 0o755);
    const result = await start({ ELECTRON_OVERRIDE_DIST_PATH: dist });
    expect(result.code).toBe(7);
    expect(await readFile(record, 'utf8')).toBe(`${root}\n--some-flag\n`);
  });

  it("README's Node requirement is package.json's engines and Electron's installer's", async () => {
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const electron = JSON.parse(
      await readFile(path.join(root, 'node_modules/electron/package.json'), 'utf8'),
    ) as { engines: { node: string } };
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain(`\`engines\` allows: \`${pkg.engines.node}\``);
    const electronMinimum = /(\d+\.\d+)\.\d+/.exec(electron.engines.node)![1]!;
    expect(readme).toContain(`Node.js ≥ ${electronMinimum}`);
    expect(pkg.engines.node).toContain(`>=${electronMinimum}`);
  });
});
