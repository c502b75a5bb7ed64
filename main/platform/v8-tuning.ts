/**
 * V8 settings for a long-running, mostly idle monitor (the agent and the tray app's main process).
 *
 * WebAssembly: SQLite (node-sqlite3-wasm, the history store) runs on Liftoff, V8's baseline wasm
 * compiler, only. By default V8 also recompiles SQLite's hot functions with TurboFan in the
 * background; for a process that writes a few rows every 5 s that costs ~40 MB of peak RSS
 * (measured: 20-UPS agent ~130 → ~90 MB) and background CPU, while history queries get slower
 * without it (see `npm run bench -- history`).
 *
 * Young generation: kept at its initial size instead of growing in start-up bursts and then
 * holding the pages; the agent allocates ~0.5 MB/s, so scavenges stay small and rare.
 *
 * A V8 flag set at run time only affects code compiled afterwards: a wasm module compiled before
 * keeps tiering up. So main/history/sqlite.ts runs it right before loading the package (an
 * `import` at the top of an entry point would not do: imports of external packages are hoisted
 * above it in the bundles); the CLI also runs it first and imports everything else lazily.
 */
import v8 from 'node:v8';

let applied = false;

/** Idempotent; call before any WebAssembly module the flags should apply to is compiled. */
export function applyV8Tuning(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString('--liftoff-only');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
