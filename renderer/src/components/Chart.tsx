/**
 * History charts (uPlot). Points further apart than the sampling step bracket a gap and are
 * drawn as a gap (a null point is inserted): no line is ever drawn across missing data.
 * On-battery periods are shaded; ONBATT, LOWBATT, FSD and SHUTDOWN are markers on the time axis;
 * hovering shows a tooltip with the exact time and value.
 */
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Metric, MetricSample } from '../../../shared/history';
import { formatDateTime, formatRuntime } from '../format';
import { type ChartMarker, exactValue, yTickLabels } from '../history-range';

export interface MetricSpec {
  metric: Metric;
  title: string;
  unit: string;
  format: (v: number) => string;
  range?: [number, number];
  colorVar: string;
}

export const METRIC_SPECS: MetricSpec[] = [
  {
    metric: 'charge',
    title: 'Battery charge',
    unit: '%',
    format: (v) => `${Math.round(v)} %`,
    range: [0, 104],
    colorVar: '--chart-charge',
  },
  {
    metric: 'runtime',
    title: 'Runtime',
    unit: 's',
    format: (v) => formatRuntime(v),
    colorVar: '--chart-runtime',
  },
  {
    metric: 'load',
    title: 'Load',
    unit: '%',
    format: (v) => `${Math.round(v)} %`,
    range: [0, 104],
    colorVar: '--chart-load',
  },
  {
    metric: 'inputVoltage',
    title: 'Input voltage',
    unit: 'V',
    format: (v) => `${v.toFixed(1)} V`,
    colorVar: '--chart-voltage',
  },
];

/** Median spacing of consecutive samples (robust against the gaps themselves). */
function typicalStep(times: number[]): number {
  const deltas: number[] = [];
  for (let i = 1; i < times.length; i++) deltas.push(times[i]! - times[i - 1]!);
  if (deltas.length === 0) return 0;
  deltas.sort((a, b) => a - b);
  return deltas[Math.floor(deltas.length / 2)]!;
}

export interface Series {
  /** Seconds (uPlot's default time unit). */
  x: number[];
  y: (number | null)[];
  onBattery: [number, number][];
}

