/**
 * The outbox under the two failures that matter most, against a real upsd:
 * - the agent process is killed (SIGKILL) while its alert is undeliverable: after a restart the
 *   queued message is delivered, once, with its original id and time;
 * - the shutdown notice goes to an unreachable channel (a black-hole address: the connection
 *   never completes): the shutdown command still starts FINALDELAY after the shutdown began
 *   (plus at most a poll), measured, and what was not sent stays queued.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertSchema } from '../../shared/channels';
import type { ConfigInput } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import type { Logger } from '../platform/ports';
import { type HttpReceiver, startHttpReceiver } from '../testing/http-receiver';
import { type BlackholeEndpoint, blackholeEndpoint, getFreePort, waitFor } from '../testing/net';
import {
  type Rig,
  makeTempDir,
  removeTempDir,
  recentBatteryReplacement,
  startUpsdRig,
} from '../testing/upsd-rig';

const quiet: Logger = { log: () => undefined };
const root = path.resolve(import.meta.dirname, '../..');
const POLL_MS = 250;
const FINALDELAY_MS = 2_000;
/** Timer and process start-up on a loaded 2-core machine. */
const SLACK_MS = 1_000;

function masters(rig: Rig): ConfigInput['masters'] {
  return [
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
          batteryReplacedOn: recentBatteryReplacement(),
        },
      ],
    },
  ];
}

