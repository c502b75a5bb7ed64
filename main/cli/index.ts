#!/usr/bin/env node
/**
 * `nut-sentinel`: the headless face of the core under plain Node (and in the self-contained agent).
 * The commands live in ./commands (one module each, registered in ./commands/index.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyV8Tuning } from '../platform/v8-tuning';
import { runCli } from './program';

// Before anything big is loaded (zod, the core, SQLite): the V8 settings apply to what follows.
// Commands import what they need inside their actions.
applyV8Tuning();

export function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, { out: process.stdout, err: process.stderr, env: process.env });
}

const invokedDirectly =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
