/**
 * The MQTT channel against a real mosquitto (started here on a free loopback port) and a real
 * upsd: retained state topics, Home Assistant discovery (and its clean removal), incident
 * messages on a power cut; then, with TLS and a password file, the headless agent as a separate
 * process whose last will says "offline" when it is killed with SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../shared/config';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import type { Logger, SecretStore } from '../platform/ports';
import { MemorySecretStore } from '../testing/memory-secret-store';
import { type Broker, collect, startBroker } from '../testing/mosquitto';
import { waitFor } from '../testing/net';
import { type Rig, makeTempDir, removeTempDir, startUpsdRig } from '../testing/upsd-rig';
import { nodeId } from './mqtt-channel';

const quiet: Logger = { log: () => undefined };
const root = path.resolve(import.meta.dirname, '../..');

describe('MQTT and Home Assistant against a real mosquitto and upsd', () => {
  let rig: Rig | undefined;
  let broker: Broker | undefined;
  let core: CoreService | undefined;
  let agent: ChildProcess | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    agent?.kill('SIGKILL');
    agent = undefined;
    await core?.stop();
    core = undefined;
    await broker?.stop();
    broker = undefined;
    await rig?.stop();
    rig = undefined;
    if (dir) await removeTempDir(dir);
    dir = undefined;
  });

  /** A started core with its own temp folder (removed after the test). */
  async function startCore(name: string, secrets: SecretStore | null = null): Promise<CoreService> {
    dir = await makeTempDir(name);
    const started = await createAppCore({
      configPath: path.join(dir, 'config.json'),
      dataDir: dir,
      secrets,
      notifier: null,
      logger: quiet,
    });
    core = started; // stopped by afterEach even if start() throws
    await started.start();
    return started;
  }

  function config(r: Rig, b: Broker, extra: Record<string, unknown> = {}): ConfigInput {
    return {
      masters: [
        {
          id: 'nas',
          label: 'Synology NAS',
          host: '127.0.0.1',
          port: r.port,
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
      shutdown: { dryRun: true },
      alerts: {
        channels: [
          {
            id: 'broker',
            type: 'mqtt',
            url: b.url,
            topicPrefix: 'nuts',
            severities: ['info', 'warning', 'critical'],
            ...extra,
          } as never,
        ],
        incidents: { settleSeconds: 0 },
      },
    };
  }

  it('state topics are retained, the UPS appears in Home Assistant as a device, a power cut is one incident, and removing the UPS clears it', async () => {
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    [rig, broker] = await Promise.all([startUpsdRig(), startBroker()]);
    core = await startCore('mqtt-core');
    expect(await core.handlers['config:save']({ config: config(rig, broker) })).toEqual({
      ok: true,
    });

    const base = 'nuts/ups/nas/ups';
    const node = nodeId('nas/ups');
    // A client that connects later sees everything that matters as retained messages.
    await waitFor(
      async () => {
        const probe = await broker!.client();
        const seen = await collect(probe, ['nuts/#', `homeassistant/+/${node}/+/config`]);
        await new Promise((r) => setTimeout(r, 300));
        await probe.endAsync();
        const state = seen.last(`${base}/state`);
        return (
          seen.last('nuts/status') === 'online' &&
          state !== undefined &&
          JSON.parse(state).charge === 100 &&
          seen.messages.filter((m) => m.topic.startsWith('homeassistant/')).length >= 12
        );
      },
      { timeoutMs: 15_000 },
    );

    const watcher = await broker.client();
    const seen = await collect(watcher, ['nuts/#', 'homeassistant/#']);
    await waitFor(
      () =>
        seen.last(`${base}/state`) !== undefined &&
        seen.messages.filter((m) => m.topic.startsWith('homeassistant/')).length >= 12,
      { timeoutMs: 5_000 },
    );
    const retained = seen.messages.filter((m) => m.retain).map((m) => m.topic);
    expect(retained).toEqual(
      expect.arrayContaining([
        'nuts/status',
        `${base}/state`,
        `${base}/status`,
        `${base}/charge`,
        `${base}/runtime`,
        `${base}/load`,
        `${base}/input_voltage`,
        `${base}/output_voltage`,
        `${base}/logged_in`,
        `${base}/num_logins`,
        `${base}/connection`,
      ]),
    );
    const state = JSON.parse(seen.last(`${base}/state`)!);
    expect(state).toMatchObject({
      status: 'OL',
      on_battery: false,
      low_battery: false,
      charge: 100,
      runtime: 3007,
      connection: 'connected',
      connected: true,
      logged_in: true,
      num_logins: 1,
    });
    expect(seen.last(`${base}/status`)).toBe('OL');
    expect(seen.last(`${base}/logged_in`)).toBe('true');

    const charge = JSON.parse(seen.last(`homeassistant/sensor/${node}/battery_charge/config`)!);
    expect(charge).toMatchObject({
      unique_id: `${node}_battery_charge`,
      state_topic: `${base}/state`,
      unit_of_measurement: '%',
      device_class: 'battery',
      availability_topic: 'nuts/status',
      device: {
        identifiers: [node],
        manufacturer: 'American Power Conversion',
        model: 'Back-UPS CS 350',
        serial_number: '4B0841P06334',
        name: 'ups on Synology NAS',
      },
    });
    for (const key of ['on_battery', 'low_battery', 'connected']) {
      expect(
        JSON.parse(seen.last(`homeassistant/binary_sensor/${node}/${key}/config`)!),
      ).toMatchObject({ state_topic: `${base}/state`, device: { identifiers: [node] } });
    }

    // Power cut on the rig: the state follows, the events topic carries the incident.
    await rig.setStatus('ups', 'OB');
    await waitFor(() => JSON.parse(seen.last(`${base}/state`) ?? '{}').on_battery === true, {
      timeoutMs: 10_000,
    });
    await waitFor(() => seen.messages.some((m) => m.topic === 'nuts/events'), {
      timeoutMs: 10_000,
    });
    await rig.setStatus('ups', 'OL');
    await waitFor(() => seen.messages.filter((m) => m.topic === 'nuts/events').length >= 2, {
      timeoutMs: 10_000,
    });
    const alerts = seen.messages
      .filter((m) => m.topic === 'nuts/events')
      .map(
        (m) =>
          JSON.parse(m.payload) as { phase: string; incident: { id: string } | null; text: string },
      );
    expect(alerts.map((a) => a.phase)).toEqual(['open', 'resolved']);
    expect(alerts[0]!.incident!.id).toBe(alerts[1]!.incident!.id);
    expect(alerts[1]!.text).toMatch(/power back after/);
    expect(seen.messages.filter((m) => m.topic === 'nuts/events').every((m) => !m.retain)).toBe(
      true,
    );
    // The incident topic is retained and superseded: a new subscriber sees only the resolution.
    const late = await broker.client();
    const lateSeen = await collect(late, `${base}/incident`);
    await waitFor(() => lateSeen.messages.length > 0, { timeoutMs: 5_000 });
    expect(JSON.parse(lateSeen.messages[0]!.payload).phase).toBe('resolved');

    // The UPS leaves the config: empty retained configs remove it from Home Assistant.
    const without = { ...config(rig, broker), masters: [] };
    expect(await core.handlers['config:save']({ config: without })).toEqual({ ok: true });
    await waitFor(
      () =>
        seen.messages.some(
          (m) =>
            m.topic === `homeassistant/sensor/${node}/battery_charge/config` && m.payload === '',
        ),
      { timeoutMs: 10_000 },
    );
    const after = await broker.client();
    const afterSeen = await collect(after, ['homeassistant/#', `${base}/#`]);
    await new Promise((r) => setTimeout(r, 500));
    expect(afterSeen.messages).toEqual([]);
  });

  it('over TLS with a password file: the agent process publishes, and its last will says offline after SIGKILL', async () => {
    const user = { username: 'sentinel', password: 'mqtt-pass-42' };
    [rig, broker] = await Promise.all([startUpsdRig(), startBroker({ tls: true, user })]);
    dir = await makeTempDir('mqtt-agent');
    const configPath = path.join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify(
        config(rig, broker, {
          username: user.username,
          password: { source: 'env', name: 'NS_TEST_MQTT_PASSWORD' },
          tls: { caPem: broker.caPem },
        }),
        null,
        2,
      ),
    );

    const watcher = await broker.client();
    const seen = await collect(watcher, 'nuts/#');
    // node itself runs the agent (tsx as a loader, not as a parent process): SIGKILL hits the agent.
    agent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(root, 'main/cli/index.ts'),
        'agent',
        '--config',
        configPath,
        '--data-dir',
        dir,
        '--no-notify',
      ],
      {
        env: {
          ...process.env,
          NS_TEST_UPS_PASSWORD: 'secret',
          NS_TEST_MQTT_PASSWORD: user.password,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: root,
      },
    );
    let output = '';
    agent.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    agent.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(
      () =>
        seen.last('nuts/status') === 'online' && seen.last('nuts/ups/nas/ups/logged_in') === 'true',
      { timeoutMs: 30_000 },
    ).catch((error: unknown) => {
      throw new Error(`agent did not publish: ${output}\n${broker!.logs()}`, { cause: error });
    });
    expect(output).not.toContain(user.password);

    const killedAt = Date.now();
    agent.kill('SIGKILL');
    await waitFor(() => seen.last('nuts/status') === 'offline', { timeoutMs: 10_000 });
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    // Retained for whoever asks later (Home Assistant marks the entities unavailable).
    const later = await broker.client();
    const laterSeen = await collect(later, 'nuts/status');
    await waitFor(() => laterSeen.messages.length > 0, { timeoutMs: 5_000 });
    expect(laterSeen.messages[0]).toMatchObject({ payload: 'offline', retain: true });
  });

  it('a wrong MQTT password or an untrusted certificate is a clear per-channel reason', async () => {
    const user = { username: 'sentinel', password: 'right' };
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    process.env.NS_TEST_MQTT_WRONG = 'wrong';
    [rig, broker] = await Promise.all([startUpsdRig(), startBroker({ tls: true, user })]);
    core = await startCore('mqtt-bad');
    const base = config(rig, broker);
    const channels = [
      {
        id: 'wrong-password',
        type: 'mqtt',
        url: broker.url,
        username: 'sentinel',
        password: { source: 'env', name: 'NS_TEST_MQTT_WRONG' },
        tls: { caPem: broker.caPem },
        timeoutSeconds: 2,
      },
      {
        id: 'untrusted',
        type: 'mqtt',
        url: broker.url,
        username: 'sentinel',
        password: { source: 'env', name: 'NS_TEST_MQTT_WRONG' },
        timeoutSeconds: 2,
      },
    ];
    expect(
      await core.handlers['config:save']({
        config: { ...base, alerts: { channels: channels as never } },
      }),
    ).toEqual({ ok: true });
    const wrong = await core.handlers['alerts:test']({ channelId: 'wrong-password' });
    expect(wrong.ok).toBe(false);
    expect(wrong.detail).toMatch(/refused the user name or password|not authorized/);
    const untrusted = await core.handlers['alerts:test']({ channelId: 'untrusted' });
    expect(untrusted.ok).toBe(false);
    expect(untrusted.detail).toMatch(/TLS certificate not trusted/);
  });

  it('a broker that is down fails Send test at once with the reason, and one back on its port is used at once', async () => {
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    [rig, broker] = await Promise.all([startUpsdRig(), startBroker()]);
    const { port } = broker;
    await broker.stop();
    broker = undefined;
    core = await startCore('mqtt-down');
    const url = `mqtt://127.0.0.1:${port}`;
    // The channel's own timeout stays long: the answers below must not come from it.
    const down = { ...config(rig, { url } as Broker, { timeoutSeconds: 30 }) };
    expect(await core.handlers['config:save']({ config: down })).toEqual({ ok: true });
    const started = Date.now();
    const refused = await core.handlers['alerts:test']({ channelId: 'broker' });
    expect(refused).toEqual({
      ok: false,
      detail: `broker (mqtt): MQTT broker 127.0.0.1:${port} refused the connection (is the service running on that port?)`,
    });
    const back = Date.now();
    broker = await startBroker({ port });
    const events = await collect(await broker.client(), 'nuts/events');
    const restarted = Date.now();
    const delivered = await core.handlers['alerts:test']({ channelId: 'broker' });
    const deliveredAfter = Date.now() - restarted;
    expect(delivered).toMatchObject({ ok: true });
    await waitFor(() => events.messages.length > 0, {
      timeoutMs: 5_000,
      description: 'the test message',
    });
    console.log(
      `refused answered in ${back - started} ms; delivered in ${deliveredAfter} ms with the broker back`,
    );
    // Neither waited for the 30 s timeout nor for mqtt.js's next reconnect (every 5 s).
    expect(back - started).toBeLessThan(4_000);
    expect(deliveredAfter).toBeLessThan(4_000);
  });

  it('a password stored after the channel was saved (as Settings does) is used at once, without a restart', async () => {
    const user = { username: 'sentinel', password: 'typed-in-settings' };
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    [rig, broker] = await Promise.all([startUpsdRig(), startBroker({ user })]);
    core = await startCore('mqtt-secret-later', new MemorySecretStore());
    const saved = await core.handlers['config:save']({
      config: config(rig, broker, {
        username: user.username,
        password: { source: 'store' },
        timeoutSeconds: 2,
      }),
    });
    expect(saved).toEqual({ ok: true });
    // The channel was built (and connected) before the secret existed.
    expect((await core.handlers['alerts:test']({ channelId: 'broker' })).ok).toBe(false);
    await core.handlers['secrets:set-channel-secret']({
      channelId: 'broker',
      field: 'password',
      value: user.password,
    });
    const watcher = await broker.client(user);
    try {
      const status = await collect(watcher, 'nuts/status');
      const test = await core.handlers['alerts:test']({ channelId: 'broker' });
      expect(test).toMatchObject({ ok: true });
      await waitFor(() => status.last('nuts/status') === 'online', { timeoutMs: 10_000 });
    } finally {
      await watcher.endAsync();
    }
  });
});
