/**
 * Outage records and battery health: what the core derives from status transitions and readings
 * (main/outages), what the Outages view, the UPS detail and `nut-sentinel outages` show, and what
 * the IPC contract carries. Missing data stays null — an energy figure, a capacity or a runtime
 * is never made up from too little.
 */
import * as z from 'zod';

/** How an outage ended, from this machine's point of view. */
export const OutageEndSchema = z.enum([
  /** The UPS was read on line again. */
  'power-back',
  /** The shutdown sequence ran (this machine, or FSD from the master) and monitoring stopped. */
  'shutdown',
  /** The UPS could no longer be read while on battery (the master or the UPS went down). */
  'comm-lost',
  /** NUT Sentinel stopped during the outage and found the UPS on line when it came back. */
  'monitoring-stopped',
]);
export type OutageEnd = z.infer<typeof OutageEndSchema>;

export const OUTAGE_END_TEXT: Readonly<Record<OutageEnd, string>> = {
  'power-back': 'power back',
  shutdown: 'shutdown',
  'comm-lost': 'communication lost',
  'monitoring-stopped': 'monitoring stopped',
};

export const OutageEventSchema = z.object({
  at: z.number(),
  type: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  message: z.string(),
});
export type OutageEvent = z.infer<typeof OutageEventSchema>;

export const OutageLogoutSchema = z.object({
  address: z.string(),
  hostname: z.string().nullable(),
  /** Epoch ms of the first LIST CLIENT read without it. */
  at: z.number(),
});

/** Least-squares fit of charge over time while on battery. */
export const DischargeFitSchema = z.object({
  /** Charge lost per minute (percentage points), > 0 while discharging. */
  ratePerMinute: z.number(),
  /** Standard error of that rate (null with fewer than three points). */
  rateStdError: z.number().nullable(),
  points: z.number().int(),
  /** Time between the first and the last point used, ms. */
  spanMs: z.number(),
});
export type DischargeFit = z.infer<typeof DischargeFitSchema>;

export const OutageRecordSchema = z.object({
  id: z.string(),
  monitorId: z.string(),
  /** Epoch ms of the first on-battery read. */
  startedAt: z.number(),
  /** Epoch ms it ended; null while the outage is in progress. */
  endedAt: z.number().nullable(),
  endedBy: OutageEndSchema.nullable(),
  /** endedAt − startedAt, or the time so far. */
  durationMs: z.number(),
  chargeAtStart: z.number().nullable(),
  chargeAtEnd: z.number().nullable(),
  lowestCharge: z.number().nullable(),
  /** battery.runtime (s) at the first on-battery read: what the UPS promised. */
  runtimeAtStartSeconds: z.number().nullable(),
  /** The last on-line read before the outage (the UPS's full-charge estimate, when charged). */
  onLineBefore: z
    .object({
      at: z.number(),
      charge: z.number().nullable(),
      runtimeSeconds: z.number().nullable(),
      load: z.number().nullable(),
    })
    .nullable(),
  /** Mean ups.load (%) over the on-battery reads that had one. */
  meanLoad: z.number().nullable(),
  /** Energy drawn from the battery, Wh; null when neither ups.realpower nor load × ups.realpower.nominal was known. */
  energyWh: z.number().nullable(),
  energySource: z.enum(['ups.realpower', 'load × ups.realpower.nominal']).nullable(),
  /** Share of the outage the energy covers (0…1): power was known over this part of it. */
  energyCoverage: z.number(),
  discharge: DischargeFitSchema.nullable(),
  /** The events logged for this UPS in between (at most 200). */
  events: z.array(OutageEventSchema),
  /** LIST CLIENT at the start; null when the server could not list. */
  clientsAtStart: z.array(z.string()).nullable(),
  /** Secondaries that logged out during the outage, in order. */
  logouts: z.array(OutageLogoutSchema),
  /** What the what-if timeline predicted at the first on-battery read (main/what-if), to set against what happened. */
  prediction: z
    .object({
      verdict: z.enum(['ok', 'tight', 'negative', 'unknown']),
      headline: z.string(),
      /** Seconds after the start, as predicted; null where the timeline did not know. */
      lowBatteryAtSeconds: z.number().nullable(),
      secondariesDownAtSeconds: z.number().nullable(),
      emptyAtSeconds: z.number().nullable(),
      marginSeconds: z.number().nullable(),
    })
    .nullable()
    .default(null),
});
export type OutageRecord = z.infer<typeof OutageRecordSchema>;

