/**
 * The self-contained headless agent: the CLI bundled into one CommonJS file (esbuild), turned into
 * a Node.js single executable application (SEA: `node --experimental-sea-config` makes the blob,
 * postject injects it into a copy of the target's node binary) with the SQLite WebAssembly file
 * as an asset. Nothing else is needed on the target: no Node.js, no npm, no node_modules.
 *
 * Target node binaries come from the npm registry (`npm pack node-<os>-<arch>@AGENT_NODE_VERSION`,
 * cached in node_modules/.cache) or from --node-binary (the macOS CI job passes setup-node's).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BuildOptions, Plugin } from 'esbuild';
import { LAZY_PACKAGE_LOADER, lazyPackageAsset } from '../cli/sea-entry-names';
import {
  AGENT_NODE_VERSION,
  type AgentTarget,
  executableName,
  hostTarget,
  targetOs,
} from './targets';

const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE = path.join(ROOT, 'node_modules/.cache/nut-sentinel-node');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface BuildLog {
  (line: string): void;
}

/** Replaces `find` by `replacement` exactly once, or fails the build (the patched code changed). */
function patchOnce(text: string, find: string, replacement: string, file: string): string {
  const at = text.indexOf(find);
  if (at < 0 || text.indexOf(find, at + 1) >= 0)
    throw new Error(
      `dist:agent: expected exactly one \`${find}\` in ${file}; update main/packaging/agent-build.ts`,
    );
  return text.slice(0, at) + replacement + text.slice(at + find.length);
}

/**
 * main/history/sqlite.ts with its engine switched to main/history/sqlite-native.ts: for the
 * agent's bundle, and for the history tests' run on that engine (main/vitest.native-sqlite.config.ts).
 */
export function withNativeSqlite(source: string, file: string): string {
  return (
    "import * as nativeSqliteEngine from './sqlite-native';\n" +
    patchOnce(
      source,
      "createRequire(import.meta.url)('node-sqlite3-wasm')",
      'nativeSqliteEngine',
      file,
    )
  );
}

/**
 * The agent runs SQLite on the engine compiled into its Node (main/history/sqlite-native.ts), not
 * on node-sqlite3-wasm: ≈ 2 MB of RSS instead of 5–10 (the WebAssembly code and its own heap),
 * and no .wasm to carry or load from disk.
 */
const nativeSqlite: Plugin = {
  name: 'nut-sentinel-native-sqlite',
  setup(build) {
    build.onLoad({ filter: /main[\\/]history[\\/]sqlite\.ts$/ }, async (args) => ({
      contents: withNativeSqlite(await readFile(args.path, 'utf8'), args.path),
      loader: 'ts',
    }));
  },
};

/**
 * jsonc-parser's modules marked free of side effects, so the bundle keeps only what
 * main/config/json-locator.ts imports (the parser): its formatter builds 270 KB of cached
 * indentation strings when it loads, which nothing here uses.
 */
const jsoncParserParts: Plugin = {
  name: 'nut-sentinel-jsonc-parser-parts',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'jsonc-parser-parts') return undefined;
      if (!/^jsonc-parser$/.test(args.path) && !/jsonc-parser[\\/]lib[\\/]/.test(args.importer))
        return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'jsonc-parser-parts',
      });
      return resolved.errors.length > 0 ? undefined : { ...resolved, sideEffects: false };
    });
  },
};

/**
 * Node built-ins that only some configs use, loaded at their first use instead of at start: TLS
 * (a master with `tls`, an https channel), HTTP(S) (webhook, ntfy, Gotify, /metrics) and crypto
 * (the file secret store, webhook signatures, atomic file writes). Loading tls and crypto
 * initialises OpenSSL; measured with Node 22 (bare process 43.9 MB): crypto +1.2 MB, tls
 * +2.9 MB, http + https +1.3 MB of RSS that a plain-TCP agent without channels never needs.
 */
export const LAZY_BUILTINS = ['tls', 'https', 'http', 'crypto'] as const;

/** Each lazy built-in's export names in the node the executable carries (they vary by version). */
async function builtinExportNames(node: string): Promise<Record<string, string[]>> {
  const script = `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(LAZY_BUILTINS)}.map((m) => [m, Object.keys(require(m))]))))`;
  return JSON.parse((await run(node, ['-e', script])).stdout) as Record<string, string[]>;
}

