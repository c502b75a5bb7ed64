/**
 * The app/agent config file: JSON, UTF-8, validated with `ConfigSchema` (shared/config.ts).
 *
 * - Loading is all-or-nothing: either the whole new config comes back, or a `ConfigError` that
 *   lists every problem as `file:line:column: path: reason`. The caller keeps its old config.
 * - A missing file means defaults, and the result says so (`source: 'defaults'`).
 * - Saving is atomic (temp file in the same directory, fsync, rename, directory fsync), keeps the
 *   previous file as `<name>.bak`, and refuses anything that looks like a password.
 * - No electron, no watchers: callers decide when to (re)load.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { defaultConfig, type Config } from '../../shared/config';
import type { ConfigIssue } from '../../shared/ipc';
import { findSecretValues, validateConfig, type ValidationIssue } from './config-validate';
import { formatJsonPath, makePositionMapper, scanJson, type JsonPath } from './json-locator';

export {
  validateConfig,
  findSecretValues,
  looksLikeSecretKey,
  type ValidationIssue,
  type ValidationResult,
} from './config-validate';

export interface ConfigProblem {
  /** Human path into the config, e.g. `masters[0].port`; empty for the whole file. */
  path: string;
  /** 1-based position in the file, when the problem is in a file's text. */
  line?: number;
  column?: number;
  message: string;
}

export type ConfigErrorKind =
  /** The file could not be read or written. */
  | 'io'
  /** Not valid UTF-8 or not valid JSON. */
  | 'syntax'
  /** Valid JSON that does not satisfy the schema (or has unknown keys). */
  | 'invalid'
  /** Save refused: the config would contain something that looks like a password. */
  | 'refused'
  /** Load refused: others than its owner and this user could change it (it holds commands this agent runs). */
  | 'unsafe';

/** Everything wrong with one config file, with a readable multi-line message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly file: string,
    readonly kind: ConfigErrorKind,
    readonly problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(formatConfigError(file, kind, problems), options);
  }

  /** The shape of `ConfigIssueSchema` in shared/ipc.ts. */
  toIssues(): ConfigIssue[] {
    return this.problems.map((p) => ({
      path: p.path,
      message:
        p.line === undefined ? p.message : `line ${p.line}, column ${p.column ?? 1}: ${p.message}`,
    }));
  }
}

function formatConfigError(
  file: string,
  kind: ConfigErrorKind,
  problems: readonly ConfigProblem[],
): string {
  const headline: Record<ConfigErrorKind, string> = {
    io: 'cannot access the configuration file',
    syntax: 'the configuration file is not valid JSON; nothing was applied',
    invalid: 'the configuration is invalid; nothing was applied',
    refused: 'refusing to save the configuration',
    unsafe:
      'refusing to load the configuration: other users can change it, and it holds commands this agent runs',
  };
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((p) => {
    const where = p.line === undefined ? file : `${file}:${p.line}:${p.column ?? 1}`;
    return `  ${where}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
  });
  return [`${file}: ${headline[kind]} (${count}):`, ...lines].join('\n');
}

export interface LoadedConfig {
  config: Config;
  /** `file`: read from `path`; `defaults`: there was no file, so these are the defaults. */
  source: 'file' | 'defaults';
  path: string;
}

const BOM = '\uFEFF';

/**
 * Parses and validates the text of a config file. Throws `ConfigError` (kind `syntax` or
 * `invalid`) listing every problem with its line and column; returns the whole config otherwise.
 */
export function parseConfigText(text: string, fileName: string): Config {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  // Columns on line 1 stay those of the file as an editor shows it (a BOM is invisible there).
  const scan = scanJson(body);
  if (!scan.ok) {
    throw new ConfigError(fileName, 'syntax', [
      { path: '', line: scan.error.line, column: scan.error.column, message: scan.error.reason },
    ]);
  }
  const value: unknown = JSON.parse(body);
  const problems: (ConfigProblem & { order: number })[] = scan.duplicates.map((d) => ({
    path: formatJsonPath(d.path),
    line: d.line,
    column: d.column,
    message: `duplicate key \`${String(d.path[d.path.length - 1])}\` (JSON keeps only the last one; remove the other)`,
    order: d.line * 1e6 + d.column,
  }));
  const result = validateConfig(value);
  if (!result.ok) {
    for (const issue of result.issues) {
      const hit = scan.locate(issue.path);
      const at =
        issue.atKey && hit.exact ? (hit.location.key ?? hit.location.value) : hit.location.value;
      problems.push({
        path: formatJsonPath(issue.path),
        line: at.line,
        column: at.column,
        message: issue.message,
        order: at.line * 1e6 + at.column,
      });
    }
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.order - b.order);
    throw new ConfigError(
      fileName,
      'invalid',
      problems.map(({ order: _order, ...p }) => p),
    );
  }
  if (!result.ok)
    throw new ConfigError(fileName, 'invalid', [{ path: '', message: 'invalid configuration' }]);
  return result.config;
}

