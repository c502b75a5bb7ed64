/**
 * The guarded FSD test as a user runs it: in Chromium through the browser bridge, against the real
 * headless core (`node out/main/cli.js web`) and a real upsd.
 *
 * - The wizard in master mode, then an abort during the countdown: the page shows the run
 *   aborted, and the server saw nothing — checked on the server (ups.status, NUMLOGINS, upsd's
 *   own log) and on the wire (a recording TCP proxy between the app and upsd).
 * - A secondary-only credential: the preflight shows ERR ACCESS-DENIED explained as a blocker;
 *   Start stays refused (button and core) unless overridden, and then the master refuses FSD.
 * - A completed master-mode run with two real upsmon 2.8.0 secondaries, each in its own network
 *   namespace with its own address (main/testing/netns.ts), plus the app itself (dry run), all on
 *   one upsd listening on the test bridge. The report in the page (and its Markdown download)
 *   is compared with what the server saw: the upsmons' own SHUTDOWNCMD timestamps, their FSD
 *   notifications and an independent LIST CLIENT sampler on a raw connection. Then upsd restarts
 *   and the page notices the FSD latch is gone.
 */
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import type { ConfigInput } from '../shared/config';
import { FsdReportSchema } from '../shared/fsd-test';
import { RawNutConnection, sleep, tokenize } from '../main/testing/net';
import { type TestNetwork, createTestNetwork } from '../main/testing/netns';
import { startRecordingProxy } from '../main/testing/recording-proxy';
import { RIG_USERS, type Rig, startUpsdRig } from '../main/testing/upsd-rig';
import { type UpsmonRig, startUpsmon } from '../main/testing/upsmon-rig';
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
/** Anything that authenticates, changes state or could set FSD. */
const PRIVILEGED = /^(FSD|PRIMARY|MASTER|USERNAME|PASSWORD|LOGIN|LOGOUT|SET|INSTCMD)\b/i;

// ------------------------------------------------------------------------------------------------
// Helpers

/** Configures the app as a secondary of `host:port` (monuser, shutdown in dry run) and waits for its LOGIN. */
async function configure(
  app: AppUnderTest,
  host: string,
  port: number,
  options: { expectedClients?: string[] } = {},
): Promise<{ shutdownLog: string }> {
  // A harmless shutdown command even if dry run were ignored: it only appends a timestamp.
  const shutdownLog = path.join(app.dir, 'shutdown-command.log');
  const config: ConfigInput = {
    masters: [
      {
        id: 'lab',
        label: 'Lab master',
        host,
        port,
        ups: [
          {
            name: UPS,
            username: RIG_USERS.monuser.name,
            expectedClients: options.expectedClients ?? [],
          },
        ],
      },
    ],
    timing: { statusPollSeconds: 0.25, fullPollSeconds: 2, finalDelaySeconds: 1 },
    shutdown: {
      dryRun: true,
      command: { file: '/bin/sh', args: ['-c', `date +%s%N >> '${shutdownLog}'`] },
    },
    notifications: { desktop: false },
  };
  await saveConfigAndLogIn(app, config, { masterId: 'lab', upsName: UPS });
  return { shutdownLog };
}

async function openFsdTab(page: Page, app: AppUnderTest): Promise<void> {
  await page.goto(app.url);
  await page.goto(`${app.url.split('#')[0]}#/ups/${MONITOR_ID}`);
  await page.getByTestId('tab-fsd-test').click();
  await expect(page.getByTestId('fsd-test')).toBeVisible();
}

/** Master mode, the credential entered, the preflight run; returns the preflight panel. */
async function masterPreflight(page: Page, user: { name: string; password: string }) {
  await page.getByTestId('fsd-mode-master').check();
  await page.getByTestId('fsd-username').fill(user.name);
  await page.getByTestId('fsd-password').fill(user.password);
  await page.getByTestId('fsd-preflight').click();
  const result = page.getByTestId('fsd-preflight-result');
  await expect(result).toBeVisible({ timeout: 30_000 });
  return result;
}

const check = (page: Page, title: string) =>
  page.getByTestId('fsd-check').filter({ has: page.locator('strong', { hasText: title }) });

