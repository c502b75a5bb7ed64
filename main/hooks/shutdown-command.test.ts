import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShutdownSchema } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import { NodeProcessRunner } from '../platform/node-ports';
import type { ProcessRunner } from '../platform/ports';
import { defaultShutdownCommand, runShutdownCommand } from './shutdown-command';
import { FakeClock } from '../testing/fake-clock';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shutdown-step-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('default shutdown commands', () => {
  it('Linux: /sbin/shutdown -h +0 (upsmon default), falling back on merged-/usr systems and to systemctl poweroff', () => {
    expect(defaultShutdownCommand('linux', (p) => p === '/sbin/shutdown')).toEqual({
      file: '/sbin/shutdown',
      args: ['-h', '+0'],
    });
    expect(defaultShutdownCommand('linux', (p) => p === '/usr/bin/shutdown')).toEqual({
      file: '/usr/bin/shutdown',
      args: ['-h', '+0'],
    });
    expect(defaultShutdownCommand('linux', (p) => p === '/usr/bin/systemctl')).toEqual({
      file: '/usr/bin/systemctl',
      args: ['poweroff'],
    });
    expect(defaultShutdownCommand('linux', () => false)).toEqual({
      file: '/sbin/shutdown',
      args: ['-h', '+0'],
    });
  });

  it('macOS, BSD and Windows', () => {
    expect(defaultShutdownCommand('darwin')).toEqual({
      file: '/sbin/shutdown',
      args: ['-h', 'now'],
    });
    expect(defaultShutdownCommand('freebsd')).toEqual({
      file: '/sbin/shutdown',
      args: ['-p', 'now'],
    });
    expect(defaultShutdownCommand('win32', () => true, { SystemRoot: 'D:\\WINNT' })).toEqual({
      file: 'D:\\WINNT\\System32\\shutdown.exe',
      args: ['/s', '/f', '/t', '0'],
    });
    expect(defaultShutdownCommand('win32', () => true, {}).file).toBe(
      'C:\\Windows\\System32\\shutdown.exe',
    );
  });
});

describe('shutdown step', () => {
  it('dry run records what would run and runs nothing', async () => {
    const events: StoredEvent[] = [];
    const calls: string[] = [];
    const runner: ProcessRunner = {
      run: (file) => {
        calls.push(file);
        return Promise.reject(new Error('must not run'));
      },
    };
    const started = await runShutdownCommand({
      config: ShutdownSchema.parse({ dryRun: true }),
      runner,
      clock: new FakeClock(),
      sink: (e) => events.push(e),
      monitorId: 'nas/ups',
      reason: 'FSD on ups@nas',
      platform: 'linux',
    });
    expect(calls).toEqual([]);
    expect(started).toMatchObject({ dryRun: true, started: true });
    expect(await started.completion).toBeNull();
    expect(events).toHaveLength(1);
    const command = defaultShutdownCommand('linux');
    expect(events[0]).toMatchObject({
      kind: 'hook',
      type: 'SHUTDOWN_COMMAND',
      monitorId: 'nas/ups',
      data: {
        phase: 'dry-run',
        dryRun: true,
        wouldRun: { program: command.file, args: command.args },
        default: true,
      },
    });
    expect(events[0]!.message).toBe(
      `Dry run: would run ${command.file} ${command.args.join(' ')} (FSD on ups@nas)`,
    );
  });

  it('dry run of a configured command masks secrets in what it records', async () => {
    const events: StoredEvent[] = [];
    await runShutdownCommand({
      config: ShutdownSchema.parse({
        dryRun: true,
        command: { file: '/usr/local/bin/poweroff-all', args: ['--token', 'T0KEN-xyz'] },
      }),
      runner: new NodeProcessRunner(),
      clock: new FakeClock(),
      sink: (e) => events.push(e),
    });
    expect(JSON.stringify(events)).not.toContain('T0KEN-xyz');
    expect(events[0]!.data!.wouldRun).toEqual({
      program: '/usr/local/bin/poweroff-all',
      args: ['--token', '[REDACTED]'],
    });
  });

  it('runs a real harmless command, returning when it has STARTED, with completion later', async () => {
    const marker = join(dir, 'done');
    const gate = join(dir, 'gate');
    // Waits until the test opens the gate: the step must have returned before the command ends.
    const file = write(
      'fake-shutdown.sh',
      `while [ ! -e ${gate} ]; do sleep 0.05; done\necho "powering off $1" ; touch ${marker}`,
    );
    const events: StoredEvent[] = [];
    const started = await runShutdownCommand({
      config: ShutdownSchema.parse({ command: { file, args: ['now'] }, timeoutSeconds: 10 }),
      runner: new NodeProcessRunner(),
      clock: new FakeClock(),
      sink: (e) => events.push(e),
      monitorId: 'nas/ups',
    });
    expect(started).toMatchObject({
      dryRun: false,
      started: true,
      command: { file, args: ['now'] },
    });
    expect(existsSync(marker)).toBe(false);
    expect(events.map((e) => e.data!.phase)).toEqual(['started']);
    expect(events[0]).toMatchObject({
      severity: 'critical',
      data: { program: file, args: ['now'], pid: expect.any(Number) },
    });
    writeFileSync(gate, '');
    const result = await started.completion;
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'powering off now\n' });
    expect(existsSync(marker)).toBe(true);
    expect(events.map((e) => e.data!.phase)).toEqual(['started', 'finished']);
    expect(events[1]).toMatchObject({
      severity: 'info',
      data: { exitCode: 0, stdout: 'powering off now\n' },
    });
  });

  it('a command that cannot start resolves at once with started=false and an actionable error', async () => {
    const events: StoredEvent[] = [];
    const started = await runShutdownCommand({
      config: ShutdownSchema.parse({ command: { file: join(dir, 'no-such-shutdown') } }),
      runner: new NodeProcessRunner(),
      clock: new FakeClock(),
      sink: (e) => events.push(e),
    });
    expect(started.started).toBe(false);
    expect(started.spawnError).toMatch(/ENOENT/);
    expect(events).toEqual([
      expect.objectContaining({
        severity: 'critical',
        data: expect.objectContaining({ phase: 'failed' }),
      }),
    ]);
    expect((await started.completion)?.spawnError).toMatch(/ENOENT/);
  });

  it('a hanging command is killed at the configured timeout', async () => {
    const file = write('hang-shutdown.sh', 'exec sleep 60');
    const events: StoredEvent[] = [];
    const started = await runShutdownCommand({
      config: ShutdownSchema.parse({ command: { file }, timeoutSeconds: 1 }),
      runner: new NodeProcessRunner({ killGraceMs: 500 }),
      clock: new FakeClock(),
      sink: (e) => events.push(e),
    });
    expect(started.started).toBe(true);
    const result = await started.completion;
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
    expect(events[1]).toMatchObject({
      severity: 'critical',
      message: 'Shutdown command timed out after 1 s and was killed',
    });
  });

  it('with a runner that cannot report the start, it returns at completion', async () => {
    const events: StoredEvent[] = [];
    const runner: ProcessRunner = {
      run: () =>
        Promise.resolve({
          exitCode: 0,
          signal: null,
          stdout: '',
          stderr: '',
          timedOut: false,
          startedAt: 0,
          durationMs: 1,
        }),
    };
    const started = await runShutdownCommand({
      config: ShutdownSchema.parse({ command: { file: '/bin/true' } }),
      runner,
      clock: new FakeClock(),
      sink: (e) => events.push(e),
    });
    expect(started.started).toBe(true);
    expect(events.map((e) => e.data!.phase)).toEqual(['started', 'finished']);
  });
});
