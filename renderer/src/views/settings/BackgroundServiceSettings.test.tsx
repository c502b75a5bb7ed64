// @vitest-environment jsdom
/**
 * Settings → Background service and the sidebar's indicator, against the REAL attaching core a
 * front end uses (main/control/attaching-core.ts): with no service (the app's own core, a real
 * createAppCore), and attached to a real service core served by startControlServer on a Unix
 * socket in a temp folder. The installer is the real one (main/service/elevate.ts); the only
 * stand-in is `pkexec`, a script that answers as polkit does when the password dialog is
 * dismissed (no polkit agent can be driven here).
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { NutSentinelApi } from '../../../../shared/ipc';

const harness = await vi.hoisted(async () => {
  const { createAppCore } = await import('../../../../main/core/app-core');
  const { dispatchInvoke } = await import('../../../../main/core/dispatch');
  const { MemorySecretStore } = await import('../../../../main/testing/memory-secret-store');
  type Core = Awaited<ReturnType<typeof createAppCore>>;
  const fs = await import('node:fs/promises');
  const os = await import('node:os');
  const p = await import('node:path');
  const dir = await fs.mkdtemp(p.join(os.tmpdir(), 'service-settings-'));
  let serial = 0;
  const newCore = async (): Promise<Core> => {
    const dataDir = p.join(dir, `core-${++serial}`);
    await fs.mkdir(dataDir);
    await fs.writeFile(p.join(dataDir, 'config.json'), '{}');
    return createAppCore({
      configPath: p.join(dataDir, 'config.json'),
      dataDir,
      historyInMemory: true,
      secrets: new MemorySecretStore(),
      notifier: null,
      logger: { log: () => undefined },
    });
  };
  // The UI's transport is picked at import: one preload-like API over whichever core the test set.
  const current: { handlers: Core['handlers']; onPush: Core['onPush'] } = {
    handlers: (await newCore()).handlers,
    onPush: () => () => undefined,
  };
  const api: NutSentinelApi = {
    async invoke(channel, request) {
      const result = await dispatchInvoke(current.handlers, channel, request);
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- as the preload does.
      if (!result.ok) throw result.error;
      return structuredClone(result.response) as never;
    },
    subscribe: (channel, listener) => current.onPush(channel, listener),
  };
  Object.assign(window, { nutSentinel: api });
  return { dir, newCore, current };
});

// Node modules only for the test's own files (the component reaches the core through api.ts).
const { chmod, mkdtemp, rm, writeFile } = await import('node:fs/promises');
const { tmpdir } = await import('node:os');
const { default: path } = await import('node:path');
const { createAttachingCore } = await import('../../../../main/control/attaching-core');
const { startControlServer } = await import('../../../../main/control/control-server');
const { createServiceInstaller } = await import('../../../../main/service/elevate');
const { BackgroundServiceSettings } = await import('./BackgroundServiceSettings');
const { App } = await import('../../App');

const quiet = { log: () => undefined };
/** findBy… waits: the core answers over real sockets and child processes. */
const WAIT = { timeout: 5_000 };
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  cleanup();
  for (const undo of cleanups.splice(0).reverse()) await undo();
});
afterAll(() => rm(harness.dir, { recursive: true, force: true }));

async function frontEnd(options: {
  endpoint: string;
  installer?: Parameters<typeof createAttachingCore>[0]['installer'];
}) {
  const core = await createAttachingCore({
    endpoint: options.endpoint,
    createLocal: () => harness.newCore(),
    logger: quiet,
    pollMs: 100,
    ...(options.installer ? { installer: options.installer } : {}),
  });
  cleanups.push(() => core.stop());
  harness.current.handlers = core.handlers;
  harness.current.onPush = (channel, listener) => core.onPush(channel, listener);
  return core;
}

/** A `pkexec` on a private PATH that answers like polkit when the dialog is dismissed. */
async function dismissingPkexec(): Promise<string> {
  const bin = await mkdtemp(path.join(tmpdir(), 'pkexec-'));
  cleanups.push(() => rm(bin, { recursive: true, force: true }));
  await writeFile(
    path.join(bin, 'pkexec'),
    '#!/bin/sh\necho "Error executing command as another user: Request dismissed" >&2\nexit 126\n',
  );
  await chmod(path.join(bin, 'pkexec'), 0o755);
  return bin;
}

const agent = { program: '/usr/bin/nut-sentinel', prefix: [] };

