/**
 * upsmon and upssched run SHUTDOWNCMD, NOTIFYCMD and CMDSCRIPT through `/bin/sh` (`system()`);
 * NUT Sentinel runs commands with execFile and no shell. An imported command string becomes:
 *
 * - `{ file, args }` split at spaces when it contains nothing a shell would interpret, or
 * - `/bin/sh -c '<string>'` when it does (`;`, `|`, `&`, `$`, quotes, redirections, globs, …),
 *   so it keeps doing exactly what it did under upsmon. That is explicit in the config and the
 *   import report; hooks never add a shell on their own.
 *
 * NOTIFYCMD and CMDSCRIPT get one more argument at run time (the message, the timer name): upsmon
 * appends it to the string, NUT Sentinel appends it to `args`. For the shell form it is passed as
 * `$1` (`sh -c '<string> "$1"' sh <arg>`), which is what upsmon meant, minus its quoting bugs.
 */
import type { Command } from '../../shared/config';

/** Characters that mean nothing to a shell inside an unquoted word. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The shell features found in a command string, e.g. [';', 'double quotes'] (empty: a plain command). */
export function shellFeatures(command: string): string[] {
  const found: string[] = [];
  const checks: [RegExp, string][] = [
    [/;/, '`;`'],
    [/\|/, '`|`'],
    [/&/, '`&`'],
    [/\$/, '`$`'],
    [/`/, 'backquotes'],
    [/[<>]/, 'redirection'],
    [/"/, 'double quotes'],
    [/'/, 'single quotes'],
    [/\\/, 'backslash'],
    [/[*?[\]]/, 'wildcards'],
    [/[(){}]/, 'brackets'],
    [/~/, '`~`'],
    [/#/, '`#`'],
    [/!/, '`!`'],
    [/[\n\r\v\f]/, 'line breaks'],
  ];
  for (const [re, name] of checks) if (re.test(command)) found.push(name);
  const words = command.trim().split(/[ \t]+/);
  if (found.length === 0 && words[0]?.includes('=')) found.push('a variable assignment');
  if (found.length === 0 && words.some((w) => w !== '' && !PLAIN_WORD.test(w)))
    found.push('special characters');
  return found;
}

export interface ImportedCommand {
  command: Command;
  /** Empty for a plain command; otherwise why it runs through /bin/sh. */
  shellFeatures: string[];
}

/**
 * Converts a upsmon/upssched command string. `appendsArgument`: NUT appends one argument when it
 * runs the string (NOTIFYCMD: the message; CMDSCRIPT: the timer name or EXECUTE argument).
 * Returns null for an empty string.
 */
export function importCommand(
  commandString: string,
  appendsArgument: boolean,
): ImportedCommand | null {
  const trimmed = commandString.trim();
  if (trimmed === '') return null;
  const features = shellFeatures(trimmed);
  if (features.length === 0) {
    const [file = '', ...args] = trimmed.split(/[ \t]+/);
    return { command: { file, args }, shellFeatures: [] };
  }
  const script = appendsArgument ? `${trimmed} "$1"` : trimmed;
  return {
    command: { file: '/bin/sh', args: appendsArgument ? ['-c', script, 'sh'] : ['-c', script] },
    shellFeatures: features,
  };
}

/** How an imported command reads in a report, e.g. `/bin/sh -c "…"`. */
export function describeCommand(command: Command): string {
  return [command.file, ...command.args]
    .map((w) => (PLAIN_WORD.test(w) ? w : JSON.stringify(w)))
    .join(' ');
}