describe('alert outbox against a real upsd', () => {
  let rig: Rig | undefined;
  let core: CoreService | undefined;
  let agent: ChildProcess | undefined;
  let receiver: HttpReceiver | undefined;
  let blackhole: BlackholeEndpoint | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    agent?.kill('SIGKILL');
    agent = undefined;
    await core?.stop();
    core = undefined;
    await receiver?.close();
    receiver = undefined;
    await blackhole?.cleanup();
    blackhole = undefined;
    await rig?.stop();
    rig = undefined;
    if (dir) await removeTempDir(dir);
    dir = undefined;
  });

  function startAgent(
    configPath: string,
    dataDir: string,
  ): { child: ChildProcess; output: () => string } {
    let output = '';
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(root, 'main/cli/index.ts'),
        'agent',
        '--config',
        configPath,
        '--data-dir',
        dataDir,
        '--no-notify',
      ],
      {
        env: { ...process.env, NS_TEST_UPS_PASSWORD: 'secret' },
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: root,
      },
    );
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    agent = child;
    return { child, output: () => output };
  }

  it('survives a SIGKILL of the agent: the queued alert is delivered after the restart, once, unchanged', async () => {
    rig = await startUpsdRig();
    dir = await makeTempDir('outbox-kill');
    const port = await getFreePort();
    const configPath = path.join(dir, 'config.json');
    const config: ConfigInput = {
      masters: masters(rig),
      timing: { statusPollSeconds: 0.25, fullPollSeconds: 1 },
      shutdown: { dryRun: true },
      alerts: {
        channels: [{ id: 'hook', type: 'webhook', url: `http://127.0.0.1:${port}/alerts` }],
      },
    };
    await writeFile(configPath, JSON.stringify(config, null, 2));

    const first = startAgent(configPath, dir);
    await waitFor(() => /EVENT LOGIN/.test(first.output()), { timeoutMs: 30_000 });
    await rig.setStatus('ups', 'OB');
    await waitFor(
      () =>
        /EVENT ALERT_DELIVERY \[nas\/ups\]: Alert to hook not delivered yet: 127\.0\.0\.1:\d+ refused the connection/.test(
          first.output(),
        ),
      { timeoutMs: 15_000 },
    );
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // Power is back before the agent returns, so the restart itself opens no new incident.
    await rig.setStatus('ups', 'OL');

    receiver = await startHttpReceiver({ port });
    const second = startAgent(configPath, dir);
    await waitFor(() => receiver!.requests.length >= 1, { timeoutMs: 30_000 }).catch(
      (error: unknown) => {
        throw new Error(`not delivered after the restart:\n${second.output()}`, { cause: error });
      },
    );
    await waitFor(
      () =>
        /EVENT ALERT_DELIVERY \[nas\/ups\]: Alert delivered to hook after 2 attempts/.test(
          second.output(),
        ),
      { timeoutMs: 10_000 },
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.requests).toHaveLength(1);
    const alert = AlertSchema.parse(JSON.parse(receiver.requests[0]!.body));
    expect(alert).toMatchObject({
      phase: 'open',
      event: 'ONBATT',
      title: 'ups on NAS: on battery',
    });
    expect(Date.parse(alert.at)).toBeLessThan(killedAt);
    expect(receiver.requests[0]!.headers['idempotency-key']).toBe(alert.id);
  });

  it('an unreachable channel does not delay the shutdown command: it starts FINALDELAY after the shutdown began (+ a poll), measured', async () => {
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    [rig, blackhole] = await Promise.all([startUpsdRig(), blackholeEndpoint({ port: 443 })]);
    dir = await makeTempDir('outbox-shutdown');
    const marker = path.join(dir, 'shutdown-ran');
    const events: StoredEvent[] = [];
    core = await createAppCore({
      configPath: path.join(dir, 'config.json'),
      dataDir: dir,
      secrets: null,
      notifier: null,
      logger: quiet,
    });
    core.onPush('events:appended', (e) => events.push(e));
    await core.start();
    const saved = await core.handlers['config:save']({
      config: {
        masters: masters(rig),
        timing: {
          statusPollSeconds: POLL_MS / 1000,
          fullPollSeconds: 1,
          hostSyncSeconds: 0,
          finalDelaySeconds: FINALDELAY_MS / 1000,
        },
        shutdown: { dryRun: false, command: { file: '/usr/bin/touch', args: [marker] } },
        alerts: {
          channels: [
            {
              id: 'far',
              type: 'webhook',
              url: `http://${blackhole.host}:${blackhole.port}/`,
              timeoutSeconds: 30,
              severities: ['critical'],
            },
          ],
        },
      },
    });
    expect(saved).toEqual({ ok: true });
    await waitFor(() => core!.snapshot().ups[0]?.loggedIn === true, { timeoutMs: 10_000 });

    await rig.setStatus('ups', 'OB LB');
    await waitFor(
      () => events.some((e) => e.type === 'SHUTDOWN_COMMAND' && e.data?.phase === 'started'),
      { timeoutMs: FINALDELAY_MS + 10_000 },
    );
    const begins = events.find((e) => e.type === 'SHUTDOWN_BEGINS')!;
    const started = events.find(
      (e) => e.type === 'SHUTDOWN_COMMAND' && e.data?.phase === 'started',
    )!;
    const delay = started.at - begins.at;
    expect(delay).toBeGreaterThanOrEqual(FINALDELAY_MS - 50);
    expect(delay).toBeLessThan(FINALDELAY_MS + POLL_MS + SLACK_MS);
    await waitFor(() => existsSync(marker), { timeoutMs: 5_000 });

    // The notice was tried within FINALDELAY (its attempt capped to fit), and stays queued.
    await waitFor(
      () => events.some((e) => e.type === 'ALERT_DELIVERY' && e.data?.state === 'retrying'),
      { timeoutMs: 5_000 },
    );
    const retry = events.find((e) => e.type === 'ALERT_DELIVERY' && e.data?.state === 'retrying')!;
    // LOWBATT was on its way when the shutdown began: its attempt is cut short to fit FINALDELAY.
    expect(retry.message).toMatch(
      /not delivered yet: no answer within 1\.\d s \(attempt ended early for the shutdown\)/,
    );
    expect(retry.at - begins.at).toBeLessThan(FINALDELAY_MS + SLACK_MS);
    const status = await core.handlers['alerts:status'](undefined);
    expect(status[0]).toMatchObject({ id: 'far', state: 'failing' });
    expect(status[0]!.pending).toBeGreaterThanOrEqual(1);
  });
});
