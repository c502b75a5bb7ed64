/**
 * Which program Settings' "Install the background service" registers. The desktop app's own
 * binary is Electron, which a service manager cannot run as a headless agent, so it is the
 * self-contained agent (`npm run dist:agent`): shipped next to the app in resources/agent, or
 * installed on PATH as `nut-sentinel` (the nut-sentinel-agent package puts it in /usr/bin —
 * and sets up the service itself). None found: Settings says what to install instead.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findOnPath } from '../service/elevate';
import type { AgentCommand } from '../service/units';

export function findServiceAgent(options: {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** Electron's process.resourcesPath (undefined outside Electron). */
  resourcesPath: string | undefined;
}): AgentCommand | null {
  const exe = options.platform === 'win32' ? 'nut-sentinel.exe' : 'nut-sentinel';
  const p = options.platform === 'win32' ? path.win32 : path.posix;
  if (options.resourcesPath) {
    const bundled = p.join(options.resourcesPath, 'agent', exe);
    if (existsSync(bundled)) return { program: bundled, prefix: [] };
  }
  const onPath = findOnPath('nut-sentinel', options.env, options.platform);
  return onPath ? { program: onPath, prefix: [] } : null;
}
