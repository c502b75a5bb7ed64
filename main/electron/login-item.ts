/**
 * Start at login, driven by config.startAtLogin. macOS and Windows: app.setLoginItemSettings.
 * Linux (which Electron's API does not cover): an XDG autostart entry
 * `~/.config/autostart/nut-sentinel.desktop` pointing at the AppImage or the executable.
 * Only packaged apps register themselves (a dev build would register the bare Electron binary).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { app } from 'electron';
import type { Logger } from '../platform/ports';
import { APP_NAME, HIDDEN_FLAG } from './constants';

export interface LoginItemEnv {
  platform: NodeJS.Platform;
  isPackaged: boolean;
  execPath: string;
  env: NodeJS.ProcessEnv;
  homedir: string;
  logger: Logger;
}

export type LoginItemOutcome =
  'enabled' | 'disabled' | 'unchanged' | 'skipped-unpackaged' | 'unsupported';

export function defaultLoginItemEnv(logger: Logger): LoginItemEnv {
  return {
    platform: process.platform,
    isPackaged: app.isPackaged,
    execPath: process.execPath,
    env: process.env,
    homedir: os.homedir(),
    logger,
  };
}

/** Quote one argument for a .desktop Exec line (Desktop Entry Specification, "The Exec key"). */
export function desktopExecQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartFile(env: Pick<LoginItemEnv, 'env' | 'homedir'>): string {
  const configHome =
    env.env.XDG_CONFIG_HOME && path.isAbsolute(env.env.XDG_CONFIG_HOME)
      ? env.env.XDG_CONFIG_HOME
      : path.join(env.homedir, '.config');
  return path.join(configHome, 'autostart', 'nut-sentinel.desktop');
}

export function autostartEntry(env: Pick<LoginItemEnv, 'env' | 'execPath'>): string {
  // An AppImage runs from a temporary mount: autostart must point at the .AppImage file itself.
  const executable = env.env.APPIMAGE || env.execPath;
  return [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${APP_NAME}`,
    'Comment=Watch network UPSes (NUT) and shut down safely',
    `Exec=${desktopExecQuote(executable)} ${HIDDEN_FLAG}`,
    'Icon=nut-sentinel',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export async function applyStartAtLogin(
  enabled: boolean,
  env: LoginItemEnv,
): Promise<LoginItemOutcome> {
  if (!env.isPackaged) {
    env.logger.log('info', 'start at login is only registered by the packaged app', { enabled });
    return 'skipped-unpackaged';
  }
  if (env.platform === 'darwin' || env.platform === 'win32') {
    // Windows matches the registered entry by path AND args: ask with the same args.
    const current = (
      env.platform === 'win32'
        ? app.getLoginItemSettings({ args: [HIDDEN_FLAG] })
        : app.getLoginItemSettings()
    ).openAtLogin;
    if (current === enabled) return 'unchanged';
    app.setLoginItemSettings(
      env.platform === 'win32'
        ? { openAtLogin: enabled, args: [HIDDEN_FLAG] }
        : { openAtLogin: enabled },
    );
    env.logger.log('info', 'start at login changed', { enabled });
    return enabled ? 'enabled' : 'disabled';
  }
  if (env.platform !== 'linux' && !env.platform.endsWith('bsd')) return 'unsupported';
  const file = autostartFile(env);
  if (!enabled) {
    let existed = true;
    try {
      await readFile(file);
    } catch {
      existed = false;
    }
    if (!existed) return 'unchanged';
    await rm(file, { force: true });
    env.logger.log('info', 'start at login disabled', { file });
    return 'disabled';
  }
  const entry = autostartEntry(env);
  let current: string | null;
  try {
    current = await readFile(file, 'utf8');
  } catch {
    current = null;
  }
  if (current === entry) return 'unchanged';
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, entry, { mode: 0o644 });
  env.logger.log('info', 'start at login enabled', { file });
  return 'enabled';
}
