/**
 * Settings → Notifications → Remote alerts, in Chromium through the bridge: a channel configured
 * in the config shows its delivery status; "Send test" reaches a real local HTTP receiver; a
 * token typed in Settings goes to the secret store (never the config) and is used by the next
 * send; a failing channel shows why; a channel added in the editor is saved and tested, and an
 * invalid URL is refused at the field with nothing saved.
 */
import { readFile } from 'node:fs/promises';
import { startHttpReceiver } from '../main/testing/http-receiver';
import { getFreePort } from '../main/testing/net';
import { expect, screenshot, test } from './fixtures';

test('alert channels: status, Send test with a stored token, a failing channel explained', async ({
  page,
  app,
}) => {
  const receiver = await startHttpReceiver();
  const deadPort = await getFreePort();
  try {
    const saved = await app.api('config:save', {
      config: {
        alerts: {
          channels: [
            {
              id: 'phone',
              type: 'ntfy',
              url: receiver.url,
              topic: 'house-ups',
              token: { source: 'store' },
            },
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

    const editor = page.getByTestId('alert-channels-form');
    await editor.getByTestId('edit-channel-phone-token-secret').fill('tk_typed_in_settings');
    await editor.getByTestId('save-settings').click();
    await expect(page.getByTestId('toast')).toHaveText('Secrets stored.');
    expect(await readFile(app.configPath, 'utf8')).not.toContain('tk_typed_in_settings');

    await page.getByTestId('send-test-phone').click();
    await expect(page.getByTestId('test-result-phone')).toContainText(
      /Delivered to phone \(ntfy\) in \d+ ms/,
    );
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.headers.authorization).toBe('Bearer tk_typed_in_settings');
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({
      topic: 'house-ups',
      title: 'NUT Sentinel test message for phone',
    });

    await page.getByTestId('send-test-dead-hook').click();
    await expect(page.getByTestId('test-result-dead-hook')).toContainText(
      `127.0.0.1:${deadPort} refused the connection`,
    );
    await screenshot(page, 'settings-alert-channels');
  } finally {
    await receiver.close();
  }
});

test('alert channels: add a webhook in Settings, save, Send test reaches it; a bad URL is refused and nothing saved', async ({
  page,
  app,
}) => {
  const receiver = await startHttpReceiver();
  try {
    await page.goto(app.url);
    await page.goto(`${app.url.split('#')[0]}#/settings/notifications`);
    const editor = page.getByTestId('alert-channels-form');
    await editor.getByTestId('new-channel-type').selectOption('webhook');
    await editor.getByTestId('add-channel').click();
    const hook = editor.getByTestId('edit-channel-webhook');
    await hook.getByTestId('edit-channel-webhook-id').fill('home-hook');
    const homeHook = editor.getByTestId('edit-channel-home-hook');

    // An invalid URL: shown at the field, nothing written.
    await homeHook.getByTestId('channel-home-hook-url').fill('not a url');
    await editor.getByTestId('save-settings').click();
    await expect(homeHook.getByRole('textbox', { name: 'URL' })).toHaveAttribute(
      'aria-invalid',
      'true',
    );
    await expect(homeHook.locator('.field-error').first()).toContainText('not a URL');
    await expect(editor.getByTestId('save-issues')).toContainText(
      'to fix before saving (highlighted above)',
    );
    await expect(homeHook.getByTestId('channel-home-hook-url')).toBeFocused();
    expect((await app.api('config:get', undefined)).config.alerts.channels).toEqual([]);
    await expect(page.getByTestId('channel-home-hook')).toHaveCount(0);

    // ftp:// parses as a URL but is not one a webhook can use.
    await homeHook.getByTestId('channel-home-hook-url').fill('ftp://127.0.0.1/x');
    await expect(homeHook.locator('.field-error').first()).toContainText(
      'must start with http:// or https://',
    );

    await homeHook.getByTestId('channel-home-hook-url').fill(`${receiver.url}/hook`);
    await homeHook.getByTestId('edit-channel-home-hook-signingKey-source').selectOption('store');
    await homeHook
      .getByTestId('edit-channel-home-hook-signingKey-secret')
      .fill('sk_typed_in_settings');
    await editor.getByTestId('save-settings').click();
    await expect(editor.getByTestId('saved-note')).toBeVisible();
    const saved = (await app.api('config:get', undefined)).config.alerts.channels;
    expect(saved).toMatchObject([
      {
        id: 'home-hook',
        type: 'webhook',
        url: `${receiver.url}/hook`,
        signingKey: { source: 'store' },
        severities: ['warning', 'critical'],
        ups: ['*'],
      },
    ]);
    const file = await readFile(app.configPath, 'utf8');
    expect(file).toContain('home-hook');
    expect(file).not.toContain('sk_typed_in_settings');

    await expect(page.getByTestId('channel-state-home-hook')).toHaveText('Nothing sent yet');
    await page.getByTestId('send-test-home-hook').click();
    await expect(page.getByTestId('test-result-home-hook')).toContainText(
      /Delivered to home-hook \(webhook\) in \d+ ms/,
    );
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.path).toBe('/hook');
    expect(receiver.requests[0]!.headers['x-nut-sentinel-signature']).toMatch(
      /^sha256=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({
      schema: 'nut-sentinel.alert/v1',
      phase: 'test',
    });
    await screenshot(page, 'settings-alert-channel-editor');

    // Remove it again.
    await homeHook.getByTestId('edit-channel-home-hook-remove').click();
    await editor.getByTestId('save-settings').click();
    await expect(editor.getByTestId('saved-note')).toBeVisible();
    expect((await app.api('config:get', undefined)).config.alerts.channels).toEqual([]);
    await expect(page.getByTestId('channel-home-hook')).toHaveCount(0);
  } finally {
    await receiver.close();
  }
});
