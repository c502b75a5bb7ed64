/**
 * The `nut-sentinel` command line on commander: one program, every command registered from the
 * one list in ./commands/index.ts, one place that maps outcomes to exit codes (./exit-codes.ts).
 * Errors go to stderr; help and data go to stdout.
 */
import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { isExplainedError } from '../platform/api-request-error';
import { COMMANDS } from './commands';
import { type CliIo, CliContext, UsageError } from './context';
import { EXIT } from './exit-codes';

export const EXIT_CODES_HELP = `
Exit codes:
  0    ok
  1    a problem was found or the operation failed (details on stderr)
  2    usage error (unknown command or option, bad argument)
  3    completed with a negative answer (fsd-test: late/missing secondaries; service status: not running;
       what-if: the battery runs out before everything is down)
  4    completed, but the answer is unknown: a measurement is missing (what-if)
  130  interrupted (Ctrl-C)

Environment: NUT_SENTINEL_LOG_LEVEL=debug|info|warn|error
Run "nut-sentinel help COMMAND" for a command's options.`;

export function buildProgram(cli: CliContext): Command {
  const program = new Command('nut-sentinel')
    .description(
      'A protocol-correct NUT secondary (upsmon replacement) with a tray app, a headless agent and tools.',
    )
    .version(version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .configureOutput({
      writeOut: (text) => cli.io.out.write(text),
      writeErr: (text) => cli.io.err.write(text),
    })
    .showHelpAfterError(
      '(run "nut-sentinel help" for the commands, "nut-sentinel help COMMAND" for one)',
    )
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);
  for (const register of COMMANDS) register(program, cli);
  return program;
}

/** Runs one command line (without `node` and the script) and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const cli = new CliContext(io);
  const program = buildProgram(cli);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    return exitCodeFor(error, cli);
  }
}

function exitCodeFor(error: unknown, cli: CliContext): number {
  if (error instanceof CommanderError) {
    // --help, --version and `help` end in a CommanderError with exit code 0; the rest is usage.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof UsageError) {
    cli.warn(`error: ${error.message}`);
    cli.warn('(run "nut-sentinel help COMMAND" for its usage)');
    return EXIT.usage;
  }
  if (isExplainedError(error)) {
    cli.warn(`Error: ${error.explanation}\nFix: ${error.fix}`);
    return EXIT.failed;
  }
  cli.warn(`Error: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.failed;
}
