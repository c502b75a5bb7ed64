/**
 * `nut-sentinel web` when the bridge cannot listen (the port is taken): it says why and exits 1,
 * after logging out of the master and releasing the history file, as a Ctrl-C would.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { RIG_USERS, startUpsdRig } from '../main/testing/upsd-rig';
import { CLI_ENTRY } from '../main/testing/web-process';

const run = promisify(execFile);

test('web on a taken port: the reason, exit 1, logged out and history released', async () => {
  const rig = await startUpsdRig();
  const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-web-port-'));
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const configPath = path.join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        masters: [
          {
            id: 'nas',
            label: 'NAS',
            host: '127.0.0.1',
            port: rig.port,
            ups: [
              {
                name: 'ups',
                username: RIG_USERS.monuser.name,
                password: { source: 'env', name: 'NS_E2E_PASSWORD' },
              },
            ],
          },
        ],
        shutdown: { dryRun: true },
      }),
      { mode: 0o600 },
    );
    // No background service to attach to (a socket path nobody serves): this process monitors itself.
    const args = ['--port', String(port), '--control-socket', path.join(dir, 'no.sock')];
    const web = () =>
      run(process.execPath, [CLI_ENTRY, 'web', '--config', configPath, ...args], {
        env: {
          ...process.env,
          NS_E2E_PASSWORD: RIG_USERS.monuser.password,
          NUT_SENTINEL_LOG_LEVEL: 'info',
        },
        timeout: 30_000,
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const first = await web();
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(`Port ${port} on 127.0.0.1 is already taken by another program`);
    expect(await rig.numLogins('ups')).toBe(0);
    // The history file was released: the next run finds no lock of a process that is gone.
    const second = await web();
    expect(second.code).toBe(1);
    expect(second.stdout + second.stderr).not.toContain('cleared the lock');
  } finally {
    taken.close();
    await rig.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('web --demo stopped with Ctrl-C: logs out of the demo master before its daemons stop', async () => {
  // As a terminal does: SIGINT to the whole foreground process group.
  const child = spawn(process.execPath, [CLI_ENTRY, 'web', '--demo'], {
    detached: true,
    env: { ...process.env, NUT_SENTINEL_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await expect
      .poll(() => output, { timeout: 30_000 })
      .toContain('logged in: counted by the master');
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    const stopping = output.slice(output.indexOf('SIGINT: stopping'));
    expect(stopping).toContain('disconnected: monitoring stopped');
    expect(stopping).not.toMatch(/WARN|ERROR/);
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
});
