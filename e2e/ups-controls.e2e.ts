/**
 * The Commands and What if tabs as a user runs them: in Chromium through the browser bridge,
 * against the real headless core (`node out/main/cli.js web`) and a real upsd 2.8 + dummy-ups.
 *
 * - dummy-ups offers only load.off, which cuts power: Run asks for the typed UPS name (a wrong
 *   one keeps the button disabled), then the driver refuses it and the failure arrives through
 *   TRACKING (ERR UNKNOWN) — shown in the page and recorded in the event log.
 * - The monitoring user has no instcmds right: the same command is refused, and the page shows
 *   the upsd.users lines it needs, in the server's vocabulary.
 * - SET VAR on a writable setting succeeds through TRACKING; a self-test is skipped on battery
 *   (and, on line, because dummy-ups offers no test command), listed with its reason.
 * - A remembered credential (secret store, apart from the monitoring password) is offered
 *   afterwards and can be forgotten.
 * - What if: the timeline from the live readings; without FSD-test measurements the margin is
 *   unknown and the panel says which measurement is missing and how to get it.
 */
import type { Page } from '@playwright/test';
import type { ConfigInput } from '../shared/config';
import { RIG_USERS } from '../main/testing/upsd-rig';
import {
  type AppUnderTest,
  eventually,
  expect,
  saveConfigAndLogIn,
  screenshot,
  test,
} from './fixtures';

const UPS = 'ups';
const MONITOR_ID = `lab/${UPS}`;

async function configure(app: AppUnderTest, port: number): Promise<void> {
  const config: ConfigInput = {
    masters: [
      {
        id: 'lab',
        label: 'Lab master',
        host: '127.0.0.1',
        port,
        ups: [{ name: UPS, username: RIG_USERS.monuser.name }],
      },
    ],
    timing: { statusPollSeconds: 0.5, fullPollSeconds: 2 },
    shutdown: { dryRun: true, command: { file: '/bin/true', args: [] } },
    notifications: { desktop: false },
  };
  await saveConfigAndLogIn(app, config, {
    masterId: 'lab',
    upsName: UPS,
    ready: (ups) => ups.variablesAt !== null,
  });
}

async function openTab(page: Page, app: AppUnderTest, tab: 'controls' | 'what-if') {
  await page.goto(app.url);
  await page.goto(`${app.url.split('#')[0]}#/ups/${MONITOR_ID}`);
  await page.getByTestId(`tab-${tab}`).click();
}

