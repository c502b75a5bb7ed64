import { Argument, type Command } from 'commander';
import { NutError } from '../../nut/errors';
import type { CliContext } from '../context';
import { EXIT } from '../exit-codes';
import { type ConnectOptions, connectTo, parseUpsTarget, withConnectOptions } from '../nut-target';

/** A command this server does not allow or know (an old upsd) is "unknown", not a failure. */
function unlessUnsupported(error: unknown): null {
  if (error instanceof NutError && !error.connectionLost && error.code !== 'UNKNOWN-UPS')
    return null;
  throw error;
}

/** `clients UPS@HOST[:PORT]`: who is logged in, like upsc -c, with NUMLOGINS and reverse DNS. */
export function registerClients(program: Command, cli: CliContext): void {
  withConnectOptions(
    program
      .command('clients')
      .summary('list the systems logged in to a UPS (like upsc -c)')
      .description(
        'List the systems logged in to a UPS (LIST CLIENT, like `upsc -c`) with their host names, and NUMLOGINS.',
      )
      .addArgument(new Argument('<ups>', 'UPS@HOST[:PORT]'))
      .option('--json', 'print {ups, numLogins, clients: [{address, hostname}]} as JSON'),
  ).action(
    cli.action(async (text: string, options: ConnectOptions & { json?: boolean }) => {
      const target = await parseUpsTarget(text);
      const client = await connectTo(target, options);
      try {
        const [addresses, numLogins] = await Promise.all([
          client.listClient(target.ups).catch(unlessUnsupported),
          client.getNumLogins(target.ups).catch(unlessUnsupported),
        ]);
        const { reverse } = await import('node:dns/promises');
        const names = await Promise.all(
          (addresses ?? []).map(async (a) => (await reverse(a).catch(() => []))[0] ?? null),
        );
        if (options.json) {
          const clients = (addresses ?? []).map((address, i) => ({
            address,
            hostname: names[i] ?? null,
          }));
          cli.printJson({
            ups: target.ups,
            numLogins,
            clients: addresses === null ? null : clients,
          });
        } else {
          if (addresses === null) cli.print('(this server cannot list its clients)');
          (addresses ?? []).forEach((address, i) =>
            cli.print(names[i] ? `${address} (${names[i]})` : address),
          );
          cli.print(`NUMLOGINS: ${numLogins ?? 'unknown (the driver is down or stale)'}`);
        }
        return EXIT.ok;
      } finally {
        await client.close();
      }
    }),
  );
}
