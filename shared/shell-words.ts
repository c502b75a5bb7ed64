/**
 * A command as a person would type it in a POSIX shell, for display only (previews, "run this
 * yourself" hints): every program NUT Sentinel runs is started without a shell. Words made of
 * safe characters stay bare; anything else is single-quoted, a `'` inside as `'\''`.
 */
export function shellWords(words: readonly string[]): string {
  return words
    .map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}
