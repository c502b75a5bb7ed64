/**
 * `nut-sentinel web --demo` stopped as a terminal does: it logs out of the demo master before
 * stopping the demo's daemons. (A taken port is refused before anything starts:
 * main/cli/cli.integration.test.ts.)
 */
import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { CLI_ENTRY } from '../main/testing/web-process';

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
