/**
 * Battery health from what the UPS says and what its outages showed: the battery's age, its
 * REPLBATT history, the last self-test result, and a capacity estimate from real discharges —
 * and, from those, whether (and why) to replace it. Pure: the core passes records, events and
 * variables in.
 *
 * Capacity. For each outage of useful length since the battery was installed, the least-squares
 * discharge rate r (charge %/min) at the mean load L (%) gives the equivalent minutes a full
 * charge lasts at 100 % load, L / r (linear in load: a first-order model, it ignores Peukert's
 * effect, so outages at very different loads compare less well). The first outages of the
 * battery are its baseline; each later one is a percentage of it, with one standard error
 * propagated from the fits' rate errors. Fewer than two useful outages give no number at all.
 */
import type {
  BatteryHealth,
  CapacityEstimate,
  CapacityPoint,
  OutageRecord,
  ReplaceReason,
} from '../../shared/outages';
import { replaceReminder } from '../../shared/outages';

export interface CapacitySettings {
  /** Outages at least this long count. */
  usefulOutageMinutes: number;
}

export interface HealthSettings extends CapacitySettings {
  maxAgeYears: number;
  capacityDriftPercent: number;
}

const YEAR_MS = 365.25 * 86_400_000;
/** Smallest charge drop that says anything about a rate (the UPS reports whole percent). */
const MIN_DROP = 2;

function minutesText(minutes: number): string {
  return minutes >= 1
    ? `${Number(minutes.toFixed(1))} minutes`
    : `${Math.round(minutes * 60)} seconds`;
}

/** Why an outage cannot be used for the capacity estimate, or null when it can. */
export function unusableReason(record: OutageRecord, settings: CapacitySettings): string | null {
  if (record.endedAt === null) return 'still in progress';
  if (record.durationMs < settings.usefulOutageMinutes * 60_000)
    return `shorter than ${minutesText(settings.usefulOutageMinutes)}`;
  const fit = record.discharge;
  if (!fit || fit.points < 3) return 'too few charge readings';
  if (record.chargeAtStart === null || record.lowestCharge === null) return 'no charge readings';
  if (record.chargeAtStart - record.lowestCharge < MIN_DROP)
    return `the charge fell less than ${MIN_DROP} %`;
  if (!(fit.ratePerMinute > 0)) return 'the charge did not fall';
  if (record.meanLoad === null || record.meanLoad <= 0) return 'no load readings';
  return null;
}

function weightedMean(values: readonly { v: number; se: number }[]): { v: number; se: number } {
  // Inverse-variance weights; a zero error (a perfect fit) gets a small floor so it cannot take all the weight.
  const weights = values.map(({ v, se }) => 1 / Math.max(se, Math.abs(v) * 1e-3) ** 2);
  const total = weights.reduce((a, b) => a + b, 0);
  const v = values.reduce((sum, x, i) => sum + x.v * weights[i]!, 0) / total;
  return { v, se: Math.sqrt(1 / total) };
}

/**
 * The capacity estimate. `records` are every outage of this UPS (any order); `since` (epoch ms)
 * is when the current battery went in — older outages belong to another battery.
 */
