/**
 * The platforms the self-contained agent is built for, and the one Node.js version it carries.
 * Node 22 (LTS until April 2027): every target's binary is on the npm registry at this version
 * (packages node-<os>-<arch>, `npm pack`), except darwin-arm64, whose registry package stops at
 * 18.x — the macOS CI job uses the Node that actions/setup-node installs at this version instead.
 */
export const AGENT_NODE_VERSION = '22.23.3';

export const AGENT_TARGETS = [
  'linux-x64',
  'linux-arm64',
  'win-x64',
  'darwin-x64',
  'darwin-arm64',
] as const;
export type AgentTarget = (typeof AGENT_TARGETS)[number];

export function isAgentTarget(text: string): text is AgentTarget {
  return (AGENT_TARGETS as readonly string[]).includes(text);
}

export function targetOs(target: AgentTarget): 'linux' | 'win' | 'darwin' {
  return target.split('-')[0] as 'linux' | 'win' | 'darwin';
}

/** The target this machine runs, if it is one. */
export function hostTarget(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): AgentTarget | null {
  const os = platform === 'win32' ? 'win' : platform;
  const name = `${os}-${arch}`;
  return isAgentTarget(name) ? name : null;
}

/** Debian's name for the target's architecture (linux only). */
export function debianArch(target: AgentTarget): 'amd64' | 'arm64' {
  if (target === 'linux-x64') return 'amd64';
  if (target === 'linux-arm64') return 'arm64';
  throw new Error(`${target} has no Debian package`);
}

/** The executable's file name inside the artifact folder. */
export function executableName(target: AgentTarget): string {
  return targetOs(target) === 'win' ? 'nut-sentinel.exe' : 'nut-sentinel';
}
