#!/usr/bin/env node
/**
 * `nut-sentinel`: the headless face of the core, under plain Node.
 *   agent   --config FILE        run the monitor in the foreground (SIGTERM/SIGINT = clean LOGOUT)
 *   status  ups@host[:port]      every variable, like upsc (--json for scripts)
 *   clients ups@host[:port]      who is logged in to a UPS, like upsc -c, with NUMLOGINS
 *   web     [--config FILE]      the dashboard in a browser through the loopback bridge
 */
import { parseArgs } from 'node:util';
import { reverse } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoredEvent } from '../../shared/history';
import type { CoreService } from '../core/core-service';
import type { Logger, LogLevel } from '../platform/ports';
import { applyV8Tuning } from '../platform/v8-tuning';
import type { NutClient } from '../nut/client';
import { NutError } from '../nut/errors';

// Before anything big is loaded (zod, the core, SQLite): the V8 settings apply to what follows.
// Everything else is imported where a command needs it.
applyV8Tuning();

const USAGE = `Usage: nut-sentinel <command> [options]

Commands:
  agent --config FILE [--data-dir DIR]     monitor the configured UPSes in the foreground
  status UPS@HOST[:PORT] [--json]          print every variable of a UPS (like upsc)
  clients UPS@HOST[:PORT] [--json]         list the systems logged in to a UPS (like upsc -c)
  web [--config FILE] [--port N] [--open]  serve the dashboard to a browser on this machine
      [--print-url]                        …and print the link with its access token on stderr
      [--demo]                             …against a private simulated master with a power cut
  fsd-test --config FILE --ups MASTER/UPS --mode local|master [--user U --password-env VAR]
      [--hostsync S] [--confirm UPSNAME] [--override-blockers] [--countdown S] [--real] [--json]
                                           guarded FSD test (see \`nut-sentinel fsd-test --help\`)

  discover [--json] [--range CIDR…] [--widen] [--allow-outside-local] [--no-mdns]
                                           find NUT masters on this machine's networks (anonymous reads only)

Options for status/clients: --tls off|opportunistic|required, --timeout SECONDS
Environment: NUT_SENTINEL_LOG_LEVEL=debug|info|warn|error`;

export class UsageError extends Error {}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The agent's log: one readable line per entry on stdout. */
export function stdoutLogger(minLevel: LogLevel = 'info'): Logger {
  return {
    log(level, message) {
      if (LEVELS[level] < LEVELS[minLevel]) return;
      process.stdout.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`);
    },
  };
}

function envLogLevel(): LogLevel {
  return (['debug', 'info', 'warn', 'error'] as const).find((l) => l === process.env.NUT_SENTINEL_LOG_LEVEL) ?? 'info';
}

async function parseTarget(text: string | undefined): Promise<{ ups: string; host: string; port: number }> {
  if (!text) throw new UsageError('Name the UPS as UPS@HOST[:PORT], e.g. ups@192.168.8.99 (Synology) or apc@pve.lan.');
  const { splitUpsSystem } = await import('../config/upsmon-import');
  const parsed = splitUpsSystem(text);
  if (!parsed.ok) throw new UsageError(`"${text}" is not UPS@HOST[:PORT]: ${parsed.reason}.`);
  return parsed;
}

function tlsMode(value: string | undefined): 'off' | 'opportunistic' | 'required' {
  if (value === undefined) return 'opportunistic';
  if (value === 'off' || value === 'opportunistic' || value === 'required') return value;
  throw new UsageError(`--tls takes off, opportunistic or required (got "${value}").`);
}

async function connectFor(target: { host: string; port: number }, values: { tls?: string | undefined; timeout?: string | undefined }): Promise<NutClient> {
  const timeoutMs = values.timeout === undefined ? 5000 : Number(values.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError('--timeout takes a number of seconds.');
  const { NutClient } = await import('../nut/client');
  return NutClient.connect({
    host: target.host,
    port: target.port,
    connectTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
    keepAliveIntervalMs: 0,
    tls: { mode: tlsMode(values.tls), insecure: true },
  });
}

async function statusCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, tls: { type: 'string' }, timeout: { type: 'string' } } });
  const target = await parseTarget(positionals[0]);
  const client = await connectFor(target, values);
  try {
    const variables = await client.listVar(target.ups);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ups: target.ups, host: target.host, port: target.port, variables: Object.fromEntries(variables) }, null, 2)}\n`);
    } else {
      for (const [name, value] of variables) process.stdout.write(`${name}: ${value}\n`);
    }
    return 0;
  } finally {
    await client.close();
  }
}

