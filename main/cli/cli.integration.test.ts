/**
 * The headless CLI as users run it: the bundle `npm run build` makes (main/testing/built-cli.ts),
 * a separate Node process against a real upsd. The agent must log in, be counted by the master,
 * and log out on SIGTERM; status/clients/list must agree with upsc; every bad input ends in a
 * clear message; upsmon.conf files of both setup guides import into configs that check-config
 * accepts and the agent runs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltCli, buildCli } from '../testing/built-cli';
import {
  PROXMOX_APC_UPS,
  type Rig,
  RIG_USERS,
  startUpsdRig,
  SYNOLOGY_UPS,
} from '../testing/upsd-rig';

const run = promisify(execFile);
const fixtures = path.resolve(import.meta.dirname, '../config/fixtures');
let cli: BuiltCli;

async function nutSentinel(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli.entry, ...args], {
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(seen);
      }
    };
    child.stdout?.on('data', onData);
  });
}

/** One master "nas" on the rig with these UPS entries; a dry-run shutdown, always. */
function rigConfig(port: number, ups: object[], master: object = {}): string {
  return JSON.stringify({
    masters: [{ id: 'nas', label: 'Test NAS', host: '127.0.0.1', port, ups, ...master }],
    shutdown: { dryRun: true },
  });
}

/** A UPS entry logged in as the rig's monuser, its password from NAS_PASSWORD. */
const monuser = (name: string) => ({
  name,
  username: 'monuser',
  password: { source: 'env', name: 'NAS_PASSWORD' },
});

