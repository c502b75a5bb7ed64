/**
 * Benches that measure what `npm run build` produced (the shipped agent, the served renderer) do
 * not build themselves: a build rewrites out/, which the e2e tests and a running `npm run web`
 * use, and takes its own time. They refuse to run without the build and warn when it is stale.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

const rel = (file: string): string => path.relative(ROOT, file) || file;

/** The newest source file that goes into out/ (tests, benches and tools do not). */
function newestSource(): { file: string; mtimeMs: number } | null {
  let newest: { file: string; mtimeMs: number } | null = null;
  const skip = new Set(['node_modules', 'out', 'bench', 'testing', 'tools', 'e2e']);
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skip.has(entry.name)) walk(full);
      } else if (
        /\.(tsx?|css|html)$/.test(entry.name) &&
        !/\.(test|spec)\.tsx?$/.test(entry.name)
      ) {
        const mtimeMs = fs.statSync(full).mtimeMs;
        if (!newest || mtimeMs > newest.mtimeMs) newest = { file: full, mtimeMs };
      }
    }
  };
  for (const dir of ['renderer', 'shared', 'main']) {
    if (fs.existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir));
  }
  return newest;
}

/**
 * Throws when one of the `built` files is missing; returns a warning when a source is newer than
 * the build, else null. `bench` names the bench in the advice.
 */
export function checkBuild(built: readonly string[], bench: string): string | null {
  const missing = built.filter((file) => !fs.existsSync(file));
  if (missing.length > 0) {
    throw new Error(
      `the app is not built (${missing.map(rel).join(', ')} missing): run \`npm run build\`, then \`npm run bench -- ${bench}\``,
    );
  }
  const builtAt = Math.min(...built.map((file) => fs.statSync(file).mtimeMs));
  const newest = newestSource();
  if (newest && newest.mtimeMs > builtAt + 1000) {
    return `${rel(newest.file)} is newer than out/ (built ${new Date(builtAt).toISOString()}): these figures are for the last build; run \`npm run build\` for the current sources`;
  }
  return null;
}