async function statusOnServer(rig: Rig): Promise<string> {
  return rig.getVar(UPS, 'ups.status');
}

/** A TCP proxy in front of upsd that records every request line a client sends. */

/** An independent observer of the server: LIST CLIENT + ups.status every ~100 ms on a raw connection (not our NUT client). */
function startSampler(rig: Rig) {
  const samples: { at: number; addresses: string[]; status: string }[] = [];
  let running = true;
  const done = (async () => {
    const connection = await RawNutConnection.connect(rig.host, rig.port);
    try {
      while (running) {
        const at = Date.now();
        const lines = await connection.list(`LIST CLIENT ${UPS}`);
        const status = await connection.getVar(UPS, 'ups.status');
        samples.push({ at, addresses: lines.map((line) => tokenize(line)[2] ?? ''), status });
        await sleep(100);
      }
    } finally {
      await connection.close();
    }
  })();
  done.catch(() => undefined); // reported by stop()
  return {
    samples,
    /** The first sample at or after `after` that no longer lists `address`. */
    goneAt: (address: string, after: number) =>
      samples.find((s) => s.at >= after && !s.addresses.includes(address))?.at ?? null,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Wizard + abort, and the preflight refusal: the default rig (127.0.0.1)

test('master mode: the wizard, then an abort during the countdown — the page shows it aborted and the server saw nothing', async ({
  page,
  rig,
  app,
}) => {
  test.setTimeout(120_000);
  const proxy = await startRecordingProxy(rig);
  try {
    await configure(app, proxy.host, proxy.port);
    expect(await rig.numLogins(UPS)).toBe(1);
    const logMark = rig.logs().length;

    await openFsdTab(page, app);
    await expect(page.getByTestId('fsd-mode-local')).toBeChecked();
    await screenshot(page, 'fsd-wizard');

    const result = await masterPreflight(page, RIG_USERS.monprimary);
    await expect(result).toHaveAttribute('data-blockers', '0');
    await expect(check(page, 'Master reachable')).toHaveAttribute('data-status', 'ok');
    await expect(check(page, 'UPS on line')).toHaveAttribute('data-status', 'ok');
    await expect(check(page, 'UPS on line')).toContainText('ups.status is "OL"');
    await expect(check(page, 'Battery charged')).toContainText(
      'battery.charge is 100 % (at least 80 %).',
    );
    const credential = check(page, 'Credential with the FSD right');
    await expect(credential).toHaveAttribute('data-status', 'ok');
    await expect(credential).toContainText(
      `PRIMARY ${UPS} granted to "${RIG_USERS.monprimary.name}"`,
    );
    await expect(check(page, 'This machine')).toHaveAttribute('data-status', 'ok');
    await expect(check(page, 'This machine')).toContainText('Shutdown is in dry run here');
    await expect(check(page, 'The master and the UPS power')).toHaveAttribute(
      'data-status',
      'warning',
    );
    expect(await page.getByTestId('fsd-check').count()).toBeGreaterThanOrEqual(8);
    await expect(result).toContainText(
      '1 logged in · 0 besides this machine · this machine is logged in',
    );

    // The typed confirmation gates the start button.
    const start = page.getByTestId('fsd-start');
    await expect(start).toBeDisabled();
    await page.getByTestId('fsd-confirm').fill('UPS');
    await expect(start).toBeDisabled();
    await page.getByTestId('fsd-confirm').fill(UPS);
    await page.getByLabel('Countdown (s)').fill('8');
    await expect(start).toBeEnabled();
    await expect(start).toHaveText(/Send FSD to the master/);
    await screenshot(page, 'fsd-preflight-master');

    // The preflight's credential check went through the proxy: what it records is the app's traffic.
    expect(proxy.lines.some((l) => /^(PRIMARY|MASTER) ups$/.test(l.line))).toBe(true);
    const mark = proxy.lines.length;
    const numLogins = await rig.numLogins(UPS);

    await start.click();
    const run = page.getByTestId('fsd-run');
    await expect(run).toHaveAttribute('data-state', 'countdown');
    await expect(page.getByTestId('fsd-countdown')).toHaveText(/^[1-8] s$/);
    await expect(page.getByTestId('fsd-timeline')).toContainText('Abort now and nothing is sent.');
    const armed = await app.api('fsd:get-run', {});
    expect(armed?.state).toBe('countdown');
    const endsAt = armed!.countdown.endsAt!;
    await screenshot(page, 'fsd-countdown');

    await page.getByTestId('fsd-abort').click();
    await expect(run).toHaveAttribute('data-state', 'aborted');
    const abortedAt = Date.now();
    expect(abortedAt).toBeLessThan(endsAt); // during the countdown
    await expect(run).toContainText('Test aborted');
    await expect(page.getByTestId('fsd-timeline')).toContainText(
      'Aborted during the countdown: nothing was sent.',
    );
    await expect(page.getByTestId('fsd-report')).toContainText(
      'Aborted before anything was sent to the master.',
    );
    await expect(page.getByTestId('fsd-abort')).toHaveCount(0);
    // Times count from the arming: no negative times before an FSD that never happened.
    for (const t of await page.getByTestId('fsd-timeline').locator('.tl-t').allTextContents())
      expect(t).toMatch(/^\+\d+\.\d s$/);
    // The wizard kept the mode and the credential for the next try (a fresh preflight is needed).
    await expect(page.getByTestId('fsd-mode-master')).toBeChecked();
    await expect(page.getByTestId('fsd-username')).toHaveValue(RIG_USERS.monprimary.name);
    await expect(page.getByTestId('fsd-password')).toHaveValue(RIG_USERS.monprimary.password);
    await expect(page.getByTestId('fsd-preflight-result')).toHaveCount(0);
    await screenshot(page, 'fsd-aborted');

    // Well past the end of the countdown: still nothing on the server.
    await sleep(Math.max(0, endsAt - Date.now()) + 3_000);
    const status = await statusOnServer(rig);
    expect(status.split(/\s+/)).not.toContain('FSD');
    expect(status).toBe('OL');
    expect(await rig.numLogins(UPS)).toBe(numLogins);
    expect(rig.logs().slice(logMark)).not.toMatch(/set FSD/i);
    expect(rig.logs()).not.toMatch(/set FSD/i);
    // On the wire: after the start, the app sent only its live session's reads.
    const sent = proxy.lines.slice(mark).map((l) => l.line);
    expect(sent.length).toBeGreaterThan(0); // the live session kept polling through the proxy
    expect(sent.filter((line) => PRIVILEGED.test(line))).toEqual([]);

    // The API agrees with the page.
    const view = await app.api('fsd:get-run', { runId: armed!.runId });
    expect(view).toMatchObject({ state: 'aborted', t0: null });
    expect(view!.timeline.map((e) => e.kind)).not.toContain('fsd-sent');
    const { report } = await app.api('fsd:get-report', { id: view!.reportId!, format: 'json' });
    expect(report).toMatchObject({
      outcome: 'aborted',
      fsdSetAt: null,
      latch: null,
      credentialUser: RIG_USERS.monprimary.name,
    });
    const events = await app.api('events:query', {
      monitorId: MONITOR_ID,
      kinds: ['fsd-test'],
      limit: 20,
    });
    expect(events.map((e) => e.type)).toContain('FSD_TEST_ABORTED');
    expect(events.map((e) => e.type)).not.toContain('FSD_SET');
    // The reports list in the page has it.
    await expect(page.getByTestId('fsd-reports')).toContainText('aborted');
    await expect(page.getByTestId('fsd-report-secondaries')).toHaveText(['FSD not sent']);
    expect(fs.existsSync(path.join(app.dir, 'shutdown-command.log'))).toBe(false);
  } finally {
    await proxy.close();
  }
});

test('master mode preflight during an outage (OB DISCHRG, 45 %): blocked with the reason, overridable; local mode only warns', async ({
  page,
  rig,
  app,
}) => {
  test.setTimeout(120_000);
  await configure(app, rig.host, rig.port);
  await rig.setVar(UPS, 'battery.charge', '45');
  await rig.setStatus(UPS, 'OB DISCHRG');
  await eventually(
    () => app.api('app:get-snapshot', undefined),
    (snapshot) => (snapshot.ups[0]?.status ?? '').includes('OB'),
  );
  await openFsdTab(page, app);

  const result = await masterPreflight(page, RIG_USERS.monprimary);
  const onLine = check(page, 'UPS on line');
  await expect(onLine).toHaveAttribute('data-status', 'blocker');
  await expect(onLine).toContainText('ups.status is "OB DISCHRG" — OB: on battery.');
  await expect(onLine).toContainText('Wait until the UPS is back on line and charged');
  await expect(onLine).toContainText('blocker (can be overridden)');
  const charged = check(page, 'Battery charged');
  await expect(charged).toHaveAttribute('data-status', 'blocker');
  await expect(charged).toContainText('battery.charge is 45 %, below the 80 % a test needs.');
  await expect(result).toHaveAttribute('data-blockers', '2');
  await expect(check(page, 'Credential with the FSD right')).toHaveAttribute('data-status', 'ok');
  const start = page.getByTestId('fsd-start');
  await page.getByTestId('fsd-confirm').fill(UPS);
  await expect(start).toBeDisabled();
  await screenshot(page, 'fsd-preflight-on-battery');
  // The explicit override stays available for someone who really means it.
  await page.getByTestId('fsd-override').check();
  await expect(start).toBeEnabled();
  await page.getByTestId('fsd-override').uncheck();

  // The threshold is configurable: at 40 % only the status blocks.
  await page.getByTestId('fsd-min-charge').fill('40');
  await page.getByTestId('fsd-preflight').click();
  await expect(page.getByTestId('fsd-preflight-result')).toHaveAttribute('data-blockers', '1');
  await expect(check(page, 'Battery charged')).toHaveAttribute('data-status', 'ok');

  // Local mode touches no power: the same findings are warnings.
  await page.getByTestId('fsd-mode-local').check();
  await page.getByTestId('fsd-preflight').click();
  await expect(page.getByTestId('fsd-preflight-result')).toHaveAttribute('data-blockers', '0');
  await expect(check(page, 'UPS on line')).toHaveAttribute('data-status', 'warning');
  await expect(check(page, 'Battery charged')).toHaveAttribute('data-status', 'warning');
  expect(await rig.getVar(UPS, 'ups.status')).toBe('OB DISCHRG');
});

test('master mode preflight with a secondary-only credential: ACCESS-DENIED explained, Start refused unless overridden', async ({
  page,
  rig,
  app,
}) => {
  test.setTimeout(120_000);
  await configure(app, rig.host, rig.port);
  const logMark = rig.logs().length;
  await openFsdTab(page, app);

  const result = await masterPreflight(page, RIG_USERS.monuser);
  const credential = check(page, 'Credential with the FSD right');
  await expect(credential).toHaveAttribute('data-status', 'blocker');
  await expect(credential).toContainText('blocker (can be overridden)');
  await expect(credential).toContainText(
    `The master answered ERR ACCESS-DENIED to PRIMARY/MASTER ${UPS} for "${RIG_USERS.monuser.name}"`,
  );
  await expect(credential).toContainText('no primary/FSD right');
  await expect(credential).toContainText('upsmon secondary');
  await expect(credential).toContainText(/Fix: .*actions = FSD/);
  await expect(result).toHaveAttribute('data-blockers', '1');

  // Even with the UPS name typed, Start stays disabled until the blocker is overridden.
  const start = page.getByTestId('fsd-start');
  await page.getByTestId('fsd-confirm').fill(UPS);
  await page.getByLabel('Countdown (s)').fill('1');
  await expect(start).toBeDisabled();
  await expect(page.getByTestId('fsd-override')).not.toBeChecked();
  await screenshot(page, 'fsd-preflight-access-denied');

  // The core refuses it too, not only the button.
  await expect(
    app.api('fsd:start', {
      preflight: {
        monitorId: MONITOR_ID,
        mode: 'master',
        credential: {
          source: 'entered',
          username: RIG_USERS.monuser.name,
          password: RIG_USERS.monuser.password,
        },
      },
      confirmUpsName: UPS,
      countdownSeconds: 0,
    }),
  ).rejects.toThrow(/blocker.*ERR ACCESS-DENIED/);
  expect(await app.api('fsd:get-run', {})).toBeNull();

  // Overridden: the start is allowed — and the master itself refuses FSD to this user.
  await page.getByTestId('fsd-override').check();
  await expect(start).toBeEnabled();
  await start.click();
  const run = page.getByTestId('fsd-run');
  await expect(run).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
  await expect(run).toContainText('ACCESS-DENIED');
  await expect(run).toContainText('FSD was not set');
  await screenshot(page, 'fsd-override-refused-by-master');
  const view = await app.api('fsd:get-run', {});
  const { report } = await app.api('fsd:get-report', { id: view!.reportId!, format: 'json' });
  expect(report).toMatchObject({ outcome: 'failed', fsdSetAt: null, overridden: ['fsd-right'] });
  expect(report.error?.code).toBe('ACCESS-DENIED');

  expect(await statusOnServer(rig)).toBe('OL');
  expect(rig.logs().slice(logMark)).not.toMatch(/set FSD/i);
});

// ------------------------------------------------------------------------------------------------
// A completed master-mode run: upsd on a test bridge, upsmon secondaries in their own namespaces

const bridged = test.extend<{ network: TestNetwork }>({
  // eslint-disable-next-line no-empty-pattern
  network: async ({}, use) => {
    const network = await createTestNetwork({ hosts: 2 });
    try {
      await use(network);
    } finally {
      await network.cleanup();
    }
  },
  // The rig listens on the bridge address: the secondaries reach it from their namespaces, and
  // the app (in the root namespace) connects to it from that address too.
  rig: async ({ network }, use) => {
    const rig = await startUpsdRig({ listen: network.hostAddress });
    try {
      await use(rig);
    } finally {
      await rig.stop();
    }
  },
});

bridged(
  'master mode to completion: each secondary logged out in time as the server saw it, the report exported, the latch cleared by an upsd restart',
  async ({ page, rig, app, network }) => {
    bridged.setTimeout(300_000);
    const upsmons: UpsmonRig[] = [];
    let sampler: ReturnType<typeof startSampler> | null = null;
    try {
      for (const host of network.hosts)
        upsmons.push(await startUpsmon({ rig, netns: host.netns, finalDelay: 1 }));
      const addresses = network.hosts.map((host) => host.address);
      const [a1, a2] = addresses as [string, string];
      const { shutdownLog } = await configure(app, rig.host, rig.port, {
        expectedClients: addresses,
      });
      await eventually(
        () => rig.listClients(UPS),
        (list) => [...list].sort().join(' ') === [a1, a2, network.hostAddress].sort().join(' '),
        30_000,
      );

      await openFsdTab(page, app);
      const result = await masterPreflight(page, RIG_USERS.monprimary);
      await expect(result).toHaveAttribute('data-blockers', '0');
      await expect(check(page, 'Credential with the FSD right')).toHaveAttribute(
        'data-status',
        'ok',
      );
      const secondaries = check(page, 'Connected secondaries');
      await expect(secondaries).toHaveAttribute('data-status', 'ok');
      await expect(secondaries).toContainText('2 other secondaries logged in');
      for (const address of addresses) await expect(secondaries).toContainText(address);
      await expect(check(page, 'Expected secondaries missing')).toHaveCount(0);
      await expect(result).toContainText(
        '3 logged in · 2 besides this machine · this machine is logged in',
      );
      await expect(result).toContainText(`${rig.host}:${rig.port}`);
      await page.getByTestId('fsd-confirm').fill(UPS);
      await page.getByLabel('Countdown (s)').fill('3');
      await screenshot(page, 'fsd-preflight-two-secondaries');

      sampler = startSampler(rig);
      const startedAt = Date.now();
      await page.getByTestId('fsd-start').click();
      const run = page.getByTestId('fsd-run');
      await expect(run).toHaveAttribute('data-state', 'countdown');
      await expect(run).toHaveAttribute('data-state', 'running', { timeout: 20_000 });
      await expect(run).toContainText('Forced shutdown in progress');
      await screenshot(page, 'fsd-running');
      await expect(run).toHaveAttribute('data-state', 'finished', { timeout: 90_000 });
      await expect(run).toContainText('Test finished');
      const report = page.getByTestId('fsd-report');
      await expect(report.getByTestId('fsd-secondary')).toHaveCount(3);
      await screenshot(page, 'fsd-finished-report');
      await sampler.stop();
      const samples = sampler.samples;

      // The report as the API has it (the page renders this one).
      const view = await app.api('fsd:get-run', {});
      expect(view).toMatchObject({ state: 'finished', mode: 'master' });
      const exported = await app.api('fsd:get-report', { id: view!.reportId!, format: 'json' });
      const data = FsdReportSchema.parse(JSON.parse(exported.content));
      expect(data).toEqual(exported.report);
      expect(data.outcome).toBe('completed');
      expect(data.credentialUser).toBe(RIG_USERS.monprimary.name);
      expect(data.hostSync).toMatchObject({ seconds: 15, source: 'request' });
      expect(data.perClient).toBe(true);
      expect(data.numLogins.before).toBe(3);
      const fsdSetAt = data.fsdSetAt!;
      expect(fsdSetAt).toBeGreaterThan(startedAt + 2_500); // after the 3 s countdown

      // What the server saw: FSD latched from t0 on (the sampler's ups.status), upsd's log.
      const firstFsd = samples.find((s) => s.status.split(/\s+/).includes('FSD'));
      expect(firstFsd).toBeDefined();
      expect(samples.filter((s) => s.at > fsdSetAt + 500).every((s) => s.status === 'FSD OL')).toBe(
        true,
      );
      expect(samples.filter((s) => s.at < fsdSetAt - 1_000).every((s) => s.status === 'OL')).toBe(
        true,
      );
      expect(Math.abs(firstFsd!.at - fsdSetAt)).toBeLessThanOrEqual(1_000);
      expect(await statusOnServer(rig)).toBe('FSD OL');
      expect(rig.logs()).toMatch(/set FSD on UPS \[ups\]/);
      // Before FSD, the sampler saw all three logged in.
      expect(
        samples
          .filter((s) => s.at < fsdSetAt - 200)
          .some((s) => [a1, a2, network.hostAddress].every((a) => s.addresses.includes(a))),
      ).toBe(true);

      for (const [upsmon, address] of [
        [upsmons[0]!, a1],
        [upsmons[1]!, a2],
      ] as const) {
        const row = data.secondaries.find((s) => s.address === address && !s.isThisMachine)!;
        expect(row).toBeDefined();
        expect(row.verdict).toBe('in-time');
        expect(row.leftAt).not.toBeNull();
        const leftAt = row.leftAt!;
        expect(row.leftAtMs).toBe(Math.round(leftAt - fsdSetAt));
        expect(row.leftAtMs!).toBeGreaterThan(0);
        expect(row.leftAtMs!).toBeLessThanOrEqual(15_000);
        // upsmon saw FSD after t0, ran its SHUTDOWNCMD, exited: the server dropped it right after.
        const sawFsd = upsmon.events().find((e) => e.type === 'FSD');
        expect(sawFsd).toBeDefined();
        expect(sawFsd!.atMs).toBeGreaterThanOrEqual(fsdSetAt - 200);
        const calls = upsmon.shutdownCalls();
        expect(calls).toHaveLength(1);
        expect(leftAt).toBeGreaterThanOrEqual(calls[0]! - 100);
        expect(leftAt).toBeLessThanOrEqual(calls[0]! + 3_000);
        // The independent sampler saw the same disconnect.
        const gone = sampler.goneAt(address, fsdSetAt);
        expect(gone).not.toBeNull();
        expect(Math.abs(leftAt - gone!)).toBeLessThanOrEqual(1_000);

        // The page: the address, "in time" and the disconnect time.
        const line = report.locator(
          `[data-testid="fsd-secondary"][data-address="${address}"][data-this-machine="false"]`,
        );
        await expect(line).toHaveAttribute('data-verdict', 'in-time');
        await expect(line).toContainText('in time');
        await expect(line.getByTestId('fsd-secondary-left')).toHaveText(
          `${(row.leftAtMs! / 1000).toFixed(1)} s (±${row.resolutionMs} ms)`,
        );
        await expect(page.getByTestId('fsd-timeline')).toContainText(
          `${address} logged out ${(row.leftAtMs! / 1000).toFixed(1)} s after FSD.`,
        );
      }
      // This machine (the app, dry run) is in the report too, under the bridge address.
      const own = data.secondaries.find((s) => s.isThisMachine)!;
      expect(own.address).toBe(network.hostAddress);
      const ownLine = report.locator('[data-testid="fsd-secondary"][data-this-machine="true"]');
      await expect(ownLine).toContainText(network.hostAddress);
      await expect(ownLine).toContainText('this machine');
      expect(
        data.timeline.some(
          (e) => e.kind === 'this-machine' && /Dry run: would run/.test(e.message),
        ),
      ).toBe(true);
      expect(fs.existsSync(shutdownLog)).toBe(false); // dry run: the command never ran

      // Summary and total time in the page; the counts equal the table's rows (this machine apart).
      await expect(report).toContainText('All 2 secondaries logged out within HOSTSYNC 15 s');
      const others = report.getByTestId('fsd-secondaries-others').getByTestId('fsd-secondary');
      await expect(others).toHaveCount(2);
      await expect(
        report.getByTestId('fsd-secondaries-own').getByTestId('fsd-secondary'),
      ).toHaveCount(1);
      const inTimeRows = await others.and(page.locator('[data-verdict="in-time"]')).count();
      await expect(report).toContainText(
        `Other secondaries: ${inTimeRows} in time · 0 late · 0 never.`,
      );
      await expect(report.getByTestId('fsd-secondaries-counts')).toContainText(
        `${inTimeRows} in time · 0 late · 0 never · this machine: in time`,
      );
      await expect(report).toContainText(`Total time: ${(data.totalMs / 1000).toFixed(1)} s.`);
      expect(data.totalMs).toBe(Math.round(data.finishedAt - fsdSetAt));
      await expect(page.getByTestId('fsd-latch')).toContainText('The master still has FSD set');
      await expect(page.getByTestId('fsd-report-secondaries')).toHaveText([
        `${inTimeRows} in time · 0 late · 0 never · this machine: in time`,
      ]);

      // The Markdown report, downloaded through the page, is the core's export.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        report.getByRole('button', { name: 'Download report (Markdown)' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^fsd-test-master-ups-.*\.md$/);
      const markdown = await readFile(await download.path(), 'utf8');
      expect(markdown).toBe(
        (await app.api('fsd:get-report', { id: data.id, format: 'markdown' })).content,
      );
      expect(markdown).toContain('- Result: **completed**');
      for (const address of addresses) {
        const row = data.secondaries.find((s) => s.address === address)!;
        expect(markdown).toContain(
          `| ${address} |  | ${(row.leftAtMs! / 1000).toFixed(1)} s (±${row.resolutionMs} ms) | in time |`,
        );
      }
      expect(markdown).toContain('**Still set** when this report was written.');

      // The latch: only an upsd restart clears it; the page and the API notice.
      for (const upsmon of upsmons) await upsmon.stop();
      const restartedAt = Date.now();
      await rig.restart();
      expect(await statusOnServer(rig)).toBe('OL');
      await expect(page.getByTestId('fsd-latch')).toContainText(
        'The master’s FSD flag is cleared',
        { timeout: 45_000 },
      );
      await expect(report).toContainText('The FSD latch was cleared at');
      await expect(page.getByTestId('fsd-timeline')).toContainText('FSD latch cleared');
      const after = await app.api('fsd:get-report', { id: data.id, format: 'json' });
      expect(after.report.latch?.clearedAt).toBeGreaterThanOrEqual(restartedAt);
      expect(after.report.timeline.at(-1)?.kind).toBe('latch-cleared');
      expect(
        (await app.api('fsd:list-reports', { monitorId: MONITOR_ID, limit: 5 }))[0],
      ).toMatchObject({ id: data.id, latchClearedAt: after.report.latch!.clearedAt });
      // This machine's monitor, which ran its dry-run shutdown on the FSD, is counted again.
      await eventually(
        () => rig.listClients(UPS),
        (list) => list.includes(network.hostAddress),
        30_000,
      );
      await screenshot(page, 'fsd-latch-cleared');
    } finally {
      await sampler?.stop().catch(() => undefined);
      for (const upsmon of upsmons) await upsmon.stop();
    }
  },
);
