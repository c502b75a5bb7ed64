/**
 * The smaller defects of the walkthrough (a new homelab admin, a Synology and a Proxmox master),
 * in Chromium through the browser bridge against a real upsd: each test asserts what the page
 * shows.
 */
import type { Page } from '@playwright/test';
import { networkInterfaces } from 'node:os';
import { startUpsdRig } from '../main/testing/upsd-rig';
import {
  configureDryRunSecondary,
  eventually,
  expect,
  recordWebNotifications,
  screenshot,
  shownNotifications,
  test,
} from './fixtures';

const UPS = 'ups';

const focusedText = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el && el !== document.body ? `${el.tagName} ${(el as HTMLElement).innerText}` : null;
  });

test('the first visit to a lazily loaded page (UPS detail, Settings) moves focus to its heading', async ({
  page,
  rig,
  app,
}) => {
  await configureDryRunSecondary(app, rig.host, rig.port);
  await page.goto(app.url);
  await expect(page.getByTestId('ups-card').first()).toHaveAttribute(
    'data-connection',
    'connected',
    { timeout: 20_000 },
  );
  // Nothing of UpsDetail or Settings is loaded yet: these are first visits.
  await page.getByTestId('ups-card').first().getByRole('link').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect.poll(() => focusedText(page)).toMatch(/^H1 /);
  expect(await focusedText(page)).toBe(
    `H1 ${await page.getByRole('heading', { level: 1 }).innerText()}`,
  );

  await page.getByTestId('nav-settings').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await expect.poll(() => focusedText(page)).toBe('H1 Settings');
});

test('preset hints show `backticks` as code', async ({ page, app }) => {
  await page.goto(app.url);
  await page.goto(`${app.url.split('#')[0]}#/settings/masters/new?preset=proxmox`);
  const hints = page.getByTestId('preset-hints');
  await expect(hints).toBeVisible();
  await expect(hints.locator('code').filter({ hasText: 'LISTEN 0.0.0.0 3493' })).toHaveCount(1);
  await expect(hints).not.toContainText('`');
});

test('a narrow window (800 × 600): the header takes at most a third of the height, the status pill and card footer wrap inside', async ({
  page,
  rig,
  app,
}) => {
  await configureDryRunSecondary(app, rig.host, rig.port);
  await page.setViewportSize({ width: 800, height: 600 });
  await page.goto(app.url);
  await expect(page.getByTestId('tray-state')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('dry-run-badge')).toBeVisible();
  const header = (await page.locator('header.sidebar').boundingBox())!;
  expect(header.height).toBeLessThanOrEqual(600 / 3);
  const pill = (await page.getByTestId('tray-state').boundingBox())!;
  expect(pill.x + pill.width).toBeLessThanOrEqual(header.x + header.width);
  // The card footer's items wrap inside the card, none runs past its edge.
  const card = (await page.getByTestId('ups-card').first().boundingBox())!;
  const footItems = page.locator('[data-testid="ups-card"] .ups-card-foot > *');
  expect(await footItems.count()).toBeGreaterThan(1);
  for (const box of await footItems.evaluateAll((els) =>
    els.map((el) => el.getBoundingClientRect().toJSON() as DOMRect),
  ))
    expect(box.right).toBeLessThanOrEqual(card.x + card.width);
  await screenshot(page, 'narrow-header-800x600');
});

test('a wrong token: one explanation of what to do, no second generic error', async ({
  page,
  app,
}) => {
  await page.goto(`${app.url.split('#')[0]}#token=not-the-token`);
  await expect(page.getByText(/access token is not valid/)).toBeVisible({ timeout: 15_000 });
  await page.waitForTimeout(1_500);
  const text = await page.locator('body').innerText();
  expect(text.match(/token/gi)?.length ?? 0).toBeLessThanOrEqual(2);
  await expect(page.getByText(/access token is not valid/)).toHaveCount(1);
  // Pages that load data say it once too: the banner, not a second "Something went wrong".
  for (const route of ['#/settings/masters/new?preset=proxmox', '#/events', '#/settings/hooks']) {
    await page.evaluate((hash) => (location.hash = hash), route);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await page.waitForTimeout(1_000);
    await expect(page.getByText(/access token is not valid/)).toHaveCount(1);
    await expect(page.getByText('Something went wrong')).toHaveCount(0);
    await expect(page.getByText('The settings could not be loaded')).toHaveCount(0);
  }
  await screenshot(page, 'wrong-token');
});

test('hooks tables: every select shows its whole value', async ({ page, rig, app }) => {
  await configureDryRunSecondary(app, rig.host, rig.port, {
    hooks: {
      events: { FSD_LATCHED_AT_START: { notify: false } },
      upssched: {
        cmdScript: { file: '/bin/true', args: [] },
        rules: [
          { event: 'FSD_LATCHED_AT_START', ups: '*', action: 'CANCEL-TIMER', timer: 'early' },
          { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'early', seconds: 30 },
        ],
      },
    },
  });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.goto(app.url);
  await page.goto(`${app.url.split('#')[0]}#/settings/hooks`);
  const selects = page.locator(
    '[data-testid="event-policies"] select, [data-testid="upssched-rules"] select',
  );
  await expect(page.getByTestId('upssched-rule')).toHaveCount(2);
  const count = await selects.count();
  expect(count).toBeGreaterThan(10);
  for (let i = 0; i < count; i++) {
    const { shown, needed, value } = await selects.nth(i).evaluate((el) => {
      const select = el as HTMLSelectElement;
      // The same select in the same cell, out of the flow: sized by its content alone.
      const alone = select.cloneNode(true) as HTMLSelectElement;
      alone.value = select.value;
      alone.style.position = 'absolute';
      alone.style.visibility = 'hidden';
      alone.style.width = 'auto';
      alone.style.minWidth = '0';
      select.parentElement!.append(alone);
      const needed = alone.getBoundingClientRect().width;
      alone.remove();
      return { shown: select.getBoundingClientRect().width, needed, value: select.value };
    });
    expect(shown, `select showing ${value}`).toBeGreaterThanOrEqual(needed - 0.5);
  }
  await screenshot(page, 'hooks-tables');
});

