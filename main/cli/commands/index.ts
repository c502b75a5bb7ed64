/**
 * Every `nut-sentinel` command, in the order `nut-sentinel help` lists them.
 *
 * Adding a command: write `commands/<name>.ts` exporting `register<Name>(program, cli)` that calls
 * `program.command('<name>')` with a summary, a description, its arguments and options, and
 * `.action(cli.action(async (...) => EXIT.…))` — the action returns an exit code from
 * ../exit-codes.ts, writes data with `cli.print`/`cli.printJson` (stdout) and problems with
 * `cli.warn` (stderr), throws `UsageError` for a bad argument commander cannot catch, and
 * imports anything heavy (the core, SQLite, network code) inside the action, so that `--help`
 * and other commands stay fast and small. Then add it to this list; `help`, `--help`, the exit
 * code mapping and the per-command help test (cli.test.ts) pick it up from here.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { registerAgent } from './agent';
import { registerCheckConfig } from './check-config';
import { registerClients } from './clients';
import { registerDiscover } from './discover';
import { registerDoctor } from './doctor';
import { registerFsdTest } from './fsd-test';
import { registerImport } from './import';
import { registerList } from './list';
import { registerNotifyTest } from './notify-test';
import { registerOutages } from './outages';
import { registerService } from './service';
import { registerStatus } from './status';
import { registerWeb } from './web';
import { registerWhatIf } from './what-if';

export type RegisterCommand = (program: Command, cli: CliContext) => void;

export const COMMANDS: readonly RegisterCommand[] = [
  registerAgent,
  registerStatus,
  registerClients,
  registerList,
  registerImport,
  registerCheckConfig,
  registerService,
  registerFsdTest,
  registerWhatIf,
  registerOutages,
  registerDiscover,
  registerDoctor,
  registerNotifyTest,
  registerWeb,
];
