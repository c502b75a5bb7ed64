/**
 * An outage as it happens, in Chromium through the browser bridge against a real upsd: what the
 * page says at each step must be true.
 *
 * - Dry run: OB → OB LB → HOSTSYNC → SHUTDOWN → FINALDELAY → the (recorded) command. The app logs
 *   out like a real shutdown (the master sees it), logs in again by itself and keeps monitoring;
 *   the card marks "Shutdown rehearsed (dry run) at HH:MM"; when the power returns the card is on
 *   line and logged in with no click. Never "Connection lost", never "Shutting down", no "Re-arm".
 * - On battery: a running time-on-battery counter, the rule that applies now, the live HOSTSYNC
 *   countdown; browser mode shows a banner and a Web Notification (permission granted).
 * - A refused LOGIN is one event with its fix; the event log's filters read as they filter.
 */
import type { Page } from '@playwright/test';
import { RIG_USERS } from '../main/testing/upsd-rig';
import {
  configureDryRunSecondary,
  expect,
  recordWebNotifications,
  screenshot,
  shownNotifications,
  test,
} from './fixtures';

const UPS = 'ups';

/** Records every text the sidebar, the cards and the tab title show, on each DOM change (nothing is missed between polls). */
async function recordTexts(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen = new Set<string>();
    (window as unknown as { __texts: Set<string> }).__texts = seen;
    const take = () => {
      seen.add(`title: ${document.title}`);
      document
        .querySelectorAll<HTMLElement>('.sidebar, [data-testid="ups-card"]')
        .forEach((el) => seen.add(el.innerText));
    };
    take();
    new MutationObserver(take).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  });
  return () => page.evaluate(() => [...(window as unknown as { __texts: Set<string> }).__texts]);
}

test('dry run: a low-battery episode is rehearsed — logged out and in again, marked, back to normal on line power with no click', async ({
  page,
  rig,
  app,
}) => {
  test.setTimeout(120_000);
  await configureDryRunSecondary(app, rig.host, rig.port);
  await page.goto(app.url);
  const card = page.getByTestId('ups-card').first();
  await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
  // Persistent: the sidebar and every card that would shut this machine down.
  await expect(page.getByTestId('dry-run-badge')).toHaveText(
    'Dry run — this machine will not shut down',
  );
  await expect(card.getByTestId('card-dry-run')).toHaveText(
    'Dry run — this machine will not shut down',
  );
  const texts = await recordTexts(page);

  await rig.setStatus(UPS, 'OB DISCHRG');
  await expect(card).toHaveAttribute('data-level', 'on-battery', { timeout: 5_000 });
  await rig.setStatus(UPS, 'OB LB');
  // HOSTSYNC 1 s, FINALDELAY 1 s, then the command is recorded and the session logs out.
  await expect.poll(() => rig.numLogins(UPS), { timeout: 15_000, intervals: [100] }).toBe(0);
  await expect(card.getByTestId('shutdown-title')).toHaveText(
    /^Shutdown rehearsed \(dry run\) at \d\d:\d\d$/,
    { timeout: 10_000 },
  );
  await expect(card.getByTestId('role')).toContainText('logged out for the rehearsal');
  await expect(card).not.toHaveAttribute('data-level', 'comm-lost');
  await screenshot(page, 'dry-run-rehearsed-logged-out');
  // Then it logs in again by itself and keeps monitoring (still on battery: the mark stays).
  await expect.poll(() => rig.numLogins(UPS), { timeout: 15_000 }).toBe(1);
  await expect(card).toHaveAttribute('data-connection', 'connected');
  await expect(card.getByTestId('role')).toContainText('logged in');
  await expect(card.getByTestId('shutdown-banner')).toHaveAttribute('data-phase', 'rehearsed');
  // One rehearsal per episode: no logout loop while the UPS stays critical.
  await page.waitForTimeout(3_000);
  expect(await rig.numLogins(UPS)).toBe(1);
  const events = await app.api('events:query', { limit: 200 });
  expect(
    events.filter((e) => e.type === 'SHUTDOWN_COMMAND' && e.data?.phase === 'dry-run'),
  ).toHaveLength(1);
  await screenshot(page, 'dry-run-rehearsed-monitoring');

  // Power back: the card is normal again, with no user action.
  await rig.setStatus(UPS, 'OL CHRG');
  await expect(card).toHaveAttribute('data-level', 'online', { timeout: 10_000 });
  await expect(card.getByTestId('shutdown-banner')).toHaveCount(0);
  await expect(card).toHaveAttribute('data-connection', 'connected');
  await expect(card.getByTestId('role')).toContainText('logged in');
  await expect(page.getByTestId('tray-state')).toHaveAttribute('data-level', 'online');

  const shown = await texts();
  expect(shown.length).toBeGreaterThan(3);
  for (const text of shown) {
    expect(text).not.toContain('Connection lost');
    expect(text).not.toContain('Shutting down');
    expect(text).not.toContain('Re-arm monitoring');
    expect(text).not.toContain('not logged in');
  }
  expect(shown.some((t) => t.includes('Shutdown rehearsed (dry run) at'))).toBe(true);
  expect(await page.getByTestId('acknowledge-shutdown').count()).toBe(0);
});

