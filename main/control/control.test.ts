/**
 * The control channel end to end in one process: the REAL core (createAppCore) monitoring the
 * demo's simulated NUT master, served by startControlServer on a Unix socket in a temp folder,
 * used through connectControl/remoteCore and through the attaching core a front end uses. The
 * master's NUMLOGINS tells how many sessions are logged in at any moment: the hand-over between
 * an app's own core and the service must never make it 2.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { passwordKey } from '../../shared/config';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import {
  DEMO_MONITOR_USER,
  type SimulatedMaster,
  startSimulatedMaster,
} from '../demo/simulated-master';
import { ApiRequestError } from '../platform/api-request-error';
import { MemorySecretStore } from '../testing/memory-secret-store';
import { waitFor } from '../testing/net';
import { createAttachingCore, type AttachingCore } from './attaching-core';
import {
  ControlAccessError,
  ControlUnavailableError,
  connectControl,
  handOver,
  remoteCore,
} from './control-client';
import { ControlEndpointError, type ControlServer, startControlServer } from './control-server';

const quiet = { log: () => undefined };
let master: SimulatedMaster;
let dir: string;
let endpoint: string;
const cleanups: Array<() => unknown> = [];

async function newCore(): Promise<CoreService> {
  const dataDir = await mkdtemp(path.join(dir, 'core-'));
  const configPath = path.join(dataDir, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      masters: [
        {
          id: 'nas',
          label: 'NAS',
          host: master.host,
          port: master.port,
          ups: [{ name: master.upsName, username: DEMO_MONITOR_USER.name }],
        },
      ],
      shutdown: { dryRun: true },
    }),
  );
  const core = await createAppCore({
    configPath,
    dataDir,
    historyInMemory: true,
    secrets: new MemorySecretStore({
      [passwordKey('nas', master.upsName)]: DEMO_MONITOR_USER.password,
    }),
    notifier: null,
    logger: quiet,
  });
  cleanups.push(() => core.stop());
  return core;
}

/** What the master says: how many secondaries are logged in to its UPS. */
function numLogins(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(master.port, master.host);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const match = /NUMLOGINS \S+ (\d+)/.exec(text);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
    socket.write(`GET NUMLOGINS ${master.upsName}\n`);
  });
}

/** Samples NUMLOGINS every 20 ms until stopped; returns the highest value seen. */
function watchLogins(): { stop(): Promise<number> } {
  let highest = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      highest = Math.max(highest, await numLogins());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return highest;
    },
  };
}

async function serve(
  core: CoreService,
  extra: Partial<Parameters<typeof startControlServer>[0]> = {},
) {
  const server = await startControlServer({
    core,
    endpoint,
    logger: quiet,
    version: 'test',
    group: null,
    handoverMs: 0,
    ...extra,
  });
  cleanups.push(() => server.close());
  return server;
}

/** The service's start sequence, as the agent runs it. */
async function startService(extra: Partial<Parameters<typeof startControlServer>[0]> = {}) {
  const core = await newCore();
  const server = await serve(core, extra);
  await server.handover();
  await core.start();
  server.setRunning();
  return { core, server };
}

async function stopService(service: { core: CoreService; server: ControlServer }) {
  await service.core.stop();
  await service.server.close();
}

beforeEach(async () => {
  master = await startSimulatedMaster();
  dir = await mkdtemp(path.join(tmpdir(), 'control-'));
  endpoint = path.join(dir, 'run', 'control.sock');
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await master.close();
  await rm(dir, { recursive: true, force: true });
});

