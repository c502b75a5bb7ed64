import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Argument, type Command, Option } from 'commander';
import { type Config, passwordKey } from '../../../shared/config';
import type { ImportPlan } from '../../../shared/ipc';
import type { ImportedSecret, ImportReportLine } from '../../config/import-report';
import { UsageError, type CliContext } from '../context';
import { EXIT } from '../exit-codes';

type PasswordSource = 'file' | 'env' | 'store' | 'none';

/** Reads a file to import, saying in words what is wrong with the path. */
async function readNutConf(file: string, kind: 'upsmon.conf' | 'upssched.conf'): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`No file at ${file} (give the path of ${kind}).`);
    if (code === 'EISDIR')
      throw new UsageError(`${file} is a folder: give the path of ${kind} in it.`);
    if (code === 'EACCES')
      throw new UsageError(
        `Cannot read ${file} (permission denied): NUT keeps ${kind} readable by root and the nut group only, so run the import with sudo.`,
      );
    throw error;
  }
  // A NUT Sentinel config given by mistake would otherwise be reported line by line as unknown directives.
  if (text.trimStart().startsWith('{'))
    throw new UsageError(
      `${file} is JSON (a NUT Sentinel config?), not ${kind}: check a config with \`nut-sentinel check-config ${file}\`.`,
    );
  return text;
}

interface ImportOptions {
  out?: string;
  passwordSource: PasswordSource;
  passwordDir?: string;
  envFile?: string;
  dataDir?: string;
  force?: boolean;
  merge?: boolean;
  keep: string[];
  json?: boolean;
}

/** Where one imported password went (never its value). */
interface StoredPassword {
  monitorId: string;
  source: PasswordSource;
  /** The password file, the env file + variable, or the store's folder. */
  where: string;
}

/** `NUT_SENTINEL_PASSWORD_<MASTER>_<UPS>`: a valid variable name for any master id and UPS name. */
export function passwordEnvName(masterId: string, upsName: string): string {
  return `NUT_SENTINEL_PASSWORD_${`${masterId}_${upsName}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

/** One `NAME=value` line of a systemd EnvironmentFile (also fine for `set -a; . file`), literal. */
function envLine(name: string, value: string): string {
  if (!value.includes("'")) return `${name}='${value}'`;
  return `${name}="${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

function reportText(lines: readonly ImportReportLine[]): string[] {
  const width = Math.max(...lines.map((l) => `${l.file}:${l.line}`.length));
  return lines.map((l) => {
    const where = l.line > 0 ? `${l.file}:${l.line}` : l.file;
    const head = `${where.padEnd(width)}  ${l.status.padEnd(11)}`;
    return [
      l.text ? `${head} ${l.text}` : head,
      // As the Settings page shows it: a mapped line's note carries its own arrow ("→ x = y").
      ...(l.note ? [`${' '.repeat(width + 14)}${l.note}`] : []),
    ].join('\n');
  });
}

/** The plan as the preview shows it: one line per change, then the problems to look at. */
function planText(plan: ImportPlan): string[] {
  const lines = [`Plan: ${plan.summary}.`];
  for (const item of plan.items) {
    const action = item.action === 'unchanged' ? 'keep' : item.action;
    lines.push(`  ${action.padEnd(8)} ${item.summary}`);
    if (item.choice)
      lines.push(
        `  ${' '.repeat(8)} → ${item.choice === 'keep' ? 'kept (--keep)' : 'replaced'}; choose with --keep '${item.id}'`,
      );
  }
  for (const problem of plan.problems)
    lines.push(`${problem.severity}: ${problem.message} ${problem.fix}`);
  return lines;
}

async function writePrivate(file: string, text: string, overwrite: boolean): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, text, { mode: 0o600, flag: overwrite ? 'w' : 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST')
        throw new UsageError(
          `${file} already exists; pass --force to replace it (or --password-dir/--env-file for another place).`,
        );
      throw error;
    },
  );
  await chmod(file, 0o600);
}

/** Puts the imported passwords where `source` says and points the config's UPS entries at them. */
async function storePasswords(
  config: Config,
  secrets: readonly ImportedSecret[],
  source: PasswordSource,
  places: { passwordDir: string; envFile: string; dataDir: string },
  overwrite: boolean,
): Promise<StoredPassword[]> {
  const stored: StoredPassword[] = [];
  const envLines: string[] = [];
  for (const secret of secrets) {
    const ups = config.masters
      .find((m) => m.id === secret.masterId)
      ?.ups.find((u) => u.name === secret.upsName);
    if (!ups) continue;
    const monitorId = `${secret.masterId}/${secret.upsName}`;
    switch (source) {
      case 'file': {
        const file = path.join(places.passwordDir, `${secret.masterId}-${secret.upsName}.password`);
        await writePrivate(file, `${secret.value}\n`, overwrite);
        ups.password = { source: 'file', path: file };
        stored.push({ monitorId, source, where: file });
        break;
      }
      case 'env': {
        const name = passwordEnvName(secret.masterId, secret.upsName);
        envLines.push(envLine(name, secret.value));
        ups.password = { source: 'env', name };
        stored.push({ monitorId, source, where: `${name} in ${places.envFile}` });
        break;
      }
      case 'store': {
        const { FileSecretStore } = await import('../../platform/file-secret-store');
        await new FileSecretStore(places.dataDir).set(
          passwordKey(secret.masterId, secret.upsName),
          secret.value,
        );
        ups.password = { source: 'store' };
        stored.push({ monitorId, source, where: `the encrypted store in ${places.dataDir}` });
        break;
      }
      case 'none':
        ups.password = { source: 'none' };
        stored.push({
          monitorId,
          source,
          where: 'dropped (--password-source none): set one before running the agent',
        });
        break;
    }
  }
  if (envLines.length > 0)
    await writePrivate(
      places.envFile,
      `# NUT Sentinel agent: UPS passwords (imported from upsmon.conf)\n${envLines.join('\n')}\n`,
      overwrite,
    );
  return stored;
}

