/**
 * The Debian package `npm run dist:agent` built: its metadata, lintian (no errors), systemd's
 * verifier on the shipped unit, and an install into a scratch root (`dpkg --root`, maintainer
 * scripts run chrootless with DPKG_ROOT, as in an image build without a running systemd) with
 * the stated permissions, the service enabled offline, and a purge that leaves nothing behind.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { version } from '../../package.json';
import { ROOT } from './agent-build';
import { DEB_PACKAGE, debFileName } from './deb';
import { hostTarget } from './targets';

const run = promisify(execFile);

describe('Debian package (dist/agent)', () => {
  const deb = path.join(ROOT, 'dist/agent', debFileName(version, hostTarget()!));
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'nut-deb-root-'));
    for (const dir of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers'])
      await mkdir(path.join(root, dir), { recursive: true });
    await writeFile(path.join(root, 'var/lib/dpkg/status'), '');
    await writeFile(path.join(root, 'var/lib/dpkg/available'), '');
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });
  const dpkg = (args: string[]) =>
    run('dpkg', [`--root=${root}`, '--force-script-chrootless', '--log=/dev/null', ...args], {
      maxBuffer: 8 * 1024 * 1024,
    });

  it('is named and described as stated, with the config as a conffile', async () => {
    expect(existsSync(deb)).toBe(true);
    const { stdout } = await run('dpkg-deb', [
      '-f',
      deb,
      'Package',
      'Version',
      'Architecture',
      'Depends',
    ]);
    expect(stdout).toBe(
      `Package: ${DEB_PACKAGE}\nVersion: ${version}\nArchitecture: amd64\nDepends: libc6 (>= 2.28), libgcc-s1, libstdc++6 (>= 8)\n`,
    );
    const conffiles = await run('dpkg-deb', ['--ctrl-tarfile', deb]).then(() =>
      run('sh', ['-c', `dpkg-deb --ctrl-tarfile '${deb}' | tar -xO ./conffiles`]),
    );
    expect(conffiles.stdout).toBe('/etc/nut-sentinel/config.json\n');
  });

  it('lintian reports no errors and no unexplained warnings', async () => {
    const result = await run('lintian', ['--tag-display-limit', '0', deb], {
      maxBuffer: 8 * 1024 * 1024,
    }).catch((error: { stdout: string; stderr: string }) => error);
    const tags = result.stdout.split('\n').filter((l) => /^[EW]: /.test(l));
    expect(tags.filter((l) => l.startsWith('E: '))).toEqual([]);
    // What remains: the systemctl calls in the maintainer scripts (guarded, see deb.ts) and no man page.
    expect(
      tags
        .map((l) => l.replace(/ \[.*$/, ''))
        .filter((l) => !/maintainer-script-calls-systemctl|no-manual-page/.test(l)),
    ).toEqual([]);
  }, 180_000);

  it('installs into a scratch root with the stated permissions and enables the service offline; purge removes it all', async () => {
    // The scratch root has no libc6 package; the runtime's libraries are the host's.
    await dpkg(['--force-depends', '-i', deb]);
    const mode = async (file: string) => (await stat(path.join(root, file))).mode & 0o7777;
    const owner = async (file: string) => {
      const info = await stat(path.join(root, file));
      return `${info.uid}:${info.gid}`;
    };
    expect(await mode('usr/bin/nut-sentinel')).toBe(0o755);
    expect(await mode('lib/systemd/system/nut-sentinel.service')).toBe(0o644);
    expect(await mode('etc/nut-sentinel/config.json')).toBe(0o640);
    expect(await mode('etc/nut-sentinel/passwords')).toBe(0o700);
    for (const file of [
      'usr/bin/nut-sentinel',
      'etc/nut-sentinel/config.json',
      'etc/nut-sentinel/passwords',
    ])
      expect(await owner(file)).toBe('0:0');
    const wants = path.join(
      root,
      'etc/systemd/system/multi-user.target.wants/nut-sentinel.service',
    );
    expect((await lstat(wants)).isSymbolicLink()).toBe(true);
    expect(await readlink(wants)).toBe('/lib/systemd/system/nut-sentinel.service');

    const installed = path.join(root, 'usr/bin/nut-sentinel');
    expect((await run(installed, ['--version'])).stdout).toBe(`${version}\n`);
    const check = await run(installed, [
      'check-config',
      path.join(root, 'etc/nut-sentinel/config.json'),
    ]);
    expect(check.stdout).toMatch(/: OK\n$/);
    // `service status` finds the package's unit and the config it runs (exit 3: not running here).
    const status = await run(installed, ['service', 'status', '--root', root, '--json']).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect('code' in status ? status.code : 0).toBe(3);
    expect(JSON.parse(status.stdout)).toMatchObject({
      installed: true,
      running: false,
      unit: '/lib/systemd/system/nut-sentinel.service',
      configPath: '/etc/nut-sentinel/config.json',
    });
    // The shipped unit, verified against this host's systemd units, its ExecStart at the installed binary.
    const unitDir = await mkdtemp(path.join(tmpdir(), 'nut-deb-unit-'));
    try {
      const shipped = await readFile(
        path.join(root, 'lib/systemd/system/nut-sentinel.service'),
        'utf8',
      );
      expect(shipped).toMatch(/^ExecStart=\/usr\/bin\/nut-sentinel agent /m);
      await writeFile(
        path.join(unitDir, 'nut-sentinel.service'),
        shipped.replace('ExecStart=/usr/bin/nut-sentinel ', `ExecStart=${installed} `),
      );
      const verify = await run(
        'systemd-analyze',
        ['verify', path.join(unitDir, 'nut-sentinel.service')],
        { env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } },
      );
      expect(verify.stderr.split('\n').filter((l) => l.includes('nut-sentinel.service'))).toEqual(
        [],
      );
    } finally {
      await rm(unitDir, { recursive: true, force: true });
    }

    await dpkg(['--purge', DEB_PACKAGE]);
    for (const gone of [
      'usr/bin/nut-sentinel',
      'lib/systemd/system/nut-sentinel.service',
      'etc/nut-sentinel',
      'var/lib/nut-sentinel',
    ])
      expect(existsSync(path.join(root, gone))).toBe(false);
    expect(existsSync(wants)).toBe(false);
    expect(await readdir(path.join(root, 'usr/bin')).catch(() => [])).toEqual([]);
  });
});
