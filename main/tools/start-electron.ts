/**
 * `npm start`: runs the built app in Electron, or — when there is no Electron binary (an offline
 * install, ELECTRON_SKIP_BINARY_DOWNLOAD=1) — says so and what to do, instead of the stack
 * trace `electron .` prints (or a download attempt from inside node_modules/electron/index.js,
 * which is why that module is never loaded here).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where Electron's own installer puts the executable inside dist/ (its path.txt). */
function platformExecutable(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  if (platform === 'win32') return 'electron.exe';
  return 'electron';
}

export type ElectronLookup = { ok: true; executable: string } | { ok: false; problem: string };

/** The Electron executable `electron .` would run, resolved the way the electron package does. */
export function findElectron(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): ElectronLookup {
  let packageDir: string;
  try {
    packageDir = path.dirname(
      createRequire(path.join(root, 'package.json')).resolve('electron/package.json'),
    );
  } catch {
    return {
      ok: false,
      problem: 'The electron package is not installed (node_modules/electron is missing).',
    };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile)
    ? readFileSync(pathFile, 'utf8').trim()
    : platformExecutable(platform);
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  const executable = override
    ? path.join(override, relative)
    : path.join(packageDir, 'dist', relative);
  if (existsSync(executable)) return { ok: true, executable };
  return {
    ok: false,
    problem: override
      ? `ELECTRON_OVERRIDE_DIST_PATH is ${override}, but there is no Electron executable at ${executable}.`
      : `The Electron binary is not installed (no ${executable}): npm was run with ELECTRON_SKIP_BINARY_DOWNLOAD=1, or the download was not possible.`,
  };
}

export function missingElectronHelp(problem: string): string {
  const version =
    (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        devDependencies: Record<string, string>;
      }
    ).devDependencies.electron ?? '';
  const major = /\d+/.exec(version)?.[0] ?? '';
  return [
    `npm start: cannot open the NUT Sentinel window. ${problem}`,
    '',
    'What you can do:',
    '  - download the binary: `node node_modules/electron/install.js` (needs access to github.com), or `npm ci` without ELECTRON_SKIP_BINARY_DOWNLOAD;',
    `  - use an Electron ${major} copied in by other means: ELECTRON_OVERRIDE_DIST_PATH=/path/to/unpacked/electron npm start;`,
    '  - or use the same UI in your browser, no Electron needed: `npm run web` (add `-- --demo` for a simulated master).',
    'The headless agent and the CLI do not need Electron either: `node out/main/cli.js help`.',
  ].join('\n');
}

function main(): void {
  const found = findElectron();
  if (!found.ok) {
    process.stderr.write(`${missingElectronHelp(found.problem)}\n`);
    process.exit(1);
  }
  const child = spawn(found.executable, [root, ...process.argv.slice(2)], {
    stdio: 'inherit',
    windowsHide: false,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(
      `${missingElectronHelp(`Starting ${found.executable} failed: ${error.message}.`)}\n`,
    );
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
