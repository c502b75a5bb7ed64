/**
 * Whether the programs an import would run exist and are executable on this machine, checked
 * before the import is applied (import-plan.ts flags them). A bare name is looked up on PATH, as
 * execFile does; a relative path is refused, since hooks run from an unknown working directory.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/** Why `file` cannot be run here, or null when it can. */
export async function programProblem(
  file: string,
  searchPath: string = process.env.PATH ?? '',
): Promise<string | null> {
  if (!file.includes('/') && !file.includes('\\')) {
    for (const dir of searchPath.split(path.delimiter).filter((d) => path.isAbsolute(d))) {
      if ((await executableProblem(path.join(dir, file))) === null) return null;
    }
    return `is not found on PATH (${searchPath || 'empty'})`;
  }
  if (!path.isAbsolute(file)) return 'is a relative path; hooks need an absolute one';
  return executableProblem(file);
}

async function executableProblem(file: string): Promise<string | null> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? 'does not exist on this machine'
      : `cannot be read (${code ?? String(error)})`;
  }
  if (!info.isFile()) return 'is not a file';
  if (process.platform === 'win32') return null;
  try {
    await access(file, fsConstants.X_OK);
  } catch {
    return `is not executable (mode ${(info.mode & 0o777).toString(8).padStart(3, '0')})`;
  }
  // root may run anything with one x bit; a file with none is not meant to run.
  if ((info.mode & 0o111) === 0)
    return `is not executable (mode ${(info.mode & 0o777).toString(8).padStart(3, '0')})`;
  return null;
}

/** The problems of several programs, by path (only the ones that have one). */
export async function programProblems(
  files: readonly string[],
  searchPath?: string,
): Promise<Map<string, string>> {
  const problems = new Map<string, string>();
  for (const file of new Set(files)) {
    const problem = await programProblem(file, searchPath);
    if (problem) problems.set(file, problem);
  }
  return problems;
}
