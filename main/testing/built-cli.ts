/**
 * The CLI as `npm run build` bundles it (main/vite.config.ts), built into a private folder for a
 * test file so tests exercise the shipped bundle, not the sources through tsx, and never race
 * another test over out/. The folder sits inside the repository so the bundle's external
 * packages (commander, zod, …) resolve from node_modules as they do from out/main.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'vite';

const root = path.resolve(import.meta.dirname, '../..');

export interface BuiltCli {
  /** The bundled entry: run it as `node <entry> …`. */
  entry: string;
  remove(): Promise<void>;
}

export async function buildCli(): Promise<BuiltCli> {
  const base = path.join(root, 'node_modules/.cache');
  await import('node:fs/promises').then((fs) => fs.mkdir(base, { recursive: true }));
  const dir = await mkdtemp(path.join(base, 'nut-sentinel-cli-'));
  await build({
    configFile: path.join(root, 'main/vite.config.ts'),
    logLevel: 'error',
    build: { outDir: dir, emptyOutDir: true, sourcemap: false },
  });
  return {
    entry: path.join(dir, 'cli.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