export function estimateCapacity(
  records: readonly OutageRecord[],
  settings: CapacitySettings,
  since: number | null = null,
): CapacityEstimate {
  const usable = records
    .filter((r) => (since === null || r.startedAt >= since) && unusableReason(r, settings) === null)
    .sort((a, b) => a.startedAt - b.startedAt);
  const need = `an outage of at least ${minutesText(settings.usefulOutageMinutes)}`;
  const base: Omit<CapacityEstimate, 'state' | 'message'> = {
    usableOutages: usable.length,
    percent: null,
    uncertainty: null,
    slopePerYear: null,
    slopeUncertainty: null,
    points: [],
  };
  if (usable.length === 0)
    return {
      ...base,
      state: 'needs-data',
      message: `No capacity estimate yet: it needs one ${need.replace(/^an /, '')} on this battery.`,
    };

  const measured = usable.map((r) => {
    const fit = r.discharge!;
    const load = r.meanLoad!;
    const fullLoadMinutes = load / fit.ratePerMinute;
    const relative = (fit.rateStdError ?? 0) / fit.ratePerMinute;
    const before = r.onLineBefore;
    // What this discharge implies for a full charge, at the load the on-line estimate was made at.
    let runtimeRatio: number | null = null;
    if (before?.runtimeSeconds && before.charge !== null && before.charge >= 95) {
      const onLineLoad = before.load ?? load;
      const impliedSeconds = ((100 / fit.ratePerMinute) * 60 * load) / Math.max(onLineLoad, 1e-9);
      runtimeRatio = impliedSeconds / before.runtimeSeconds;
    }
    return { r, fit, load, fullLoadMinutes, relative, runtimeRatio };
  });

  const baselineCount = usable.length >= 4 ? 2 : 1;
  const baselineItems = measured.slice(0, baselineCount);
  const baseline = weightedMean(
    baselineItems.map((m) => ({ v: m.fullLoadMinutes, se: m.fullLoadMinutes * m.relative })),
  );
  const baselineRelative = baseline.se / baseline.v;

  const points: CapacityPoint[] = measured.map((m, index) => {
    const isBaseline = index < baselineCount;
    const percent = isBaseline ? null : (100 * m.fullLoadMinutes) / baseline.v;
    return {
      outageId: m.r.id,
      at: m.r.startedAt,
      load: m.load,
      ratePerMinute: m.fit.ratePerMinute,
      fullLoadMinutes: m.fullLoadMinutes,
      percent,
      uncertainty:
        percent === null ? null : percent * Math.sqrt(m.relative ** 2 + baselineRelative ** 2),
      runtimeRatio: m.runtimeRatio,
      baseline: isBaseline,
    };
  });

  const compared = points.filter((p) => !p.baseline);
  if (compared.length === 0)
    return {
      ...base,
      points,
      state: 'baseline',
      message: `Baseline from 1 outage (${points[0]!.fullLoadMinutes.toFixed(1)} min at full load); a capacity estimate needs one more ${need.replace(/^an /, '')}.`,
    };

  // Latest: the last comparison (up to the last two, averaged by their errors).
  const latest = weightedMean(
    compared.slice(-2).map((p) => ({ v: p.percent!, se: Math.max(p.uncertainty!, 0.1) })),
  );
  let slopePerYear: number | null = null;
  let slopeUncertainty: number | null = null;
  if (compared.length >= 2) {
    const xs = compared.map((p) => (p.at - compared[0]!.at) / YEAR_MS);
    const ys = compared.map((p) => p.percent!);
    const n = xs.length;
    const mx = xs.reduce((a, b) => a + b, 0) / n;
    const my = ys.reduce((a, b) => a + b, 0) / n;
    const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    // A slope per year from outages minutes apart would be noise scaled up: it needs a month's spread.
    const spreadMs = compared.at(-1)!.at - compared[0]!.at;
    if (sxx > 0 && spreadMs >= 30 * 86_400_000) {
      const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
      slopePerYear = sxy / sxx;
      if (n >= 3) {
        const residual = ys.reduce(
          (a, y, i) => a + (y - (my + slopePerYear! * (xs[i]! - mx))) ** 2,
          0,
        );
        slopeUncertainty = Math.sqrt(residual / (n - 2) / sxx);
      }
    }
  }
  return {
    ...base,
    points,
    state: 'trend',
    percent: latest.v,
    uncertainty: latest.se,
    slopePerYear,
    slopeUncertainty,
    message: `Capacity ${Math.round(latest.v)} % ± ${Math.max(1, Math.round(latest.se))} of this battery's first outage${baselineCount > 1 ? 's' : ''} (${usable.length} outages of useful length).`,
  };
}

