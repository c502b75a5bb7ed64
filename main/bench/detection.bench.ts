/**
 * Detection latency, status change → hook started, for our MonitorService (product default
 * timings: status poll 0.5 s) and a real upsmon 2.8.0 secondary (default POLLFREQ/POLLFREQALERT
 * 5 s) watching the same UPS on the same upsd in the same run (main/testing/upsd-rig.ts,
 * main/testing/upsmon-rig.ts). Measured as main/monitor/README.md §4 says:
 *
 * - t0 = the moment upsd first reports the new ups.status, seen by a separate prober connection
 *   polling `GET VAR <ups> ups.status` about every 10 ms (dummy-ups may apply a SET up to ~1 s
 *   late, so the SET time is not t0; the SET-based figure is printed beside it);
 * - t1 = the time the hook process records first thing (`date +%s%N` in a /bin/sh hook for us,
 *   the upsmon rig's NOTIFYCMD does the same);
 * - OL → OB → OL … transitions (ONBATT / ONLINE), randomised spacing longer than upsmon's poll so
 *   it sees every change and neither poller stays in phase; p50 and p95 over ≥ 20 transitions.
 *
 * Figures only, no pass/fail. Needs root, nut-server/nut-client 2.8.0, util-linux unshare.
 * Env: NUT_BENCH_TRANSITIONS (default 24).
 */
import os from 'node:os';
import { Scenario } from '../monitor/testing/scenario-harness.js';
import { type RawNutConnection, quote, sleep, waitFor } from '../testing/net.js';
import { RIG_USERS, type Rig, startUpsdRig, stopWarmDrivers } from '../testing/upsd-rig.js';
import { type UpsmonRig, startUpsmon } from '../testing/upsmon-rig.js';

export interface DetectionStats {
  count: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  meanMs: number;
}

export interface DetectionBenchResult {
  transitions: number;
  loadAverage: number;
  cpus: number;
  ours: { statusPollSeconds: number; fromVisible: DetectionStats; fromSet: DetectionStats };
  upsmon: { pollFreqSeconds: number; fromVisible: DetectionStats; fromSet: DetectionStats };
  /** SET sent → upsd reports it (dummy-ups' loop). */
  setToVisible: DetectionStats;
  /** Transitions a monitor did not report within the wait (not included in its figures). */
  missed: { ours: number; upsmon: number };
}

const UPS = 'ups';
const UPSMON_POLL_S = 5;
const OUR_POLL_S = 0.5; // TimingSchema default statusPollSeconds

export function stats(samples: readonly number[]): DetectionStats {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return { count: 0, p50Ms: NaN, p95Ms: NaN, maxMs: NaN, meanMs: NaN };
  // Nearest-rank percentiles.
  const pick = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    p50Ms: pick(0.5),
    p95Ms: pick(0.95),
    maxMs: sorted[sorted.length - 1]!,
    meanMs: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
  };
}

/** Polls ups.status every ~10 ms on its own connection and remembers when each value first appeared. */
class StatusProber {
  private readonly changes: { status: string; at: number }[] = [];
  private last: string | undefined;
  private running = true;
  private readonly done: Promise<void>;
  polls = 0;

  constructor(private readonly connection: RawNutConnection) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const status = await this.connection.getVar(UPS, 'ups.status');
        const at = Date.now();
        this.polls++;
        if (status !== this.last) {
          this.changes.push({ status, at });
          this.last = status;
        }
      } catch {
        if (this.connection.closed) return;
      }
      await sleep(10);
    }
  }

  /** First time `status` was reported at or after `sinceMs` (epoch ms). */
  firstSeen(status: string, sinceMs: number): number | undefined {
    return this.changes.find((c) => c.status === status && c.at >= sinceMs)?.at;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    this.connection.destroy();
  }
}

function fmt(s: DetectionStats): string {
  const ms = (v: number) => `${Number.isFinite(v) ? v.toFixed(0) : '–'} ms`.padStart(9);
  return `${ms(s.p50Ms)} ${ms(s.p95Ms)} ${ms(s.maxMs)} ${ms(s.meanMs)}   (n=${s.count})`;
}

