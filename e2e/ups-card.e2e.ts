/**
 * The dashboard card and the history charts, in Chromium through the browser bridge against a
 * real upsd serving a Proxmox-style APC (rated 405 W) and a Synology-style APC whose driver reports
 * no power at all (no ups.realpower, no ups.realpower.nominal, as many small UPSes):
 * which UPS each card is, watts only where the UPS gives them, the one-hour sparkline, the
 * address the master sees this machine as (card and clients view), time on battery counting,
 * and the History tab fitting the data with the ONBATT marker and an exact tooltip, and filling in
 * by itself when it was opened before the first reading.
 */
import { PROXMOX_APC_UPS, RIG_USERS, SYNOLOGY_UPS, startUpsdRig } from '../main/testing/upsd-rig';
import { dryRunSecondaryConfig, expect, screenshot, test } from './fixtures';

/** The Synology seed's UPS without its rated power: a UPS that reports no watts. */
const { 'ups.realpower.nominal': _rated, ...NO_POWER_VARS } = SYNOLOGY_UPS.vars!;
const NO_POWER_UPS = { ...SYNOLOGY_UPS, vars: NO_POWER_VARS };

test('cards name the UPS, show watts, sparkline and address; history fits the data and marks ONBATT', async ({
  page,
  app,
}) => {
  const rig = await startUpsdRig({ upses: [PROXMOX_APC_UPS, NO_POWER_UPS] });
  try {
    await app.api('config:save', {
      config: {
        masters: [
          {
            id: 'pve',
            label: 'Proxmox node',
            preset: 'proxmox',
            host: '127.0.0.1',
            port: rig.port,
            ups: [
              { name: 'apc', username: RIG_USERS.upsmonclient.name },
              { name: 'ups', username: RIG_USERS.upsmonclient.name },
            ],
          },
        ],
        history: { sampleSeconds: 1 },
        shutdown: { dryRun: true },
      },
    });
    for (const upsName of ['apc', 'ups'])
      await app.api('secrets:set-password', {
        masterId: 'pve',
        upsName,
        password: RIG_USERS.upsmonclient.password,
      });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(app.url);

    const apc = page.locator('[data-testid="ups-card"][data-monitor-id="pve/apc"]');
    const syn = page.locator('[data-testid="ups-card"][data-monitor-id="pve/ups"]');
    await expect(apc).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
    await expect(syn).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });

    // Which UPS it is: the master's label and maker + model from device.mfr / device.model.
    await expect(apc.getByTestId('ups-identity')).toHaveText(
      'Proxmox node · American Power Conversion Back-UPS ES 700G',
    );
    await expect(syn.getByTestId('ups-identity')).toHaveText(
      'Proxmox node · American Power Conversion Back-UPS CS 350',
    );

    // Watts: 405 W rated × 9 % load = 36 W; the other reports no power, so no watts at all.
    await expect(apc.getByTestId('load-watts')).toHaveText('· 36 W');
    await expect(apc.getByTestId('load-watts')).toHaveAttribute(
      'title',
      /ups\.realpower\.nominal × ups\.load/,
    );
    await expect(syn.getByTestId('load')).toHaveText(/16 %/);
    await expect(syn.getByTestId('load-watts')).toHaveCount(0);
    await rig.setVar('apc', 'ups.load', '20');
    await expect(apc.getByTestId('load-watts')).toHaveText('· 81 W', { timeout: 15_000 });

    // The address the master sees this machine as, confirmed by its LIST CLIENT.
    const seen = apc.getByTestId('master-sees');
    await expect(seen).toHaveText(/Proxmox node sees this machine as 127\.0\.0\.1/);
    await expect(seen).toHaveAttribute('data-check', 'listed', { timeout: 15_000 });
    expect(await rig.listClients('apc')).toContain('127.0.0.1');

    // The last hour's sparkline fills in from history (1 s samples).
    const spark = apc.getByTestId('sparkline');
    await expect
      .poll(async () => Number(await spark.getAttribute('data-points-charge')), { timeout: 20_000 })
      .toBeGreaterThan(1);
    await expect(spark.getByTestId('spark-charge')).toHaveAttribute('d', /^M[\d.]+ [\d.]+L/);
    await expect(spark.getByTestId('spark-load')).toHaveAttribute('d', /^M[\d.]+ [\d.]+L/);
    await expect(spark.locator('svg')).toHaveAttribute(
      'aria-label',
      /^Last \d+ min: charge 100 %, load /,
    );
    // Less than an hour recorded: the sparkline starts at the first reading (at least 5 min).
    await expect(spark.getByTestId('sparkline-period')).toHaveText('Last 5 min');
    await expect(syn.getByTestId('sparkline')).toBeVisible();
    await screenshot(page, 'dashboard-cards');

    // Power cut: time on battery is a running counter.
    await rig.setStatus('apc', 'OB DISCHRG');
    await expect(apc).toHaveAttribute('data-level', 'on-battery', { timeout: 5_000 });
    const counter = apc.getByTestId('time-on-battery');
    await expect(counter).toHaveText(/^\d+ s$/);
    const first = Number((await counter.textContent())!.replace(' s', ''));
    await expect
      .poll(async () => Number((await counter.textContent())!.replace(' s', '')), {
        timeout: 6_000,
      })
      .toBeGreaterThanOrEqual(first + 2);
    await screenshot(page, 'dashboard-card-on-battery');
    await rig.setStatus('apc', 'OL');
    await expect(apc).toHaveAttribute('data-level', 'online', { timeout: 5_000 });

    // The clients view names the same address.
    await page.goto(`${app.url.split('#')[0]}#/clients`);
    const panel = page.locator('[data-testid="clients-panel"][data-monitor-id="pve/apc"]');
    await expect(panel.getByTestId('master-sees')).toHaveText(/sees this machine as 127\.0\.0\.1/);
    await expect(
      panel.locator('[data-testid="client-row"][data-address="127.0.0.1"]'),
    ).toContainText('This machine');

    // History: less than a day recorded, so the default range starts at the first sample;
    // the power cut is an ONBATT marker on the time axis.
    await page.goto(`${app.url.split('#')[0]}#/ups/pve/apc/history`);
    const span = page.getByTestId('history-span');
    await expect(span).toHaveAttribute('data-since-first-sample', 'true');
    await expect(span).toContainText('Since first sample');
    await expect(page.getByTestId('ups-model')).toHaveText(
      'American Power Conversion Back-UPS ES 700G',
    );
    const chart = page.getByTestId('chart-charge');
    const marker = chart.locator('[data-testid="chart-marker"][data-type="ONBATT"]');
    await expect(marker).toHaveCount(1, { timeout: 10_000 });
    await expect(marker).toHaveAttribute('title', /^On battery \(ONBATT\) at /);
    await expect(
      page.locator('[data-testid="chart-load"] [data-testid="chart-marker"][data-type="ONBATT"]'),
    ).toHaveCount(1);

    // Hovering shows the exact reading.
    const over = chart.locator('.u-over');
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    await over.hover({ position: { x: box.width * 0.9, y: box.height / 2 } });
    const tooltip = chart.getByTestId('chart-tooltip');
    await expect(tooltip).toBeVisible();
    await expect(tooltip.getByTestId('chart-tooltip-value')).toHaveText(/^\d+(\.\d)? %$/);
    await screenshot(page, 'history-since-first-sample');

    // A picked range is shown whole.
    await page.locator('[data-testid="history-range"] label', { hasText: '15 min' }).click();
    await expect(span).toHaveAttribute('data-since-first-sample', 'false');
    await expect(span).toContainText('Last 15 min');
    for (const label of ['1 h', '6 h', '24 h', '7 d'])
      await expect(
        page.locator('[data-testid="history-range"] label', { hasText: label }),
      ).toBeVisible();
  } finally {
    await rig.stop();
  }
});

test('a History tab opened before the first reading fills in by itself', async ({
  page,
  rig,
  app,
}) => {
  // upsd down: the UPS is configured, but nothing can be read or recorded yet.
  await rig.stopUpsd();
  await app.api('secrets:set-password', {
    masterId: 'nas',
    upsName: 'ups',
    password: RIG_USERS.monuser.password,
  });
  const saved = await app.api('config:save', {
    config: dryRunSecondaryConfig('127.0.0.1', rig.port, { history: { sampleSeconds: 1 } }),
  });
  expect(saved).toEqual({ ok: true });
  await page.goto(app.url);
  await page.goto(`${app.url.split('#')[0]}#/ups/nas/ups/history`);
  const span = page.getByTestId('history-span');
  await expect(span).toHaveText('Last 24 h');
  await expect(page.getByTestId('chart-charge')).toContainText('No data in this period');

  // upsd back: the panel reads again within seconds, without a reload (not the 24 h range's 2 min).
  await rig.startUpsd();
  await expect(span).toHaveAttribute('data-since-first-sample', 'true', { timeout: 30_000 });
  await expect(page.getByTestId('chart-charge')).not.toContainText('No data in this period');
});
