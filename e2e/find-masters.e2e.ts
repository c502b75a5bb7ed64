/**
 * First run with "Find masters on my network", in Chromium through the bridge, against a real
 * upsd and a scripted server that refuses this machine like a Synology NAS that does not
 * permit it. The web process is told to search loopback only (`--discovery-range`, no mDNS),
 * so nothing outside this machine is probed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type FaultServer, startFaultServer } from '../main/testing/fault-server';
import { type WebProcess, bridgeInvoke, startWebProcess } from '../main/testing/web-process';
import { RIG_USERS } from '../main/testing/upsd-rig';
import { expect, screenshot, test } from './fixtures';

test('first run: find the master, add the UPS it offers with one click, see live status; a refusing NAS shows the address to permit', async ({
  page,
  rig,
}) => {
  // The refusing server shares the rig's port on another loopback address.
  const refusing: FaultServer = await startFaultServer(
    async (line, connection) => connection.send('ERR ACCESS-DENIED'),
    { host: '127.0.0.2', port: rig.port },
  );
  const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-e2e-find-'));
  let web: WebProcess | undefined;
  try {
    web = await startWebProcess({
      configPath: path.join(dir, 'config.json'),
      dataDir: dir,
      args: [
        '--discovery-range',
        '127.0.0.1',
        '127.0.0.2',
        '--discovery-port',
        String(rig.port),
        '--no-discovery-mdns',
      ],
    });
    await page.goto(web.url);
    await page.getByTestId('find-masters-button').click();
    const result = page.getByTestId('find-masters-result');
    await expect(result).toBeVisible({ timeout: 15_000 });

    const refused = result.locator('[data-testid="found-server"][data-host="127.0.0.2"]');
    await expect(refused).toHaveAttribute('data-kind', 'refusing');
    await expect(refused.getByTestId('found-not-permitted')).toContainText(
      'Permitted DiskStation devices',
    );
    // The address the NAS sees this machine as (here: loopback, since the NAS is on it).
    await expect(refused.getByTestId('found-not-permitted')).toContainText(
      'add 127.0.0.1 under Control Panel → Hardware & Power → UPS',
    );
    await screenshot(page, 'find-masters');

    const found = result.locator('[data-testid="found-server"][data-host="127.0.0.1"]');
    await expect(found).toHaveAttribute('data-kind', 'nut');
    await expect(found.getByTestId('found-ups')).toHaveAttribute('data-ups', 'ups');
    await found.getByTestId('add-found-ups').click();

    // Host, port and UPS name come from the server; only the credentials are typed.
    await expect(page.getByTestId('master-host')).toHaveValue('127.0.0.1');
    await expect(page.getByTestId('master-port')).toHaveValue(String(rig.port));
    await expect(page.getByTestId('ups-name')).toHaveValue('ups');
    await page.getByTestId('ups-username').fill(RIG_USERS.upsmonclient.name);
    await page.getByTestId('ups-password').fill(RIG_USERS.upsmonclient.password);
    await page.getByTestId('save-master').click();
    // Saving ends on the masters list; go to the dashboard only then.
    await expect(page.getByTestId('master-item')).toBeVisible();

    await page.getByTestId('nav-dashboard').click();
    const card = page.getByTestId('ups-card').first();
    await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
    await expect(card).toHaveAttribute('data-level', 'online');
    await expect.poll(() => rig.numLogins('ups')).toBe(1);

    // Discovery sent no credential to either server.
    expect(refusing.received.filter((line) => /^(USERNAME|PASSWORD|LOGIN)\b/.test(line))).toEqual(
      [],
    );
    const config = await bridgeInvoke(web.url, 'config:get', undefined);
    expect(config.config.masters[0]).toMatchObject({
      host: '127.0.0.1',
      port: rig.port,
      preset: 'generic',
      ups: [{ name: 'ups', username: 'upsmonclient' }],
    });
  } finally {
    await web?.stop();
    await refusing.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a Synology that does not permit this machine: card and sidebar say “Not permitted”, the test names the address to add', async ({
  page,
  app,
}) => {
  const nas = await startFaultServer(async (_line, connection) =>
    connection.send('ERR ACCESS-DENIED'),
  );
  try {
    await app.api('config:save', {
      config: {
        masters: [
          {
            id: 'nas',
            label: 'NAS',
            preset: 'synology',
            host: nas.host,
            port: nas.port,
            ups: [{ name: 'ups', username: 'monuser' }],
          },
        ],
        shutdown: { dryRun: true },
      },
    });
    await app.api('secrets:set-password', { masterId: 'nas', upsName: 'ups', password: 'secret' });
    await page.goto(app.url);
    const card = page.getByTestId('ups-card').first();
    await expect(card).toHaveAttribute('data-connection', 'not-permitted', { timeout: 15_000 });
    await expect(card.getByTestId('not-permitted')).toContainText(
      'Not permitted — this machine is not protected',
    );
    await expect(card.getByTestId('not-permitted')).toContainText('add “127.0.0.1”');
    await expect(page.getByTestId('tray-state')).toContainText('Not permitted');
    await card.getByRole('link', { name: 'Edit master' }).click();

    await page.getByTestId('test-connection').click();
    const diagnosis = page.getByTestId('test-diagnosis');
    await expect(diagnosis).toContainText('Not permitted');
    await expect(diagnosis).toContainText(
      'it is not in Permitted DiskStation devices. The NAS sees this machine as 127.0.0.1.',
    );
    await expect(diagnosis).toContainText(
      'Control Panel → Hardware & Power → UPS → Permitted DiskStation devices, add “127.0.0.1”',
    );
    await expect(diagnosis.getByTestId('test-again')).toBeVisible();
    await screenshot(page, 'doctor-not-permitted');
  } finally {
    await nas.close();
  }
});
