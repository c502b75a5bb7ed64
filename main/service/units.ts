/**
 * The agent as a system service, one description for every platform: where its files live, and
 * the unit text for systemd (Linux), launchd (macOS) and WinSW (Windows, a Windows service
 * wrapper: Node cannot speak the Service Control Manager protocol itself, so sc.exe alone would
 * see the agent time out at start). Pure functions: `service install` (./install.ts) writes these
 * files, the Debian package (main/packaging/deb.ts) ships the systemd unit, `service install
 * --dry-run` prints them.
 *
 * The service runs as root / LocalSystem: its job is to power the machine off, and systemd's
 * `shutdown` (through logind and polkit) refuses a system user unless a polkit rule is installed,
 * which minimal images (Raspberry Pi OS Lite, cloud VMs) do not have — upsmon keeps a root
 * process for the same reason. The systemd unit sandboxes everything the shutdown does not need.
 */
import path from 'node:path';

export type ServicePlatform = 'linux' | 'darwin' | 'win32';

export const SERVICE_NAME = 'nut-sentinel';
export const LAUNCHD_LABEL = 'org.nut-sentinel.agent';
export const WINDOWS_SERVICE_ID = 'NUTSentinel';
/**
 * Where the Debian package puts the systemd unit. `service install` writes its own to
 * /etc/systemd/system, which systemd reads first, so that one wins when both exist.
 */
export const PACKAGED_SYSTEMD_UNIT = `/lib/systemd/system/${SERVICE_NAME}.service`;

export interface ServiceLayout {
  platform: ServicePlatform;
  configPath: string;
  dataDir: string;
  /** Linux: the EnvironmentFile for `env` passwords (`import --password-source env` writes it). */
  envFile: string | null;
  /** Where the service's output goes (a file, or the journal). */
  log: string;
}

/** Where the service keeps its config, state and log on each platform. */
export function serviceLayout(
  platform: ServicePlatform,
  programData = 'C:\\ProgramData',
): ServiceLayout {
  switch (platform) {
    case 'linux':
      return {
        platform,
        configPath: '/etc/nut-sentinel/config.json',
        dataDir: '/var/lib/nut-sentinel',
        envFile: '/etc/nut-sentinel/agent.env',
        log: 'journal (journalctl -u nut-sentinel)',
      };
    case 'darwin':
      return {
        platform,
        configPath: '/Library/Application Support/NUT Sentinel/config.json',
        dataDir: '/Library/Application Support/NUT Sentinel',
        envFile: null,
        log: '/Library/Logs/NUT Sentinel/agent.log',
      };
    case 'win32': {
      const base = path.win32.join(programData, 'NUT Sentinel');
      return {
        platform,
        configPath: path.win32.join(base, 'config.json'),
        dataDir: base,
        envFile: null,
        log: path.win32.join(base, 'logs'),
      };
    }
  }
}

/** The agent's command line in a unit: the program (the self-contained executable, or node + script) and its arguments. */
export interface AgentCommand {
  program: string;
  /** Arguments before `agent` (e.g. the script when the program is node). */
  prefix: readonly string[];
}

/**
 * The service's agent command line. `--control-socket` opens the local control channel
 * (main/control) at the platform's default place, so the desktop app attaches to the service.
 */
export function agentArgs(layout: ServiceLayout): string[] {
  return [
    'agent',
    '--config',
    layout.configPath,
    '--data-dir',
    layout.dataDir,
    '--no-notify',
    '--control-socket',
  ];
}

