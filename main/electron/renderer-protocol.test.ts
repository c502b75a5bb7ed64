/**
 * The nut-sentinel:// handler, tested directly on real files: what it serves, what it refuses
 * (path traversal in every spelling), the Content-Type of each file and the CSP header; and the
 * CSP the BUILT renderer actually ships (vite build of renderer/, its index.html <meta> tag)
 * equals the one renderer CSP, as do the handler's header and the Electron session's header.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import type { Session } from 'electron';
import { RENDERER_CSP } from '../../shared/renderer-policy';
import { electronMock, resetElectronMock } from '../testing/electron-mock';
import { rendererTarget } from './paths';
import {
  createRendererRequestHandler,
  RENDERER_INDEX_URL,
  registerRendererScheme,
  resolveRendererFile,
} from './renderer-protocol';
import { hardenSession } from './security';
import { recordingLogger } from './testing/fixtures';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let tmp: string;
let root: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nut-scheme-'));
  root = path.join(tmp, 'out', 'renderer');
  await mkdir(path.join(root, 'assets', 'fonts'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>NUT</title>');
  await writeFile(path.join(root, 'assets', 'index-1a2b.js'), 'export const x = 1;');
  await writeFile(path.join(root, 'assets', 'index-1a2b.css'), 'body{}');
  await writeFile(
    path.join(root, 'assets', 'logo.svg'),
    '<svg xmlns="http://www.w3.org/2000/svg"/>',
  );
  await writeFile(path.join(root, 'assets', 'icon.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await writeFile(path.join(root, 'assets', 'fonts', 'inter.woff2'), Buffer.from([1, 2, 3]));
  await writeFile(path.join(root, 'assets', 'index-1a2b.js.map'), '{}');
  await writeFile(path.join(root, 'assets', 'data.bin'), Buffer.from([0]));
  // Files next to the renderer folder that must never be reachable.
  await writeFile(path.join(tmp, 'out', 'secret.txt'), 'not for the renderer');
  await writeFile(path.join(tmp, 'package.json'), '{"name":"secret"}');
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const get = (url: string, init?: RequestInit, logger = recordingLogger()) =>
  createRendererRequestHandler({ root, logger })(new Request(url, init));

describe('the nut-sentinel:// scheme', () => {
  it('is registered standard + secure + fetch (module scripts need a real origin), only before ready', () => {
    resetElectronMock();
    registerRendererScheme(electronMock.protocol);
    expect(electronMock.protocol.privileged).toEqual([
      {
        scheme: 'nut-sentinel',
        privileges: {
          standard: true,
          secure: true,
          supportFetchAPI: true,
          corsEnabled: true,
          codeCache: true,
        },
      },
    ]);
    resetElectronMock();
    electronMock.setReady();
    expect(() => registerRendererScheme(electronMock.protocol)).toThrow(/before app is ready/);
  });
});

describe('the renderer request handler', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['assets/index-1a2b.js', 'text/javascript; charset=utf-8'],
    ['assets/index-1a2b.css', 'text/css; charset=utf-8'],
    ['assets/logo.svg', 'image/svg+xml'],
    ['assets/icon.png', 'image/png'],
    ['assets/fonts/inter.woff2', 'font/woff2'],
    ['assets/index-1a2b.js.map', 'application/json; charset=utf-8'],
    ['assets/data.bin', 'application/octet-stream'],
  ])('serves %s as %s, with the CSP and nosniff', async (file, type) => {
    const response = await get(`nut-sentinel://renderer/${file}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(
      await readFile(path.join(root, file)),
    );
  });

  it('serves index.html for the bare origin and ignores the hash (routes)', async () => {
    for (const url of [
      'nut-sentinel://renderer/',
      'nut-sentinel://renderer',
      `${RENDERER_INDEX_URL}#/ups/nas%2Fups`,
      `${RENDERER_INDEX_URL}?x=1`,
    ]) {
      const response = await get(url);
      expect(response.status, url).toBe(200);
      expect(await response.text()).toBe('<!doctype html><title>NUT</title>');
    }
  });

  it.each([
    // Dot segments the URL parser leaves for us to catch, once decoded:
    ['nut-sentinel://renderer/..%2F..%2Fpackage.json', 403],
    ['nut-sentinel://renderer/assets/..%2f..%2f..%2fpackage.json', 403],
    ['nut-sentinel://renderer/..%5C..%5Cpackage.json', 403],
    ['nut-sentinel://renderer/assets%5C..%5C..%5Csecret.txt', 403],
    ['nut-sentinel://renderer/C:%5CWindows%5Cwin.ini', 403],
    ['nut-sentinel://renderer/index.html%00.png', 403],
    ['nut-sentinel://renderer/%E0%A4%A', 400],
    // Dot segments the URL parser itself resolves stay inside the root:
    ['nut-sentinel://renderer/../../package.json', 404],
    ['nut-sentinel://renderer/%2e%2e/%2e%2e/secret.txt', 404],
    ['nut-sentinel://renderer/%2Fetc%2Fpasswd', 404],
    // Other hosts of the scheme, and what is not there:
    ['nut-sentinel://evil/index.html', 404],
    ['nut-sentinel://renderer/missing.js', 404],
    ['nut-sentinel://renderer/assets', 404],
    ['nut-sentinel://renderer/index.html/x', 404],
  ])('%s → %i, never a file outside the renderer folder', async (url, status) => {
    const logger = recordingLogger();
    const response = await get(url, undefined, logger);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    const body = await response.text();
    expect(body).not.toContain('secret');
    if (status === 403) expect(logger.text()).toContain('path traversal refused');
  });

  it('the resolver never leaves the root', () => {
    for (const url of [
      'nut-sentinel://renderer/a/b/../../../x',
      'nut-sentinel://renderer/%2e%2e%2fx',
      'nut-sentinel://renderer/.%2e/x',
    ]) {
      const resolved = resolveRendererFile(root, url);
      if ('file' in resolved)
        expect(path.relative(root, resolved.file).startsWith('..')).toBe(false);
      else expect(resolved.status).toBeGreaterThanOrEqual(400);
    }
  });

  it('HEAD has the headers and no body; other methods are refused', async () => {
    const head = await get('nut-sentinel://renderer/assets/index-1a2b.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('export const x = 1;'.length));
    expect(await head.text()).toBe('');
    expect(
      (await get('nut-sentinel://renderer/index.html', { method: 'POST', body: 'x' })).status,
    ).toBe(405);
  });
});

describe('the CSP the built renderer ships', () => {
  let built: string;

  beforeAll(async () => {
    built = path.join(tmp, 'built-renderer');
    const { build } = await import('vite');
    await build({
      configFile: path.join(repoRoot, 'renderer', 'vite.config.ts'),
      // Load the config in place: bundling it writes to node_modules, which the unit tier's
      // unprivileged run (.ci/unit-unprivileged) cannot.
      configLoader: 'runner',
      logLevel: 'silent',
      build: { outDir: built, emptyOutDir: true, sourcemap: false },
    });
  }, 120_000);

  it('index.html carries exactly the renderer CSP, the scheme sends it, the session adds the same', async () => {
    const html = await readFile(path.join(built, 'index.html'), 'utf8');
    const document = new JSDOM(html).window.document;
    const metas = [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy" i]')];
    expect(metas).toHaveLength(1);
    expect(metas[0]!.getAttribute('content')).toBe(RENDERER_CSP);
    // Before any script or stylesheet, so it governs all of them.
    expect(document.head.firstElementChild).toBe(metas[0]);

    const handler = createRendererRequestHandler({ root: built });
    const index = await handler(new Request(RENDERER_INDEX_URL));
    expect(index.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(await index.text()).toBe(html);

    resetElectronMock();
    const ses = electronMock.session.defaultSession;
    hardenSession(
      ses as unknown as Session,
      rendererTarget({
        rendererIndex: path.join(built, 'index.html'),
        isPackaged: true,
        devUrl: undefined,
      }),
      recordingLogger(),
    );
    const callback = vi.fn();
    ses.headersListener?.(
      { url: RENDERER_INDEX_URL, responseHeaders: { 'Content-Type': ['text/html'] } },
      callback,
    );
    expect(callback.mock.calls[0]![0]).toMatchObject({
      responseHeaders: { 'Content-Security-Policy': [RENDERER_CSP] },
    });
  });

  it('every script and stylesheet the built page loads (module entry and lazy chunks) is served same-origin with its type', async () => {
    const html = await readFile(path.join(built, 'index.html'), 'utf8');
    const document = new JSDOM(html).window.document;
    const refs = [
      ...[...document.querySelectorAll('script[src]')].map((el) => el.getAttribute('src')!),
      ...[...document.querySelectorAll('link[rel="stylesheet"], link[rel="modulepreload"]')].map(
        (el) => el.getAttribute('href')!,
      ),
    ];
    expect(refs.length).toBeGreaterThan(0);
    const entry = document.querySelector('script[type="module"]');
    expect(entry?.hasAttribute('crossorigin')).toBe(true);
    const handler = createRendererRequestHandler({ root: built });
    const entryUrl = new URL(entry!.getAttribute('src')!, RENDERER_INDEX_URL).href;
    expect(entryUrl.startsWith('nut-sentinel://renderer/assets/')).toBe(true);
    for (const ref of refs) {
      const url = new URL(ref, RENDERER_INDEX_URL).href;
      const response = await handler(new Request(url));
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe(
        url.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
    }
    // Lazily imported chunks are named relative to the entry: each one the bundle mentions is served too.
    const entrySource = await (await handler(new Request(entryUrl))).text();
    const chunks = [
      ...new Set([...entrySource.matchAll(/["'`]\.\/([\w.-]+\.js)["'`]/g)].map((m) => m[1]!)),
    ];
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      const response = await handler(new Request(new URL(chunk, entryUrl).href));
      expect(response.status, chunk).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    }
  });
});
