/**
 * The renderer is served from a privileged custom scheme, `nut-sentinel://renderer/…`, not from
 * file://. With the fuse grantFileProtocolExtraPrivileges off (electron-builder.yml), a file://
 * page inside app.asar cannot load its own module scripts (they are fetched in CORS mode, which
 * Chromium refuses for file://). A standard, secure scheme gives the page a real origin, so
 * module scripts and lazy chunks load as same-origin requests.
 *
 * The handler reads only files under the built renderer folder (Electron's patched node:fs
 * reads inside app.asar), refuses path traversal, names every Content-Type and sends the
 * renderer CSP with every response.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Protocol } from 'electron';
import { RENDERER_CSP, rendererContentType } from '../../shared/renderer-policy';
import type { Logger } from '../platform/ports';

export const RENDERER_SCHEME = 'nut-sentinel';
export const RENDERER_HOST = 'renderer';
/** The dashboard's page; routes are its hash (`…/index.html#/settings`). */
export const RENDERER_INDEX_URL = `${RENDERER_SCHEME}://${RENDERER_HOST}/index.html`;

/**
 * Before `ready` (Electron allows it only then, and only once): standard (real origin, relative
 * URLs), secure (like https: no mixed-content downgrade), fetch/CORS (module scripts), code cache.
 */
export function registerRendererScheme(
  protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>,
): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: RENDERER_SCHEME,
      privileges: {
        standard: true,
        secure: true,
        supportFetchAPI: true,
        corsEnabled: true,
        codeCache: true,
      },
    },
  ]);
}

export interface RendererHandlerOptions {
  /** The built renderer folder (out/renderer; inside app.asar when packaged). */
  root: string;
  /** Sent as Content-Security-Policy on every response (default: the renderer CSP). */
  csp?: string;
  logger?: Logger;
}

type Resolved = { file: string } | { status: 400 | 403 | 404; reason: string };

/** The file under `root` a request URL names, or why it names none. */
export function resolveRendererFile(root: string, requestUrl: string): Resolved {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { status: 400, reason: 'not a URL' };
  }
  if (url.protocol !== `${RENDERER_SCHEME}:` || url.host !== RENDERER_HOST)
    return { status: 404, reason: 'not the renderer host' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { status: 400, reason: 'bad percent-encoding' };
  }
  // The URL parser already removed literal dot segments; encoded ones (%2e%2e%2f), backslashes
  // (a separator on Windows), drive letters and NUL only appear after decoding.
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (
    decoded.includes('\0') ||
    decoded.includes('\\') ||
    segments.some((s) => s === '..' || s === '.' || /^[A-Za-z]:/.test(s))
  ) {
    return { status: 403, reason: 'path traversal refused' };
  }
  const relative = segments.length === 0 ? 'index.html' : segments.join('/');
  const base = path.resolve(root);
  const file = path.resolve(base, relative);
  const inside = path.relative(base, file);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside))
    return { status: 403, reason: 'path traversal refused' };
  return { file };
}

/** The `protocol.handle` handler (a plain function of a fetch Request, so it is tested directly). */
export function createRendererRequestHandler(
  options: RendererHandlerOptions,
): (request: Request) => Promise<Response> {
  const csp = options.csp ?? RENDERER_CSP;
  const headers = (contentType: string): Record<string, string> => ({
    'Content-Type': contentType,
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    // Updates replace the files in place: never serve a stale index or chunk.
    'Cache-Control': 'no-cache',
  });
  const plain = (status: number, text: string): Response =>
    new Response(text, { status, headers: headers('text/plain; charset=utf-8') });

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return plain(405, 'Method not allowed.');
    const resolved = resolveRendererFile(options.root, request.url);
    if ('status' in resolved) {
      options.logger?.log('warn', 'renderer request refused', {
        url: request.url.slice(0, 200),
        reason: resolved.reason,
      });
      return plain(resolved.status, resolved.status === 404 ? 'Not found.' : 'Bad request.');
    }
    let body: Buffer;
    try {
      body = await readFile(resolved.file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR')
        return plain(404, 'Not found.');
      options.logger?.log('error', 'renderer file unreadable', {
        file: resolved.file,
        error: String(error),
      });
      return plain(500, 'The file could not be read.');
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: {
        ...headers(rendererContentType(resolved.file)),
        'Content-Length': String(body.length),
      },
    });
  };
}