/**
 * A CommonJS module standing in for one loaded by `loadExpression` at the first read of any of
 * its exports: a getter per name in `names`, and per name in `methods` a getter that binds the
 * method to the loaded module (call sites call it on the stand-in).
 */
function standInModule(
  loadExpression: string,
  exports: { names: readonly string[]; methods?: readonly string[]; esModule?: boolean },
): string {
  return (
    `let real;\nconst load = () => (real ??= ${loadExpression});\n` +
    (exports.esModule ? "Object.defineProperty(exports, '__esModule', { value: true });\n" : '') +
    `for (const name of ${JSON.stringify(exports.names)})\n` +
    '  Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });\n' +
    `for (const name of ${JSON.stringify(exports.methods ?? [])})\n` +
    '  Object.defineProperty(exports, name, { get: () => load()[name].bind(real) });\n'
  );
}

/**
 * Points imports of LAZY_BUILTINS at a stand-in with a getter per export name that requires the
 * real module on first access. esbuild compiles `import tls from 'node:tls'` and
 * `import { connect } from 'node:tls'` to property reads at the call sites, so nothing loads until
 * a call needs it.
 */
function lazyBuiltins(names: Record<string, string[]>): Plugin {
  const namespace = 'nut-sentinel-lazy-builtin';
  return {
    name: 'nut-sentinel-lazy-builtins',
    setup(build) {
      const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
      build.onResolve({ filter }, (args) =>
        args.namespace === namespace
          ? { path: args.path, external: true }
          : { path: args.path.replace(/^node:/, ''), namespace },
      );
      build.onLoad({ filter: /.*/, namespace }, (args) => {
        const exported = names[args.path];
        if (!exported)
          throw new Error(
            `dist:agent: no export names for node:${args.path}; add it to LAZY_BUILTINS`,
          );
        return {
          contents: standInModule(`require(${JSON.stringify(`node:${args.path}`)})`, {
            names: exported,
          }),
          loader: 'js',
        };
      });
    },
  };
}

/**
 * Packages only some configs or commands use — e-mail, MQTT, the bridge's WebSocket, Prometheus
 * metrics, mDNS discovery, desktop notifications — each bundled on its own and carried as an
 * asset of the executable, compiled at its first use (main/cli/sea-entry.ts). In the main bundle
 * V8 keeps the whole source of a script for as long as it runs, used or not: these were half of
 * it (1.5 MiB with them, 0.7 without), and an agent without those channels peaks ~1.7 MB lower
 * (20 UPSes, history off: 59.2 → 57.5 MB).
 */
export const LAZY_PACKAGES = [
  'nodemailer',
  'mqtt',
  'ws',
  'prom-client',
  'bonjour-service',
  'node-notifier',
] as const;

/** Options both the main bundle and the lazy packages' bundles are built with. */
function bundleOptions(builtinNames: Record<string, string[]>): BuildOptions {
  return {
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    // Smaller source = less for V8 to hold and pre-parse. Without keepNames: its __name() call
    // for every function and class cost ~2 MB of heap (20-UPS agent 69.6 → 67.6 MB peak), and
    // nothing reads a function's name (error names are set explicitly).
    minify: true,
    legalComments: 'external',
    // import.meta does not exist in CommonJS; the executable is this "script".
    define: { 'import.meta.url': '__nutSentinelImportMetaUrl', 'import.meta.dirname': '__dirname' },
    banner: {
      js: 'var __nutSentinelImportMetaUrl=require("node:url").pathToFileURL(__filename).href;',
    },
    external: ['electron'],
    // jsonc-parser's "main" is a UMD build that requires its parts at run time ("./impl/format"),
    // which esbuild cannot see: the ESM build ("module") bundles statically.
    mainFields: ['module', 'main'],
    plugins: [nativeSqlite, jsoncParserParts, lazyBuiltins(builtinNames)],
    logLevel: 'warning',
    metafile: true,
  };
}

/**
 * A lazy package's exports for its standInModule(); `methods` are those an exported instance
 * inherits (node-notifier's `notify`).
 */
interface LazyExports {
  names: string[];
  methods: string[];
  esModule: boolean;
}

