import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeProcessRunner, createConsoleLogger, systemClock } from './node-ports';

let dir: string;

function script(name: string, body: string, mode = 0o755): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

/** Running (a zombie left to a non-reaping PID 1 in a container counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'node-ports-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('systemClock', () => {
  it('tells wall and monotonic time and runs and cancels timers', async () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50);
    const m0 = systemClock.monotonic();
    let fired = 0;
    const cancelled = systemClock.setTimeout(() => (fired += 100), 5);
    systemClock.clearTimeout(cancelled);
    await new Promise<void>((resolve) => systemClock.setTimeout(() => (fired++, resolve()), 20));
    expect(fired).toBe(1);
    expect(systemClock.monotonic() - m0).toBeGreaterThanOrEqual(15);
  });
});

describe('NodeProcessRunner', () => {
  const runner = new NodeProcessRunner({ killGraceMs: 500 });

  it('captures exit code, stdout and stderr; env is merged onto process.env; cwd applies', async () => {
    const file = script(
      'ok.sh',
      'echo "out:$HOOK_VAR:$PWD"; [ -n "$PATH" ] && echo "path set"; echo err >&2; exit 3',
    );
    let spawnedPid: number | undefined;
    const r = await runner.run(file, [], {
      env: { HOOK_VAR: 'v1' },
      timeoutMs: 5000,
      cwd: dir,
      onSpawn: (pid) => (spawnedPid = pid),
    });
    expect(r.exitCode).toBe(3);
    expect(r.signal).toBeNull();
    expect(r.timedOut).toBe(false);
    expect(r.spawnError).toBeUndefined();
    expect(r.stdout).toBe(`out:v1:${dir}\npath set\n`);
    expect(r.stderr).toBe('err\n');
    expect(spawnedPid).toBeGreaterThan(0);
    expect(r.startedAt).toBeLessThanOrEqual(Date.now());
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('passes arguments literally, without a shell', async () => {
    const file = script('args.sh', 'for a in "$@"; do printf "[%s]\\n" "$a"; done');
    const marker = join(dir, 'injected');
    const r = await runner.run(file, ['a b', `$(touch ${marker})`, '; touch ' + marker, '*'], {
      timeoutMs: 5000,
    });
    expect(r.stdout).toBe(`[a b]\n[$(touch ${marker})]\n[; touch ${marker}]\n[*]\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps only the last bytes of a large output', async () => {
    const small = new NodeProcessRunner({ maxOutputBytes: 1000 });
    const file = script(
      'big.sh',
      'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo END',
    );
    const r = await small.run(file, [], { timeoutMs: 10_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.endsWith('line 1999\nEND\n')).toBe(true);
    expect(r.stdout).toMatch(/^\[… \d+ earlier bytes dropped\]\n/);
    const body = r.stdout.replace(/^\[[^\]]*\]\n/, '');
    expect(Buffer.byteLength(body)).toBe(1000);
  });

  it('kills a hanging program at its timeout: SIGTERM first', async () => {
    const file = script('hang.sh', 'echo started; exec sleep 30');
    const t0 = Date.now();
    const r = await runner.run(file, [], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGTERM');
    expect(r.exitCode).toBeNull();
    expect(r.stdout).toBe('started\n');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('escalates to SIGKILL when SIGTERM is ignored, and kills the whole process group', async () => {
    const pidFile = join(dir, 'child.pid');
    const file = script(
      'stubborn.sh',
      `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait; wait; sleep 30`,
    );
    const t0 = Date.now();
    const r = await runner.run(file, [], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(4000);
    const childPid = Number(readFileSync(pidFile, 'utf8'));
    // The background sleep was in the same group: gone too (allow the kernel a moment to reap).
    for (let i = 0; i < 20 && alive(childPid); i++) await new Promise((r2) => setTimeout(r2, 50));
    expect(alive(childPid)).toBe(false);
  });

  it('concludes soon after the program exits even if a background child keeps its output pipe open', async () => {
    const pidFile = join(dir, 'daemon.pid');
    const file = script('daemonize.sh', `sleep 5 & echo $! > ${pidFile}; echo parent-done; exit 0`);
    const t0 = Date.now();
    const r = await runner.run(file, [], { timeoutMs: 10_000 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'parent-done\n' });
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  });

  it('reports a missing program as spawnError (ENOENT) with what to do', async () => {
    const r = await runner.run(join(dir, 'nope'), ['x'], {
      timeoutMs: 1000,
      onSpawn: () => expect.fail('must not be called'),
    });
    expect(r.exitCode).toBeNull();
    expect(r.spawnError).toMatch(/not found \(ENOENT\).*absolute path/);
  });

  it('reports a non-executable file as spawnError (EACCES) with chmod advice', async () => {
    const file = script('noexec.sh', 'echo hi', 0o644);
    const r = await runner.run(file, [], { timeoutMs: 1000 });
    expect(r.spawnError).toMatch(/permission denied \(EACCES\).*chmod \+x/);
  });

  it('a missing interpreter is explained as ENOENT too', async () => {
    const file = join(dir, 'badshebang.sh');
    writeFileSync(file, '#!/no/such/interpreter\necho hi\n');
    chmodSync(file, 0o755);
    const r = await runner.run(file, [], { timeoutMs: 1000 });
    expect(r.spawnError).toMatch(/ENOENT.*interpreter/);
  });
});

describe('console logger', () => {
  it('filters by level and writes one line to stderr', () => {
    const lines: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    try {
      const logger = createConsoleLogger('warn');
      logger.log('info', 'hidden');
      logger.log('error', 'shown', { a: 1 });
    } finally {
      process.stderr.write = original;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ERROR shown \{"a":1\}\n$/);
  });
});
