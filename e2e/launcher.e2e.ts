/**
 * `nut-sentinel web --open` as a user runs it: the bridge token must never appear on any command
 * line (every local user can read /proc/<pid>/cmdline). The opener is a fake `xdg-open` first on
 * PATH that records its argv; the browser is Chromium opening what the opener was given.
 */
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startWebProcess } from '../main/testing/web-process';
import { expect, test } from './fixtures';

async function allCommandLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    lines.push(await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => ''));
  }
  return lines;
}

test('web --open hands the browser a private one-time launcher, never the token on a command line', async ({
  page,
}) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-launch-e2e-'));
  const bin = path.join(dir, 'bin');
  const record = path.join(dir, 'opener-argv');
  await mkdir(bin);
  await writeFile(
    path.join(bin, 'xdg-open'),
    `#!/bin/sh\nprintf '%s\\n' "$0" "$@" > '${record}.tmp' && mv '${record}.tmp' '${record}'\n`,
  );
  await chmod(path.join(bin, 'xdg-open'), 0o755);
  const web = await startWebProcess({
    configPath: path.join(dir, 'config.json'),
    dataDir: dir,
    args: ['--open'],
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, XDG_RUNTIME_DIR: '' },
  });
  try {
    const token = new URLSearchParams(new URL(web.url).hash.slice(1)).get('token')!;
    expect(token.length).toBeGreaterThan(40);
    await expect
      .poll(() => readFile(record, 'utf8').catch(() => ''), { timeout: 10_000 })
      .not.toBe('');
    const argv = (await readFile(record, 'utf8')).trim().split('\n');
    expect(argv.join(' ')).not.toContain(token);
    for (const cmdline of await allCommandLines()) expect(cmdline).not.toContain(token);
    // stdout (what logs and journals keep) has no token either.
    expect(web.output()).toContain('NUT Sentinel UI: http://127.0.0.1:');

    // The opener got a private launcher file: 0600 in a 0700 directory, holding no token.
    const launcher = argv[1]!;
    expect(path.isAbsolute(launcher)).toBe(true);
    expect((await stat(launcher)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(launcher))).mode & 0o777).toBe(0o700);
    const html = await readFile(launcher, 'utf8');
    expect(html).not.toContain(token);
    const launchUrl = /url=([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');

    // Chromium opens it and lands on the working dashboard.
    await page.goto(pathToFileURL(launcher).href);
    await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/#/`));
    await expect(page.getByTestId('add-synology')).toBeVisible();
    expect(
      await page.evaluate(() => window.sessionStorage.getItem('nut-sentinel.bridge-token')),
    ).toBe(token);
    // A reload keeps working (the tab keeps its token).
    await page.reload();
    await expect(page.getByTestId('add-synology')).toBeVisible();

    // The link works once: a second use is refused, and the launcher file is gone.
    const again = await fetch(launchUrl, { redirect: 'manual' });
    expect(again.status).toBe(410);
    expect(await again.text()).toMatch(/already been used/);
    await expect
      .poll(() =>
        stat(launcher).then(
          () => true,
          () => false,
        ),
      )
      .toBe(false);
  } finally {
    await web.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