/** A lazy package's own bundle (`module.exports = require(name)`) and what it exports. */
async function bundleLazyPackage(
  name: (typeof LAZY_PACKAGES)[number],
  outDir: string,
  builtinNames: Record<string, string[]>,
  node: string,
): Promise<{ file: string; exports: LazyExports }> {
  const esbuild = await import('esbuild');
  const file = path.join(outDir, lazyPackageAsset(name));
  await rm(`${file}.LEGAL.txt`, { force: true });
  await esbuild.build({
    ...bundleOptions(builtinNames),
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: ROOT },
    outfile: file,
  });
  const script = `
    const m = require(${JSON.stringify(file)});
    const names = Object.getOwnPropertyNames(m).filter((n) => n !== '__esModule');
    const methods = [];
    for (let p = Object.getPrototypeOf(m); p && p !== Object.prototype && p !== Function.prototype; p = Object.getPrototypeOf(p))
      for (const n of Object.getOwnPropertyNames(p))
        if (n !== 'constructor' && !names.includes(n) && !methods.includes(n) && typeof m[n] === 'function') methods.push(n);
    process.stdout.write(JSON.stringify({ names, methods, esModule: m.__esModule === true }));`;
  return { file, exports: JSON.parse((await run(node, ['-e', script])).stdout) as LazyExports };
}

/**
 * Points imports of LAZY_PACKAGES at a stand-in with a getter per export name that loads the
 * package's asset on first access (as lazyBuiltins does for built-ins): the call sites read
 * properties, so nothing loads until a call needs it.
 */
function lazyPackages(exportsOf: Record<string, LazyExports>): Plugin {
  const namespace = 'nut-sentinel-lazy-package';
  const filter = new RegExp(`^(${LAZY_PACKAGES.join('|')})$`);
  return {
    name: 'nut-sentinel-lazy-packages',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace }));
      build.onLoad({ filter: /.*/, namespace }, (args) => ({
        contents: standInModule(
          `globalThis[${JSON.stringify(LAZY_PACKAGE_LOADER)}](${JSON.stringify(args.path)})`,
          exportsOf[args.path]!,
        ),
        loader: 'js',
      }));
    },
  };
}

export interface AgentBundle {
  bundle: string;
  legal: string;
  /** Asset name → file of each lazy package's bundle. */
  lazyAssets: Record<string, string>;
}

/** Bundles main/cli/sea-entry.ts into one CommonJS file; third-party licence texts go beside it. */
export async function bundleAgent(outDir: string, log: BuildLog): Promise<AgentBundle> {
  const esbuild = await import('esbuild');
  await mkdir(outDir, { recursive: true });
  const node = await agentNodeHere(log);
  const builtinNames = await builtinExportNames(node);
  const lazy = await Promise.all(
    LAZY_PACKAGES.map(async (name) => ({
      name,
      ...(await bundleLazyPackage(name, outDir, builtinNames, node)),
    })),
  );
  const bundle = path.join(outDir, 'nut-sentinel-agent.cjs');
  const legal = `${bundle}.LEGAL.txt`;
  await rm(legal, { force: true });
  const options = bundleOptions(builtinNames);
  const result = await esbuild.build({
    ...options,
    entryPoints: ['main/cli/sea-entry.ts'],
    outfile: bundle,
    plugins: [
      ...(options.plugins ?? []),
      lazyPackages(Object.fromEntries(lazy.map((l) => [l.name, l.exports]))),
    ],
  });
  const size = (await stat(bundle)).size;
  log(
    `bundle: ${path.relative(ROOT, bundle)} (${(size / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile!.inputs).length} modules; loaded when used: ${lazy.map((l) => l.name).join(', ')})`,
  );
  // One notices file for everything the executable carries.
  const notices = [];
  for (const file of [legal, ...lazy.map((l) => `${l.file}.LEGAL.txt`)])
    if (existsSync(file)) notices.push(await readFile(file, 'utf8'));
  await writeFile(legal, notices.join('\n'));
  return {
    bundle,
    legal,
    lazyAssets: Object.fromEntries(lazy.map((l) => [lazyPackageAsset(l.name), l.file])),
  };
}

function npmPackageName(target: AgentTarget): string {
  return `node-${target}`;
}

/**
 * Files out of an npm package (`npm pack spec`), cached: `entries` maps a file name to a pattern
 * for its path inside the tarball. Returns the cached files' paths in the same order.
 */
