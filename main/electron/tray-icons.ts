/**
 * Names and files of the tray icons. Shared by the tray adapter (which picks one) and
 * main/tools/generate-icons.ts (which renders every one from assets/svg/), so the two cannot drift apart.
 * No electron import: the generator runs under plain Node (tsx).
 */
import path from 'node:path';
import type { TrayLevel } from '../../shared/snapshot';

/** Every tray level (all of shared/snapshot.ts's TrayLevel; checked below). */
export const TRAY_LEVELS = [
  'online',
  'comm-lost',
  'on-battery',
  'low-battery',
  'shutting-down',
  'not-configured',
] as const satisfies readonly TrayLevel[];
// Fails to compile when shared/snapshot.ts gains a level this list lacks.
const _allLevelsListed: Exclude<TrayLevel, (typeof TRAY_LEVELS)[number]> extends never
  ? true
  : never = true;
void _allLevelsListed;

/** Levels whose icon shows a battery fill. The others have one icon each (charge unknown or irrelevant). */
export const BATTERY_LEVELS = [
  'online',
  'on-battery',
  'low-battery',
  'shutting-down',
] as const satisfies readonly TrayLevel[];
export type BatteryLevel = (typeof BATTERY_LEVELS)[number];

export const CHARGE_BUCKETS = ['0', '25', '50', '75', '100', 'unknown'] as const;
export type ChargeBucket = (typeof CHARGE_BUCKETS)[number];

/** Charge percent → the nearest bucket (0/25/50/75/100); null or NaN → unknown. */
export function chargeBucket(charge: number | null): ChargeBucket {
  if (charge === null || !Number.isFinite(charge)) return 'unknown';
  const clamped = Math.min(100, Math.max(0, charge));
  return String(Math.round(clamped / 25) * 25) as ChargeBucket;
}

export function isBatteryLevel(level: TrayLevel): level is BatteryLevel {
  return (BATTERY_LEVELS as readonly TrayLevel[]).includes(level);
}

/** `on-battery-50`, `online-unknown`, `comm-lost`, `not-configured`. */
export function trayIconName(level: TrayLevel, bucket: ChargeBucket): string {
  return isBatteryLevel(level) ? `${level}-${bucket}` : level;
}

/** Every icon name the tray can ask for. */
export function allTrayIconNames(): string[] {
  const names: string[] = [];
  for (const level of TRAY_LEVELS) {
    if (isBatteryLevel(level))
      for (const bucket of CHARGE_BUCKETS) names.push(trayIconName(level, bucket));
    else names.push(level);
  }
  return names;
}

export type IconPlatform = 'linux' | 'win32' | 'darwin';

export function iconPlatform(platform: NodeJS.Platform): IconPlatform {
  return platform === 'win32' || platform === 'darwin' ? platform : 'linux';
}

/**
 * The file Electron loads for a tray icon. nativeImage picks up `@2x` next to it by itself:
 * - Linux: `tray/linux/<name>.png` (22 px) + `<name>@2x.png` (44 px), colour;
 * - Windows: `tray/windows/<name>.ico` (16/32/48 px), colour;
 * - macOS: `tray/macos/<name>Template.png` (16 px) + `<name>Template@2x.png` (32 px), black + alpha
 *   (the `Template` suffix makes macOS tint it for light/dark menu bars).
 */
export function trayIconFile(assetsDir: string, platform: IconPlatform, name: string): string {
  switch (platform) {
    case 'win32':
      return path.join(assetsDir, 'tray', 'windows', `${name}.ico`);
    case 'darwin':
      return path.join(assetsDir, 'tray', 'macos', `${name}Template.png`);
    case 'linux':
      return path.join(assetsDir, 'tray', 'linux', `${name}.png`);
  }
}

/** Every file (including @2x variants) that must exist in assets/ for one platform. */
export function trayIconFiles(assetsDir: string, platform: IconPlatform): string[] {
  return allTrayIconNames().flatMap((name) => {
    const file = trayIconFile(assetsDir, platform, name);
    return platform === 'win32' ? [file] : [file, file.replace(/\.png$/, '@2x.png')];
  });
}
