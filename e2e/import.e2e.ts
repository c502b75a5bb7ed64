/**
 * Settings → Import over a hand-written config with upssched timers, in Chromium through the
 * bridge against a real upsd: the preview shows the plan (the merge into the existing master,
 * each timer rule replaced, the imported CMDSCRIPT that does not exist here), a keep choice
 * changes the plan, the apply report is that plan, and Undo puts the config file back byte for
 * byte (compared on disk) while monitoring carries on.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { RIG_USERS } from '../main/testing/upsd-rig';
import { expect, screenshot, test } from './fixtures';

test('import over existing timers: the preview shows the replacement, apply matches it, undo restores the file byte for byte', async ({
  page,
  app,
  rig,
}) => {
  // Written by hand (key order, spacing, no final newline): a re-save could not reproduce it.
  const original = `{
  "masters": [ { "id": "pve", "label": "Proxmox node", "host": "127.0.0.1", "port": ${rig.port},
      "ups": [ { "name": "ups", "username": "${RIG_USERS.upsmonclient.name}" } ] } ],
  "hooks": {
    "upssched": { "cmdScript": { "file": "/bin/true" },
      "rules": [
        { "event": "ONBATT", "action": "START-TIMER", "timer": "onbatt", "seconds": 120 },
        { "event": "ONLINE", "action": "CANCEL-TIMER", "timer": "onbatt" } ] } },
  "shutdown": { "dryRun": true }
}`;
  await writeFile(app.configPath, original, { mode: 0o600 });
  await app.restart();
  await app.api('secrets:set-password', {
    masterId: 'pve',
    upsName: 'ups',
    password: RIG_USERS.upsmonclient.password,
  });
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.goto(app.url);
  const card = page.locator('[data-testid="ups-card"][data-monitor-id="pve/ups"]');
  await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });

  await page.goto(`${app.url.split('#')[0]}#/settings/import`);
  await page
    .getByTestId('import-upsmon')
    .fill(
      [
        `MONITOR ups@127.0.0.1:${rig.port} 1 ${RIG_USERS.upsmonclient.name} ${RIG_USERS.upsmonclient.password} slave`,
        'NOTIFYCMD /usr/sbin/upssched',
        'NOTIFYFLAG ONBATT SYSLOG+EXEC',
        'NOTIFYFLAG LOWBATT SYSLOG+EXEC',
      ].join('\n'),
    );
  await page
    .getByTestId('import-upssched')
    .fill(
      [
        'CMDSCRIPT /usr/sbin/upssched-cmd',
        'AT ONBATT * START-TIMER onbatt 30',
        'AT LOWBATT * EXECUTE lowbatt',
      ].join('\n'),
    );
  await page.getByTestId('import-preview').click();

  const plan = page.getByTestId('import-plan');
  const item = (id: string) => plan.locator(`[data-testid="plan-item"][data-id="${id}"]`);
  await expect(item('master:127.0.0.1:' + rig.port)).toContainText(
    `merged into the existing master pve “Proxmox node” (127.0.0.1 port ${rig.port}): UPS ups already configured, kept as it is`,
  );
  const startTimer = item('upssched-rule:ONBATT * START-TIMER onbatt');
  await expect(startTimer).toHaveAttribute('data-action', 'replace');
  await expect(startTimer).toContainText(
    'upssched rule AT ONBATT * START-TIMER onbatt 120 → AT ONBATT * START-TIMER onbatt 30',
  );
  const cancelTimer = item('upssched-rule:ONLINE * CANCEL-TIMER onbatt');
  await expect(cancelTimer).toHaveAttribute('data-action', 'replace');
  await expect(cancelTimer).toContainText(
    'upssched rule AT ONLINE * CANCEL-TIMER onbatt is replaced by the imported upssched.conf',
  );
  await expect(item('upssched-rule:LOWBATT * EXECUTE lowbatt')).toHaveAttribute(
    'data-action',
    'add',
  );
  await expect(item('hooks.upssched.cmdScript')).toContainText(
    'upssched CMDSCRIPT: /bin/true → /usr/sbin/upssched-cmd',
  );
  await expect(page.getByTestId('import-plan-summary')).toHaveText(
    '1 upssched rule added, 2 upssched rules replaced, 3 hook settings changed.',
  );
  await expect(page.getByTestId('import-problem')).toContainText(
    'The imported upssched CMDSCRIPT program /usr/sbin/upssched-cmd does not exist on this machine',
  );
  await screenshot(page, 'import-plan');

  // Both can coexist: keep the current CANCEL-TIMER next to the imported rules.
  await cancelTimer.getByTestId('plan-choice-keep').check();
  await expect(cancelTimer).toHaveAttribute('data-action', 'unchanged');
  await expect(cancelTimer).toContainText('is kept next to the imported rules');
  await expect(page.getByTestId('import-plan-summary')).toHaveText(
    '1 upssched rule added, 1 upssched rule replaced, 1 current upssched rule kept, 3 hook settings changed.',
  );

  await page.getByTestId('import-apply').click();
  await expect(page.getByTestId('import-applied')).toContainText('Import applied');
  const report = page.getByTestId('import-applied-plan');
  await expect(report.getByTestId('import-plan-summary')).toHaveText(
    '1 upssched rule added, 1 upssched rule replaced, 1 current upssched rule kept, 3 hook settings changed.',
  );
  const { config } = await app.api('config:get', undefined);
  expect(config.hooks.upssched?.rules).toEqual([
    { event: 'ONLINE', ups: '*', action: 'CANCEL-TIMER', timer: 'onbatt' },
    { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'onbatt', seconds: 30 },
    { event: 'LOWBATT', ups: '*', action: 'EXECUTE', command: 'lowbatt' },
  ]);
  expect(await readFile(app.configPath, 'utf8')).not.toBe(original);
  await screenshot(page, 'import-applied');

  await expect(page.getByTestId('import-undo')).toBeVisible();
  // Undo is still offered on a later visit to the page.
  await page.goto(app.url);
  // The page has taken its token (and monitoring runs with the imported config) before moving on.
  await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
  await page.goto(`${app.url.split('#')[0]}#/settings/import`);
  await expect(page.getByTestId('import-last')).toContainText(
    '1 upssched rule added, 1 upssched rule replaced, 1 current upssched rule kept, 3 hook settings changed',
  );
  await page.getByTestId('import-undo').click();
  await expect(page.getByTestId('import-undone')).toContainText(
    'Restored the configuration from before the import',
  );
  expect(await readFile(app.configPath)).toEqual(Buffer.from(original));
  const restored = await app.api('config:get', undefined);
  expect(restored.config.hooks.upssched?.rules).toHaveLength(2);
  expect(restored.storedPasswords).toEqual(['pve/ups']);
  // Monitoring carries on with the restored config.
  await page.goto(app.url);
  await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
});
