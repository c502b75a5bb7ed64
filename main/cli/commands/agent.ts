import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { StoredEvent } from '../../../shared/history';
import { UsageError, type CliContext } from '../context';
import { resolveConfigPath, startCore, untilSignal } from '../core-host';
import { EXIT } from '../exit-codes';

function formatEvent(event: StoredEvent): string {
  const where = event.monitorId === '*' ? '' : ` [${event.monitorId}]`;
  return `${new Date(event.at).toISOString()} EVENT ${event.type}${where}: ${event.message}`;
}

/** `agent`: the monitor in the foreground, as a service manager runs it. */
export function registerAgent(program: Command, cli: CliContext): void {
  program
    .command('agent')
    .summary('monitor the configured UPSes in the foreground (what the service runs)')
    .description(
      'Log in to every configured UPS and monitor it like upsmon: events on stdout, hooks and the shutdown command when power runs out. ' +
        'SIGTERM or Ctrl-C logs out cleanly (the master stops waiting for this machine). An invalid config exits 1 with file:line:column.',
    )
    .option(
      '--config <file>',
      "the config file (default: the desktop app's, e.g. ~/.config/nut-sentinel/config.json)",
    )
    .option(
      '--data-dir <dir>',
      "history database and headless secret store (default: the config file's folder)",
    )
    .option('--no-notify', 'no desktop notifications (a service has no desktop session)')
    .action(
      cli.action(async (options: { config?: string; dataDir?: string; notify: boolean }) => {
        const configPath = await resolveConfigPath(options.config);
        if (!existsSync(configPath))
          throw new UsageError(
            `No config file at ${configPath}. Write one (README, "Config file"; or \`nut-sentinel import /etc/nut/upsmon.conf --out ${configPath}\`) and pass it with --config.`,
          );
        const dataDir = path.resolve(options.dataDir ?? path.dirname(configPath));
        const logger = cli.logger();
        const core = await startCore({ configPath, dataDir, logger, notify: options.notify });
        const problem = core.snapshot().configProblem;
        if (problem) {
          // Headless there is nobody to fix it in a UI: fail loudly (a service manager shows the reason).
          await core.stop();
          cli.warn(problem);
          return EXIT.failed;
        }
        const off = core.onPush('events:appended', (event) => cli.print(formatEvent(event)));
        logger.log(
          'info',
          `monitoring ${core.snapshot().ups.length} UPS(es) from ${configPath}; history in ${dataDir}`,
        );
        const signal = await untilSignal();
        logger.log('info', `${signal}: logging out and stopping`);
        off();
        await core.stop();
        return EXIT.ok;
      }),
    );
}