/** battery.date / battery.mfr.date as YYYY-MM-DD: `2021/03/15`, `2021-03-15`, `03/15/21` (APC), `03/15/2021`, `2021/03`. */
export function parseBatteryDate(text: string): string | null {
  const value = text.trim();
  const pad = (n: number) => String(n).padStart(2, '0');
  const valid = (y: number, m: number, d: number) => {
    const date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
      ? `${y}-${pad(m)}-${pad(d)}`
      : null;
  };
  let match = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$/.exec(value);
  if (match) return valid(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(value);
  if (match) {
    const year = match[3]!.length === 2 ? 2000 + Number(match[3]) : Number(match[3]);
    return valid(year, Number(match[1]), Number(match[2]));
  }
  match = /^(\d{4})[/.-](\d{1,2})$/.exec(value);
  if (match) return valid(Number(match[1]), Number(match[2]), 1);
  return null;
}

export interface HealthInput {
  monitorId: string;
  now: number;
  settings: HealthSettings;
  /** The config's batteryReplacedOn (YYYY-MM-DD). */
  replacedOn: string | null;
  variables: ReadonlyMap<string, string>;
  status: string | null;
  records: readonly OutageRecord[];
  /** REPLBATT events of this UPS, any order. */
  replbattEvents: readonly { at: number; message: string }[];
  /** Stored self-test results (main/ups-commands), any order; skips and refusals say nothing about the battery. */
  selfTests?: readonly { at: number; result: string; testResult: string | null; reason: string }[];
}

/** Self-test results that say the battery failed (NUT's ups.test.result vocabulary and the usual driver texts). */
export function selfTestFailed(result: string | null): boolean {
  if (!result) return false;
  return (
    /\b(fail(ed|ure)?|error|bad battery|replace)\b/i.test(result) && !/\bno test\b/i.test(result)
  );
}

function sinceMsOf(replacedOn: string | null): number | null {
  return replacedOn ? Date.parse(`${replacedOn}T00:00:00Z`) : null;
}

export function batteryHealth(input: HealthInput): BatteryHealth {
  const { settings, variables } = input;
  let since: string | null = null;
  let source: BatteryHealth['age']['source'] = null;
  let unreadable: string | null = null;
  if (input.replacedOn) {
    since = input.replacedOn;
    source = 'config';
  } else {
    for (const name of ['battery.date', 'battery.mfr.date'] as const) {
      const raw = variables.get(name);
      if (raw === undefined || raw.trim() === '') continue;
      const parsed = parseBatteryDate(raw);
      if (parsed) {
        since = parsed;
        source = name;
        break;
      }
      unreadable ??= `${name} = "${raw}"`;
    }
  }
  const sinceMs = since === null ? null : Date.parse(`${since}T00:00:00Z`);
  const years = sinceMs === null ? null : Math.max(0, (input.now - sinceMs) / YEAR_MS);

  const current = /\bRB\b/.test((input.status ?? '').toUpperCase());
  const history = [...input.replbattEvents].sort((a, b) => b.at - a.at);
  const testResult = variables.get('ups.test.result') ?? null;
  const selfTests = [...(input.selfTests ?? [])]
    .filter((t) => t.result === 'passed' || t.result === 'failed' || t.result === 'unknown')
    .sort((a, b) => b.at - a.at);
  const lastStored = selfTests.find((t) => t.result !== 'unknown') ?? null;
  // The newest word wins: a stored failure of this battery, unless the UPS now reads a pass.
  const storedFailed =
    lastStored !== null &&
    lastStored.result === 'failed' &&
    (sinceMsOf(input.replacedOn) ?? -Infinity) <= lastStored.at;
  const failed = selfTestFailed(testResult) || (storedFailed && !/\bpass/i.test(testResult ?? ''));
  const capacity = estimateCapacity(input.records, settings, sinceMs);

  const reasons: ReplaceReason[] = [];
  if (years !== null && years >= settings.maxAgeYears)
    reasons.push({
      kind: 'age',
      text: `the battery is ${years.toFixed(1)} years old (since ${since}, ${source}; replace after ${settings.maxAgeYears})`,
    });
  const replbattSince = history.filter((e) => sinceMs === null || e.at >= sinceMs);
  if (current) reasons.push({ kind: 'replbatt', text: 'the UPS reports REPLBATT (RB) now' });
  else if (replbattSince.length > 0)
    reasons.push({
      kind: 'replbatt',
      text: `the UPS reported REPLBATT on ${new Date(replbattSince[0]!.at).toISOString().slice(0, 10)}`,
    });
  if (failed)
    reasons.push({
      kind: 'self-test',
      text: selfTestFailed(testResult)
        ? `the last self-test says "${testResult}"`
        : `the self-test of ${new Date(lastStored!.at).toISOString().slice(0, 10)} failed (${lastStored!.testResult ?? lastStored!.reason})`,
    });
  if (
    capacity.state === 'trend' &&
    capacity.percent !== null &&
    capacity.percent + (capacity.uncertainty ?? 0) < 100 - settings.capacityDriftPercent
  )
    reasons.push({
      kind: 'capacity',
      text: `capacity down to ${Math.round(capacity.percent)} % ± ${Math.max(1, Math.round(capacity.uncertainty ?? 0))} of its first outages (threshold ${100 - settings.capacityDriftPercent} %)`,
    });
  return {
    monitorId: input.monitorId,
    age: { since, source, years, unreadable },
    replbatt: { current, history },
    selfTest: { result: testResult, failed, history: selfTests.slice(0, 50) },
    capacity,
    reasons,
    reminder: replaceReminder(reasons),
  };
}
