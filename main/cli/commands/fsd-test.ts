import { Option, type Command } from 'commander';
import type { FsdTestCliOptions } from '../fsd-test-command';
import { UsageError, type CliContext } from '../context';
import type { CoreService } from '../../core/core-service';
import { attachToService, startCore } from '../core-host';

/** `fsd-test`: the guarded FSD test (main/fsd-test/cli.ts) on its own core, like the agent. */
export function registerFsdTest(program: Command, cli: CliContext): void {
  program
    .command('fsd-test')
    .summary('guarded FSD test: does every secondary shut down in time?')
    .description(
      'Run the guarded FSD test against a monitored UPS: a preflight, a countdown (Ctrl-C aborts before anything is sent), the live timeline and a report. ' +
        'local: this machine runs its shutdown sequence (a dry run unless --real). master: sends FSD to the master (needs a credential with the FSD right) and watches every secondary log out.\n' +
        'Exit: 0 completed (every secondary in time), 3 completed with late or missing secondaries, 1 refused or failed, 130 aborted, 2 usage.',
    )
    .option('--config <file>', "the config file (default: the desktop app's)")
    .requiredOption(
      '--ups <master/ups>',
      'the monitored UPS as MASTER-ID/UPS-NAME, as in the config file (e.g. nas/ups)',
    )
    .addOption(
      new Option('--mode <mode>', 'local (this machine) or master (FSD through the master)')
        .choices(['local', 'master'])
        .makeOptionMandatory(),
    )
    .option(
      '--user <name>',
      'master mode: the upsd user with the FSD right (without it: the credential remembered for this UPS)',
    )
    .option(
      '--password-env <var>',
      "master mode: the environment variable holding that user's password (never on the command line)",
    )
    .option('--hostsync <seconds>', "the master's HOSTSYNC (default 15 s, upsmon's default)")
    .option('--confirm <upsname>', 'master mode: type the UPS name to confirm')
    .option('--override-blockers', 'start although the preflight found overridable blockers')
    .option(
      '--countdown <seconds>',
      'seconds to abort with Ctrl-C before anything happens (default 10)',
    )
    .option('--grace <seconds>', 'master mode: keep watching this long after HOSTSYNC (default 10)')
    .option('--real', 'local mode: really run the shutdown command (default: dry run)')
    .option('--json', 'print the report as JSON (progress goes to stderr)')
    .option('--data-dir <dir>', 'where the history (and the reports) live')
    .option(
      '--control-socket <path>',
      "the background service's control socket: when it answers, the test runs in the service (default /run/nut-sentinel/control.sock; a named pipe on Windows)",
    )
    .action(
      cli.action(async (options: FsdTestCliOptions) => {
        const { runFsdTestCli } = await import('../fsd-test-command');
        return runFsdTestCli(options, {
          attachToService: () => serviceOrNone(options.controlSocket, cli),
          startCore: (configPath, dataDir, logger, check) =>
            startCore({ configPath, dataDir, logger, notify: false, beforeStart: check }),
          usageError: (message) => new UsageError(message),
          out: cli.io.out,
          err: cli.io.err,
        });
      }),
    );
}

/** fsd-test never falls back to a core of its own while a service runs (see fsd-test-command.ts). */
async function serviceOrNone(
  socket: string | undefined,
  cli: CliContext,
): Promise<{ core: CoreService; endpoint: string } | null> {
  const [{ controlEndpoint }, { ControlAccessError }] = await Promise.all([
    import('../../control/endpoint'),
    import('../../control/control-client'),
  ]);
  const endpoint = controlEndpoint(socket, process.platform, cli.io.env);
  try {
    const core = await attachToService(endpoint);
    return core ? { core, endpoint } : null;
  } catch (error) {
    if (error instanceof ControlAccessError)
      throw new Error(
        `The background service runs on this machine (${endpoint}) and the test must run in it, but it refused this user: ${error.explanation} ${error.fix}`,
        { cause: error },
      );
    throw error;
  }
}