test('the SHUTDOWN event row names the UPS that caused it', async ({ page, rig, app }) => {
  await configureDryRunSecondary(app, rig.host, rig.port);
  await page.goto(app.url);
  await rig.setStatus(UPS, 'OB LB');
  const events = await eventually(
    () => app.api('events:query', { types: ['SHUTDOWN'], limit: 10 }),
    (list) => list.length > 0,
    30_000,
  );
  expect(events[0]).toMatchObject({ monitorId: '*', data: { triggeredBy: 'nas/ups' } });
  // Every event so far (app start, settings, login, the episode) uses one naming scheme.
  const all = await app.api('events:query', { limit: 500 });
  expect(all.length).toBeGreaterThan(5);
  for (const e of all) expect(e.type).toMatch(/^[A-Z][A-Z0-9_]*$/);
  await page.goto(`${app.url.split('#')[0]}#/events`);
  const row = page.locator('[data-testid="event-row"][data-type="SHUTDOWN"]').first();
  await expect(row.getByTestId('event-ups')).toHaveText('ups · Office NAS');
  await expect(row.getByTestId('event-ups')).toHaveAttribute('href', '#/ups/nas/ups/events');
  await rig.setStatus(UPS, 'OL');
});

test('browser mode: a banner and a Web Notification when the address the master sees this machine as changes', async ({
  page,
  app,
}) => {
  // A second address of this machine the master can be reached at: the source address follows.
  const other = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  expect(other, 'this test needs a non-loopback IPv4 address').toBeDefined();
  const rig = await startUpsdRig({ listen: '0.0.0.0' });
  try {
    await configureDryRunSecondary(app, '127.0.0.1', rig.port);
    await recordWebNotifications(page);
    await page.context().grantPermissions(['notifications'], { origin: new URL(app.url).origin });
    await page.goto(app.url);
    const card = page.getByTestId('ups-card').first();
    await expect(card.getByTestId('master-sees')).toHaveText(/sees this machine as 127\.0\.0\.1/, {
      timeout: 20_000,
    });
    await expect(card.getByTestId('master-sees')).toHaveAttribute('data-check', 'listed', {
      timeout: 15_000,
    });

    // The same master, now reached at this machine's other address: it sees us as that one.
    const { config } = await app.api('config:get', undefined);
    const masters = config.masters.map((m) => ({ ...m, host: other! }));
    expect(await app.api('config:save', { config: { ...config, masters } })).toEqual({ ok: true });

    const banner = page.locator('[data-testid="alert-banner"][data-type="ADDRESS_CHANGED"]');
    await expect(banner).toBeVisible({ timeout: 20_000 });
    await expect(banner).toContainText('This machine’s address changed');
    await expect(banner).toContainText(`now sees this machine as ${other} (was 127.0.0.1)`);
    await expect
      .poll(async () => (await shownNotifications(page)).map((n) => n.title))
      .toContain('NUT Sentinel: This machine’s address changed');
    await screenshot(page, 'browser-banner-address-changed');
  } finally {
    await rig.stop();
  }
});

test('server identity: the Proxmox preset alone is not called "Proxmox VE"; the stock upsd says NUT 2.8.0', async ({
  page,
  rig,
  app,
}) => {
  await configureDryRunSecondary(app, rig.host, rig.port);
  const { config } = await app.api('config:get', undefined);
  const masters = config.masters.map((m) => ({ ...m, preset: 'proxmox' as const, label: 'pve' }));
  expect(await app.api('config:save', { config: { ...config, masters } })).toEqual({ ok: true });
  await page.goto(app.url);
  const card = page.getByTestId('ups-card').first();
  await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
  await expect(card.getByTestId('server-identity')).toHaveText('NUT 2.8.0');
  await expect(card).not.toContainText('Proxmox VE');
});

test('"Recently shown" lists the newest notification first', async ({ page, rig, app }) => {
  await configureDryRunSecondary(app, rig.host, rig.port, { notifications: { desktop: true } });
  await page.goto(app.url);
  await rig.setStatus(UPS, 'OB DISCHRG');
  await eventually(
    () => app.api('notifications:recent', undefined),
    (list) => list.some((n) => n.key.startsWith('ONBATT')),
  );
  await rig.setStatus(UPS, 'OL');
  await eventually(
    () => app.api('notifications:recent', undefined),
    (list) => list.some((n) => n.key.startsWith('ONLINE')),
  );
  await page.goto(`${app.url.split('#')[0]}#/settings/notifications`);
  const items = page.getByTestId('recent-notifications').locator('li');
  await expect(items.first()).toBeVisible();
  const times = await items
    .locator('time')
    .evaluateAll((els) => els.map((el) => Date.parse(el.getAttribute('datetime') ?? '')));
  expect(times.length).toBeGreaterThanOrEqual(2);
  expect([...times].sort((a, b) => b - a)).toEqual(times);
  await expect(items.first()).toContainText(/line power/i);
});
