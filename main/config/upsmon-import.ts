/**
 * Import of an existing `upsmon.conf` (and optionally `upssched.conf`) into a NUT Sentinel
 * `Config`, with a per-line report of what was mapped and what was not. One module per format
 * (upsmon-conf.ts, upssched-conf.ts) fills in the shared report (import-report.ts); this module
 * puts the pieces together, and import-merge.ts merges the result into an existing config.
 *
 * - Passwords never enter the config: MONITOR passwords come back in `secrets` (keyed with
 *   `passwordKey(masterId, ups)`) for the caller's secret store, and every report text and note
 *   is scrubbed of them.
 * - It never throws: broken lines become `error` entries; the result always validates against
 *   `ConfigSchema`. `ok` says whether at least one UPS was imported.
 * - Linear in the size of the files (one scrubbing pass per text whatever the number of
 *   passwords); `importUpsmonConfInSlices` gives the event loop back while it works, so a large
 *   file never holds up the core's other requests.
 */
import { ConfigSchema, defaultConfig, type Config } from '../../shared/config';
import { runInSlices, runToEnd, type Sliced } from '../platform/slices';
import { applyImportedSettings, type ImportedConfig } from './import-merge';
import { ImportReport, plural, type ImportReportLine, type ImportStatus } from './import-report';
import { confLines } from './parseconf';
import { readUpsmonConf } from './upsmon-conf';
import { readUpsschedConf } from './upssched-conf';

export interface UpsmonImportInput {
  upsmonConf: string;
  /** upssched.conf, when upsmon.conf's NOTIFYCMD is upssched. */
  upsschedConf?: string;
  /** Names used in the report (default `upsmon.conf`, `upssched.conf`). */
  upsmonFileName?: string;
  upsschedFileName?: string;
}

export interface UpsmonImportResult extends ImportedConfig {
  /** At least one UPS was imported. */
  ok: boolean;
  /** The imported config: upsmon's settings on top of NUT Sentinel's defaults. Never contains a password. */
  config: Config;
  report: ImportReportLine[];
  /** One sentence about the files, e.g. `Found 1 UPS on 1 master; 28 lines mapped, …`. */
  summary: string;
}

/** Imports upsmon.conf (and upssched.conf) text at once. Never throws; see the module comment. */
export function importUpsmonConf(input: UpsmonImportInput): UpsmonImportResult {
  return runToEnd(importSteps(input));
}

/** The same import, in time slices between which the event loop serves other work. */
export function importUpsmonConfInSlices(input: UpsmonImportInput): Promise<UpsmonImportResult> {
  return runInSlices(importSteps(input));
}

function* importSteps(input: UpsmonImportInput): Sliced<UpsmonImportResult> {
  const upsmonFile = input.upsmonFileName ?? 'upsmon.conf';
  const upsschedFile = input.upsschedFileName ?? 'upssched.conf';
  const report = new ImportReport();
  const upsmon = yield* readUpsmonConf(confLines(input.upsmonConf), upsmonFile, report);
  const { masters, secrets } = upsmon;
  const upssched = yield* readUpsschedConf(input.upsschedConf, upsschedFile, upsmon, report);
  const settings = upssched ? { ...upsmon.settings, upssched } : upsmon.settings;

  let config: Config;
  const base = defaultConfig();
  const built = ConfigSchema.safeParse({ ...applyImportedSettings(base, settings), masters });
  if (built.success) {
    config = built.data;
  } else {
    // Every piece was validated on its own; this is a safety net, not an expected path.
    report.fileNote(
      upsmonFile,
      'error',
      `internal error: the imported configuration did not validate (${built.error.issues[0]?.message ?? 'unknown'}); nothing was imported`,
    );
    config = base;
  }
  yield;

  const texts = new Map([[upsmonFile, input.upsmonConf]]);
  if (input.upsschedConf !== undefined) texts.set(upsschedFile, input.upsschedConf);
  const scrubber = report.scrubber();
  const lines = yield* report.finish(texts, scrubber);
  const ok = built.success && config.masters.length > 0;
  const counts = new Map<ImportStatus, number>();
  for (const line of lines)
    if (line.line > 0) counts.set(line.status, (counts.get(line.status) ?? 0) + 1);
  const count = (s: ImportStatus) => counts.get(s) ?? 0;
  const upsCount = config.masters.reduce((n, m) => n + m.ups.length, 0);
  const summary =
    // What the files hold; what the import changes in a config is the plan's (import-plan.ts).
    `${ok ? 'Found' : 'Nothing usable found:'} ${plural(upsCount, 'UPS', 'UPSes')} on ${plural(config.masters.length, 'master')}; ` +
    `${plural(count('mapped'), 'line')} mapped, ${count('ignored')} ignored, ${count('unsupported')} unsupported, ${plural(count('error'), 'error')}` +
    (secrets.length > 0
      ? `; ${plural(secrets.length, 'password')} kept apart from the config`
      : '');
  return {
    ok,
    config,
    settings: built.success ? settings : { timing: {}, events: {} },
    secrets: built.success ? [...secrets] : [],
    report: lines,
    summary: scrubber.scrub(summary),
  };
}
