/**
 * NutClient figures against a real upsd 2.8.0 + dummy-ups (main/testing/upsd-rig.ts) on loopback:
 * round-trip time of GET VAR and LIST VAR (p50/p95), requests per second over one connection
 * (sequential and pipelined), the same over STARTTLS, and the client's CPU time per 1000 status
 * polls. The rig's bare raw-socket test client (main/testing/net.ts) is timed beside it, to show
 * what upsd and the kernel cost by themselves. Figures only, no pass/fail.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { NutClient } from '../nut/client.js';
import type { RawNutConnection } from '../testing/net.js';
import { startUpsdRig, stopWarmDrivers, type Rig } from '../testing/upsd-rig.js';

export interface LatencyStats {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
}

export interface NutClientBenchResult {
  /** 1-minute load average and CPU count when the run started (figures are noisy on a busy host). */
  loadAverage: number;
  cpus: number;
  rigColdStartMs: number;
  getVar: LatencyStats;
  getVarRaw: LatencyStats;
  getVarTls: LatencyStats;
  listVar: LatencyStats & { varsPerList: number };
  listVarRaw: LatencyStats;
  sequentialRps: number;
  pipelinedRps: number;
  pipelineDepth: number;
  tlsSequentialRps: number;
  /** Client process CPU (user + system) per 1000 sequential `GET VAR <ups> ups.status` polls. */
  cpuMsPer1000Polls: { user: number; system: number; total: number };
}

const UPS = 'ups';
const STATUS = 'ups.status';

function stats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    count: sorted.length,
    p50Ms: pick(0.5),
    p95Ms: pick(0.95),
    p99Ms: pick(0.99),
    meanMs: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
}

async function timeEach(count: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return samples;
}

async function rate(count: number, fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await fn();
  return count / ((performance.now() - started) / 1000);
}

/** `total` requests with `depth` of them in flight at any time, on one connection. */
async function pipelinedRate(
  total: number,
  depth: number,
  fn: () => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  let issued = 0;
  const lanes = Array.from({ length: depth }, async () => {
    while (issued < total) {
      issued++;
      await fn();
    }
  });
  await Promise.all(lanes);
  return total / ((performance.now() - started) / 1000);
}

/** Median of `runs` measurements (the host may be shared: one slow run should not decide). */
async function medianOf(runs: number, measure: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await measure());
  return values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

async function cpuPer1000(
  fn: () => Promise<unknown>,
): Promise<{ user: number; system: number; total: number }> {
  const polls = 3000;
  const before = process.cpuUsage();
  for (let i = 0; i < polls; i++) await fn();
  const used = process.cpuUsage(before);
  const user = used.user / 1000 / (polls / 1000);
  const system = used.system / 1000 / (polls / 1000);
  return { user, system, total: user + system };
}

const fmt = (ms: number): string =>
  ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
const fmtStats = (s: LatencyStats): string =>
  `p50 ${fmt(s.p50Ms)}, p95 ${fmt(s.p95Ms)}, p99 ${fmt(s.p99Ms)}, mean ${fmt(s.meanMs)} (n=${s.count})`;

