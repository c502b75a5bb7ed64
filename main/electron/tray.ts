/**
 * The tray: a pure model of what it shows (`trayModel`, driven only by the snapshot) and a
 * thin adapter (`TrayController`) that applies a model to an Electron Tray, touching the OS
 * only when something changed.
 *
 * Behaviour per platform:
 * - every platform: a left click toggles the dashboard when the tray reports it (Windows,
 *   macOS, and Linux StatusNotifierItem hosts such as KDE Plasma — Electron 45 emits `click`
 *   there; GNOME's AppIndicator extension only opens the menu);
 * - Windows/Linux: the context menu is set on the tray (right click; on Linux it IS the UI);
 * - macOS: the menu is popped up on right click (a set context menu would take the left click).
 *
 * The menu is rebuilt only when its content changes (Linux re-exports the whole menu over
 * D-Bus each time): it names the time of the last data, not its age; the age is in the tooltip.
 */
import { Menu, type MenuItemConstructorOptions, nativeImage, Tray } from 'electron';
import type { Logger } from '../platform/ports';
import {
  type AppSnapshot,
  DRY_RUN_BADGE,
  SHUTDOWN_CANNOT_RUN,
  TRAY_SEVERITY,
  type TrayLevel,
  type UpsSnapshot,
  dryRunApplies,
  shutdownProgramProblem,
  upsTrayLevel,
  worstTrayLevel,
} from '../../shared/snapshot';
import { formatAge, formatDuration } from '../../shared/durations';
import { APP_NAME } from './constants';
import { chargeBucket, iconPlatform, trayIconFile, trayIconName } from './tray-icons';

export type TrayAction = 'open-dashboard' | 'toggle-pause' | 'fsd-test' | 'settings' | 'quit';

export type MenuItemModel =
  /** A status line: shown, never clickable. */
  | { type: 'status'; label: string }
  | { type: 'separator' }
  | { type: 'action'; id: TrayAction; label: string }
  | { type: 'checkbox'; id: TrayAction; label: string; checked: boolean };

export interface TrayModel {
  level: TrayLevel;
  /** Charge (percent) of the UPS that decided the level; null when unknown. */
  charge: number | null;
  iconName: string;
  tooltip: string;
  /** Text next to the icon (macOS menu bar only): the charge while on battery. */
  title: string;
  menu: MenuItemModel[];
}

export interface TrayModelOptions {
  notificationsPaused: boolean;
  /** Reference time for data ages (default: snapshot.at). The shell passes Date.now(). */
  now?: number;
  platform?: NodeJS.Platform;
  /** Attached to the background service (main/control): it monitors, not this app. */
  backgroundService?: boolean;
}

/** What the tray says while the background service does the monitoring. */
export const BACKGROUND_SERVICE_LINE = 'Protected by the background service — works without login';

const LEVEL_TEXT: Record<TrayLevel, string> = {
  online: 'On line',
  'on-battery': 'On battery',
  'low-battery': 'Low battery',
  'shutting-down': 'Shutting down',
  'comm-lost': 'No current data',
  'not-configured': 'No UPS configured',
};

/** Tooltip length limits: Windows truncates at 127 characters; Linux trays show little; macOS is generous. */
export function tooltipLimit(platform: NodeJS.Platform): number {
  return platform === 'darwin' ? 600 : 127;
}

function worstOf(snapshot: AppSnapshot): { level: TrayLevel; charge: number | null } {
  const own = worstTrayLevel(snapshot.ups);
  if (own.level === 'not-configured') return own;
  // The core's own verdict may know more (e.g. a latched FSD); never show better than it.
  const coreLevel = snapshot.tray.level;
  if (coreLevel !== 'not-configured' && TRAY_SEVERITY[coreLevel] > TRAY_SEVERITY[own.level]) {
    return { level: coreLevel, charge: snapshot.tray.charge };
  }
  return own;
}

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function dataAge(ups: UpsSnapshot, now: number): string {
  return ups.statusAt === null ? 'no data yet' : formatAge(Math.max(0, now - ups.statusAt));
}

/** Short display name: the master's label, plus the UPS name when the master has several. */
function upsDisplayName(ups: UpsSnapshot, all: readonly UpsSnapshot[]): string {
  const siblings = all.filter((other) => other.masterId === ups.masterId).length;
  return siblings > 1 ? `${ups.masterLabel} ${ups.upsName}` : ups.masterLabel;
}

