/**
 * Renderer routes the shell can open (hash routes: the window loads `index.html#<route>`).
 * Tray items, notifications and second launches all go through `safeRoute`, so nothing
 * outside this small grammar ever reaches the page.
 */
export const ROUTES = {
  dashboard: '/',
  settings: '/settings',
  fsdTest: '/fsd-test',
} as const;

/** The view of one UPS (`/ups/<masterId>/<upsName>`, each part URI-encoded, as renderer/src/router.ts writes it). */
export function upsRoute(monitorId: string): string {
  return `/ups/${monitorId.split('/').map(encodeURIComponent).join('/')}`;
}

const ROUTE_PATTERN = /^\/(?!\/)[A-Za-z0-9\-._~%/?=&:@]*$/;

/** `route` when it is a plain in-app route (`/…`, no scheme, no fragment, bounded); otherwise the dashboard. */
export function safeRoute(route: string | undefined | null): string {
  if (typeof route !== 'string' || route.length > 512 || !ROUTE_PATTERN.test(route))
    return ROUTES.dashboard;
  return route;
}
