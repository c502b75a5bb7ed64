/**
 * Where the background service's control channel lives on each platform, and who may open it.
 *
 * - Linux: `/run/nut-sentinel/control.sock`; macOS: `/var/run/nut-sentinel/control.sock`. The
 *   service (root) creates the folder 0750 and the socket 0660, both owned by root and the
 *   `nut-sentinel` group: connect() needs write permission on the socket, so the kernel refuses
 *   everybody else before the service sees anything. Without that group the socket is root only.
 * - Windows: the named pipe `\\.\pipe\nut-sentinel-control`. Node (libuv) creates pipes with the
 *   default security descriptor — full control for LocalSystem, Administrators and the creator,
 *   read-only for Everyone — and a client needs read *and* write to talk, so by default only
 *   administrators (and the service itself) can attach. libuv can only widen that by one
 *   Everyone entry (`readableAll`/`writableAll`); `all-users` opts into it for single-user
 *   desktops. A narrower group ACL would need native code, so it is not offered.
 *
 * `NUT_SENTINEL_CONTROL_SOCKET` overrides the path for both ends (tests, a non-default service).
 */
import path from 'node:path';
import { CONTROL_GROUP } from '../../shared/control';

export const CONTROL_ENDPOINT_ENV = 'NUT_SENTINEL_CONTROL_SOCKET';

export type WindowsPipeAccess = 'administrators' | 'all-users';

/**
 * The control endpoint a command uses: `--control-socket VALUE` when given (a socket path, or on
 * Windows a pipe name or `\\.\pipe\…` path), else the platform's default.
 */
export function controlEndpoint(
  option: string | undefined,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (option === undefined) return defaultControlEndpoint(platform, env);
  return platform === 'win32' ? windowsPipePath(option) : path.resolve(option);
}

/** The control endpoint for this platform (the environment override first). */
export function defaultControlEndpoint(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const override = env[CONTROL_ENDPOINT_ENV]?.trim();
  if (override) return controlEndpoint(override, platform, env);
  switch (platform) {
    case 'win32':
      return windowsPipePath('nut-sentinel-control');
    case 'darwin':
      return '/var/run/nut-sentinel/control.sock';
    default:
      return '/run/nut-sentinel/control.sock';
  }
}

/**
 * A Windows pipe path from a name or a full `\\.\pipe\…` path. Only local pipes (`.`): a pipe
 * on another host would carry the API over SMB.
 */
export function windowsPipePath(nameOrPath: string): string {
  const full = /^[\\/]{2}([^\\/]+)[\\/]pipe[\\/](.+)$/i.exec(nameOrPath);
  if (full) {
    if (full[1] !== '.')
      throw new Error(
        `The control pipe ${nameOrPath} is on another machine ("${full[1]}"); only a local pipe (\\\\.\\pipe\\…) is allowed.`,
      );
    return `\\\\.\\pipe\\${full[2]}`;
  }
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(nameOrPath))
    throw new Error(
      `"${nameOrPath}" is not a pipe name: use letters, digits, ".", "_" and "-", or a full \\\\.\\pipe\\NAME path.`,
    );
  return `\\\\.\\pipe\\${nameOrPath}`;
}

/** The listen() options that give a Windows pipe its access (see the module comment). */
export function windowsPipeListenOptions(access: WindowsPipeAccess): {
  readableAll: boolean;
  writableAll: boolean;
} {
  const everyone = access === 'all-users';
  return { readableAll: everyone, writableAll: everyone };
}

/** POSIX permissions of the socket and its folder. */
export const CONTROL_SOCKET_MODE = 0o660;
export const CONTROL_DIR_MODE = 0o750;

/** What a user who may not open the socket is told (client side: the kernel said EACCES). */
export function accessDeniedMessage(endpoint: string, platform: NodeJS.Platform): string {
  if (platform === 'win32')
    return (
      `You may not open the NUT Sentinel service's control pipe ${endpoint}: by default only administrators can. ` +
      `Run the app as an administrator, or have an administrator restart the service with \`--control-access all-users\` on a single-user machine.`
    );
  const add =
    platform === 'darwin'
      ? `sudo dseditgroup -o edit -a "$USER" -t user ${CONTROL_GROUP}`
      : `sudo usermod -aG ${CONTROL_GROUP} "$USER"`;
  return (
    `You may not open the NUT Sentinel service's control socket ${endpoint}: it is open to root and the "${CONTROL_GROUP}" group only. ` +
    `Add yourself to the group (${add}), then log out and in again.`
  );
}
