/**
 * Settings → Notifications → Remote alerts, in Chromium through the bridge: a channel configured
 * in the config shows its delivery status; "Send test" reaches a real local HTTP receiver; a
 * token typed in Settings goes to the secret store (never the config) and is used by the next
 * send; a failing channel shows why; a channel added in the editor is saved and tested, and an
 * invalid URL is refused at the field with nothing saved.
 */
import { readFile } from 'node:fs/promises';
import { startHttpReceiver } from '../main/testing/http-receiver';
import { collect, startBroker } from '../main/testing/mosquitto';
import { startSmtpServer } from '../main/testing/smtp-server';
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
    // The test went through the channel's transport, so the status line says so at once.
    await expect(page.getByTestId('channel-state-phone')).toHaveText('Delivering');
    await expect(page.getByTestId('channel-last-test-phone')).toContainText('last test delivered');
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
    // Nothing is queued for it, so the line does not claim a retry.
    await expect(page.getByTestId('channel-state-dead-hook')).toHaveText('Last attempt failed');
    await expect(page.getByTestId('channel-error-dead-hook')).toContainText(
      'refused the connection',
    );
    await expect(page.getByTestId('channel-last-test-dead-hook')).toContainText('last test failed');
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
    // No channel yet: said once (by the editor), not again by the status list above it.
    await expect(page.getByTestId('alert-channels').getByText(/^No (alert )?channel/)).toHaveText([
      'No channel yet.',
    ]);
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

test('alert channels: e-mail, MQTT and Gotify added in the editor reach a real aiosmtpd, mosquitto and an HTTP receiver', async ({
  page,
  app,
}) => {
  const mailUser = { username: 'alerts', password: 'smtp-pass-typed' };
  const brokerUser = { username: 'sentinel', password: 'mqtt-pass-typed' };
  const [smtp, broker, gotify] = await Promise.all([
    startSmtpServer(mailUser),
    startBroker({ user: brokerUser }),
    startHttpReceiver(),
  ]);
  const watcher = await broker.client(brokerUser);
  try {
    const events = await collect(watcher, 'lab-ups/events');
    await page.goto(app.url);
    await page.goto(`${app.url.split('#')[0]}#/settings/notifications`);
    const editor = page.getByTestId('alert-channels-form');
    const add = async (type: string, id: string) => {
      await editor.getByTestId('new-channel-type').selectOption(type);
      await editor.getByTestId('add-channel').click();
      await editor
        .getByTestId(`edit-channel-${type}`)
        .getByTestId(`edit-channel-${type}-id`)
        .fill(id);
      return editor.getByTestId(`edit-channel-${id}`);
    };
    const storeSecret = async (id: string, field: string, value: string) => {
      await editor.getByTestId(`edit-channel-${id}-${field}-source`).selectOption('store');
      await editor.getByTestId(`edit-channel-${id}-${field}-secret`).fill(value);
    };

    const mail = await add('email', 'mail');
    await mail.getByTestId('channel-mail-host').fill('127.0.0.1');
    await mail.getByRole('spinbutton', { name: 'Port' }).fill(String(smtp.port));
    await mail.getByTestId('channel-mail-username').fill(mailUser.username);
    await mail.getByTestId('channel-mail-from').fill('ups@lab.example');
    await mail.getByRole('textbox', { name: /^To/ }).fill('admin@lab.example');
    await mail.getByRole('textbox', { name: /Extra CA or server certificate/ }).fill(smtp.caPem);
    await storeSecret('mail', 'password', mailUser.password);

    const mqtt = await add('mqtt', 'broker');
    await mqtt.getByTestId('channel-broker-url').fill(broker.url);
    await mqtt.getByTestId('channel-broker-username').fill(brokerUser.username);
    await mqtt.getByTestId('channel-broker-topicPrefix').fill('lab-ups');
    await storeSecret('broker', 'password', brokerUser.password);

    const phone = await add('gotify', 'phone');
    await phone.getByTestId('channel-phone-url').fill(gotify.url);
    await storeSecret('phone', 'token', 'gotify-app-token');

    await editor.getByTestId('save-settings').click();
    await expect(editor.getByTestId('saved-note')).toBeVisible();
    const file = await readFile(app.configPath, 'utf8');
    for (const secret of [mailUser.password, brokerUser.password, 'gotify-app-token'])
      expect(file).not.toContain(secret);
    expect((await app.api('config:get', undefined)).config.alerts.channels).toMatchObject([
      { id: 'mail', type: 'email', host: '127.0.0.1', port: smtp.port, security: 'starttls' },
      { id: 'broker', type: 'mqtt', url: broker.url, topicPrefix: 'lab-ups' },
      { id: 'phone', type: 'gotify', url: gotify.url },
    ]);

    for (const id of ['mail', 'broker', 'phone']) {
      await expect(page.getByTestId(`channel-state-${id}`)).toHaveText('Nothing sent yet');
      await page.getByTestId(`send-test-${id}`).click();
      await expect(page.getByTestId(`test-result-${id}`)).toContainText(
        new RegExp(`Delivered to ${id} \\(\\w+\\) in \\d+ ms`),
      );
      await expect(page.getByTestId(`channel-state-${id}`)).toHaveText('Delivering');
    }

    // Each arrived where the service's own protocol puts it, with the stored secrets.
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]).toMatchObject({
      tls: true,
      authenticated: true,
      to: ['admin@lab.example'],
    });
    expect(smtp.mails[0]!.header('subject')).toBe('NUT Sentinel test message for mail');
    await expect.poll(() => events.messages.length).toBe(1);
    expect(JSON.parse(events.messages[0]!.payload)).toMatchObject({ phase: 'test', event: 'TEST' });
    expect(gotify.requests).toHaveLength(1);
    expect(gotify.requests[0]!.path).toBe('/message');
    expect(gotify.requests[0]!.headers['x-gotify-key']).toBe('gotify-app-token');
  } finally {
    await watcher.endAsync().catch(() => undefined);
    await Promise.all([smtp.stop(), broker.stop(), gotify.close()]);
  }
});