/** Build chart series with explicit gaps. `bucketMs`: the query's bucket width. */
export function buildSeries(samples: MetricSample[], metric: Metric, bucketMs: number): Series {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const step = Math.max(bucketMs, typicalStep(sorted.map((s) => s.at)));
  const gapMs = step * 2.5;
  const x: number[] = [];
  const y: (number | null)[] = [];
  const onBattery: [number, number][] = [];
  let obStart: number | null = null;
  let prev: MetricSample | null = null;
  for (const s of sorted) {
    if (prev && s.at - prev.at > gapMs) {
      x.push((prev.at + step) / 1000);
      y.push(null);
      if (obStart !== null) {
        onBattery.push([obStart, prev.at + step]);
        obStart = null;
      }
    }
    x.push(s.at / 1000);
    y.push(s[metric]);
    const ob = s.status !== null && /\bOB\b/.test(s.status);
    if (ob && obStart === null) obStart = s.at;
    if (!ob && obStart !== null) {
      onBattery.push([obStart, s.at]);
      obStart = null;
    }
    prev = s;
  }
  if (obStart !== null && prev) onBattery.push([obStart, prev.at + step]);
  return { x, y, onBattery };
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const exactFmt = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Markers as DOM elements on the plot's overlay: focusable, with their own tooltip. */
function placeMarkers(u: uPlot, markers: readonly ChartMarker[]): void {
  u.over.querySelectorAll('.chart-marker').forEach((el) => el.remove());
  for (const m of markers) {
    const left = u.valToPos(m.at / 1000, 'x');
    if (!Number.isFinite(left) || left < 0 || left > u.over.clientWidth) continue;
    const el = document.createElement('span');
    el.className = `chart-marker marker-${m.type.toLowerCase()}`;
    el.dataset.testid = 'chart-marker';
    el.dataset.type = m.type;
    el.dataset.at = String(m.at);
    el.style.left = `${left}px`;
    el.textContent = m.short;
    el.title = `${m.label} at ${exactFmt.format(new Date(m.at))}`;
    el.setAttribute('aria-label', el.title);
    u.over.appendChild(el);
  }
}

const secondsFmt = new Intl.DateTimeFormat(undefined, {
  hour: 'numeric',
  minute: '2-digit',
  second: '2-digit',
});

/** Axis labels in the user's locale: seconds for a few minutes, times for a day or less, weekdays beyond. */
function timeLabels(splits: number[], spanMs: number): string[] {
  return splits.map((s) => {
    const d = new Date(s * 1000);
    if (spanMs <= 10 * 60_000) return secondsFmt.format(d);
    if (spanMs <= 36 * 3_600_000) return timeFmt.format(d);
    return d.getHours() === 0 && d.getMinutes() === 0 ? dayFmt.format(d) : fullFmt.format(d);
  });
}

/** A y range around the data, never zero-height (a constant runtime still gets readable ticks). */
function paddedRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const pad = Math.max((max - min) * 0.15, Math.abs(max) * 0.08, 1);
  return [Math.max(0, min - pad), max + pad];
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function useColorScheme(): string {
  const [scheme, setScheme] = useState(() =>
    window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
  );
  useEffect(() => {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => setScheme(mq.matches ? 'dark' : 'light');
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, []);
  return scheme;
}

/** Memoised: status pushes re-render the page every second, the chart only when its data changes. */
export const MetricChart = memo(function MetricChart({
  spec,
  series,
  from,
  to,
  width,
  markers = [],
  testId,
}: {
  spec: MetricSpec;
  series: Series;
  from: number;
  to: number;
  width: number;
  markers?: readonly ChartMarker[];
  testId?: string;
}) {
  const target = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLSpanElement>(null);
  const plot = useRef<uPlot | null>(null);
  const scheme = useColorScheme();
  const values = useMemo(() => series.y.filter((v): v is number => v !== null), [series]);
  const latest = values.at(-1);

  useEffect(() => {
    const el = target.current;
    if (!el || width < 50) return;
    const axis = cssVar('--chart-axis', '#667');
    const grid = cssVar('--chart-grid', 'rgba(127,127,127,.15)');
    const stroke = cssVar(spec.colorVar, '#2563eb');
    const shade = cssVar('--chart-onbatt', 'rgba(217,119,6,.14)');
    const markerColor = cssVar('--chart-marker', '#b45309');
    const tooltip = document.createElement('div');
    tooltip.className = 'chart-tooltip';
    tooltip.dataset.testid = 'chart-tooltip';
    tooltip.hidden = true;
    const opts: uPlot.Options = {
      width,
      height: 180,
      padding: [8, 8, 0, 0],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      scales: {
        x: { time: true, range: () => [from / 1000, to / 1000] },
        y: spec.range
          ? { range: () => spec.range! }
          : { range: (_u, min, max) => paddedRange(min, max) },
      },
      axes: [
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          font: '11px system-ui, sans-serif',
          values: (_u, splits) => timeLabels(splits, to - from),
          space: 72,
        },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          size: 64,
          font: '11px system-ui, sans-serif',
          splits: spec.range ? () => [0, 25, 50, 75, 100] : undefined,
          values: (_u, splits) =>
            yTickLabels(
              { metric: spec.metric, unit: spec.unit, fixedRange: spec.range !== undefined },
              splits,
              values.length > 0,
            ),
        },
      ],
      series: [
        { value: (_u, v) => (v === null ? '—' : formatDateTime(v * 1000)) },
        {
          label: spec.title,
          stroke,
          width: 2,
          fill: `${stroke}22`,
          spanGaps: false,
          points: { show: false },
          value: (_u, v) => (v === null ? 'no data' : spec.format(v)),
        },
      ],
      hooks: {
        setCursor: [
          (u) => {
            const el = readout.current;
            if (!el) return;
            const i = u.cursor.idx;
            if (i === null || i === undefined) {
              el.textContent = '';
              return;
            }
            const t = u.data[0][i];
            const v = u.data[1]?.[i];
            el.textContent =
              t === undefined
                ? ''
                : `${fullFmt.format(new Date(t * 1000))}: ${v === null || v === undefined ? 'no data' : spec.format(v)}`;
          },
          (u) => {
            const i = u.cursor.idx;
            const t = i === null || i === undefined ? undefined : u.data[0][i];
            if (t === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
              tooltip.hidden = true;
              return;
            }
            const v = u.data[1]?.[i!];
            tooltip.textContent = '';
            const time = document.createElement('span');
            time.className = 'chart-tooltip-time';
            time.textContent = exactFmt.format(new Date(t * 1000));
            const value = document.createElement('strong');
            value.dataset.testid = 'chart-tooltip-value';
            value.textContent =
              v === null || v === undefined ? 'no data' : exactValue(spec.metric, v);
            tooltip.append(time, value);
            tooltip.hidden = false;
            const x = u.valToPos(t, 'x');
            const flip = x > u.over.clientWidth - 150;
            tooltip.style.left = `${flip ? x - 8 : x + 8}px`;
            tooltip.style.transform = flip ? 'translateX(-100%)' : '';
            tooltip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - 36)}px`;
          },
        ],
        drawClear: [
          (u) => {
            const { ctx, bbox } = u;
            ctx.save();
            ctx.fillStyle = shade;
            for (const [a, b] of series.onBattery) {
              const x0 = Math.max(bbox.left, u.valToPos(a / 1000, 'x', true));
              const x1 = Math.min(bbox.left + bbox.width, u.valToPos(b / 1000, 'x', true));
              if (x1 > x0) ctx.fillRect(x0, bbox.top, Math.max(1, x1 - x0), bbox.height);
            }
            ctx.restore();
          },
        ],
        draw: [
          (u) => {
            // A dashed line through the plot for each marker; the letter sits on the time axis.
            const { ctx, bbox } = u;
            ctx.save();
            ctx.strokeStyle = markerColor;
            ctx.lineWidth = Math.max(1, devicePixelRatio);
            ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
            for (const m of markers) {
              const x = u.valToPos(m.at / 1000, 'x', true);
              if (x < bbox.left || x > bbox.left + bbox.width) continue;
              ctx.beginPath();
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
            }
            ctx.restore();
            placeMarkers(u, markers);
          },
        ],
      },
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, [series.x, series.y], el);
    plot.current.over.appendChild(tooltip);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series, values, spec, from, to, width, scheme, markers]);

  const summary = useMemo(() => {
    if (values.length === 0) return 'No data in this period.';
    const min = Math.min(...values);
    const max = Math.max(...values);
    return `From ${spec.format(min)} to ${spec.format(max)}${latest !== undefined ? `, latest ${spec.format(latest)}` : ''}.`;
  }, [values, spec, latest]);

  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>
        <span className="chart-title">{spec.title}</span>
        <span className="chart-readout" ref={readout} aria-hidden="true" />
        <span className="chart-latest">
          {latest === undefined ? 'no data' : spec.format(latest)}
        </span>
      </figcaption>
      <div
        ref={target}
        className="chart-canvas"
        role="img"
        aria-label={`${spec.title}: ${summary}`}
      />
      {values.length === 0 && <div className="chart-empty">No data in this period</div>}
    </figure>
  );
});
