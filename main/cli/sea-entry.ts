/**
 * Entry of the self-contained agent (`npm run dist:agent`, main/tools/dist-agent.ts): the whole
 * CLI bundled into one CommonJS file and injected into a Node binary as a single executable
 * application. Packages only some configs use are assets of the executable, compiled when a
 * stand-in in the bundle first needs one.
 */
import path from 'node:path';
import { getAsset } from 'node:sea';
import vm from 'node:vm';
import { applyV8Tuning } from '../platform/v8-tuning';
import { runCli } from './program';
import { LAZY_PACKAGE_LOADER, lazyPackageAsset } from './sea-entry-names';

applyV8Tuning();
Object.defineProperty(globalThis, LAZY_PACKAGE_LOADER, {
  value: (name: string): unknown => {
    const asset = lazyPackageAsset(name);
    // Named after the executable so that stack traces say where the code came from.
    const filename = path.join(path.dirname(process.execPath), asset);
    const wrapper = vm.compileFunction(
      getAsset(asset, 'utf8'),
      ['exports', 'require', 'module', '__filename', '__dirname'],
      { filename },
    );
    const module = { exports: {} as unknown };
    wrapper.call(module.exports, module.exports, require, module, filename, path.dirname(filename));
    return module.exports;
  },
});

// A single executable application's argv is [executable, executable, ...arguments], as node's.
runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
