/** The workflow validation `npm test` runs: the repository's workflows pass; broken ones fail, loudly. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, lintWorkflowDir, lintWorkflowText } from './lint-workflows';

const workflows = fileURLToPath(new URL('../../.github/workflows', import.meta.url));
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nut-workflows-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('lint:workflows', () => {
  it('the repository’s workflows (ci.yml and any other) have no problems', async () => {
    const { files, problems } = await lintWorkflowDir(workflows);
    expect(files.map((f) => path.basename(f))).toContain('ci.yml');
    expect(problems.map(formatProblem)).toEqual([]);
  });

  it('a deliberately broken copy of ci.yml fails: a job needing a missing job, an unknown input, a bad expression, an unknown runner', async () => {
    const { readFile } = await import('node:fs/promises');
    const original = await readFile(path.join(workflows, 'ci.yml'), 'utf8');
    const broken = original
      .replace('runs-on: ${{ matrix.os }}', 'runs-on: ${{ matrix.os }}\n    needs: [packaging]')
      .replace(
        'node-version: 22\n          cache: npm',
        'node-version: 22\n          cache: npm\n          node-versoin: 22',
      )
      .replace(
        'name: ${{ matrix.os }}-e2e-results',
        'name: ${{ matrix.operating_system }}-e2e-results',
      )
      .replace('runs-on: ubuntu-24.04', 'runs-on: ubuntu-1804-lts');
    expect(broken).not.toBe(original);
    const problems = await lintWorkflowText(broken, 'ci.yml');
    const kinds = problems.map((p) => p.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['job-needs', 'action', 'expression', 'runner-label']),
    );
    expect(problems.find((p) => p.kind === 'job-needs')?.message).toMatch(/packaging/);
  });

  it('invalid YAML and an empty folder are problems too (nothing checked is not a pass)', async () => {
    expect((await lintWorkflowText('on: [push\njobs: {', 'bad.yml')).length).toBeGreaterThan(0);
    await expect(lintWorkflowDir(tmp)).rejects.toThrow(/No workflow files/);
    await writeFile(
      path.join(tmp, 'x.yml'),
      'name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ secrets }}\n',
    );
    const { problems } = await lintWorkflowDir(tmp);
    expect(problems.length).toBeGreaterThan(0);
  });
});
