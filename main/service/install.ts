/**
 * `service install | uninstall | status`: the plan (files, folders, service-manager commands) for
 * this platform from ./units.ts, applied under a root prefix ("/" normally; a scratch folder in
 * tests, where `systemctl --root` enables the unit without a running systemd). Install records
 * what it created in a manifest; uninstall removes exactly that — a file only while it still has
 * the content install wrote (an edited config stays, and is reported) — and folders once empty.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTROL_GROUP } from '../../shared/control';
import { promisify } from 'node:util';
import {
  type AgentCommand,
  LAUNCHD_LABEL,
  launchdPlist,
  PACKAGED_SYSTEMD_UNIT,
  SERVICE_NAME,
  type ServiceLayout,
  serviceLayout,
  type ServicePlatform,
  systemdUnit,
  WINDOWS_SERVICE_ID,
  winswXml,
} from './units';

const run = promisify(execFile);

export interface PlannedFile {
  path: string;
  mode: number;
  /** Text to write, or a file to copy (the Windows service wrapper). */
  content: string | { copyFrom: string };
  /** Written only when absent (the starter config); never replaced. */
  onlyIfMissing?: boolean;
  /** What it is, for the dry run. */
  what: string;
}

export interface ServiceCommand {
  file: string;
  args: string[];
}

export interface ServicePlan {
  platform: ServicePlatform;
  layout: ServiceLayout;
  dirs: { path: string; mode: number }[];
  files: PlannedFile[];
  /** Registers and starts the service (after the files are written). */
  enable: ServiceCommand[];
  /** Stops and unregisters it (before the files are removed). */
  disable: ServiceCommand[];
  /** Where install records what it created. */
  manifest: string;
}

/** A config that validates and monitors nothing yet: the service runs, the admin fills it in. */
export const STARTER_CONFIG = `${JSON.stringify({ masters: [], shutdown: { dryRun: false } }, null, 2)}\n`;

export function planService(
  platform: ServicePlatform,
  command: AgentCommand,
  options: { winswExe?: string } = {},
): ServicePlan {
  const layout = serviceLayout(platform);
  const p = platform === 'win32' ? path.win32 : path.posix;
  const configDir = p.dirname(layout.configPath);
  const starter: PlannedFile = {
    path: layout.configPath,
    mode: 0o640,
    content: STARTER_CONFIG,
    onlyIfMissing: true,
    what: 'starter config (kept if present)',
  };
  const manifest = p.join(layout.dataDir, 'service-install.json');
  switch (platform) {
    case 'linux': {
      const unit = `/etc/systemd/system/${SERVICE_NAME}.service`;
      return {
        platform,
        layout,
        manifest,
        dirs: [
          { path: configDir, mode: 0o755 },
          { path: `${configDir}/passwords`, mode: 0o700 },
          { path: layout.dataDir, mode: 0o700 },
        ],
        files: [
          { path: unit, mode: 0o644, content: systemdUnit(command, layout), what: 'systemd unit' },
          starter,
        ],
        enable: [
          // The control socket's group (main/control); -f: fine when it exists already.
          { file: 'groupadd', args: ['--system', '-f', CONTROL_GROUP] },
          { file: 'systemctl', args: ['daemon-reload'] },
          { file: 'systemctl', args: ['enable', '--now', `${SERVICE_NAME}.service`] },
        ],
        disable: [{ file: 'systemctl', args: ['disable', '--now', `${SERVICE_NAME}.service`] }],
      };
    }
    case 'darwin': {
      const plist = `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`;
      return {
        platform,
        layout,
        manifest,
        dirs: [
          { path: configDir, mode: 0o755 },
          { path: `${configDir}/passwords`, mode: 0o700 },
          { path: path.posix.dirname(layout.log), mode: 0o755 },
        ],
        files: [
          {
            path: plist,
            mode: 0o644,
            content: launchdPlist(command, layout),
            what: 'launchd daemon',
          },
          starter,
        ],
        enable: [{ file: 'launchctl', args: ['bootstrap', 'system', plist] }],
        disable: [{ file: 'launchctl', args: ['bootout', `system/${LAUNCHD_LABEL}`] }],
      };
    }
    case 'win32': {
      const wrapper = path.win32.join(layout.dataDir, 'nut-sentinel-service.exe');
      return {
        platform,
        layout,
        manifest,
        dirs: [
          { path: layout.dataDir, mode: 0o755 },
          { path: path.win32.join(layout.dataDir, 'passwords'), mode: 0o700 },
          { path: layout.log, mode: 0o755 },
        ],
        files: [
          {
            path: wrapper,
            mode: 0o755,
            content: {
              copyFrom: options.winswExe ?? '(nut-sentinel-service.exe next to nut-sentinel.exe)',
            },
            what: 'WinSW service wrapper',
          },
          {
            path: path.win32.join(layout.dataDir, 'nut-sentinel-service.xml'),
            mode: 0o644,
            content: winswXml(command, layout),
            what: 'WinSW service definition',
          },
          starter,
        ],
        enable: [
          { file: wrapper, args: ['install'] },
          { file: wrapper, args: ['start'] },
        ],
        disable: [
          { file: wrapper, args: ['stop'] },
          { file: wrapper, args: ['uninstall'] },
        ],
      };
    }
  }
}

