import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { electronMock, type MockMenu, resetElectronMock } from '../testing/electron-mock';
import { NOW, recordingLogger, snapshot, ups } from './testing/fixtures';
import { upsTrayLevel } from '../../shared/snapshot';
import {
  clockTime,
  type MenuItemModel,
  menuLabel,
  menuTemplate,
  type TrayAction,
  TrayController,
  trayModel,
} from './tray';
import { chargeBucket } from './tray-icons';

const paused = { notificationsPaused: false, platform: 'linux' as const };

function labels(menu: MenuItemModel[]): string[] {
  return menu.map((item) => (item.type === 'separator' ? '---' : item.label));
}

describe('trayModel: icon per level', () => {
  it.each([
    ['online', ups({ level: 'online', metrics: { charge: 100 } }), 'online-100'],
    [
      'on battery',
      ups({ level: 'on-battery', status: 'OB', statusText: 'On battery', metrics: { charge: 52 } }),
      'on-battery-50',
    ],
    [
      'low battery',
      ups({ level: 'low-battery', status: 'OB LB', metrics: { charge: 9 } }),
      'low-battery-0',
    ],
    [
      'critical (deadtime) counts as low battery',
      ups({
        level: 'on-battery',
        critical: true,
        criticalReason: 'DEADTIME',
        metrics: { charge: 40 },
      }),
      'low-battery-50',
    ],
    [
      'FSD / shutting down',
      ups({ level: 'shutting-down', status: 'FSD OB LB', metrics: { charge: 24 } }),
      'shutting-down-25',
    ],
    [
      'shutdown sequence running',
      ups({
        level: 'on-battery',
        shutdown: { phase: 'final-delay', deadline: NOW + 5000 },
        metrics: { charge: 70 },
      }),
      'shutting-down-75',
    ],
    [
      'comm lost',
      ups({ level: 'comm-lost', connection: 'lost', metrics: { charge: 80 } }),
      'comm-lost',
    ],
    [
      'unknown level (first connect)',
      ups({
        level: 'unknown',
        connection: 'connecting',
        status: null,
        statusAt: null,
        metrics: { charge: null },
      }),
      'comm-lost',
    ],
    [
      'stale readings of an on-line UPS',
      ups({ level: 'online', stale: true, statusAt: NOW - 120_000 }),
      'comm-lost',
    ],
    ['login refused', ups({ level: 'comm-lost', connection: 'login-refused' }), 'comm-lost'],
    [
      'charge unknown',
      ups({ level: 'on-battery', metrics: { charge: null } }),
      'on-battery-unknown',
    ],
  ])('%s', (_name, u, icon) => {
    expect(trayModel(snapshot([u]), paused).iconName).toBe(icon);
  });

  it('not configured when there is no UPS, whatever the core says', () => {
    const model = trayModel(
      snapshot([], { tray: { level: 'online', charge: 50, tooltip: '' } }),
      paused,
    );
    expect(model.iconName).toBe('not-configured');
    expect(model.level).toBe('not-configured');
    expect(labels(model.menu)[0]).toMatch(/No UPS configured/);
    expect(model.tooltip).toMatch(/No UPS configured/);
  });

  it('a config file that could not be loaded is the first thing the tray says', () => {
    const model = trayModel(
      snapshot([], { configProblem: 'config.json line 3: Unexpected token }' }),
      paused,
    );
    expect(model.iconName).toBe('not-configured');
    expect(labels(model.menu)[0]).toBe(
      'Configuration not loaded: config.json line 3: Unexpected token }',
    );
    expect(labels(model.menu)).not.toContain('No UPS configured — open Settings to add one');
    expect(model.tooltip).toBe('NUT Sentinel: configuration not loaded');
  });

  it('a shutdown command that cannot run here is said in the menu and the tooltip', () => {
    const model = trayModel(
      snapshot([ups({ level: 'online' })], {
        programProblems: [
          {
            path: 'shutdown.command.file',
            message:
              '/usr/sbin/no-shutdown does not exist on this machine: this machine would not shut down',
            severity: 'error',
          },
          { path: 'hooks.eventHooks[0].command.file', message: 'x', severity: 'warning' },
        ],
      }),
      paused,
    );
    expect(labels(model.menu)[0]).toBe(
      'The shutdown command cannot run on this machine: /usr/sbin/no-shutdown does not exist on this machine: this machine would not shut down',
    );
    expect(model.tooltip.split('\n')[1]).toBe('The shutdown command cannot run on this machine');
    // A hook alone is not the tray's business (the window says it).
    const hookOnly = trayModel(
      snapshot([ups({ level: 'online' })], {
        programProblems: [{ path: 'hooks.notifyCommand.file', message: 'x', severity: 'warning' }],
      }),
      paused,
    );
    expect(labels(hookOnly.menu).join('\n')).not.toContain('cannot run');
    expect(hookOnly.tooltip).not.toContain('cannot run');
  });

  it('stale data of a UPS on battery keeps the more severe on-battery level', () => {
    expect(upsTrayLevel(ups({ level: 'on-battery', stale: true }))).toBe('on-battery');
  });

  it('buckets charge to the nearest 25 %', () => {
    expect([0, 12, 13, 37, 38, 62, 63, 87, 88, 100, 140, -5].map(chargeBucket)).toEqual([
      '0',
      '0',
      '25',
      '25',
      '50',
      '50',
      '75',
      '75',
      '100',
      '100',
      '100',
      '0',
    ]);
    expect(chargeBucket(null)).toBe('unknown');
    expect(chargeBucket(Number.NaN)).toBe('unknown');
  });
});

