import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import type { Session, WebContents } from 'electron';
import {
  electronMock,
  mockEvent,
  MockWebContents,
  resetElectronMock,
} from '../testing/electron-mock';
import { RENDERER_CSP } from '../../shared/renderer-policy';
import { isTrustedRendererUrl, rendererTarget, rendererUrl, unpackedPath } from './paths';
import { RENDERER_INDEX_URL } from './renderer-protocol';
import { safeRoute, upsRoute } from './routes';
import { contentSecurityPolicy, hardenSession, hardenWebContents } from './security';
import { recordingLogger } from './testing/fixtures';

const INDEX = '/opt/nut sentinel/out/renderer/index.html';
const appTarget = rendererTarget({ rendererIndex: INDEX, isPackaged: false, devUrl: undefined });
const devTarget = rendererTarget({
  rendererIndex: INDEX,
  isPackaged: false,
  devUrl: 'http://127.0.0.1:5173',
});

describe('renderer target and trusted URLs', () => {
  it('serves the built folder over nut-sentinel://renderer', () => {
    expect(appTarget).toEqual({
      kind: 'app',
      url: 'nut-sentinel://renderer/index.html',
      root: '/opt/nut sentinel/out/renderer',
    });
    expect(rendererUrl(appTarget, '/ups/nas%2Fups')).toBe(
      'nut-sentinel://renderer/index.html#/ups/nas%2Fups',
    );
  });

  it('trusts exactly our index.html on our scheme (any hash), nothing else', () => {
    expect(isTrustedRendererUrl(RENDERER_INDEX_URL, appTarget)).toBe(true);
    expect(isTrustedRendererUrl(`${RENDERER_INDEX_URL}#/ups/nas%2Fups`, appTarget)).toBe(true);
    expect(isTrustedRendererUrl(rendererUrl(appTarget, '/settings'), appTarget)).toBe(true);
    for (const untrusted of [
      'nut-sentinel://renderer/other.html',
      'nut-sentinel://renderer/assets/index.js',
      'nut-sentinel://evil/index.html',
      'nut-sentinel://renderer:1/index.html',
      'nut-sentinel://user@renderer/index.html',
      'other-scheme://renderer/index.html',
      pathToFileURL(INDEX).href,
      'file:///etc/passwd',
      'https://example.com/',
      'not a url',
      'nut-sentinel://renderer/index%2Ehtml',
    ]) {
      expect(isTrustedRendererUrl(untrusted, appTarget), untrusted).toBe(false);
    }
  });

  it('trusts the dev server origin only, and only unpackaged on loopback', () => {
    expect(devTarget).toEqual({
      kind: 'dev',
      url: 'http://127.0.0.1:5173/',
      origin: 'http://127.0.0.1:5173',
    });
    expect(isTrustedRendererUrl('http://127.0.0.1:5173/#/settings', devTarget)).toBe(true);
    expect(isTrustedRendererUrl('http://127.0.0.1:5174/', devTarget)).toBe(false);
    expect(isTrustedRendererUrl('http://localhost:5173/', devTarget)).toBe(false);
    expect(
      rendererTarget({ rendererIndex: INDEX, isPackaged: true, devUrl: 'http://localhost:5173' })
        .kind,
    ).toBe('app');
    expect(() =>
      rendererTarget({
        rendererIndex: INDEX,
        isPackaged: false,
        devUrl: 'http://192.168.1.5:5173',
      }),
    ).toThrow(/localhost/);
    expect(() =>
      rendererTarget({ rendererIndex: INDEX, isPackaged: false, devUrl: 'file:///tmp/x.html' }),
    ).toThrow(/http/);
    expect(() =>
      rendererTarget({ rendererIndex: INDEX, isPackaged: false, devUrl: 'nonsense' }),
    ).toThrow(/not a URL/);
  });

  it('routes: only plain in-app paths pass', () => {
    expect(upsRoute('nas/ups')).toBe('/ups/nas/ups');
    expect(upsRoute('my nas/ups.1')).toBe('/ups/my%20nas/ups.1');
    expect(safeRoute('/ups/nas%2Fups')).toBe('/ups/nas%2Fups');
    expect(safeRoute('/settings')).toBe('/settings');
    for (const bad of [
      'settings',
      '//evil.com',
      'javascript:alert(1)',
      '/a b',
      '/x#y',
      '/<script>',
      '',
      null,
      undefined,
      `/${'a'.repeat(600)}`,
    ]) {
      expect(safeRoute(bad)).toBe('/');
    }
  });
});

describe('contentSecurityPolicy', () => {
  it('is the one renderer CSP for our scheme: self only, no inline, no eval, no remote', () => {
    const csp = contentSecurityPolicy(appTarget);
    expect(csp).toBe(RENDERER_CSP);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|http:|https:/);
    // The only other sources: the browser bridge's loopback WebSocket (Electron's session blocks ws:// anyway).
    expect(csp.split('; ').find((d) => d.startsWith('connect-src'))).toBe(
      "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
    );
  });

  it('allows the dev server (and its HMR socket) in development', () => {
    const csp = contentSecurityPolicy(devTarget);
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:5173 ws://127.0.0.1:5173");
    expect(csp).not.toContain('unsafe-eval');
  });
});