test('on battery: the card counts the time and says what happens next; the browser notifies (banner + Web Notification)', async ({
  page,
  rig,
  app,
}) => {
  test.setTimeout(90_000);
  await configureDryRunSecondary(app, rig.host, rig.port, {
    timing: {
      statusPollSeconds: 0.25,
      fullPollSeconds: 1,
      hostSyncSeconds: 60,
      finalDelaySeconds: 1,
    },
  });
  // Record what the page hands to the Web Notifications API (the permission is granted below, as a user's click would).
  await recordWebNotifications(page);
  const origin = new URL(app.url).origin;
  await page.goto(app.url);
  const note = page.getByTestId('browser-notifications');
  await expect(note).not.toHaveAttribute('data-permission', 'granted');
  await expect(note).not.toHaveText(/Notifications on/);
  await page.context().grantPermissions(['notifications'], { origin });
  await page.reload();
  await expect(page.getByTestId('browser-notifications')).toHaveAttribute(
    'data-permission',
    'granted',
  );
  await expect(page.getByTestId('browser-notifications')).toHaveText(/Notifications on/);
  const card = page.getByTestId('ups-card').first();
  await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });

  await rig.setStatus(UPS, 'OB DISCHRG');
  const banner = page.locator('[data-testid="alert-banner"][data-type="ONBATT"]');
  await expect(banner).toBeVisible({ timeout: 5_000 });
  await expect(banner).toContainText('On battery');
  const notifications = () => shownNotifications(page);
  await expect
    .poll(async () => (await notifications()).map((n) => n.title))
    .toContain('NUT Sentinel: On battery');

  // A running counter and the rule that applies now.
  const counter = card.getByTestId('time-on-battery');
  await expect(counter).toHaveText(/^\d+ s$/);
  const first = await counter.textContent();
  await expect(counter).not.toHaveText(first!, { timeout: 3_000 });
  const rule = card.getByTestId('shutdown-rule');
  await expect(rule).toContainText(
    'Shuts down this machine at low battery after HOSTSYNC 60 s, or at once on FSD; then FINALDELAY 1 s and',
  );
  await expect(rule).toContainText('— recorded, not run (dry run).');
  await expect(rule.locator('code')).toHaveText(/shutdown/);
  await expect(page.getByTestId('summary-line')).toContainText('1 on battery');

  // Low battery: LOWBATT banner, and the live HOSTSYNC countdown.
  await rig.setStatus(UPS, 'OB LB');
  await expect(page.locator('[data-testid="alert-banner"][data-type="LOWBATT"]')).toBeVisible({
    timeout: 5_000,
  });
  await expect
    .poll(async () => (await notifications()).map((n) => n.title))
    .toContain('NUT Sentinel: Low battery');
  await expect(card.getByTestId('shutdown-banner')).toHaveAttribute(
    'data-phase',
    'waiting-hostsync',
  );
  const countdown = card.getByTestId('shutdown-countdown');
  const before = await countdown.textContent();
  await expect(countdown).not.toHaveText(before!, { timeout: 3_000 });
  await screenshot(page, 'on-battery-what-happens-next');

  await rig.setStatus(UPS, 'OL');
  await expect(card).toHaveAttribute('data-level', 'online', { timeout: 5_000 });
  await expect(card.getByTestId('on-battery')).toHaveCount(0);
});