describe('trayModel: worst of several UPSes', () => {
  const online = ups({
    masterId: 'nas',
    masterLabel: 'NAS',
    level: 'online',
    metrics: { charge: 100 },
  });
  const onBattery = ups({
    masterId: 'pve',
    masterLabel: 'Proxmox',
    level: 'on-battery',
    statusText: 'On battery',
    metrics: { charge: 60 },
  });
  const lost = ups({
    masterId: 'lab',
    masterLabel: 'Lab',
    level: 'comm-lost',
    connection: 'lost',
    metrics: { charge: 10 },
  });
  const low = ups({
    masterId: 'rack',
    masterLabel: 'Rack',
    level: 'low-battery',
    metrics: { charge: 30 },
  });

  it('on battery beats comm lost beats online; the battery shown is the deciding UPS’s', () => {
    expect(trayModel(snapshot([online, lost]), paused).iconName).toBe('comm-lost');
    expect(trayModel(snapshot([online, lost, onBattery]), paused).iconName).toBe('on-battery-50');
    expect(trayModel(snapshot([onBattery, low, lost, online]), paused).iconName).toBe(
      'low-battery-25',
    );
  });

  it('ties at the worst level show the lowest charge', () => {
    const other = ups({
      masterId: 'x',
      masterLabel: 'X',
      level: 'on-battery',
      metrics: { charge: 20 },
    });
    const model = trayModel(snapshot([onBattery, other]), paused);
    expect(model.iconName).toBe('on-battery-25');
    expect(model.charge).toBe(20);
  });

  it('never shows better than the core’s own verdict', () => {
    const model = trayModel(
      snapshot([online], { tray: { level: 'shutting-down', charge: 40, tooltip: '' } }),
      paused,
    );
    expect(model.iconName).toBe('shutting-down-50');
  });

  it('lists one status line per UPS, as disabled items, then the actions', () => {
    const model = trayModel(snapshot([online, onBattery, lost]), paused);
    expect(model.menu.filter((m) => m.type === 'status')).toHaveLength(3);
    expect(labels(model.menu)).toEqual([
      expect.stringMatching(/^NAS — On line · 100% · 30 min$/),
      expect.stringMatching(/^Proxmox — On battery · 60% · 30 min$/),
      `Lab — On line · 10% · 30 min · last data at ${clockTime(lost.statusAt!)}`,
      '---',
      'Open dashboard',
      'Pause notifications',
      '---',
      'FSD test…',
      'Settings…',
      '---',
      'Quit NUT Sentinel',
    ]);
    const actions = model.menu.flatMap((m) =>
      m.type === 'action' || m.type === 'checkbox' ? [m.id] : [],
    );
    expect(actions).toEqual(['open-dashboard', 'toggle-pause', 'fsd-test', 'settings', 'quit']);
  });
});

