/**
 * `nut-sentinel web` attached to the background service, in Chromium through the browser
 * bridge: a REAL agent process (`agent --control-socket`) monitors a real upsd, `web` starts
 * with a config of its own that it must NOT use, and the page shows the service's UPS live, a
 * power cut on the rig, and saves a config change into the service's config file. upsd counts
 * exactly one LOGIN the whole time (sampled throughout, and LIST CLIENT at the end). And the
 * switch: `web` monitoring on its own hands over to an agent that starts later, and takes over
 * again when it stops, never with two sessions on upsd.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AgentProcess, startAgentProcess } from '../main/testing/agent-process';
import { RIG_USERS } from '../main/testing/upsd-rig';
import { type WebProcess, bridgeInvoke, startWebProcess } from '../main/testing/web-process';
import { expect, screenshot, test } from './fixtures';

const UPS = 'ups';

/** A config for the rig's UPS under `label`, its password from NAS_PASSWORD. */
function rigConfig(port: number, label: string): string {
  return JSON.stringify({
    masters: [
      {
        id: 'nas',
        label,
        host: '127.0.0.1',
        port,
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
  });
}

/** Samples upsd's NUMLOGINS every 100 ms; `stop()` returns the highest value seen. */
function watchLogins(read: () => Promise<number>): { stop(): Promise<number> } {
  let running = true;
  let highest = 0;
  const loop = (async () => {
    while (running) {
      highest = Math.max(highest, await read().catch(() => 0));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return highest;
    },
  };
}

test('web attaches to the running service: live status, a power cut, config save, one LOGIN', async ({
  page,
  rig,
}) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-e2e-service-'));
  const socket = path.join(dir, 'run', 'control.sock');
  const serviceConfig = path.join(dir, 'service-config.json');
  await writeFile(serviceConfig, rigConfig(rig.port, 'Service NAS'));
  // web's own config names the same master: were it used, upsd would count a second LOGIN.
  const webConfig = path.join(dir, 'web-config.json');
  await writeFile(webConfig, rigConfig(rig.port, "web's own NAS"));

  let agent: AgentProcess | null = null;
  let web: WebProcess | null = null;
  const logins = watchLogins(() => rig.numLogins(UPS));
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

    // The FSD test (local mode, dry run) runs in the service, asked through the bridge.
    const run = await bridgeInvoke(web.url, 'fsd:start', {
      preflight: { monitorId: 'nas/ups', mode: 'local', dryRun: true },
      countdownSeconds: 0,
    });
    await expect
      .poll(
        async () => (await bridgeInvoke(web!.url, 'fsd:get-run', { runId: run.runId }))?.state,
        {
          timeout: 30_000,
        },
      )
      .toBe('finished');

    // Settings → Background service says the same.
    await page.goto(`${web.url.split('#')[0]}#/settings/service`);
    await expect(page.getByTestId('service-state')).toContainText(
      'Protected by the background service — works without login',
    );
    await expect(page.getByTestId('service-attached')).toHaveText('Yes');
    await expect(page.getByTestId('service-install')).toHaveCount(0);
    await screenshot(page, 'settings-service-attached');

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
    expect(await logins.stop()).toBe(1);

    // Closing the page's web process leaves the service logged in.
    await web.stop();
    web = null;
    await new Promise((r) => setTimeout(r, 500));
    expect(await rig.numLogins(UPS)).toBe(1);
    expect(await agent.stop()).toBe(0);
    agent = null;
    await expect.poll(() => rig.numLogins(UPS)).toBe(0);
  } finally {
    await logins.stop();
    await web?.stop();
    await agent?.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('web on its own hands over to a service that starts later, and back when it stops', async ({
  page,
  rig,
}) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-e2e-switch-'));
  const socket = path.join(dir, 'run', 'control.sock');
  const serviceConfig = path.join(dir, 'service-config.json');
  const webConfig = path.join(dir, 'web-config.json');
  await writeFile(serviceConfig, rigConfig(rig.port, 'Service NAS'));
  await writeFile(webConfig, rigConfig(rig.port, "web's own NAS"));
  const env = { NAS_PASSWORD: RIG_USERS.monuser.password };
  let agent: AgentProcess | null = null;
  let web: WebProcess | null = null;
  const logins = watchLogins(() => rig.numLogins(UPS));
  try {
    web = await startWebProcess({
      configPath: webConfig,
      dataDir: path.join(dir, 'web-data'),
      args: ['--control-socket', socket],
      env,
    });
    expect(web.output()).toContain(`No background service at ${socket}`);
    await page.goto(web.url);
    const card = page.getByTestId('ups-card').first();
    await expect(card).toContainText("web's own NAS", { timeout: 20_000 });
    await expect(card).toHaveAttribute('data-connection', 'connected');
    await expect(page.getByTestId('service-mode')).toHaveAttribute('data-attached', 'false');
    await expect.poll(() => rig.numLogins(UPS)).toBe(1);
    // Settings says no service runs, and how to install one (the page cannot elevate).
    await page.goto(`${web.url.split('#')[0]}#/settings/service`);
    await expect(page.getByTestId('service-runs')).toHaveText('No');
    await expect(page.getByTestId('service-install-blocked')).toContainText(
      'sudo nut-sentinel service install',
    );
    await page.goto(`${web.url.split('#')[0]}#/`);

    // The service starts: web logs out first, then the service logs in, and the page follows.
    agent = await startAgentProcess({
      configPath: serviceConfig,
      dataDir: path.join(dir, 'service-data'),
      controlSocket: socket,
      env,
    });
    await expect(card).toContainText('Service NAS', { timeout: 20_000 });
    await expect(page.getByTestId('service-mode')).toHaveAttribute('data-attached', 'true');
    await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
    await expect.poll(() => rig.numLogins(UPS)).toBe(1);
    expect(web.output()).toContain(`Attached to the background service (${socket})`);

    // The service stops (LOGOUT first): web monitors on its own again.
    expect(await agent.stop()).toBe(0);
    agent = null;
    await expect(card).toContainText("web's own NAS", { timeout: 20_000 });
    await expect(card).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
    await expect(page.getByTestId('service-mode')).toHaveAttribute('data-attached', 'false');
    await expect.poll(() => rig.numLogins(UPS)).toBe(1);
    expect(await logins.stop()).toBe(1);
  } finally {
    await logins.stop();
    await web?.stop();
    await agent?.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
