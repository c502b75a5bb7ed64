import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Node-side bundles: the Electron main process (app.js), the headless CLI/agent (cli.js) and
// the preload (preload.cjs). Sandboxed preloads cannot be ES modules, so the preload is built
// as CommonJS in a second pass (`--mode preload`). Dependencies stay external (node_modules
// ships with the app); only our own code is bundled.
const root = fileURLToPath(new URL('..', import.meta.url));
const external = [
  'electron',
  /^node:/,
  ...builtinModules,
  'zod',
  'ws',
  'node-notifier',
  'node-sqlite3-wasm',
];

export default defineConfig(({ mode }) => {
  const preload = mode === 'preload';
  const input: Record<string, string> = preload
    ? { preload: 'main/electron/preload.ts' }
    : { app: 'main/electron/app.ts', cli: 'main/cli/index.ts' };
  return {
    root,
    publicDir: false,
    build: {
      outDir: 'out/main',
      emptyOutDir: !preload,
      ssr: true,
      target: 'node20',
      sourcemap: true,
      minify: false,
      rollupOptions: {
        input,
        external: preload ? ['electron'] : external,
        output: preload
          ? { format: 'cjs', entryFileNames: '[name].cjs' }
          : {
              format: 'es',
              entryFileNames: '[name].js',
              chunkFileNames: 'chunks/[name]-[hash].js',
            },
      },
    },
  };
});
