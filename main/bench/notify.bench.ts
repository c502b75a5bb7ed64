/**
 * Remote alerts (`npm run bench -- notify`), against real parts on loopback:
 *
 * 1. event → delivered latency for MQTT (a real mosquitto; the subscriber's receive time) and the
 *    webhook (a local HTTP receiver): power cuts on a real upsd rig, each opening and resolving one
 *    incident (settle time 0), measured from the alert's creation (the event, same process clock)
 *    to its arrival; p50/p95 over NUT_BENCH_NOTIFY_CYCLES × 2 messages (default 20 cycles).
 * 2. the built headless agent (a separate process) with every channel configured — ntfy, Gotify
 *    and webhook (HTTP receivers), e-mail (aiosmtpd with STARTTLS + AUTH), MQTT with Home
 *    Assistant discovery, and the metrics endpoint scraped every 5 s — monitoring one UPS for
 *    NUT_BENCH_NOTIFY_SECONDS (default 30) with one outage in the middle: CPU (% of one core), peak
 *    RSS and the first LOGIN, each printed next to the agent's target (AGENT_TARGETS, `npm run
 *    bench -- agent`; history is on here) and whether it holds with every channel configured.
 * Figures and targets, no exit code for a missed target. Needs root, nut-server, mosquitto, python3-aiosmtpd, and `npm run build`.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfigInput } from '../../shared/config';
import { createAppCore } from '../core/app-core.js';
import type { Logger } from '../platform/ports.js';
import { startHttpReceiver } from '../testing/http-receiver.js';
import { collect, startBroker } from '../testing/mosquitto.js';
import { getFreePort, sleep, waitFor } from '../testing/net.js';
import { startSmtpServer } from '../testing/smtp-server.js';
import {
  RIG_USERS,
  type Rig,
  makeTempDir,
  removeTempDir,
  startUpsdRig,
  stopWarmDrivers,
} from '../testing/upsd-rig.js';
import {
  AGENT_TARGETS,
  agentCommand,
  builtEntry,
  clockTicks,
  cpuTicks,
  vm,
} from './agent.bench.js';
import { checkBuild } from './build-check.js';
import { type DetectionStats, stats } from './detection.bench.js';

const quiet: Logger = { log: () => undefined };
const PASSWORD_ENV = 'NUT_BENCH_NOTIFY_PASSWORD';

function master(rig: Rig): ConfigInput['masters'] {
  return [
    {
      id: 'bench',
      label: 'Bench rig',
      host: rig.host,
      port: rig.port,
      ups: [
        {
          name: 'ups',
          username: RIG_USERS.monuser.name,
          password: { source: 'env', name: PASSWORD_ENV },
        },
      ],
    },
  ];
}

function line(label: string, s: DetectionStats): string {
  const ms = (v: number) => `${v.toFixed(1).padStart(7)} ms`;
  return `  ${label.padEnd(8)} p50 ${ms(s.p50Ms)}   p95 ${ms(s.p95Ms)}   max ${ms(s.maxMs)}   (n=${s.count})`;
}

async function latency(cycles: number): Promise<{ mqtt: DetectionStats; webhook: DetectionStats }> {
  process.env[PASSWORD_ENV] = RIG_USERS.monuser.password;
  const [rig, broker, receiver] = await Promise.all([
    startUpsdRig(),
    startBroker(),
    startHttpReceiver(),
  ]);
  const dir = await makeTempDir('bench-notify');
  const core = await createAppCore({
    configPath: path.join(dir, 'config.json'),
    dataDir: dir,
    secrets: null,
    notifier: null,
    logger: quiet,
  });
  try {
    await core.start();
    const saved = await core.handlers['config:save']({
      config: {
        masters: master(rig),
        timing: { statusPollSeconds: 0.25 },
        shutdown: { dryRun: true },
        alerts: {
          channels: [
            {
              id: 'hook',
              type: 'webhook',
              url: `${receiver.url}/`,
              severities: ['info', 'warning', 'critical'],
            },
            {
              id: 'broker',
              type: 'mqtt',
              url: broker.url,
              severities: ['info', 'warning', 'critical'],
              homeAssistant: { enabled: false },
            },
          ],
          incidents: { settleSeconds: 0 },
        },
      },
    });
    if (!saved.ok) throw new Error(`config refused: ${JSON.stringify(saved)}`);
    await waitFor(() => core.snapshot().ups[0]?.loggedIn === true, { timeoutMs: 15_000 });
    const subscriber = await broker.client();
    // Only the outage's messages: other incidents (e.g. the rig's battery-age warning at start)
    // are not part of a power cut.
    const powerAlert = (body: string): { at: string } | null => {
      const alert = JSON.parse(body) as { at: string; event?: string };
      return alert.event === 'ONBATT' || alert.event === 'ONLINE' ? alert : null;
    };
    const mqttTimes: number[] = [];
    subscriber.on('message', (topic, payload) => {
      const alert = topic === 'nut-sentinel/events' ? powerAlert(payload.toString()) : null;
      if (alert) mqttTimes.push(Date.now() - Date.parse(alert.at));
    });
    await subscriber.subscribeAsync('nut-sentinel/events', { qos: 1 });
    const webhookTimes: number[] = [];
    let seenRequests = 0;
    const webhookCount = () => {
      for (const r of receiver.requests.slice(seenRequests)) {
        const alert = powerAlert(r.body);
        if (alert) webhookTimes.push(r.at - Date.parse(alert.at));
      }
      seenRequests = receiver.requests.length;
      return webhookTimes.length;
    };
    for (let i = 0; i < cycles; i++) {
      for (const status of ['OB', 'OL']) {
        const want = webhookTimes.length + 1;
        await rig.setStatus('ups', status);
        await waitFor(() => webhookCount() >= want && mqttTimes.length >= want, {
          timeoutMs: 15_000,
          description: `the ${status === 'OB' ? 'outage' : 'resolved'} message on both channels`,
        });
      }
    }
    return { mqtt: stats(mqttTimes), webhook: stats(webhookTimes) };
  } finally {
    await core.stop();
    await Promise.all([broker.stop(), receiver.close(), rig.stop()]);
    await removeTempDir(dir);
  }
}

async function resources(seconds: number): Promise<{
  cpuPercent: number;
  peakRssMb: number;
  windowMaxRssMb: number;
  /** From spawn until the agent printed its LOGIN event (ms). */
  firstLoginMs: number | null;
  entry: string;
  delivered: number;
}> {
  const user = { username: 'bench@example.net', password: 'bench-smtp' };
  const [rig, broker, http, smtp] = await Promise.all([
    startUpsdRig(),
    startBroker(),
    startHttpReceiver(),
    startSmtpServer(user),
  ]);
  const dir = await makeTempDir('bench-notify-agent');
  const metricsPort = await getFreePort();
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const all = ['info', 'warning', 'critical'];
    const config: ConfigInput = {
      masters: master(rig),
      shutdown: { dryRun: true, command: { file: '/bin/true', args: [] } },
      alerts: {
        channels: [
          { id: 'hook', type: 'webhook', url: `${http.url}/hook`, severities: all as never },
          { id: 'phone', type: 'ntfy', url: http.url, topic: 'bench', severities: all as never },
          {
            id: 'gotify',
            type: 'gotify',
            url: http.url,
            token: { source: 'env', name: 'NUT_BENCH_GOTIFY' },
            severities: all as never,
          },
          {
            id: 'mail',
            type: 'email',
            host: '127.0.0.1',
            port: smtp.port,
            username: user.username,
            password: { source: 'env', name: 'NUT_BENCH_SMTP' },
            from: user.username,
            to: ['admin@example.net'],
            tls: { caPem: smtp.caPem },
            severities: all as never,
          },
          { id: 'broker', type: 'mqtt', url: broker.url, severities: all as never },
        ],
        incidents: { settleSeconds: 0 },
      },
      metrics: { enabled: true, port: metricsPort },
    };
    const configPath = path.join(dir, 'config.json');
    await writeFile(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    const command = agentCommand(configPath, dir);
    const spawnedAt = performance.now();
    const agent = spawn(command.file, command.args, {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: {
        ...process.env,
        ...command.env,
        [PASSWORD_ENV]: RIG_USERS.monuser.password,
        NUT_BENCH_GOTIFY: 'Abench',
        NUT_BENCH_SMTP: user.password,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = agent;
    let output = '';
    let firstLoginMs: number | null = null;
    const onData = (c: Buffer) => {
      const text = c.toString();
      if (firstLoginMs === null && /EVENT login \[/i.test(text))
        firstLoginMs = performance.now() - spawnedAt;
      if (output.length < 50_000) output += text;
    };
    agent.stdout.on('data', onData);
    agent.stderr.on('data', onData);
    const watcher = await broker.client();
    const seen = await collect(watcher, 'nut-sentinel/ups/bench/ups/state');
    await waitFor(
      () => {
        if (agent.exitCode !== null)
          throw new Error(`the agent exited (code ${agent.exitCode}):\n${output}`);
        return seen.messages.length > 0;
      },
      { timeoutMs: 60_000 },
    );
    await sleep(5_000); // warm-up
    const pid = agent.pid!;
    const ticks = clockTicks();
    const before = cpuTicks(pid);
    const t0 = performance.now();
    let windowMaxRssMb = vm(pid, 'VmRSS');
    let outage = false;
    let tick = 0;
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(1_000);
      tick++;
      windowMaxRssMb = Math.max(windowMaxRssMb, vm(pid, 'VmRSS'));
      if (tick % 5 === 0)
        await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
      // One outage in the middle of the window: every channel delivers an open and a resolved message.
      if (!outage && performance.now() - t0 > (seconds * 1000) / 3) {
        outage = true;
        await rig.setStatus('ups', 'OB');
        await sleep(3_000);
        await rig.setStatus('ups', 'OL');
      }
    }
    const after = cpuTicks(pid);
    const wallMs = performance.now() - t0;
    const delivered = (output.match(/Alert delivered to/g) ?? []).length;
    const result = {
      cpuPercent:
        (((after.user - before.user + (after.system - before.system)) / ticks) * 1000 * 100) /
        wallMs,
      peakRssMb: vm(pid, 'VmHWM'),
      windowMaxRssMb,
      firstLoginMs,
      entry: command.entry,
      delivered,
    };
    agent.kill('SIGTERM');
    await Promise.race([new Promise((r) => agent.once('exit', r)), sleep(10_000)]);
    child = undefined;
    return result;
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([broker.stop(), http.close(), smtp.stop(), rig.stop()]);
    await removeTempDir(dir);
  }
}

export async function benchNotify(): Promise<unknown> {
  const cycles = Number(process.env.NUT_BENCH_NOTIFY_CYCLES ?? 20);
  const seconds = Number(process.env.NUT_BENCH_NOTIFY_SECONDS ?? 30);
  const entry = builtEntry();
  const warning = entry ? checkBuild([entry], 'notify') : null;
  if (warning) console.log(`notify: warning: ${warning}`);
  try {
    console.log(`notify: ${cycles} power cuts (open + resolved each) through MQTT and a webhook …`);
    const lat = await latency(cycles);
    console.log(
      `\nevent → delivered on loopback, load ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs`,
    );
    console.log(line('MQTT', lat.mqtt));
    console.log(line('webhook', lat.webhook));
    console.log(
      `\nnotify: the agent with every channel and the metrics endpoint, measuring ${seconds} s …`,
    );
    const res = await resources(seconds);
    console.log(
      `\nheadless agent (${res.entry}), 1 UPS, ntfy + Gotify + webhook + e-mail + MQTT/HA + /metrics, one outage in the window`,
    );
    console.log(
      `  CPU ${res.cpuPercent.toFixed(2)} % of one core   peak RSS (VmHWM) ${res.peakRssMb.toFixed(1)} MB   max RSS in window ${res.windowMaxRssMb.toFixed(1)} MB   deliveries ${res.delivered}`,
    );
    const holds = (ok: boolean) => (ok ? 'holds' : 'does NOT hold');
    const login = res.firstLoginMs;
    console.log(
      `  the agent's targets (npm run bench -- agent) with every channel: ` +
        `CPU ${res.cpuPercent.toFixed(2)} % (target < ${AGENT_TARGETS.cpuPercent} %): ${holds(res.cpuPercent < AGENT_TARGETS.cpuPercent)}; ` +
        `peak RSS ${res.peakRssMb.toFixed(1)} MB (target <= ${AGENT_TARGETS.peakRssMbHistoryOn} MB, history on): ${holds(res.peakRssMb <= AGENT_TARGETS.peakRssMbHistoryOn)}; ` +
        `first LOGIN ${login === null ? 'none' : `${(login / 1000).toFixed(2)} s`} (target <= ${AGENT_TARGETS.firstLoginMs / 1000} s): ${holds(login !== null && login <= AGENT_TARGETS.firstLoginMs)}`,
    );
    return { latency: lat, resources: res };
  } finally {
    await stopWarmDrivers();
  }
}
