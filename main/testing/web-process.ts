/**
 * The real headless core + browser bridge as a separate process (`node out/main/cli.js web`,
 * exactly what `npm run web` runs), and a minimal client of its WebSocket API, for the e2e
 * tests and the renderer benchmark.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { InvokeChannel, RequestOf, ResponseOf } from '../../shared/ipc';

const root = path.resolve(import.meta.dirname, '../..');
export const CLI_ENTRY = path.join(root, 'out/main/cli.js');

export interface WebProcess {
  /** `http://127.0.0.1:<port>/#token=…` */
  readonly url: string;
  output(): string;
  /** SIGTERM (the core logs out of every master), SIGKILL after 10 s; the exit code. Idempotent. */
  stop(): Promise<number | null>;
}

export async function startWebProcess(options: {
  configPath: string;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  args?: string[];
}): Promise<WebProcess> {
  const log: string[] = [];
  const remember = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 400) log.splice(0, 100);
  };
  // --print-url: the tokenised URL, which `web` only prints on request (on stderr).
  const args = [
    CLI_ENTRY,
    'web',
    '--config',
    options.configPath,
    '--data-dir',
    options.dataDir,
    '--print-url',
    ...(options.args ?? []),
  ];
  const env = { ...process.env, NUT_SENTINEL_LOG_LEVEL: 'info', ...options.env };
  const { child, stop } = spawnCliProcess(args, env);
  child.stdout?.on('data', remember);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the web UI did not start within 20 s:\n${log.join('')}`)),
        20_000,
      );
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        remember(chunk);
        stderr += chunk.toString();
        const match = /NUT Sentinel UI with its access token[^:]*: (\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the web UI exited (${signal ?? code}):\n${log.join('')}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return { url, output: () => log.join(''), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface CliProcess {
  child: ChildProcess;
  /** SIGTERM, SIGKILL after 10 s; resolves with the exit code (null when killed). Idempotent. */
  stop: () => Promise<number | null>;
}

/**
 * Starts `node <args>` for a test. Through setpriv --pdeathsig (like the rig's daemons) and an exit
 * handler, so the child dies with this process even on a hard kill.
 */
export function spawnCliProcess(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child: ChildProcess = fs.existsSync('/usr/bin/setpriv')
    ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'SIGKILL', '--', process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const stop = async (): Promise<number | null> => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', (code) => {
        clearTimeout(kill);
        resolve(code);
      });
      child.kill('SIGTERM');
    });
  };
  return { child, stop };
}

/** One request on the bridge's WebSocket API, as the page makes them. */
export async function bridgeInvoke<C extends InvokeChannel>(
  url: string,
  channel: C,
  request: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const parsed = new URL(url);
  const token = new URLSearchParams(parsed.hash.slice(1)).get('token') ?? '';
  const ws = new WebSocket(`ws://${parsed.host}/api?token=${encodeURIComponent(token)}`, {
    origin: `http://${parsed.host}`,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return await new Promise<ResponseOf<C>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${channel}: no answer within 10 s`)),
        10_000,
      );
      ws.on('message', (data: WebSocket.RawData) => {
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString()
          : Buffer.isBuffer(data)
            ? data.toString()
            : Buffer.from(new Uint8Array(data)).toString();
        const message = JSON.parse(text) as {
          id?: number;
          ok?: boolean;
          response?: unknown;
          error?: { message: string };
        };
        if (message.id !== 1) return;
        clearTimeout(timer);
        if (message.ok) resolve(message.response as ResponseOf<C>);
        else reject(new Error(message.error?.message ?? 'API error'));
      });
      ws.send(JSON.stringify({ id: 1, channel, request }));
    });
  } finally {
    ws.close();
  }
}
