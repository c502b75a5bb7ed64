/**
 * `npm run test:dist`: builds this machine's self-contained agent and Debian package
 * (`npm run dist:agent`), then runs the artifact tests (main/vitest.dist.config.ts) against them
 * and the history store's tests on the agent's SQLite engine (main/vitest.native-sqlite.config.ts)
 * under the agent's own node.
 * Linux only: the artifact tests install a .deb and run the agent against a real upsd; the
 * other platforms' artifacts are built (and smoke-tested) by .github/workflows/release.yml.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentNodeHere } from '../packaging/agent-build';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
if (process.platform !== 'linux') {
  process.stdout.write(
    'test:dist: the artifact tests run on Linux; release.yml builds and smoke-tests the other platforms.\n',
  );
  process.exit(0);
}
function step(file: string, args: string[]): void {
  const result = spawnSync(file, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
step(process.execPath, ['--import', 'tsx', path.join(root, 'main/tools/dist-agent.ts')]);
step(process.execPath, [vitest, 'run', '--config', path.join(root, 'main/vitest.dist.config.ts')]);
step(await agentNodeHere((line) => process.stdout.write(`${line}\n`)), [
  vitest,
  'run',
  '--config',
  path.join(root, 'main/vitest.native-sqlite.config.ts'),
]);
