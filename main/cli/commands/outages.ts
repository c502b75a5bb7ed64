import type { Command } from 'commander';
import { UsageError, type CliContext } from '../context';
import type { OutagesCliOptions } from '../outages-command';

/** `outages [--ups MASTER-ID/UPS-NAME] [--json]`: the stored outage records (main/outages). */
export function registerOutages(program: Command, cli: CliContext): void {
  program
    .command('outages')
    .summary(
      'the recorded outages: duration, charge, runtime, energy, who logged out, how it ended',
    )
    .description(
      'List the outages recorded in the history, newest first: start, duration, how it ended (power back, shutdown, communication lost), charge at the start and the lowest, the runtime the UPS promised vs the time spent on battery, the energy drawn where the power is known, and which secondaries logged out when. ' +
        'Outages shorter than outages.blipSeconds are grouped as blips. Reads the history file; while the background service or the desktop app holds it, asks the service.\n' +
        'Exit: 0 listed (also when there is none), 1 failed, 2 usage.',
    )
    .option('--ups <id>', 'only this monitored UPS, as MASTER-ID/UPS-NAME (as in the config file)')
    .option('--json', 'print the records as a JSON array (every field, blips not grouped)')
    .option('--config <file>', "the config file (default: the desktop app's)")
    .option('--data-dir <dir>', 'where the history lives (default: the config file’s folder)')
    .option(
      '--control-socket <path>',
      "the background service's control socket, asked when the history file is in use",
    )
    .action(
      cli.action(async (options: OutagesCliOptions) => {
        const { runOutagesCli } = await import('../outages-command');
        return runOutagesCli(options, {
          usageError: (message) => new UsageError(message),
          out: cli.io.out,
          err: cli.io.err,
        });
      }),
    );
}
