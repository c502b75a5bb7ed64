import { Argument, type Command } from 'commander';
import { UsageError, type CliContext } from '../context';
import { attachToService, startCore } from '../core-host';
import type { WhatIfCliOptions } from '../what-if-command';

/** `what-if [MASTER-ID/UPS-NAME]`: the shutdown chain against the battery (main/what-if). */
export function registerWhatIf(program: Command, cli: CliContext): void {
  program
    .command('what-if')
    .summary('what if the power failed now: does the shutdown chain fit in the battery?')
    .description(
      'Lay the shutdown chain of a monitored UPS against its battery: on battery now → low battery at the current load → FSD and the secondaries down → the master down → the margin before the battery is empty. ' +
        "Uses the live readings, this machine's settings and the measurements of earlier FSD tests in the history; says which measurement is missing.\n" +
        'Exit: 0 every margin known and not negative, 3 the battery runs out first (negative margin), 4 a margin is unknown (a measurement is missing), 1 failed, 2 usage.',
    )
    .addArgument(
      new Argument(
        '[ups]',
        'the monitored UPS as MASTER-ID/UPS-NAME, as in the config file (default: every one)',
      ),
    )
    .option('--config <file>', "the config file (default: the desktop app's)")
    .option('--data-dir <dir>', 'where the history (and the FSD-test reports) live')
    .option(
      '--master-shutdown <seconds>',
      'how long the master takes to shut itself down (it cannot be measured from here; without it the margin stays unknown)',
    )
    .option('--hostsync <seconds>', "the master's HOSTSYNC (default: the last FSD test's, else 15)")
    .option(
      '--control-socket <path>',
      "the background service's control socket to ask (default /run/nut-sentinel/control.sock; a named pipe on Windows)",
    )
    .option('--json', 'print the result as JSON (one object for one UPS, an array for all)')
    .action(
      cli.action(async (ups: string | undefined, options: WhatIfCliOptions) => {
        const { runWhatIfCli } = await import('../what-if-command');
        return runWhatIfCli(ups, options, {
          attachToService: async (endpoint) => {
            const { ControlAccessError } = await import('../../control/control-client');
            return attachToService(endpoint).catch((error: unknown) => {
              if (!(error instanceof ControlAccessError)) throw error;
              // Only readings: a short session of our own is harmless.
              cli.warn(`${error.explanation} Reading the UPS with a session of its own instead.`);
              return null;
            });
          },
          startCore: (configPath, dataDir, logger) =>
            startCore({ configPath, dataDir, logger, notify: false }),
          usageError: (message) => new UsageError(message),
          out: cli.io.out,
          err: cli.io.err,
        });
      }),
    );
}