test('a refused LOGIN is one incident: one event with its detail, not three', async ({
  page,
  rig,
  app,
}) => {
  test.setTimeout(60_000);
  await app.api('config:save', {
    config: {
      masters: [
        {
          id: 'nas',
          label: 'Wrong password NAS',
          preset: 'synology',
          host: rig.host,
          port: rig.port,
          ups: [{ name: UPS, username: RIG_USERS.monuser.name }],
        },
      ],
      notifications: { desktop: false },
    },
  });
  await app.api('secrets:set-password', { masterId: 'nas', upsName: UPS, password: 'wrong' });
  await page.goto(app.url);
  const card = page.getByTestId('ups-card').first();
  await expect(card).toHaveAttribute('data-connection', 'login-refused', { timeout: 20_000 });
  await page.waitForTimeout(2_000);
  const events = await app.api('events:query', { monitorId: 'nas/ups', limit: 100 });
  const about = events.filter((e) => /refused|LOGIN|COMM/i.test(`${e.type} ${e.message}`));
  expect(about.map((e) => e.type)).toEqual(['LOGIN_REFUSED']);
  expect(about[0]!.data).toMatchObject({ code: 'ACCESS-DENIED' });
  expect(String(about[0]!.data?.fix)).toContain('upsd.users');

  // The detail page's header lists it among the last events; the log shows it once, with the fix.
  await page.goto(`${app.url.split('#')[0]}#/ups/nas/ups/events`);
  await expect(page.locator('[data-testid="recent-event"][data-type="LOGIN_REFUSED"]')).toHaveCount(
    1,
  );
  const log = page.getByTestId('event-log');
  await expect(log.locator('[data-testid="event-row"][data-type="LOGIN_REFUSED"]')).toHaveCount(1);
  await expect(log.locator('[data-testid="event-row"][data-type="login-refused"]')).toHaveCount(0);
  await expect(log.locator('[data-testid="event-row"][data-type="COMMBAD"]')).toHaveCount(0);
  await log
    .locator('[data-testid="event-row"][data-type="LOGIN_REFUSED"]')
    .getByText('Details')
    .click();
  await expect(log.locator('[data-testid="event-row"][data-type="LOGIN_REFUSED"]')).toContainText(
    'upsd.users',
  );
  // The type filter lists only what occurred; the severity filter narrows to critical.
  const types = await log.getByTestId('event-filter-type').locator('option').allTextContents();
  // Each reads as a label with upsmon's name kept beside it.
  expect(types).toContain('Login refused: no shutdown grace (LOGIN_REFUSED)');
  expect(types.some((t) => t.includes('ONBATT'))).toBe(false);
  await expect(
    log.getByTestId('event-filter-type').locator('option[value="LOGIN_REFUSED"]'),
  ).toHaveText('Login refused: no shutdown grace (LOGIN_REFUSED)');
  await log.getByTestId('event-filter-severity').selectOption('critical');
  await expect(log.locator('[data-testid="event-row"]')).toHaveCount(1);
  await expect(log.locator('[data-testid="event-row"]').first()).toHaveAttribute(
    'data-severity',
    'critical',
  );
  // "Show" reads as it filters: ticking Notifications shows only notifications.
  await log.getByTestId('event-filter-severity').selectOption('');
  await log.getByTestId('event-filter-kinds').getByText('Notifications').click();
  await expect(log.locator('[data-testid="event-row"][data-kind="system"]')).toHaveCount(0);
  await expect(log.locator('[data-testid="event-row"][data-kind="notify"]')).toHaveCount(1);
  await screenshot(page, 'events-login-refused-one-event');
});
