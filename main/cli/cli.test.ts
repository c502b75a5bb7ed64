/**
 * The command line's contract, in-process: --version, help for every registered command (both
 * `help COMMAND` and `COMMAND --help`), usage errors on stderr with exit 2.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { version } from '../../package.json';
import { COMMANDS } from './commands';
import { CliContext } from './context';
import { EXIT } from './exit-codes';
import { runCliCaptured } from './testing';

const io = { out: process.stdout, err: process.stderr, env: {} };
const names = (() => {
  const program = new Command();
  for (const register of COMMANDS) register(program, new CliContext(io));
  return program.commands.map((c) => c.name());
})();

describe('nut-sentinel command line', () => {
  it('prints its version', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await runCliCaptured([flag]);
      expect(run).toEqual({ code: EXIT.ok, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('registers the documented commands', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'agent',
        'status',
        'clients',
        'list',
        'import',
        'check-config',
        'service',
        'fsd-test',
        'what-if',
        'outages',
        'discover',
        'web',
      ]),
    );
  });

  it.each(names)('has help for %s, as `help %s` and `%s --help`', async (name) => {
    const viaHelp = await runCliCaptured(['help', name]);
    expect(viaHelp.code).toBe(EXIT.ok);
    expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: nut-sentinel ${name} `));
    expect(viaHelp.stderr).toBe('');
    const viaFlag = await runCliCaptured([name, '--help']);
    expect(viaFlag).toEqual(viaHelp);
    // A default is said once (not in the description and again by commander).
    expect(viaHelp.stdout).not.toMatch(/\(default:[^)]*\)\s+\(default:/);
    // Every option says what it does.
    for (const line of viaHelp.stdout.split('\n').filter((l) => /^ {2}-/.test(l)))
      expect(line.trim()).toMatch(/^\S.*\s{2,}\S/);
  });

  it('lists every command and the exit codes in the overall help', async () => {
    const run = await runCliCaptured(['help']);
    expect(run.code).toBe(EXIT.ok);
    for (const name of names) expect(run.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
    expect(run.stdout).toMatch(/Exit codes:\n {2}0 {4}ok\n {2}1 /);
  });

  it('reports usage errors on stderr with exit 2', async () => {
    const none = await runCliCaptured([]);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^Usage: nut-sentinel/);

    const unknown = await runCliCaptured(['frobnicate']);
    expect(unknown).toMatchObject({ code: EXIT.usage, stdout: '' });
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);

    const option = await runCliCaptured(['status', 'ups@localhost', '--frob']);
    expect(option).toMatchObject({ code: EXIT.usage, stdout: '' });
    expect(option.stderr).toMatch(/unknown option '--frob'/);

    const whatIfUps = await runCliCaptured(['what-if', 'nas-ups']);
    expect(whatIfUps).toMatchObject({ code: EXIT.usage, stdout: '' });
    expect(whatIfUps.stderr).toMatch(/MASTER-ID\/UPS-NAME/);
    const whatIfSeconds = await runCliCaptured(['what-if', 'nas/ups', '--master-shutdown', 'soon']);
    expect(whatIfSeconds).toMatchObject({ code: EXIT.usage, stdout: '' });
    expect(whatIfSeconds.stderr).toMatch(/--master-shutdown takes a number of seconds/);

    const outagesUps = await runCliCaptured(['outages', '--ups', 'nas-ups']);
    expect(outagesUps).toMatchObject({ code: EXIT.usage, stdout: '' });
    expect(outagesUps.stderr).toMatch(
      /--ups "nas-ups": give the monitored UPS as MASTER-ID\/UPS-NAME/,
    );

    const missing = await runCliCaptured(['status']);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toMatch(/missing required argument 'ups'/);

    const badPort = await runCliCaptured(['status', 'ups@host:99999']);
    expect(badPort.code).toBe(EXIT.usage);
    expect(badPort.stderr).toMatch(/bad port 99999/);

    const badChoice = await runCliCaptured(['list', 'localhost', '--tls', 'maybe']);
    expect(badChoice.code).toBe(EXIT.usage);
    expect(badChoice.stderr).toMatch(/--tls <mode>' argument 'maybe' is invalid/);

    const badSeconds = await runCliCaptured(['list', '--timeout', '-1']);
    expect(badSeconds.code).toBe(EXIT.usage);
    expect(badSeconds.stderr).toMatch(/positive number of seconds/);

    const upsForServer = await runCliCaptured(['list', 'ups@localhost']);
    expect(upsForServer.code).toBe(EXIT.usage);
    expect(upsForServer.stderr).toMatch(/names a UPS: give only the server/);
  });

  it('import and notify-test say what is wrong with the path they were given, exit 2, and write nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cli-paths-'));
    try {
      const out = path.join(dir, 'out', 'config.json');
      const absent = path.join(dir, 'upsmon.conf');
      const noFile = await runCliCaptured(['import', absent, '--out', out]);
      expect(noFile).toMatchObject({ code: EXIT.usage, stdout: '' });
      expect(noFile.stderr).toContain(
        `error: No file at ${absent} (give the path of upsmon.conf).`,
      );

      const folder = await runCliCaptured(['import', dir, '--out', out]);
      expect(folder.code).toBe(EXIT.usage);
      expect(folder.stderr).toContain(
        `error: ${dir} is a folder: give the path of upsmon.conf in it.`,
      );

      const json = path.join(dir, 'config.json');
      await writeFile(json, '{\n  "masters": []\n}\n');
      const wrongKind = await runCliCaptured(['import', json, '--out', out]);
      expect(wrongKind.code).toBe(EXIT.usage);
      expect(wrongKind.stderr).toContain(
        `error: ${json} is JSON (a NUT Sentinel config?), not upsmon.conf: check a config with \`nut-sentinel check-config ${json}\`.`,
      );
      const upsmon = path.join(dir, 'real-upsmon.conf');
      await writeFile(upsmon, 'MONITOR ups@nas 1 monuser secret slave\n');
      const schedFolder = await runCliCaptured(['import', upsmon, dir, '--out', out]);
      expect(schedFolder.code).toBe(EXIT.usage);
      expect(schedFolder.stderr).toContain(
        `error: ${dir} is a folder: give the path of upssched.conf in it.`,
      );
      expect(existsSync(path.dirname(out))).toBe(false);

      const noConfig = await runCliCaptured(['notify-test', 'phone', '--config', absent]);
      expect(noConfig).toMatchObject({ code: EXIT.usage, stdout: '' });
      expect(noConfig.stderr).toContain(`error: No config file at ${absent}.`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
