/**
 * upsmon.conf import preview: time for generated files of 64 KiB to 1 MiB (every MONITOR line
 * with its own password, the worst case for redaction), at once and in slices, and the longest
 * the event loop waited while the sliced import ran (what other core requests would wait).
 * Figures only; needs nothing but Node.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { makeLargeUpsmonConf } from '../config/testing/large-upsmon-conf.js';
import { importUpsmonConf, importUpsmonConfInSlices } from '../config/upsmon-import.js';

export interface ImportBenchRow {
  bytes: number;
  monitorLines: number;
  atOnceMs: number;
  inSlicesMs: number;
  maxEventLoopDelayMs: number;
}

export async function benchImport(): Promise<ImportBenchRow[]> {
  const rows: ImportBenchRow[] = [];
  importUpsmonConf({ upsmonConf: makeLargeUpsmonConf(16 * 1024).text }); // warm-up
  for (const kib of [64, 256, 1024]) {
    const large = makeLargeUpsmonConf(kib * 1024);
    let started = performance.now();
    importUpsmonConf({ upsmonConf: large.text });
    const atOnceMs = performance.now() - started;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    started = performance.now();
    await importUpsmonConfInSlices({ upsmonConf: large.text });
    const inSlicesMs = performance.now() - started;
    delay.disable();
    const row = {
      bytes: large.text.length,
      monitorLines: large.monitorLines,
      atOnceMs,
      inSlicesMs,
      maxEventLoopDelayMs: delay.max / 1e6,
    };
    rows.push(row);
    console.log(
      `import: ${String(kib).padStart(5)} KiB, ${String(row.monitorLines).padStart(6)} MONITOR lines: at once ${atOnceMs.toFixed(0).padStart(5)} ms, ` +
        `in slices ${inSlicesMs.toFixed(0).padStart(5)} ms, longest event-loop wait ${row.maxEventLoopDelayMs.toFixed(0)} ms`,
    );
  }
  return rows;
}
