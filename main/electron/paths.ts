/**
 * Where the shell's files are, and which URL is "our renderer". Pure: no electron import, so
 * the security decisions built on it (IPC sender check, navigation guard) are unit-testable.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ShellPaths {
  /** out/main: the folder of the built app.js (and preload.cjs next to it). */
  mainDir: string;
  preload: string;
  rendererIndex: string;
  /** assets/ (tray icons, app icon): in the app root, inside app.asar when packaged. */
  assetsDir: string;
  appIconPng: string;
}

/** @param mainDir folder of the running app.js; @param appRoot `app.getAppPath()`. */
export function resolveShellPaths(mainDir: string, appRoot: string): ShellPaths {
  const assetsDir = path.join(appRoot, 'assets');
  return {
    mainDir,
    preload: path.join(mainDir, 'preload.cjs'),
    rendererIndex: path.join(mainDir, '..', 'renderer', 'index.html'),
    assetsDir,
    appIconPng: path.join(assetsDir, 'app', 'icon.png'),
  };
}

/**
 * The on-disk path of a file packed with `asarUnpack`: other programs (notify-send, …) cannot
 * read inside app.asar, only Electron's own fs can.
 */
export function unpackedPath(file: string): string {
  return file.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

/** What the dashboard window loads: the built file, or (development only) a Vite dev server. */
export type RendererTarget =
  | { kind: 'file'; /** file:// URL of out/renderer/index.html */ url: string }
  | { kind: 'dev'; /** e.g. http://localhost:5173/ */ url: string; origin: string };

export interface RendererTargetInput {
  rendererIndex: string;
  isPackaged: boolean;
  /** Value of NUT_SENTINEL_DEV_URL, if any. */
  devUrl: string | undefined;
}

/**
 * The dev URL is honoured only when not packaged and only on loopback over http(s): a
 * packaged app always loads its own files.
 */
export function rendererTarget(input: RendererTargetInput): RendererTarget {
  const fileTarget: RendererTarget = { kind: 'file', url: pathToFileURL(input.rendererIndex).href };
  if (input.isPackaged || !input.devUrl) return fileTarget;
  let parsed: URL;
  try {
    parsed = new URL(input.devUrl);
  } catch {
    throw new Error(`NUT_SENTINEL_DEV_URL is not a URL: ${input.devUrl}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (!/^https?:$/.test(parsed.protocol) || !loopback) {
    throw new Error(`NUT_SENTINEL_DEV_URL must be an http(s) URL on localhost/127.0.0.1/[::1], not ${input.devUrl}`);
  }
  parsed.hash = '';
  return { kind: 'dev', url: parsed.href, origin: parsed.origin };
}

/** The URL to load for a route (`#/settings`, …). */
export function rendererUrl(target: RendererTarget, route: string): string {
  const url = new URL(target.url);
  url.hash = route;
  return url.href;
}

/**
 * True when `candidate` is our renderer page: for a file target the same file (any hash or
 * query); for a dev target the same origin. Anything unparsable is untrusted.
 */
export function isTrustedRendererUrl(candidate: string, target: RendererTarget, platform: NodeJS.Platform = process.platform): boolean {
  let url: URL;
  let expected: URL;
  try {
    url = new URL(candidate);
    expected = new URL(target.url);
  } catch {
    return false;
  }
  if (target.kind === 'dev') return url.origin === target.origin;
  if (url.protocol !== 'file:' || url.host !== expected.host) return false;
  let a: string;
  let b: string;
  try {
    a = decodeURIComponent(url.pathname);
    b = decodeURIComponent(expected.pathname);
  } catch {
    return false;
  }
  return platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