/** Index of the first byte that is not valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

export function decodeUtf8(bytes: Uint8Array, fileName: string): string {
  const bad = firstInvalidUtf8(bytes);
  if (bad < 0) return new TextDecoder('utf-8').decode(bytes);
  // Position of the bad byte: decode everything before it (valid by construction).
  const before = new TextDecoder('utf-8').decode(bytes.subarray(0, bad));
  const pos = makePositionMapper(before)(before.length);
  throw new ConfigError(fileName, 'syntax', [
    {
      path: '',
      line: pos.line,
      column: pos.column,
      message: `byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} is not valid UTF-8 (save the file as UTF-8)`,
    },
  ]);
}

function ioError(file: string, action: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  return new ConfigError(
    file,
    'io',
    [{ path: '', message: `${action} failed${code ? ` (${code})` : ''}: ${reason}` }],
    { cause: err },
  );
}

/**
 * Hooks and the shutdown command in the config run as this user, often root: a file that others
 * than its owner can write (group/world-writable, or in a folder that lets others replace it) is
 * refused. POSIX only.
 */
async function assertOnlyTrustedWriters(filePath: string, info: { mode: number }): Promise<void> {
  if (process.platform === 'win32') return;
  const problems: ConfigProblem[] = [];
  if ((info.mode & 0o022) !== 0) {
    problems.push({
      path: '',
      message: `the file is writable by ${(info.mode & 0o002) !== 0 ? 'every user' : 'its group'} (mode ${(info.mode & 0o777).toString(8)}). Fix: chmod go-w ${filePath}`,
    });
  }
  // A folder others can write (without the sticky bit) lets them replace the file.
  const folder = await stat(path.dirname(path.resolve(filePath))).catch(() => null);
  if (folder && (folder.mode & 0o022) !== 0 && (folder.mode & 0o1000) === 0) {
    problems.push({
      path: '',
      message: `its folder ${path.dirname(path.resolve(filePath))} is writable by others (mode ${(folder.mode & 0o777).toString(8)}), who could replace the file. Fix: chmod go-w on that folder, or move the file`,
    });
  }
  if (problems.length > 0) throw new ConfigError(filePath, 'unsafe', problems);
}

/**
 * Reads and validates the config file. A missing file yields the defaults with
 * `source: 'defaults'`; any other problem throws `ConfigError` and nothing is applied.
 */