async function filesFromNpmPackage(
  spec: string,
  entries: [string, RegExp][],
  log: BuildLog,
): Promise<string[]> {
  const dir = path.join(CACHE, spec.replace(/[@/]/g, '-'));
  const files = entries.map(([name]) => path.join(dir, name));
  if (files.every((file) => existsSync(file))) return files;
  await mkdir(dir, { recursive: true });
  log(`npm pack ${spec} …`);
  const { stdout } = await run('npm', ['pack', spec, '--pack-destination', dir, '--json'], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  const tarball = path.join(dir, path.basename(filename));
  const { stdout: listing } = await run('tar', ['tzf', tarball], { maxBuffer: 64 * 1024 * 1024 });
  for (const [i, [name, pattern]] of entries.entries()) {
    const entry = listing.split('\n').find((line) => pattern.test(line));
    if (!entry) throw new Error(`dist:agent: ${spec} has no ${name} (looked for ${pattern})`);
    await run('tar', ['xzf', tarball, '-C', dir, entry]);
    await copyFile(path.join(dir, entry), files[i]!);
    await chmod(files[i]!, 0o755);
  }
  await rm(path.join(dir, 'package'), { recursive: true, force: true });
  await rm(tarball, { force: true });
  return files;
}

/** The target's node binary at AGENT_NODE_VERSION from the npm registry, cached. */
export async function registryNodeBinary(target: AgentTarget, log: BuildLog): Promise<string> {
  const name = targetOs(target) === 'win' ? 'node.exe' : 'node';
  const [binary] = await filesFromNpmPackage(
    `${npmPackageName(target)}@${AGENT_NODE_VERSION}`,
    [[name, /^package\/(bin\/)?node(\.exe)?$/]],
    log,
  );
  return binary!;
}

/**
 * WinSW, the Windows service wrapper `service install` registers (main/service/units.ts says why),
 * as node-windows ships it; it goes next to nut-sentinel.exe as nut-sentinel-service.exe.
 */
export const WINSW_PACKAGE = 'node-windows@0.1.14';

async function winsw(log: BuildLog): Promise<{ exe: string; config: string }> {
  const [exe, config] = await filesFromNpmPackage(
    WINSW_PACKAGE,
    [
      ['winsw.exe', /^package\/bin\/winsw\/winsw\.exe$/],
      ['winsw.exe.config', /^package\/bin\/winsw\/winsw\.exe\.config$/],
    ],
    log,
  );
  return { exe: exe!, config: config! };
}

async function nodeVersionOf(binary: string): Promise<string> {
  return (await run(binary, ['--version'])).stdout.trim().replace(/^v/, '');
}

/**
 * A node that runs here at AGENT_NODE_VERSION: it writes the SEA blob (which must match the
 * target's node), and runs the tests of the agent's SQLite engine (main/tools/test-dist.ts).
 */
export async function agentNodeHere(log: BuildLog): Promise<string> {
  if (process.versions.node === AGENT_NODE_VERSION) return process.execPath;
  const host = hostTarget();
  if (!host)
    throw new Error(
      `dist:agent: this machine (${process.platform}-${process.arch}) has no node ${AGENT_NODE_VERSION} to write the blob; run on one of the targets`,
    );
  return registryNodeBinary(host, log);
}

/**
 * V8 flags the executable starts with (the SEA config's `execArgv`, set before the isolate exists,
 * which `v8.setFlagsFromString` at run time cannot do for the heap layout), for a mostly idle
 * monitor. Measured on the 20-UPS agent (`npm run bench -- agent`, peak RSS):
 *
 * - `--max-semi-space-size=1`: the young generation stays at 2 × 1 MiB instead of growing to
 *   2 × 8 MiB in the start-up burst and keeping the pages (93 → 85 MB); the agent allocates
 *   about 0.5 MB/s, so scavenges stay small.
 * - `--no-opt --no-maglev`: no optimizing JIT tiers for JavaScript (Ignition + Sparkplug only):
 *   their compiler code is never paged in and they allocate no compile zones (85 → 79 MB). Hot
 *   loops here are tiny (a status line every 0.5 s per UPS), so CPU stays far below 1 %.
 *
 * The same flags are given to the node that writes the blob, so that the code cache it makes
 * matches the flags it is used with (V8 rejects a cache made under other flags).
 */
export const AGENT_V8_FLAGS = ['--max-semi-space-size=1', '--no-opt', '--no-maglev'] as const;

export interface AgentArtifact {
  target: AgentTarget;
  dir: string;
  executable: string;
  archive: string;
  sha256: string;
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/**
 * Builds the executable for one target into `<outDir>/nut-sentinel-agent-<version>-<target>/`
 * and archives that folder (.tar.gz; .zip is not needed: Windows 10+ has tar).
 */
export async function buildAgentExecutable(options: {
  target: AgentTarget;
  version: string;
  outDir: string;
  bundle: AgentBundle;
  nodeBinary?: string;
  log: BuildLog;
}): Promise<AgentArtifact> {
  const { target, version, outDir, log } = options;
  const nodeBinary = options.nodeBinary ?? (await registryNodeBinary(target, log));
  if (options.nodeBinary && hostTarget() === target) {
    const actual = await nodeVersionOf(options.nodeBinary);
    if (actual !== AGENT_NODE_VERSION)
      throw new Error(
        `dist:agent: --node-binary ${options.nodeBinary} is node ${actual}; the agent is built with ${AGENT_NODE_VERSION} (main/packaging/targets.ts)`,
      );
  }
  const work = path.join(outDir, 'build', target);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const blob = path.join(work, 'sea-prep.blob');
  const codeCache = hostTarget() === target;
  if (!codeCache) log(`${target}: built off its platform, so without a code cache`);
  const seaConfig = path.join(work, 'sea-config.json');
  await writeFile(
    seaConfig,
    JSON.stringify(
      {
        main: options.bundle.bundle,
        output: blob,
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        // The bundle compiled at build time instead of at every start: no parse/compile burst
        // (its zone memory was most of the start-up peak: 79 → 70 MB) and an earlier LOGIN. Only
        // for this machine's own target: V8's code cache is not portable across platforms
        // (Node's SEA docs), so a cross-built target compiles at start as before.
        useCodeCache: codeCache,
        // node:sqlite (main/history/sqlite-native.ts) would print that it is experimental at
        // every start; the Node it runs on is pinned (AGENT_NODE_VERSION).
        execArgv: [...AGENT_V8_FLAGS, '--disable-warning=ExperimentalWarning'],
        assets: options.bundle.lazyAssets,
      },
      null,
      2,
    ),
  );
  await run(await agentNodeHere(log), [...AGENT_V8_FLAGS, '--experimental-sea-config', seaConfig], {
    cwd: work,
  });

  const name = `nut-sentinel-agent-${version}-${target}`;
  const dir = path.join(outDir, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const executable = path.join(dir, executableName(target));
  await copyFile(nodeBinary, executable);
  await chmod(executable, 0o755);
  const onMac = process.platform === 'darwin';
  if (targetOs(target) === 'darwin' && onMac)
    await run('codesign', ['--remove-signature', executable]);
  const { inject } = await import('postject');
  await inject(executable, 'NODE_SEA_BLOB', await readFile(blob), {
    sentinelFuse: SEA_FUSE,
    ...(targetOs(target) === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
  });
  if (targetOs(target) === 'darwin') {
    if (onMac) {
      // Ad hoc unless CI provides an identity (release.yml): arm64 macOS runs nothing unsigned.
      const identity = process.env.APPLE_SIGNING_IDENTITY || '-';
      await run('codesign', [
        '--sign',
        identity,
        ...(identity === '-' ? [] : ['--options', 'runtime', '--timestamp']),
        executable,
      ]);
    } else {
      log(
        `warning: ${target} built off macOS is not signed; sign it on a Mac (codesign --sign - ${executableName(target)}) before running it`,
      );
    }
  }
  if (targetOs(target) === 'win') {
    const wrapper = await winsw(log);
    await copyFile(wrapper.exe, path.join(dir, 'nut-sentinel-service.exe'));
    await copyFile(wrapper.config, path.join(dir, 'nut-sentinel-service.exe.config'));
  }
  if (existsSync(options.bundle.legal))
    await copyFile(options.bundle.legal, path.join(dir, 'THIRD-PARTY-NOTICES.txt'));
  const archive = path.join(outDir, `${name}.tar.gz`);
  await run('tar', ['czf', archive, '-C', outDir, name]);
  const artifact = { target, dir, executable, archive, sha256: await sha256(archive) };
  log(
    `${target}: ${path.relative(ROOT, executable)} (${((await stat(executable)).size / 1024 / 1024).toFixed(1)} MiB), ${path.relative(ROOT, archive)}`,
  );
  return artifact;
}

/** Lists the files of an artifact folder (for the report and the tests). */
export async function artifactFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}
