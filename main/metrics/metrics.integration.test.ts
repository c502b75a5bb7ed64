/**
 * The Prometheus endpoint against real parts: the core monitors a real upsd, a real prometheus
 * (Debian package, started here on loopback) scrapes it every second, and its HTTP API must
 * report a battery.charge change made on the rig; `promtool check metrics` accepts the exposition.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import type { Logger } from '../platform/ports';
import { getFreePort, waitFor } from '../testing/net';
import {
  ManagedProcess,
  type Rig,
  makeTempDir,
  removeTempDir,
  startUpsdRig,
} from '../testing/upsd-rig';

const quiet: Logger = { log: () => undefined };

function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      '/usr/bin/promtool',
      ['check', 'metrics'],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          output: `${stdout}${stderr}`,
        });
      },
    );
    child.stdin?.end(text);
  });
}

describe('Prometheus metrics against a real prometheus and upsd', () => {
  let rig: Rig | undefined;
  let core: CoreService | undefined;
  let prometheus: ManagedProcess | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await prometheus?.stop();
    prometheus = undefined;
    await core?.stop();
    core = undefined;
    await rig?.stop();
    rig = undefined;
    if (dir) await removeTempDir(dir);
    dir = undefined;
  });

  it('prometheus scrapes nut_exporter-compatible names and sees a charge change; promtool accepts the exposition', async () => {
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    rig = await startUpsdRig();
    dir = await makeTempDir('metrics');
    const metricsPort = await getFreePort();
    core = await createAppCore({
      configPath: path.join(dir, 'config.json'),
      dataDir: dir,
      secrets: null,
      notifier: null,
      logger: quiet,
    });
    await core.start();
    const saved = await core.handlers['config:save']({
      config: {
        masters: [
          {
            id: 'nas',
            label: 'NAS',
            host: '127.0.0.1',
            port: rig.port,
            ups: [
              {
                name: 'ups',
                username: 'monuser',
                password: { source: 'env', name: 'NS_TEST_UPS_PASSWORD' },
              },
            ],
          },
        ],
        timing: { statusPollSeconds: 0.25, fullPollSeconds: 1 },
        metrics: { enabled: true, port: metricsPort },
      },
    });
    expect(saved).toEqual({ ok: true });
    await waitFor(
      () =>
        core!.snapshot().ups[0]?.loggedIn === true &&
        core!.snapshot().ups[0]?.metrics.charge === 100,
      { timeoutMs: 10_000 },
    );

    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return response.text();
    };
    const text = await scrape();
    expect(text).toContain('network_ups_tools_battery_charge{ups="ups",master="nas"} 100');
    expect(text).toContain('network_ups_tools_battery_runtime{ups="ups",master="nas"} 3007');
    expect(text).toContain('network_ups_tools_ups_status{ups="ups",master="nas",flag="OL"} 1');
    expect(text).toContain('network_ups_tools_ups_status{ups="ups",master="nas",flag="OB"} 0');
    expect(text).toMatch(
      /network_ups_tools_device_info\{ups="ups",master="nas",mfr="American Power Conversion",model="Back-UPS CS 350",serial="4B0841P06334",type="ups"\} 1/,
    );
    expect(text).toContain(
      'nut_sentinel_session_state{ups="ups",master="nas",state="connected"} 1',
    );
    expect(text).toContain('nut_sentinel_logged_in{ups="ups",master="nas"} 1');
    expect(text).toContain('nut_sentinel_numlogins{ups="ups",master="nas"} 1');
    expect(text).toContain('nut_sentinel_expected_clients_missing{ups="ups",master="nas"} 0');
    expect(text).toMatch(/nut_sentinel_last_poll_age_seconds\{ups="ups",master="nas"\} \d/);
    expect(text).toMatch(/nut_sentinel_events_total\{type="LOGIN",severity="info"\} \d/);
    // Loopback by default; only GET /metrics.
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);

    // The Grafana dashboard in the repo only uses names this endpoint exports.
    const dashboard = readFileSync(new URL('./grafana-dashboard.json', import.meta.url), 'utf8');
    const used = new Set(
      [...dashboard.matchAll(/\b(network_ups_tools_\w+|nut_sentinel_\w+)/g)].map((m) => m[1]!),
    );
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(text, name).toContain(`# TYPE ${name} `);

    const lint = await promtoolCheck(text);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);

    // A real prometheus scrapes every second.
    const promPort = await getFreePort();
    const promConfig = path.join(dir, 'prometheus.yml');
    await writeFile(
      promConfig,
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: nut-sentinel\n    static_configs:\n      - targets: ['127.0.0.1:${metricsPort}']\n`,
    );
    const logs: string[] = [];
    prometheus = new ManagedProcess(
      'prometheus',
      '/usr/bin/prometheus',
      [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      {
        env: process.env,
        cwd: dir,
        sink: (_l, line) => logs.push(line),
      },
    );
    const query = async (q: string): Promise<number | null> => {
      const response = await fetch(
        `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`,
      ).catch(() => null);
      if (!response?.ok) return null;
      const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
      const value = body.data.result[0]?.value[1];
      return value === undefined ? null : Number(value);
    };
    const charge = 'network_ups_tools_battery_charge{job="nut-sentinel",ups="ups",master="nas"}';
    await waitFor(async () => (await query(charge)) === 100, { timeoutMs: 30_000 }).catch(
      (error: unknown) => {
        throw new Error(`prometheus never saw the charge: ${logs.slice(-20).join('\n')}`, {
          cause: error,
        });
      },
    );
    await rig.setVar('ups', 'battery.charge', '42');
    await waitFor(async () => (await query(charge)) === 42, { timeoutMs: 15_000 });
    expect(await query('network_ups_tools_ups_status{flag="OL",ups="ups"}')).toBe(1);
    expect(await query('up{job="nut-sentinel"}')).toBe(1);
  });

  it('a port in use is a clear critical event, not a crash', async () => {
    dir = await makeTempDir('metrics-busy');
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      core = await createAppCore({
        configPath: path.join(dir, 'config.json'),
        dataDir: dir,
        secrets: null,
        notifier: null,
        logger: quiet,
        historyInMemory: true,
      });
      const events: string[] = [];
      core.onPush('events:appended', (e) => events.push(`${e.type} ${e.severity} ${e.message}`));
      await core.start();
      expect(
        await core.handlers['config:save']({ config: { metrics: { enabled: true, port } } }),
      ).toEqual({ ok: true });
      expect(events.find((e) => e.startsWith('METRICS_ENDPOINT'))).toBe(
        `METRICS_ENDPOINT critical The metrics endpoint could not listen on 127.0.0.1:${port}: the port is in use by another program. Change metrics.port (or metrics.host) in Settings or the config file.`,
      );
    } finally {
      blocker.close();
    }
  });
});
