/** The shell: skip link, sidebar navigation, transport banner, the routed page, live announcements. */
import { Suspense, lazy, useEffect, useRef } from 'react';
import {
  DRY_RUN_BADGE,
  type ProgramProblem,
  SHUTDOWN_CANNOT_RUN,
  type TrayLevel,
  dryRunApplies,
  shutdownProgramProblem,
} from '../../shared/snapshot';
import { api } from './api';
import {
  BrowserAlerts,
  NotificationPermissionNote,
  browserAlertsApply,
} from './components/BrowserAlerts';
import { Callout, RichText, Spinner } from './components/common';
import { formatCountdown } from './format';
import {
  BatteryIcon,
  BellIcon,
  BellOffIcon,
  CheckIcon,
  ClientsIcon,
  DashboardIcon,
  EventsIcon,
  LogoIcon,
  ServerIcon,
  SettingsIcon,
} from './icons';
import { type Route, href, useRoute } from './router';
import { useServiceView } from './service-status';
import { sidebarServiceLabel } from './service-view';
import { useApp, useNow } from './store';
import { ClientsView } from './views/ClientsView';
import { Dashboard } from './views/Dashboard';
import { EventsView } from './views/EventsView';

// Charts (uPlot) and the settings forms load on first use: the dashboard stays light.
const UpsDetail = lazy(() => import('./views/UpsDetail').then((m) => ({ default: m.UpsDetail })));
const OutagesView = lazy(() =>
  import('./views/OutagesView').then((m) => ({ default: m.OutagesView })),
);
const Settings = lazy(() =>
  import('./views/settings/Settings').then((m) => ({ default: m.Settings })),
);
const MasterEditor = lazy(() =>
  import('./views/settings/MasterEditor').then((m) => ({ default: m.MasterEditor })),
);

const TRAY_LABEL: Record<TrayLevel, string> = {
  online: 'All on line power',
  'on-battery': 'On battery',
  'low-battery': 'Low battery',
  'shutting-down': 'Shutting down',
  'comm-lost': 'Communication lost',
  'not-configured': 'Not configured',
};

const NAV: {
  name: Route['name'];
  label: string;
  to: Route;
  Icon: typeof DashboardIcon;
  match: Route['name'][];
}[] = [
  {
    name: 'dashboard',
    label: 'Dashboard',
    to: { name: 'dashboard' },
    Icon: DashboardIcon,
    match: ['dashboard', 'ups'],
  },
  {
    name: 'clients',
    label: 'Clients',
    to: { name: 'clients' },
    Icon: ClientsIcon,
    match: ['clients'],
  },
  { name: 'events', label: 'Events', to: { name: 'events' }, Icon: EventsIcon, match: ['events'] },
  {
    name: 'outages',
    label: 'Outages',
    to: { name: 'outages' },
    Icon: BatteryIcon,
    match: ['outages'],
  },
  {
    name: 'settings',
    label: 'Settings',
    to: { name: 'settings', section: 'masters' },
    Icon: SettingsIcon,
    match: ['settings', 'master-edit'],
  },
];

export function App() {
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);
  const routeKey = JSON.stringify(route);
  const first = useRef(true);

  // Move focus to the new page's heading (screen readers announce it), except on first load.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    const main = mainRef.current;
    if (!main) return;
    // On a first visit to a lazily loaded page, Suspense keeps the previous page's DOM (hidden)
    // while the chunk loads: its heading does not take focus, so wait for one that does.
    const focusHeading = (): boolean => {
      for (const heading of main.querySelectorAll<HTMLElement>('[data-route-heading]')) {
        heading.focus({ preventScroll: true });
        if (document.activeElement === heading) return true;
      }
      return false;
    };
    if (focusHeading()) return;
    // A lazily loaded page renders its heading a moment later.
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    const timer = setTimeout(() => observer.disconnect(), 5000);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [routeKey]);

  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to content
      </a>
      <Sidebar route={route} />
      <div className="content">
        <TransportBanner />
        <ConfigProblemBanner />
        <ProgramProblemsBanner />
        {browserAlertsApply() && <BrowserAlerts />}
        <main id="main" ref={mainRef} tabIndex={-1} className="main">
          <Suspense fallback={<Spinner />}>
            <Page route={route} />
          </Suspense>
        </main>
      </div>
      <Announcer />
      <Toast />
    </div>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'dashboard':
      return <Dashboard />;
    case 'ups':
      return <UpsDetail monitorId={route.monitorId} tab={route.tab} />;
    case 'clients':
      return <ClientsView />;
    case 'events':
      return <EventsView />;
    case 'outages':
      return <OutagesView />;
    case 'settings':
      return <Settings section={route.section} />;
    case 'master-edit':
      return (
        <MasterEditor
          key={`${route.masterId ?? 'new'}-${route.preset}-${route.prefill ? `${route.prefill.host}:${route.prefill.port}/${route.prefill.ups}` : ''}`}
          masterId={route.masterId}
          preset={route.preset}
          prefill={route.prefill}
        />
      );
    case 'not-found':
      return (
        <>
          <h1 tabIndex={-1} data-route-heading>
            Page not found
          </h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href="#/">Go to the dashboard</a>.
          </p>
        </>
      );
  }
}

