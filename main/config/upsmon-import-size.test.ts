/**
 * A 1 MiB upsmon.conf: the import stays linear in the file's size (redaction used to be lines ×
 * passwords: a 294 KB file took 35 s) and, run in slices, leaves the event loop free for the
 * core's other requests. The time figure itself is in the benchmark (`npm run bench -- import`).
 */
import { describe, expect, it } from 'vitest';
import { makeLargeUpsmonConf } from './testing/large-upsmon-conf';
import { importUpsmonConf, importUpsmonConfInSlices } from './upsmon-import';

describe('importing a 1 MiB upsmon.conf', () => {
  const large = makeLargeUpsmonConf(1024 * 1024);

  it('previews every line, redacts every password, and serves timers while it works', async () => {
    expect(large.text.length).toBeGreaterThan(1024 * 1024 - 200);
    expect(large.text.length).toBeLessThanOrEqual(1024 * 1024 + 1);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const started = performance.now();
    let finished = false;
    const pending = importUpsmonConfInSlices({ upsmonConf: large.text }).finally(
      () => (finished = true),
    );
    // A request that arrives while the import runs is served before it ends.
    const servedDuringImport = await new Promise<boolean>((resolve) =>
      setTimeout(() => resolve(!finished), 0),
    );
    const result = await pending;
    const elapsedMs = performance.now() - started;
    clearInterval(ticker);

    expect(servedDuringImport).toBe(true);
    expect(ticks).toBeGreaterThan(0);
    // Generous: the quadratic import took minutes for this file; the real figure is in the bench.
    expect(elapsedMs).toBeLessThan(15_000);

    expect(result.ok).toBe(true);
    expect(result.secrets).toHaveLength(large.monitorLines);
    expect(result.config.masters.flatMap((m) => m.ups)).toHaveLength(large.monitorLines);
    const monitors = result.report.filter((line) => line.text.startsWith('MONITOR '));
    expect(monitors).toHaveLength(large.monitorLines);
    for (const [i, line] of monitors.entries()) {
      expect(line.text).toBe(
        `MONITOR ups${i}@nas${i % 40}.example.lan 1 monuser [REDACTED] secondary`,
      );
    }
    for (const line of result.report) {
      expect(line.text).not.toContain('-secret');
      expect(line.note).not.toContain('-secret');
    }
    expect(result.summary).not.toContain('-secret');
  });

  it('gives the same result in slices as at once', async () => {
    const quarter = makeLargeUpsmonConf(256 * 1024);
    const upsschedConf = 'CMDSCRIPT /usr/local/bin/cmd\nAT ONBATT * START-TIMER onbatt 30\n';
    expect(await importUpsmonConfInSlices({ upsmonConf: quarter.text, upsschedConf })).toEqual(
      importUpsmonConf({ upsmonConf: quarter.text, upsschedConf }),
    );
  });
});
