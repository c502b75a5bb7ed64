/**
 * The tokens of a `ups.status` string (`OB LB`, `OL CHRG`, `FSD OB`, vendor ones too), one rule for
 * everyone who looks at a status: tokens, never substrings (`OBSOLETE` is not `OB`), matched
 * case-insensitively as upsmon does, in any order and with any spacing.
 */

/** The upper-cased tokens of a status; empty for null, '' or blanks. */
export function statusTokens(status: string | null | undefined): Set<string> {
  const tokens = new Set<string>();
  for (const word of (status ?? '').split(/\s+/)) if (word !== '') tokens.add(word.toUpperCase());
  return tokens;
}
