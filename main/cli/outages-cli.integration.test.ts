/**
 * `nut-sentinel outages` as users run it (the bundle, a separate Node process): the records a
 * real core stored during a power cut on the upsd rig, as text and JSON, per UPS, and the clear
 * errors for a bad --ups and a history file another process holds; and, while a real agent
 * process holds the history file, the records it answers over its control socket.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigInput, passwordKey } from '../../shared/config';
import type { OutageRecord } from '../../shared/outages';
import { createAppCore } from '../core/app-core';
import { type AgentProcess, startAgentProcess } from '../testing/agent-process';
import type { CoreService } from '../core/core-service';
import { type BuiltCli, buildCli } from '../testing/built-cli';
import { MemorySecretStore } from '../testing/memory-secret-store';
import { sleep, waitFor } from '../testing/net';
import { RIG_USERS, type Rig, SYNOLOGY_UPS_VARS, startUpsdRig } from '../testing/upsd-rig';

const run = promisify(execFile);

describe('nut-sentinel outages', () => {
  let cli: BuiltCli;
  let rig: Rig;
  let dir: string;
  let configPath: string;

  async function nutSentinel(
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [cli.entry, ...args], {
        timeout: 30_000,
        // No background service unless --control-socket names one: a socket that does not exist.
        env: { ...process.env, NUT_SENTINEL_CONTROL_SOCKET: path.join(dir, 'no-service.sock') },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
    }
  }

  async function startCore(): Promise<CoreService> {
    const secrets = new MemorySecretStore();
    await secrets.set(passwordKey('nas', 'ups'), RIG_USERS.monuser.password);
    const core = await createAppCore({
      configPath,
      dataDir: dir,
      secrets,
      notifier: null,
      logger: { log: () => undefined },
    });
    await core.start();
    await waitFor(() => core.snapshot().ups[0]?.variablesAt != null, { timeoutMs: 15_000 });
    return core;
  }

  beforeAll(async () => {
    [cli, rig] = await Promise.all([
      buildCli(),
      startUpsdRig({
        upses: [
          {
            name: 'ups',
            vars: { ...SYNOLOGY_UPS_VARS, 'battery.runtime': '1500', 'ups.load': '30' },
          },
        ],
      }),
    ]);
    dir = await mkdtemp(path.join(tmpdir(), 'outages-cli-'));
    configPath = path.join(dir, 'config.json');
    const config: ConfigInput = {
      masters: [
        {
          id: 'nas',
          label: 'Office NAS',
          host: '127.0.0.1',
          port: rig.port,
          ups: [{ name: 'ups', username: RIG_USERS.monuser.name }],
        },
      ],
      timing: { statusPollSeconds: 0.25, fullPollSeconds: 1 },
      shutdown: { dryRun: true },
      notifications: { desktop: false },
      outages: { blipSeconds: 1 },
    };
    await writeFile(configPath, JSON.stringify(config));
  }, 120_000);
  afterAll(async () => {
    await rig?.stop();
    await cli?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists what the core recorded during a power cut, as text and as JSON; explains a held file', async () => {
    const core = await startCore();
    try {
      await rig.setStatus('ups', 'OB DISCHRG');
      for (const charge of [95, 90, 85]) {
        await sleep(700);
        await rig.setVar('ups', 'battery.charge', String(charge));
      }
      await sleep(1300);
      await rig.setStatus('ups', 'OL CHRG');
      await waitFor(
        async () =>
          (await core.handlers['outages:list']({ limit: 10 })).records.some(
            (r) => r.endedAt !== null,
          ),
        { timeoutMs: 10_000 },
      );
      // A short blip after it.
      await rig.setStatus('ups', 'OB');
      await sleep(300);
      await rig.setStatus('ups', 'OL');
      await waitFor(
        async () =>
          (await core.handlers['outages:list']({ limit: 10 })).records.filter(
            (r) => r.endedAt !== null,
          ).length === 2,
        { timeoutMs: 10_000 },
      );

      // The core holds the history file, and no service answers: said so, with the fix.
      const held = await nutSentinel(['outages', '--config', configPath]);
      expect(held.code).toBe(1);
      expect(held.stderr).toMatch(/history file .* is in use/);
      expect(held.stderr).toMatch(/Fix: /);
    } finally {
      await core.stop();
    }

    const json = await nutSentinel(['outages', '--config', configPath, '--json']);
    expect(json.code).toBe(0);
    const records = JSON.parse(json.stdout) as OutageRecord[];
    expect(records).toHaveLength(2);
    const [blip, outage] = records;
    expect(blip!.durationMs).toBeLessThan(1000);
    expect(outage).toMatchObject({
      monitorId: 'nas/ups',
      endedBy: 'power-back',
      chargeAtStart: 100,
      lowestCharge: 85,
      runtimeAtStartSeconds: 1500,
    });
    expect(outage!.energyWh).not.toBeNull();

    const text = await nutSentinel(['outages', '--config', configPath]);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}1 blip shorter than 1 s/);
    expect(lines[1]).toMatch(/ {2}nas\/ups {2}\d+ s on battery, ended by power back$/);
    expect(lines[2]).toMatch(
      /charge 100 % → lowest 85 %; runtime promised 25 min 0 s, spent \d+ s; load 30 %; [\d.]+ Wh/,
    );
    expect(lines[3]).toMatch(/predicted at the start: /);

    // A UPS in neither the config nor the history is a typo; one in the config has no outage yet.
    for (const json of [[], ['--json']]) {
      const typo = await nutSentinel([
        'outages',
        '--config',
        configPath,
        '--ups',
        'nas/upz',
        ...json,
      ]);
      expect(typo).toMatchObject({ code: 2, stdout: '' });
      expect(typo.stderr).toContain(
        `--ups nas/upz: no such UPS in ${configPath} (have: nas/ups), and no outage recorded for it.`,
      );
    }
    const withSpare = path.join(dir, 'with-spare.json');
    const spareConfig = JSON.parse(await readFile(configPath, 'utf8')) as ConfigInput;
    spareConfig.masters![0]!.ups.push({ name: 'spare', username: RIG_USERS.monuser.name });
    await writeFile(withSpare, JSON.stringify(spareConfig));
    const spare = await nutSentinel(['outages', '--config', withSpare, '--ups', 'nas/spare']);
    expect(spare).toMatchObject({ code: 0, stdout: 'No outage recorded for nas/spare.\n' });
    const only = await nutSentinel([
      'outages',
      '--config',
      configPath,
      '--ups',
      'nas/ups',
      '--json',
    ]);
    expect((JSON.parse(only.stdout) as unknown[]).length).toBe(2);

    const bad = await nutSentinel(['outages', '--config', configPath, '--ups', 'nas-ups']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/MASTER-ID\/UPS-NAME/);

    const empty = await nutSentinel([
      'outages',
      '--config',
      configPath,
      '--data-dir',
      path.join(dir, 'none'),
    ]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('No outage recorded.\n');
    expect(empty.stderr).toMatch(/No history file at .*none.*history\.sqlite3/);

    // A --config that is not a file is a usage error, not an empty list from the wrong folder.
    for (const wrong of [path.join(dir, 'absent.json'), dir]) {
      const refused = await nutSentinel(['outages', '--config', wrong]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`--config ${wrong}: `);
      expect(refused.stdout).toBe('');
    }
    // A config that does not load: its problem said, the history still listed with the default.
    const invalid = path.join(dir, 'invalid.json');
    await writeFile(invalid, '{ "outages": { "blipSeconds": -1 } }\n');
    const listed = await nutSentinel(['outages', '--config', invalid, '--data-dir', dir]);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toContain(`${invalid}:1:`);
    expect(listed.stderr).toContain('Listing with the default blip length (30 s).');
    // Both short outages now fall under the default 30 s: grouped as blips.
    expect(listed.stdout).toMatch(/ {2}2 blips shorter than 30 s/);
  }, 90_000);
  it('asks the running agent over its control socket while it holds the history file', async () => {
    const agentDir = await mkdtemp(path.join(dir, 'agent-'));
    const passwordFile = path.join(agentDir, 'monuser.password');
    await writeFile(passwordFile, `${RIG_USERS.monuser.password}\n`, { mode: 0o600 });
    const agentConfig = path.join(agentDir, 'config.json');
    const config: ConfigInput = {
      masters: [
        {
          id: 'nas',
          label: 'Office NAS',
          host: '127.0.0.1',
          port: rig.port,
          ups: [
            {
              name: 'ups',
              username: RIG_USERS.monuser.name,
              password: { source: 'file', path: passwordFile },
            },
          ],
        },
      ],
      timing: { statusPollSeconds: 0.25, fullPollSeconds: 1 },
      shutdown: { dryRun: true },
      outages: { blipSeconds: 1 },
    };
    await writeFile(agentConfig, JSON.stringify(config));
    const socket = path.join(agentDir, 'control.sock');
    const outages = (...extra: string[]) =>
      nutSentinel(['outages', '--config', agentConfig, '--data-dir', agentDir, ...extra]);

    await rig.setStatus('ups', 'OL');
    await rig.setVar('ups', 'battery.charge', '100');
    let agent: AgentProcess | null = await startAgentProcess({
      entry: cli.entry,
      configPath: agentConfig,
      dataDir: agentDir,
      controlSocket: socket,
    });
    try {
      await sleep(1300);
      const before = Date.now();
      await rig.setStatus('ups', 'OB DISCHRG');
      for (const charge of [94, 88]) {
        await sleep(700);
        await rig.setVar('ups', 'battery.charge', String(charge));
      }
      await sleep(1300);
      await rig.setStatus('ups', 'OL CHRG');
      const after = Date.now();
      await rig.setVar('ups', 'battery.charge', '100');

      // The agent holds the file: without its socket the CLI cannot read it, and says so.
      const held = await outages();
      expect(held.code).toBe(1);
      expect(held.stderr).toMatch(/history file .* is in use/);

      let records: OutageRecord[] = [];
      await waitFor(
        async () => {
          const answer = await outages('--control-socket', socket, '--json');
          expect(answer).toMatchObject({ code: 0, stderr: '' });
          records = JSON.parse(answer.stdout) as OutageRecord[];
          return records.some((r) => r.endedAt !== null);
        },
        { timeoutMs: 10_000 },
      );
      expect(records).toHaveLength(1);
      const [outage] = records;
      expect(outage).toMatchObject({
        monitorId: 'nas/ups',
        endedBy: 'power-back',
        chargeAtStart: 100,
        lowestCharge: 88,
        runtimeAtStartSeconds: 1500,
      });
      expect(outage!.startedAt).toBeGreaterThanOrEqual(before);
      expect(outage!.endedAt!).toBeLessThanOrEqual(after + 1500);

      // An outage in progress: the agent answers with its figures so far, which the file has not yet.
      await rig.setStatus('ups', 'OB DISCHRG');
      await sleep(700);
      // Below the first outage's lowest (88): the figure is this outage's whether or not the
      // agent read the 100 % set after the first one before this outage began.
      await rig.setVar('ups', 'battery.charge', '85');
      await waitFor(
        async () => {
          const answer = await outages('--control-socket', socket, '--json', '--ups', 'nas/ups');
          records = JSON.parse(answer.stdout) as OutageRecord[];
          return records[0]?.endedAt === null && records[0].lowestCharge === 85;
        },
        { timeoutMs: 10_000 },
      );
      expect(records).toHaveLength(2);
      expect(records[1]!.id).toBe(outage!.id);

      const text = await outages('--control-socket', socket);
      expect(text).toMatchObject({ code: 0, stderr: '' });
      expect(text.stdout).toMatch(/ {2}nas\/ups {2}\d+ s on battery, in progress/);
      expect(text.stdout).toMatch(/ {2}nas\/ups {2}\d+ s on battery, ended by power back$/m);
      const other = await outages('--control-socket', socket, '--ups', 'nas/other');
      expect(other).toMatchObject({ code: 2, stdout: '' });
      expect(other.stderr).toContain('--ups nas/other: no such UPS in');

      expect(await agent.stop()).toBe(0);
      agent = null;
    } finally {
      await agent?.stop();
      await rig.setStatus('ups', 'OL');
    }
  }, 90_000);
});