/** The dry run: every file with its content and every command, for one platform. */
export function describePlan(plan: ServicePlan): string {
  const lines = [
    `# ${plan.platform}: config ${plan.layout.configPath}, state ${plan.layout.dataDir}, log ${plan.layout.log}`,
  ];
  for (const dir of plan.dirs) lines.push(`mkdir -m ${dir.mode.toString(8)} ${dir.path}`);
  for (const file of plan.files) {
    lines.push(`\n## ${file.path} (${file.what}, mode ${file.mode.toString(8)})`);
    lines.push(
      typeof file.content === 'string'
        ? file.content.trimEnd()
        : `(copy of ${file.content.copyFrom})`,
    );
  }
  lines.push('');
  for (const c of plan.enable) lines.push(`${c.file} ${c.args.join(' ')}`);
  return lines.join('\n');
}

interface Manifest {
  files: { path: string; sha256: string }[];
  dirs: string[];
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** `/x/y` under `root` (the platform's own path flavour). */
function under(root: string, file: string): string {
  return root === '/' ? file : path.join(root, file.replace(/^[A-Za-z]:/, ''));
}

export interface ApplyOptions {
  /** Root prefix (default "/"). With another root no service manager is asked to start anything. */
  root: string;
  /** Runs a service-manager command (tests record them). */
  runCommand?: (command: ServiceCommand) => Promise<void>;
  say: (line: string) => void;
}

async function defaultRun(command: ServiceCommand): Promise<void> {
  await run(command.file, command.args);
}

/** The commands for a root prefix: systemd can enable offline with --root; the others cannot. */
function commandsFor(
  plan: ServicePlan,
  commands: ServiceCommand[],
  root: string,
): ServiceCommand[] {
  if (root === '/') return commands;
  if (plan.platform !== 'linux') return [];
  return commands
    .filter((c) => c.file === 'systemctl' && c.args[0] !== 'daemon-reload')
    .map((c) => ({
      file: c.file,
      args: [`--root=${root}`, ...c.args.filter((a) => a !== '--now')],
    }));
}

export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

export async function installService(plan: ServicePlan, options: ApplyOptions): Promise<Manifest> {
  // A second unit in /etc would shadow the package's, and `apt remove` would leave it behind.
  if (plan.platform === 'linux' && existsSync(under(options.root, PACKAGED_SYSTEMD_UNIT)))
    throw new Error(
      `${PACKAGED_SYSTEMD_UNIT} is there: the nut-sentinel-agent package already installed the service, so nothing was changed. Manage it with systemctl (\`systemctl status nut-sentinel\`), or remove the package first (\`apt remove nut-sentinel-agent\`).`,
    );
  const manifest: Manifest = { files: [], dirs: [] };
  for (const dir of plan.dirs) {
    const target = under(options.root, dir.path);
    if (!existsSync(target)) {
      await mkdir(target, { recursive: true, mode: dir.mode });
      manifest.dirs.push(dir.path);
    }
    await chmod(target, dir.mode);
  }
  for (const file of plan.files) {
    const target = under(options.root, file.path);
    if (file.onlyIfMissing && existsSync(target)) {
      options.say(`kept ${file.path} (already there)`);
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    if (typeof file.content === 'string')
      await writeFile(target, file.content, { mode: file.mode });
    else await copyFile(file.content.copyFrom, target);
    await chmod(target, file.mode);
    manifest.files.push({ path: file.path, sha256: sha256(await readFile(target)) });
    options.say(`wrote ${file.path}`);
  }
  const manifestPath = under(options.root, plan.manifest);
  await mkdir(path.dirname(manifestPath), { recursive: true });
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  const runCommand = options.runCommand ?? defaultRun;
  const commands = commandsFor(plan, plan.enable, options.root);
  if (options.root === '/' && plan.platform === 'linux' && !systemdRunning()) {
    options.say(
      'systemd is not running here: the unit is in place; enable it once it runs with `systemctl enable --now nut-sentinel.service`',
    );
  } else {
    for (const command of commands) {
      await runCommand(command);
      options.say(`ran ${command.file} ${command.args.join(' ')}`);
    }
  }
  return manifest;
}

export async function uninstallService(
  plan: ServicePlan,
  options: ApplyOptions & { dryRun?: boolean },
): Promise<{ removed: string[]; kept: string[] }> {
  const dryRun = options.dryRun === true;
  const would = (done: string, planned: string) => (dryRun ? `would ${planned}` : done);
  const manifestPath = under(options.root, plan.manifest);
  const text = await readFile(manifestPath, 'utf8').catch(() => null);
  if (text === null)
    throw new Error(
      `${plan.manifest} is missing: the service was not installed by \`nut-sentinel service install\` (a package manager installs its own), so nothing is removed.`,
    );
  const manifest = JSON.parse(text) as Manifest;
  const runCommand = options.runCommand ?? defaultRun;
  if (!(options.root === '/' && plan.platform === 'linux' && !systemdRunning())) {
    for (const command of commandsFor(plan, plan.disable, options.root)) {
      const line = `${command.file} ${command.args.join(' ')}`;
      if (dryRun) {
        options.say(`would run ${line}`);
        continue;
      }
      await runCommand(command).catch((error: unknown) =>
        options.say(`${line} failed (${(error as Error).message.split('\n')[0]}); continuing`),
      );
      options.say(`ran ${line}`);
    }
  }
  const removed: string[] = [];
  const kept: string[] = [];
  for (const file of manifest.files) {
    const target = under(options.root, file.path);
    const current = await readFile(target).catch(() => null);
    if (current === null) continue;
    if (sha256(current) !== file.sha256) {
      kept.push(file.path);
      options.say(`${would('kept', 'keep')} ${file.path}: changed since install`);
      continue;
    }
    if (!dryRun) await rm(target);
    removed.push(file.path);
    options.say(`${would('removed', 'remove')} ${file.path}`);
  }
  if (!dryRun) await rm(manifestPath);
  const gone = new Set(
    [...removed, plan.manifest].map((p) => path.normalize(under(options.root, p))),
  );
  for (const dir of [...manifest.dirs].reverse()) {
    const target = under(options.root, dir);
    const ok = dryRun
      ? await readdir(target).then(
          (entries) => entries.every((entry) => gone.has(path.join(target, entry))),
          () => false,
        )
      : await rmdir(target).then(
          () => true,
          () => false,
        );
    if (ok) {
      removed.push(dir);
      gone.add(path.normalize(target));
    } else kept.push(dir);
    options.say(
      ok ? `${would('removed', 'remove')} ${dir}` : `${would('kept', 'keep')} ${dir}: not empty`,
    );
  }
  if (!dryRun && options.root === '/' && plan.platform === 'linux' && systemdRunning())
    await runCommand({ file: 'systemctl', args: ['daemon-reload'] });
  return { removed, kept };
}

export interface ServiceStatus {
  platform: ServicePlatform;
  installed: boolean;
  running: boolean;
  /** The unit file, plist or service definition found. */
  unit: string | null;
  /** The config the installed service uses (from its command line). */
  configPath: string | null;
  detail: string;
}

export async function serviceStatus(plan: ServicePlan, root = '/'): Promise<ServiceStatus> {
  const unitFile = plan.files.find(
    (f) =>
      f.what !== 'starter config (kept if present)' &&
      typeof f.content === 'string' &&
      !f.path.endsWith('.exe'),
  )!;
  // The Debian package's unit counts too (systemd prefers the /etc one `service install` writes).
  const candidates =
    plan.platform === 'linux' ? [unitFile.path, PACKAGED_SYSTEMD_UNIT] : [unitFile.path];
  let unit: string | null = null;
  let text: string | null = null;
  for (const candidate of candidates) {
    text = await readFile(under(root, candidate), 'utf8').catch(() => null);
    if (text !== null) {
      unit = candidate;
      break;
    }
  }
  const configPath = text
    ? (/--config(?:<\/string>\s*<string>|\s+"?)([^"\n<]+?)(?:"|<|\s|$)/.exec(text)?.[1] ?? null)
    : null;
  let running = false;
  let detail = unit ? 'not asked whether it runs (another root)' : `no ${candidates.join(' nor ')}`;
  if (text && root === '/') {
    const probe: ServiceCommand =
      plan.platform === 'linux'
        ? { file: 'systemctl', args: ['is-active', `${SERVICE_NAME}.service`] }
        : plan.platform === 'darwin'
          ? { file: 'launchctl', args: ['print', `system/${LAUNCHD_LABEL}`] }
          : { file: 'sc.exe', args: ['query', WINDOWS_SERVICE_ID] };
    if (plan.platform === 'linux' && !systemdRunning()) detail = 'systemd is not running here';
    else {
      const out = await run(probe.file, probe.args).then(
        (r) => r.stdout,
        (e: { stdout?: string }) => e.stdout ?? '',
      );
      running =
        plan.platform === 'linux'
          ? out.trim() === 'active'
          : plan.platform === 'darwin'
            ? /state = running/.test(out)
            : /RUNNING/.test(out);
      detail =
        plan.platform === 'linux'
          ? `systemd: ${out.trim() || 'unknown'}`
          : running
            ? 'running'
            : 'not running';
    }
  }
  return {
    platform: plan.platform,
    installed: text !== null,
    running,
    unit,
    configPath,
    detail,
  };
}
