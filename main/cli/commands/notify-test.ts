import { existsSync } from 'node:fs';
import path from 'node:path';
import { Argument, type Command } from 'commander';
import { UsageError, type CliContext } from '../context';
import { resolveConfigPath } from '../core-host';
import { EXIT } from '../exit-codes';

/** `notify-test CHANNEL`: send a test message through one alert channel of the config. */
export function registerNotifyTest(program: Command, cli: CliContext): void {
  program
    .command('notify-test')
    .summary('send a test message through one alert channel (ntfy, Gotify, webhook, e-mail, MQTT)')
    .description(
      'Send a test message through the alert channel with this id (alerts.channels[].id in the config) and report what the server answered. ' +
        "Secrets come from the same sources the agent uses (the agent's secret store in --data-dir, env, file). The running agent is not disturbed.",
    )
    .addArgument(new Argument('<channel>', 'the channel id'))
    .option('--config <file>', 'the config file (default: the platform default)')
    .option(
      '--data-dir <dir>',
      "the agent's data folder with its secret store (default: the config file's folder)",
    )
    .option('--json', 'print {channel, ok, detail} as JSON')
    .action(
      cli.action(
        async (
          channelId: string,
          options: { config?: string; dataDir?: string; json?: boolean },
        ) => {
          const configPath = await resolveConfigPath(options.config);
          if (!existsSync(configPath)) throw new UsageError(`No config file at ${configPath}.`);
          const dataDir = path.resolve(options.dataDir ?? path.dirname(configPath));
          const [
            { loadConfig },
            { testChannelOnce },
            { FileSecretStore },
            { mqttFactory },
            { systemClock },
          ] = await Promise.all([
            import('../../config/config-file'),
            import('../../channels/alert-service'),
            import('../../platform/file-secret-store'),
            import('../../mqtt/mqtt-channel'),
            import('../../platform/node-ports'),
          ]);
          const { config } = await loadConfig(configPath);
          const channel = config.alerts.channels.find((c) => c.id === channelId);
          let result: { ok: boolean; detail: string };
          if (!channel) {
            const known = config.alerts.channels.map((c) => c.id).join(', ') || 'none';
            result = {
              ok: false,
              detail: `No alert channel "${channelId}" in ${configPath} (channels: ${known}).`,
            };
          } else {
            result = await testChannelOnce(channel, {
              secrets: new FileSecretStore(dataDir),
              clock: systemClock,
              factories: {
                mqtt: mqttFactory({
                  // The result line below is the report; the channel's own log lines (the
                  // agent's journal, on stdout) would repeat it and break --json.
                  logger: { log: () => undefined },
                  stateDir: dataDir,
                  variables: () => new Map(),
                }),
              },
            });
          }
          if (options.json) cli.printJson({ channel: channelId, ...result });
          else if (result.ok) cli.print(result.detail);
          else cli.warn(result.detail);
          return result.ok ? EXIT.ok : EXIT.failed;
        },
      ),
    );
}
