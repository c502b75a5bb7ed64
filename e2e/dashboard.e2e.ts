/**
 * The UI a user meets, in Chromium through the browser bridge, against a real upsd:
 * add a Synology master with the preset, see live status, a power cut reaching the card, the
 * tray state and a notification, this machine in the connected clients, the events, a wrong
 * password explained, and settings surviving a restart.
 */
import {
  configureDryRunSecondary,
  dryRunSecondaryConfig,
  eventually,
  expect,
  screenshot,
  test,
} from './fixtures';

test('add a Synology master, watch a power cut, see clients and events, survive a restart', async ({
  page,
  rig,
  app,
}) => {
  await page.goto(app.url);

  // Empty app: the dashboard offers the presets.
  await page.getByTestId('add-synology').click();
  await expect(page.getByTestId('preset-synology')).toBeChecked();
  await expect(page.getByTestId('ups-name')).toHaveValue('ups');
  await expect(page.getByTestId('ups-username')).toHaveValue('monuser');

  await page.getByTestId('master-label').fill('Test NAS');
  await page.getByTestId('master-host').fill('127.0.0.1');
  await page.getByTestId('master-port').fill(String(rig.port));

  // A wrong password is explained with its fix before anything is saved.
  await page.getByTestId('ups-password').fill('not-the-password');
  await page.getByTestId('test-connection').click();
  const failed = page.getByTestId('test-result');
  await expect(failed).toHaveAttribute('data-ok', 'false');
  await expect(page.getByTestId('test-diagnosis')).toContainText(
    /password|Permitted DiskStation devices/i,
  );
  await screenshot(page, 'settings-wrong-password');

  await page.getByTestId('ups-password').fill('secret');
  await page.getByTestId('test-connection').click();
  await expect(page.getByTestId('test-result')).toHaveAttribute('data-ok', 'true');
  await expect(page.locator('[data-testid="test-step"][data-step="login"]')).toHaveAttribute(
    'data-ok',
    'true',
  );
  await screenshot(page, 'settings-master-synology');
  await page.getByTestId('save-master').click();

  // Live status on the dashboard.
  await page.getByTestId('nav-dashboard').click();
  const card = page.getByTestId('ups-card').first();
  await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
  await expect(card).toHaveAttribute('data-level', 'online');
  await expect(card.getByTestId('runtime')).not.toHaveText(/unknown/i, { timeout: 15_000 });
  await expect.poll(() => rig.numLogins('ups')).toBe(1);
  await screenshot(page, 'dashboard-online');
  // The sidebar's footer (state, notifications, mode) stays inside the sidebar: long labels wrap.
  await expect(page.getByTestId('tray-state')).toBeVisible();
  const sidebar = (await page.locator('.sidebar').boundingBox())!;
  for (const item of await page.locator('.sidebar-foot > *').all()) {
    const box = (await item.boundingBox())!;
    expect(box.x + box.width, await item.innerText()).toBeLessThanOrEqual(
      sidebar.x + sidebar.width + 0.5,
    );
  }

  // Power cut: the card, the tray state (as the API exposes it) and a notification follow.
  await rig.setStatus('ups', 'OB DISCHRG');
  await expect(card).toHaveAttribute('data-level', 'on-battery', { timeout: 5_000 });
  await expect(page.getByTestId('tray-state')).toHaveAttribute('data-level', 'on-battery');
  const snapshot = await app.api('app:get-snapshot', undefined);
  expect(snapshot.tray.level).toBe('on-battery');
  const notifications = await eventually(
    () => app.api('notifications:recent', undefined),
    (list) => list.some((n) => n.key.startsWith('ONBATT:')),
  );
  expect(notifications.find((n) => n.key.startsWith('ONBATT:'))?.title).toMatch(/battery/i);
  await screenshot(page, 'dashboard-on-battery');

  await rig.setStatus('ups', 'OL');
  await expect(card).toHaveAttribute('data-level', 'online', { timeout: 5_000 });

  // Connected secondaries: this machine is listed and marked.
  const monitorId = snapshot.ups[0]!.monitorId;
  await page.goto(`${app.url.split('#')[0]}#/ups/${monitorId}/clients`);
  const self = page.getByTestId('client-row').filter({ hasText: 'This machine' });
  await expect(self).toHaveCount(1, { timeout: 10_000 });
  await expect(self).toContainText('127.0.0.1');
  await screenshot(page, 'clients');

  // The event log shows what happened.
  await page.getByTestId('nav-events').click();
  await expect(page.locator('[data-testid="event-row"][data-type="ONBATT"]').first()).toBeVisible();
  await expect(page.locator('[data-testid="event-row"][data-type="ONLINE"]').first()).toBeVisible();
  await screenshot(page, 'events');

  // Settings and the stored password survive a restart of the core.
  await app.restart();
  await page.goto(app.url);
  const again = page.getByTestId('ups-card').first();
  await expect(again).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
  await expect(again).toContainText('Test NAS');
  await expect.poll(() => rig.numLogins('ups')).toBe(1);
  const { config } = await app.api('config:get', undefined);
  expect(config.masters[0]).toMatchObject({
    label: 'Test NAS',
    preset: 'synology',
    port: rig.port,
  });
});

