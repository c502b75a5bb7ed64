/**
 * The smaller defects of the walkthrough (a new homelab admin, a Synology and a Proxmox master),
 * in Chromium through the browser bridge against a real upsd: each test asserts what the page
 * shows.
 */
import type { Page } from '@playwright/test';
import type { ConfigInput } from '../shared/config';
import { RIG_USERS } from '../main/testing/upsd-rig';
import { type AppUnderTest, eventually, expect, screenshot, test } from './fixtures';

const UPS = 'ups';

async function configure(
  app: AppUnderTest,
  host: string,
  port: number,
  overrides: Partial<ConfigInput> = {},
): Promise<void> {
  const config: ConfigInput = {
    masters: [
      {
        id: 'nas',
        label: 'Office NAS',
        preset: 'synology',
        host,
        port,
        ups: [{ name: UPS, username: RIG_USERS.monuser.name }],
      },
    ],
    timing: {
      statusPollSeconds: 0.25,
      fullPollSeconds: 1,
      hostSyncSeconds: 1,
      finalDelaySeconds: 1,
    },
    shutdown: { dryRun: true },
    notifications: { desktop: false },
    ...overrides,
  };
  await app.api('secrets:set-password', {
    masterId: 'nas',
    upsName: UPS,
    password: RIG_USERS.monuser.password,
  });
  expect(await app.api('config:save', { config })).toEqual({ ok: true });
  await eventually(
    () => app.api('app:get-snapshot', undefined),
    (snapshot) => snapshot.ups[0]?.loggedIn === true,
    30_000,
  );
}

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
  await configure(app, rig.host, rig.port);
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

test('a narrow window (800 × 600): the header takes at most a third of the height, the status pill wraps inside it', async ({
  page,
  rig,
  app,
}) => {
  await configure(app, rig.host, rig.port);
  await page.setViewportSize({ width: 800, height: 600 });
  await page.goto(app.url);
  await expect(page.getByTestId('tray-state')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('dry-run-badge')).toBeVisible();
  const header = (await page.locator('header.sidebar').boundingBox())!;
  expect(header.height).toBeLessThanOrEqual(600 / 3);
  const pill = (await page.getByTestId('tray-state').boundingBox())!;
  expect(pill.x + pill.width).toBeLessThanOrEqual(header.x + header.width);
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
