/**
 * The real agent as a separate process (`node out/main/cli.js agent`, the bundle `npm run build`
 * makes) with its control socket open, for tests of the front ends that attach to it. Started
 * through setpriv --pdeathsig like the rig's daemons, so it dies with the test process.
 */
import { waitFor } from './net';
import { CLI_ENTRY, spawnCliProcess } from './web-process';

export interface AgentProcess {
  output(): string;
  /** SIGTERM (LOGOUT, then the socket closes), SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startAgentProcess(options: {
  configPath: string;
  dataDir: string;
  controlSocket: string;
  /** Only members of this group may connect (default root: the test runner only). */
  controlGroup?: string;
  env?: NodeJS.ProcessEnv;
  /** Output that says it is monitoring (default: the first LOGIN event). */
  ready?: RegExp;
  /** The bundled CLI to run (default out/main/cli.js; integration tests pass their buildCli() bundle). */
  entry?: string;
}): Promise<AgentProcess> {
  let output = '';
  const args = [
    options.entry ?? CLI_ENTRY,
    'agent',
    '--config',
    options.configPath,
    '--data-dir',
    options.dataDir,
    '--no-notify',
    '--control-socket',
    options.controlSocket,
    '--control-group',
    options.controlGroup ?? 'root',
  ];
  const env = { ...process.env, ...options.env };
  const { child, stop } = spawnCliProcess(args, env);
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const ready = options.ready ?? /EVENT login \[/i;
    await waitFor(() => child.exitCode !== null || ready.test(output), {
      timeoutMs: 20_000,
      description: 'the agent to be ready',
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}; its output:\n${output}`);
    });
    if (!ready.test(output)) throw new Error(`the agent exited (${child.exitCode}):\n${output}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { output: () => output, stop };
}
