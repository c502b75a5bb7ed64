/**
 * Durations and ages for people: one policy for the UI, the tray, the core's tooltip and the
 * alert texts, so a runtime reads the same wherever it is shown. Unknown stays "unknown": a
 * missing runtime is never shown as 0.
 */

export const UNKNOWN = 'unknown';

/**
 * A duration in seconds: "50 s", "2 min 5 s" (seconds only while under 10 min), "45 min",
 * "1 h 12 min", "2 h", "2 d 22 h". Negative durations read as 0 s.
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) {
    const rest = s % 60;
    return minutes < 10 && rest > 0 ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    const m = minutes % 60;
    return m === 0 ? `${hours} h` : `${hours} h ${m} min`;
  }
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return h === 0 ? `${days} d` : `${days} d ${h} h`;
}

/** Battery runtime in seconds, as formatDuration; null, NaN or negative → "unknown". */
export function formatRuntime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0)
    return UNKNOWN;
  return formatDuration(seconds);
}

/** How long ago, coarse and short: "just now", "2 s ago", "3 min ago", "1 h 5 min ago", "2 d ago". */
export function formatAge(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'never';
  if (ms < 1000) return 'just now';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h ago` : `${h} h ${m % 60} min ago`;
  return `${Math.floor(h / 24)} d ago`;
}
