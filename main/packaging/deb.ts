/**
 * The Debian package of the self-contained agent, `nut-sentinel-agent_<version>_<arch>.deb`,
 * built with dpkg-deb from a staging tree:
 *   /usr/bin/nut-sentinel                          the executable (0755)
 *   /lib/systemd/system/nut-sentinel.service       the unit from main/service/units.ts (0644)
 *   /etc/nut-sentinel/config.json                  conffile, 0640 root: the starter config
 *   /etc/nut-sentinel/passwords/                   0700 root: password files (0600, `import` writes them)
 *   /usr/share/doc/nut-sentinel-agent/             copyright, changelog
 *   /usr/share/lintian/overrides/                  why the runtime's own tags are expected
 * The service runs as root (main/service/units.ts says why). postinst enables and (re)starts it,
 * prerm stops it (the agent logs out from every master), postrm disables it and, on purge,
 * removes its state — every systemctl call guarded for a system where systemd is not running
 * (chroots, image builds, `dpkg --root`), where postinst still enables the unit offline.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CONTROL_GROUP } from '../../shared/control';
import { STARTER_CONFIG } from '../service/install';
import { PACKAGED_SYSTEMD_UNIT, SERVICE_NAME, systemdUnit } from '../service/units';
import { type AgentTarget, debianArch } from './targets';

const run = promisify(execFile);

export const DEB_PACKAGE = 'nut-sentinel-agent';
export const DEB_EXECUTABLE = '/usr/bin/nut-sentinel';

export function debFileName(version: string, target: AgentTarget): string {
  return `${DEB_PACKAGE}_${version}_${debianArch(target)}.deb`;
}

const systemdRunning = '[ -d /run/systemd/system ] && [ -z "${DPKG_ROOT:-}" ]';

const POSTINST = `#!/bin/sh
set -e
if [ "$1" = "configure" ]; then
    chmod 0700 "\${DPKG_ROOT:-}/etc/nut-sentinel/passwords"
    # Members of this group may use the service's control socket (the desktop app attaches).
    if [ -z "\${DPKG_ROOT:-}" ] && ! getent group ${CONTROL_GROUP} >/dev/null; then
        groupadd --system ${CONTROL_GROUP}
    fi
    if ${systemdRunning}; then
        systemctl daemon-reload
        systemctl enable ${SERVICE_NAME}.service
        systemctl restart ${SERVICE_NAME}.service
    elif command -v systemctl >/dev/null 2>&1; then
        # No running systemd (chroot, image build): enable it for the next boot.
        systemctl --root="\${DPKG_ROOT:-/}" enable ${SERVICE_NAME}.service
    fi
fi
exit 0
`;

const PRERM = `#!/bin/sh
set -e
if [ "$1" = "remove" ] && ${systemdRunning}; then
    # SIGTERM: the agent logs out from every master, so they stop waiting for this machine.
    systemctl stop ${SERVICE_NAME}.service
fi
exit 0
`;

const POSTRM = `#!/bin/sh
set -e
if [ "$1" = "remove" ] || [ "$1" = "purge" ]; then
    if command -v systemctl >/dev/null 2>&1; then
        systemctl --root="\${DPKG_ROOT:-/}" disable ${SERVICE_NAME}.service >/dev/null 2>&1 || true
    fi
    if ${systemdRunning}; then
        systemctl daemon-reload
    fi
fi
if [ "$1" = "purge" ]; then
    rm -rf "\${DPKG_ROOT:-}/var/lib/nut-sentinel"
fi
exit 0
`;

function control(version: string, target: AgentTarget, installedKb: number): string {
  return `Package: ${DEB_PACKAGE}
Version: ${version}
Architecture: ${debianArch(target)}
Maintainer: NUT Sentinel maintainers <nut-sentinel@users.noreply.github.com>
Installed-Size: ${installedKb}
Depends: libc6 (>= 2.28), libgcc-s1, libstdc++6 (>= 8)
Section: admin
Priority: optional
Description: NUT secondary that shuts this machine down in time
 NUT Sentinel logs in to a UPS shared by a NUT master (a Synology NAS,
 a Proxmox VE host, any upsd) as a secondary, like upsmon, so the master
 counts this machine and waits for it, and runs the shutdown when the
 power runs out. It notices a power cut within a second, runs event hooks
 and upssched-style timers, and keeps a history of events.
 .
 This package is the self-contained headless agent and its systemd
 service; edit /etc/nut-sentinel/config.json (or run nut-sentinel import
 /etc/nut/upsmon.conf) and restart the service.
`;
}

const COPYRIGHT = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: nut-sentinel

Files: *
Copyright: NUT Sentinel maintainers
License: MIT

Files: usr/bin/nut-sentinel
Copyright: Node.js contributors and others; NUT Sentinel maintainers
License: MIT
Comment: A Node.js single executable application: the Node.js runtime (MIT,
 with bundled third-party components under their own permissive licences)
 carrying the NUT Sentinel agent and its npm dependencies (MIT, ISC, BSD),
 and SQLite compiled to WebAssembly (public domain).

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a
 copy of this software and associated documentation files (the "Software"),
 to deal in the Software without restriction, including without limitation
 the rights to use, copy, modify, merge, publish, distribute, sublicense,
 and/or sell copies of the Software, and to permit persons to whom the
 Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included
 in all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
 OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
 MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
 IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
 CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
 TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE
 SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;

/**
 * Tags that describe what a self-contained runtime is, each with the reason (lintian prints
 * them as overridden, not as errors or warnings).
 */