describe('trayModel: tooltip and paused', () => {
  it('gives status, charge, runtime and data age per UPS', () => {
    const u = ups({
      level: 'on-battery',
      statusText: 'On battery',
      metrics: { charge: 54, runtime: 720 },
      statusAt: NOW - 3000,
    });
    const model = trayModel(snapshot([u]), {
      notificationsPaused: false,
      now: NOW,
      platform: 'linux',
    });
    expect(model.tooltip).toBe(
      'NUT Sentinel: On battery\nSynology: On battery, 54%, 12 min, 3 s ago',
    );
  });

  it('says when the battery needs replacing, and why', () => {
    const u = ups({
      statusText: 'On line',
      metrics: { charge: 100, runtime: null },
      statusAt: NOW,
      batteryReminder: { text: 'Replace the battery: …', reasons: ['age', 'capacity'] },
    });
    expect(
      trayModel(snapshot([u]), { notificationsPaused: false, now: NOW, platform: 'linux' }).tooltip,
    ).toBe(
      'NUT Sentinel: On line\nSynology: On line, 100%, replace battery (age, capacity), just now',
    );
  });

  it('ages data relative to `now`, so a silent core still shows growing ages', () => {
    const u = ups({ statusAt: NOW });
    expect(
      trayModel(snapshot([u]), {
        notificationsPaused: false,
        now: NOW + 5 * 60_000,
        platform: 'linux',
      }).tooltip,
    ).toMatch(/5 min ago$/);
  });

  it('stays within Windows’ 127 characters, saying how many UPSes were left out', () => {
    const many = Array.from({ length: 8 }, (_, i) =>
      ups({
        masterId: `m${i}`,
        masterLabel: `Master number ${i}`,
        statusText: 'On line, charging',
      }),
    );
    const model = trayModel(snapshot(many), { notificationsPaused: true, platform: 'win32' });
    expect(model.tooltip.length).toBeLessThanOrEqual(127);
    expect(model.tooltip).toMatch(/\+\d+ more$/);
    expect(model.tooltip.split('\n')[0]).toBe('NUT Sentinel: On line (notifications paused)');
    const mac = trayModel(snapshot(many), { notificationsPaused: true, platform: 'darwin' });
    expect(mac.tooltip.split('\n')).toHaveLength(9);
  });

  it('names the UPS as well when a master has several', () => {
    const a = ups({ masterId: 'pve', masterLabel: 'Proxmox', upsName: 'rack1' });
    const b = ups({ masterId: 'pve', masterLabel: 'Proxmox', upsName: 'rack2' });
    expect(trayModel(snapshot([a, b]), paused).tooltip).toMatch(
      /Proxmox rack1: .*\nProxmox rack2: /,
    );
  });

  it('pause shows as a checked checkbox and in the tooltip, and does not change the icon', () => {
    const s = snapshot([ups()]);
    const on = trayModel(s, { notificationsPaused: true, platform: 'linux' });
    const off = trayModel(s, { notificationsPaused: false, platform: 'linux' });
    expect(on.menu.find((m) => m.type === 'checkbox')).toMatchObject({
      id: 'toggle-pause',
      checked: true,
    });
    expect(off.menu.find((m) => m.type === 'checkbox')).toMatchObject({
      id: 'toggle-pause',
      checked: false,
    });
    expect(on.tooltip).toContain('notifications paused');
    expect(off.tooltip).not.toContain('paused');
    expect(on.iconName).toBe(off.iconName);
  });

  it('shows the shutdown countdown', () => {
    const u = ups({
      level: 'shutting-down',
      shutdown: { phase: 'final-delay', deadline: NOW + 5000, dryRun: true },
    });
    expect(labels(trayModel(snapshot([u]), paused).menu)[0]).toContain('shutdown in 5 s (dry run)');
  });

  it('dry run: the tooltip says this machine will not shut down; a rehearsal or its logout is neither "Shutting down" nor lost data', () => {
    const rehearsed = ups({
      level: 'online',
      role: 'secondary',
      connection: 'logged-out',
      shutdown: {
        phase: 'rehearsed',
        deadline: null,
        dryRun: true,
        rehearsedAt: NOW - 1000,
        commandOk: null,
      },
    });
    const model = trayModel(snapshot([rehearsed]), paused);
    expect(model.tooltip.split('\n')[1]).toBe('Dry run — this machine will not shut down');
    expect(model.level).toBe('online');
    const monitorOnly = ups({
      role: 'monitor-only',
      shutdown: { phase: 'none', deadline: null, dryRun: true, rehearsedAt: null, commandOk: null },
    });
    expect(trayModel(snapshot([monitorOnly]), paused).tooltip).not.toContain('Dry run');
    const real = ups({
      level: 'shutting-down',
      shutdown: {
        phase: 'final-delay',
        deadline: NOW + 5000,
        dryRun: false,
        rehearsedAt: null,
        commandOk: null,
      },
    });
    expect(trayModel(snapshot([real]), paused).level).toBe('shutting-down');
  });

  it('title (macOS menu bar text) is the charge only while on battery', () => {
    expect(
      trayModel(snapshot([ups({ level: 'on-battery', metrics: { charge: 61.4 } })]), paused).title,
    ).toBe('61%');
    expect(trayModel(snapshot([ups({ level: 'online' })]), paused).title).toBe('');
  });
});

