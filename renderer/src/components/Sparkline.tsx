/**
 * The card's last hour: battery charge and load (both in %) as a small SVG sparkline from the
 * history store. One query per card every 30 s (bucketed to at most 120 points), drawn only when
 * the data changes — status pushes every second do not touch it. Gaps stay gaps.
 */
import { memo, useEffect, useMemo, useState } from 'react';
import { type MetricSample, sampleBucketMs } from '../../../shared/history';
import { api } from '../api';
import { sparklineGeometry } from '../ups-facts';

const HOUR_MS = 3_600_000;
const REFRESH_MS = 30_000;
const MAX_POINTS = 120;
const WIDTH = 240;
const HEIGHT = 36;

interface Window {
  samples: MetricSample[];
  from: number;
  to: number;
  stepMs: number;
}

function useLastHour(monitorId: string): { data: Window | null; failed: boolean } {
  const [state, setState] = useState<{ data: Window | null; failed: boolean }>({
    data: null,
    failed: false,
  });
  useEffect(() => {
    let cancelled = false;
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
          setState({ data: { samples, from, to, stepMs }, failed: false });
        })
        .catch(() => !cancelled && setState((s) => ({ ...s, failed: true })));
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
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
  const label = failed
    ? 'Last hour: history could not be read'
    : geometry === null
      ? 'Last hour: loading'
      : empty
        ? 'Last hour: no readings recorded yet'
        : `Last hour: charge ${charge ?? 'unknown'}, load ${load ?? 'unknown'}`;
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
        <span>Last hour</span>
        <span className="spark-key spark-key-charge">charge {charge ?? '—'}</span>
        <span className="spark-key spark-key-load">load {load ?? '—'}</span>
      </figcaption>
    </figure>
  );
});
