import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { AgentCommand, ServicePlatform } from '../../service/units';
import { UsageError, type CliContext } from '../context';
import { EXIT } from '../exit-codes';

const PLATFORMS: readonly ServicePlatform[] = ['linux', 'darwin', 'win32'];

function thisPlatform(): ServicePlatform {
  if (process.platform === 'linux' || process.platform === 'darwin' || process.platform === 'win32')
    return process.platform;
  throw new UsageError(
    `${process.platform} has no service support (systemd, launchd and Windows services only).`,
  );
}

/** How the service will start this same agent: the self-contained executable, or node + the built script. */
async function agentCommand(exec: string | undefined, forDryRun: boolean): Promise<AgentCommand> {
  if (exec) return { program: path.resolve(exec), prefix: [] };
  const { isSea } = await import('node:sea');
  if (isSea()) return { program: process.execPath, prefix: [] };
  const script = path.resolve(process.argv[1] ?? '');
  if (!/\.[cm]?js$/.test(script) && !forDryRun) {
    throw new UsageError(
      `this CLI runs from its sources (${script}); install the service from the self-contained agent (npm run dist:agent) or the built CLI (node out/main/cli.js), or name the program with --exec.`,
    );
  }
  return { program: process.execPath, prefix: [script] };
}

function winswNextToAgent(command: AgentCommand): string {
  return path.win32.join(path.win32.dirname(command.program), 'nut-sentinel-service.exe');
}

/** `service install | uninstall | status`: the agent as a system service (main/service). */
export function registerService(program: Command, cli: CliContext): void {
  const service = program
    .command('service')
    .summary('install, remove or inspect the agent as a system service (systemd, launchd, Windows)')
    .description(
      'Run the agent at boot, without anyone logged in, restarted when it exits: a systemd unit (Linux), a launchd daemon (macOS) or a Windows service (through WinSW, shipped next to nut-sentinel.exe). ' +
        'It runs as root/LocalSystem because it must be able to power the machine off. Logs: the journal, /Library/Logs/NUT Sentinel/agent.log, %ProgramData%\\NUT Sentinel\\logs.',
    );

  service
    .command('install')
    .summary('set the service up and start it')
    .description(
      'Write the unit (and a starter config if there is none), register the service and start it. --dry-run prints everything instead, for every platform.',
    )
    .option('--dry-run', 'print the files and commands, change nothing')
    .addOption(
      new Option('--platform <platform>', 'with --dry-run: which platform to print')
        .choices([...PLATFORMS, 'all'])
        .default('all'),
    )
    .option(
      '--root <dir>',
      'install under this root prefix (packaging, tests): the unit is enabled with `systemctl --root`, nothing is started',
    )
    .option('--exec <program>', 'the program the service runs (default: this agent)')
    .action(
      cli.action(
        async (options: {
          dryRun?: boolean;
          platform: ServicePlatform | 'all';
          root?: string;
          exec?: string;
        }) => {
          const { describePlan, installService, planService } =
            await import('../../service/install');
          const command = await agentCommand(options.exec, options.dryRun === true);
          if (options.dryRun) {
            const platforms = options.platform === 'all' ? PLATFORMS : [options.platform];
            cli.print(
              platforms
                .map((p) =>
                  describePlan(
                    planService(
                      p,
                      p === process.platform
                        ? command
                        : { program: placeholderProgram(p), prefix: [] },
                      { winswExe: winswNextToAgent(command) },
                    ),
                  ),
                )
                .join('\n\n'),
            );
            return EXIT.ok;
          }
          const platform = thisPlatform();
          const root = path.resolve(options.root ?? '/');
          if (root === '/' && platform !== 'win32' && process.getuid?.() !== 0)
            throw new UsageError('installing a system service needs root: run it with sudo.');
          const plan = planService(platform, command, { winswExe: winswNextToAgent(command) });
          if (platform === 'win32' && !existsSync(winswNextToAgent(command)))
            throw new UsageError(
              `${winswNextToAgent(command)} is missing: it comes with the Windows agent archive; keep it next to nut-sentinel.exe.`,
            );
          await installService(plan, { root, say: (line) => cli.print(line) });
          cli.print(
            `Installed. Config: ${plan.layout.configPath} (add your master: nut-sentinel import /etc/nut/upsmon.conf --merge --out ${plan.layout.configPath}); log: ${plan.layout.log}.`,
          );
          return EXIT.ok;
        },
      ),
    );

  service
    .command('uninstall')
    .summary('stop the service and remove exactly what install added')
    .description(
      'Stop and unregister the service, then remove the files `service install` created (a file you changed since, such as the config, is kept and listed).',
    )
    .option('--dry-run', 'print what would be stopped, removed and kept, change nothing')
    .option('--root <dir>', 'the root prefix it was installed under')
    .option('--exec <program>', 'the program the service runs (default: this agent)')
    .action(
      cli.action(async (options: { dryRun?: boolean; root?: string; exec?: string }) => {
        const { planService, uninstallService } = await import('../../service/install');
        const platform = thisPlatform();
        const root = path.resolve(options.root ?? '/');
        const dryRun = options.dryRun === true;
        if (!dryRun && root === '/' && platform !== 'win32' && process.getuid?.() !== 0)
          throw new UsageError('removing a system service needs root: run it with sudo.');
        const command = await agentCommand(options.exec, true);
        const result = await uninstallService(
          planService(platform, command, { winswExe: winswNextToAgent(command) }),
          { root, dryRun, say: (line) => cli.print(line) },
        );
        const kept = result.kept.length > 0 ? `, kept ${result.kept.join(', ')}` : '';
        cli.print(
          dryRun
            ? `Dry run: ${result.removed.length} would be removed${kept.replace('kept', 'would keep')}; nothing was changed.`
            : `Uninstalled: ${result.removed.length} removed${kept}.`,
        );
        return EXIT.ok;
      }),
    );

  service
    .command('status')
    .summary('is the service installed and running, and with which config?')
    .description(
      'Tell whether the service is installed and running, and which config file it uses. Exit 0 running, 3 not installed or not running.',
    )
    .option('--root <dir>', 'look under this root prefix')
    .option('--json', 'print {platform, installed, running, unit, configPath, detail} as JSON')
    .action(
      cli.action(async (options: { root?: string; json?: boolean }) => {
        const { planService, serviceStatus } = await import('../../service/install');
        const platform = thisPlatform();
        const status = await serviceStatus(
          planService(platform, await agentCommand(undefined, true)),
          path.resolve(options.root ?? '/'),
        );
        if (options.json) cli.printJson(status);
        else {
          cli.print(
            `${status.running ? 'running' : status.installed ? 'installed, not running' : 'not installed'} (${status.detail})`,
          );
          if (status.unit) cli.print(`unit: ${status.unit}`);
          if (status.configPath) cli.print(`config: ${status.configPath}`);
        }
        return status.running ? EXIT.ok : EXIT.negative;
      }),
    );
}

/** The installed location each platform's package or archive uses, for another platform's dry run. */
function placeholderProgram(platform: ServicePlatform): string {
  if (platform === 'win32') return 'C:\\Program Files\\NUT Sentinel\\nut-sentinel.exe';
  if (platform === 'darwin') return '/usr/local/bin/nut-sentinel';
  return '/usr/bin/nut-sentinel';
}
