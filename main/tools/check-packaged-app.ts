/**
 * Proof on a real binary (CI, Linux job): starts the PACKAGED app (electron-builder --dir
 * output) with a private user-data folder, waits until its log says the dashboard loaded from
 * nut-sentinel:// and the tray exists, asks it to quit with SIGTERM (Electron quits through
 * before-quit, so through our quit guard), and checks from main.log that the ordered teardown
 * ran and the app exited 0. Playwright cannot attach to this binary: its inspect fuse is off.
 *
 *   xvfb-run -a npx tsx main/tools/check-packaged-app.ts dist/linux-unpacked/nut-sentinel
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { USER_DATA_ENV } from '../electron/constants';
import { RENDERER_INDEX_URL } from '../electron/renderer-protocol';

/** The shell's teardown steps, in order (main/electron/shell.ts); flush-logs closes the file, so its own line is not in it. */
export const LOGGED_TEARDOWN_STEPS = [
  'mark-quitting',
  'stop-core',
  'cancel-timers',
  'dispose-ipc',
  'destroy-tray',
  'close-window',
] as const;

interface LogLine {
  msg: string;
  level?: string;
  step?: string;
  outcome?: string;
  url?: string;
  [key: string]: unknown;
}

export function parseLog(text: string): { lines: LogLine[]; problems: string[] } {
  const lines: LogLine[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    try {
      lines.push(JSON.parse(raw) as LogLine);
    } catch {
      problems.push(`main.log line ${index + 1} is not a JSON log line: ${raw.slice(0, 120)}`);
    }
  });
  return { lines, problems };
}

/** True once the app is up: the dashboard loaded from our scheme and the tray was created. */
export function isStarted(lines: readonly LogLine[]): boolean {
  return (
    lines.some((l) => l.msg === 'dashboard loaded') && lines.some((l) => l.msg === 'tray created')
  );
}

/** Everything wrong with the log of a start → quit run (empty: all good). */
export function checkPackagedLog(text: string): string[] {
  const { lines, problems } = parseLog(text);
  const loaded = lines.find((l) => l.msg === 'dashboard loaded');
  if (!loaded) problems.push('the dashboard never finished loading ("dashboard loaded" missing)');
  else if (typeof loaded.url !== 'string' || !loaded.url.startsWith(RENDERER_INDEX_URL))
    problems.push(`the dashboard loaded ${String(loaded.url)}, not ${RENDERER_INDEX_URL}`);
  if (!lines.some((l) => l.msg === 'tray created'))
    problems.push('the tray was never created ("tray created" missing)');
  for (const bad of [
    'dashboard failed to load',
    'startup failed',
    'renderer process gone: reloading the dashboard',
    'renderer request refused',
  ]) {
    const found = lines.find((l) => l.msg === bad);
    if (found) problems.push(`the log reports "${bad}": ${JSON.stringify(found)}`);
  }
  const started = lines.findIndex((l) => l.msg === 'teardown started');
  if (started < 0)
    problems.push('the quit did not go through the teardown ("teardown started" missing)');
  const steps = lines.slice(Math.max(0, started)).filter((l) => l.msg === 'teardown step done');
  const names = steps.map((l) => l.step);
  if (JSON.stringify(names) !== JSON.stringify(LOGGED_TEARDOWN_STEPS))
    problems.push(
      `teardown steps ran as [${names.join(', ')}], expected [${LOGGED_TEARDOWN_STEPS.join(', ')}]`,
    );
  for (const step of steps)
    if (step.outcome !== 'ok')
      problems.push(`teardown step ${String(step.step)} ended ${String(step.outcome)}`);
  if (lines.at(-1)?.msg !== 'stopped')
    problems.push(
      `the last line is ${JSON.stringify(lines.at(-1)?.msg)}, not "stopped" (logs not flushed in order)`,
    );
  return problems;
}

function exited(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const binary = argv[0];
  if (!binary || !existsSync(binary)) {
    console.error(
      `usage: check-packaged-app <packaged binary>, e.g. dist/linux-unpacked/nut-sentinel (got ${binary ?? 'nothing'})`,
    );
    return 2;
  }
  const userData = mkdtempSync(path.join(os.tmpdir(), 'nut-sentinel-packaged-'));
  const logFile = path.join(userData, 'logs', 'main.log');
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let output = '';
  const child = spawn(path.resolve(binary), [], {
    env: { ...process.env, [USER_DATA_ENV]: userData },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  try {
    const deadline = Date.now() + 90_000;
    while (!isStarted(parseLog(readLog()).lines)) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `the app exited early (code ${child.exitCode}, signal ${child.signalCode})`,
        );
      if (Date.now() > deadline)
        throw new Error('the app did not report "dashboard loaded" and "tray created" within 90 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.log('check-packaged-app: started (dashboard loaded, tray created); sending SIGTERM');
    child.kill('SIGTERM');
    const result = await exited(child, 30_000);
    if (result === 'timeout') throw new Error('the app did not exit within 30 s of SIGTERM');
    const problems = checkPackagedLog(readLog());
    if (result.code !== 0)
      problems.push(`the app exited with code ${result.code} (signal ${result.signal})`);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    console.log(
      'check-packaged-app: OK — dashboard loaded from nut-sentinel://, tray created, ordered teardown, exit 0',
    );
    return 0;
  } catch (error) {
    console.error(
      `check-packaged-app: FAILED\n${(error as Error).message}\n--- main.log ---\n${readLog()}\n--- app output ---\n${output}`,
    );
    return 1;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(userData, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
