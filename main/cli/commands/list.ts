import { Argument, type Command } from 'commander';
import type { CliContext } from '../context';
import { EXIT } from '../exit-codes';
import { type ConnectOptions, connectTo, parseServer, withConnectOptions } from '../nut-target';

/** `list [HOST[:PORT]]`: the UPSes a server offers, with descriptions (upsc -l plus UPSDESC). */
export function registerList(program: Command, cli: CliContext): void {
  withConnectOptions(
    program
      .command('list')
      .summary('list the UPSes on a NUT server, with descriptions (like upsc -l)')
      .description(
        'List the UPSes a NUT server offers (LIST UPS), one per line as `NAME: DESCRIPTION`, like `upsc -l` with descriptions.',
      )
      .addArgument(
        new Argument('[server]', 'HOST[:PORT] (IPv6 as [ADDRESS]:PORT)').default('localhost'),
      )
      .option('--json', 'print {host, port, upses: [{name, description}]} as JSON'),
  ).action(
    cli.action(async (text: string, options: ConnectOptions & { json?: boolean }) => {
      const server = await parseServer(text);
      const client = await connectTo(server, options);
      try {
        const upses = await client.listUps();
        if (options.json)
          cli.printJson({
            host: server.host,
            port: server.port,
            upses: upses.map((u) => ({ name: u.name, description: u.description })),
          });
        else if (upses.length === 0)
          cli.warn(`${server.host}:${server.port} offers no UPS (its ups.conf is empty).`);
        else for (const ups of upses) cli.print(`${ups.name}: ${ups.description}`);
        return EXIT.ok;
      } finally {
        await client.close();
      }
    }),
  );
}
