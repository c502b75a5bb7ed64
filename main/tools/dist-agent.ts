/**
 * `npm run dist:agent [-- --target linux-x64,linux-arm64|all] [--node-binary PATH] [--no-deb]`:
 * the self-contained agent (main/packaging/agent-build.ts) for this machine's platform by default, and
 * the Debian package for each Linux target (main/packaging/deb.ts), into dist/agent/.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { bundleAgent, buildAgentExecutable, ROOT } from '../packaging/agent-build';
import {
  AGENT_TARGETS,
  type AgentTarget,
  hostTarget,
  isAgentTarget,
  targetOs,
} from '../packaging/targets';

function targets(text: string): AgentTarget[] {
  if (text === 'all') return [...AGENT_TARGETS];
  const list = text.split(',').map((t) => t.trim());
  for (const t of list)
    if (!isAgentTarget(t))
      throw new InvalidArgumentError(
        `unknown target ${t} (have: ${AGENT_TARGETS.join(', ')}, all)`,
      );
  return list as AgentTarget[];
}

const program = new Command('dist:agent')
  .option(
    '--target <list>',
    `comma-separated targets or "all" (${AGENT_TARGETS.join(', ')})`,
    targets,
  )
  .option(
    '--node-binary <file>',
    'the node binary to inject into (one target only; default: from the npm registry)',
  )
  .option('--no-deb', 'skip the Debian package of Linux targets')
  .option('--out <dir>', 'output folder', path.join(ROOT, 'dist/agent'))
  .parse();
const options = program.opts<{
  target?: AgentTarget[];
  nodeBinary?: string;
  deb: boolean;
  out: string;
}>();

const host = hostTarget();
const chosen = options.target ?? (host ? [host] : []);
if (chosen.length === 0)
  program.error(
    `this machine (${process.platform}-${process.arch}) is not a target; pass --target`,
  );
if (options.nodeBinary && chosen.length !== 1)
  program.error('--node-binary is for one target at a time');

const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
};
const log = (line: string) => process.stdout.write(`dist:agent: ${line}\n`);
const outDir = path.resolve(options.out);
const bundle = await bundleAgent(path.join(outDir, 'build'), log);
for (const target of chosen) {
  const artifact = await buildAgentExecutable({
    target,
    version,
    outDir,
    bundle,
    log,
    ...(options.nodeBinary ? { nodeBinary: path.resolve(options.nodeBinary) } : {}),
  });
  if (options.deb && targetOs(target) === 'linux') {
    const { buildDeb } = await import('../packaging/deb');
    await buildDeb({ target, version, executable: artifact.executable, outDir, log });
  }
}
