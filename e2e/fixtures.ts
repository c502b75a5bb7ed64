/**
 * End-to-end fixtures: a real upsd rig, the real headless core + browser bridge as a separate
 * process (`node out/main/cli.js web`, exactly what `npm run web` runs), and Debian's Chromium
 * (configured in playwright.config.ts). The `app.api` client talks to the same bridge the page
 * uses, so tests can check what the API exposes (tray state, recorded notifications) next to
 * what the page shows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test as base, type Page } from '@playwright/test';
import WebSocket from 'ws';
import type { ConfigInput } from '../shared/config';
import type { InvokeChannel, RequestOf, ResponseOf } from '../shared/ipc';
import { type Rig, startUpsdRig } from '../main/testing/upsd-rig';

const root = path.resolve(import.meta.dirname, '..');
export const screenshotDir = path.join(root, 'e2e/screenshots');

export interface AppUnderTest {
  /** `http://127.0.0.1:<port>/#token=…` */
  url: string;
  dir: string;
  configPath: string;
  api<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Stop the process (SIGTERM → clean LOGOUT) and start it again on the same config and data. */
  restart(): Promise<void>;
  output(): string;
}

async function startWeb(configPath: string, dataDir: string, log: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(root, 'out/main/cli.js'), 'web', '--config', configPath, '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NUT_SENTINEL_LOG_LEVEL: 'info' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the web UI did not start:\n${log.join('')}`)), 20_000);
    let stdout = '';
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      stdout += chunk.toString();
      const match = /NUT Sentinel UI: (\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => log.push(c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the web UI exited with ${code}:\n${log.join('')}`));
    });
  });
  return { child, url };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A minimal bridge client for the test itself (the page has its own). */
async function apiCall(url: string, channel: string, request: unknown): Promise<unknown> {
  const parsed = new URL(url);
  const token = new URLSearchParams(parsed.hash.slice(1)).get('token') ?? '';
  const ws = new WebSocket(`ws://${parsed.host}/api?token=${encodeURIComponent(token)}`, { origin: `http://${parsed.host}` });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return await new Promise((resolve, reject) => {
      ws.on('message', (data: WebSocket.RawData) => {
        const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(new Uint8Array(data)).toString('utf8');
        const message = JSON.parse(text) as { id?: number; ok?: boolean; response?: unknown; error?: { message: string } };
        if (message.id !== 1) return;
        if (message.ok) resolve(message.response);
        else reject(new Error(message.error?.message ?? 'API error'));
      });
      ws.send(JSON.stringify({ id: 1, channel, request }));
    });
  } finally {
    ws.close();
  }
}

export const test = base.extend<{ rig: Rig; app: AppUnderTest; initialConfig: ConfigInput | null }>({
  initialConfig: [null, { option: true }],
  // eslint-disable-next-line no-empty-pattern
  rig: async ({}, use) => {
    const rig = await startUpsdRig();
    try {
      await use(rig);
    } finally {
      await rig.stop();
    }
  },
  app: async ({ initialConfig }, use) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-e2e-'));
    const configPath = path.join(dir, 'config.json');
    if (initialConfig) await writeFile(configPath, JSON.stringify(initialConfig, null, 2));
    const log: string[] = [];
    let running = await startWeb(configPath, dir, log);
    const app: AppUnderTest = {
      get url() {
        return running.url;
      },
      dir,
      configPath,
      api: async (channel, request) => (await apiCall(running.url, channel, request)) as never,
      restart: async () => {
        await stopProcess(running.child);
        running = await startWeb(configPath, dir, log);
      },
      output: () => log.join(''),
    };
    try {
      await use(app);
    } finally {
      await stopProcess(running.child);
      await rm(dir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Poll an API reading until it satisfies `check` (for state the page does not show). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}
