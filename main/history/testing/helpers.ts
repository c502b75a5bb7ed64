/** Fixtures shared by the history tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetricSample, StoredEvent } from '../../../shared/history';

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nut-sentinel-history-test-'));
}

// The history tests use the shared fake clock; re-exported so their imports stay short.
export { FakeClock } from '../../testing/fake-clock';

export function event(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    at: Date.UTC(2025, 0, 1),
    monitorId: 'nas/ups',
    kind: 'notify',
    type: 'ONBATT',
    severity: 'warning',
    message: 'UPS ups@nas on battery',
    ...overrides,
  };
}

export function sample(at: number, overrides: Partial<MetricSample> = {}): MetricSample {
  return {
    at,
    monitorId: 'nas/ups',
    charge: 100,
    runtime: 1800,
    load: 20,
    inputVoltage: 230,
    status: 'OL',
    ...overrides,
  };
}

const childScript = fileURLToPath(new URL('./history-child.ts', import.meta.url));

/** Runs testing/history-child.ts in its own Node process. */
export function spawnChild(mode: 'crash' | 'hold', dbPath: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', childScript, mode, dbPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the child's first stdout line; rejects with its stderr if it exits first. */
export function firstLine(child: ChildProcess, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`child gave no line in ${timeoutMs} ms; stderr: ${err}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, newline));
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!out.includes('\n'))
        reject(
          new Error(
            `child exited (${code ?? signal}) before a line; stderr: ${err.slice(0, 2000)}`,
          ),
        );
    });
  });
}

export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}