/** systemd quoting for ExecStart: every word in double quotes when it needs them. */
function systemdWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)
    ? word
    : `"${word.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * The systemd unit. Sandboxing that leaves the shutdown command working:
 * - NoNewPrivileges: `shutdown` asks systemd/logind over D-Bus as root; no setuid is involved.
 * - ProtectSystem=full (/usr, /boot, /efi, /etc read-only) with /etc/nut-sentinel writable, so
 *   hooks that write under /var still work (strict would break them), ProtectHome=read-only.
 * - PrivateTmp, ProtectKernelTunables/Modules/Logs, ProtectControlGroups, ProtectClock,
 *   ProtectHostname, RestrictNamespaces, RestrictRealtime, RestrictSUIDSGID, LockPersonality,
 *   SystemCallArchitectures=native: nothing a shutdown or a hook needs.
 * - RestrictAddressFamilies keeps AF_UNIX (D-Bus to logind: the shutdown itself), AF_INET/6
 *   (NUT) and AF_NETLINK (network interfaces).
 * Not set, on purpose: MemoryDenyWriteExecute (V8's JIT needs writable+executable pages),
 * SystemCallFilter=@system-service (it excludes @reboot, which a fallback shutdown may use),
 * CapabilityBoundingSet/User= (see the module comment: the shutdown needs root).
 */
export function systemdUnit(
  command: AgentCommand,
  layout: ServiceLayout = serviceLayout('linux'),
): string {
  const exec = [command.program, ...command.prefix, ...agentArgs(layout)]
    .map(systemdWord)
    .join(' ');
  return `[Unit]
Description=NUT Sentinel agent (NUT secondary: watches the UPS, shuts this machine down in time)
Documentation=man:upsmon(8)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${exec}
# systemctl reload: the agent re-reads its config file (a bad one is logged and not applied).
ExecReload=/bin/kill -HUP $MAINPID
${layout.envFile ? `EnvironmentFile=-${layout.envFile}\n` : ''}Restart=always
RestartSec=5
# SIGTERM: LOGOUT from every master, then exit; hooks get the rest of the budget.
TimeoutStopSec=30
StateDirectory=nut-sentinel
StateDirectoryMode=0700
# The control socket's folder; the agent gives it (0750) and the socket (0660) to the
# nut-sentinel group, whose members' desktop apps attach to this service.
RuntimeDirectory=nut-sentinel
RuntimeDirectoryMode=0750
UMask=0077
SyslogIdentifier=nut-sentinel
NoNewPrivileges=yes
ProtectSystem=full
ReadWritePaths=${path.posix.dirname(layout.configPath)}
ProtectHome=read-only
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK

[Install]
WantedBy=multi-user.target
`;
}

/** Escapes XML element text. */
function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The launchd daemon (root): started at boot, restarted whenever it exits, output to a log file. */
export function launchdPlist(
  command: AgentCommand,
  layout: ServiceLayout = serviceLayout('darwin'),
): string {
  const args = [command.program, ...command.prefix, ...agentArgs(layout)]
    .map((a) => `    <string>${xml(a)}</string>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <true/>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>ExitTimeOut</key>
  <integer>30</integer>
  <key>UserName</key>
  <string>root</string>
  <key>StandardOutPath</key>
  <string>${xml(layout.log)}</string>
  <key>StandardErrorPath</key>
  <string>${xml(layout.log)}</string>
</dict>
</plist>
`;
}

/** WinSW's service definition: LocalSystem, delayed automatic start, restart on failure, rolling logs. */
export function winswXml(
  command: AgentCommand,
  layout: ServiceLayout = serviceLayout('win32'),
): string {
  const quote = (a: string) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a);
  return `<service>
  <id>${WINDOWS_SERVICE_ID}</id>
  <name>NUT Sentinel agent</name>
  <description>NUT secondary: watches the UPS and shuts this machine down in time, with or without a user logged in.</description>
  <executable>${xml(command.program)}</executable>
  <arguments>${xml([...command.prefix, ...agentArgs(layout)].map(quote).join(' '))}</arguments>
  <startmode>Automatic</startmode>
  <delayedAutoStart>true</delayedAutoStart>
  <depend>Tcpip</depend>
  <serviceaccount><username>LocalSystem</username></serviceaccount>
  <onfailure action="restart" delay="5 sec"/>
  <onfailure action="restart" delay="5 sec"/>
  <onfailure action="restart" delay="30 sec"/>
  <resetfailure>1 hour</resetfailure>
  <stoptimeout>30 sec</stoptimeout>
  <logpath>${xml(layout.log)}</logpath>
  <log mode="roll-by-size"><sizeThreshold>10240</sizeThreshold><keepFiles>5</keepFiles></log>
</service>
`;
}