export async function loadConfig(filePath: string): Promise<LoadedConfig> {
  let bytes: Uint8Array;
  try {
    // One open file for the check and the read: the file checked is the file read.
    const handle = await open(filePath, 'r');
    try {
      await assertOnlyTrustedWriters(filePath, await handle.stat());
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { config: defaultConfig(), source: 'defaults', path: filePath };
    throw ioError(filePath, 'reading', err);
  }
  return {
    config: parseConfigText(decodeUtf8(bytes, filePath), filePath),
    source: 'file',
    path: filePath,
  };
}

export type ReloadResult =
  { applied: true; loaded: LoadedConfig } | { applied: false; config: Config; error: ConfigError };

/**
 * Reloads for a running process: on any problem the current config stays in effect (returned
 * unchanged with the error). A file that disappeared is a problem too, not a reset to defaults.
 */
export async function reloadConfig(filePath: string, current: Config): Promise<ReloadResult> {
  try {
    const loaded = await loadConfig(filePath);
    if (loaded.source === 'defaults') {
      const missing = new ConfigError(filePath, 'io', [
        { path: '', message: 'the file no longer exists; keeping the current configuration' },
      ]);
      return { applied: false, config: current, error: missing };
    }
    return { applied: true, loaded };
  } catch (err) {
    if (err instanceof ConfigError) return { applied: false, config: current, error: err };
    return { applied: false, config: current, error: ioError(filePath, 'reloading', err) };
  }
}

export interface SaveOptions {
  /**
   * Secret values known to the caller (e.g. passwords just imported from upsmon.conf). The save
   * is refused when any string in the config contains one of them.
   */
  secretValues?: readonly string[];
}

function issuesToProblems(issues: readonly ValidationIssue[]): ConfigProblem[] {
  return issues.map((i) => ({ path: formatJsonPath(i.path), message: i.message }));
}

/** Serializes exactly what `saveConfig` writes (2-space JSON, trailing newline). */
export function serializeConfig(config: Config): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

async function fsyncPath(p: string, flags: number): Promise<void> {
  const handle = await open(p, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function renameWithRetry(from: string, to: string): Promise<void> {
  // Windows: a reader (antivirus, editor) holding the target briefly makes rename fail with EPERM/EBUSY.
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (
        attempt >= 5 ||
        (code !== 'EPERM' && code !== 'EBUSY' && code !== 'EACCES') ||
        process.platform !== 'win32'
      )
        throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
    }
  }
}

/**
 * Validates and writes the config atomically. The previous file (if any) is kept as
 * `<path>.bak`. Throws `ConfigError` (`refused` for invalid or password-like content, `io` for
 * file system failures); the existing file is untouched in every failure case.
 * Returns the config as written (with defaults filled in).
 */
export async function saveConfig(
  filePath: string,
  config: Config,
  options: SaveOptions = {},
): Promise<Config> {
  const result = validateConfig(config);
  if (!result.ok) throw new ConfigError(filePath, 'refused', issuesToProblems(result.issues));
  const leaked = findSecretValues(result.config, options.secretValues ?? []);
  if (leaked.length > 0) {
    throw new ConfigError(
      filePath,
      'refused',
      leaked.map((p) => ({
        path: formatJsonPath(p),
        message:
          'contains a password; passwords belong in the secret store, never in the config file',
      })),
    );
  }
  const text = serializeConfig(result.config);
  // Never write what we could not load back.
  parseConfigText(text, filePath);

  const dir = path.dirname(filePath);
  const base = path.basename(filePath);
  const tmp = path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let mode = 0o600;
  let exists = false;
  try {
    mode = (await stat(filePath)).mode & 0o777;
    exists = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw ioError(filePath, 'checking the existing file', err);
  }
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const handle = await open(
      tmp,
      fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL,
      mode,
    );
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (exists) {
      // The backup is replaced atomically as well, so a crash never leaves a half-written .bak.
      const bakTmp = `${tmp}.bak`;
      await copyFile(filePath, bakTmp);
      await fsyncPath(bakTmp, fsConstants.O_RDONLY);
      await renameWithRetry(bakTmp, `${filePath}.bak`);
    }
    await renameWithRetry(tmp, filePath);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    await unlink(`${tmp}.bak`).catch(() => undefined);
    throw ioError(filePath, 'saving', err);
  }
  if (process.platform !== 'win32') {
    // Make the rename itself durable. Some file systems refuse fsync on directories: not fatal.
    await fsyncPath(dir, fsConstants.O_RDONLY).catch(() => undefined);
  }
  return result.config;
}

/**
 * Where the headless agent keeps its config:
 * Linux/BSD `$XDG_CONFIG_HOME/nut-sentinel/config.json` (default `~/.config`),
 * macOS `~/Library/Application Support/NUT Sentinel/config.json`,
 * Windows `%APPDATA%\NUT Sentinel\config.json`.
 */
export function defaultConfigPath(
  platform: NodeJS.Platform = process.platform,
  env: Readonly<Record<string, string | undefined>> = process.env,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    const appData =
      env.APPDATA && path.win32.isAbsolute(env.APPDATA)
        ? env.APPDATA
        : path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, 'NUT Sentinel', 'config.json');
  }
  if (platform === 'darwin')
    return path.posix.join(home, 'Library', 'Application Support', 'NUT Sentinel', 'config.json');
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg =
    env.XDG_CONFIG_HOME && path.posix.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.posix.join(home, '.config');
  return path.posix.join(xdg, 'nut-sentinel', 'config.json');
}

export type { JsonPath };