describe('Background service settings', () => {
  it('no service: says the app monitors itself and why installing is not offered (no pkexec)', async () => {
    await frontEnd({
      endpoint: path.join(harness.dir, 'none', 'control.sock'),
      installer: createServiceInstaller({
        platform: 'linux',
        cli: agent,
        env: { PATH: '/nonexistent' },
      }),
    });
    render(<BackgroundServiceSettings />);
    const state = await screen.findByTestId('service-state', {}, WAIT);
    expect(state.textContent).toContain('No background service runs on this machine');
    expect(screen.getByTestId('service-runs').textContent).toBe('No');
    expect(screen.getByTestId('service-attached').textContent).toBe('No');
    expect(screen.queryByTestId('service-install')).toBeNull();
    const blocked = screen.getByTestId('service-install-blocked');
    expect(blocked.textContent).toMatch(/pkexec \(polkit\) is not installed/);
    expect(blocked.textContent).toContain('sudo /usr/bin/nut-sentinel service install');
  });

  it('no agent program: tells which package to install', async () => {
    await frontEnd({
      endpoint: path.join(harness.dir, 'none', 'control.sock'),
      installer: createServiceInstaller({ platform: 'linux', cli: null, env: { PATH: '' } }),
    });
    render(<BackgroundServiceSettings />);
    expect((await screen.findByTestId('service-install-blocked', {}, WAIT)).textContent).toMatch(
      /nut-sentinel-agent package/,
    );
  });

  it('install offered: a dismissed password dialog is a clear error with the manual command', async () => {
    const bin = await dismissingPkexec();
    await frontEnd({
      endpoint: path.join(harness.dir, 'none', 'control.sock'),
      installer: createServiceInstaller({ platform: 'linux', cli: agent, env: { PATH: bin } }),
    });
    render(<BackgroundServiceSettings />);
    const button = await screen.findByTestId<HTMLButtonElement>('service-install', {}, WAIT);
    expect(button.textContent).toBe('Install the background service');
    fireEvent.click(button);
    const failed = await screen.findByTestId('service-install-failed', {}, WAIT);
    expect(failed.textContent).toContain(
      'Administrator rights were not granted (the password dialog was cancelled).',
    );
    expect(failed.textContent).toContain('Request dismissed');
    expect(failed.textContent).toContain(
      'You can run it in a terminal instead: sudo /usr/bin/nut-sentinel service install',
    );
    // Still no service, still offered (the user can try again).
    expect(screen.getByTestId<HTMLButtonElement>('service-install').disabled).toBe(false);
  });

  it('attached to a running service: says so, offers no install; the sidebar shows it too', async () => {
    const endpoint = path.join(harness.dir, 'svc', 'control.sock');
    const serviceCore = await harness.newCore();
    cleanups.push(() => serviceCore.stop());
    const server = await startControlServer({
      core: serviceCore,
      endpoint,
      logger: quiet,
      version: 'test',
      group: null,
      handoverMs: 0,
    });
    cleanups.push(() => server.close());
    await server.handover();
    await serviceCore.start();
    server.setRunning();
    const core = await frontEnd({
      endpoint,
      installer: createServiceInstaller({ platform: 'linux', cli: agent, env: { PATH: '' } }),
    });
    expect(core.mode).toBe('attached');
    window.location.hash = '#/settings/service';
    render(<App />);
    // Settings loads lazily (a slow first import on a busy machine).
    const state = await screen.findByTestId('service-state', {}, { timeout: 15_000 });
    expect(state.textContent).toContain(
      'Protected by the background service — works without login',
    );
    expect(state.textContent).toContain(endpoint);
    expect(screen.getByTestId('service-runs').textContent).toBe('Yes');
    expect(screen.getByTestId('service-attached').textContent).toBe('Yes');
    expect(screen.queryByTestId('service-install')).toBeNull();
    expect(screen.queryByTestId('service-install-blocked')).toBeNull();
    const mode = screen.getByTestId('service-mode');
    expect(mode.dataset.attached).toBe('true');
    expect(mode.textContent).toContain('Background service');

    // The service stops: the app falls back to its own core, and the views follow.
    await server.close();
    await serviceCore.stop();
    await waitFor(() => expect(core.mode).toBe('own-core'));
    await waitFor(() => expect(screen.getByTestId('service-mode').dataset.attached).toBe('false'), {
      timeout: 8_000,
    });
    expect(screen.getByTestId('service-mode').textContent).toContain('Monitoring in this app');
    expect(screen.getByTestId('service-state').textContent).toContain(
      'No background service runs on this machine',
    );
  });
});
