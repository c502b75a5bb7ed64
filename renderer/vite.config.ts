import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { RENDERER_CSP } from '../shared/renderer-policy';

/**
 * The built index.html carries the one renderer CSP (shared/renderer-policy.ts) as its first
 * <meta> tag; the Electron scheme handler sends the same policy as a header. Build only: the
 * dev server needs its inline preamble (the shell sends a dev CSP header then).
 */
function rendererCsp(): Plugin {
  return {
    name: 'nut-sentinel-csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: RENDERER_CSP },
        injectTo: 'head-prepend',
      },
    ],
  };
}

// The React UI. The same bundle runs in the Electron window (API from the preload) and in a
// browser against the loopback bridge (API over WebSocket); relative base, so the page
// works under the shell's nut-sentinel://renderer/ origin and the bridge's http origin alike.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react(), rendererCsp()],
  build: {
    outDir: fileURLToPath(new URL('../out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome130',
    sourcemap: true,
  },
});