/** A list row: an outage, or a run of consecutive blips shorter than `outages.blipSeconds`. */
export type OutageListItem =
  | { kind: 'outage'; record: OutageRecord }
  | {
      kind: 'blips';
      count: number;
      firstAt: number;
      lastAt: number;
      totalMs: number;
      ids: string[];
    };

/** Whether a record is a blip: ended, and shorter than the blip length. In-progress outages never are. */
export function isBlip(record: OutageRecord, blipSeconds: number): boolean {
  return record.endedAt !== null && record.durationMs < blipSeconds * 1000;
}

/**
 * Groups blips: consecutive records (newest first, as listed) shorter than `blipSeconds` become
 * one row with their count; every longer outage stays its own row.
 */
export function groupOutages(
  records: readonly OutageRecord[],
  blipSeconds: number,
): OutageListItem[] {
  const items: OutageListItem[] = [];
  for (const record of records) {
    if (!isBlip(record, blipSeconds)) {
      items.push({ kind: 'outage', record });
      continue;
    }
    const last = items.at(-1);
    if (last?.kind === 'blips') {
      last.count += 1;
      last.firstAt = Math.min(last.firstAt, record.startedAt);
      last.lastAt = Math.max(last.lastAt, record.startedAt);
      last.totalMs += record.durationMs;
      last.ids.push(record.id);
    } else {
      items.push({
        kind: 'blips',
        count: 1,
        firstAt: record.startedAt,
        lastAt: record.startedAt,
        totalMs: record.durationMs,
        ids: [record.id],
      });
    }
  }
  return items;
}

export const OutageListRequestSchema = z.object({
  /** One UPS (`master/ups`), or every UPS. */
  monitorId: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(5000).default(500),
});

export const OutageListSchema = z.object({
  /** Newest first. */
  records: z.array(OutageRecordSchema),
  /** The blip length in force (`outages.blipSeconds`): shorter outages are grouped. */
  blipSeconds: z.number(),
  /** Blips among `records`. */
  blipCount: z.number().int(),
});
export type OutageList = z.infer<typeof OutageListSchema>;

export const OutageGetRequestSchema = z.object({ id: z.string().min(1) });

export const BatteryHealthRequestSchema = z.object({ monitorId: z.string().min(1) });

/** The event type of a battery-replacement reminder (kind `system`; data.kinds: the reasons' kinds). */
export const BATTERY_REPLACE_EVENT = 'BATTERY_REPLACE';
/** The event type logged when an outage record is complete. */
export const OUTAGE_RECORDED_EVENT = 'OUTAGE_RECORDED';

export const OutageExportRequestSchema = z.object({
  monitorId: z.string().min(1).optional(),
  format: z.enum(['csv', 'json']),
});

export const OutageExportSchema = z.object({
  content: z.string(),
  fileName: z.string(),
  mimeType: z.string(),
  count: z.number().int(),
});
export type OutageExport = z.infer<typeof OutageExportSchema>;