async function clientsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, tls: { type: 'string' }, timeout: { type: 'string' } } });
  const target = await parseTarget(positionals[0]);
  const client = await connectFor(target, values);
  try {
    const [addresses, numLogins] = await Promise.all([
      client.listClient(target.ups).catch((error: unknown) => {
        if (error instanceof NutError && !error.connectionLost && error.code !== 'UNKNOWN-UPS') return null;
        throw error;
      }),
      client.getNumLogins(target.ups).catch((error: unknown) => {
        if (error instanceof NutError && !error.connectionLost && error.code !== 'UNKNOWN-UPS') return null;
        throw error;
      }),
    ]);
    const names = await Promise.all((addresses ?? []).map(async (a) => (await reverse(a).catch(() => []))[0] ?? null));
    if (values.json) {
      const clients = (addresses ?? []).map((address, i) => ({ address, hostname: names[i] ?? null }));
      process.stdout.write(`${JSON.stringify({ ups: target.ups, numLogins, clients: addresses === null ? null : clients }, null, 2)}\n`);
    } else {
      if (addresses === null) process.stdout.write('(this server cannot list its clients)\n');
      (addresses ?? []).forEach((address, i) => process.stdout.write(names[i] ? `${address} (${names[i]})\n` : `${address}\n`));
      process.stdout.write(`NUMLOGINS: ${numLogins ?? 'unknown (the driver is down or stale)'}\n`);
    }
    return 0;
  } finally {
    await client.close();
  }
}

function formatEvent(event: StoredEvent): string {
  const where = event.monitorId === '*' ? '' : ` [${event.monitorId}]`;
  return `${new Date(event.at).toISOString()} EVENT ${event.type}${where}: ${event.message}\n`;
}

async function startCore(configPath: string, dataDir: string, logger: Logger, withNotifier: boolean): Promise<CoreService> {
  let notifier = null;
  if (withNotifier && (process.platform !== 'linux' || process.env.DBUS_SESSION_BUS_ADDRESS)) {
    const { createDesktopNotifier } = await import('../notify/desktop-notifier');
    notifier = createDesktopNotifier({ logger });
  }
  const [{ createAppCore }, { FileSecretStore }] = await Promise.all([import('../core/app-core'), import('../platform/file-secret-store')]);
  const core = await createAppCore({
    configPath,
    dataDir,
    secrets: new FileSecretStore(dataDir),
    notifier,
    logger,
    appVersion: process.env.npm_package_version ?? '',
  });
  await core.start();
  return core;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
}

async function agentCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, 'no-notify': { type: 'boolean' } } });
  const configPath = path.resolve(values.config ?? (await import('../config/config-file')).defaultConfigPath());
  if (!existsSync(configPath)) throw new UsageError(`No config file at ${configPath}. Write one (see the README's "Config file" section) and pass it with --config.`);
  const dataDir = path.resolve(values['data-dir'] ?? path.dirname(configPath));
  const logger = stdoutLogger(envLogLevel());
  const core = await startCore(configPath, dataDir, logger, !values['no-notify']);
  const problem = core.snapshot().configProblem;
  if (problem) {
    // Headless there is nobody to fix it in a UI: fail loudly (a service manager shows the reason).
    await core.stop();
    process.stderr.write(`${problem}\n`);
    return 1;
  }
  const off = core.onPush('events:appended', (event) => process.stdout.write(formatEvent(event)));
  logger.log('info', `monitoring ${core.snapshot().ups.length} UPS(es) from ${configPath}; history in ${dataDir}`);
  const signal = await untilSignal();
  logger.log('info', `${signal}: logging out and stopping`);
  off();
  await core.stop();
  return 0;
}

