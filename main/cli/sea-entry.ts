/**
 * Entry of the self-contained agent (`npm run dist:agent`, main/tools/dist-agent.ts): the whole
 * CLI bundled into one CommonJS file and injected into a Node binary as a single executable
 * application. The SQLite WebAssembly module is an asset of the executable; it is handed to
 * node-sqlite3-wasm (whose loader the bundler points at `SQLITE_WASM_GLOBAL`) only when history
 * is opened, straight from the executable's mapped memory (getRawAsset: no copy).
 */
import { getRawAsset, isSea } from 'node:sea';
import { applyV8Tuning } from '../platform/v8-tuning';
import { runCli } from './program';
import { SQLITE_WASM_ASSET, SQLITE_WASM_GLOBAL } from './sea-entry-names';

applyV8Tuning();
Object.defineProperty(globalThis, SQLITE_WASM_GLOBAL, {
  get: () => (isSea() ? getRawAsset(SQLITE_WASM_ASSET) : undefined),
  configurable: true,
});

// A single executable application's argv is [executable, executable, ...arguments], as node's.
runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
