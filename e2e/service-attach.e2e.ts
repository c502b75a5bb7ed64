/**
 * `nut-sentinel web` attached to the background service, in Chromium through the browser
 * bridge: a REAL agent process (`agent --control-socket`) monitors a real upsd, `web` starts
 * with a config of its own that it must NOT use, and the page shows the service's UPS live, a
 * power cut on the rig, and saves a config change into the service's config file. upsd counts
 * exactly one LOGIN the whole time (sampled throughout, and LIST CLIENT at the end).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AgentProcess, startAgentProcess } from '../main/testing/agent-process';
import { RIG_USERS } from '../main/testing/upsd-rig';
import { type WebProcess, bridgeInvoke, startWebProcess } from '../main/testing/web-process';
import { expect, screenshot, test } from './fixtures';

const UPS = 'ups';

test('web attaches to the running service: live status, a power cut, config save, one LOGIN', async ({
  page,
  rig,
}) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-e2e-service-'));
  const socket = path.join(dir, 'run', 'control.sock');
  const serviceConfig = path.join(dir, 'service-config.json');
  await writeFile(
    serviceConfig,
    JSON.stringify({
      masters: [
        {
          id: 'nas',
          label: 'Service NAS',
          host: '127.0.0.1',
          port: rig.port,
          ups: [
            {
              name: UPS,
              username: RIG_USERS.monuser.name,
              password: { source: 'env', name: 'NAS_PASSWORD' },
            },
          ],
        },
      ],
      timing: { statusPollSeconds: 1 },
      shutdown: { dryRun: true },
    }),
  );
  // web's own config names the same master: were it used, upsd would count a second LOGIN.
  const webConfig = path.join(dir, 'web-config.json');
  await writeFile(
    webConfig,
    (await readFile(serviceConfig, 'utf8')).replace('Service NAS', "web's own NAS"),
  );

  let agent: AgentProcess | null = null;
  let web: WebProcess | null = null;
  let sampling = true;
  let highest = 0;
  const sampler = (async () => {
    while (sampling) {
      highest = Math.max(highest, await rig.numLogins(UPS).catch(() => 0));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    agent = await startAgentProcess({
      configPath: serviceConfig,
      dataDir: path.join(dir, 'service-data'),
      controlSocket: socket,
      env: { NAS_PASSWORD: RIG_USERS.monuser.password },
    });
    await expect.poll(() => rig.numLogins(UPS)).toBe(1);

    web = await startWebProcess({
      configPath: webConfig,
      dataDir: path.join(dir, 'web-data'),
      args: ['--control-socket', socket],
      env: { NAS_PASSWORD: RIG_USERS.monuser.password },
    });
    expect(web.output()).toContain(`Attached to the background service (${socket})`);
    await expect(bridgeInvoke(web.url, 'service:status', undefined)).resolves.toMatchObject({
      mode: 'attached',
      endpoint: socket,
    });

    // Live status from the service, and the sidebar says how monitoring runs.
    await page.goto(web.url);
    const card = page.getByTestId('ups-card').first();
    await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
    await expect(card).toHaveAttribute('data-level', 'online');
    await expect(card).toContainText('Service NAS');
    await expect(page.getByText("web's own NAS")).toHaveCount(0);
    await expect(page.getByTestId('service-mode')).toHaveAttribute('data-attached', 'true');
    await expect(page.getByTestId('service-mode')).toContainText('Background service');

    // A power cut on the rig reaches the page through the service.
    await rig.setStatus(UPS, 'OB DISCHRG');
    await expect(card).toHaveAttribute('data-level', 'on-battery', { timeout: 10_000 });
    await expect(page.getByTestId('tray-state')).toHaveAttribute('data-level', 'on-battery');
    await screenshot(page, 'service-attached-on-battery');
    await rig.setStatus(UPS, 'OL');
    await expect(card).toHaveAttribute('data-level', 'online', { timeout: 10_000 });

    // Settings → Background service says the same.
    await page.goto(`${web.url.split('#')[0]}#/settings/service`);
    await expect(page.getByTestId('service-state')).toContainText(
      'Protected by the background service — works without login',
    );
    await expect(page.getByTestId('service-attached')).toHaveText('Yes');
    await expect(page.getByTestId('service-install')).toHaveCount(0);

    // A config save goes through to the service's file (web's own file stays as it was).
    await page.goto(`${web.url.split('#')[0]}#/settings/general`);
    const poll = page.getByLabel('Status every (s)');
    await expect(poll).toHaveValue('1');
    await poll.fill('1.5');
    await page.getByTestId('save-settings').click();
    await expect
      .poll(async () => {
        const saved = JSON.parse(await readFile(serviceConfig, 'utf8')) as {
          timing?: { statusPollSeconds?: number };
        };
        return saved.timing?.statusPollSeconds;
      })
      .toBe(1.5);
    const untouched = JSON.parse(await readFile(webConfig, 'utf8')) as {
      timing: { statusPollSeconds: number };
    };
    expect(untouched.timing.statusPollSeconds).toBe(1);

    // One LOGIN on upsd through all of it.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await rig.numLogins(UPS)).toBe(1);
    expect(await rig.listClients(UPS)).toHaveLength(1);
    sampling = false;
    await sampler;
    expect(highest).toBe(1);

    // Closing the page's web process leaves the service logged in.
    await web.stop();
    web = null;
    await new Promise((r) => setTimeout(r, 500));
    expect(await rig.numLogins(UPS)).toBe(1);
    expect(await agent.stop()).toBe(0);
    agent = null;
    await expect.poll(() => rig.numLogins(UPS)).toBe(0);
  } finally {
    sampling = false;
    await sampler;
    await web?.stop();
    await agent?.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
