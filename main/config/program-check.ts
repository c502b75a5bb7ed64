/**
 * Whether the programs a config runs exist and are executable on this machine: checked before an
 * import is applied (import-plan.ts flags them), by check-config, and by the core whenever it
 * adopts a config (logged, and shown by the app). A bare name is looked up on PATH, as execFile
 * does; a relative path is refused, since hooks run from an unknown working directory.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../shared/config';

/** Why `file` cannot be run here, or null when it can. */
export async function programProblem(
  file: string,
  searchPath: string = process.env.PATH ?? '',
  platform: NodeJS.Platform = process.platform,
): Promise<string | null> {
  if (!file.includes('/') && !file.includes('\\')) {
    // Windows finds `shutdown` as shutdown.exe (libuv tries .com and .exe, as CreateProcess does).
    const names =
      platform === 'win32' && path.extname(file) === ''
        ? [file, `${file}.com`, `${file}.exe`]
        : [file];
    for (const dir of searchPath.split(path.delimiter).filter((d) => path.isAbsolute(d))) {
      for (const name of names)
        if ((await executableProblem(path.join(dir, name), platform)) === null) return null;
    }
    return `is not found on PATH (${searchPath || 'empty'})`;
  }
  if (isRelativePath(file)) return 'is a relative path; hooks need an absolute one';
  return executableProblem(file, platform);
}

/** A path with a folder in it that is not absolute ("scripts/low.sh"); a bare name is looked up on PATH. */
function isRelativePath(file: string): boolean {
  return (file.includes('/') || file.includes('\\')) && !path.isAbsolute(file);
}

async function executableProblem(file: string, platform: NodeJS.Platform): Promise<string | null> {
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
  if (platform === 'win32') return null;
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

export interface ConfigProgramProblem {
  /** Where in the config, e.g. ['shutdown', 'command', 'file']. */
  jsonPath: (string | number)[];
  message: string;
  /**
   * error: the shutdown command (this machine would not shut down), unless it is a dry run, or a
   * relative path (never works); warning: a hook, which loses only itself.
   */
  severity: 'error' | 'warning';
}

/** Every program of `config` that cannot run here, with why. */
export async function configProgramProblems(
  config: Config,
  searchPath: string = process.env.PATH ?? '',
): Promise<ConfigProgramProblem[]> {
  const programs: { jsonPath: (string | number)[]; file: string; critical: boolean }[] = [];
  if (config.shutdown.command)
    programs.push({
      jsonPath: ['shutdown', 'command', 'file'],
      file: config.shutdown.command.file,
      critical: !config.shutdown.dryRun,
    });
  if (config.hooks.notifyCommand)
    programs.push({
      jsonPath: ['hooks', 'notifyCommand', 'file'],
      file: config.hooks.notifyCommand.file,
      critical: false,
    });
  for (const [h, hook] of config.hooks.eventHooks.entries())
    programs.push({
      jsonPath: ['hooks', 'eventHooks', h, 'command', 'file'],
      file: hook.command.file,
      critical: false,
    });
  if (config.hooks.upssched)
    programs.push({
      jsonPath: ['hooks', 'upssched', 'cmdScript', 'file'],
      file: config.hooks.upssched.cmdScript.file,
      critical: false,
    });
  const problems: ConfigProgramProblem[] = [];
  for (const { jsonPath, file, critical } of programs) {
    const problem = await programProblem(file, searchPath);
    if (problem === null) continue;
    const relative = isRelativePath(file);
    problems.push({
      jsonPath,
      severity: critical || relative ? 'error' : 'warning',
      message: relative
        ? `${file} is a relative path; give the program's absolute path (NUT Sentinel runs it from an unknown working directory)`
        : `${file} ${problem}${critical ? ': this machine would not shut down' : ''}`,
    });
  }
  return problems;
}
