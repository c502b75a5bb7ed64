import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import type { Session, WebContents } from 'electron';
import { electronMock, mockEvent, MockWebContents, resetElectronMock } from '../testing/electron-mock';
import { isTrustedRendererUrl, rendererTarget, rendererUrl, unpackedPath } from './paths';
import { safeRoute, upsRoute } from './routes';
import { contentSecurityPolicy, hardenSession, hardenWebContents } from './security';
import { recordingLogger } from './testing/fixtures';

const INDEX = '/opt/nut sentinel/out/renderer/index.html';
const fileTarget = rendererTarget({ rendererIndex: INDEX, isPackaged: false, devUrl: undefined });
const devTarget = rendererTarget({ rendererIndex: INDEX, isPackaged: false, devUrl: 'http://127.0.0.1:5173' });

describe('renderer target and trusted URLs', () => {
  it('trusts exactly our index.html (any hash), nothing else', () => {
    const url = pathToFileURL(INDEX).href;
    expect(isTrustedRendererUrl(url, fileTarget, 'linux')).toBe(true);
    expect(isTrustedRendererUrl(`${url}#/ups/nas%2Fups`, fileTarget, 'linux')).toBe(true);
    expect(isTrustedRendererUrl(rendererUrl(fileTarget, '/settings'), fileTarget, 'linux')).toBe(true);
    expect(isTrustedRendererUrl(pathToFileURL('/opt/nut sentinel/out/renderer/other.html').href, fileTarget, 'linux')).toBe(false);
    expect(isTrustedRendererUrl('file:///etc/passwd', fileTarget, 'linux')).toBe(false);
    expect(isTrustedRendererUrl('file://evil-host/opt/nut%20sentinel/out/renderer/index.html', fileTarget, 'linux')).toBe(false);
    expect(isTrustedRendererUrl('https://example.com/', fileTarget, 'linux')).toBe(false);
    expect(isTrustedRendererUrl('not a url', fileTarget, 'linux')).toBe(false);
    expect(isTrustedRendererUrl('file:///opt/nut%zz/out/renderer/index.html', fileTarget, 'linux')).toBe(false);
    expect(isTrustedRendererUrl(url.toUpperCase().replace('FILE:', 'file:'), fileTarget, 'linux')).toBe(false);
  });

  it('compares Windows paths case-insensitively', () => {
    // The file URL pathToFileURL makes on Windows for C:\Program Files\NUT Sentinel\out\renderer\index.html.
    const target = { kind: 'file' as const, url: 'file:///C:/Program%20Files/NUT%20Sentinel/out/renderer/index.html' };
    expect(isTrustedRendererUrl('file:///c:/program%20files/nut%20sentinel/out/renderer/index.html', target, 'win32')).toBe(true);
    expect(isTrustedRendererUrl('file:///c:/program%20files/nut%20sentinel/out/renderer/index.html', target, 'linux')).toBe(false);
  });

  it('trusts the dev server origin only, and only unpackaged on loopback', () => {
    expect(devTarget).toEqual({ kind: 'dev', url: 'http://127.0.0.1:5173/', origin: 'http://127.0.0.1:5173' });
    expect(isTrustedRendererUrl('http://127.0.0.1:5173/#/settings', devTarget)).toBe(true);
    expect(isTrustedRendererUrl('http://127.0.0.1:5174/', devTarget)).toBe(false);
    expect(isTrustedRendererUrl('http://localhost:5173/', devTarget)).toBe(false);
    expect(rendererTarget({ rendererIndex: INDEX, isPackaged: true, devUrl: 'http://localhost:5173' }).kind).toBe('file');
    expect(() => rendererTarget({ rendererIndex: INDEX, isPackaged: false, devUrl: 'http://192.168.1.5:5173' })).toThrow(/localhost/);
    expect(() => rendererTarget({ rendererIndex: INDEX, isPackaged: false, devUrl: 'file:///tmp/x.html' })).toThrow(/http/);
    expect(() => rendererTarget({ rendererIndex: INDEX, isPackaged: false, devUrl: 'nonsense' })).toThrow(/not a URL/);
  });

  it('routes: only plain in-app paths pass', () => {
    expect(upsRoute('nas/ups')).toBe('/ups/nas/ups');
    expect(upsRoute('my nas/ups.1')).toBe('/ups/my%20nas/ups.1');
    expect(safeRoute('/ups/nas%2Fups')).toBe('/ups/nas%2Fups');
    expect(safeRoute('/settings')).toBe('/settings');
    for (const bad of ['settings', '//evil.com', 'javascript:alert(1)', '/a b', '/x#y', '/<script>', '', null, undefined, `/${'a'.repeat(600)}`]) {
      expect(safeRoute(bad)).toBe('/');
    }
  });
});

