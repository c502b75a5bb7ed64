/**
 * The words for upsd.users rights depend on the server: NUT before 2.8.0 (no PROTVER; Synology's
 * DSM build too) knows only `upsmon master` / `upsmon slave`; 2.8.0+ writes `upsmon primary` /
 * `upsmon secondary` (and still accepts the old words). Every hint names the words the
 * identified server understands, and the old ones (understood by both) while it is unknown.
 */
export type RightsWords = 'primary-secondary' | 'master-slave';

/** From what the server told: PROTVER exists since 2.8.0; DSM answers like 2.7. */
export function rightsWordsFor(
  server: { protVer?: string | null | undefined; synology?: boolean } | null | undefined,
): RightsWords {
  if (!server) return 'master-slave';
  return server.protVer && !server.synology ? 'primary-secondary' : 'master-slave';
}

/** `upsmon secondary` / `upsmon slave` (role `secondary`), `upsmon primary` / `upsmon master`. */
export function upsmonRight(words: RightsWords, role: 'secondary' | 'primary'): string {
  if (words === 'primary-secondary') return `upsmon ${role}`;
  return role === 'primary' ? 'upsmon master' : 'upsmon slave';
}

/** The `upsd.users` block a secondary needs, e.g. for Proxmox's /etc/nut/upsd.users. */
export function upsdUsersBlock(words: RightsWords, username: string): string {
  return `[${username || 'nutclient'}]\n  password = <choose one>\n  ${upsmonRight(words, 'secondary')}`;
}

/**
 * The right a command needs in upsd.users, in the server's words; `undefined` for commands that
 * need none. `command` is the verb (`LOGIN`, `PRIMARY`, `FSD`, `SET VAR`, `INSTCMD`, ...).
 */
export function rightNeededFor(words: RightsWords, command: string): string | undefined {
  const verb = command.trim().split(/\s+/, 1)[0]?.toUpperCase() ?? '';
  switch (verb) {
    case 'LOGIN':
      return `\`${upsmonRight(words, 'secondary')}\` (or \`${upsmonRight(words, 'primary')}\`)`;
    case 'PRIMARY':
    case 'MASTER':
      return `\`${upsmonRight(words, 'primary')}\``;
    case 'FSD':
      return `\`${upsmonRight(words, 'primary')}\` or \`actions = FSD\``;
    case 'SET':
      return '`actions = SET`';
    case 'INSTCMD':
      return '`instcmds = <command>` (or `instcmds = ALL`)';
    default:
      return undefined;
  }
}
