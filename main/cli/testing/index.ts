/**
 * Runs `nut-sentinel` in-process for unit tests: captured stdout/stderr and the exit code. In a
 * testing/ folder like every test helper, so lint keeps product code from importing it.
 */
import { Writable } from 'node:stream';
import { runCli } from '../program';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCliCaptured(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const code = await runCli(argv, { out: out.stream, err: err.stream, env });
  return { code, stdout: out.text(), stderr: err.text() };
}
