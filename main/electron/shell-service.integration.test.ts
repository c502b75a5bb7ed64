/**
 * The desktop app attached to the background service, for real: the Electron shell (under the
 * central electron mock) next to a REAL agent process — the CLI bundle `npm run build` makes,
 * `agent --control-socket` — monitoring a real upsd. The shell must not create a core of its
 * own; the tray, the dashboard's IPC, notifications, the FSD test and config save all go through
 * the control socket; upsd counts ONE login the whole time; quitting the app leaves the service
 * logged in. A second uid is refused on the socket, by the kernel (file permissions) and, where
 * the permissions would let it in, by the service's peer-credential check. Settings' "Install the
 * background service" runs the real `service install` through a pkexec stand-in, and the app then
 * hands its session over to the service without the master ever counting two.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import type { DesktopNotification } from '../platform/ports';
import { type BuiltCli, buildCli } from '../testing/built-cli';
import { electronMock, resetElectronMock } from '../testing/electron-mock';
import { waitFor } from '../testing/net';
import { type Rig, RIG_USERS, startUpsdRig } from '../testing/upsd-rig';
import { createAppCore } from '../core/app-core';
import { startControlServer } from '../control/control-server';
import { BACKGROUND_SERVICE_LINE } from './tray';
import { startShell } from './shell';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const UPS = 'ups';
let rig: Rig;
let cli: BuiltCli;
let tmp: string;
let socketPath: string;
let configPath: string;
let agent: ChildProcess | null = null;
let agentOutput = '';

async function startAgent(): Promise<void> {
  agentOutput = '';
  agent = spawn(
    process.execPath,
    [
      cli.entry,
      'agent',
      '--config',
      configPath,
      '--data-dir',
      path.join(tmp, 'service-data'),
      '--no-notify',
      '--control-socket',
      socketPath,
      // Group root: only root may connect (the rig's test user has no nut-sentinel group).
      '--control-group',
      'root',
    ],
    {
      env: { ...process.env, NAS_PASSWORD: RIG_USERS.monuser.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  agent.stdout!.on('data', (c: Buffer) => (agentOutput += c.toString()));
  agent.stderr!.on('data', (c: Buffer) => (agentOutput += c.toString()));
  await waitFor(() => /EVENT LOGIN \[nas\/ups\]/.test(agentOutput), {
    timeoutMs: 20_000,
    description: `the agent's login (output: ${agentOutput})`,
  });
}

async function stopAgent(): Promise<number | null> {
  const child = agent;
  agent = null;
  if (!child || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

/** Opens the dashboard window and returns an IPC invoke as its renderer would make it. */
function openDashboard(handle: { showWindow(): void }) {
  handle.showWindow();
  const win = electronMock.windows[0]!;
  win.webContents.finishLoad();
  const event = { sender: win.webContents, senderFrame: win.webContents.mainFrame };
  return async <T>(channel: string, request?: unknown): Promise<T> => {
    const result = (await electronMock.ipcMain.invokeFrom(event, channel, request)) as {
      ok: boolean;
      response?: T;
      error?: unknown;
    };
    if (!result.ok) throw new Error(`${channel}: ${JSON.stringify(result.error)}`);
    return result.response as T;
  };
}

beforeAll(async () => {
  [rig, cli] = await Promise.all([startUpsdRig(), buildCli()]);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'nut-shell-service-'));
  // The second uid must reach the socket's own folder to be refused by it, not by mkdtemp's 0700.
  await chmod(tmp, 0o755);
  socketPath = path.join(tmp, 'run', 'control.sock');
  configPath = path.join(tmp, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      masters: [
        {
          id: 'nas',
          label: 'Test NAS',
          preset: 'synology',
          host: '127.0.0.1',
          port: rig.port,
          ups: [
            {
              name: UPS,
              username: RIG_USERS.monuser.name,
              password: { source: 'env', name: 'NAS_PASSWORD' },
            },
          ],
        },
      ],
      shutdown: { dryRun: true },
    }),
  );
}, 120_000);

