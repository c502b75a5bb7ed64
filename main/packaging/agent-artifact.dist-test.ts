/**
 * The self-contained agent as a user gets it: the executable copied alone into an empty folder
 * and run with a PATH that has no `node`, against a real upsd — LOGIN counted by the master,
 * events on stdout and in its history, a dry-run shutdown on a power cut, a clean LOGOUT on SIGTERM; and the
 * built-ins and packages it loads only when a config needs them (./agent-build.ts) working from
 * inside the executable: a STARTTLS master and a signed webhook; MQTT, e-mail, Prometheus metrics,
 * the web bridge's WebSocket, mDNS and desktop notifications.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { version } from '../../package.json';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from '../channels/http-channels';
import { HistoryStore } from '../history/history-store';
import { startHttpReceiver } from '../testing/http-receiver';
import { type Broker, collect, startBroker } from '../testing/mosquitto';
import { getFreePort, waitFor } from '../testing/net';
import { startSmtpServer } from '../testing/smtp-server';
import { bridgeInvoke } from '../testing/web-process';
import { type Rig, RIG_USERS, recentBatteryReplacement, startUpsdRig } from '../testing/upsd-rig';
import { builtAgentExecutable } from './artifact';

const run = promisify(execFile);

/** A master on a rig with its one UPS `ups`, logged in as monuser with NAS_PASSWORD. */
function rigMaster(id: string, port: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    label: `${id} NAS`,
    host: '127.0.0.1',
    port,
    ...extra,
    ups: [
      {
        name: 'ups',
        username: 'monuser',
        password: { source: 'env', name: 'NAS_PASSWORD' },
        batteryReplacedOn: recentBatteryReplacement(),
      },
    ],
  };
}

