/**
 * The environment of every program the core starts (hooks, upssched commands, NOTIFYCMD, the
 * shutdown command): an allow-list, not the agent's whole environment, because the agent's
 * environment commonly holds the NUT password (`{ "source": "env" }`) and other secrets.
 *
 * Children get PATH, HOME, USER, LOGNAME, LANG, LC_*, TZ (and on Windows SystemRoot, ComSpec,
 * windir, PATHEXT), the names the config lists in `hooks.passEnvironment`, and what the caller
 * adds (NOTIFYTYPE, UPSNAME, NOTIFYMSG). A variable the config names as a secret source is never
 * passed, even when listed.
 */

const POSIX_NAMES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'TZ'];
const WINDOWS_NAMES = ['PATH', 'SystemRoot', 'ComSpec', 'windir', 'PATHEXT', 'TZ', 'LANG'];

export interface ChildEnvironmentPolicy {
  /** Extra names to pass (hooks.passEnvironment). */
  pass: readonly string[];
  /** Names never passed: every environment variable the config reads a secret from. */
  withhold: readonly string[];
}

export const NO_EXTRA_ENVIRONMENT: ChildEnvironmentPolicy = { pass: [], withhold: [] };

export function childEnvironment(
  parent: NodeJS.ProcessEnv,
  policy: ChildEnvironmentPolicy,
  platform: NodeJS.Platform = process.platform,
): Record<string, string> {
  // Windows names are case-insensitive (Path, PATH); POSIX names are not.
  const fold = platform === 'win32' ? (name: string) => name.toUpperCase() : (name: string) => name;
  const allowed = new Set(
    [...(platform === 'win32' ? WINDOWS_NAMES : POSIX_NAMES), ...policy.pass].map(fold),
  );
  const withheld = new Set(policy.withhold.map(fold));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    const key = fold(name);
    if (withheld.has(key)) continue;
    if (allowed.has(key) || name.startsWith('LC_')) env[name] = value;
  }
  return env;
}

/** Every `{ source: "env", name }` anywhere in a config (NUT passwords, channel secrets, …). */
export function secretEnvironmentNames(config: unknown): string[] {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (record.source === 'env' && typeof record.name === 'string') names.add(record.name);
    for (const child of Object.values(record)) visit(child);
  };
  visit(config);
  return [...names];
}
