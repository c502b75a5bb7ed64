import type { Command } from 'commander';
import type { CliContext } from '../context';

/** `discover`: find NUT masters on this machine's networks (main/discovery/cli.ts). */
export function registerDiscover(program: Command, cli: CliContext): void {
  program
    .command('discover')
    .summary("find NUT masters on this machine's networks (anonymous reads only)")
    .description(
      "Find NUT masters: probe tcp/3493 on this machine's own subnets (each capped at /24) and on this machine itself (127.0.0.1: a upsd for a local USB UPS), and browse mDNS for _nut._tcp; anonymous reads only, no credential is sent.\n" +
        'Exit: 0 at least one server found, 1 none found, 2 a refused range.',
    )
    .option('--json', 'print the result as JSON')
    .option(
      '--range <cidr...>',
      'scan these ranges (CIDR or address; comma- or space-separated) instead of the local subnets',
    )
    .option('--widen', 'allow ranges wider than /24')
    .option('--allow-outside-local', "allow ranges outside this machine's own subnets")
    .option('--no-mdns', 'skip the mDNS browse')
    .action(
      cli.action(
        async (options: {
          json?: boolean;
          range?: string[];
          widen?: boolean;
          allowOutsideLocal?: boolean;
          mdns: boolean;
        }) => {
          const { runDiscover } = await import('../../discovery/cli');
          return runDiscover(
            {
              json: options.json === true,
              ranges: (options.range ?? [])
                .flatMap((range) => range.split(/[\s,]+/))
                .filter(Boolean),
              widen: options.widen === true,
              allowOutsideLocal: options.allowOutsideLocal === true,
              mdns: options.mdns,
            },
            { out: (text) => cli.print(text), err: (text) => cli.warn(text) },
          );
        },
      ),
    );
}