describe('self-contained agent (dist/agent)', () => {
  let rig: Rig;
  let dir: string;
  let agentFile: string;
  const env = {
    PATH: '/usr/sbin:/sbin',
    HOME: '/nonexistent',
    NAS_PASSWORD: RIG_USERS.monuser.password,
  };

  beforeAll(async () => {
    rig = await startUpsdRig();
    dir = await mkdtemp(path.join(tmpdir(), 'nut-agent-artifact-'));
    await mkdir(path.join(dir, 'bin'));
    agentFile = path.join(dir, 'bin', 'nut-sentinel');
    await copyFile(builtAgentExecutable(version), agentFile);
  });
  afterAll(async () => {
    await rig?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs alone: no node on PATH, nothing next to it', async () => {
    expect(await readdir(path.join(dir, 'bin'))).toEqual(['nut-sentinel']);
    await expect(run('/bin/sh', ['-c', 'command -v node'], { env })).rejects.toThrow();
    const { stdout } = await run(agentFile, ['--version'], { env });
    expect(stdout).toBe(`${version}\n`);
    const list = await run(agentFile, ['list', `127.0.0.1:${rig.port}`], { env });
    expect(list.stdout).toMatch(/^ups: /);
  });

  it('logs in (counted on upsd), reports events, runs a dry-run shutdown on a power cut, logs out on SIGTERM', async () => {
    const configPath = path.join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        masters: [
          {
            id: 'nas',
            label: 'Test NAS',
            host: '127.0.0.1',
            port: rig.port,
            ups: [
              {
                name: 'ups',
                username: 'monuser',
                password: { source: 'env', name: 'NAS_PASSWORD' },
              },
            ],
          },
        ],
        timing: { hostSyncSeconds: 1, finalDelaySeconds: 0 },
        shutdown: { dryRun: true, command: { file: '/sbin/shutdown', args: ['-h', '+0'] } },
      }),
    );
    const agent: ChildProcess = spawn(
      agentFile,
      ['agent', '--config', configPath, '--data-dir', path.join(dir, 'data'), '--no-notify'],
      { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    agent.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    agent.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const seen = (pattern: RegExp, what: string) =>
      waitFor(() => pattern.test(output), { timeoutMs: 20_000, description: what }).catch(
        (error: unknown) => {
          throw new Error(`${(error as Error).message}\nagent output:\n${output}`);
        },
      );
    try {
      await seen(/EVENT LOGIN \[nas\/ups\]/, 'LOGIN');
      expect(await rig.numLogins('ups')).toBe(1);
      await rig.setStatus('ups', 'OB LB');
      await seen(/Dry run: would run \/sbin\/shutdown -h \+0/, 'the dry-run shutdown');
      expect(output).toMatch(/EVENT onbatt \[nas\/ups\]/i);
      expect(output).not.toContain(RIG_USERS.monuser.password);
      const exited = new Promise<number | null>((resolve) =>
        agent.once('exit', (code) => resolve(code)),
      );
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
      await waitFor(async () => (await rig.numLogins('ups')) === 0, {
        timeoutMs: 5_000,
        description: 'LOGOUT',
      });
      // History went through the executable's own engine (node:sqlite, without its start-up
      // warning) and reads back on node-sqlite3-wasm, the desktop app's: one file format.
      expect(output).not.toMatch(/ExperimentalWarning|experimental feature/);
      expect(await readdir(path.join(dir, 'data'))).not.toContain('history.sqlite3.lock');
      const history = HistoryStore.open(path.join(dir, 'data', 'history.sqlite3'), {
        retentionDays: 3650,
        maxEvents: 1_000_000,
        pruneOnOpen: false,
        logger: { log: () => undefined },
      });
      try {
        const types = history.queryEvents({ monitorId: 'nas/ups' }).map((e) => e.type);
        expect(types).toEqual(expect.arrayContaining(['LOGIN', 'ONBATT', 'LOWBATT']));
      } finally {
        history.close();
      }
    } finally {
      if (agent.exitCode === null) agent.kill('SIGKILL');
      await rig.setStatus('ups', 'OL').catch(() => undefined);
    }
  });

  it('loads TLS, HTTP and crypto when used: LOGIN over STARTTLS with a pinned CA, a signed webhook test', async () => {
    const tlsRig = await startUpsdRig({ tls: true });
    const receiver = await startHttpReceiver();
    const configPath = path.join(dir, 'tls-config.json');
    const channelEnv = { ...env, HOOK_KEY: 'artifact-test-signing-key' };
    let agent: ChildProcess | undefined;
    try {
      await writeFile(
        configPath,
        JSON.stringify({
          masters: [
            rigMaster('tls', tlsRig.port, {
              tls: { mode: 'required', caPem: tlsRig.tls!.certPem },
            }),
          ],
          alerts: {
            channels: [
              {
                id: 'hook',
                type: 'webhook',
                url: `${receiver.url}/nut`,
                signingKey: { source: 'env', name: 'HOOK_KEY' },
              },
            ],
          },
          shutdown: { dryRun: true, command: { file: '/sbin/shutdown', args: ['-h', '+0'] } },
        }),
      );
      agent = spawn(
        agentFile,
        ['agent', '--config', configPath, '--data-dir', path.join(dir, 'tls-data'), '--no-notify'],
        { env: channelEnv, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      agent.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      agent.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      await waitFor(() => /EVENT LOGIN \[tls\/ups\]/.test(output), {
        timeoutMs: 20_000,
        description: 'LOGIN over TLS',
      }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\nagent output:\n${output}`);
      });
      expect(await tlsRig.numLogins('ups')).toBe(1);

      const sent = await run(
        agentFile,
        ['notify-test', 'hook', '--config', configPath, '--data-dir', path.join(dir, 'tls-data')],
        { env: channelEnv },
      );
      expect(sent.stdout).toMatch(/hook/);
      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests;
      expect(request!.path).toBe('/nut');
      expect(JSON.parse(request!.body)).toMatchObject({ schema: 'nut-sentinel.alert/v1' });
      const timestamp = request!.headers[TIMESTAMP_HEADER.toLowerCase()] as string;
      expect(request!.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(
        webhookSignature(channelEnv.HOOK_KEY, timestamp, request!.body),
      );
    } finally {
      if (agent && agent.exitCode === null) agent.kill('SIGKILL');
      await receiver.close();
      await tlsRig.stop();
    }
  });

  it('loads the packages only some configs use from inside it: MQTT and e-mail alerts, /metrics, the web bridge, mDNS, desktop notifications', async () => {
    const broker = await startBroker();
    const smtp = await startSmtpServer({
      username: 'alerts@example.net',
      password: 'smtp-pass-9',
    }).catch(async (error: unknown) => {
      await broker.stop();
      throw error;
    });
    const metricsPort = await getFreePort();
    const configPath = path.join(dir, 'channels-config.json');
    const dataDir = path.join(dir, 'channels-data');
    // Desktop notifications (node-notifier) through a stand-in notify-send that records its
    // arguments; the agent notifies only with a session bus address set.
    const fakeBin = path.join(dir, 'fake-bin');
    const notified = path.join(dir, 'notify-send.log');
    await mkdir(fakeBin, { recursive: true });
    await writeFile(path.join(fakeBin, 'notify-send'), `#!/bin/sh\necho "$*" >> '${notified}'\n`, {
      mode: 0o755,
    });
    const channelEnv = {
      ...env,
      PATH: `${fakeBin}:${env.PATH}`,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
      SMTP_PASSWORD: 'smtp-pass-9',
    };
    let agent: ChildProcess | undefined;
    let web: ChildProcess | undefined;
    let output = '';
    const capture = (child: ChildProcess) => {
      child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    };
    const until = (what: string, check: () => boolean) =>
      waitFor(check, { timeoutMs: 20_000, description: what }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\noutput:\n${output}`);
      });
    let watcher: Awaited<ReturnType<Broker['client']>> | undefined;
    try {
      watcher = await broker.client();
      await writeFile(
        configPath,
        JSON.stringify({
          masters: [rigMaster('nas', rig.port)],
          alerts: {
            channels: [
              { id: 'broker', type: 'mqtt', url: broker.url },
              {
                id: 'mail',
                type: 'email',
                host: '127.0.0.1',
                port: smtp.port,
                security: 'starttls',
                username: 'alerts@example.net',
                password: { source: 'env', name: 'SMTP_PASSWORD' },
                from: 'NUT Sentinel <alerts@example.net>',
                to: ['admin@example.net'],
                tls: { caPem: smtp.caPem },
              },
            ],
          },
          metrics: { enabled: true, port: metricsPort },
          shutdown: { dryRun: true, command: { file: '/sbin/shutdown', args: ['-h', '+0'] } },
        }),
      );
      const topics = await collect(watcher, 'nut-sentinel/#');
      agent = spawn(agentFile, ['agent', '--config', configPath, '--data-dir', dataDir], {
        env: channelEnv,
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      capture(agent);
      await until('LOGIN', () => /EVENT LOGIN \[nas\/ups\]/.test(output));
      // MQTT (mqtt): the agent's retained availability and the UPS's state.
      await until('MQTT online', () => topics.last('nut-sentinel/status') === 'online');
      await until('MQTT UPS status', () => topics.last('nut-sentinel/ups/nas/ups/status') === 'OL');
      // Prometheus (prom-client).
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/^nut_sentinel_logged_in\{[^}]*ups="ups"[^}]*\} 1$/m);
      // E-mail (nodemailer), through STARTTLS with a login.
      const sent = await run(
        agentFile,
        ['notify-test', 'mail', '--config', configPath, '--data-dir', dataDir],
        { env: channelEnv },
      );
      expect(sent.stdout).toMatch(/mail/);
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0]).toMatchObject({
        tls: true,
        authenticated: true,
        to: ['admin@example.net'],
      });
      // A power cut: the desktop notification.
      await rig.setStatus('ups', 'OB');
      await until('the desktop notification', () =>
        existsSync(notified) ? /battery/i.test(readFileSync(notified, 'utf8')) : false,
      );
      agent.kill('SIGTERM');
      await until('the agent to stop', () => agent!.exitCode !== null);

      // The browser bridge (ws): one API call over its WebSocket. `web` serves a UI folder found
      // beside the executable (the self-contained agent carries none).
      await mkdir(path.join(dir, 'renderer'), { recursive: true });
      await writeFile(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>UI</title>');
      web = spawn(
        agentFile,
        [
          'web',
          '--config',
          configPath,
          '--data-dir',
          dataDir,
          '--print-url',
          '--control-socket',
          path.join(dir, 'no-service.sock'),
        ],
        { env: channelEnv, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      capture(web);
      await until('the web UI URL', () => /access token[^:]*: \S+#token=\S+/.test(output));
      const url = /access token[^:]*: (\S+#token=\S+)/.exec(output)![1]!;
      const config = await bridgeInvoke(url, 'config:get', undefined);
      expect(config.config.masters.map((m) => m.id)).toEqual(['nas']);

      // mDNS (bonjour-service): a browse that ran without an error.
      const found = await run(
        agentFile,
        ['discover', '--range', '127.0.0.1', '--allow-outside-local', '--json'],
        { env },
      ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      expect(JSON.parse(found.stdout)).toMatchObject({ mdns: { browsed: true, error: null } });
    } finally {
      for (const child of [agent, web]) if (child && child.exitCode === null) child.kill('SIGKILL');
      await rig.setStatus('ups', 'OL').catch(() => undefined);
      watcher?.end(true);
      await smtp.stop();
      await broker.stop();
    }
  });
});