/** The CSV columns, in order (one row per outage; events and logouts condensed into one cell each). */
export const OUTAGE_CSV_COLUMNS = [
  'id',
  'ups',
  'started_utc',
  'ended_utc',
  'duration_s',
  'ended_by',
  'charge_start_pct',
  'charge_end_pct',
  'lowest_charge_pct',
  'runtime_at_start_s',
  'mean_load_pct',
  'energy_wh',
  'energy_source',
  'discharge_pct_per_min',
  'logouts',
  'events',
] as const;

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function round(value: number | null, digits: number): number | null {
  if (value === null) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** RFC 4180 CSV (CRLF line ends, a header row); empty cells are unknown values. */
export function outagesToCsv(records: readonly OutageRecord[]): string {
  const rows = records.map((r) =>
    [
      r.id,
      r.monitorId,
      iso(r.startedAt),
      iso(r.endedAt),
      Math.round(r.durationMs / 1000),
      r.endedBy,
      round(r.chargeAtStart, 1),
      round(r.chargeAtEnd, 1),
      round(r.lowestCharge, 1),
      round(r.runtimeAtStartSeconds, 0),
      round(r.meanLoad, 1),
      round(r.energyWh, 1),
      r.energySource,
      round(r.discharge?.ratePerMinute ?? null, 3),
      r.logouts.map((l) => `${l.hostname ?? l.address}@${iso(l.at)}`).join('; '),
      r.events.map((e) => `${e.type}@${iso(e.at)}`).join('; '),
    ]
      .map(csvCell)
      .join(','),
  );
  return [OUTAGE_CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// Battery health

export const CapacityPointSchema = z.object({
  outageId: z.string(),
  at: z.number(),
  /** Mean load during the outage, %. */
  load: z.number(),
  ratePerMinute: z.number(),
  /** Equivalent minutes at 100 % load from a full charge: load / rate (linear in load). */
  fullLoadMinutes: z.number(),
  /** Capacity relative to the baseline, % (null for the baseline outages themselves). */
  percent: z.number().nullable(),
  /** One standard error of `percent`, percentage points. */
  uncertainty: z.number().nullable(),
  /** What this discharge implies for a full charge at the on-line load, vs battery.runtime read on line before it. */
  runtimeRatio: z.number().nullable(),
  baseline: z.boolean(),
});
export type CapacityPoint = z.infer<typeof CapacityPointSchema>;

export const CapacityEstimateSchema = z.object({
  state: z.enum(['needs-data', 'baseline', 'trend']),
  /** In words, including what is missing ("needs one outage of at least 5 minutes"). */
  message: z.string(),
  /** Outages of useful length since this battery was installed. */
  usableOutages: z.number().int(),
  /** Latest capacity relative to the first outages of this battery, % (trend only). */
  percent: z.number().nullable(),
  uncertainty: z.number().nullable(),
  /** Fitted change per year, percentage points (two or more comparisons, spread over time). */
  slopePerYear: z.number().nullable(),
  slopeUncertainty: z.number().nullable(),
  points: z.array(CapacityPointSchema),
});
export type CapacityEstimate = z.infer<typeof CapacityEstimateSchema>;

export const ReplaceReasonSchema = z.object({
  kind: z.enum(['age', 'replbatt', 'self-test', 'capacity']),
  text: z.string(),
});
export type ReplaceReason = z.infer<typeof ReplaceReasonSchema>;

export const BatteryHealthSchema = z.object({
  monitorId: z.string(),
  age: z.object({
    /** YYYY-MM-DD the battery was installed (or made), null when unknown. */
    since: z.string().nullable(),
    source: z.enum(['config', 'battery.date', 'battery.mfr.date']).nullable(),
    years: z.number().nullable(),
    /** A battery.date the UPS reports but that could not be read as a date. */
    unreadable: z.string().nullable(),
  }),
  replbatt: z.object({
    /** RB in ups.status now. */
    current: z.boolean(),
    /** REPLBATT events in the log, newest first. */
    history: z.array(z.object({ at: z.number(), message: z.string() })),
  }),
  selfTest: z.object({
    /** ups.test.result as last read. */
    result: z.string().nullable(),
    /** The reading, or the last stored self-test (main/ups-commands), says the battery failed. */
    failed: z.boolean(),
    /** Stored self-test results (main/ups-commands), newest first. */
    history: z
      .array(
        z.object({
          at: z.number(),
          result: z.string(),
          testResult: z.string().nullable(),
          reason: z.string(),
        }),
      )
      .default([]),
  }),
  capacity: CapacityEstimateSchema,
  reasons: z.array(ReplaceReasonSchema),
  /** One line for the card and the tray, null when nothing says to replace the battery. */
  reminder: z.string().nullable(),
});
export type BatteryHealth = z.infer<typeof BatteryHealthSchema>;

/** The one line the card, the tray and the notification use. */
export function replaceReminder(reasons: readonly ReplaceReason[]): string | null {
  if (reasons.length === 0) return null;
  return `Replace the battery: ${reasons.map((r) => r.text).join('; ')}`;
}