afterAll(async () => {
  await stopAgent();
  await rig?.stop();
  await cli?.remove();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('desktop app attached to the background service', () => {
  it('uses the service for tray, IPC, notifications, the FSD test and config save, with one LOGIN', async () => {
    await startAgent();
    expect(await rig.numLogins(UPS)).toBe(1);

    resetElectronMock();
    const userData = path.join(tmp, 'userData');
    electronMock.setPath('userData', userData);
    electronMock.setPath('appPath', path.join(tmp, 'app'));
    const createCore = vi.fn(createAppCore);
    const shown: DesktopNotification[] = [];
    const handle = startShell({
      createCore,
      mainDir: path.join(tmp, 'app', 'out', 'main'),
      platform: 'linux',
      env: {},
      argv: ['electron', '.', '--hidden'],
      logToConsole: false,
      controlEndpoint: socketPath,
      serviceAgent: null,
      createNotifier: () => ({
        notify: (n) => {
          shown.push(n);
          return Promise.resolve();
        },
      }),
    });
    electronMock.setReady();
    await handle.started;
    try {
      expect(handle.phase).toBe('running');
      // Attached: the app made no core of its own, and the master still counts one session.
      expect(createCore).not.toHaveBeenCalled();
      const tray = electronMock.trays[0]!;
      expect(tray.contextMenu!.items[0]!.label).toBe(BACKGROUND_SERVICE_LINE);

      const invoke = openDashboard(handle);

      // Status, from the service's core.
      const snapshot = await invoke<{ ups: { monitorId: string; status: string }[] }>(
        'app:get-snapshot',
      );
      expect(snapshot.ups).toMatchObject([{ monitorId: 'nas/ups', status: 'OL' }]);
      await expect(invoke('service:status')).resolves.toMatchObject({
        mode: 'attached',
        endpoint: socketPath,
      });

      // A power cut on the rig: the tray and a desktop notification follow the service.
      await rig.setStatus(UPS, 'OB');
      await waitFor(() => /on-battery/.test(tray.image.path), {
        timeoutMs: 15_000,
        description: `the tray on battery (${tray.image.path})`,
      });
      await waitFor(() => shown.some((n) => /battery/i.test(`${n.title} ${n.body}`)), {
        timeoutMs: 15_000,
        description: `an on-battery notification (${JSON.stringify(shown)})`,
      });
      await rig.setStatus(UPS, 'OB LB');
      await waitFor(() => /low-battery|shutting-down/.test(tray.image.path), {
        timeoutMs: 15_000,
        description: `the tray at low battery (${tray.image.path})`,
      });
      expect(tray.contextMenu!.items[0]!.label).toBe(BACKGROUND_SERVICE_LINE);
      // Dry run: the service records the shutdown instead of running it; power comes back.
      await waitFor(() => /EVENT shutdown/i.test(agentOutput), {
        timeoutMs: 30_000,
        description: `the service's (dry-run) shutdown (output: ${agentOutput.slice(-2000)})`,
      });
      await rig.setStatus(UPS, 'OL');
      await invoke('monitor:acknowledge-shutdown', { monitorId: 'nas/ups' }).catch(() => undefined);

      // The FSD test (local mode, dry run) runs in the service.
      const started = await invoke<{ runId: string }>('fsd:start', {
        preflight: { monitorId: 'nas/ups', mode: 'local', dryRun: true },
        countdownSeconds: 0,
      });
      const finished = await waitFor(
        async () => {
          const view = await invoke<{ state: string } | null>('fsd:get-run', {
            runId: started.runId,
          });
          return view && ['finished', 'failed', 'aborted'].includes(view.state) ? view : false;
        },
        { timeoutMs: 30_000, description: 'the FSD test to end' },
      );
      expect(finished.state).toBe('finished');

      // Config save lands in the service's config file.
      const { config } = await invoke<{ config: { masters: { label: string }[] } }>('config:get');
      const renamed = {
        ...config,
        masters: config.masters.map((m) => ({ ...m, label: 'Renamed NAS' })),
      };
      await expect(invoke('config:save', { config: renamed })).resolves.toEqual({ ok: true });
      const onDisk = JSON.parse(await readFile(configPath, 'utf8')) as {
        masters: { label: string }[];
      };
      expect(onDisk.masters[0]!.label).toBe('Renamed NAS');

      // One LOGIN on the master through all of it.
      await waitFor(async () => (await rig.numLogins(UPS)) === 1, { timeoutMs: 15_000 });
      expect(await rig.listClients(UPS)).toHaveLength(1);
    } finally {
      await handle.teardown.run();
    }
    // Quitting the app leaves the service protecting the machine.
    expect(createCore).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 300));
    expect(await rig.numLogins(UPS)).toBe(1);
    expect(await stopAgent()).toBe(0);
    await waitFor(async () => (await rig.numLogins(UPS)) === 0, { timeoutMs: 5000 });
  }, 180_000);

  it('Settings → Install the background service: the real `service install` through pkexec, then the app hands over to it', async () => {
    // pkexec itself needs polkit and a person to type a password; its stand-in does what pkexec
    // does once the password is given: it runs the argv it got, as root (this test runs as root),
    // with no shell in between. It records that argv, and adds --root so the install lands in a
    // scratch root instead of this machine's /etc (with another root, nothing is started).
    const scratch = await mkdtemp(path.join(tmp, 'install-root-'));
    const bin = path.join(tmp, 'bin');
    await mkdir(bin, { recursive: true });
    const argvFile = path.join(tmp, 'pkexec-argv');
    await writeFile(
      path.join(bin, 'pkexec'),
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\nexec "$@" --root '${scratch}'\n`,
      { mode: 0o755 },
    );

    resetElectronMock();
    electronMock.setPath('userData', path.join(tmp, 'userData-install'));
    electronMock.setPath('appPath', path.join(tmp, 'app'));
    // The app's own core monitors the same UPS until the service is there.
    const ownConfig = path.join(tmp, 'userData-install', 'config.json');
    await mkdir(path.dirname(ownConfig), { recursive: true });
    const passwordFile = path.join(tmp, 'userData-install', 'nas.password');
    await writeFile(passwordFile, RIG_USERS.monuser.password, { mode: 0o600 });
    const serviceConfig = JSON.parse(await readFile(configPath, 'utf8')) as {
      masters: { ups: { password: unknown }[] }[];
    };
    serviceConfig.masters[0]!.ups[0]!.password = { source: 'file', path: passwordFile };
    await writeFile(ownConfig, JSON.stringify(serviceConfig));
    const createCore = vi.fn((deps: Parameters<typeof createAppCore>[0]) =>
      createAppCore({ ...deps, configPath: ownConfig, historyInMemory: true }),
    );
    const handle = startShell({
      createCore,
      mainDir: path.join(tmp, 'app', 'out', 'main'),
      platform: 'linux',
      env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
      argv: ['electron', '.', '--hidden'],
      logToConsole: false,
      controlEndpoint: socketPath,
      serviceAgent: { program: process.execPath, prefix: [cli.entry] },
      attachPollMs: 100,
      createNotifier: () => ({ notify: () => Promise.resolve() }),
    });
    electronMock.setReady();
    await handle.started;
    // Sampled all along: upsd must never count this machine twice.
    let mostLogins = 0;
    let sampling = true;
    let agentExit: number | null;
    const sampler = (async () => {
      while (sampling) {
        mostLogins = Math.max(mostLogins, await rig.numLogins(UPS));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      expect(createCore).toHaveBeenCalledTimes(1);
      await waitFor(async () => (await rig.numLogins(UPS)) === 1, {
        timeoutMs: 15_000,
        description: "the app's own LOGIN",
      });
      const invoke = openDashboard(handle);

      // What Settings shows before the click: offered, with the command for a terminal.
      await expect(invoke('service:status')).resolves.toMatchObject({
        mode: 'own-core',
        install: {
          available: true,
          command: `sudo ${process.execPath} ${cli.entry} service install`,
          reason: null,
        },
      });

      const installed = await invoke<{ ok: boolean; detail: string }>('service:install');
      expect(installed.ok, installed.detail).toBe(true);
      // pkexec got the agent's words as separate arguments, nothing else.
      expect((await readFile(argvFile, 'utf8')).trimEnd().split('\n')).toEqual([
        process.execPath,
        cli.entry,
        'service',
        'install',
      ]);
      // The CLI's own report reaches the user, and the unit it wrote runs this same agent.
      expect(installed.detail).toContain('wrote /etc/systemd/system/nut-sentinel.service');
      const unit = await readFile(
        path.join(scratch, 'etc/systemd/system/nut-sentinel.service'),
        'utf8',
      );
      expect(unit).toContain(
        `ExecStart=${process.execPath} ${cli.entry} agent --config /etc/nut-sentinel/config.json`,
      );
      // Enabled for boot (an absolute link, as systemctl makes it, so lstat, not exists).
      const wants = await lstat(
        path.join(scratch, 'etc/systemd/system/multi-user.target.wants/nut-sentinel.service'),
      );
      expect(wants.isSymbolicLink()).toBe(true);

      // systemd would start it now; here the same agent starts on the test's socket and config.
      // The app stops its own core (LOGOUT) and attaches: still one session on the master.
      await startAgent();
      await waitFor(
        () =>
          handle.phase === 'running' &&
          electronMock.trays[0]!.contextMenu!.items[0]!.label === BACKGROUND_SERVICE_LINE,
        {
          timeoutMs: 20_000,
          description: 'the tray saying the service protects the machine',
        },
      );
      await expect(invoke('service:status')).resolves.toMatchObject({
        mode: 'attached',
        install: { available: false, reason: 'The background service is running.' },
      });
      expect(createCore).toHaveBeenCalledTimes(1);
      await waitFor(async () => (await rig.numLogins(UPS)) === 1, { timeoutMs: 15_000 });
      expect(await rig.listClients(UPS)).toHaveLength(1);
    } finally {
      sampling = false;
      await sampler;
      await handle.teardown.run();
      agentExit = await stopAgent();
    }
    expect(agentExit).toBe(0);
    expect(mostLogins).toBe(1);

    // `service uninstall` takes back exactly what the button added.
    await run(process.execPath, [cli.entry, 'service', 'uninstall', '--root', scratch]);
    expect(existsSync(path.join(scratch, 'etc/systemd/system/nut-sentinel.service'))).toBe(false);
    expect(existsSync(path.join(scratch, 'etc/nut-sentinel'))).toBe(false);
  }, 180_000);

  it('refuses a second uid: the kernel by the socket permissions, the service by its peer check', async () => {
    await startAgent();
    try {
      // The client library as uid 65534 (nobody), no groups.
      const probe = [
        '--import',
        'tsx',
        '-e',
        `import(${JSON.stringify(path.join(root, 'main/control/control-client.ts'))}).then(async ({ connectControl }) => {
           try { await connectControl(process.argv[1]); console.log('CONNECTED'); }
           catch (e) { console.log(e.name + ': ' + e.message); }
         })`,
      ];
      const asNobody = (endpoint: string) =>
        run(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            process.execPath,
            ...probe,
            endpoint,
          ],
          { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: '/tmp' }, timeout: 30_000 },
        );
      const byKernel = await asNobody(socketPath);
      expect(byKernel.stdout).toMatch(
        /ControlAccessError: You may not open the NUT Sentinel service's control socket .*control\.sock.*"nut-sentinel" group.*usermod -aG nut-sentinel/,
      );
      // The service did not even see it, and still has one session.
      expect(await rig.numLogins(UPS)).toBe(1);

      // A socket anybody may open (0666): the peer-credential check (ss + /proc) refuses.
      const core = await createAppCore({
        configPath: path.join(tmp, 'empty.json'),
        dataDir: await mkdtemp(path.join(tmp, 'peer-')),
        historyInMemory: true,
        secrets: {
          get: () => Promise.resolve(undefined),
          set: async () => {},
          delete: async () => {},
        },
        notifier: null,
        logger: { log: () => undefined },
      });
      const open = path.join(tmp, 'open', 'control.sock');
      const server = await startControlServer({
        core,
        endpoint: open,
        logger: { log: () => undefined },
        version: 'test',
        group: 'root',
        socketMode: 0o666,
        handoverMs: 0,
      });
      try {
        await chmod(path.dirname(open), 0o755);
        const byService = await asNobody(open);
        expect(byService.stdout).toMatch(
          /ControlAccessError: User 65534 may not control the NUT Sentinel service: only root and members of the "root" group can/,
        );
      } finally {
        await server.close();
        await core.stop();
      }
    } finally {
      expect(await stopAgent()).toBe(0);
    }
  }, 120_000);
});
