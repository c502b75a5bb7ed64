/**
 * The card's last hour: battery charge and load (both in %) as a small SVG sparkline from the
 * history store (like the History tab's default range, it starts at the first reading when
 * there is less than an hour, at least 5 min). One query per card every 30 s (every 5 s until there is a line to draw: a new
 * master's first minute shows up promptly), bucketed to at most 120 points, drawn only when
 * the data changes — status pushes every second do not touch it. Gaps stay gaps.
 */
import { memo, useEffect, useMemo, useState } from 'react';
import { type MetricSample, sampleBucketMs } from '../../../shared/history';
import { api } from '../api';
import { firstReadingAt, historyWindow } from '../history-range';
import { sparklineGeometry } from '../ups-facts';

const HOUR_MS = 3_600_000;
const REFRESH_MS = 30_000;
const REFRESH_EMPTY_MS = 5_000;
const MAX_POINTS = 120;
const WIDTH = 240;
const HEIGHT = 36;

const MIN_SPAN_MS = 5 * 60_000;

interface Window {
  samples: MetricSample[];
  from: number;
  to: number;
  stepMs: number;
  sinceFirstSample: boolean;
}

function useLastHour(monitorId: string): { data: Window | null; failed: boolean } {
  const [state, setState] = useState<{ data: Window | null; failed: boolean }>({
    data: null,
    failed: false,
  });
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = (points: number) => {
      if (!cancelled) timer = setTimeout(load, points >= 2 ? REFRESH_MS : REFRESH_EMPTY_MS);
    };
    const load = () => {
      const to = Date.now();
      const from = to - HOUR_MS;
      api
        .invoke('history:query-samples', { monitorId, from, to, maxPoints: MAX_POINTS })
        .then((samples) => {
          if (cancelled) return;
          const bucket = sampleBucketMs(from, to, MAX_POINTS);
          // Raw samples (fewer than the cap) are as far apart as the sampling interval.
          const stepMs = samples.length < MAX_POINTS ? medianStep(samples) || bucket : bucket;
          const window = historyWindow({
            rangeMs: HOUR_MS,
            picked: false,
            firstSampleAt: firstReadingAt(samples),
            now: to,
            minSpanMs: MIN_SPAN_MS,
          });
          setState({
            data: {
              samples,
              from: window.from,
              to,
              stepMs,
              sinceFirstSample: window.sinceFirstSample,
            },
            failed: false,
          });
          next(samples.length);
        })
        .catch(() => {
          if (cancelled) return;
          setState((s) => ({ ...s, failed: true }));
          next(0);
        });
    };
    load();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [monitorId]);
  return state;
}

function medianStep(samples: readonly MetricSample[]): number {
  const deltas: number[] = [];
  for (let i = 1; i < samples.length; i++) deltas.push(samples[i]!.at - samples[i - 1]!.at);
  deltas.sort((a, b) => a - b);
  return deltas[Math.floor(deltas.length / 2)] ?? 0;
}

function range(values: (number | null)[]): string | null {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (known.length === 0) return null;
  const lo = Math.round(Math.min(...known));
  const hi = Math.round(Math.max(...known));
  return lo === hi ? `${lo} %` : `${lo}–${hi} %`;
}

export const Sparkline = memo(function Sparkline({ monitorId }: { monitorId: string }) {
  const { data, failed } = useLastHour(monitorId);
  const geometry = useMemo(
    () =>
      data
        ? sparklineGeometry(
            data.samples,
            { from: data.from, to: data.to, stepMs: data.stepMs },
            { width: WIDTH, height: HEIGHT },
          )
        : null,
    [data],
  );
  const charge = data ? range(data.samples.map((s) => s.charge)) : null;
  const load = data ? range(data.samples.map((s) => s.load)) : null;
  const empty = geometry !== null && geometry.points.charge + geometry.points.load === 0;
  const period =
    data?.sinceFirstSample === true
      ? `Last ${Math.max(1, Math.round((data.to - data.from) / 60_000))} min`
      : 'Last hour';
  const label = failed
    ? `${period}: history could not be read`
    : geometry === null
      ? `${period}: loading`
      : empty
        ? `${period}: no readings recorded yet`
        : `${period}: charge ${charge ?? 'unknown'}, load ${load ?? 'unknown'}`;
  return (
    <figure
      className="sparkline"
      data-testid="sparkline"
      data-points-charge={geometry?.points.charge ?? 0}
      data-points-load={geometry?.points.load ?? 0}
    >
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={label}
      >
        <title>{label}</title>
        {geometry && (
          <>
            <path className="spark-charge" d={geometry.charge} data-testid="spark-charge" />
            <path className="spark-load" d={geometry.load} data-testid="spark-load" />
          </>
        )}
      </svg>
      <figcaption className="sparkline-caption" aria-hidden="true">
        <span data-testid="sparkline-period">{period}</span>
        <span className="spark-key spark-key-charge">charge {charge ?? '—'}</span>
        <span className="spark-key spark-key-load">load {load ?? '—'}</span>
      </figcaption>
    </figure>
  );
});
