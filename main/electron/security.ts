/**
 * Security defaults for every web contents and the default session (Electron security
 * checklist): no navigation away from our renderer, no new windows, no <webview>, no
 * permissions, a strict CSP header, and no network requests except to the dev server.
 */
import type { Session, WebContents } from 'electron';
import type { Logger } from '../platform/ports';
import { RENDERER_CSP } from '../../shared/renderer-policy';
import type { RendererTarget } from './paths';

/**
 * The Content-Security-Policy header for the renderer target: the one renderer CSP
 * (shared/renderer-policy.ts, also the <meta> tag of the built index.html) for our scheme; a
 * looser one for the Vite dev server in development.
 */
export function contentSecurityPolicy(target: RendererTarget): string {
  if (target.kind === 'app') return RENDERER_CSP;
  // Vite dev server: its client injects inline styles and a React refresh preamble and talks HMR over ws.
  const ws = target.origin.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    `script-src 'self' 'unsafe-inline' ${target.origin}`,
    `style-src 'self' 'unsafe-inline' ${target.origin}`,
    `img-src 'self' data: ${target.origin}`,
    `font-src 'self' ${target.origin}`,
    `connect-src 'self' ${target.origin} ${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export interface HardenOptions {
  isTrustedUrl(url: string): boolean;
  /** Opens a link in the user's browser (only https: links are passed on). */
  openExternal(url: string): void;
  logger: Logger;
}

function isExternalLink(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** For app.on('web-contents-created'): applied to every web contents, ours or not. */
export function hardenWebContents(contents: WebContents, options: HardenOptions): void {
  const refuse = (kind: string, url: string): void => {
    if (isExternalLink(url)) {
      options.logger.log('info', `${kind}: opening link in the browser`, { url });
      options.openExternal(url);
    } else {
      options.logger.log('warn', `${kind}: blocked`, { url: url.slice(0, 200) });
    }
  };
  // Electron 45: the URL is on the event (`details.url`); the positional one is deprecated.
  contents.on('will-navigate', (details) => {
    if (options.isTrustedUrl(details.url)) return;
    details.preventDefault();
    refuse('navigation', details.url);
  });
  contents.on('will-redirect', (details) => {
    if (options.isTrustedUrl(details.url)) return;
    details.preventDefault();
    refuse('redirect', details.url);
  });
  contents.setWindowOpenHandler(({ url }) => {
    refuse('window.open', url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    options.logger.log('warn', 'will-attach-webview: blocked');
  });
}

/** Permissions denied, the CSP header on every response, and no network except to the dev server. */
export function hardenSession(ses: Session, target: RendererTarget, logger: Logger): void {
  ses.setPermissionRequestHandler((_wc, permission, callback) => {
    logger.log('warn', 'permission request denied', { permission });
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  const csp = contentSecurityPolicy(target);
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [csp];
    callback({ responseHeaders: headers });
  });
  // The renderer talks to the core over IPC only: no http(s)/ws(s) request leaves the app
  // except to the dev server in development.
  const devOrigin = target.kind === 'dev' ? target.origin : null;
  const devWsOrigin = devOrigin?.replace(/^http/, 'ws') ?? null;
  ses.webRequest.onBeforeRequest(
    { urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] },
    (details, callback) => {
      let origin: string;
      try {
        origin = new URL(details.url).origin;
      } catch {
        callback({ cancel: true });
        return;
      }
      const allowed = origin === devOrigin || origin === devWsOrigin;
      if (!allowed)
        logger.log('warn', 'network request blocked', { url: details.url.slice(0, 200) });
      callback({ cancel: !allowed });
    },
  );
}
