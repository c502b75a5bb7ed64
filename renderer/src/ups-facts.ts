/**
 * What a UPS card says about the UPS itself: which one it is, its load in watts, where the master
 * sees this machine, and the one-hour sparkline's geometry. Pure functions (unit-tested).
 */
import type { MetricSample } from '../../shared/history';
import type { UpsSnapshot } from '../../shared/snapshot';

/** "American Power Conversion Back-UPS CS 350"; the maker is not repeated when the model names it. */
export function describeDevice(device: UpsSnapshot['device']): string | null {
  const { model, manufacturer } = device;
  if (model === null) return manufacturer;
  if (manufacturer === null) return model;
  return model.toLowerCase().startsWith(manufacturer.toLowerCase())
    ? model
    : `${manufacturer} ${model}`;
}

/** 36.45 → "36 W", 1234.5 → "1235 W"; null stays null (no watts shown). */
export function formatWatts(watts: number | null): string | null {
  if (watts === null || !Number.isFinite(watts)) return null;
  return `${Math.round(watts)} W`;
}

/** Where the watts come from, for the tooltip. */
export function wattsSource(source: UpsSnapshot['metrics']['realPowerSource']): string {
  return source === 'measured'
    ? 'Measured by the UPS (ups.realpower)'
    : 'Rated power × load (ups.realpower.nominal × ups.load)';
}

export interface SparklineGeometry {
  /** SVG path data per metric; gaps (no readings) break the line. Empty when no value. */
  charge: string;
  load: string;
  /** Points drawn per metric (for the label and tests). */
  points: { charge: number; load: number };
}

/**
 * The sparkline of charge and load (both 0–100 %) over [from, to] in a width × height box.
 * Consecutive samples further apart than 2.5 × the step (the query's bucket width, or the
 * sampling interval) are a gap: the line stops and starts again, it never bridges missing data.
 */
export function sparklineGeometry(
  samples: readonly Pick<MetricSample, 'at' | 'charge' | 'load'>[],
  range: { from: number; to: number; stepMs: number },
  box: { width: number; height: number },
): SparklineGeometry {
  const span = Math.max(1, range.to - range.from);
  const x = (at: number) => (((at - range.from) / span) * box.width).toFixed(1);
  const y = (v: number) =>
    (box.height - (Math.min(100, Math.max(0, v)) / 100) * (box.height - 2) - 1).toFixed(1);
  const gapMs = range.stepMs * 2.5;
  const build = (metric: 'charge' | 'load') => {
    let d = '';
    let count = 0;
    let prevAt: number | null = null;
    for (const s of samples) {
      const v = s[metric];
      if (s.at < range.from || s.at > range.to) continue;
      if (v === null || !Number.isFinite(v)) {
        prevAt = null;
        continue;
      }
      const join = prevAt !== null && s.at - prevAt <= gapMs;
      d += `${join ? 'L' : 'M'}${x(s.at)} ${y(v)}`;
      count += 1;
      prevAt = s.at;
    }
    return { d, count };
  };
  const charge = build('charge');
  const load = build('load');
  return { charge: charge.d, load: load.d, points: { charge: charge.count, load: load.count } };
}

/** The address line on the card and the clients view. */
export function masterSeesText(
  seen: UpsSnapshot['masterSees'],
  masterLabel: string,
): { text: string; note: string | null; tone: 'ok' | 'warn' | 'muted'; title: string } | null {
  if (seen.address === null) return null;
  const text = `${masterLabel} sees this machine as ${seen.address}`;
  const title =
    seen.check === 'listed'
      ? 'The master’s LIST CLIENT shows this address: this is what its allow-list must name.'
      : seen.check === 'not-listed'
        ? 'This machine is logged in, but the master’s LIST CLIENT does not show this address.'
        : 'This connection’s own address; not confirmed by the master (it does not list its clients, or this machine is not logged in).';
  if (seen.check === 'not-listed')
    return {
      text,
      note: 'This address is not in the master’s client list: a NAT, VPN or proxy in between may show it another address — allow the address its list shows.',
      tone: 'warn',
      title,
    };
  if (seen.previous !== null)
    return {
      text,
      note: `Changed from ${seen.previous}: the master’s allow-list (Synology Permitted DiskStation devices, Proxmox firewall) may still name the old address.`,
      tone: 'warn',
      title,
    };
  return { text, note: null, tone: seen.check === 'listed' ? 'ok' : 'muted', title };
}
