import { Argument, type Command, Option } from 'commander';
import type { ConnectionTestResult } from '../../../shared/ipc';
import { UsageError, type CliContext } from '../context';
import { EXIT } from '../exit-codes';
import { parseUpsTarget, seconds } from '../nut-target';

interface DoctorCliOptions {
  user?: string;
  passwordEnv?: string;
  preset?: 'synology' | 'proxmox' | 'generic';
  tls: 'off' | 'opportunistic' | 'required';
  timeout: number;
  json?: boolean;
}

/** Protection needs both: the master counts this machine (LOGIN) and the status can be read. */
export function protects(result: ConnectionTestResult): boolean {
  return (
    result.ok &&
    result.steps.some((step) => step.step === 'login' && step.ok) &&
    result.steps.some((step) => step.step === 'read' && step.ok)
  );
}

export function formatDoctor(
  target: string,
  result: ConnectionTestResult,
  labels: Record<ConnectionTestResult['steps'][number]['step'], string>,
): string {
  const lines = [`Doctor for ${target}:`];
  for (const step of result.steps)
    lines.push(`  ${step.ok ? 'ok  ' : 'FAIL'}  ${labels[step.step]}: ${step.detail}`);
  if (result.diagnosis)
    lines.push('', `Problem: ${result.diagnosis.explanation}`, `Fix: ${result.diagnosis.fix}`);
  if (result.suggestion)
    lines.push(
      `Try once: --user ${result.suggestion.username} (DSM's other built-in user, password "${result.suggestion.password}").`,
    );
  lines.push(
    '',
    protects(result)
      ? 'Everything needed for protection works: LOGIN accepted and the status read.'
      : 'This machine is NOT protected by this master yet.',
  );
  return lines.join('\n');
}

/** `doctor UPS@HOST[:PORT]`: the connection test of the settings, with the same steps and texts. */
export function registerDoctor(program: Command, cli: CliContext): void {
  program
    .command('doctor')
    .summary('test the connection to a master step by step and name the fix')
    .description(
      'Walk the steps monitoring takes (resolve, connect, STARTTLS, identify, find the UPS, LOGIN, read) and explain the first failure with its exact fix ' +
        '(Synology permitted devices, LISTEN line, firewall rule, upsd.users). Logs in and out once; changes nothing.\n' +
        'Exit: 0 only when everything needed for protection works (LOGIN accepted and the status read), 1 otherwise, 2 for a bad command line.',
    )
    .addArgument(
      new Argument(
        '<ups>',
        'UPS@HOST[:PORT], e.g. ups@192.168.8.99; an empty UPS (@HOST) picks the only one the server offers',
      ),
    )
    .option('--user <name>', 'the upsd.users user to LOGIN as (Synology: monuser)')
    .option(
      '--password-env <var>',
      'read the password from this environment variable (never on the command line)',
    )
    .addOption(
      new Option('--preset <preset>', 'what the master is, for its specific fixes').choices([
        'synology',
        'proxmox',
        'generic',
      ]),
    )
    .addOption(
      new Option('--tls <mode>', 'STARTTLS: off, opportunistic (try it) or required')
        .choices(['off', 'opportunistic', 'required'])
        .default('off'),
    )
    .option('--timeout <seconds>', 'connect and reply timeout', seconds, 5)
    .option('--json', 'print the steps and the diagnosis as JSON')
    .action(
      cli.action(async (text: string, options: DoctorCliOptions) => {
        const target = text.startsWith('@')
          ? { ...(await parseUpsTarget(`x${text}`)), ups: '' }
          : await parseUpsTarget(text);
        let password: string | undefined;
        if (options.passwordEnv) {
          password = cli.io.env[options.passwordEnv];
          if (password === undefined)
            throw new UsageError(
              `--password-env ${options.passwordEnv}: that environment variable is not set.`,
            );
        } else if (options.user) {
          password = '';
        }
        const [{ testConnection }, { CONNECTION_TEST_STEP_LABELS }] = await Promise.all([
          import('../../doctor/connection-doctor'),
          import('../../../shared/ipc'),
        ]);
        const result = await testConnection(
          {
            host: target.host,
            port: target.port,
            upsName: target.ups,
            username: options.user ?? '',
            role: 'secondary',
            tls: { mode: options.tls, insecure: true },
            ...(options.preset ? { preset: options.preset } : {}),
          },
          password,
          { connectTimeoutMs: options.timeout * 1000, requestTimeoutMs: options.timeout * 1000 },
        );
        if (options.json) cli.printJson({ ...result, protected: protects(result) });
        else
          cli.print(
            formatDoctor(
              `${result.upsName || target.ups || '?'}@${target.host}:${target.port}`,
              result,
              CONNECTION_TEST_STEP_LABELS,
            ),
          );
        return protects(result) ? EXIT.ok : EXIT.failed;
      }),
    );
}
