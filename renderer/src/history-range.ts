/**
 * The History tab's time window and event markers. Pure (unit-tested): the panel queries, these
 * decide what is shown.
 */
import { formatRuntime } from '../../shared/durations';
import type { Metric, MetricSample, StoredEvent } from '../../shared/history';

export const HISTORY_RANGES = [
  { value: '15m', label: '15 min', ms: 15 * 60_000, refreshMs: 5_000 },
  { value: '1h', label: '1 h', ms: 3_600_000, refreshMs: 15_000 },
  { value: '6h', label: '6 h', ms: 6 * 3_600_000, refreshMs: 60_000 },
  { value: '24h', label: '24 h', ms: 86_400_000, refreshMs: 120_000 },
  { value: '7d', label: '7 d', ms: 7 * 86_400_000, refreshMs: 600_000 },
] as const;
export type HistoryRangeId = (typeof HISTORY_RANGES)[number]['value'];
export const DEFAULT_HISTORY_RANGE: HistoryRangeId = '24h';

/**
 * The window to show. The default range fits the data that exists: when the first sample is
 * younger than the range, the window starts there ("since first sample"), so an hour of history
 * is not a sliver at the right edge of an empty day. A range the user picked is shown whole.
 */
export function historyWindow(input: {
  rangeMs: number;
  picked: boolean;
  /** Epoch ms of the first sample in the range, null without samples. */
  firstSampleAt: number | null;
  now: number;
  /** The shortest window shown (default a minute, so a first sample seconds old still gives a readable axis). */
  minSpanMs?: number;
}): { from: number; to: number; sinceFirstSample: boolean } {
  const from = input.now - input.rangeMs;
  if (input.picked || input.firstSampleAt === null || input.firstSampleAt <= from)
    return { from, to: input.now, sinceFirstSample: false };
  const start = Math.min(input.firstSampleAt, input.now - (input.minSpanMs ?? 60_000));
  return { from: start, to: input.now, sinceFirstSample: true };
}

/**
 * How soon the panel reads again: as often as the window it shows needs, not the range's nominal
 * pace. A window that starts at the first sample is as short as the data, and one without any
 * reading yet (null) waits for its first, so neither waits the 24 h range's two minutes.
 */
export function historyRefreshMs(shownSpanMs: number | null): number {
  if (shownSpanMs === null) return HISTORY_RANGES[0].refreshMs;
  return (HISTORY_RANGES.find((r) => shownSpanMs <= r.ms) ?? HISTORY_RANGES.at(-1)!).refreshMs;
}

/** The first sample that holds a reading (a sample taken while still connecting holds none). */
export function firstReadingAt(
  samples: readonly Pick<MetricSample, 'at' | 'charge' | 'runtime' | 'load' | 'inputVoltage'>[],
): number | null {
  const first = samples.find(
    (s) => s.charge !== null || s.runtime !== null || s.load !== null || s.inputVoltage !== null,
  );
  return first?.at ?? null;
}

/** The events drawn on the time axis. SHUTDOWN is a host event (monitorId `*`). */
export const MARKER_TYPES = ['ONBATT', 'LOWBATT', 'FSD', 'SHUTDOWN'] as const;
export type MarkerType = (typeof MARKER_TYPES)[number];

export interface ChartMarker {
  at: number;
  type: MarkerType;
  /** One letter on the axis; the type in full in the tooltip. */
  short: string;
  label: string;
}

const SHORT: Record<MarkerType, string> = { ONBATT: 'B', LOWBATT: 'L', FSD: 'F', SHUTDOWN: 'S' };
const LABEL: Record<MarkerType, string> = {
  ONBATT: 'On battery (ONBATT)',
  LOWBATT: 'Low battery (LOWBATT)',
  FSD: 'Forced shutdown (FSD)',
  SHUTDOWN: 'Shutdown (SHUTDOWN)',
};

/** Markers for the window from the event log: notify events of the marker types, in time order. */
export function chartMarkers(
  events: readonly Pick<StoredEvent, 'at' | 'kind' | 'type'>[],
  from: number,
  to: number,
): ChartMarker[] {
  return events
    .filter(
      (e): e is typeof e & { type: MarkerType } =>
        e.kind === 'notify' &&
        (MARKER_TYPES as readonly string[]).includes(e.type) &&
        e.at >= from &&
        e.at <= to,
    )
    .map((e) => ({ at: e.at, type: e.type, short: SHORT[e.type], label: LABEL[e.type] }))
    .sort((a, b) => a.at - b.at);
}

/** A reading as exactly as it is stored (bucket averages keep a decimal): for the tooltip. */
export function exactValue(metric: Metric, value: number): string {
  const round = (v: number, digits: number) => String(Number(v.toFixed(digits)));
  switch (metric) {
    case 'charge':
    case 'load':
      return `${round(value, 1)} %`;
    case 'inputVoltage':
      return `${round(value, 1)} V`;
    case 'runtime': {
      const s = Math.round(value);
      const m = Math.floor(s / 60);
      return m === 0 ? `${s} s` : `${m} min ${String(s % 60).padStart(2, '0')} s (${s} s)`;
    }
  }
}

/**
 * A history chart's y-axis tick labels. Without data the axis of a metric with no fixed range is
 * a placeholder scale (0–1), whose ticks ("0s 0s 1s 1s") would mean nothing: none are shown.
 */
export function yTickLabels(
  axis: { metric: Metric; unit: string; fixedRange: boolean },
  splits: readonly number[],
  hasData: boolean,
): string[] {
  if (!hasData && !axis.fixedRange) return splits.map(() => '');
  return splits.map((v) =>
    axis.metric === 'runtime'
      ? formatRuntime(v).replace(' min', 'm').replace(' h', 'h').replace(' s', 's')
      : `${v}${axis.unit === '%' ? '%' : ` ${axis.unit}`}`,
  );
}