async function webCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      open: { type: 'boolean' },
      'print-url': { type: 'boolean' },
      demo: { type: 'boolean' },
      'demo-simulator': { type: 'boolean' },
    },
  });
  const logger = stdoutLogger(envLogLevel());
  const demo = values.demo ? await (await import('../demo/demo')).startDemo(logger, { forceSimulator: values['demo-simulator'] === true }) : null;
  const configPath = demo?.configPath ?? path.resolve(values.config ?? (await import('../config/config-file')).defaultConfigPath());
  const dataDir = demo?.dataDir ?? path.resolve(values['data-dir'] ?? path.dirname(configPath));
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Built layout: out/main/cli.js next to out/renderer; from source (tsx): main/cli → out/renderer.
  const staticDir = [path.join(here, '../renderer'), path.join(here, '../../out/renderer')].find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!staticDir) {
    await demo?.stop();
    throw new UsageError('The UI is not built: run `npm run build` first.');
  }
  const core = await startCore(configPath, dataDir, logger, false);
  const { startBridge } = await import('../bridge/bridge-server');
  const bridge = await startBridge({ core, staticDir, ...(values.host ? { host: values.host } : {}), port: values.port ? Number(values.port) : 0 });
  // The token never goes on stdout (logs, journals) or on a command line: see bridge/launcher.ts.
  process.stdout.write(`NUT Sentinel UI: ${bridge.url.replace(/#.*$/, '')}\n`);
  if (values['print-url']) process.stderr.write(`NUT Sentinel UI with its access token (keep it private): ${bridge.url}\n`);
  const { offerLauncher } = await import('../bridge/launcher');
  const removeLauncher = await offerLauncher(bridge, { open: values.open === true, say: (line) => logger.log('info', line) });
  const signal = await untilSignal();
  logger.log('info', `${signal}: stopping`);
  await removeLauncher();
  await bridge.close();
  await core.stop();
  await demo?.stop();
  return 0;
}

/** The guarded FSD test (main/cli/fsd-test-command.ts), on its own core like the agent. */
async function fsdTestCommand(args: string[]): Promise<number> {
  const { FSD_TEST_USAGE, runFsdTestCli } = await import('./fsd-test-command');
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`Usage: nut-sentinel ${FSD_TEST_USAGE}\n`);
    return 0;
  }
  return runFsdTestCli(args, {
    startCore: (configPath, dataDir, logger) => startCore(configPath, dataDir, logger, false),
    usageError: (message) => new UsageError(message),
  });
}

async function discoverCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean', default: false }, range: { type: 'string', multiple: true, default: [] }, widen: { type: 'boolean', default: false }, 'allow-outside-local': { type: 'boolean', default: false }, 'no-mdns': { type: 'boolean', default: false } },
  });
  const { runDiscover } = await import('../discovery/cli');
  return runDiscover(
    { json: values.json, ranges: values.range.flatMap((range) => range.split(/[\s,]+/)).filter(Boolean), widen: values.widen, allowOutsideLocal: values['allow-outside-local'], mdns: !values['no-mdns'] },
    { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) },
  );
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'agent':
        return await agentCommand(rest);
      case 'status':
        return await statusCommand(rest);
      case 'clients':
        return await clientsCommand(rest);
      case 'web':
        return await webCommand(rest);
      case 'fsd-test':
        return await fsdTestCommand(rest);
      case 'discover':
        return await discoverCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (error) {
    if (error instanceof NutError) {
      process.stderr.write(`Error: ${error.explanation}\nFix: ${error.fix}\n`);
      return 1;
    }
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