/** `nut-sentinel agent` on this config, its output piped for waitForOutput. */
function spawnAgent(configPath: string, env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [cli.entry, 'agent', '--config', configPath, '--no-notify'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('nut-sentinel CLI against a real upsd', () => {
  let rig: Rig;
  let dir: string;

  beforeAll(async () => {
    cli = await buildCli();
    // Some tests run the built bundle as a second uid (nobody): its private folder made readable.
    await chmod(path.dirname(cli.entry), 0o755);
    rig = await startUpsdRig({ upses: [SYNOLOGY_UPS, PROXMOX_APC_UPS] });
    dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-cli-'));
  });
  afterAll(async () => {
    await rig?.stop();
    await cli?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('status prints the same variables as upsc', async () => {
    const target = `ups@127.0.0.1:${rig.port}`;
    const ours = await nutSentinel(['status', target]);
    expect(ours.code).toBe(0);
    const upsc = await run('/bin/upsc', [target], {
      env: { ...process.env, NUT_QUIET_INIT_SSL: 'true' },
    });
    const lines = (text: string) =>
      text.split('\n').filter((l) => l.includes(': ') && !l.startsWith('Init SSL'));
    expect(lines(ours.stdout)).toEqual(lines(upsc.stdout));

    const json = await nutSentinel(['status', target, '--json']);
    expect(JSON.parse(json.stdout).variables['ups.status']).toBe('OL');
  });

  it('explains an unknown UPS, a refused port and bad arguments', async () => {
    const unknown = await nutSentinel(['status', `nosuch@127.0.0.1:${rig.port}`]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/The server has: ups/);
    expect(unknown.stderr).toMatch(/^Fix: /m);

    const refused = await nutSentinel(['status', 'ups@127.0.0.1:1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /127\.0\.0\.1:1, which is this machine: upsd is not running here/,
    );
    expect(refused.stderr).toMatch(/^Fix: Start upsd on this machine/m);

    const usage = await nutSentinel(['status', 'ups@host:99999']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/bad port/);

    const nothing = await nutSentinel(['frobnicate']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('agent logs in (counted by the master, listed by clients) and logs out on SIGTERM', async () => {
    const configPath = path.join(dir, 'agent.json');
    await writeFile(configPath, rigConfig(rig.port, [monuser('ups')], { preset: 'synology' }));
    const agent = spawnAgent(configPath, { NAS_PASSWORD: 'secret' });
    let stderr = '';
    agent.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const output = await waitForOutput(agent, /EVENT LOGIN \[nas\/ups\]/);
      expect(output).not.toContain('secret');
      expect(await rig.numLogins('ups')).toBe(1);

      const clients = await nutSentinel(['clients', `ups@127.0.0.1:${rig.port}`, '--json']);
      const listed = JSON.parse(clients.stdout) as {
        numLogins: number;
        clients: { address: string }[];
      };
      expect(listed.numLogins).toBe(1);
      expect(listed.clients.map((c) => c.address)).toEqual(['127.0.0.1']);

      const exited = new Promise<number | null>((resolve) =>
        agent.once('exit', (code) => resolve(code)),
      );
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The master stops counting us right away (LOGOUT, not a 60 s idle cut).
      await until(async () => (await rig.numLogins('ups')) === 0, 3000);
    } finally {
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    expect(stderr).not.toContain('secret');
  });

  it('agent re-reads its config file on SIGHUP; a broken one is reported and the running one stays', async () => {
    const configPath = path.join(dir, 'reload.json');
    const config = (upses: string[]) => rigConfig(rig.port, upses.map(monuser));
    await writeFile(configPath, config(['ups']), { mode: 0o600 });
    const agent = spawnAgent(configPath, { NAS_PASSWORD: 'secret' });
    try {
      await waitForOutput(agent, /EVENT LOGIN \[nas\/ups\]/);
      // A second UPS added to the file: logged in after SIGHUP, the first one left as it was.
      await writeFile(configPath, config(['ups', 'apc']));
      const reloaded = waitForOutput(agent, /EVENT LOGIN \[nas\/apc\]/);
      agent.kill('SIGHUP');
      const output = await reloaded;
      expect(output).toContain(`EVENT CONFIG_RELOADED: Reloaded ${configPath}.`);
      expect(output).not.toMatch(/LOGOUT \[nas\/ups\]/);
      expect(await rig.numLogins('apc')).toBe(1);
      expect(await rig.numLogins('ups')).toBe(1);

      // A broken file: said with its line, nothing changes.
      await writeFile(configPath, '{ "masters": [ }\n');
      const refused = waitForOutput(agent, /EVENT CONFIG_RELOAD_FAILED/);
      agent.kill('SIGHUP');
      expect(await refused).toContain(
        `EVENT CONFIG_RELOAD_FAILED: ${configPath}: the configuration file is not valid JSON; nothing was applied (1 problem):\n  ${configPath}:1:16: expected a value but found \`}\`\nThe running configuration stays in effect.`,
      );
      expect(agent.exitCode).toBeNull();
      expect(await rig.numLogins('ups')).toBe(1);
      expect(await rig.numLogins('apc')).toBe(1);

      // A UPS removed from the file: logged out of it, the other one kept.
      await writeFile(configPath, config(['apc']));
      const removed = waitForOutput(agent, /EVENT CONFIG_RELOADED/);
      agent.kill('SIGHUP');
      await removed;
      await until(async () => (await rig.numLogins('ups')) === 0, 3000);
      expect(await rig.numLogins('apc')).toBe(1);

      const exited = new Promise<number | null>((resolve) =>
        agent.once('exit', (code) => resolve(code)),
      );
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
  });

  it('agent says at start and after a reload when its shutdown command or a hook cannot run, and monitors anyway', async () => {
    const configPath = path.join(dir, 'programs-agent.json');
    const withPrograms = (extra: object) =>
      JSON.stringify({ ...JSON.parse(rigConfig(rig.port, [monuser('ups')])), ...extra });
    // Not a dry run, so the missing command is an error; the test never cuts the power.
    await writeFile(
      configPath,
      withPrograms({ shutdown: { command: { file: '/nonexistent/shutdown-here', args: [] } } }),
    );
    const agent = spawnAgent(configPath, { NAS_PASSWORD: 'secret' });
    try {
      // Logged in, and the problem said (in either order).
      const started = await waitForOutput(
        agent,
        /^(?=[\s\S]*EVENT LOGIN \[nas\/ups\])(?=[\s\S]*would not shut down\n)/,
      );
      expect(started).toMatch(
        new RegExp(
          `ERROR ${configPath.replaceAll('.', '\\.')}: shutdown\\.command\\.file: /nonexistent/shutdown-here does not exist on this machine: this machine would not shut down\n`,
        ),
      );
      // Reloaded with a hook given as a relative path: said after the reload.
      await writeFile(
        configPath,
        withPrograms({
          hooks: { eventHooks: [{ events: ['ONBATT'], command: { file: 'bin/on-battery.sh' } }] },
        }),
      );
      const reloaded = waitForOutput(
        agent,
        /^(?=[\s\S]*EVENT CONFIG_RELOADED)(?=[\s\S]*hooks\.eventHooks\[0\]\.command\.file: )/,
      );
      agent.kill('SIGHUP');
      const after = await reloaded;
      expect(after).toContain('EVENT CONFIG_RELOADED');
      expect(after).toContain(
        "bin/on-battery.sh is a relative path; give the program's absolute path",
      );
      expect(after).not.toContain('shutdown-here');
      expect(await rig.numLogins('ups')).toBe(1);
    } finally {
      agent.kill('SIGTERM');
      await new Promise((resolve) =>
        agent.exitCode === null ? agent.once('exit', resolve) : resolve(null),
      );
    }
  });

  it('agent: a refused LOGIN (a missing password file) is logged with its fix', async () => {
    const configPath = path.join(dir, 'no-password.json');
    const passwordFile = path.join(dir, 'absent.password');
    await writeFile(
      configPath,
      rigConfig(rig.port, [
        { name: 'ups', username: 'monuser', password: { source: 'file', path: passwordFile } },
      ]),
    );
    const agent = spawnAgent(configPath);
    try {
      const output = await waitForOutput(agent, /EVENT LOGIN_REFUSED \[nas\/ups\].*\n/);
      expect(output).toContain(
        `The secret file ${passwordFile} (password of ups@nas) does not exist.): this machine is NOT registered as a secondary, so the master will not wait for it before cutting power Fix: Create it with only the secret in it and \`chmod 600 ${passwordFile}\`.`,
      );
    } finally {
      agent.kill('SIGKILL');
    }
  });

  it('agent refuses an invalid config with file, line and reason', async () => {
    const configPath = path.join(dir, 'broken.json');
    await writeFile(
      configPath,
      '{\n  "masters": [\n    { "id": "nas", "label": "x", "host": "h", "port": "3493", "ups": [{ "name": "ups" }] }\n  ]\n}\n',
    );
    const result = await nutSentinel(['agent', '--config', configPath, '--no-notify']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/broken\.json:3/);
    expect(result.stderr).toMatch(/port/);
    // Said once, on stderr; nothing was started.
    expect(result.stdout).not.toContain('config not loaded');
    expect(result.stderr.match(/broken\.json:3/g)).toHaveLength(1);
  });

  it('agent as a user who may not create the control socket: says so with the fix, exit 1, no LOGIN', async () => {
    // A second uid (nobody) runs the built bundle: the config and a data folder readable.
    const nobodyDir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-nobody-'));
    try {
      await chmod(nobodyDir, 0o755);
      const configPath = path.join(nobodyDir, 'agent.json');
      await writeFile(configPath, rigConfig(rig.port, [monuser('ups')]), { mode: 0o644 });
      const dataDir = path.join(nobodyDir, 'data');
      await mkdir(dataDir);
      await chown(dataDir, 65534, 65534);
      const rootOnly = path.join(nobodyDir, 'root-only');
      await mkdir(rootOnly, { mode: 0o755 });
      // The socket's folder cannot be created (mkdir), or exists and cannot be written (bind).
      for (const socket of [
        path.join(rootOnly, 'run', 'control.sock'),
        path.join(rootOnly, 'control.sock'),
      ]) {
        const args = ['agent', '--config', configPath, '--data-dir', dataDir, '--no-notify'];
        const asNobody = await run(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            process.execPath,
            cli.entry,
            ...args,
            `--control-socket=${socket}`,
          ],
          { env: { PATH: process.env.PATH ?? '', NAS_PASSWORD: 'secret' }, timeout: 30_000 },
        ).then(
          () => ({ code: 0, stdout: '', stderr: '' }),
          (e: { code: number; stdout: string; stderr: string }) => e,
        );
        expect(asNobody.code).toBe(1);
        expect(asNobody.stderr).toBe(
          `Error: This agent (uid 65534) may not create its control socket ${socket}.\n` +
            'Fix: Run the service as root (as `service install` sets it up), give --control-socket a path this user may write, ' +
            'or leave --control-socket out (then no desktop app can attach).\n',
        );
        expect(asNobody.stdout).not.toContain('LOGIN');
        expect(await rig.numLogins('ups')).toBe(0);
      }
    } finally {
      await rm(nobodyDir, { recursive: true, force: true });
    }
  });

  it('web refuses a taken port or a non-loopback address before opening any session', async () => {
    const configPath = path.join(dir, 'web.json');
    await writeFile(configPath, rigConfig(rig.port, [monuser('ups')]));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as AddressInfo).port;
    try {
      const env = {
        NAS_PASSWORD: 'secret',
        NUT_SENTINEL_CONTROL_SOCKET: path.join(dir, 'no-service.sock'),
      };
      const busy = await nutSentinel(
        ['web', '--config', configPath, '--port', String(takenPort)],
        env,
      );
      expect(busy.code).toBe(1);
      expect(busy.stderr).toBe(
        `Error: Port ${takenPort} on 127.0.0.1 is already taken by another program (possibly another user's), so the browser would not reach NUT Sentinel there.\n` +
          'Fix: Pick another --port, or leave it out to get a free one.\n',
      );
      const wildcard = await nutSentinel(['web', '--config', configPath, '--host', '0.0.0.0'], env);
      expect(wildcard.code).toBe(1);
      expect(wildcard.stderr).toMatch(
        /^Error: The browser bridge refuses to listen on "0\.0\.0\.0"/,
      );
      // Nothing was started: no session to the master, no log lines.
      expect(busy.stdout + wildcard.stdout).toBe('');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('what-if (the built bundle): a monitor-only UPS with nothing measured is "cannot tell", exit 4; an unknown UPS is a usage error', async () => {
    const whatIfDir = await mkdtemp(path.join(dir, 'what-if-'));
    const configPath = path.join(whatIfDir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        masters: [
          {
            id: 'lab',
            label: 'Lab',
            host: '127.0.0.1',
            port: rig.port,
            ups: [{ name: 'apc', role: 'monitor-only' }],
          },
        ],
        notifications: { desktop: false },
      }),
    );
    const common = ['--config', configPath, '--control-socket', path.join(whatIfDir, 'none.sock')];
    const run = await nutSentinel(['what-if', 'lab/apc', ...common, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(4);
    const result = JSON.parse(run.stdout) as {
      verdict: string;
      emptyAt: number | null;
      missing: { what: string }[];
    };
    expect(result.verdict).toBe('unknown');
    expect(result.emptyAt).toBe(Number(PROXMOX_APC_UPS.vars!['battery.runtime']));
    expect(result.missing.map((m) => m.what)).toEqual([
      "the other secondaries' logout times",
      "the master's own shutdown duration",
    ]);
    // Every UPS (here one) as an array; the text form names what to run.
    const all = await nutSentinel(['what-if', ...common]);
    expect(all.code).toBe(4);
    expect(all.stdout).toContain('What if the power failed now — lab/apc');
    expect(all.stdout).toContain('missing: the other secondaries');
    const unknown = await nutSentinel(['what-if', 'lab/nope', ...common]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`No monitored UPS lab/nope in ${configPath} (have: lab/apc).`);
    // A UPS the master does not have: the margin is unknown because it cannot be read, and why.
    const ghostConfig = path.join(whatIfDir, 'ghost.json');
    await writeFile(
      ghostConfig,
      (await readFile(configPath, 'utf8')).replace('"name":"apc"', '"name":"ghost"'),
    );
    const ghost = await nutSentinel([
      'what-if',
      'lab/ghost',
      ...common.map((arg) => (arg === configPath ? ghostConfig : arg)),
      '--json',
    ]);
    expect(ghost.code).toBe(4);
    const unreadable = JSON.parse(ghost.stdout) as {
      headline: string;
      missing: { what: string; fix: string }[];
    };
    expect(unreadable.headline).toBe(
      'The margin is not known: the UPS cannot be read now (The server has no UPS by this name. The server has: ups, apc.).',
    );
    expect(unreadable.missing[0]).toEqual({
      what: 'readings of the UPS',
      fix: expect.stringContaining('Use one of the UPS names defined in ups.conf'),
    });
    expect(ghost.stdout).not.toContain('does not report battery.runtime');
    // Nothing configured: said, exit 1 (an empty answer with exit 0 would read as "all fine").
    const empty = path.join(whatIfDir, 'empty.json');
    await writeFile(empty, '{}\n');
    for (const json of [[], ['--json']]) {
      const nothing = await nutSentinel([
        'what-if',
        ...common.map((arg) => (arg === configPath ? empty : arg)),
        ...json,
      ]);
      expect(nothing.code).toBe(1);
      expect(nothing.stdout).toBe('');
      expect(nothing.stderr).toContain(
        `No UPS is monitored in ${empty}: there is no shutdown chain`,
      );
    }
    // An invalid config: its problems with file and line, exit 1, and no claim about the UPS.
    const invalid = path.join(whatIfDir, 'invalid.json');
    await writeFile(invalid, '{ "masters": [ { "id": "lab" } ] }\n');
    const refused = await nutSentinel([
      'what-if',
      'lab/apc',
      ...common.map((arg) => (arg === configPath ? invalid : arg)),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${invalid}:1:16: masters[0].label: required setting`);
    expect(refused.stderr).not.toContain('No monitored UPS');
  });

  it('list prints the UPSes with descriptions (upsc -l plus UPSDESC)', async () => {
    const ours = await nutSentinel(['list', `127.0.0.1:${rig.port}`]);
    expect(ours.code).toBe(0);
    // The server's order, as upsc -l prints it.
    const upsc = await run('/bin/upsc', ['-l', `127.0.0.1:${rig.port}`], {
      env: { ...process.env, NUT_QUIET_INIT_SSL: 'true' },
    });
    const names = upsc.stdout.split('\n').filter((l) => l && !l.startsWith('Init SSL'));
    expect(names.toSorted()).toEqual(['apc', 'ups']);
    const desc = { apc: PROXMOX_APC_UPS.desc, ups: SYNOLOGY_UPS.desc } as Record<string, string>;
    expect(ours.stdout).toBe(names.map((n) => `${n}: ${desc[n]}\n`).join(''));

    const json = JSON.parse(
      (await nutSentinel(['list', `127.0.0.1:${rig.port}`, '--json'])).stdout,
    ) as { upses: { name: string; description: string }[] };
    expect(json.upses).toEqual(names.map((name) => ({ name, description: desc[name] })));
    const refused = await nutSentinel(['list', '127.0.0.1:1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Fix: /m);
  });

  /** A guide's upsmon.conf pointed at the rig: its master's address and the rig's password. */
  async function guideConf(
    name: string,
    from: string,
    password: { from: string; to: string },
  ): Promise<string> {
    const text = (await readFile(path.join(fixtures, name), 'utf8'))
      .replaceAll(from, `127.0.0.1:${rig.port}`)
      .replace(password.from, password.to);
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  }

  async function agentLogsIn(
    configPath: string,
    ups: string,
    env: NodeJS.ProcessEnv = {},
  ): Promise<void> {
    const agent = spawnAgent(configPath, env);
    try {
      await waitForOutput(agent, new RegExp(`EVENT LOGIN \\[[^\\]]+/${ups}\\]`));
      expect(await rig.numLogins(ups)).toBe(1);
      const exited = new Promise<number | null>((resolve) =>
        agent.once('exit', (code) => resolve(code)),
      );
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
  }

  it("imports the Synology guide's upsmon.conf into a config check-config accepts and the agent runs", async () => {
    const upsmon = await guideConf('synology-rpi-upsmon.conf', '192.168.8.99', {
      from: ' secret ',
      to: ` ${RIG_USERS.monuser.password} `,
    });
    const out = path.join(dir, 'synology', 'config.json');
    const imported = await nutSentinel(['import', upsmon, '--out', out]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(
      /synology-rpi-upsmon\.conf:1 +mapped +MONITOR ups@127\.0\.0\.1:\d+ 1 monuser \[REDACTED\] slave/,
    );
    // The mapping under it, with one arrow (the note carries its own).
    expect(imported.stdout).toMatch(/\n +→ master `[^`]+` \(127\.0\.0\.1 port \d+\), UPS `ups`/);
    expect(imported.stdout).not.toContain('→ →');
    expect(imported.stdout).toContain(`Wrote ${out}`);
    expect(imported.stdout + imported.stderr).not.toContain(RIG_USERS.monuser.password);
    const configText = await readFile(out, 'utf8');
    expect(configText).not.toContain(RIG_USERS.monuser.password);
    const config = JSON.parse(configText) as {
      masters: { ups: { password: { source: string; path: string } }[] }[];
    };
    const passwordFile = config.masters[0]!.ups[0]!.password;
    expect(passwordFile.source).toBe('file');
    expect(passwordFile.path).toBe(
      path.join(
        dir,
        'synology',
        'passwords',
        `${(JSON.parse(configText) as { masters: { id: string }[] }).masters[0]!.id}-ups.password`,
      ),
    );
    expect((await stat(passwordFile.path)).mode & 0o777).toBe(0o600);
    expect(await readFile(passwordFile.path, 'utf8')).toBe(`${RIG_USERS.monuser.password}\n`);

    const checked = await nutSentinel(['check-config', out]);
    expect(checked).toMatchObject({ code: 0, stderr: '' });
    expect(checked.stdout).toBe(`${out}: OK\n`);
    await agentLogsIn(out, 'ups');

    const again = await nutSentinel(['import', upsmon, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists: pass --merge .* --force/);
  });

  it("imports the Proxmox guide's upsmon.conf + upssched.conf (env passwords) and the agent runs it", async () => {
    const upsmon = await guideConf('proxmox-vm-upsmon.conf', '192.168.1.107', {
      from: 's3c4R3_Kly3Nt_p4sSw0rD!',
      to: RIG_USERS.upsmonclient.password,
    });
    const upssched = await guideConf('proxmox-vm-upssched.conf', '192.168.1.107', {
      from: '',
      to: '',
    });
    const out = path.join(dir, 'proxmox', 'config.json');
    const imported = await nutSentinel([
      'import',
      upsmon,
      upssched,
      '--out',
      out,
      '--password-source',
      'env',
      '--json',
    ]);
    expect(imported.code).toBe(0);
    const result = JSON.parse(imported.stdout) as {
      out: string;
      report: { file: string; status: string }[];
      passwords: { source: string; where: string }[];
    };
    expect(result.out).toBe(out);
    expect(result.report.filter((l) => l.status === 'error')).toEqual([]);
    expect(
      result.report.some((l) => l.file === 'proxmox-vm-upssched.conf' && l.status === 'mapped'),
    ).toBe(true);
    const envFile = path.join(dir, 'proxmox', 'agent.env');
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    const envText = await readFile(envFile, 'utf8');
    const [, name, value] = /^(NUT_SENTINEL_PASSWORD_\w+)='(.*)'$/m.exec(envText)!;
    expect(value).toBe(RIG_USERS.upsmonclient.password);
    expect(result.passwords).toEqual([
      { monitorId: expect.stringMatching(/\/apc$/), source: 'env', where: `${name} in ${envFile}` },
    ]);
    const config = JSON.parse(await readFile(out, 'utf8')) as {
      hooks: { upssched: { rules: unknown[] } };
    };
    expect(config.hooks.upssched.rules).toHaveLength(3);

    // Without the variable the config is still valid; check-config warns where the agent would fail.
    const checked = await nutSentinel(['check-config', out]);
    expect(checked.code).toBe(0);
    expect(checked.stderr).toMatch(
      new RegExp(
        `config\\.json:\\d+:\\d+: warning: masters\\[0\\]\\.ups\\[0\\]\\.password: the environment variable ${name} is not set`,
      ),
    );
    // With it, what is left is the guide's CMDSCRIPT, which exists on the guide's VM, not here.
    expect((await nutSentinel(['check-config', out], { [name!]: value })).stderr).toMatch(
      /^[^\n]*config\.json:\d+:\d+: warning: hooks\.upssched\.cmdScript\.file: \/usr\/sbin\/upssched-cmd does not exist on this machine\n$/,
    );

    await agentLogsIn(out, 'apc', { [name!]: value });
  });

  it('import --merge prints the plan the app previews, and --keep keeps a current timer rule', async () => {
    const existing = JSON.stringify({
      masters: [
        {
          id: 'pve',
          label: 'Proxmox node',
          host: '127.0.0.1',
          port: rig.port,
          ups: [{ name: 'ups', username: RIG_USERS.monuser.name }],
        },
      ],
      hooks: {
        upssched: {
          cmdScript: { file: '/bin/true' },
          rules: [
            { event: 'ONBATT', action: 'START-TIMER', timer: 'onbatt', seconds: 120 },
            { event: 'ONLINE', action: 'CANCEL-TIMER', timer: 'onbatt' },
          ],
        },
      },
    });
    const upsmon = path.join(dir, 'merge-upsmon.conf');
    const upssched = path.join(dir, 'merge-upssched.conf');
    await writeFile(
      upsmon,
      `MONITOR ups@127.0.0.1:${rig.port} 1 monuser ${RIG_USERS.monuser.password} slave\nNOTIFYCMD /usr/sbin/upssched\nNOTIFYFLAG ONBATT SYSLOG+EXEC\n`,
    );
    await writeFile(upssched, 'CMDSCRIPT /bin/true\nAT ONBATT * START-TIMER onbatt 30\n');
    const out = path.join(dir, 'merge', 'config.json');
    const importOver = async (...extra: string[]) => {
      await rm(path.dirname(out), { recursive: true, force: true });
      await mkdir(path.dirname(out), { recursive: true });
      await writeFile(out, existing, { mode: 0o600 });
      return nutSentinel(['import', upsmon, upssched, '--out', out, '--merge', ...extra]);
    };

    const merged = await importOver();
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain(
      [
        'Plan: 2 upssched rules replaced, 1 hook setting changed.',
        `  keep     merged into the existing master pve “Proxmox node” (127.0.0.1 port ${rig.port}): UPS ups already configured, kept as it is (the stored password stays; the imported one is not stored)`,
        '  add      ONBATT (NOTIFYFLAG/NOTIFYMSG): defaults → notify on, exec on',
        '  replace  upssched rule AT ONLINE * CANCEL-TIMER onbatt is replaced by the imported upssched.conf (it has no such rule)',
        "           → replaced; choose with --keep 'upssched-rule:ONLINE * CANCEL-TIMER onbatt'",
        '  replace  upssched rule AT ONBATT * START-TIMER onbatt 120 → AT ONBATT * START-TIMER onbatt 30',
      ].join('\n'),
    );
    const rules = async () =>
      (JSON.parse(await readFile(out, 'utf8')) as { hooks: { upssched: { rules: unknown[] } } })
        .hooks.upssched.rules;
    expect(await rules()).toEqual([
      { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'onbatt', seconds: 30 },
    ]);

    const kept = await importOver('--keep', 'upssched-rule:ONLINE * CANCEL-TIMER onbatt');
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(
      '  keep     upssched rule AT ONLINE * CANCEL-TIMER onbatt is kept next to the imported rules',
    );
    expect(await rules()).toEqual([
      { event: 'ONLINE', ups: '*', action: 'CANCEL-TIMER', timer: 'onbatt' },
      { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'onbatt', seconds: 30 },
    ]);

    const typo = await importOver('--keep', 'upssched-rule:nope');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      "--keep 'upssched-rule:nope': no such plan item with a keep/replace choice (these have one: 'upssched-rule:ONLINE * CANCEL-TIMER onbatt')",
    );
    expect(await readFile(out, 'utf8')).toBe(existing);
  });

  it('check-config prints file:line:column for every problem and exits 1', async () => {
    const file = path.join(dir, 'problems.json');
    await writeFile(
      file,
      '{\n  "masters": [\n    { "id": "nas", "label": "x", "host": "h", "port": "3493",\n      "ups": [{ "name": "ups", "password": { "source": "file", "path": "/nonexistent/pw" } }] }\n  ],\n  "timing": { "deadTime": 5 }\n}\n',
    );
    const result = await nutSentinel(['check-config', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`^${file.replaceAll('.', '\\.')}:3:\\d+: error: masters\\[0\\]\\.port: `, 'm'),
    );
    expect(result.stderr).toMatch(
      new RegExp(`^${file.replaceAll('.', '\\.')}:6:\\d+: error: timing(\\.deadTime)?: `, 'm'),
    );

    // Programs that cannot run here: the shutdown command is an error (unless a dry run), a hook
    // a warning, a relative path an error; a program that exists and is executable is fine.
    const hookScript = path.join(dir, 'on-battery.sh');
    await writeFile(hookScript, '#!/bin/sh\n', { mode: 0o755 });
    const notExecutable = path.join(dir, 'not-executable.sh');
    await writeFile(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    const programs = path.join(dir, 'programs.json');
    const programsConfig = (dryRun: boolean) =>
      JSON.stringify(
        {
          shutdown: { command: { file: '/usr/sbin/no-such-shutdown', args: [] }, dryRun },
          hooks: {
            eventHooks: [
              { events: ['ONBATT'], command: { file: hookScript, args: [] } },
              { events: ['ONLINE'], command: { file: notExecutable, args: [] } },
              { events: ['LOWBATT'], command: { file: 'scripts/low.sh', args: [] } },
            ],
          },
        },
        null,
        2,
      );
    await writeFile(programs, programsConfig(false));
    const checkedPrograms = await nutSentinel(['check-config', programs, '--json']);
    expect(checkedPrograms.code).toBe(1);
    expect(JSON.parse(checkedPrograms.stdout)).toEqual({
      file: programs,
      ok: false,
      problems: [
        {
          file: programs,
          line: 4,
          column: 15,
          path: 'shutdown.command.file',
          severity: 'error',
          message:
            '/usr/sbin/no-such-shutdown does not exist on this machine: this machine would not shut down',
        },
        {
          file: programs,
          line: 25,
          column: 19,
          path: 'hooks.eventHooks[1].command.file',
          severity: 'warning',
          message: `${notExecutable} is not executable (mode 644)`,
        },
        {
          file: programs,
          line: 34,
          column: 19,
          path: 'hooks.eventHooks[2].command.file',
          severity: 'error',
          message:
            "scripts/low.sh is a relative path; give the program's absolute path (NUT Sentinel runs it from an unknown working directory)",
        },
      ],
    });
    await writeFile(programs, programsConfig(true));
    const dryRunPrograms = await nutSentinel(['check-config', programs, '--json']);
    expect(JSON.parse(dryRunPrograms.stdout)).toMatchObject({
      problems: [
        { path: 'shutdown.command.file', severity: 'warning' },
        { path: 'hooks.eventHooks[1].command.file' },
        { path: 'hooks.eventHooks[2].command.file' },
      ],
    });

    const unsafe = path.join(dir, 'unsafe.password');
    await writeFile(unsafe, 'pw\n', { mode: 0o644 });
    const good = path.join(dir, 'good.json');
    await writeFile(
      good,
      JSON.stringify(
        {
          masters: [
            {
              id: 'nas',
              label: 'x',
              host: 'h',
              ups: [{ name: 'ups', password: { source: 'file', path: unsafe } }],
            },
          ],
        },
        null,
        2,
      ),
    );
    const modeProblem = await nutSentinel(['check-config', good, '--json']);
    expect(modeProblem.code).toBe(1);
    expect(JSON.parse(modeProblem.stdout)).toMatchObject({
      ok: false,
      problems: [
        {
          line: 10,
          severity: 'error',
          path: 'masters[0].ups[0].password',
          message: expect.stringContaining('chmod 600'),
        },
      ],
    });

    const missing = await nutSentinel(['check-config', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.json: error: no such file/);
    const folder = await nutSentinel(['check-config', dir]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe(
      `${dir}: error: a folder, not a config file (give the file itself, e.g. ${path.join(dir, 'config.json')})\n`,
    );
    // Root's 0600 config checked by another user (nobody).
    const privateDir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-private-'));
    try {
      await chmod(privateDir, 0o755);
      const rootOnly = path.join(privateDir, 'config.json');
      await writeFile(rootOnly, '{}\n', { mode: 0o600 });
      const denied = await run(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli.entry].concat([
          'check-config',
          rootOnly,
        ]),
        { env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
      ).catch((e: { code: number; stderr: string }) => e);
      expect(denied).toMatchObject({
        code: 1,
        stderr: `${rootOnly}: error: this user may not read it (run as root, or check the file’s owner and mode)\n`,
      });
    } finally {
      await rm(privateDir, { recursive: true, force: true });
    }
  });

  describe('status/clients --tls required against a real STARTTLS upsd', () => {
    let rig: Rig;
    beforeAll(async () => {
      rig = await startUpsdRig({ tls: true });
    });
    afterAll(async () => {
      await rig?.stop();
    });

    it('verifies the certificate (system CAs, --ca or --fingerprint) and fails clearly otherwise', async () => {
      const target = `ups@127.0.0.1:${rig.port}`;
      const other = 'AB:'.repeat(31) + 'AB';
      const [systemCas, withCa, withPin, wrongPin, badPin, opportunistic] = await Promise.all([
        nutSentinel(['status', target, '--tls', 'required']),
        nutSentinel(['status', target, '--tls', 'required', '--ca', rig.tls!.certFile, '--json']),
        nutSentinel([
          'clients',
          target,
          '--tls',
          'required',
          '--fingerprint',
          rig.tls!.fingerprint256,
        ]),
        nutSentinel(['status', target, '--tls', 'required', '--fingerprint', other]),
        nutSentinel(['status', target, '--fingerprint', 'nope']),
        nutSentinel(['status', target, '--json']),
      ]);
      // The self-signed certificate is not trusted by the system: refused, with the way out.
      expect(systemCas.code).toBe(1);
      expect(systemCas.stdout).toBe('');
      expect(systemCas.stderr).toMatch(/self-signed/);
      expect(systemCas.stderr).toMatch(/--ca FILE .* --fingerprint SHA256/);
      expect(withCa.code).toBe(0);
      expect(JSON.parse(withCa.stdout).variables['ups.status']).toBe('OL');
      expect(withPin.code).toBe(0);
      expect(withPin.stdout).toMatch(/NUMLOGINS: 0/);
      expect(wrongPin.code).toBe(1);
      expect(wrongPin.stderr).toContain(rig.tls!.fingerprint256);
      expect(badPin.code).toBe(2);
      expect(badPin.stderr).toMatch(/--fingerprint takes a SHA-256/);
      // Plain opportunistic still encrypts without checking (these commands send no password).
      expect(opportunistic.code).toBe(0);
    });
  });
});
