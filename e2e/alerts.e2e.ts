/**
 * Settings → Notifications → Remote alerts, in Chromium through the bridge: a channel configured
 * in the config shows its delivery status; "Send test" reaches a real local HTTP receiver; a
 * token typed in Settings goes to the secret store (never the config) and is used by the next
 * send; a failing channel shows why.
 */
import { readFile } from 'node:fs/promises';
import { startHttpReceiver } from '../main/testing/http-receiver';
import { getFreePort } from '../main/testing/net';
import { expect, screenshot, test } from './fixtures';

test('alert channels: status, Send test with a stored token, a failing channel explained', async ({ page, app }) => {
  const receiver = await startHttpReceiver();
  const deadPort = await getFreePort();
  try {
    const saved = await app.api('config:save', {
      config: {
        alerts: {
          channels: [
            { id: 'phone', type: 'ntfy', url: receiver.url, topic: 'house-ups', token: { source: 'store' } },
            { id: 'dead-hook', type: 'webhook', url: `http://127.0.0.1:${deadPort}/` },
          ],
        },
      },
    });
    expect(saved).toEqual({ ok: true });
    await page.goto(app.url); // takes the access token from the link
    await page.goto(`${app.url.split('#')[0]}#/settings/notifications`);
    const phone = page.getByTestId('channel-phone');
    await expect(phone).toContainText('ntfy');
    await expect(page.getByTestId('channel-state-phone')).toHaveText('Nothing sent yet');

    await page.getByTestId('secret-phone').fill('tk_typed_in_settings');
    await phone.getByRole('button', { name: 'Store' }).click();
    await expect(phone.getByRole('status').filter({ hasText: 'Stored.' })).toBeVisible();
    expect(await readFile(app.configPath, 'utf8')).not.toContain('tk_typed_in_settings');

    await page.getByTestId('send-test-phone').click();
    await expect(page.getByTestId('test-result-phone')).toContainText(/Delivered to phone \(ntfy\) in \d+ ms/);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.headers.authorization).toBe('Bearer tk_typed_in_settings');
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ topic: 'house-ups', title: 'NUT Sentinel test message for phone' });

    await page.getByTestId('send-test-dead-hook').click();
    await expect(page.getByTestId('test-result-dead-hook')).toContainText(`127.0.0.1:${deadPort} refused the connection`);
    await screenshot(page, 'settings-alert-channels');
  } finally {
    await receiver.close();
  }
});
