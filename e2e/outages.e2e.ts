/**
 * Outage records and battery health in Chromium, through the browser bridge against a real upsd:
 * a scripted power cut (charge and runtime falling, a second secondary logging out) becomes a
 * record in the Outages view with the right figures, its curve with the ONBATT marker, and CSV/JSON
 * exports; the UPS's Outages and Battery tabs; the "replace the battery" reminder from
 * battery.date on the card, gone once the replacement date is entered.
 */
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { RIG_USERS, SYNOLOGY_UPS_VARS, startUpsdRig } from '../main/testing/upsd-rig';
import { eventually, expect, screenshot, test } from './fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the Outages view after a power cut on the rig; battery health and its reminder', async ({
  page,
  app,
}) => {
  const rig = await startUpsdRig({
    upses: [
      {
        name: 'ups',
        // battery.date 2021/08/15 (older than 4 years); 210 W rated.
        vars: { ...SYNOLOGY_UPS_VARS, 'battery.runtime': '1800', 'ups.load': '40' },
      },
    ],
  });
  const other = net.connect({ host: '127.0.0.1', port: rig.port, localAddress: '127.0.0.2' });
  try {
    await app.api('secrets:set-password', {
      masterId: 'nas',
      upsName: 'ups',
      password: RIG_USERS.monuser.password,
    });
    expect(
      await app.api('config:save', {
        config: {
          masters: [
            {
              id: 'nas',
              label: 'Office NAS',
              preset: 'synology',
              host: '127.0.0.1',
              port: rig.port,
              ups: [{ name: 'ups', username: RIG_USERS.monuser.name }],
            },
          ],
          timing: { statusPollSeconds: 0.25, fullPollSeconds: 1 },
          history: { sampleSeconds: 1 },
          outages: { blipSeconds: 3 },
          shutdown: { dryRun: true },
          notifications: { desktop: false },
        },
      }),
    ).toEqual({ ok: true });
    other.write(
      `USERNAME ${RIG_USERS.upsmonclient.name}\nPASSWORD ${RIG_USERS.upsmonclient.password}\nLOGIN ups\n`,
    );
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(app.url);
    const card = page.locator('[data-testid="ups-card"][data-monitor-id="nas/ups"]');
    await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });

    // The battery is older than battery.maxAgeYears: the card says so, with the reason.
    await expect(card.getByTestId('card-battery-reminder')).toHaveText('Replace the battery (age)');
    await eventually(
      () => rig.listClients('ups'),
      (clients) => clients.includes('127.0.0.2'),
    );
    await sleep(1500);

    // The power cut: 8 % lost every 0.6 s at 40 % of 210 W; the other secondary logs out.
    await rig.setStatus('ups', 'OB DISCHRG');
    for (let i = 1; i <= 8; i++) {
      await sleep(600);
      await rig.setVar('ups', 'battery.charge', String(100 - 2 * i));
      await rig.setVar('ups', 'battery.runtime', String(1800 - 100 * i));
      if (i === 4) other.write('LOGOUT\n');
    }
    await sleep(1500);
    await rig.setStatus('ups', 'OL CHRG');

    await page.getByTestId('nav-outages').click();
    await expect(page.getByRole('heading', { name: 'Outages', level: 1 })).toBeVisible();
    const row = page.getByTestId('outage-row');
    await expect(row).toHaveCount(1, { timeout: 15_000 });
    await expect(row).toContainText('nas/ups');
    await expect(row).toContainText('84 %');
    await expect(row).toContainText('power back');
    await row.getByRole('button').click();
    const detail = page.getByTestId('outage-detail');
    await expect(detail.getByTestId('outage-charge')).toHaveText(
      /^100 % at the start, lowest 84 % \(falling [\d.]+ %\/min\)$/,
    );
    await expect(detail.getByTestId('outage-runtime')).toHaveText(
      /^the UPS promised 30 min at the start; spent \d+ s on battery$/,
    );
    await expect(detail.getByTestId('outage-energy')).toHaveText(
      /^[\d.]+ Wh from load × ups\.realpower\.nominal/,
    );
    await expect(detail.getByTestId('outage-logouts')).toHaveText(
      /^127\.0\.0\.2 logged out after \d+ s$/,
    );
    await expect(detail.getByTestId('outage-prediction')).toContainText('At the start:');
    await expect(detail.getByTestId('outage-events')).toContainText('ONBATT');
    // The curve from the 1 s samples, with the ONBATT marker.
    const chart = detail.getByTestId('outage-chart-charge');
    await expect(chart).toBeVisible();
    await expect(chart.locator('[data-testid="chart-marker"][data-type="ONBATT"]')).toHaveCount(1);
    await expect(detail.getByTestId('outage-chart-load')).toBeVisible();
    await screenshot(page, 'outages-view');

    // Exports: CSV with its header and this outage, JSON with the record.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('outages-export-csv').click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/^outages-all-ups-\d{4}-\d\d-\d\d\.csv$/);
    const csvText = await readFile(await csv.path(), 'utf8');
    expect(csvText.split('\r\n')[0]).toMatch(/^id,ups,started_utc,ended_utc,duration_s,ended_by,/);
    expect(csvText).toContain(',power-back,100,84,84,1800,40,');
    const [json] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('outages-export-json').click(),
    ]);
    const exported = JSON.parse(await readFile(await json.path(), 'utf8')) as {
      outages: { lowestCharge: number; logouts: { address: string }[] }[];
    };
    expect(exported.outages).toHaveLength(1);
    expect(exported.outages[0]!.logouts.map((l) => l.address)).toEqual(['127.0.0.2']);

    // The UPS's own Outages tab lists it too.
    await page.goto(`${app.url.split('#')[0]}#/ups/nas/ups/outages`);
    await expect(page.getByTestId('outage-row')).toHaveCount(1);

    // Battery tab: the age from battery.date, no capacity from one short outage.
    await page.goto(`${app.url.split('#')[0]}#/ups/nas/ups/battery`);
    await expect(page.getByTestId('battery-age')).toContainText(
      'since 2021-08-15 (from battery.date, as the UPS reports it)',
    );
    await expect(page.getByTestId('battery-capacity')).toHaveText(
      'No capacity estimate yet: it needs one outage of at least 5 minutes on this battery.',
    );
    await expect(page.getByTestId('battery-reminder')).toContainText('years old');
    await screenshot(page, 'battery-health');

    // Entering the replacement date: the age counts from it, and the reminder goes.
    const today = new Date().toISOString().slice(0, 10);
    await page.getByTestId('battery-replaced-on').fill(today);
    await page.getByRole('button', { name: 'Save date' }).click();
    await expect(page.getByTestId('battery-age')).toContainText(
      `since ${today} (from the replacement date entered here)`,
    );
    await expect(page.getByTestId('battery-no-reminder')).toBeVisible();
    await expect(page.getByTestId('card-battery-reminder')).toHaveCount(0, { timeout: 10_000 });
  } finally {
    other.destroy();
    await rig.stop();
  }
});