test('a master that refuses LOGIN is shown loudly with the fix', async ({ page, rig, app }) => {
  await app.api('config:save', {
    config: {
      masters: [
        {
          id: 'nas',
          label: 'Wrong password NAS',
          preset: 'synology',
          host: '127.0.0.1',
          port: rig.port,
          ups: [{ name: 'ups', username: 'monuser' }],
        },
      ],
    },
  });
  await app.api('secrets:set-password', { masterId: 'nas', upsName: 'ups', password: 'wrong' });
  await page.goto(app.url);
  const card = page.getByTestId('ups-card').first();
  await expect(card).toHaveAttribute('data-connection', 'login-refused', { timeout: 20_000 });
  await expect(card.getByTestId('login-refused')).toContainText(/ACCESS-DENIED|password/i);
  // Still monitored (status shown), but not counted by the master: it will not wait for us.
  await expect(card).toHaveAttribute('data-level', 'online');
  expect(await rig.numLogins('ups')).toBe(0);
  const notifications = await eventually(
    () => app.api('notifications:recent', undefined),
    (list) => list.some((n) => n.key.startsWith('LOGIN_REFUSED:')),
  );
  expect(notifications.length).toBeGreaterThan(0);
  await screenshot(page, 'dashboard-login-refused');
});

test('redundant supplies (MINSUPPLIES): the shutdown settings refuse more supplies than the UPSes feed, and a valid value reaches the core', async ({
  page,
  rig,
  app,
}) => {
  await app.api('config:save', {
    config: {
      masters: [
        {
          id: 'nas',
          label: 'NAS',
          preset: 'synology',
          host: '127.0.0.1',
          port: rig.port,
          ups: [{ name: 'ups', username: 'monuser', powerValue: 1 }],
        },
      ],
    },
  });
  await page.goto(app.url); // the link carries the access token in its fragment
  await page.goto(`${app.url.split('#')[0]}#/settings/shutdown`);
  const form = page.getByTestId('shutdown-form');
  await expect(page.getByTestId('min-supplies')).toHaveCount(0);
  await page.getByTestId('min-supplies-switch').check();
  await expect(page.getByTestId('min-supplies')).toHaveValue('1');

  // One UPS of power value 1 cannot feed 2 supplies: the core refuses the save and says why, next to the field.
  await page.getByTestId('min-supplies').fill('2');
  await page.getByTestId('save-settings').click();
  await expect(form).toContainText(
    'MINSUPPLIES 2 is more than the secondary UPSes feed (power values add up to 1)',
  );
  expect((await app.api('config:get', undefined)).config.shutdown.minSupplies).toBeNull();
  await screenshot(page, 'settings-min-supplies-refused');

  await page.getByTestId('min-supplies').fill('1');
  await page.getByTestId('save-settings').click();
  await expect(page.getByTestId('saved-note')).toBeVisible();
  expect((await app.api('config:get', undefined)).config.shutdown.minSupplies).toBe(1);
});

test('a shutdown command that cannot run here is said on every page until it is fixed', async ({
  page,
  rig,
  app,
}) => {
  const missing = { command: { file: '/nonexistent/e2e-shutdown', args: [] }, dryRun: true };
  await configureDryRunSecondary(app, '127.0.0.1', rig.port, { shutdown: missing });
  await page.goto(app.url);
  const banner = page.getByTestId('program-problems');
  await expect(banner).toContainText('The shutdown command cannot run on this machine');
  // A dry run: a warning (a real shutdown command would be an error: this machine would not shut down).
  await expect(banner.getByTestId('program-problem')).toHaveAttribute('data-severity', 'warning');
  await expect(banner).toContainText(
    'shutdown.command.file: /nonexistent/e2e-shutdown does not exist on this machine',
  );
  await page.getByTestId('nav-events').click();
  await expect(banner).toBeVisible();
  await screenshot(page, 'program-problems');

  // Fixed: gone without a reload.
  const fixed = { command: { file: '/bin/true', args: [] }, dryRun: true };
  expect(
    await app.api('config:save', {
      config: dryRunSecondaryConfig('127.0.0.1', rig.port, { shutdown: fixed }),
    }),
  ).toEqual({ ok: true });
  await expect(banner).toHaveCount(0);
});