const LINTIAN_OVERRIDES = `# The Node.js runtime inside this single executable application carries its own zlib, as every Node.js binary does.
${DEB_PACKAGE}: embedded-library zlib [usr/bin/nut-sentinel]
# Node.js ships its binaries unstripped (symbols for its diagnostic reports); stripping could also drop the injected application.
${DEB_PACKAGE}: unstripped-binary-or-object [usr/bin/nut-sentinel]
# Built by Node.js as a non-PIE executable.
${DEB_PACKAGE}: hardening-no-pie [usr/bin/nut-sentinel]
# Password files live here: nobody but root may list or read them.
${DEB_PACKAGE}: non-standard-dir-perm 0700 != 0755 [etc/nut-sentinel/passwords/]
# The config names where each password lives; only root (the service) reads it.
${DEB_PACKAGE}: non-standard-file-perm 0640 != 0644 [etc/nut-sentinel/config.json]
`;

function changelog(version: string): Buffer {
  const date = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? 0) * 1000 || Date.now())
    .toUTCString()
    .replace('GMT', '+0000');
  return gzipSync(
    `${DEB_PACKAGE} (${version}) unstable; urgency=medium\n\n  * Release ${version}.\n\n -- NUT Sentinel maintainers <nut-sentinel@users.noreply.github.com>  ${date}\n`,
    { level: 9 },
  );
}

async function put(
  root: string,
  file: string,
  content: string | Buffer,
  mode: number,
): Promise<void> {
  const target = path.join(root, file);
  await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  await writeFile(target, content);
  await chmod(target, mode);
}

export async function buildDeb(options: {
  target: AgentTarget;
  version: string;
  executable: string;
  outDir: string;
  log: (line: string) => void;
}): Promise<string> {
  const { target, version } = options;
  const staging = path.join(options.outDir, 'build', `deb-${target}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.join(staging, 'DEBIAN'), { recursive: true, mode: 0o755 });
  await mkdir(path.join(staging, 'usr/bin'), { recursive: true, mode: 0o755 });
  await copyFile(options.executable, path.join(staging, DEB_EXECUTABLE));
  await chmod(path.join(staging, DEB_EXECUTABLE), 0o755);
  await put(
    staging,
    PACKAGED_SYSTEMD_UNIT,
    systemdUnit({ program: DEB_EXECUTABLE, prefix: [] }),
    0o644,
  );
  await put(staging, 'etc/nut-sentinel/config.json', STARTER_CONFIG, 0o640);
  await mkdir(path.join(staging, 'etc/nut-sentinel/passwords'), { recursive: true });
  await chmod(path.join(staging, 'etc/nut-sentinel/passwords'), 0o700);
  await put(staging, `usr/share/doc/${DEB_PACKAGE}/copyright`, COPYRIGHT, 0o644);
  await put(staging, `usr/share/doc/${DEB_PACKAGE}/changelog.gz`, changelog(version), 0o644);
  await put(staging, `usr/share/lintian/overrides/${DEB_PACKAGE}`, LINTIAN_OVERRIDES, 0o644);
  const installedKb = Math.ceil(((await stat(options.executable)).size + 64 * 1024) / 1024);
  await put(staging, 'DEBIAN/control', control(version, target, installedKb), 0o644);
  await put(staging, 'DEBIAN/conffiles', '/etc/nut-sentinel/config.json\n', 0o644);
  await put(staging, 'DEBIAN/postinst', POSTINST, 0o755);
  await put(staging, 'DEBIAN/prerm', PRERM, 0o755);
  await put(staging, 'DEBIAN/postrm', POSTRM, 0o755);
  for (const dir of [
    'etc',
    'etc/nut-sentinel',
    'lib',
    'lib/systemd',
    'lib/systemd/system',
    'usr',
    'usr/share',
    'usr/share/doc',
    `usr/share/doc/${DEB_PACKAGE}`,
    'usr/share/lintian',
    'usr/share/lintian/overrides',
  ])
    await chmod(path.join(staging, dir), 0o755);
  const deb = path.join(options.outDir, debFileName(version, target));
  await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', staging, deb], {
    maxBuffer: 16 * 1024 * 1024,
  });
  options.log(`${target}: ${path.relative(process.cwd(), deb)}`);
  return deb;
}