describe('hardenWebContents', () => {
  beforeEach(() => resetElectronMock());

  function harden() {
    const contents = new MockWebContents();
    const openExternal = vi.fn();
    const logger = recordingLogger();
    hardenWebContents(contents as unknown as WebContents, {
      isTrustedUrl: (url) => isTrustedRendererUrl(url, appTarget),
      openExternal,
      logger,
    });
    return { contents, openExternal, logger };
  }

  it('blocks navigation away from the renderer; https links go to the browser instead', () => {
    const { contents, openExternal } = harden();
    expect(
      contents.attemptNavigation('will-navigate', rendererUrl(appTarget, '/settings'))
        .defaultPrevented,
    ).toBe(false);

    expect(
      contents.attemptNavigation('will-navigate', 'https://networkupstools.org/docs')
        .defaultPrevented,
    ).toBe(true);
    expect(openExternal).toHaveBeenCalledWith('https://networkupstools.org/docs');

    expect(contents.attemptNavigation('will-navigate', 'file:///etc/passwd').defaultPrevented).toBe(
      true,
    );
    expect(
      contents.attemptNavigation('will-redirect', 'http://example.com/').defaultPrevented,
    ).toBe(true);
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it('decides on details.url, not on the deprecated positional url', () => {
    const { contents } = harden();
    // An event whose positional url disagrees with details.url: details.url is what Electron 45 means.
    const details = Object.assign(mockEvent(), { url: 'https://evil.example/' });
    contents.emit('will-navigate', details, RENDERER_INDEX_URL, false, true);
    expect(details.defaultPrevented).toBe(true);
  });

  it('denies every window.open', () => {
    const { contents, openExternal } = harden();
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({
      action: 'deny',
    });
    expect(contents.windowOpenHandler?.({ url: rendererUrl(appTarget, '/') })).toEqual({
      action: 'deny',
    });
    expect(contents.windowOpenHandler?.({ url: 'javascript:alert(1)' })).toEqual({
      action: 'deny',
    });
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it('prevents <webview>', () => {
    const { contents } = harden();
    const event = mockEvent();
    contents.emit('will-attach-webview', event, {}, {});
    expect(event.defaultPrevented).toBe(true);
  });
});

describe('hardenSession', () => {
  beforeEach(() => resetElectronMock());

  it('denies every permission request and check', () => {
    const ses = electronMock.session.defaultSession;
    hardenSession(ses as unknown as Session, appTarget, recordingLogger());
    const callback = vi.fn();
    ses.permissionRequestHandler?.({}, 'notifications', callback, {});
    ses.permissionRequestHandler?.({}, 'media', callback, {});
    expect(callback.mock.calls).toEqual([[false], [false]]);
    expect(ses.permissionCheckHandler?.({}, 'clipboard-read', 'file://', {})).toBe(false);
  });

  it('our scheme: the session header is the one renderer CSP', () => {
    const ses = electronMock.session.defaultSession;
    hardenSession(ses as unknown as Session, appTarget, recordingLogger());
    const callback = vi.fn();
    ses.headersListener?.({ url: `${RENDERER_INDEX_URL}`, responseHeaders: {} }, callback);
    expect(
      (callback.mock.calls[0]![0] as { responseHeaders: Record<string, string[]> }).responseHeaders[
        'Content-Security-Policy'
      ],
    ).toEqual([RENDERER_CSP]);
  });

  it('sets the CSP header, replacing any the response had', () => {
    const ses = electronMock.session.defaultSession;
    hardenSession(ses as unknown as Session, devTarget, recordingLogger());
    const callback = vi.fn();
    ses.headersListener?.(
      {
        url: 'http://127.0.0.1:5173/',
        responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] },
      },
      callback,
    );
    const headers = (callback.mock.calls[0]![0] as { responseHeaders: Record<string, string[]> })
      .responseHeaders;
    expect(headers['Content-Security-Policy']).toEqual([contentSecurityPolicy(devTarget)]);
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['X-Other']).toEqual(['1']);
  });

  it('cancels network requests except to the dev server', () => {
    const file = electronMock.session.defaultSession;
    hardenSession(file as unknown as Session, appTarget, recordingLogger());
    const cb = vi.fn();
    file.beforeRequestListener?.({ url: 'https://tracker.example/x' }, cb);
    file.beforeRequestListener?.({ url: 'ws://127.0.0.1:5173/' }, cb);
    expect(cb.mock.calls).toEqual([[{ cancel: true }], [{ cancel: true }]]);

    resetElectronMock();
    const dev = electronMock.session.defaultSession;
    hardenSession(dev as unknown as Session, devTarget, recordingLogger());
    const cb2 = vi.fn();
    dev.beforeRequestListener?.({ url: 'http://127.0.0.1:5173/src/main.tsx' }, cb2);
    dev.beforeRequestListener?.({ url: 'ws://127.0.0.1:5173/' }, cb2);
    dev.beforeRequestListener?.({ url: 'http://127.0.0.1:9999/' }, cb2);
    expect(cb2.mock.calls).toEqual([[{ cancel: false }], [{ cancel: false }], [{ cancel: true }]]);
  });
});

describe('unpackedPath', () => {
  it('maps a file inside app.asar to its app.asar.unpacked copy, on both separators', () => {
    expect(unpackedPath('/opt/NUT Sentinel/resources/app.asar/assets/app/icon.png')).toBe(
      '/opt/NUT Sentinel/resources/app.asar.unpacked/assets/app/icon.png',
    );
    expect(unpackedPath('C:\\NUT\\resources\\app.asar\\assets\\app\\icon.png')).toBe(
      'C:\\NUT\\resources\\app.asar.unpacked\\assets\\app\\icon.png',
    );
    expect(unpackedPath('/home/me/nut-sentinel/assets/app/icon.png')).toBe(
      '/home/me/nut-sentinel/assets/app/icon.png',
    );
    expect(unpackedPath('/x/app.asarx/y')).toBe('/x/app.asarx/y');
  });
});
