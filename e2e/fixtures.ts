/**
 * End-to-end fixtures: a real upsd rig, the real headless core + browser bridge as a separate
 * process (`node out/main/cli.js web`, exactly what `npm run web` runs), and Debian's Chromium
 * (configured in playwright.config.ts). The `app.api` client talks to the same bridge the page
 * uses, so tests can check what the API exposes (tray state, recorded notifications) next to
 * what the page shows.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import type { ConfigInput } from '../shared/config';
import type { InvokeChannel, RequestOf, ResponseOf } from '../shared/ipc';
import type { UpsSnapshot } from '../shared/snapshot';
import { RIG_USERS, type Rig, startUpsdRig } from '../main/testing/upsd-rig';
import { type WebProcess, bridgeInvoke, startWebProcess } from '../main/testing/web-process';

const root = path.resolve(import.meta.dirname, '..');
export const screenshotDir = path.join(root, 'e2e/screenshots');

export interface AppUnderTest {
  /** `http://127.0.0.1:<port>/#token=…` */
  url: string;
  dir: string;
  configPath: string;
  api<C extends InvokeChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Stop the process (SIGTERM → clean LOGOUT) and start it again on the same config and data. */
  restart(): Promise<void>;
  output(): string;
}

export const test = base.extend<{ rig: Rig; app: AppUnderTest; initialConfig: ConfigInput | null }>(
  {
    initialConfig: [null, { option: true }],
    // eslint-disable-next-line no-empty-pattern
    rig: async ({}, use) => {
      const rig = await startUpsdRig();
      try {
        await use(rig);
      } finally {
        await rig.stop();
      }
    },
    app: async ({ initialConfig }, use) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-e2e-'));
      const configPath = path.join(dir, 'config.json');
      if (initialConfig) await writeFile(configPath, JSON.stringify(initialConfig, null, 2));
      const start = () => startWebProcess({ configPath, dataDir: dir });
      let running: WebProcess = await start();
      const app: AppUnderTest = {
        get url() {
          return running.url;
        },
        dir,
        configPath,
        api: (channel, request) => bridgeInvoke(running.url, channel, request),
        restart: async () => {
          await running.stop();
          running = await start();
        },
        output: () => running.output(),
      };
      try {
        await use(app);
      } finally {
        await running.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
);

export { expect } from '@playwright/test';

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Poll an API reading until it satisfies `check` (for state the page does not show). */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last).slice(0, 500)}`,
      );
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}

/**
 * Configures the app as a dry-run secondary ("nas", Synology preset, the rig's monuser) of
 * `host:port` with fast timings, and waits for its LOGIN.
 */
export async function configureDryRunSecondary(
  app: AppUnderTest,
  host: string,
  port: number,
  overrides: Partial<ConfigInput> = {},
): Promise<void> {
  await saveConfigAndLogIn(app, dryRunSecondaryConfig(host, port, overrides), {
    masterId: 'nas',
    upsName: 'ups',
  });
}

/** The config configureDryRunSecondary saves (for a test that saves it while upsd is down). */
export function dryRunSecondaryConfig(
  host: string,
  port: number,
  overrides: Partial<ConfigInput> = {},
): ConfigInput {
  return {
    masters: [
      {
        id: 'nas',
        label: 'Office NAS',
        preset: 'synology',
        host,
        port,
        ups: [{ name: 'ups', username: RIG_USERS.monuser.name }],
      },
    ],
    timing: {
      statusPollSeconds: 0.25,
      fullPollSeconds: 1,
      hostSyncSeconds: 1,
      finalDelaySeconds: 1,
    },
    shutdown: { dryRun: true },
    notifications: { desktop: false },
    ...overrides,
  };
}

/**
 * Stores the rig's monuser password for `masterId`/`upsName`, saves `config` and waits until its
 * first UPS is logged in (and `ready`, when given).
 */
export async function saveConfigAndLogIn(
  app: AppUnderTest,
  config: ConfigInput,
  options: { masterId: string; upsName: string; ready?: (ups: UpsSnapshot) => boolean },
): Promise<void> {
  await app.api('secrets:set-password', {
    masterId: options.masterId,
    upsName: options.upsName,
    password: RIG_USERS.monuser.password,
  });
  expect(await app.api('config:save', { config })).toEqual({ ok: true });
  await eventually(
    () => app.api('app:get-snapshot', undefined),
    (snapshot) => {
      const ups = snapshot.ups[0];
      return ups?.loggedIn === true && (options.ready?.(ups) ?? true);
    },
    30_000,
  );
}

/** A notification the page handed to the Web Notifications API. */
export interface ShownNotification {
  title: string;
  body: string;
}

/**
 * Records what the page hands to the Web Notifications API from its next load on (grant the
 * permission as a user's click would); read it with shownNotifications.
 */
export async function recordWebNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Original = window.Notification;
    const shown: ShownNotification[] = [];
    (window as unknown as { __notifications: typeof shown }).__notifications = shown;
    class Recording extends Original {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, body: options?.body ?? '' });
      }
    }
    Object.defineProperty(window, 'Notification', { value: Recording });
  });
}

export function shownNotifications(page: Page): Promise<ShownNotification[]> {
  return page.evaluate(
    () => (window as unknown as { __notifications: ShownNotification[] }).__notifications,
  );
}
