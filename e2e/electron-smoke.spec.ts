/**
 * Smoke test of the real Electron shell: launches the built app (out/main/app.js via the
 * package.json "main") with a fresh userData folder and checks the dashboard window, its
 * security settings, the preload API, hide-on-close and the clean quit.
 *
 * Needs an Electron binary. Where the binary download host is unreachable (npm ci with
 * ELECTRON_SKIP_BINARY_DOWNLOAD=1) there is none, and this file is SKIPPED with that reason;
 * point ELECTRON_OVERRIDE_DIST_PATH at an unpacked Electron 45 to run it. Self-contained: it
 * needs only `npm run build` first (npm test does that).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { _electron as electron, type ElectronApplication, expect, type Page, test } from '@playwright/test';
import type { ApiError, NutSentinelApi } from '../shared/ipc';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Where node_modules/electron would run the binary from (its index.js logic), if it is there. */
function findElectron(): { executable: string | null; reason: string; misconfigured?: boolean } {
  const platformPath =
    process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const executable = path.join(override, platformPath);
    return existsSync(executable)
      ? { executable, reason: '' }
      : { executable, reason: `ELECTRON_OVERRIDE_DIST_PATH is set to ${override}, but ${executable} does not exist.`, misconfigured: true };
  }
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathTxt = path.join(pkg, 'path.txt');
  const executable = path.join(pkg, 'dist', existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : platformPath);
  if (existsSync(executable)) return { executable, reason: '' };
  return {
    executable: null,
    reason:
      'No Electron binary here: node_modules/electron/dist is missing because the Electron download host is unreachable ' +
      '(npm ci ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1). Set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron 45 to run this test.',
  };
}

const { executable, reason, misconfigured } = findElectron();
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;

type WithApi = Window & { nutSentinel?: NutSentinelApi };

// Say it in the terminal too (list reporters do not print skip reasons).
if (!executable) console.warn(`[electron-smoke] SKIPPED — ${reason}`);
else if (misconfigured) console.warn(`[electron-smoke] ${reason}`);
else if (noDisplay) console.warn('[electron-smoke] SKIPPED — no display (DISPLAY/WAYLAND_DISPLAY unset): run under `xvfb-run -a`.');

test.describe('Electron shell smoke test', () => {
  test.skip(!executable, reason);
  test.skip(!!executable && noDisplay, 'An Electron binary is present but there is no display: run under Xvfb, e.g. `xvfb-run -a npm run test:e2e`.');

  let app: ElectronApplication;
  let page: Page;
  let userData: string;

  test.beforeAll(async () => {
    // A wrong ELECTRON_OVERRIDE_DIST_PATH is a mistake to fix, not a reason to skip.
    expect(misconfigured ? reason : '').toBe('');
    const built = ['out/main/app.js', 'out/main/preload.cjs', 'out/renderer/index.html'].filter((file) => !existsSync(path.join(root, file)));
    expect(built, 'the app is not built: run `npm run build` first').toEqual([]);
    userData = mkdtempSync(path.join(os.tmpdir(), 'nut-sentinel-e2e-'));
    app = await electron.launch({
      executablePath: executable!,
      args: [root],
      cwd: root,
      env: { ...process.env, NUT_SENTINEL_USER_DATA_DIR: userData, ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 60_000,
    });
    // Fresh userData = nothing configured: the shell opens Settings by itself.
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  test.afterAll(async () => {
    await app?.close().catch(() => undefined);
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  test('the dashboard loads our renderer file with the Settings route', () => {
    expect(page.url()).toBe(`${pathToFileURL(path.join(root, 'out', 'renderer', 'index.html')).href}#/settings`);
  });

  test('no Node in the page; the preload exposes exactly window.nutSentinel {invoke, subscribe}', async () => {
    const probe = await page.evaluate(() => {
      const w = window as unknown as WithApi & Record<string, unknown>;
      return {
        require: typeof w.require,
        process: typeof w.process,
        module: typeof w.module,
        Buffer: typeof w.Buffer,
        ipcRenderer: typeof w.ipcRenderer,
        electron: typeof w.electron,
        apiKeys: w.nutSentinel ? Object.keys(w.nutSentinel).sort() : null,
        frozen: w.nutSentinel ? Object.isFrozen(w.nutSentinel) : null,
      };
    });
    expect(probe).toEqual({
      require: 'undefined',
      process: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      ipcRenderer: 'undefined',
      electron: 'undefined',
      apiKeys: ['invoke', 'subscribe'],
      frozen: true,
    });
  });

  test('window options: context isolation, sandbox, no node integration, web security', async () => {
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const wc = BrowserWindow.getAllWindows()[0]?.webContents as unknown as { getLastWebPreferences?: () => Record<string, unknown> | null };
      const p = wc?.getLastWebPreferences?.() ?? null;
      return p && { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration, webSecurity: p.webSecurity, preload: p.preload };
    });
    test.skip(prefs === null, 'this Electron does not report web preferences (getLastWebPreferences); the page-level probes above cover them');
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String(prefs!.preload)).toMatch(/out[\\/]main[\\/]preload\.cjs$/);
  });

  test('the API reaches the core through validated IPC', async () => {
    const result = await page.evaluate(async () => {
      const api = (window as WithApi).nutSentinel!;
      const snapshot = await api.invoke('app:get-snapshot', undefined);
      const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: ApiError) => e.code);
      return {
        ups: snapshot.ups.length,
        level: snapshot.tray.level,
        unknown: await errorOf((api.invoke as (c: string, r: unknown) => Promise<unknown>)('shell:open', 'x')),
        invalid: await errorOf((api.invoke as (c: string, r: unknown) => Promise<unknown>)('notifications:set-paused', { paused: 'yes' })),
      };
    });
    expect(result).toEqual({ ups: 0, level: 'not-configured', unknown: 'UNKNOWN-CHANNEL', invalid: 'INVALID-REQUEST' });
  });

  test('CSP blocks eval; window.open and navigation away are denied', async () => {
    const evalResult = await page.evaluate(() => {
      try {
        return String((0, eval)('1 + 1'));
      } catch (error) {
        return error instanceof Error ? error.name : 'blocked';
      }
    });
    expect(evalResult).toBe('EvalError');
    expect(await page.evaluate(() => window.open('http://127.0.0.1:9/') === null)).toBe(true);
    const before = page.url();
    await page.evaluate(() => {
      window.location.href = 'http://127.0.0.1:9/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe(before);
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  });

  test('closing the window hides it; the app keeps running in the tray', async () => {
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
    await expect.poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.isVisible()))).toEqual([false]);
  });

  test('quit runs the ordered teardown before exiting', async () => {
    const exited = new Promise<number | null>((resolve) => app.process().once('exit', (code) => resolve(code)));
    await app.close();
    expect(await exited).toBe(0);
    const log = readFileSync(path.join(userData, 'logs', 'main.log'), 'utf8');
    expect(log).toMatch(/"msg":"stopped"/);
  });
});
