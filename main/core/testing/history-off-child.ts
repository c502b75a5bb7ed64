/**
 * Child process of history-off.test.ts: runs the app core with `history.enabled: false` in the
 * data folder given as argv[2] (config.json written there by the test) and prints one JSON line
 * saying whether node-sqlite3-wasm was loaded and what the event log returned.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { createAppCore } from '../app-core';

const dataDir = process.argv[2]!;
const core = await createAppCore({
  configPath: path.join(dataDir, 'config.json'),
  dataDir,
  secrets: null,
  notifier: null,
  logger: { log: () => undefined },
});
await core.start();
const events = await core.handlers['events:query']({ limit: 100 });
await core.stop();
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((file) =>
  /node-sqlite3-wasm/.test(file),
);
process.stdout.write(
  `${JSON.stringify({ sqliteModules: loaded, events: events.map((e) => e.type), configProblem: core.snapshot().configProblem })}\n`,
);
