/**
 * TEST DOUBLE runner — development only. Serves the built renderer (out/renderer) through the
 * real bridge, backed by the FakeCore, so the UI can be looked at in a browser before the real
 * core is wired in. Prints the URL (with its token) on stdout.
 *
 *   npx vite build --config renderer/vite.config.ts
 *   npx tsx main/bridge/testing/dev-bridge.ts [--scenario showcase|empty|shutdown] [--port 5174]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBridge } from '../bridge-server';
import { FakeCore, type FakeScenario } from './fake-core';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

const scenario = (option('scenario') ?? 'showcase') as FakeScenario;
const core = new FakeCore({ scenario, live: true });
await core.start();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bridge = await startBridge({
  core,
  staticDir: path.join(root, 'out/renderer'),
  port: Number(option('port') ?? 0),
});
console.log(bridge.url);

const stop = () => {
  void core
    .stop()
    .then(() => bridge.close())
    .then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