/** `import upsmon.conf [upssched.conf]`: migrate an upsmon setup to a config file. */
export function registerImport(program: Command, cli: CliContext): void {
  program
    .command('import')
    .summary('turn upsmon.conf (and upssched.conf) into a config file')
    .description(
      'Migrate from upsmon: read upsmon.conf (and upssched.conf when NOTIFYCMD is upssched), write a NUT Sentinel config and put the MONITOR passwords ' +
        'where --password-source says (never into the config). Prints a report for every line: mapped, ignored, unsupported or error. Exit 1 if nothing usable was found.',
    )
    .addArgument(new Argument('<upsmon.conf>', 'upsmon.conf to import (e.g. /etc/nut/upsmon.conf)'))
    .addArgument(
      new Argument(
        '[upssched.conf]',
        'upssched.conf with the timers (default: the one next to upsmon.conf, if NOTIFYCMD is upssched)',
      ),
    )
    .option('--out <file>', "the config file to write (default: the agent's default config)")
    .addOption(
      new Option(
        '--password-source <source>',
        "file: one 0600 file per UPS; env: an EnvironmentFile with one variable per UPS; store: the agent's encrypted store; none: drop them",
      )
        .choices(['file', 'env', 'store', 'none'])
        .default('file'),
    )
    .option(
      '--password-dir <dir>',
      'file: where the password files go (default: passwords/ next to the config)',
    )
    .option(
      '--env-file <file>',
      'env: the file with the variables (default: agent.env next to the config)',
    )
    .option(
      '--data-dir <dir>',
      "store: the agent's data folder (default: the config file's folder)",
    )
    .option('--force', 'replace an existing config (kept as .bak) and password files')
    .option(
      '--merge',
      'add to an existing config instead: existing masters and UPS entries are kept as they are',
    )
    .option(
      '--keep <item>',
      'with --merge: keep the current setting of a plan item that offers keep/replace (its id, as the plan prints it); repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--json', 'print {summary, out, report, plan, passwords, notes} as JSON')
    .action(
      cli.action(
        async (upsmonPath: string, upsschedArg: string | undefined, options: ImportOptions) => {
          if (options.force && options.merge)
            throw new UsageError(
              '--force and --merge exclude each other: replace the config, or add to it.',
            );
          if (options.keep.length > 0 && !options.merge)
            throw new UsageError(
              '--keep chooses what stays of an existing config: use it with --merge.',
            );
          const [
            { importUpsmonConf },
            { importedPrograms, planImport },
            { programProblems },
            { defaultConfig },
            { defaultConfigPath, loadConfig, saveConfig },
          ] = await Promise.all([
            import('../../config/upsmon-import'),
            import('../../config/import-plan'),
            import('../../config/program-check'),
            import('../../../shared/config'),
            import('../../config/config-file'),
          ]);
          const out = path.resolve(options.out ?? defaultConfigPath());
          const outDir = path.dirname(out);
          const upsmonConf = await readNutConf(upsmonPath, 'upsmon.conf');
          let upsschedPath = upsschedArg;
          const notes: string[] = [];
          const sibling = path.join(path.dirname(upsmonPath), 'upssched.conf');
          if (
            upsschedPath === undefined &&
            /^\s*NOTIFYCMD\s+\S*upssched\b/m.test(upsmonConf) &&
            existsSync(sibling)
          ) {
            upsschedPath = sibling;
            notes.push(
              `NOTIFYCMD is upssched: also imported ${sibling} (name another upssched.conf as the second argument)`,
            );
          }
          const result = importUpsmonConf({
            upsmonConf,
            upsmonFileName: path.basename(upsmonPath),
            ...(upsschedPath !== undefined
              ? {
                  upsschedConf: await readNutConf(upsschedPath, 'upssched.conf'),
                  upsschedFileName: path.basename(upsschedPath),
                }
              : {}),
          });
          const report = reportText(result.report);
          if (!result.ok) {
            if (options.json)
              cli.printJson({
                summary: result.summary,
                out: null,
                report: result.report,
                plan: null,
                passwords: [],
                notes,
              });
            else for (const line of report) cli.print(line);
            cli.warn(`${result.summary}. Nothing was written.`);
            return EXIT.failed;
          }

          const merging = existsSync(out) && !options.force;
          if (merging && !options.merge)
            throw new UsageError(
              `${out} already exists: pass --merge to add the imported UPSes to it, --force to replace it, or --out for another file.`,
            );
          // The same plan as the app's preview: against the existing config, or the defaults.
          const planned = planImport({
            current: merging ? (await loadConfig(out)).config : defaultConfig(),
            imported: result,
            choices: Object.fromEntries(options.keep.map((id) => [id, 'keep' as const])),
            programProblems: await programProblems(
              importedPrograms(result.settings).map((p) => p.file),
            ),
          });
          const choosable = new Set(planned.plan.items.filter((i) => i.choice).map((i) => i.id));
          const unknown = options.keep.filter((id) => !choosable.has(id));
          if (unknown.length > 0)
            throw new UsageError(
              `--keep ${unknown.map((id) => `'${id}'`).join(', ')}: no such plan item with a keep/replace choice` +
                (choosable.size > 0
                  ? ` (these have one: ${[...choosable].map((id) => `'${id}'`).join(', ')})`
                  : ' (this import has none)'),
            );
          const config = planned.config;
          const secrets = planned.secrets;
          const passwords = await storePasswords(
            config,
            secrets,
            options.passwordSource,
            {
              passwordDir: path.resolve(options.passwordDir ?? path.join(outDir, 'passwords')),
              envFile: path.resolve(options.envFile ?? path.join(outDir, 'agent.env')),
              dataDir: path.resolve(options.dataDir ?? outDir),
            },
            options.force === true || options.merge === true,
          );
          await saveConfig(out, config, { secretValues: result.secrets.map((s) => s.value) });

          if (options.json) {
            cli.printJson({
              summary: result.summary,
              out,
              report: result.report,
              plan: planned.plan,
              passwords,
              notes,
            });
          } else {
            for (const line of report) cli.print(line);
            cli.print();
            cli.print(`${result.summary}.`);
            for (const line of planText(planned.plan)) cli.print(line);
            for (const note of notes) cli.print(`note: ${note}`);
            for (const p of passwords) cli.print(`password of ${p.monitorId}: ${p.where}`);
            cli.print(
              `Wrote ${out}. Check it with \`nut-sentinel check-config ${out}\`, then run \`nut-sentinel agent --config ${out}\`.`,
            );
          }
          return EXIT.ok;
        },
      ),
    );
}
