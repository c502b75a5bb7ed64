/**
 * `ups.status` parsing and wording (main/monitor/README.md §1.4, §1.9). Pure: no I/O.
 *
 * The status is split on whitespace and compared case-insensitively, token by token (upsmon's
 * substring tests for `LB`/`FSD` are a legacy shortcut; main/nut/README.md §4.8). upsd may prefix `FSD`.
 * Unknown tokens are kept, in order and de-duplicated, for display and for OTHER/NOTOTHER.
 * An empty status is not a status: it is a communication failure (main/monitor/README.md §1.4 step 1).
 */

export const KNOWN_STATUS_TOKENS = [
  'OL',
  'OB',
  'LB',
  'HB',
  'RB',
  'CHRG',
  'DISCHRG',
  'BYPASS',
  'CAL',
  'OFF',
  'OVER',
  'TRIM',
  'BOOST',
  'FSD',
  'ALARM',
  'WAIT',
  'ECO',
] as const;

export type KnownStatusToken = (typeof KNOWN_STATUS_TOKENS)[number];

const knownTokenSet: ReadonlySet<string> = new Set<string>(KNOWN_STATUS_TOKENS);

export function isKnownStatusToken(token: string): token is KnownStatusToken {
  return knownTokenSet.has(token);
}

/** One status token as it appeared, classified. */
export type StatusToken =
  | { readonly kind: 'known'; readonly token: KnownStatusToken }
  | { readonly kind: 'unknown'; readonly token: string };

export interface ParsedStatus {
  /** The string as read from upsd. */
  readonly raw: string;
  /** True when there is no token at all: the caller must treat it as a communication failure. */
  readonly empty: boolean;
  /** Every token in order (known ones upper-cased, unknown ones as written). */
  readonly tokens: readonly StatusToken[];
  /** The known tokens present (upper-case, de-duplicated, in order of first appearance). */
  readonly known: readonly KnownStatusToken[];
  /** Tokens we do not know, as written, de-duplicated case-insensitively, in order. */
  readonly unknown: readonly string[];
}

export function parseStatus(raw: string): ParsedStatus {
  const words = raw.split(/\s+/).filter((w) => w.length > 0);
  const tokens: StatusToken[] = [];
  const known: KnownStatusToken[] = [];
  const unknown: string[] = [];
  const seenUnknown = new Set<string>();
  for (const word of words) {
    const upper = word.toUpperCase();
    if (isKnownStatusToken(upper)) {
      tokens.push({ kind: 'known', token: upper });
      if (!known.includes(upper)) known.push(upper);
    } else {
      tokens.push({ kind: 'unknown', token: word });
      if (!seenUnknown.has(upper)) {
        seenUnknown.add(upper);
        unknown.push(word);
      }
    }
  }
  return { raw, empty: words.length === 0, tokens, known, unknown };
}

/**
 * `WAIT` alone or with `FSD` (nothing else): the placeholder upsd reports for about a second while
 * it (re)connects to a driver and the driver dumps its data. It carries no UPS data — only upsd's
 * own FSD flag — so it is not an observation of the UPS (main/monitor/README.md, "WAIT").
 */
export function isPlaceholderStatus(status: ParsedStatus): boolean {
  return (
    status.unknown.length === 0 &&
    status.known.includes('WAIT') &&
    status.known.every((token) => token === 'WAIT' || token === 'FSD')
  );
}

export function statusHas(status: ParsedStatus, token: KnownStatusToken): boolean {
  return status.known.includes(token);
}

/** Short human wording of one known token, lower-case ("low battery"). */
export const STATUS_TOKEN_WORDS: Readonly<Record<KnownStatusToken, string>> = {
  OL: 'on line power',
  OB: 'on battery',
  LB: 'low battery',
  HB: 'high battery',
  RB: 'battery needs replacing',
  CHRG: 'charging',
  DISCHRG: 'discharging',
  BYPASS: 'on bypass (not protecting)',
  CAL: 'calibrating',
  OFF: 'output off',
  OVER: 'overloaded',
  TRIM: 'trimming voltage',
  BOOST: 'boosting voltage',
  FSD: 'forced shutdown',
  ALARM: 'alarm',
  WAIT: 'waiting for the driver',
  ECO: 'ECO mode',
};

/** The order in which tokens are worded, most important first (independent of the wire order). */
const WORDING_ORDER: readonly KnownStatusToken[] = [
  'FSD',
  'OL',
  'OB',
  'LB',
  'HB',
  'RB',
  'BYPASS',
  'OFF',
  'OVER',
  'ALARM',
  'CAL',
  'CHRG',
  'DISCHRG',
  'TRIM',
  'BOOST',
  'ECO',
  'WAIT',
];

/** describeStatus of raw strings, memoized (bounded: cleared when full). */
const wordedStatuses = new Map<string, string>();
const WORDED_STATUSES_MAX = 256;

/**
 * The status in words, e.g. `"OB LB"` → "On battery, low battery", `"FSD OL CHRG"` →
 * "Forced shutdown, on line power, charging". Unknown tokens are listed at the end;
 * an empty status reads "No status (communication failure)".
 */
export function describeStatus(status: ParsedStatus | string): string {
  if (typeof status !== 'string') return wordStatus(status);
  // Every status read words the status again, and a UPS reports the same few strings for hours.
  let text = wordedStatuses.get(status);
  if (text === undefined) {
    text = wordStatus(parseStatus(status));
    if (wordedStatuses.size >= WORDED_STATUSES_MAX) wordedStatuses.clear();
    wordedStatuses.set(status, text);
  }
  return text;
}

function wordStatus(parsed: ParsedStatus): string {
  if (parsed.empty) return 'No status (communication failure)';
  const parts = WORDING_ORDER.filter((t) => parsed.known.includes(t)).map(
    (t) => STATUS_TOKEN_WORDS[t],
  );
  if (parsed.unknown.length > 0) parts.push(`other status: ${parsed.unknown.join(' ')}`);
  const text = parts.join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
