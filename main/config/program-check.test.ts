import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programProblem, programProblems } from './program-check';

describe('programProblem (real files and modes)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-program-check-'));
    await writeFile(path.join(dir, 'runs'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    await writeFile(path.join(dir, 'plain'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    await chmod(path.join(dir, 'plain'), 0o644);
    await mkdir(path.join(dir, 'folder'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('accepts an executable file and a name found on PATH', async () => {
    expect(await programProblem(path.join(dir, 'runs'))).toBeNull();
    expect(await programProblem('runs', `/nonexistent:${dir}`)).toBeNull();
    expect(await programProblem('/bin/sh')).toBeNull();
  });

  it('finds a bare name as NAME.exe on Windows, as CreateProcess does', async () => {
    await writeFile(path.join(dir, 'tool.exe'), 'MZ', { mode: 0o644 });
    expect(await programProblem('tool', dir, 'win32')).toBeNull();
    expect(await programProblem('tool.exe', dir, 'win32')).toBeNull();
    expect(await programProblem('tool', dir, 'linux')).toBe(`is not found on PATH (${dir})`);
  });

  it('says why a program cannot run', async () => {
    expect(await programProblem(path.join(dir, 'missing'))).toBe('does not exist on this machine');
    expect(await programProblem(path.join(dir, 'plain'))).toBe('is not executable (mode 644)');
    expect(await programProblem(path.join(dir, 'folder'))).toBe('is not a file');
    expect(await programProblem('bin/upssched-cmd')).toBe(
      'is a relative path; hooks need an absolute one',
    );
    expect(await programProblem('plain', dir)).toBe(`is not found on PATH (${dir})`);
  });

  it('collects the problems by path', async () => {
    const problems = await programProblems([
      path.join(dir, 'runs'),
      path.join(dir, 'missing'),
      path.join(dir, 'missing'),
    ]);
    expect([...problems]).toEqual([[path.join(dir, 'missing'), 'does not exist on this machine']]);
  });
});
