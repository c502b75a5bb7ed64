/**
 * Keeps secrets out of the event log. Hook runs are recorded with their program, arguments and
 * output; a user's hook may well carry a token in an argument (curl to a chat webhook) or echo
 * one, and the NUT passwords are known to the app. Everything recorded goes through here.
 */

import { REDACTED as MASK } from '../platform/redaction';

/** Options whose NEXT argument is a secret (`--password s3cret`). */
const SECRET_OPTION =
  /^-{1,2}(?:pass(?:word)?|passwd|pwd|secret|token|api[-_]?key|auth(?:orization)?|client[-_]?secret|access[-_]?token)$/i;

/** `password=…`, `token: …`, `"apiKey": "…"` and the like (the value up to whitespace, quote, `&` or `,`). */
const KEY_VALUE =
  /((?:^|[^A-Za-z0-9])["']?(?:pass(?:word)?|passwd|pwd|secret|token|api[-_]?key|apikey|auth[-_]?token|access[-_]?token|client[-_]?secret)["']?\s*[=:]\s*["']?)([^\s"'&,;]+)/gi;

/** `Authorization: Bearer …` / `Basic …`. */
const AUTH_HEADER = /(\b(?:bearer|basic)\s+)([A-Za-z0-9._~+/=-]{6,})/gi;

/** Credentials in a URL: `scheme://user:pass@host`. */
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^/\s@]+)(@)/gi;

/** Replaces known secret values and secret-looking fragments with the one marker, REDACTED. */
export function redactText(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so that a secret containing another is masked whole.
  for (const secret of [...knownSecrets]
    .filter((s) => s.length >= 3)
    .sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(MASK);
  }
  out = out.replace(URL_USERINFO, `$1${MASK}$3`);
  out = out.replace(AUTH_HEADER, `$1${MASK}`);
  out = out.replace(KEY_VALUE, `$1${MASK}`);
  return out;
}

/** Redacts an argument list: known secrets, `key=value` secrets and the value after `--password`-like options. */
export function redactArgs(
  args: readonly string[],
  knownSecrets: readonly string[] = [],
): string[] {
  const out: string[] = [];
  let maskNext = false;
  for (const arg of args) {
    if (maskNext) {
      out.push(MASK);
      maskNext = false;
      continue;
    }
    if (SECRET_OPTION.test(arg)) maskNext = true;
    out.push(redactText(arg, knownSecrets));
  }
  return out;
}

/**
 * The secret values an argument list carries (after `--token`-like options, in `key=value`
 * pairs, in URL credentials), so that a program echoing them has them masked in its output too.
 */
export function secretsInArgs(args: readonly string[]): string[] {
  const found: string[] = [];
  let next = false;
  for (const arg of args) {
    if (next) {
      found.push(arg);
      next = false;
      continue;
    }
    if (SECRET_OPTION.test(arg)) next = true;
    for (const m of arg.matchAll(URL_USERINFO)) if (m[2]) found.push(m[2]);
    for (const m of arg.matchAll(AUTH_HEADER)) if (m[2]) found.push(m[2]);
    for (const m of arg.matchAll(KEY_VALUE)) if (m[2]) found.push(m[2]);
  }
  return found.filter((s) => s.length >= 3);
}
