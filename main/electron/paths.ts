/**
 * Where the shell's files are, and which URL is "our renderer". Pure: no electron import, so
 * the security decisions built on it (IPC sender check, navigation guard) are unit-testable.
 */
import path from 'node:path';
import { RENDERER_HOST, RENDERER_INDEX_URL, RENDERER_SCHEME } from './renderer-protocol';

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

/** What the dashboard window loads: the built renderer over our custom scheme, or (development only) a Vite dev server. */
export type RendererTarget =
  | {
      kind: 'app';
      /** nut-sentinel://renderer/index.html */ url: string;
      /** the built renderer folder the scheme serves */ root: string;
    }
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
  const appTarget: RendererTarget = {
    kind: 'app',
    url: RENDERER_INDEX_URL,
    root: path.dirname(input.rendererIndex),
  };
  if (input.isPackaged || !input.devUrl) return appTarget;
  let parsed: URL;
  try {
    parsed = new URL(input.devUrl);
  } catch {
    throw new Error(`NUT_SENTINEL_DEV_URL is not a URL: ${input.devUrl}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (!/^https?:$/.test(parsed.protocol) || !loopback) {
    throw new Error(
      `NUT_SENTINEL_DEV_URL must be an http(s) URL on localhost/127.0.0.1/[::1], not ${input.devUrl}`,
    );
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
 * True when `candidate` is our renderer page: for the app target exactly
 * nut-sentinel://renderer/index.html (any hash or query); for a dev target the same origin.
 * Anything unparsable is untrusted. (Node gives custom-scheme URLs an opaque origin, so scheme
 * and host are compared one by one.)
 */
export function isTrustedRendererUrl(candidate: string, target: RendererTarget): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (target.kind === 'dev') return url.origin === target.origin;
  return (
    url.protocol === `${RENDERER_SCHEME}:` &&
    url.host === RENDERER_HOST &&
    url.pathname === '/index.html' &&
    url.username === '' &&
    url.password === '' &&
    url.port === ''
  );
}
