import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Argument, type Command } from 'commander';
import type { Config } from '../../../shared/config';
import type { CliContext } from '../context';
import { EXIT } from '../exit-codes';

interface Problem {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

function format(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return `${where}: ${p.severity}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

/**
 * Checks beyond the schema that the agent would otherwise only hit at run time: a password file
 * that is missing or readable by others (the agent refuses it), an environment variable not set
 * here, a shutdown command or hook program that cannot run here.
 */
async function runtimeProblems(
  config: Config,
  file: string,
  text: string,
  env: NodeJS.ProcessEnv,
): Promise<Problem[]> {
  const [{ scanJson, formatJsonPath }, { configProgramProblems }] = await Promise.all([
    import('../../config/json-locator'),
    import('../../config/program-check'),
  ]);
  const scan = scanJson(text);
  const problems: Problem[] = [];
  const at = (jsonPath: (string | number)[]) =>
    scan.ok ? scan.locate(jsonPath).location.value : { line: undefined, column: undefined };

  for (const problem of await configProgramProblems(config, env.PATH ?? ''))
    problems.push({
      file,
      ...at(problem.jsonPath),
      path: formatJsonPath(problem.jsonPath),
      severity: problem.severity,
      message: problem.message,
    });

  for (const [m, master] of config.masters.entries()) {
    for (const [u, ups] of master.ups.entries()) {
      const jsonPath = ['masters', m, 'ups', u, 'password'];
      const here = { file, ...at(jsonPath), path: formatJsonPath(jsonPath) };
      const source = ups.password;
      if (source.source === 'file') {
        const info = await stat(source.path).catch((error: NodeJS.ErrnoException) => error);
        if (info instanceof Error) {
          const reason =
            info.code === 'ENOENT'
              ? 'does not exist'
              : `cannot be checked (${info.code ?? info.message})`;
          problems.push({
            ...here,
            severity: info.code === 'ENOENT' ? 'error' : 'warning',
            message: `the password file ${source.path} ${reason}; create it with only the password in it, mode 0600`,
          });
        } else if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
          problems.push({
            ...here,
            severity: 'error',
            message: `the password file ${source.path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${source.path}`,
          });
        }
      } else if (source.source === 'env' && env[source.name] === undefined) {
        problems.push({
          ...here,
          severity: 'warning',
          message: `the environment variable ${source.name} is not set here; make sure the agent's environment has it`,
        });
      }
    }
  }
  return problems;
}

/** `check-config FILE`: validate a config file without running anything. */
export function registerCheckConfig(program: Command, cli: CliContext): void {
  program
    .command('check-config')
    .summary('validate a config file (file:line:column problems, exit 1)')
    .description(
      'Validate a config file as the agent would load it, and check that its password files exist with safe permissions and that its shutdown command and hook programs can run here. Prints FILE:LINE:COLUMN: problems; exit 1 if there is an error.',
    )
    .addArgument(new Argument('<file>', 'the config file (JSON)'))
    .option(
      '--json',
      'print {file, ok, problems: [{file, line, column, path, severity, message}]} as JSON',
    )
    .action(
      cli.action(async (fileArg: string, options: { json?: boolean }) => {
        const file = path.resolve(fileArg);
        const { ConfigError, decodeUtf8, parseConfigText } =
          await import('../../config/config-file');
        let problems: Problem[] = [];
        let bytes: Buffer | null = null;
        try {
          bytes = await readFile(file);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          problems.push({
            file,
            path: '',
            severity: 'error',
            message:
              code === 'ENOENT'
                ? 'no such file'
                : code === 'EISDIR'
                  ? `a folder, not a config file (give the file itself, e.g. ${path.join(file, 'config.json')})`
                  : code === 'EACCES'
                    ? 'this user may not read it (run as root, or check the file’s owner and mode)'
                    : `cannot read it (${code ?? String(error)})`,
          });
        }
        if (bytes) {
          try {
            const text = decodeUtf8(bytes, file);
            const config = parseConfigText(text, file);
            problems = await runtimeProblems(config, file, text.replace(/^\uFEFF/, ''), cli.io.env);
          } catch (error) {
            if (!(error instanceof ConfigError)) throw error;
            problems = error.problems.map((p) => ({ file, ...p, severity: 'error' as const }));
          }
        }
        const ok = !problems.some((p) => p.severity === 'error');
        if (options.json) {
          cli.printJson({ file, ok, problems });
        } else {
          for (const p of problems) cli.warn(format(p));
          if (ok)
            cli.print(
              `${file}: OK${problems.length > 0 ? ` (${problems.length} warning${problems.length === 1 ? '' : 's'})` : ''}`,
            );
        }
        return ok ? EXIT.ok : EXIT.failed;
      }),
    );
}
