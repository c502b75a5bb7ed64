/**
 * Every bound the NUT client puts on what a server may send, in one place (main/nut/README.md,
 * "Reply limits"). upsd builds each reply line in a 512-byte buffer and its LIST replies are a few
 * hundred lines (a big UPS has ~150 variables), so these leave a wide margin for forks and odd
 * drivers while keeping a hostile or broken server from growing this process without bound.
 */

/** Longest accepted reply line in bytes (upsd never sends more than 512). */
export const DEFAULT_MAX_LINE_LENGTH = 4096;

/** Most items accepted in one LIST reply. */
export const DEFAULT_MAX_LIST_ITEMS = 10_000;

/** Most bytes (item lines, LF included) accepted in one LIST reply: 4 MiB. */
export const DEFAULT_MAX_LIST_BYTES = 4 * 1024 * 1024;

/**
 * The per-variable descriptions of the variables view (`GET DESC` for each name of a LIST VAR):
 * at most this many requests in flight on the connection, and at most this many in all (a real
 * UPS has far fewer variables; the rest are shown without a description).
 */
export const DESCRIPTION_FANOUT = { concurrency: 8, maxRequests: 500 } as const;
