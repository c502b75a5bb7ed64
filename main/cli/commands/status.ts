import { Argument, type Command } from 'commander';
import type { CliContext } from '../context';
import { EXIT } from '../exit-codes';
import { type ConnectOptions, connectTo, parseUpsTarget, withConnectOptions } from '../nut-target';

/** `status UPS@HOST[:PORT]`: every variable, like upsc. */
export function registerStatus(program: Command, cli: CliContext): void {
  withConnectOptions(
    program
      .command('status')
      .summary('print every variable of a UPS (like upsc)')
      .description(
        'Print every variable of a UPS, like `upsc UPS@HOST`. No LOGIN: the master does not count this as a client.',
      )
      .addArgument(
        new Argument(
          '<ups>',
          'UPS@HOST[:PORT], e.g. ups@192.168.8.99 (Synology) or apc@pve.lan; UPS alone means localhost',
        ),
      )
      .option('--json', 'print {ups, host, port, variables} as JSON'),
  ).action(
    cli.action(async (text: string, options: ConnectOptions & { json?: boolean }) => {
      const target = await parseUpsTarget(text);
      const client = await connectTo(target, options);
      try {
        const variables = await client.listVar(target.ups);
        if (options.json)
          cli.printJson({
            ups: target.ups,
            host: target.host,
            port: target.port,
            variables: Object.fromEntries(variables),
          });
        else for (const [name, value] of variables) cli.print(`${name}: ${value}`);
        return EXIT.ok;
      } finally {
        await client.close();
      }
    }),
  );
}