describe('contentSecurityPolicy', () => {
  it('is strict for the packaged renderer: self only, no inline, no eval, no remote', () => {
    const csp = contentSecurityPolicy(fileTarget);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|http:|https:|ws:/);
  });

  it('allows the dev server (and its HMR socket) in development', () => {
    const csp = contentSecurityPolicy(devTarget);
    expect(csp).toContain('connect-src \'self\' http://127.0.0.1:5173 ws://127.0.0.1:5173');
    expect(csp).not.toContain('unsafe-eval');
  });
});

describe('hardenWebContents', () => {
  beforeEach(() => resetElectronMock());

  function harden() {
    const contents = new MockWebContents();
    const openExternal = vi.fn();
    const logger = recordingLogger();
    hardenWebContents(contents as unknown as WebContents, { isTrustedUrl: (url) => isTrustedRendererUrl(url, fileTarget, 'linux'), openExternal, logger });
    return { contents, openExternal, logger };
  }

  it('blocks navigation away from the renderer; https links go to the browser instead', () => {
    const { contents, openExternal } = harden();
    const ours = mockEvent();
    contents.emit('will-navigate', ours, rendererUrl(fileTarget, '/settings'));
    expect(ours.defaultPrevented).toBe(false);

    const external = mockEvent();
    contents.emit('will-navigate', external, 'https://networkupstools.org/docs');
    expect(external.defaultPrevented).toBe(true);
    expect(openExternal).toHaveBeenCalledWith('https://networkupstools.org/docs');

    const evil = mockEvent();
    contents.emit('will-navigate', evil, 'file:///etc/passwd');
    expect(evil.defaultPrevented).toBe(true);
    const plain = mockEvent();
    contents.emit('will-redirect', plain, 'http://example.com/');
    expect(plain.defaultPrevented).toBe(true);
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it('denies every window.open', () => {
    const { contents, openExternal } = harden();
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: rendererUrl(fileTarget, '/') })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
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
    hardenSession(ses as unknown as Session, fileTarget, recordingLogger());
    const callback = vi.fn();
    ses.permissionRequestHandler?.({}, 'notifications', callback, {});
    ses.permissionRequestHandler?.({}, 'media', callback, {});
    expect(callback.mock.calls).toEqual([[false], [false]]);
    expect(ses.permissionCheckHandler?.({}, 'clipboard-read', 'file://', {})).toBe(false);
  });

  it('sets the CSP header, replacing any the response had', () => {
    const ses = electronMock.session.defaultSession;
    hardenSession(ses as unknown as Session, devTarget, recordingLogger());
    const callback = vi.fn();
    ses.headersListener?.({ url: 'http://127.0.0.1:5173/', responseHeaders: { 'content-security-policy': ["default-src *"], 'X-Other': ['1'] } }, callback);
    const headers = (callback.mock.calls[0]![0] as { responseHeaders: Record<string, string[]> }).responseHeaders;
    expect(headers['Content-Security-Policy']).toEqual([contentSecurityPolicy(devTarget)]);
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['X-Other']).toEqual(['1']);
  });

  it('cancels network requests except to the dev server', () => {
    const file = electronMock.session.defaultSession;
    hardenSession(file as unknown as Session, fileTarget, recordingLogger());
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
    expect(unpackedPath('/opt/NUT Sentinel/resources/app.asar/assets/app/icon.png')).toBe('/opt/NUT Sentinel/resources/app.asar.unpacked/assets/app/icon.png');
    expect(unpackedPath('C:\\NUT\\resources\\app.asar\\assets\\app\\icon.png')).toBe('C:\\NUT\\resources\\app.asar.unpacked\\assets\\app\\icon.png');
    expect(unpackedPath('/home/me/nut-sentinel/assets/app/icon.png')).toBe('/home/me/nut-sentinel/assets/app/icon.png');
    expect(unpackedPath('/x/app.asarx/y')).toBe('/x/app.asarx/y');
  });
});
