/**
 * Files other users can change are refused: the config (it holds commands this agent runs, often
 * as root) and password files. A second local uid (nobody, via setpriv) does the writing.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePassword } from '../platform/passwords';
import { ConfigError, loadConfig } from './config-file';

const run = promisify(execFile);
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** Runs node as uid/gid 65534 with a script (no shell). */
async function asNobody(script: string, ...args: string[]): Promise<void> {
  await run('/usr/bin/setpriv', [...NOBODY, '--', process.execPath, '-e', script, ...args], {
    timeout: 10_000,
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'file-perms-'));
  await chmod(dir, 0o755);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = JSON.stringify({ masters: [], shutdown: { dryRun: true } });
const evil =
  "const fs = require('node:fs'); fs.writeFileSync(process.argv[1], JSON.stringify({ shutdown: { command: { file: '/tmp/evil' } } }));";

describe('config file permissions', () => {
  it('refuses a config another user can write (and did): world- or group-writable', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, config);
    await chmod(file, 0o666);
    await asNobody(evil, file);
    const refused = loadConfig(file);
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toMatchObject({ kind: 'unsafe' });
    await expect(refused).rejects.toThrow(/writable by every user \(mode 666\)\. Fix: chmod go-w/);

    await chmod(file, 0o620);
    await expect(loadConfig(file)).rejects.toThrow(/writable by its group \(mode 620\)/);
  });

  it('refuses a config in a folder others can write without the sticky bit (they could replace it)', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, config, { mode: 0o644 });
    await chmod(dir, 0o777);
    await asNobody(
      "require('node:fs').writeFileSync(require('node:path').join(process.argv[1], 'planted'), 'x')",
      dir,
    );
    await expect(loadConfig(file)).rejects.toThrow(
      /its folder .* is writable by others \(mode 777\)/,
    );
    // Sticky (like /tmp): others cannot replace a file they do not own.
    await chmod(dir, 0o1777);
    await expect(loadConfig(file)).resolves.toMatchObject({ source: 'file' });
  });

  it('loads a config only its owner can write', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, config, { mode: 0o644 });
    await chmod(file, 0o644);
    await expect(loadConfig(file)).resolves.toMatchObject({ source: 'file' });
  });
});

describe('password file ownership and mode', () => {
  const master = { id: 'nas' };
  const ups = (file: string) => ({
    name: 'ups',
    password: { source: 'file' as const, path: file },
  });

  it('refuses a password file another user owns, even 0600, and one others can read', async () => {
    await chmod(dir, 0o1777);
    const theirs = path.join(dir, 'theirs');
    await asNobody(
      "require('node:fs').writeFileSync(process.argv[1], 'their-password\\n', { mode: 0o600 })",
      theirs,
    );
    await expect(resolvePassword(master, ups(theirs), null)).rejects.toThrow(
      /belongs to uid 65534, not to the user this program runs as/,
    );

    const readable = path.join(dir, 'readable');
    await writeFile(readable, 'pw\n');
    await chmod(readable, 0o640);
    await expect(resolvePassword(master, ups(readable), null)).rejects.toThrow(
      /can be read by other users \(mode 640\)/,
    );

    const mine = path.join(dir, 'mine');
    await writeFile(mine, 'pw\n', { mode: 0o600 });
    await expect(resolvePassword(master, ups(mine), null)).resolves.toBe('pw');
  });
});
