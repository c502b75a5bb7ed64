/**
 * "Install the background service" from Settings: `nut-sentinel service install`, run with
 * administrator rights the platform's way — pkexec (polkit asks for the password) on Linux,
 * `osascript … with administrator privileges` on macOS, UAC (`Start-Process -Verb RunAs`) on
 * Windows. Always a program with an argv array, never a shell command line built from strings:
 * on macOS the arguments reach AppleScript as `argv` and are quoted there with `quoted form of`,
 * on Windows they are PowerShell single-quoted literals in an -EncodedCommand script. No secret
 * is involved (install needs none) and the environment is not changed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ServiceInstallResult } from '../../shared/control';
import { shellWords } from '../../shared/shell-words';
import type { AgentCommand } from './units';

export interface ElevatedCommand {
  file: string;
  args: string[];
}

/** The command line the user would type, for display (POSIX shell quoting, shared/shell-words.ts). */
export const displayCommand = shellWords;

/** Windows command-line quoting of one argument (the rules CommandLineToArgvW undoes). */
export function windowsArg(arg: string): string {
  if (arg.length > 0 && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes += 1;
    } else if (ch === '"') {
      out += '\\'.repeat(backslashes * 2 + 1) + '"';
      backslashes = 0;
    } else {
      out += '\\'.repeat(backslashes) + ch;
      backslashes = 0;
    }
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

/** A PowerShell single-quoted literal. */
function psLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The words of `nut-sentinel service install` for this agent program. */
export function installWords(cli: AgentCommand): string[] {
  return [cli.program, ...cli.prefix, 'service', 'install'];
}

/** The elevated command that runs `service install` (see the module comment). */
export function elevatedInstallCommand(
  platform: NodeJS.Platform,
  cli: AgentCommand,
): ElevatedCommand {
  const words = installWords(cli);
  switch (platform) {
    case 'darwin': {
      // AppleScript quotes every argument itself; nothing here is parsed by a shell unquoted.
      const script = [
        'on run argv',
        'set cmd to ""',
        'repeat with w in argv',
        'set cmd to cmd & quoted form of (w as text) & " "',
        'end repeat',
        'do shell script cmd with administrator privileges',
        'end run',
      ];
      return {
        file: '/usr/bin/osascript',
        args: [...script.flatMap((line) => ['-e', line]), ...words],
      };
    }
    case 'win32': {
      const [program, ...rest] = words as [string, ...string[]];
      const argumentLine = rest.map(windowsArg).join(' ');
      const script =
        `$p = Start-Process -FilePath ${psLiteral(program)} -ArgumentList ${psLiteral(argumentLine)} ` +
        `-Verb RunAs -Wait -PassThru -WindowStyle Hidden; exit $p.ExitCode`;
      return {
        file: 'powershell.exe',
        args: [
          '-NoProfile',
          '-NonInteractive',
          '-EncodedCommand',
          Buffer.from(script, 'utf16le').toString('base64'),
        ],
      };
    }
    default:
      // pkexec wants an absolute program; polkit's agent asks for the administrator password.
      return { file: 'pkexec', args: words };
  }
}

/** Finds a program on PATH (absolute paths are checked as they are). */
export function findOnPath(
  program: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): string | null {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (p.isAbsolute(program)) return existsSync(program) ? program : null;
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : ':').filter(Boolean);
  const exts = platform === 'win32' ? ['', '.exe', '.cmd'] : [''];
  for (const dir of dirs)
    for (const ext of exts) {
      const candidate = p.join(dir, program + ext);
      if (existsSync(candidate)) return candidate;
    }
  return null;
}

export interface ServiceInstallerOptions {
  platform: NodeJS.Platform;
  /** The agent program that `service install` registers, or null when none is known here. */
  cli: AgentCommand | null;
  env?: NodeJS.ProcessEnv;
  /** Tests: what runs the elevated command (default execFile, no shell). */
  run?: (command: ElevatedCommand) => Promise<{ code: number; output: string }>;
}

