/**
 * The headless CLI as users run it: a separate Node process (tsx, the same code the build
 * bundles) against a real upsd. The agent must log in, be counted by the master, and log out
 * on SIGTERM; status/clients must agree with upsc; every bad input ends in a clear message.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rig, startUpsdRig } from '../testing/upsd-rig';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const cli = path.join(root, 'main/cli/index.ts');

async function nutSentinel(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [cli, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${seen}`)), timeoutMs);
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
    rig = await startUpsdRig();
    dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-cli-'));
  });
  afterAll(async () => {
    await rig?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('status prints the same variables as upsc', async () => {
    const target = `ups@127.0.0.1:${rig.port}`;
    const ours = await nutSentinel(['status', target]);
    expect(ours.code).toBe(0);
    const upsc = await run('/bin/upsc', [target], { env: { ...process.env, NUT_QUIET_INIT_SSL: 'true' } });
    const lines = (text: string) => text.split('\n').filter((l) => l.includes(': ') && !l.startsWith('Init SSL'));
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
    expect(refused.stderr).toMatch(/LISTEN/);

    const usage = await nutSentinel(['status', 'ups@host:99999']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/bad port/);

    const nothing = await nutSentinel(['frobnicate']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/Unknown command "frobnicate"/);
  });

  it('agent logs in (counted by the master, listed by clients) and logs out on SIGTERM', async () => {
    const configPath = path.join(dir, 'agent.json');
    await writeFile(
      configPath,
      JSON.stringify({
        masters: [
          {
            id: 'nas',
            label: 'Test NAS',
            preset: 'synology',
            host: '127.0.0.1',
            port: rig.port,
            ups: [{ name: 'ups', username: 'monuser', password: { source: 'env', name: 'NAS_PASSWORD' } }],
          },
        ],
        shutdown: { dryRun: true },
      }),
    );
    const agent = spawn(tsx, [cli, 'agent', '--config', configPath, '--no-notify'], { env: { ...process.env, NAS_PASSWORD: 'secret' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    agent.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const output = await waitForOutput(agent, /EVENT login \[nas\/ups\]/);
      expect(output).not.toContain('secret');
      expect(await rig.numLogins('ups')).toBe(1);

      const clients = await nutSentinel(['clients', `ups@127.0.0.1:${rig.port}`, '--json']);
      const listed = JSON.parse(clients.stdout) as { numLogins: number; clients: { address: string }[] };
      expect(listed.numLogins).toBe(1);
      expect(listed.clients.map((c) => c.address)).toEqual(['127.0.0.1']);

      const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The master stops counting us right away (LOGOUT, not a 60 s idle cut).
      await until(async () => (await rig.numLogins('ups')) === 0, 3000);
    } finally {
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    expect(stderr).not.toContain('secret');
  });

  it('agent refuses an invalid config with file, line and reason', async () => {
    const configPath = path.join(dir, 'broken.json');
    await writeFile(configPath, '{\n  "masters": [\n    { "id": "nas", "label": "x", "host": "h", "port": "3493", "ups": [{ "name": "ups" }] }\n  ]\n}\n');
    const result = await nutSentinel(['agent', '--config', configPath, '--no-notify']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/broken\.json:3/);
    expect(result.stderr).toMatch(/port/);
  });
});
