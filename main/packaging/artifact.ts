/** Where `npm run dist:agent` put this machine's artifacts (for the artifact tests and the bench). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './agent-build';
import { executableName, hostTarget } from './targets';

export function builtAgentExecutable(version: string): string {
  const target = hostTarget();
  if (!target) throw new Error(`no agent target for ${process.platform}-${process.arch}`);
  const file = path.join(
    ROOT,
    'dist/agent',
    `nut-sentinel-agent-${version}-${target}`,
    executableName(target),
  );
  if (!existsSync(file))
    throw new Error(`${path.relative(ROOT, file)} is missing: run \`npm run dist:agent\` first`);
  return file;
}