function upsFacts(ups: UpsSnapshot, now: number): string[] {
  const facts = [ups.statusText || LEVEL_TEXT[upsTrayLevel(ups)]];
  if (ups.metrics.charge !== null) facts.push(`${Math.round(ups.metrics.charge)}%`);
  if (ups.metrics.runtime !== null) facts.push(formatDuration(ups.metrics.runtime));
  if (ups.batteryReminder)
    facts.push(`replace battery (${ups.batteryReminder.reasons.join(', ')})`);
  if (
    ups.shutdown.phase !== 'none' &&
    ups.shutdown.deadline !== null &&
    ups.shutdown.deadline > now
  ) {
    facts.push(
      `shutdown in ${formatDuration((ups.shutdown.deadline - now) / 1000)}${ups.shutdown.dryRun ? ' (dry run)' : ''}`,
    );
  }
  return facts;
}

function tooltipFor(
  snapshot: AppSnapshot,
  level: TrayLevel,
  paused: boolean,
  now: number,
  limit: number,
  backgroundService: boolean,
): string {
  const state = snapshot.configProblem ? 'configuration not loaded' : LEVEL_TEXT[level];
  const dryRun = snapshot.ups.some(dryRunApplies) ? `\n${DRY_RUN_BADGE}` : '';
  const service = backgroundService ? `\n${BACKGROUND_SERVICE_LINE}` : '';
  const unrunnable = shutdownProgramProblem(snapshot.programProblems)
    ? `\n${SHUTDOWN_CANNOT_RUN}`
    : '';
  const head = `${APP_NAME}: ${state}${paused ? ' (notifications paused)' : ''}${dryRun}${unrunnable}${service}`;
  const lines = snapshot.ups.map(
    (ups) =>
      `${upsDisplayName(ups, snapshot.ups)}: ${upsFacts(ups, now).join(', ')}, ${dataAge(ups, now)}`,
  );
  const out = [head];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const remaining = lines.length - i - 1;
    const more = remaining > 0 ? `\n+${remaining} more` : '';
    const candidate = [...out, line].join('\n');
    if (candidate.length + more.length <= limit) {
      out.push(line);
      continue;
    }
    const rest = lines.length - i;
    const tail = `+${rest} more`;
    if ([...out, tail].join('\n').length <= limit) out.push(tail);
    break;
  }
  const text = out.join('\n');
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** `14:05` in local time: stable for a minute, unlike an age. */
export function clockTime(at: number): string {
  const date = new Date(at);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

function statusLine(ups: UpsSnapshot, all: readonly UpsSnapshot[], now: number): string {
  const facts = upsFacts(ups, now);
  const level = upsTrayLevel(ups);
  if (ups.stale || level === 'comm-lost')
    facts.push(ups.statusAt === null ? 'no data yet' : `last data at ${clockTime(ups.statusAt)}`);
  if (ups.connection === 'login-refused') facts.push('login refused');
  if (ups.connection === 'not-permitted') facts.push('not permitted by the master');
  return `${upsDisplayName(ups, all)} — ${facts.join(' · ')}`;
}

export function trayModel(snapshot: AppSnapshot, options: TrayModelOptions): TrayModel {
  const now = options.now ?? snapshot.at;
  const platform = options.platform ?? process.platform;
  const { level, charge } = worstOf(snapshot);
  const statusLines: MenuItemModel[] = [];
  if (options.backgroundService === true)
    statusLines.push({ type: 'status', label: BACKGROUND_SERVICE_LINE });
  if (snapshot.configProblem)
    statusLines.push({
      type: 'status',
      label: `Configuration not loaded: ${shorten(snapshot.configProblem, 90)}`,
    });
  const shutdownProblem = shutdownProgramProblem(snapshot.programProblems);
  if (shutdownProblem)
    statusLines.push({
      type: 'status',
      label: `${SHUTDOWN_CANNOT_RUN}: ${shorten(shutdownProblem.message, 90)}`,
    });
  if (snapshot.ups.length === 0 && !snapshot.configProblem)
    statusLines.push({ type: 'status', label: 'No UPS configured — open Settings to add one' });
  for (const ups of snapshot.ups)
    statusLines.push({ type: 'status', label: statusLine(ups, snapshot.ups, now) });
  const onBattery = level === 'on-battery' || level === 'low-battery' || level === 'shutting-down';
  return {
    level,
    charge,
    iconName: trayIconName(level, chargeBucket(charge)),
    tooltip: tooltipFor(
      snapshot,
      level,
      options.notificationsPaused,
      now,
      tooltipLimit(platform),
      options.backgroundService === true,
    ),
    title: onBattery && charge !== null ? `${Math.round(charge)}%` : '',
    menu: [
      ...statusLines,
      { type: 'separator' },
      { type: 'action', id: 'open-dashboard', label: 'Open dashboard' },
      {
        type: 'checkbox',
        id: 'toggle-pause',
        label: 'Pause notifications',
        checked: options.notificationsPaused,
      },
      { type: 'separator' },
      { type: 'action', id: 'fsd-test', label: 'FSD test…' },
      { type: 'action', id: 'settings', label: 'Settings…' },
      { type: 'separator' },
      { type: 'action', id: 'quit', label: `Quit ${APP_NAME}` },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Electron adapter

export interface TrayControllerDeps {
  platform: NodeJS.Platform;
  assetsDir: string;
  onAction(action: TrayAction): void;
  /** Left click on the tray icon (wherever the tray reports one). */
  onToggleWindow(): void;
  logger?: Logger;
}

/**
 * A menu label as the user should read it: on Windows and Linux `&` marks a mnemonic (Linux
 * menus are converted from the Windows style), so a literal one is doubled — a master named
 * "Rack A&B" would otherwise show as "Rack AB" with an underlined B.
 */
export function menuLabel(label: string, platform: NodeJS.Platform): string {
  return platform === 'darwin' ? label : label.replaceAll('&', '&&');
}

export function menuTemplate(
  menu: readonly MenuItemModel[],
  onAction: (action: TrayAction) => void,
  platform: NodeJS.Platform = process.platform,
): MenuItemConstructorOptions[] {
  return menu.map((item): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'separator':
        return { type: 'separator' };
      case 'status':
        return { type: 'normal', label: menuLabel(item.label, platform), enabled: false };
      case 'action':
        return {
          id: item.id,
          type: 'normal',
          label: menuLabel(item.label, platform),
          click: () => onAction(item.id),
        };
      case 'checkbox':
        return {
          id: item.id,
          type: 'checkbox',
          label: menuLabel(item.label, platform),
          checked: item.checked,
          click: () => onAction(item.id),
        };
    }
  });
}

export class TrayController {
  private readonly tray: Tray;
  private readonly platform: ReturnType<typeof iconPlatform>;
  private menu: Menu | null = null;
  private applied = { iconName: '', tooltip: '', title: '', menuKey: '' };
  private destroyed = false;

  constructor(
    private readonly deps: TrayControllerDeps,
    initial: TrayModel,
  ) {
    this.platform = iconPlatform(deps.platform);
    this.tray = new Tray(this.image(initial.iconName));
    this.applied.iconName = initial.iconName;
    if (this.platform === 'darwin') {
      // macOS-only methods (Electron defines them on no other platform).
      this.tray.setIgnoreDoubleClickEvents(true);
      this.tray.on('right-click', () => {
        if (this.menu) this.tray.popUpContextMenu(this.menu);
      });
    }
    this.tray.on('click', () => deps.onToggleWindow());
    this.render(initial);
    deps.logger?.log('info', 'tray created', { platform: this.platform, icon: initial.iconName });
  }

  /** Apply a model; only what changed reaches the OS (a changed menu is rebuilt, which Linux requires). */
  render(model: TrayModel): void {
    if (this.destroyed) return;
    if (model.iconName !== this.applied.iconName) {
      this.tray.setImage(this.image(model.iconName));
      this.applied.iconName = model.iconName;
    }
    if (model.tooltip !== this.applied.tooltip) {
      this.tray.setToolTip(model.tooltip);
      this.applied.tooltip = model.tooltip;
    }
    if (this.platform === 'darwin' && model.title !== this.applied.title) {
      this.tray.setTitle(model.title);
      this.applied.title = model.title;
    }
    const menuKey = JSON.stringify(model.menu);
    if (menuKey !== this.applied.menuKey) {
      this.menu = Menu.buildFromTemplate(
        menuTemplate(model.menu, (action) => this.deps.onAction(action), this.deps.platform),
      );
      // macOS: a context menu would take over the left click, so it is popped up on right click instead.
      if (this.platform !== 'darwin') this.tray.setContextMenu(this.menu);
      this.applied.menuKey = menuKey;
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.menu = null;
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  private image(name: string): Electron.NativeImage {
    const file = trayIconFile(this.deps.assetsDir, this.platform, name);
    const image = nativeImage.createFromPath(file);
    if (image.isEmpty())
      this.deps.logger?.log('error', 'tray icon missing or unreadable', { file });
    if (this.platform === 'darwin') image.setTemplateImage(true);
    return image;
  }
}
