import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError } from 'commander';
import { UsageError, type CliContext } from '../context';
import { attachOrStartCore, resolveConfigPath, startCore, untilSignal } from '../core-host';
import { EXIT } from '../exit-codes';

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65_535)
    throw new InvalidArgumentError('takes a port from 0 (any free port) to 65535.');
  return value;
}

interface WebOptions {
  config?: string;
  dataDir?: string;
  port?: number;
  host?: string;
  open?: boolean;
  printUrl?: boolean;
  demo?: boolean;
  demoSimulator?: boolean;
  discoveryRange?: string[];
  discoveryPort?: number;
  discoveryMdns: boolean;
  controlSocket?: string;
}

/** `web`: the dashboard in a browser through the loopback bridge (no Electron needed). */
export function registerWeb(program: Command, cli: CliContext): void {
  program
    .command('web')
    .summary('serve the dashboard to a browser on this machine')
    .description(
      "Run the core with the browser bridge and print the UI's URL (loopback only, with a random token). Ctrl-C stops it (and logs out).",
    )
    .option('--config <file>', "the config file (default: the desktop app's)")
    .option(
      '--data-dir <dir>',
      "history and headless secret store (default: the config file's folder)",
    )
    .option('--port <port>', 'port to listen on (default: any free port)', port)
    .option('--host <address>', 'loopback address to listen on (default 127.0.0.1)')
    .option(
      '--open',
      'open the UI in the default browser (through a private one-time launcher file, never the token on a command line)',
    )
    .option('--print-url', 'also print the link with its access token, on stderr (keep it private)')
    .option(
      '--demo',
      'against a private simulated master with a power cut (nothing real is touched)',
    )
    .option(
      '--demo-simulator',
      'with --demo: use the built-in simulator even where upsd is installed',
    )
    .option(
      '--discovery-range <cidr...>',
      '"Find masters" searches these ranges instead of this machine\'s subnets (e.g. a master on another subnet)',
    )
    .option('--discovery-port <port>', '"Find masters" probes this NUT port (default 3493)', port)
    .option('--no-discovery-mdns', '"Find masters" never browses mDNS')
    .option(
      '--control-socket <path>',
      "the background service's control socket to attach to (default /run/nut-sentinel/control.sock; a named pipe on Windows)",
    )
    .action(
      cli.action(async (options: WebOptions) => {
        const { checkBridgeAddress, startBridge } = await import('../../bridge/bridge-server');
        // A refused address or a taken port is said before any session to a master is opened.
        await checkBridgeAddress(options.host, options.port);
        const logger = cli.logger();
        const demo = options.demo
          ? await (
              await import('../../demo/demo')
            ).startDemo(logger, { forceSimulator: options.demoSimulator === true })
          : null;
        const configPath = demo?.configPath ?? (await resolveConfigPath(options.config));
        const dataDir = demo?.dataDir ?? path.resolve(options.dataDir ?? path.dirname(configPath));
        const here = path.dirname(fileURLToPath(import.meta.url));
        // Built: out/main/cli.js or out/main/chunks/*.js next to out/renderer; from source (tsx): main/cli/commands.
        const staticDir = [
          path.join(here, '../renderer'),
          path.join(here, '../../renderer'),
          path.join(here, '../../../out/renderer'),
        ].find((dir) => existsSync(path.join(dir, 'index.html')));
        if (!staticDir) {
          await demo?.stop();
          throw new UsageError('The UI is not built: run `npm run build` first.');
        }
        const discovery = {
          ...(options.discoveryRange
            ? {
                ranges: options.discoveryRange
                  .flatMap((range) => range.split(/[\s,]+/))
                  .filter(Boolean),
              }
            : {}),
          ...(options.discoveryPort ? { port: options.discoveryPort } : {}),
          mdns: options.discoveryMdns,
        };
        const hosted = { configPath, dataDir, logger, notify: false, discovery };
        // A running background service is attached instead of opening sessions of our own (one
        // LOGIN per machine). The demo's private master is never the service's: it runs here.
        let core;
        if (demo) core = await startCore(hosted);
        else {
          const { controlEndpoint } = await import('../../control/endpoint');
          const endpoint = controlEndpoint(options.controlSocket, process.platform, cli.io.env);
          const attaching = await attachOrStartCore({ ...hosted, endpoint });
          const sayMode = (mode: typeof attaching.mode) =>
            cli.print(
              mode === 'attached'
                ? `Attached to the background service (${endpoint}): the page shows its monitoring; ${configPath} is not used.`
                : `No background service at ${endpoint}: monitoring here with ${configPath}.`,
            );
          sayMode(attaching.mode);
          if (attaching.problem) cli.warn(attaching.problem);
          attaching.onModeChange(sayMode);
          core = attaching;
        }
        const bridge = await startBridge({
          core,
          staticDir,
          ...(options.host ? { host: options.host } : {}),
          port: options.port,
        }).catch(async (error: unknown) => {
          // A taken port or a refused address: log out and release history before saying so.
          await core.stop();
          await demo?.stop();
          throw error;
        });
        // The token never goes on stdout (logs, journals) or on a command line: see bridge/launcher.ts.
        cli.print(`NUT Sentinel UI: ${bridge.url.replace(/#.*$/, '')}`);
        if (options.printUrl)
          cli.warn(`NUT Sentinel UI with its access token (keep it private): ${bridge.url}`);
        const { offerLauncher } = await import('../../bridge/launcher');
        const removeLauncher = await offerLauncher(bridge, {
          open: options.open === true,
          say: (line) => logger.log('info', line),
        });
        const signal = await untilSignal();
        logger.log('info', `${signal}: stopping`);
        await removeLauncher();
        await bridge.close();
        await core.stop();
        await demo?.stop();
        return EXIT.ok;
      }),
    );
}
