/**
 * What the event log and the metrics history hold. Shared because the renderer shows both and
 * the IPC contract carries them; the store lives in main/history.
 */
import * as z from 'zod';

export const EventKindSchema = z.enum([
  /** A upsmon-style notification (ONBATT, LOWBATT, …) or one of ours (LOGIN_REFUSED, …). */
  'notify',
  /** A hook or shutdown-command run, with its output and exit code. */
  'hook',
  /** Connection, login, configuration and app lifecycle facts. */
  'system',
  /** FSD test steps and reports. */
  'fsd-test',
]);
export type EventKind = z.infer<typeof EventKindSchema>;

export const SeveritySchema = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof SeveritySchema>;

export const StoredEventSchema = z.object({
  id: z.number().int().optional(),
  /** Epoch milliseconds. */
  at: z.number(),
  /** `master-id/ups-name`, or `*` for events not tied to one UPS (SHUTDOWN, app start). */
  monitorId: z.string(),
  kind: EventKindSchema,
  /** NotifyType for `notify`, or a short machine name (`HOOK_RUN`, `LOGIN`, `SHUTDOWN_COMMAND`, …): one scheme, upsmon's. */
  type: z.string(),
  severity: SeveritySchema,
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type StoredEvent = z.infer<typeof StoredEventSchema>;

export const EventQuerySchema = z.object({
  monitorId: z.string().optional(),
  kinds: z.array(EventKindSchema).optional(),
  types: z.array(z.string()).optional(),
  from: z.number().optional(),
  to: z.number().optional(),
  /** Substring match on the message. */
  text: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(5000).default(500),
});
export type EventQuery = z.input<typeof EventQuerySchema>;

/** One sampled reading. Missing data stays null: an unknown runtime is not 0. */
export const MetricSampleSchema = z.object({
  at: z.number(),
  monitorId: z.string(),
  charge: z.number().nullable(),
  runtime: z.number().nullable(),
  load: z.number().nullable(),
  inputVoltage: z.number().nullable(),
  status: z.string().nullable(),
});
export type MetricSample = z.infer<typeof MetricSampleSchema>;

export const METRICS = ['charge', 'runtime', 'load', 'inputVoltage'] as const;
export type Metric = (typeof METRICS)[number];

export const SampleQuerySchema = z.object({
  monitorId: z.string(),
  from: z.number(),
  to: z.number(),
  /** Downsample to at most this many points (bucket averages; gaps stay gaps). */
  maxPoints: z.number().int().min(2).max(100_000).default(1000),
});
export type SampleQuery = z.input<typeof SampleQuerySchema>;

/**
 * Width in ms of the time buckets `history:query-samples` averages into when the range holds
 * more than `maxPoints` samples (with fewer, the raw samples come back unchanged). A returned
 * point's `at` is then its bucket's start, `from + k × width`; a range with no samples has no
 * point, so two points further apart than the width (or than the sampling interval, for raw
 * samples) bracket a gap. Bucket k covers [from + k·width, from + (k+1)·width).
 */
export function sampleBucketMs(from: number, to: number, maxPoints: number): number {
  return Math.max(1, Math.ceil((to - from + 1) / maxPoints));
}
