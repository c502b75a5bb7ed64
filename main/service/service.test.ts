/**
 * Service units for all three platforms (what `service install --dry-run` prints), systemd's own
 * verifier on the unit, and install/uninstall into a scratch root (systemctl --root enables the
 * unit without a running systemd; uninstall removes exactly what install added).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../cli/testing';
import {
  installService,
  planService,
  serviceStatus,
  STARTER_CONFIG,
  uninstallService,
} from './install';
import { PACKAGED_SYSTEMD_UNIT, launchdPlist, systemdUnit, winswXml } from './units';

const run = promisify(execFile);
const agent = { program: '/usr/bin/nut-sentinel', prefix: [] };

describe('service units', () => {
  it('systemd: restart always, after the network is online, root with sandboxing that keeps shutdown working', () => {
    const unit = systemdUnit(agent);
    expect(unit).toContain(
      'ExecStart=/usr/bin/nut-sentinel agent --config /etc/nut-sentinel/config.json --data-dir /var/lib/nut-sentinel --no-notify --control-socket\n',
    );
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^After=network-online\.target$/m);
    expect(unit).toMatch(/^Wants=network-online\.target$/m);
    expect(unit).toMatch(/^EnvironmentFile=-\/etc\/nut-sentinel\/agent\.env$/m);
    expect(unit).toMatch(/^RestrictAddressFamilies=.*AF_UNIX/m); // D-Bus to logind: the shutdown itself
    expect(unit).not.toMatch(
      /^(User|MemoryDenyWriteExecute|SystemCallFilter|CapabilityBoundingSet)=/m,
    );
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    // The control socket's folder (the agent hands it to the nut-sentinel group).
    expect(unit).toMatch(/^RuntimeDirectory=nut-sentinel$/m);
    expect(unit).toMatch(/^RuntimeDirectoryMode=0750$/m);
    expect(systemdUnit({ program: '/opt/my agent/nut-sentinel', prefix: [] })).toContain(
      'ExecStart="/opt/my agent/nut-sentinel" agent',
    );
  });

  it('systemd-analyze verify accepts the unit', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nut-unit-'));
    try {
      const file = path.join(dir, 'nut-sentinel.service');
      await writeFile(file, systemdUnit({ program: process.execPath, prefix: ['/dev/null'] }));
      const { stderr } = await run('systemd-analyze', ['verify', file], {
        env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' },
      });
      expect(stderr.split('\n').filter((l) => l.includes('nut-sentinel.service'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('launchd: a root daemon kept alive, started at load, logging to a file', () => {
    const plist = launchdPlist({ program: '/usr/local/bin/nut-sentinel', prefix: [] });
    expect(plist).toContain('<string>org.nut-sentinel.agent</string>');
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<true\/>/);
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
    expect(plist).toMatch(/<key>UserName<\/key>\s*<string>root<\/string>/);
    expect(plist).toMatch(
      /<key>StandardOutPath<\/key>\s*<string>\/Library\/Logs\/NUT Sentinel\/agent\.log<\/string>/,
    );
    expect(plist).toContain(
      '<string>/Library/Application Support/NUT Sentinel/config.json</string>',
    );
  });

  it('Windows: a LocalSystem service with delayed auto start, restart on failure and rolling logs', () => {
    const service = winswXml({
      program: 'C:\\Program Files\\NUT Sentinel\\nut-sentinel.exe',
      prefix: [],
    });
    expect(service).toContain(
      '<executable>C:\\Program Files\\NUT Sentinel\\nut-sentinel.exe</executable>',
    );
    expect(service).toContain(
      '<arguments>agent --config "C:\\ProgramData\\NUT Sentinel\\config.json" --data-dir "C:\\ProgramData\\NUT Sentinel" --no-notify --control-socket</arguments>',
    );
    expect(service).toContain('<username>LocalSystem</username>');
    expect(service).toContain('<onfailure action="restart" delay="5 sec"/>');
    expect(service).toContain('<delayedAutoStart>true</delayedAutoStart>');
    expect(service).toContain('<logpath>C:\\ProgramData\\NUT Sentinel\\logs</logpath>');
  });

  it('service install --dry-run prints all three platforms and changes nothing', async () => {
    const result = await runCliCaptured(['service', 'install', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(
      '## /etc/systemd/system/nut-sentinel.service (systemd unit, mode 644)',
    );
    expect(result.stdout).toContain(
      '## /Library/LaunchDaemons/org.nut-sentinel.agent.plist (launchd daemon, mode 644)',
    );
    expect(result.stdout).toContain(
      '## C:\\ProgramData\\NUT Sentinel\\nut-sentinel-service.xml (WinSW service definition, mode 644)',
    );
    expect(result.stdout).toContain('systemctl enable --now nut-sentinel.service');
    // The control socket's group comes before the service that uses it.
    expect(result.stdout).toMatch(/groupadd --system -f nut-sentinel\nsystemctl daemon-reload/);
    expect(result.stdout).toContain(
      'launchctl bootstrap system /Library/LaunchDaemons/org.nut-sentinel.agent.plist',
    );
    expect(result.stdout).toContain(
      'C:\\ProgramData\\NUT Sentinel\\nut-sentinel-service.exe install',
    );
    const one = await runCliCaptured(['service', 'install', '--dry-run', '--platform', 'darwin']);
    expect(one.stdout).not.toContain('systemd');
  });
});

/** Every path under a folder with its kind and content, to show a dry run changed nothing. */
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries.map(async (entry) => {
      const full = path.join(entry.parentPath, entry.name);
      const kind = entry.isSymbolicLink() ? 'link' : entry.isDirectory() ? 'dir' : 'file';
      const content = kind === 'file' ? await readFile(full, 'utf8') : '';
      return `${kind} ${path.relative(dir, full)} ${content}`;
    }),
  ).then((lines) => lines.sort());
}

