import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { CONTROL_GROUP } from '../../../shared/control';
import type { ControlServer } from '../../control/control-server';
import type { WindowsPipeAccess } from '../../control/endpoint';
import { version } from '../../../package.json';
import type { StoredEvent } from '../../../shared/history';
import { UsageError, type CliContext } from '../context';
import { resolveConfigPath, startCore, untilSignal } from '../core-host';
import { EXIT } from '../exit-codes';

function formatEvent(event: StoredEvent): string {
  const where = event.monitorId === '*' ? '' : ` [${event.monitorId}]`;
  // A refused LOGIN carries its fix: headless, the journal is the only place to read it.
  const fix = typeof event.data?.fix === 'string' ? ` Fix: ${event.data.fix}` : '';
  return `${new Date(event.at).toISOString()} EVENT ${event.type}${where}: ${event.message}${fix}`;
}

interface AgentOptions {
  config?: string;
  dataDir?: string;
  notify: boolean;
  controlSocket?: string | true;
  controlGroup: string;
  controlAccess: WindowsPipeAccess;
}

/** `agent`: the monitor in the foreground, as a service manager runs it. */
export function registerAgent(program: Command, cli: CliContext): void {
  program
    .command('agent')
    .summary('monitor the configured UPSes in the foreground (what the service runs)')
    .description(
      'Log in to every configured UPS and monitor it like upsmon: events on stdout, hooks and the shutdown command when power runs out. ' +
        'SIGTERM or Ctrl-C logs out cleanly (the master stops waiting for this machine); SIGHUP re-reads the config file (a bad one is reported and the running configuration stays). An invalid config at start exits 1 with file:line:column; a shutdown command or hook program that cannot run here is logged at start and after each reload.',
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
    .option(
      '--control-socket [path]',
      'open the local control channel the desktop app attaches to (default /run/nut-sentinel/control.sock; a named pipe on Windows)',
    )
    .option(
      '--control-group <group>',
      'POSIX: the group whose members may use the control socket',
      CONTROL_GROUP,
    )
    .addOption(
      new Option(
        '--control-access <who>',
        'Windows: who may open the control pipe (administrators, or every local user)',
      )
        .choices(['administrators', 'all-users'])
        .default('administrators'),
    )
    .action(
      cli.action(async (options: AgentOptions) => {
        const configPath = await resolveConfigPath(options.config);
        if (!existsSync(configPath))
          throw new UsageError(
            `No config file at ${configPath}. Write one (README, "Config file"; or \`nut-sentinel import /etc/nut/upsmon.conf --out ${configPath}\`) and pass it with --config.`,
          );
        // Validated before anything starts: an invalid config is reported once, on stderr, and
        // no control channel opens that a desktop app would hand its monitoring over to.
        const { ConfigError, loadConfig } = await import('../../config/config-file');
        try {
          await loadConfig(configPath);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          cli.warn(error.message);
          return EXIT.failed;
        }
        const dataDir = path.resolve(options.dataDir ?? path.dirname(configPath));
        const logger = cli.logger();
        let control: ControlServer | null = null;
        const core = await startCore({
          configPath,
          dataDir,
          logger,
          notify: options.notify,
          // The control socket opens before the first LOGIN: a desktop app that monitors on
          // its own hands over first (main/control/control-server.ts).
          beforeStart: async (created) => {
            if (options.controlSocket === undefined) return;
            const { startControlServer } = await import('../../control/control-server');
            const { controlEndpoint } = await import('../../control/endpoint');
            control = await startControlServer({
              core: created,
              endpoint: controlEndpoint(
                options.controlSocket === true ? undefined : options.controlSocket,
                process.platform,
                cli.io.env,
              ),
              logger,
              version,
              group: options.controlGroup,
              windowsAccess: options.controlAccess,
            });
            await control.handover();
          },
        });
        const opened = control as ControlServer | null;
        const problem = core.snapshot().configProblem;
        if (problem) {
          // Checked above; this catches a file replaced between that check and the core's own
          // load. Headless there is nobody to fix it in a UI: fail loudly.
          await core.stop();
          await opened?.close();
          cli.warn(problem);
          return EXIT.failed;
        }
        opened?.setRunning();
        const off = core.onPush('events:appended', (event) => cli.print(formatEvent(event)));
        logger.log(
          'info',
          `monitoring ${core.snapshot().ups.length} UPS(es) from ${configPath}; history in ${dataDir}`,
        );
        // SIGHUP (`systemctl reload`, like `upsmon -c reload`): re-read the config file; a bad
        // one is reported and the running configuration stays.
        const reload = () => {
          void core
            .reloadConfigFile()
            .then(({ applied, message }) =>
              logger.log(applied ? 'info' : 'error', `SIGHUP: ${message}`),
            );
        };
        process.on('SIGHUP', reload);
        const signal = await untilSignal();
        process.off('SIGHUP', reload);
        logger.log('info', `${signal}: logging out and stopping`);
        off();
        // LOGOUT first, then the control channel: attached apps start their own core only
        // once this one is logged out.
        await core.stop();
        await opened?.close();
        return EXIT.ok;
      }),
    );
}