export async function benchDetection(
  options: { transitions?: number; minGapMs?: number; maxGapMs?: number } = {},
): Promise<DetectionBenchResult> {
  const transitions = options.transitions ?? Number(process.env.NUT_BENCH_TRANSITIONS ?? 24);
  // Longer than upsmon's 5 s poll (so it sees every change), 5 s wide (so the phase wanders).
  const minGapMs = options.minGapMs ?? 5_300;
  const maxGapMs = options.maxGapMs ?? 10_300;
  const loadAverage = os.loadavg()[0]!;
  let rig: Rig | undefined;
  let upsmon: UpsmonRig | undefined;
  let ours: Scenario | undefined;
  let prober: StatusProber | undefined;
  let admin: RawNutConnection | undefined;
  try {
    rig = await startUpsdRig({ prewarm: false });
    upsmon = await startUpsmon({
      rig,
      role: 'secondary',
      pollFreq: UPSMON_POLL_S,
      pollFreqAlert: UPSMON_POLL_S,
      deadTime: 15,
      hostSync: 15,
      finalDelay: 5,
    });
    // Product defaults (status poll 0.5 s, HOSTSYNC 15 s, …): {} as the base timing.
    ours = Scenario.start({ rig, baseTiming: {}, label: 'bench' });
    await ours.ready();
    prober = new StatusProber(await rig.connect());
    admin = await rig.connect();
    await admin.request(`USERNAME ${RIG_USERS.admin.name}`);
    await admin.request(`PASSWORD ${quote(RIG_USERS.admin.password)}`);
    // Let upsmon finish its start-up loop (its first sleep is always 5 s, main/monitor/README.md §1.1).
    await sleep(UPSMON_POLL_S * 1000 + 500);

    const fromVisible = { ours: [] as number[], upsmon: [] as number[] };
    const fromSet = { ours: [] as number[], upsmon: [] as number[] };
    const setToVisible: number[] = [];
    const missed = { ours: 0, upsmon: 0 };
    let status = 'OL';
    console.log(
      `detection: ${transitions} transitions, gaps ${minGapMs}–${maxGapMs} ms (random), load ${loadAverage.toFixed(2)} on ${os.cpus().length} CPUs`,
    );
    for (let i = 0; i < transitions; i++) {
      const next = status === 'OL' ? 'OB' : 'OL';
      const event = next === 'OB' ? 'ONBATT' : 'ONLINE';
      const ourBefore = ours.hooks().filter((h) => h.type === event).length;
      const theirBefore = upsmon.events().filter((e) => e.type === event).length;
      const gapMs = minGapMs + Math.random() * (maxGapMs - minGapMs);
      const sentAt = Date.now();
      const reply = await admin.request(`SET VAR ${UPS} ups.status ${quote(next)}`);
      if (!reply.startsWith('OK')) throw new Error(`SET VAR ups.status ${next}: ${reply}`);
      status = next;
      const p = prober;
      const visibleAt = await waitFor(() => p.firstSeen(next, sentAt), {
        timeoutMs: 5_000,
        intervalMs: 5,
        description: `upsd to report ${next}`,
      });
      setToVisible.push(visibleAt - sentAt);

      const deadline = sentAt + gapMs;
      const ourHook = await waitFor(
        () => ours!.hooks().filter((h) => h.type === event)[ourBefore],
        { timeoutMs: 15_000, intervalMs: 10 },
      ).catch(() => undefined);
      const theirHook = await waitFor(
        () => upsmon!.events().filter((e) => e.type === event)[theirBefore],
        { timeoutMs: UPSMON_POLL_S * 1000 + 15_000, intervalMs: 10 },
      ).catch(() => undefined);
      if (ourHook) {
        fromVisible.ours.push(ourHook.at - visibleAt);
        fromSet.ours.push(ourHook.at - sentAt);
      } else missed.ours++;
      if (theirHook) {
        fromVisible.upsmon.push(theirHook.atMs - visibleAt);
        fromSet.upsmon.push(theirHook.atMs - sentAt);
      } else missed.upsmon++;
      const line = (v: number | undefined) => (v === undefined ? 'missed' : `${v.toFixed(0)} ms`);
      console.log(
        `  #${String(i + 1).padStart(2)} ${status.padEnd(2)} visible +${(visibleAt - sentAt).toFixed(0)} ms; ours ${line(ourHook && ourHook.at - visibleAt)}, upsmon ${line(theirHook && theirHook.atMs - visibleAt)}; next in ${(gapMs / 1000).toFixed(1)} s`,
      );
      await sleep(Math.max(300, deadline - Date.now()));
    }

    const result: DetectionBenchResult = {
      transitions,
      loadAverage,
      cpus: os.cpus().length,
      ours: {
        statusPollSeconds: OUR_POLL_S,
        fromVisible: stats(fromVisible.ours),
        fromSet: stats(fromSet.ours),
      },
      upsmon: {
        pollFreqSeconds: UPSMON_POLL_S,
        fromVisible: stats(fromVisible.upsmon),
        fromSet: stats(fromSet.upsmon),
      },
      setToVisible: stats(setToVisible),
      missed,
    };
    console.log(
      '\nstatus change visible in upsd → hook process started          p50       p95       max      mean',
    );
    console.log(
      `  NUT Sentinel (status poll ${OUR_POLL_S} s)                     ${fmt(result.ours.fromVisible)}`,
    );
    console.log(
      `  upsmon 2.8.0 secondary (POLLFREQ ${UPSMON_POLL_S} s)                ${fmt(result.upsmon.fromVisible)}`,
    );
    console.log('SET sent → hook process started (includes dummy-ups delay)');
    console.log(
      `  NUT Sentinel                                        ${fmt(result.ours.fromSet)}`,
    );
    console.log(
      `  upsmon                                              ${fmt(result.upsmon.fromSet)}`,
    );
    console.log(
      `SET sent → visible in upsd (prober, ~10 ms polls)      ${fmt(result.setToVisible)}`,
    );
    console.log(
      `missed: ours ${missed.ours}, upsmon ${missed.upsmon}; prober made ${prober.polls} polls`,
    );
    console.log(
      `target NUT Sentinel p95 ≤ 750 ms: ${result.ours.fromVisible.p95Ms <= 750 ? 'met' : 'NOT met'} (${result.ours.fromVisible.p95Ms.toFixed(0)} ms)`,
    );
    return result;
  } finally {
    await prober?.stop().catch(() => undefined);
    await admin?.close().catch(() => undefined);
    await ours?.stop().catch(() => undefined);
    await upsmon?.stop().catch(() => undefined);
    await rig?.stop().catch(() => undefined);
    await stopWarmDrivers();
  }
}