export interface ServiceInstaller {
  describe(): { available: boolean; command: string; reason: string | null };
  install(): Promise<ServiceInstallResult>;
}

function runElevated(command: ElevatedCommand): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      command.file,
      command.args,
      { timeout: 10 * 60_000, maxBuffer: 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127;
        const output = `${stdout}${stderr}`.trim() || (error?.message ?? '');
        resolve({ code, output });
      },
    );
  });
}

const CANCELLED = 'Administrator rights were not granted (the password dialog was cancelled).';

/** Why an elevated install failed, in words (the platform tools' own exit codes and messages). */
export function elevationFailure(
  platform: NodeJS.Platform,
  result: { code: number; output: string },
): string {
  // The elevation tool itself could not be started (execFile's spawn error).
  if (/\bENOENT\b/.test(result.output))
    return platform === 'linux'
      ? 'pkexec (polkit) is not installed, so the app cannot ask for administrator rights.'
      : `The program that asks for administrator rights could not be started (${result.output}).`;
  if (platform === 'linux') {
    // pkexec: 126 = the user dismissed the dialog / not authorised, 127 = no polkit agent.
    if (result.code === 126) return CANCELLED;
    if (result.code === 127)
      return 'pkexec found no way to ask for the password (no polkit agent is running in this session).';
  }
  // osascript: "User canceled. (-128)"; PowerShell's Start-Process: "canceled by the user".
  if (platform === 'darwin' && /\(-128\)/.test(result.output)) return CANCELLED;
  if (platform === 'win32' && /cancell?ed by the user/i.test(result.output))
    return 'Administrator rights were not granted (the User Account Control prompt was cancelled).';
  return `The installer exited with code ${result.code}.`;
}

export function createServiceInstaller(options: ServiceInstallerOptions): ServiceInstaller {
  const env = options.env ?? process.env;
  const { platform, cli } = options;
  // Windows has no sudo: the same words in an administrator terminal.
  const sudo = platform === 'win32' ? '' : 'sudo ';
  const typed = `${sudo}${cli ? displayCommand(installWords(cli)) : 'nut-sentinel service install'}`;

  const describe = (): { available: boolean; command: string; reason: string | null } => {
    if (!cli)
      return {
        available: false,
        command: typed,
        reason:
          'No NUT Sentinel agent program was found next to the app or on PATH: install the nut-sentinel-agent package (it sets up the service), or the self-contained agent (npm run dist:agent), then try again.',
      };
    if (platform === 'linux' && !findOnPath('pkexec', env, platform))
      return {
        available: false,
        command: typed,
        reason:
          'pkexec (polkit) is not installed, so the app cannot ask for administrator rights: run the command in a terminal.',
      };
    if (platform !== 'linux' && platform !== 'darwin' && platform !== 'win32')
      return {
        available: false,
        command: typed,
        reason: `No service manager is supported on ${platform}.`,
      };
    return { available: true, command: typed, reason: null };
  };
  return {
    describe,
    async install() {
      const info = describe();
      if (!info.available || !cli) return { ok: false, detail: info.reason ?? 'Not available.' };
      const command = elevatedInstallCommand(platform, cli);
      // pkexec as describe() found it on this PATH, not whichever one execFile would pick.
      if (command.file === 'pkexec') command.file = findOnPath('pkexec', env, platform) ?? 'pkexec';
      const result = await (options.run ?? runElevated)(command);
      if (result.code === 0)
        return {
          ok: true,
          detail:
            result.output ||
            'The background service is installed and started; the app attaches to it in a moment.',
        };
      const why = elevationFailure(platform, result);
      return {
        ok: false,
        detail: `${why}${result.output ? `\n${result.output}` : ''}\nYou can run it in a terminal instead: ${typed}`,
      };
    },
  };
}