test('a confirmed instant command and a setting report their TRACKING results; the rights hint; a self-test skipped on battery', async ({
  page,
  app,
  rig,
}) => {
  await configure(app, rig.port);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await openTab(page, app, 'controls');

  const tab = page.getByTestId('controls-tab');
  await expect(tab.getByTestId('controls-server')).toContainText('upsd 2.8', { timeout: 20_000 });
  await expect(tab.getByTestId('controls-server')).toContainText('TRACKING');
  const row = tab.locator('[data-testid="command-row"][data-name="load.off"]');
  await expect(row).toContainText('cuts power');
  await expect(tab.getByTestId('command-row')).toHaveCount(1);

  // No credential yet: nothing can be sent.
  await expect(row.getByTestId('run-command')).toBeDisabled();
  await expect(tab.getByTestId('credential-problem')).toContainText('instcmds');

  // A user without the right (the monitoring one): refused, with the upsd.users lines it needs.
  await tab.getByTestId('command-username').fill(RIG_USERS.monuser.name);
  await tab.getByTestId('command-password').fill(RIG_USERS.monuser.password);
  await row.getByTestId('run-command').click();
  const confirmBox = row.getByTestId('command-confirm');
  await expect(confirmBox).toContainText('cuts the power of everything plugged into the UPS');
  const go = confirmBox.getByTestId('command-confirm-run');
  await expect(go).toBeDisabled();
  await confirmBox.getByTestId('command-confirm-name').fill('UPS');
  await expect(go).toBeDisabled(); // UPS names are case-sensitive
  await confirmBox.getByTestId('command-confirm-name').fill(UPS);
  await go.click();
  const result = row.getByTestId('command-result');
  await expect(result).toHaveAttribute('data-state', 'refused', { timeout: 20_000 });
  await expect(result).toContainText('ERR ACCESS-DENIED');
  const hint = result.getByTestId('rights-hint');
  await expect(hint).toContainText(`[${RIG_USERS.monuser.name}]`);
  await expect(hint).toContainText('instcmds = load.off');

  // The admin user (instcmds = ALL), remembered: dummy-ups refuses load.off → failure via TRACKING.
  await tab.getByTestId('command-username').fill(RIG_USERS.admin.name);
  await tab.getByTestId('command-password').fill(RIG_USERS.admin.password);
  await tab.getByTestId('remember-credential').check();
  await row.getByTestId('run-command').click();
  await confirmBox.getByTestId('command-confirm-name').fill(UPS);
  await confirmBox.getByTestId('command-confirm-run').click();
  await expect(result).toHaveAttribute('data-state', 'failed', { timeout: 20_000 });
  await expect(result).toContainText('Failed (TRACKING)');
  await expect(result).toContainText('ERR UNKNOWN');
  await expect(result).toContainText(/driver did not accept INSTCMD load\.off/);
  // The power was not cut: the UPS is still on line.
  expect(await rig.getVar(UPS, 'ups.status')).toMatch(/^OL/);
  // Recorded in the event log too (written a moment later: poll).
  await eventually(
    () => app.api('events:query', { monitorId: MONITOR_ID, types: ['INSTANT_COMMAND'], limit: 10 }),
    (events) => events.some((e) => e.severity === 'warning' && /load\.off/.test(e.message)),
  );
  await screenshot(page, 'ups-controls');

  // A writable setting (a RANGE-free number on dummy-ups): SET VAR succeeds through TRACKING.
  await tab.getByTestId('writable-search').fill('ups.delay.shutdown');
  const setting = tab.locator('[data-testid="writable-row"][data-name="ups.delay.shutdown"]');
  await expect(tab.getByTestId('writable-row')).toHaveCount(1);
  const before = await rig.getVar(UPS, 'ups.delay.shutdown');
  const next = before === '30' ? '40' : '30';
  await setting.getByTestId('writable-input').fill(next);
  await setting.getByTestId('writable-set').click();
  const setResult = tab.getByTestId('writable-result');
  await expect(setResult).toHaveAttribute('data-state', 'success', { timeout: 20_000 });
  await expect(setResult).toContainText('Success (TRACKING)');
  expect(await rig.getVar(UPS, 'ups.delay.shutdown')).toBe(next);
  // Read again from the UPS: the row now shows the new value.
  await expect(
    tab.locator(
      '[data-testid="writable-row"][data-name="ups.delay.shutdown"] [data-testid="writable-input"]',
    ),
  ).toHaveValue(next, { timeout: 10_000 });

  // Self-tests: off by default; on battery a test is skipped with the reason, and listed.
  const selfTests = tab.getByTestId('self-tests');
  await expect(selfTests.getByTestId('self-test-enabled')).not.toBeChecked();
  await rig.setStatus(UPS, 'OB');
  await eventually(
    () => app.api('app:get-snapshot', undefined),
    (snapshot) => snapshot.ups[0]?.onBatterySince !== null,
  );
  await selfTests.getByTestId('self-test-run').click();
  const record = selfTests.getByTestId('self-test-record').first();
  await expect(record).toHaveAttribute('data-result', 'skipped', { timeout: 20_000 });
  await expect(record).toContainText('the UPS is on battery');
  await rig.setStatus(UPS, 'OL');
  await eventually(
    () => app.api('app:get-snapshot', undefined),
    (snapshot) => snapshot.ups[0]?.onBatterySince === null,
  );
  // On line, dummy-ups has no test command: skipped again, saying what it offers.
  await selfTests.getByTestId('self-test-run').click();
  await expect(selfTests.getByTestId('self-test-record')).toHaveCount(2, { timeout: 20_000 });
  await expect(selfTests.getByTestId('self-test-record').first()).toContainText(
    'the UPS offers no test command',
  );
  await expect(selfTests.getByTestId('self-test-record').first()).toContainText('load.off');

  // Remembered apart from the monitoring password: offered, then forgotten.
  const use = tab.getByTestId('use-stored-credential');
  await expect(use).toBeChecked();
  await expect(tab.getByTestId('command-credential')).toContainText(
    `Use the remembered credential of ${RIG_USERS.admin.name}`,
  );
  await tab.getByTestId('forget-credential').click();
  await expect(use).toHaveCount(0);
  await expect(tab.getByTestId('command-username')).toHaveValue('');
  expect((await app.api('ups:list-controls', { monitorId: MONITOR_ID })).storedCredentialUser).toBe(
    null,
  );
});

test('the what-if panel lays the shutdown chain against the battery and names the missing measurements', async ({
  page,
  app,
  rig,
}) => {
  await configure(app, rig.port);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await openTab(page, app, 'what-if');
  const panel = page.getByTestId('what-if-panel');
  const timeline = panel.getByTestId('what-if-timeline');
  await expect(timeline).toHaveAttribute('data-verdict', 'unknown', { timeout: 20_000 });

  // The same answer as the API gives, from the rig's readings.
  const api = await app.api('ups:get-what-if', { monitorId: MONITOR_ID });
  const runtime = Number(await rig.getVar(UPS, 'battery.runtime'));
  expect(api.emptyAt).toBe(runtime);
  const steps = panel.getByTestId('what-if-step');
  await expect(steps).toHaveCount(api.steps.length);
  await expect(panel.locator('[data-step="low-battery"]')).toHaveAttribute(
    'data-basis',
    'reported',
  );
  await expect(panel.locator('[data-step="battery-empty"]')).toContainText('battery.runtime');
  await expect(panel.locator('[data-step="master-down"]')).toHaveAttribute('data-basis', 'unknown');

  const missing = panel.getByTestId('what-if-missing');
  await expect(missing).toContainText("this machine's shutdown duration");
  await expect(missing).toContainText('Run an FSD test in master mode');
  await expect(missing).toContainText("the master's own shutdown duration");
  await expect(panel.getByTestId('what-if-verdict')).toContainText('The margin is not known');

  // The master's shutdown time given here: it is no longer missing (the FSD tests still are).
  await panel.getByTestId('what-if-master-shutdown').fill('60');
  await expect(missing).not.toContainText("the master's own shutdown duration");
  await expect(missing).toContainText('Run an FSD test in master mode');
  // A bad value is explained, not sent.
  await panel.getByTestId('what-if-master-shutdown').fill('99999');
  await expect(panel.getByRole('alert')).toContainText('seconds from 0 to 3600');
  await screenshot(page, 'ups-what-if');
});
