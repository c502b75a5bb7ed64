/**
 * "What if the power failed now": the shutdown chain of one UPS laid against its battery, from
 * the live readings and what earlier FSD tests measured. Shared because the panel, the CLI
 * (`nut-sentinel what-if`) and the outage records show it; the computation is
 * main/what-if/what-if.ts (a pure function).
 */
import * as z from 'zod';

/** Where a figure of the timeline comes from (the UI labels each step with it). */
export const WhatIfBasisSchema = z.enum([
  /** Read from the UPS right now (battery.runtime, battery.charge.low, …). */
  'reported',
  /** Measured by an earlier FSD test on this machine or the master. */
  'measured',
  /** This machine's settings (FINALDELAY, status poll). */
  'configured',
  /** Given with the request (e.g. the master's own shutdown time). */
  'given',
  /** upsmon's default, because the master does not publish its value. */
  'assumed',
  /** Not known: the step has no time. */
  'unknown',
]);
export type WhatIfBasis = z.infer<typeof WhatIfBasisSchema>;

export const WhatIfStepSchema = z.object({
  id: z.enum([
    'on-battery',
    'low-battery',
    'fsd',
    'secondary-logout',
    'this-machine-down',
    'secondaries-down',
    'master-down',
    'battery-empty',
  ]),
  label: z.string(),
  /** Seconds after the power failed (t0); null when not known. */
  atSeconds: z.number().nullable(),
  basis: WhatIfBasisSchema,
  detail: z.string(),
});
export type WhatIfStep = z.infer<typeof WhatIfStepSchema>;

export const WhatIfMissingSchema = z.object({
  /** What is not known, e.g. "the secondaries' logout times". */
  what: z.string(),
  /** How to get it, e.g. "Run an FSD test in master mode to measure …". */
  fix: z.string(),
});

export const WhatIfVerdictSchema = z.enum(['ok', 'tight', 'negative', 'unknown']);
export type WhatIfVerdict = z.infer<typeof WhatIfVerdictSchema>;

export const WhatIfResultSchema = z.object({
  monitorId: z.string(),
  upsName: z.string(),
  /** Epoch ms of the readings the timeline starts from. */
  at: z.number(),
  /** The UPS is on battery already: t0 is now, not a hypothetical. */
  alreadyOnBattery: z.boolean(),
  /** t1: low battery expected (s after t0). */
  lowBatteryAt: z.number().nullable(),
  /** The master sets FSD (t1 + its poll). */
  fsdAt: z.number().nullable(),
  /** t2: FSD sent and the secondaries down (or the master gave up waiting: HOSTSYNC). */
  secondariesDownAt: z.number().nullable(),
  /** When this machine has finished its shutdown (secondary role only). */
  thisMachineDownAt: z.number().nullable(),
  /** t3: the master itself is down. */
  masterDownAt: z.number().nullable(),
  /** The battery is empty at the current load (battery.runtime). */
  emptyAt: z.number().nullable(),
  /** emptyAt − the last machine down; null when a step is unknown. */
  marginSeconds: z.number().nullable(),
  /** emptyAt − t2: known even when the master's own shutdown time is not. */
  marginBeforeMasterShutdownSeconds: z.number().nullable(),
  verdict: WhatIfVerdictSchema,
  /** One sentence: the answer. */
  headline: z.string(),
  steps: z.array(WhatIfStepSchema),
  warnings: z.array(z.string()),
  missing: z.array(WhatIfMissingSchema),
});
export type WhatIfResult = z.infer<typeof WhatIfResultSchema>;

export const WhatIfRequestSchema = z.object({
  monitorId: z.string().min(1),
  /** How long the master takes to shut itself down, if the operator knows (not measurable from here). */
  masterShutdownSeconds: z.number().min(0).max(3600).optional(),
  /** The master's HOSTSYNC, if known (default: the last FSD test's value, else upsmon's 15 s). */
  hostSyncSeconds: z.number().min(0).max(3600).optional(),
});
export type WhatIfRequest = z.input<typeof WhatIfRequestSchema>;

/** A margin below this is "tight": one slow disk flush away from a hard power cut. */
export const WHAT_IF_TIGHT_MARGIN_SECONDS = 60;
