/**
 * `npm run bench` (tsx main/bench/index.ts): runs every benchmark in {@link BENCHES} one after the
 * other and prints their figures. Figures only, no pass/fail; the exit code is non-zero only when a
 * benchmark could not run at all.
 *
 * Select some by name: `npm run bench -- nut-client` (substring match on the names below).
 * To add a benchmark: write `main/bench/<name>.bench.ts` exporting an async function that prints
 * its figures (and returns them), then add one line to BENCHES.
 */
import { performance } from 'node:perf_hooks';

interface BenchEntry {
  name: string;
  description: string;
  run: () => Promise<unknown>;
}

const BENCHES: BenchEntry[] = [
  {
    name: 'nut-client',
    description:
      'NutClient round trips, throughput and CPU against a real upsd (needs root and nut-server)',
    run: async () => (await import('./nut-client.bench.js')).benchNutClient(),
  },
  {
    name: 'detection',
    description:
      'status change → hook latency, our monitor vs a real upsmon 2.8.0 (needs root; takes minutes)',
    run: async () => (await import('./detection.bench.js')).benchDetection(),
  },
  {
    name: 'import',
    description:
      'upsmon.conf import preview of generated 64 KiB – 1 MiB files: time, and the longest event-loop wait while it runs',
    run: async () => (await import('./import.bench.js')).benchImport(),
  },
  {
    name: 'history',
    description: 'history store insert/query rates and file sizes',
    run: async () => (await import('./history.bench.js')).benchHistory(),
  },
  {
    name: 'agent',
    description:
      'CPU and peak RSS of the built headless agent (the self-contained one as installed from its archive when built, else node out/main/cli.js; a separate process) monitoring 0, 1 and 20 UPSes, and 20 with history off, for 60 s each, against the targets (needs root, nut-server)',
    run: async () => (await import('./agent.bench.js')).benchAgent(),
  },
  {
    name: 'discovery',
    description:
      'Find masters: time to cover a /24 with 4 responders and the connection attempts (needs root, iproute2)',
    run: async () => (await import('./discovery.bench.js')).benchDiscovery(),
  },
  {
    name: 'notify',
    description:
      "remote alerts: event → delivered p50/p95 for MQTT (mosquitto) and a webhook on loopback; the built agent's CPU/RSS with every channel and /metrics (needs root, nut-server, mosquitto, python3-aiosmtpd, `npm run build`)",
    run: async () => (await import('./notify.bench.js')).benchNotify(),
  },
  {
    name: 'renderer',
    description:
      'UI in Chromium: page load → first live status, status-update frame cost with 24 h charts (needs root, nut-server, Chromium, `npm run build`)',
    run: async () => (await import('./renderer.bench.js')).benchRenderer(),
  },
];

async function main(): Promise<number> {
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const selected =
    filters.length === 0
      ? BENCHES
      : BENCHES.filter((bench) => filters.some((filter) => bench.name.includes(filter)));
  if (selected.length === 0) {
    console.error(
      `No benchmark matches ${filters.join(', ')}. Available: ${BENCHES.map((bench) => bench.name).join(', ')}`,
    );
    return 2;
  }
  let failures = 0;
  for (const bench of selected) {
    console.log(`\n== ${bench.name}: ${bench.description}`);
    const started = performance.now();
    try {
      await bench.run();
      console.log(`(${bench.name} took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failures++;
      console.error(
        `${bench.name} could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