export async function benchNutClient(): Promise<NutClientBenchResult> {
  const rigs: Rig[] = [];
  const clients: NutClient[] = [];
  const raws: RawNutConnection[] = [];
  try {
    const loadAverage = os.loadavg()[0]!;
    const cpus = os.cpus().length;
    const coldStarted = performance.now();
    const [rig, tlsRig] = await Promise.all([
      startUpsdRig({ prewarm: false }),
      startUpsdRig({ tls: true, prewarm: false }),
    ]);
    rigs.push(rig, tlsRig);
    const rigColdStartMs = performance.now() - coldStarted;

    const client = await NutClient.connect({
      host: rig.host,
      port: rig.port,
      keepAliveIntervalMs: 0,
    });
    clients.push(client);
    const raw = await rig.connect();
    raws.push(raw);
    const tlsClient = await NutClient.connect({
      host: tlsRig.host,
      port: tlsRig.port,
      keepAliveIntervalMs: 0,
      tls: { mode: 'required', caPem: tlsRig.tls!.certPem },
    });
    clients.push(tlsClient);

    const poll = (): Promise<string> => client.getVar(UPS, STATUS);
    const pollRaw = (): Promise<string> => raw.getVar(UPS, STATUS);
    const pollTls = (): Promise<string> => tlsClient.getVar(UPS, STATUS);

    // Warm-up (JIT, socket buffers).
    for (let i = 0; i < 200; i++) {
      await poll();
      await pollRaw();
      await pollTls();
    }

    const getVar = stats(await timeEach(1000, poll));
    const getVarRaw = stats(await timeEach(1000, pollRaw));
    const getVarTls = stats(await timeEach(1000, pollTls));
    const sequentialRps = await medianOf(3, () => rate(2000, poll));
    const pipelineDepth = 32;
    const pipelinedRps = await medianOf(3, () => pipelinedRate(5000, pipelineDepth, poll));
    const tlsSequentialRps = await medianOf(3, () => rate(2000, pollTls));
    const cpuMsPer1000Polls = await cpuPer1000(poll);

    // Multi-line replies on their own connections (see the note printed below).
    const listClient = await NutClient.connect({
      host: rig.host,
      port: rig.port,
      keepAliveIntervalMs: 0,
    });
    clients.push(listClient);
    const listRaw = await rig.connect();
    raws.push(listRaw);
    const varsPerList = (await listClient.listVar(UPS)).size;
    const listVar = { ...stats(await timeEach(200, () => listClient.listVar(UPS))), varsPerList };
    const listVarRaw = stats(await timeEach(200, () => listRaw.list(`LIST VAR ${UPS}`)));

    const result: NutClientBenchResult = {
      loadAverage,
      cpus,
      rigColdStartMs,
      getVar,
      getVarRaw,
      getVarTls,
      listVar,
      listVarRaw,
      sequentialRps,
      pipelinedRps,
      pipelineDepth,
      tlsSequentialRps,
      cpuMsPer1000Polls,
    };
    print(result);
    return result;
  } finally {
    for (const raw of raws) raw.destroy();
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(rigs.map((rig) => rig.stop()));
    await stopWarmDrivers();
  }
}

function print(r: NutClientBenchResult): void {
  const lines = [
    `NUT client vs real upsd 2.8.0 on loopback (one connection, dummy-ups, ${r.listVar.varsPerList} variables)`,
    `  host: ${r.cpus} CPUs, load average ${r.loadAverage.toFixed(1)} at start (rates are the median of 3 runs)`,
    `  rig start (plain + TLS rig in parallel, cold): ${r.rigColdStartMs.toFixed(0)} ms`,
    `  GET VAR round trip, NutClient:              ${fmtStats(r.getVar)}`,
    `  GET VAR round trip, raw test socket:        ${fmtStats(r.getVarRaw)}`,
    `  GET VAR round trip, NutClient over TLS:     ${fmtStats(r.getVarTls)}`,
    `  LIST VAR round trip, NutClient:             ${fmtStats(r.listVar)}`,
    `  LIST VAR round trip, raw test socket:       ${fmtStats(r.listVarRaw)}`,
    `  throughput, sequential GET VAR:             ${r.sequentialRps.toFixed(0)} requests/s`,
    `  throughput, pipelined GET VAR (${r.pipelineDepth} in flight): ${r.pipelinedRps.toFixed(0)} requests/s`,
    `  throughput, sequential GET VAR over TLS:    ${r.tlsSequentialRps.toFixed(0)} requests/s`,
    `  client CPU per 1000 status polls:           ${r.cpuMsPer1000Polls.total.toFixed(1)} ms (user ${r.cpuMsPer1000Polls.user.toFixed(1)} ms, system ${r.cpuMsPer1000Polls.system.toFixed(1)} ms)`,
    '  note: LIST VAR is slow on any client because upsd 2.8.0 writes one line per write() without TCP_NODELAY:',
    '        Nagle on upsd + delayed ACK on the client cost ~40 ms per multi-line reply (upsc shows the same).',
  ];
  console.log(lines.join('\n'));
}