describe('control server and client', () => {
  it('carries the API contract: invoke, typed errors, pushes, and its own service:status', async () => {
    const { core } = await startService();
    await waitFor(() => core.snapshot().ups[0]?.loggedIn === true, { timeoutMs: 10_000 });
    const connection = await connectControl(endpoint);
    cleanups.push(() => connection.close());
    expect(connection.hello).toMatchObject({
      hello: 'nut-sentinel',
      version: 'test',
      state: 'running',
    });
    const remote = await remoteCore(connection);
    expect(remote.snapshot().ups.map((u) => u.monitorId)).toEqual(
      core.snapshot().ups.map((u) => u.monitorId),
    );
    await expect(remote.handlers['service:status'](undefined)).resolves.toMatchObject({
      mode: 'service',
      endpoint,
    });
    // An invalid request is refused by the service's dispatcher, and arrives as the same ApiError.
    const refused = await remote.handlers['ups:get-variables']({ monitorId: '' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ApiRequestError);
    expect((refused as ApiRequestError).apiError.code).toBe('INVALID-REQUEST');
    // Pushes reach the client: pausing notifications changes the snapshot.
    const pushed = new Promise((resolve) =>
      remote.onPush('app:snapshot', (next) => {
        if (next.notificationsPaused) resolve(next);
      }),
    );
    await remote.handlers['notifications:set-paused']({ paused: true });
    await expect(pushed).resolves.toMatchObject({ notificationsPaused: true });
    expect(remote.snapshot().notificationsPaused).toBe(true);
    expect(core.snapshot().notificationsPaused).toBe(true);
  });

  it('makes the socket 0600 without the group, and its folder 0750', async () => {
    await startService();
    expect((await stat(endpoint)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(endpoint))).mode & 0o777).toBe(0o750);
  });

  it('replaces a stale socket, and refuses to start beside a live one', async () => {
    // A socket file nobody listens on (what an agent that crashed leaves): bound, never unlinked.
    await mkdir(path.dirname(endpoint), { recursive: true });
    execFileSync('python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      endpoint,
    ]);
    expect((await stat(endpoint)).isSocket()).toBe(true);
    const first = await startService();
    const second = await serve(await newCore()).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ControlEndpointError);
    expect((second as Error).message).toContain('already listens');
    await stopService(first);
    await expect(stat(endpoint)).rejects.toThrow();
  });

  it('says clearly when nothing listens', async () => {
    await expect(connectControl(endpoint)).rejects.toBeInstanceOf(ControlUnavailableError);
  });

  it('refuses a peer that is neither root nor in the group, with the fix', async () => {
    await startService({
      group: 'nut-sentinel',
      peerCredentials: () => Promise.resolve({ pid: 4242, uid: 12345, gid: 12345, groups: [] }),
    });
    const error = await connectControl(endpoint).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlAccessError);
    expect((error as Error).message).toMatch(
      /User 12345 may not control .*"nut-sentinel" group.*usermod -aG nut-sentinel/,
    );
  });

  it('waits at start for an app that is handing over, then runs', async () => {
    const core = await newCore();
    const server = await serve(core, { handoverMs: 50 });
    const connection = await connectControl(endpoint);
    cleanups.push(() => connection.close());
    expect(connection.hello.state).toBe('starting');
    let released = false;
    let handedOver = false;
    const handing = handOver(connection, async () => {
      await new Promise((r) => setTimeout(r, 300));
      released = true;
    });
    // Let the stopping message arrive before the service decides.
    await new Promise((r) => setTimeout(r, 20));
    const waiting = server.handover().then(() => (handedOver = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(handedOver).toBe(false);
    await handing;
    await waiting;
    expect(released).toBe(true);
    const running = new Promise((resolve) => connection.onState(resolve));
    server.setRunning();
    await expect(running).resolves.toBe('running');
  });
});

describe('the attaching core (a front end)', () => {
  async function frontEnd(): Promise<AttachingCore & { localCores: () => number }> {
    let created = 0;
    const core = await createAttachingCore({
      endpoint,
      createLocal: async () => {
        created += 1;
        return newCore();
      },
      logger: quiet,
      pollMs: 50,
    });
    cleanups.push(() => core.stop());
    return Object.assign(core, { localCores: () => created });
  }

  it('attaches to a running service and logs in nowhere itself', async () => {
    const service = await startService();
    await waitFor(() => service.core.snapshot().ups[0]?.loggedIn === true, { timeoutMs: 10_000 });
    const app = await frontEnd();
    await app.start();
    expect(app.mode).toBe('attached');
    expect(app.localCores()).toBe(0);
    expect(await numLogins()).toBe(1);
    await expect(app.handlers['service:status'](undefined)).resolves.toMatchObject({
      mode: 'attached',
      install: { available: false },
    });
    // Config save goes to the service's core.
    const { config } = await app.handlers['config:get'](undefined);
    const saved = await app.handlers['config:save']({ config: { ...config, startAtLogin: true } });
    expect(saved).toEqual({ ok: true });
    expect((await service.core.handlers['config:get'](undefined)).config.startAtLogin).toBe(true);
    // Stopping the app leaves the service logged in.
    await app.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(await numLogins()).toBe(1);
  });

  it('hands over to a service that starts later, and takes back when it stops: never two sessions', async () => {
    const app = await frontEnd();
    await app.start();
    expect(app.mode).toBe('own-core');
    await waitFor(async () => (await numLogins()) === 1, { timeoutMs: 10_000 });
    const watch = watchLogins();
    const modes: string[] = [];
    app.onModeChange((mode) => modes.push(mode));
    const service = await startService({ handoverMs: 2000 });
    await waitFor(() => app.mode === 'attached', { timeoutMs: 10_000 });
    await waitFor(() => service.core.snapshot().ups[0]?.loggedIn === true, { timeoutMs: 10_000 });
    expect(await numLogins()).toBe(1);
    await stopService(service);
    await waitFor(() => app.mode === 'own-core', { timeoutMs: 10_000 });
    await waitFor(async () => (await numLogins()) === 1, { timeoutMs: 10_000 });
    expect(await watch.stop()).toBe(1);
    expect(modes).toEqual(['attached', 'own-core']);
    expect(app.localCores()).toBe(2);
  });
});