describe('service install/uninstall into a scratch root (Linux)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'nut-service-root-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const plan = () => planService('linux', agent);
  const say = () => undefined;

  it('installs the unit enabled for multi-user.target, private folders and a starter config; uninstall removes exactly that', async () => {
    await installService(plan(), { root, say });
    const unit = path.join(root, 'etc/systemd/system/nut-sentinel.service');
    expect(await readFile(unit, 'utf8')).toBe(systemdUnit(agent));
    expect((await stat(unit)).mode & 0o777).toBe(0o644);
    const wants = path.join(
      root,
      'etc/systemd/system/multi-user.target.wants/nut-sentinel.service',
    );
    expect((await lstat(wants)).isSymbolicLink()).toBe(true);
    expect(await readlink(wants)).toBe('/etc/systemd/system/nut-sentinel.service');
    expect((await stat(path.join(root, 'etc/nut-sentinel/passwords'))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(root, 'var/lib/nut-sentinel'))).mode & 0o777).toBe(0o700);
    expect(await readFile(path.join(root, 'etc/nut-sentinel/config.json'), 'utf8')).toBe(
      STARTER_CONFIG,
    );
    expect((await stat(path.join(root, 'etc/nut-sentinel/config.json'))).mode & 0o777).toBe(0o640);

    const status = await serviceStatus(plan(), root);
    expect(status).toMatchObject({
      installed: true,
      running: false,
      configPath: '/etc/nut-sentinel/config.json',
    });

    const result = await uninstallService(plan(), { root, say });
    expect(result.kept).toEqual([]);
    expect(existsSync(unit)).toBe(false);
    expect(existsSync(wants)).toBe(false);
    expect(existsSync(path.join(root, 'etc/nut-sentinel'))).toBe(false);
    expect(existsSync(path.join(root, 'var/lib/nut-sentinel'))).toBe(false);
    expect((await serviceStatus(plan(), root)).installed).toBe(false);
  });

  it("status sees the Debian package's unit too, and says where it looked when there is none", async () => {
    const none = await serviceStatus(plan(), root);
    expect(none).toMatchObject({ installed: false, unit: null });
    expect(none.detail).toBe(
      'no /etc/systemd/system/nut-sentinel.service nor /lib/systemd/system/nut-sentinel.service',
    );
    await mkdir(path.join(root, 'lib/systemd/system'), { recursive: true });
    await writeFile(
      path.join(root, PACKAGED_SYSTEMD_UNIT),
      systemdUnit({ program: '/usr/bin/nut-sentinel', prefix: [] }),
    );
    expect(await serviceStatus(plan(), root)).toMatchObject({
      installed: true,
      running: false,
      unit: PACKAGED_SYSTEMD_UNIT,
      configPath: '/etc/nut-sentinel/config.json',
    });
    // Installing over the package would shadow its unit: refused, nothing written.
    await expect(installService(plan(), { root, say })).rejects.toThrow(
      /the nut-sentinel-agent package already installed the service, so nothing was changed/,
    );
    expect(existsSync(path.join(root, 'etc/systemd/system/nut-sentinel.service'))).toBe(false);
  });

  it('keeps what the admin changed or added, and what was there before', async () => {
    await import('node:fs/promises').then((fs) =>
      fs.mkdir(path.join(root, 'etc/nut-sentinel'), { recursive: true }),
    );
    await writeFile(path.join(root, 'etc/nut-sentinel/existing.txt'), 'mine\n');
    await installService(plan(), { root, say });
    await writeFile(path.join(root, 'etc/nut-sentinel/config.json'), '{ "masters": [] }\n');
    await writeFile(path.join(root, 'etc/nut-sentinel/passwords/nas-ups.password'), 'pw\n', {
      mode: 0o600,
    });
    const result = await uninstallService(plan(), { root, say });
    expect(result.kept).toEqual(['/etc/nut-sentinel/config.json', '/etc/nut-sentinel/passwords']);
    expect(await readFile(path.join(root, 'etc/nut-sentinel/existing.txt'), 'utf8')).toBe('mine\n');
    expect(existsSync(path.join(root, 'etc/systemd/system/nut-sentinel.service'))).toBe(false);
  });

  it('the CLI: install --root, status (exit 3: not running), uninstall; uninstall without install refuses', async () => {
    const installed = await runCliCaptured([
      'service',
      'install',
      '--root',
      root,
      '--exec',
      '/usr/bin/nut-sentinel',
    ]);
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain('wrote /etc/systemd/system/nut-sentinel.service');
    const status = await runCliCaptured(['service', 'status', '--root', root, '--json']);
    expect(status.code).toBe(3);
    expect(JSON.parse(status.stdout)).toMatchObject({
      installed: true,
      running: false,
      configPath: '/etc/nut-sentinel/config.json',
    });
    // --dry-run lists what uninstall would do and changes nothing.
    const before = await listTree(root);
    const preview = await runCliCaptured(['service', 'uninstall', '--root', root, '--dry-run']);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('would run systemctl --root');
    expect(preview.stdout).toContain('would remove /etc/systemd/system/nut-sentinel.service\n');
    expect(preview.stdout).toContain('would remove /etc/nut-sentinel\n');
    expect(preview.stdout).toMatch(/Dry run: \d+ would be removed; nothing was changed\.\n$/);
    expect(await listTree(root)).toEqual(before);
    await writeFile(path.join(root, 'etc/nut-sentinel/config.json'), '{ "masters": [] }\n');
    const changed = await runCliCaptured(['service', 'uninstall', '--root', root, '--dry-run']);
    expect(changed.stdout).toContain(
      'would keep /etc/nut-sentinel/config.json: changed since install',
    );
    expect(changed.stdout).toContain('would keep /etc/nut-sentinel: not empty');
    expect(changed.stdout).toContain(
      'would be removed, would keep /etc/nut-sentinel/config.json, /etc/nut-sentinel; nothing was changed.',
    );

    const removed = await runCliCaptured(['service', 'uninstall', '--root', root]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('kept /etc/nut-sentinel/config.json: changed since install');
    const again = await runCliCaptured(['service', 'uninstall', '--root', root]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/service-install\.json is missing/);
  });
});