describe('TrayController (Electron adapter)', () => {
  beforeEach(() => resetElectronMock());

  // The real generated icons (npm run icons): the mock, like Electron, gives an empty image for a missing file.
  const assetsDir = path.join(fileURLToPath(new URL('../../assets', import.meta.url)));

  function make(
    platform: NodeJS.Platform,
    initial = trayModel(snapshot([ups()]), { ...paused, platform }),
  ) {
    electronMock.setPlatform(platform);
    const actions: TrayAction[] = [];
    const toggles = vi.fn();
    const logger = recordingLogger();
    const controller = new TrayController(
      { platform, assetsDir, onAction: (a) => actions.push(a), onToggleWindow: toggles, logger },
      initial,
    );
    const tray = electronMock.trays[0]!;
    return { controller, tray, actions, toggles, logger };
  }

  it('a missing icon file is an empty image, and says so in the log', () => {
    electronMock.setPlatform('linux');
    const logger = recordingLogger();
    new TrayController(
      {
        platform: 'linux',
        assetsDir: '/nonexistent/assets',
        onAction: () => undefined,
        onToggleWindow: () => undefined,
        logger,
      },
      trayModel(snapshot([ups()]), paused),
    );
    expect(electronMock.trays[0]!.image.isEmpty()).toBe(true);
    expect(logger.text()).toContain('tray icon missing or unreadable');
  });

  it('logs its creation (the packaged-app check in CI reads it) and loads real, non-empty icons', () => {
    const { tray, logger } = make('linux');
    expect(tray.image.isEmpty()).toBe(false);
    expect(logger.lines).toContainEqual(expect.objectContaining({ message: 'tray created' }));
  });

  it.each([
    ['linux', path.join(assetsDir, 'tray', 'linux', 'online-100.png')],
    ['win32', path.join(assetsDir, 'tray', 'windows', 'online-100.ico')],
    ['darwin', path.join(assetsDir, 'tray', 'macos', 'online-100Template.png')],
  ] as const)('loads the %s icon file (and marks macOS ones as templates)', (platform, file) => {
    const { tray } = make(platform);
    expect(tray.image.path).toBe(file);
    expect(tray.image.isEmpty()).toBe(false);
    expect(tray.image.isTemplateImage()).toBe(platform === 'darwin');
  });

  it('touches the OS only when something changed', () => {
    const { controller, tray } = make('linux');
    const setImage = electronMock.callsOf('Tray', 'setImage').length;
    const setMenu = electronMock.callsOf('Tray', 'setContextMenu').length;
    const setTip = electronMock.callsOf('Tray', 'setToolTip').length;
    controller.render(trayModel(snapshot([ups()]), paused));
    expect(electronMock.callsOf('Tray', 'setImage')).toHaveLength(setImage);
    expect(electronMock.callsOf('Tray', 'setContextMenu')).toHaveLength(setMenu);
    expect(electronMock.callsOf('Tray', 'setToolTip')).toHaveLength(setTip);

    controller.render(
      trayModel(
        snapshot([ups({ level: 'on-battery', statusText: 'On battery', metrics: { charge: 30 } })]),
        paused,
      ),
    );
    expect(tray.image.path).toMatch(/on-battery-25\.png$/);
    expect(tray.toolTip).toMatch(/On battery/);
    expect(electronMock.callsOf('Tray', 'setContextMenu')).toHaveLength(setMenu + 1);
  });

  it('menu items call back with their action; status lines are disabled', () => {
    const { tray, actions } = make('linux');
    const menu = tray.contextMenu!;
    expect(menu.items[0]).toMatchObject({ enabled: false });
    menu.click('settings');
    menu.click('toggle-pause');
    menu.click('quit');
    expect(actions).toEqual(['settings', 'toggle-pause', 'quit']);
  });

  it('Linux: the context menu stays (it is the UI under AppIndicator); a click (KDE StatusNotifierItem) toggles the window', () => {
    const { tray, toggles } = make('linux');
    expect(tray.contextMenu).not.toBeNull();
    tray.emit('click');
    expect(toggles).toHaveBeenCalledTimes(1);
    // No macOS-only call on Linux (Electron has no such methods there).
    expect(electronMock.callsOf('Tray', 'setTitle')).toHaveLength(0);
    expect(electronMock.callsOf('Tray', 'setIgnoreDoubleClickEvents')).toHaveLength(0);
  });

  it('the Linux menu is not rebuilt every refresh just because data aged; the tooltip shows the age', () => {
    const stale = ups({ level: 'comm-lost', connection: 'lost', statusAt: NOW - 20_000 });
    const { controller, tray } = make(
      'linux',
      trayModel(snapshot([stale]), { ...paused, now: NOW }),
    );
    const menus = electronMock.callsOf('Tray', 'setContextMenu').length;
    const tooltip = tray.toolTip;
    for (let i = 1; i <= 5; i++)
      controller.render(trayModel(snapshot([stale]), { ...paused, now: NOW + i * 10_000 }));
    expect(electronMock.callsOf('Tray', 'setContextMenu')).toHaveLength(menus);
    expect(tray.toolTip).not.toBe(tooltip);
    expect(tray.toolTip).toMatch(/1 min ago/);
  });

  it('Windows: left click toggles the window, right click has the context menu', () => {
    const { tray, toggles } = make('win32');
    tray.emit('click');
    expect(toggles).toHaveBeenCalledTimes(1);
    expect(tray.contextMenu).not.toBeNull();
  });

  it('escapes & in labels on Windows and Linux (a mnemonic there), not on macOS', () => {
    expect(menuLabel('Rack A&B — On line', 'win32')).toBe('Rack A&&B — On line');
    expect(menuLabel('Rack A&B', 'linux')).toBe('Rack A&&B');
    expect(menuLabel('Rack A&B', 'darwin')).toBe('Rack A&B');
    const model = trayModel(snapshot([ups({ masterLabel: 'Lab & Rack' })]), {
      ...paused,
      platform: 'win32',
    });
    const template = menuTemplate(model.menu, () => undefined, 'win32');
    expect(template[0]!.label).toMatch(/^Lab && Rack — /);
  });

  it('macOS: left click toggles, right click pops the menu up (no context menu to steal the left click)', () => {
    const { tray, toggles } = make('darwin');
    expect(tray.contextMenu).toBeNull();
    tray.emit('click');
    expect(toggles).toHaveBeenCalledTimes(1);
    tray.emit('right-click');
    const popped = electronMock.callsOf('Tray', 'popUpContextMenu');
    expect(popped).toHaveLength(1);
    expect((popped[0]!.args[0] as MockMenu).items.some((i) => i.id === 'quit')).toBe(true);
    expect(tray.title).toBe('');
  });

  it('destroy() destroys the tray once and ignores later renders', () => {
    const { controller, tray } = make('linux');
    controller.destroy();
    controller.destroy();
    expect(electronMock.callsOf('Tray', 'destroy')).toHaveLength(1);
    const before = electronMock.calls.length;
    controller.render(trayModel(snapshot([ups({ level: 'low-battery' })]), paused));
    expect(electronMock.calls.length).toBe(before);
    expect(tray.isDestroyed()).toBe(true);
  });
});
