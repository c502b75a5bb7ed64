/**
 * Opening the browser UI without putting a secret on a command line.
 *
 * Every local user can read every process's argv (`/proc/<pid>/cmdline`, `ps`), so the opener
 * (xdg-open, open, explorer) and the browser it starts must never see the bridge token. Like
 * Jupyter, the browser is given a private launcher file instead: an HTML page in a fresh 0700
 * directory, itself 0600, that redirects to the bridge's single-use launch link (which hands the
 * token to the first browser that opens it). The file is removed once the link has been used.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface LauncherFile {
  /** The HTML file to hand to the opener. */
  readonly path: string;
  /** Deletes the file and its directory. Idempotent. */
  remove(): Promise<void>;
}

/** `$XDG_RUNTIME_DIR` (per-user, 0700, tmpfs) where there is one, else the temp directory. */
function runtimeBase(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return runtime && path.isAbsolute(runtime) && existsSync(runtime) ? runtime : tmpdir();
}

function escapeHtmlAttribute(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export async function writeLauncherFile(
  launchUrl: string,
  base: string = runtimeBase(),
): Promise<LauncherFile> {
  // mkdtemp creates the directory 0700 with an unpredictable name.
  const dir = await mkdtemp(path.join(base, 'nut-sentinel-'));
  await chmod(dir, 0o700);
  const file = path.join(dir, 'open-nut-sentinel.html');
  const href = escapeHtmlAttribute(launchUrl);
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${href}">
<title>Opening NUT Sentinel…</title></head>
<body><p>Opening NUT Sentinel… If nothing happens, <a href="${href}">open the dashboard</a>.</p></body></html>
`;
  await writeFile(file, html, { mode: 0o600, flag: 'wx' });
  let removed: Promise<void> | null = null;
  return {
    path: file,
    remove: () => (removed ??= rm(dir, { recursive: true, force: true })),
  };
}

/** The platform's "open this file" program (a fake one can be put first on PATH in tests). */
export function platformOpener(platform: NodeJS.Platform = process.platform): string {
  return platform === 'darwin' ? 'open' : platform === 'win32' ? 'explorer.exe' : 'xdg-open';
}

/** Starts the opener on the launcher file, detached; resolves false when it could not start. */
export function openFile(file: string, opener: string = platformOpener()): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(opener, [file], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/**
 * What `web` does after the bridge is up: writes a launcher file for one browser, tells the
 * user where it is (stdout), opens it when asked, and deletes it once used. Returns the cleanup.
 */
export async function offerLauncher(
  launch: { createLaunch(): { url: string; done: Promise<unknown> } },
  options: { open: boolean; say: (line: string) => void; opener?: string },
): Promise<() => Promise<void>> {
  const link = launch.createLaunch();
  const launcher = await writeLauncherFile(link.url);
  void link.done.then(() => launcher.remove());
  if (options.open && (await openFile(launcher.path, options.opener))) {
    options.say(`Opened the UI in your browser through ${launcher.path} (a one-time link).`);
  } else {
    const why = options.open ? `Could not start ${options.opener ?? platformOpener()}. ` : '';
    options.say(
      `${why}Open ${launcher.path} in a browser on this machine (a one-time link), or run with --print-url.`,
    );
  }
  return () => launcher.remove();
}
