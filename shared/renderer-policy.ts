/**
 * How the built renderer is served, in one place: its Content-Security-Policy (the build writes
 * it into index.html as a <meta> tag — renderer/vite.config.ts — and the Electron shell sends it
 * as a header with every file of its custom scheme) and the Content-Type of each built file
 * (the Electron scheme handler and the browser bridge both use this table).
 */

/**
 * The renderer's CSP: its own origin only — no inline code, no eval, no remote origin, no
 * plugins; connect-src also names the loopback WebSockets of the browser bridge (the bridge
 * narrows them to its own port with a header policy, and in Electron the session refuses every
 * ws:// request anyway, main/electron/security.ts). `frame-ancestors` is left out because a
 * <meta> policy cannot carry it; the bridge sends it as a header of its own. Tightening it
 * (default-src 'none', ws only via 'self'): run e2e/dashboard.e2e.ts several times — its
 * first test failed more often under such variants here, which was not explained.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Content-Type by lower-case file extension (with the dot) for what `vite build` emits. */
export const RENDERER_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** The Content-Type for a file name; `application/octet-stream` for anything unknown (never sniffed: nosniff). */
export function rendererContentType(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const ext =
    dot >= 0 && !fileName.slice(dot).includes('/') ? fileName.slice(dot).toLowerCase() : '';
  return RENDERER_CONTENT_TYPES[ext] ?? 'application/octet-stream';
}