function Sidebar({ route }: { route: Route }) {
  const tray = useApp((s) => s.snapshot?.tray);
  const paused = useApp((s) => s.snapshot?.notificationsPaused ?? false);
  const live = useApp((s) => s.transport.kind === 'open');
  const dryRun = useApp((s) => s.snapshot?.ups.some(dryRunApplies) ?? false);
  return (
    <header className="sidebar">
      <a className="brand" href="#/" aria-label="NUT Sentinel — dashboard">
        <LogoIcon size={26} />
        <span>NUT Sentinel</span>
      </a>
      <nav aria-label="Main">
        <ul>
          {NAV.map((n) => {
            const current = n.match.includes(route.name);
            return (
              <li key={n.name}>
                <a
                  href={href(n.to)}
                  className={`nav-link${current ? ' is-current' : ''}`}
                  aria-current={current ? 'page' : undefined}
                  data-testid={`nav-${n.name}`}
                >
                  <n.Icon size={18} />
                  {n.label}
                </a>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="sidebar-foot">
        {tray && (
          <div
            className={`tray-state tray-${live ? tray.level : 'comm-lost'}`}
            data-testid="tray-state"
            data-level={tray.level}
            title={tray.tooltip}
          >
            <span className="pill-dot" aria-hidden="true" />
            <span>
              <span className="tray-label">
                {live
                  ? tray.attention === 'not-permitted'
                    ? 'Not permitted'
                    : tray.attention === 'login-refused'
                      ? 'Login refused'
                      : TRAY_LABEL[tray.level]
                  : 'Not updating'}
              </span>
              {live && tray.charge !== null && (
                <span className="muted nowrap"> · {Math.round(tray.charge)} %</span>
              )}
            </span>
          </div>
        )}
        {dryRun && (
          <a
            className="badge badge-dry-run"
            href={href({ name: 'settings', section: 'shutdown' })}
            data-testid="dry-run-badge"
          >
            {DRY_RUN_BADGE}
          </a>
        )}
        {paused && (
          <a
            className="paused-note"
            href={href({ name: 'settings', section: 'notifications' })}
            data-testid="notifications-paused"
          >
            <BellOffIcon size={16} /> Notifications paused
          </a>
        )}
        {!paused &&
          tray &&
          (browserAlertsApply() ? (
            <NotificationPermissionNote />
          ) : (
            <span className="muted small notif-on">
              <BellIcon size={14} /> Notifications on
            </span>
          ))}
        <ServiceMode />
        <span className="muted small">
          {api.kind === 'bridge' ? 'Browser view (this machine only)' : ''}
        </span>
      </div>
    </header>
  );
}

function TransportBanner() {
  const transport = useApp((s) => s.transport);
  const loaded = useApp((s) => s.snapshot !== null);
  const now = useNow();
  if (transport.kind === 'open' || (transport.kind === 'connecting' && !loaded)) return null;
  if (transport.kind === 'unauthorized') {
    return (
      <div className="transport-banner">
        <Callout
          tone="bad"
          title="Not connected to NUT Sentinel"
          role="alert"
          testId="transport-unauthorized"
        >
          <p>
            <RichText text={transport.reason} />
          </p>
        </Callout>
      </div>
    );
  }
  if (transport.kind === 'closed') return null;
  const wait = transport.kind === 'reconnecting' ? Math.max(0, transport.retryAt - now) : 0;
  return (
    <div className="transport-banner" data-testid="transport-reconnecting">
      <Callout
        tone="warn"
        role="status"
        title="Connection to NUT Sentinel lost — the values below are not updating"
        action={
          <button type="button" className="button button-small" onClick={() => api.reconnectNow()}>
            Retry now
          </button>
        }
      >
        <p>
          {transport.kind === 'reconnecting'
            ? `${transport.reason}. Retrying${wait > 1000 ? ` in ${formatCountdown(wait)}` : '…'}`
            : 'Reconnecting…'}
        </p>
      </Callout>
    </div>
  );
}

function ConfigProblemBanner() {
  const problem = useApp((s) => s.snapshot?.configProblem ?? null);
  if (!problem) return null;
  return (
    <div className="transport-banner">
      <Callout
        tone="bad"
        title="The configuration file could not be loaded — nothing is monitored"
        role="alert"
        testId="config-problem"
      >
        <p>
          <code>{problem}</code>
        </p>
        <p>Fix the file and restart NUT Sentinel. The file itself was left untouched.</p>
      </Callout>
    </div>
  );
}

// A constant for "none": a new [] per store read would make the banner re-render forever.
const NO_PROGRAM_PROBLEMS: ProgramProblem[] = [];

/**
 * Configured programs that cannot run here: a shutdown command that does not exist would only
 * show when the power runs out, so it is said on every page until fixed.
 */
function ProgramProblemsBanner() {
  const problems = useApp((s) => s.snapshot?.programProblems ?? NO_PROGRAM_PROBLEMS);
  if (problems.length === 0) return null;
  const shutdown = shutdownProgramProblem(problems) !== undefined;
  return (
    <div className="transport-banner">
      <Callout
        tone={problems.some((p) => p.severity === 'error') ? 'bad' : 'warn'}
        title={
          shutdown
            ? SHUTDOWN_CANNOT_RUN
            : problems.length === 1
              ? 'A hook program cannot run on this machine'
              : 'Hook programs cannot run on this machine'
        }
        role="alert"
        testId="program-problems"
      >
        <ul>
          {problems.map((p) => (
            <li key={p.path} data-testid="program-problem" data-severity={p.severity}>
              <code>{p.path}</code>: {p.message}
            </li>
          ))}
        </ul>
        <p>
          Fix it in{' '}
          <a href={href({ name: 'settings', section: shutdown ? 'shutdown' : 'hooks' })}>
            Settings → {shutdown ? 'Shutdown' : 'Hooks & timers'}
          </a>{' '}
          or in the config file.
        </p>
      </Callout>
    </div>
  );
}

function Toast() {
  const toast = useApp((s) => s.toast);
  if (!toast) return null;
  return (
    <div className="toast" key={toast.seq} data-testid="toast" aria-hidden="true">
      <CheckIcon size={16} /> {toast.text}
    </div>
  );
}

function Announcer() {
  const announcement = useApp((s) => s.announcement);
  return (
    <>
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="announcer">
        {!announcement.assertive && announcement.text ? (
          <span key={announcement.seq}>{announcement.text}</span>
        ) : null}
      </div>
      <div className="visually-hidden" role="alert" aria-live="assertive">
        {announcement.assertive && announcement.text ? (
          <span key={announcement.seq}>{announcement.text}</span>
        ) : null}
      </div>
    </>
  );
}

/** Whether monitoring goes through the background service (attached) or runs in this app. */
function ServiceMode() {
  const { view } = useServiceView();
  if (!view) return null;
  return (
    <a
      className={`service-mode small${view.attached ? ' is-attached' : ' muted'}`}
      href={href({ name: 'settings', section: 'service' })}
      data-testid="service-mode"
      data-attached={view.attached ? 'true' : 'false'}
      title={view.headline}
    >
      <ServerIcon size={14} /> {sidebarServiceLabel(view)}
    </a>
  );
}
