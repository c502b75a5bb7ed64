/**
 * The composed core (what the tray app, the agent and the bridge run) against a real upsd:
 * the API handlers a user reaches from Settings, and sleep/resume through the power-monitor port.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../shared/history';
import { type Rig, startUpsdRig } from '../testing/upsd-rig';
import { MemorySecretStore } from '../testing/memory-secret-store';
import { waitFor } from '../testing/net';
import { createAppCore } from './app-core';
import type { CoreService } from './core-service';
import type { Logger, PowerMonitorPort } from '../platform/ports';

class FakePowerMonitor extends EventEmitter implements PowerMonitorPort {
  onSuspend(listener: () => void) {
    this.on('suspend', listener);
    return () => this.off('suspend', listener);
  }
  onResume(listener: () => void) {
    this.on('resume', listener);
    return () => this.off('resume', listener);
  }
}

const quiet: Logger = { log: () => undefined };

describe('app core against a real upsd', () => {
  let rig: Rig;
  let dir: string;
  let core: CoreService | undefined;
  let secrets: MemorySecretStore;
  let power: FakePowerMonitor;
  const events: StoredEvent[] = [];

  beforeEach(async () => {
    rig = await startUpsdRig();
    dir = await mkdtemp(path.join(tmpdir(), 'app-core-'));
    secrets = new MemorySecretStore();
    power = new FakePowerMonitor();
    events.length = 0;
    core = await createAppCore({
      configPath: path.join(dir, 'config.json'),
      dataDir: dir,
      secrets,
      notifier: null,
      powerMonitor: power,
      logger: quiet,
    });
    core.onPush('events:appended', (e) => events.push(e));
    await core.start();
  });
  afterEach(async () => {
    await core?.stop();
    await rig.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const ups = () => core!.snapshot().ups[0];

  it('imports the Synology seed, stores its password apart, logs in, and keeps the config free of it', async () => {
    const upsmonConf = `MONITOR ups@127.0.0.1:${rig.port} 1 monuser secret slave\n`;
    const preview = await core!.handlers['config:import-upsmon']({ upsmonConf, apply: false });
    expect(preview.ok).toBe(true);
    expect(JSON.stringify(preview.report)).not.toContain('secret"');
    expect(core!.snapshot().ups).toHaveLength(0);

    const applied = await core!.handlers['config:import-upsmon']({ upsmonConf, apply: true });
    expect(applied.ok).toBe(true);
    expect([...secrets.values.values()]).toEqual(['secret']);
    const { config } = await core!.handlers['config:get'](undefined);
    expect(JSON.stringify(config)).not.toContain('"secret"');
    await waitFor(() => ups()?.loggedIn === true, { timeoutMs: 10_000 });
    expect(await rig.numLogins('ups')).toBe(1);
    expect(events.some((e) => e.type === 'CONFIG_IMPORTED')).toBe(true);
  });

  it('an import merged into the existing master says so, and undo restores the file and the store', async () => {
    const configPath = path.join(dir, 'config.json');
    const upsmonConf = `MONITOR ups@127.0.0.1:${rig.port} 1 monuser secret slave\n`;
    await core!.handlers['config:import-upsmon']({ upsmonConf, apply: true });
    await waitFor(() => ups()?.loggedIn === true, { timeoutMs: 10_000 });
    const before = await readFile(configPath);
    const [firstKey] = [...secrets.values.keys()];
    const otherKey = firstKey!.replace(/:ups$/, ':other');

    const second = `MONITOR ups@127.0.0.1:${rig.port} 1 monuser secret slave\nMONITOR other@127.0.0.1:${rig.port} 1 monuser pw-other slave\nDEADTIME 40\n`;
    const preview = await core!.handlers['config:import-upsmon']({
      upsmonConf: second,
      apply: false,
    });
    expect(preview.plan?.items[0]).toMatchObject({ area: 'master', action: 'merge' });
    expect(preview.plan?.summary).toBe(
      // Two UPSes feed this machine now: upsmon's MINSUPPLIES 1 comes with them.
      '1 existing master merged (UPSes added), 1 timing setting changed, MINSUPPLIES changed',
    );
    expect(preview.undoAvailable).toBe(false);
    // An apply for another plan than the preview's is refused, and changes nothing.
    await expect(
      core!.handlers['config:import-upsmon']({
        upsmonConf: second,
        apply: true,
        choices: {},
        planDigest: 'not-the-preview',
      }),
    ).rejects.toThrow(/would now change something else than the preview showed/);
    expect(await readFile(configPath)).toEqual(before);
    const applied = await core!.handlers['config:import-upsmon']({
      upsmonConf: second,
      apply: true,
      planDigest: preview.plan!.digest,
    });
    expect(applied.plan).toEqual(preview.plan);
    expect(applied.undoAvailable).toBe(true);
    expect(await secrets.get(otherKey)).toBe('pw-other');
    expect(events.at(-1)?.message).toContain('1 existing master merged');

    expect((await core!.handlers['config:get'](undefined)).lastImport?.summary).toBe(
      applied.plan!.summary,
    );
    const undone = await core!.handlers['config:undo-import'](undefined);
    expect(undone.summary).toContain('Restored the configuration from before the import');
    expect(await readFile(configPath)).toEqual(before);
    expect(await secrets.get(otherKey)).toBeUndefined();
    expect([...secrets.values]).toEqual([[firstKey, 'secret']]);
    const restored = await core!.handlers['config:get'](undefined);
    expect(restored.config.timing.deadTimeSeconds).toBe(15);
    expect(restored.lastImport).toBeUndefined();
    await expect(core!.handlers['config:undo-import'](undefined)).rejects.toThrow(
      /no import to undo/,
    );

    // A save after an import ends what undo can do.
    await core!.handlers['config:import-upsmon']({ upsmonConf: second, apply: true });
    expect((await core!.handlers['config:get'](undefined)).lastImport).toBeDefined();
    const { config } = await core!.handlers['config:get'](undefined);
    await core!.handlers['config:save']({ config: { ...config, startAtLogin: true } });
    expect((await core!.handlers['config:get'](undefined)).lastImport).toBeUndefined();
    await expect(core!.handlers['config:undo-import'](undefined)).rejects.toThrow(
      /or the configuration was saved since/,
    );
  });

  it('test-connection walks the steps and explains an unknown UPS with the names the server has', async () => {
    const ok = await core!.handlers['config:test-connection']({
      host: '127.0.0.1',
      port: rig.port,
      tls: { mode: 'off', insecure: false },
      upsName: 'ups',
      username: 'monuser',
      password: 'secret',
    });
    expect(ok.ok).toBe(true);
    expect(ok.steps.map((s) => s.step)).toEqual([
      'resolve',
      'connect',
      'identify',
      'ups',
      'login',
      'read',
    ]);
    expect(ok.server?.version).toMatch(/upsd 2\.8/);

    const unknown = await core!.handlers['config:test-connection']({
      host: '127.0.0.1',
      port: rig.port,
      tls: { mode: 'off', insecure: false },
      upsName: 'apc',
      username: '',
      password: '',
    });
    expect(unknown.ok).toBe(false);
    expect(unknown.diagnosis?.code).toBe('UNKNOWN-UPS');
    expect(unknown.diagnosis?.fix).toContain('ups');
    expect(unknown.upsNames).toEqual(['ups']);

    const refused = await core!.handlers['config:test-connection']({
      host: '127.0.0.1',
      port: 1,
      tls: { mode: 'off', insecure: false },
      upsName: 'ups',
      username: '',
      password: '',
    });
    expect(refused.diagnosis?.fix).toMatch(/^Start upsd on this machine/);
  });

  it('test-connection sends a stored password only to the saved host, port and TLS settings', async () => {
    await core!.handlers['config:save']({
      config: {
        masters: [
          {
            id: 'nas',
            label: 'NAS',
            host: '127.0.0.1',
            port: rig.port,
            ups: [{ name: 'ups', username: 'monuser' }],
          },
        ],
        shutdown: { dryRun: true },
      },
    });
    await core!.handlers['secrets:set-password']({
      masterId: 'nas',
      upsName: 'ups',
      password: 'secret',
    });
    const saved = {
      host: '127.0.0.1',
      port: rig.port,
      tls: { mode: 'off' as const, insecure: false },
      upsName: 'ups',
      username: 'monuser',
      masterId: 'nas',
    };
    const same = await core!.handlers['config:test-connection'](saved);
    expect(same.ok).toBe(true);
    expect(same.steps.find((s) => s.step === 'login')?.ok).toBe(true);

    // Another real upsd that would accept the same user and password: it must never receive it.
    const other = await startUpsdRig();
    try {
      for (const elsewhere of [
        { port: other.port },
        { host: 'localhost' },
        { tls: { mode: 'opportunistic' as const, insecure: true } },
      ]) {
        const attempt = core!.handlers['config:test-connection']({ ...saved, ...elsewhere });
        await expect(attempt).rejects.toMatchObject({
          apiError: { code: 'PASSWORD-REQUIRED', fix: expect.stringMatching(/Type the password/) },
        });
      }
      await expect(
        core!.handlers['config:test-connection']({ ...saved, masterId: 'unknown' }),
      ).rejects.toMatchObject({ apiError: { code: 'PASSWORD-REQUIRED' } });
      // With the password typed in, testing the other server works.
      const typed = await core!.handlers['config:test-connection']({
        ...saved,
        port: other.port,
        password: 'secret',
      });
      expect(typed.ok).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('TLS means what was asked: a plaintext fallback is a warning and shows in the snapshot; a pin makes it required', async () => {
    const master = (tls: Record<string, unknown>, port = rig.port) => ({
      id: 'nas',
      label: 'NAS',
      host: '127.0.0.1',
      port,
      tls,
      ups: [{ name: 'ups', username: 'monuser' }],
    });
    await core!.handlers['secrets:set-password']({
      masterId: 'nas',
      upsName: 'ups',
      password: 'secret',
    });
    // This upsd has no certificate: it answers STARTTLS with ERR FEATURE-NOT-CONFIGURED.
    await core!.handlers['config:save']({
      config: { masters: [master({ mode: 'opportunistic' })], shutdown: { dryRun: true } },
    });
    await waitFor(() => ups()?.loggedIn === true, { timeoutMs: 10_000 });
    expect(ups()!.tls).toEqual({
      mode: 'opportunistic',
      link: 'plaintext-fallback',
      protocol: null,
      declinedCode: 'FEATURE-NOT-CONFIGURED',
    });
    const warning = events.find((e) => e.type === 'TLS_PLAINTEXT_FALLBACK');
    expect(warning?.severity).toBe('warning');
    expect(warning?.message).toMatch(/plain text/);

    // A pin (or CA) with "opportunistic" is saved as required, and the declining server gets no password.
    const fingerprint256 = 'AB:'.repeat(31) + 'AB';
    await core!.handlers['config:save']({
      config: {
        masters: [master({ mode: 'opportunistic', fingerprint256 })],
        shutdown: { dryRun: true },
      },
    });
    expect((await core!.handlers['config:get'](undefined)).config.masters[0]!.tls.mode).toBe(
      'required',
    );
    await waitFor(() => ups()?.lastError?.code === 'STARTTLS-REFUSED', { timeoutMs: 10_000 });
    expect(ups()!.loggedIn).toBe(false);
    expect(await rig.numLogins('ups')).toBe(0);

    // A upsd with a certificate: the same opportunistic master is encrypted.
    const tlsRig = await startUpsdRig({ tls: true });
    try {
      await core!.handlers['config:save']({
        config: {
          masters: [master({ mode: 'opportunistic', caPem: tlsRig.tls!.certPem }, tlsRig.port)],
          shutdown: { dryRun: true },
        },
      });
      await waitFor(() => ups()?.loggedIn === true, { timeoutMs: 10_000 });
      expect(ups()!.tls).toMatchObject({
        mode: 'required',
        link: 'encrypted',
        protocol: expect.stringMatching(/^TLSv1\.[23]$/),
        declinedCode: null,
      });
    } finally {
      await tlsRig.stop();
    }
  });

  it('hooks and NOTIFYCMD get an allow-listed environment: never the password variable, extras only when listed', async () => {
    const script = path.join(dir, 'print-env.mjs');
    await writeFile(
      script,
      "import { writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[2], JSON.stringify(process.env));\n",
    );
    const hookOut = path.join(dir, 'hook-env.json');
    const notifyOut = path.join(dir, 'notify-env.json');
    const saved = { ...process.env };
    Object.assign(process.env, {
      SEC_TEST_NUT_PASSWORD: 'secret',
      SEC_TEST_EXTRA: 'listed',
      SEC_TEST_OTHER: 'unlisted',
      LC_TIME: 'C',
    });
    try {
      await core!.handlers['config:save']({
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
                  password: { source: 'env', name: 'SEC_TEST_NUT_PASSWORD' },
                },
              ],
            },
          ],
          hooks: {
            events: { ONBATT: { exec: true } },
            notifyCommand: { file: process.execPath, args: [script, notifyOut] },
            eventHooks: [
              { events: ['ONBATT'], command: { file: process.execPath, args: [script, hookOut] } },
            ],
            passEnvironment: ['SEC_TEST_EXTRA', 'SEC_TEST_NUT_PASSWORD'],
          },
          shutdown: { dryRun: true },
        },
      });
      await waitFor(() => ups()?.loggedIn === true, { timeoutMs: 10_000 });
      await rig.setStatus('ups', 'OB DISCHRG');
      const read = async (file: string) =>
        JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
      await waitFor(
        async () =>
          (await stat(hookOut).catch(() => null)) !== null &&
          (await stat(notifyOut).catch(() => null)) !== null,
        { timeoutMs: 10_000 },
      );
      for (const env of [await read(hookOut), await read(notifyOut)]) {
        expect(env.NOTIFYTYPE).toBe('ONBATT');
        expect(env.UPSNAME).toBe(`ups@127.0.0.1:${rig.port}`);
        expect(env.SEC_TEST_EXTRA).toBe('listed');
        expect(env.LC_TIME).toBe('C');
        expect(env.PATH).toBe(process.env.PATH);
        expect(env).not.toHaveProperty('SEC_TEST_NUT_PASSWORD');
        expect(env).not.toHaveProperty('SEC_TEST_OTHER');
        expect(JSON.stringify(env)).not.toContain('secret');
        const unexpected = Object.keys(env).filter(
          (k) =>
            !/^(PATH|HOME|USER|LOGNAME|LANG|TZ|LC_.*|NOTIFYTYPE|UPSNAME|NOTIFYMSG|SEC_TEST_EXTRA)$/.test(
              k,
            ),
        );
        expect(unexpected).toEqual([]);
      }
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('config:save rejects an invalid config with paths and keeps the running one', async () => {
    const result = await core!.handlers['config:save']({
      config: { masters: [{ id: 'Bad Id', label: '', host: '', ups: [] }] },
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues.map((i) => i.path)).toEqual(
        expect.arrayContaining(['masters.0.id', 'masters.0.host', 'masters.0.ups']),
      );
    const { config } = await core!.handlers['config:get'](undefined);
    expect(config.masters).toEqual([]);
  });

  it('on resume the readings are stale, the session reconnects and logs in again at once', async () => {
    await core!.handlers['config:save']({
      config: {
        masters: [
          {
            id: 'nas',
            label: 'NAS',
            host: '127.0.0.1',
            port: rig.port,
            ups: [{ name: 'ups', username: 'monuser' }],
          },
        ],
        shutdown: { dryRun: true },
      },
    });
    await core!.handlers['secrets:set-password']({
      masterId: 'nas',
      upsName: 'ups',
      password: 'secret',
    });
    await waitFor(() => ups()?.loggedIn === true && ups()?.statusAt !== null, {
      timeoutMs: 10_000,
    });
    const logins = () => events.filter((e) => e.type === 'LOGIN').length;
    const before = logins();

    power.emit('suspend');
    expect(ups()!.connection).toBe('paused');
    power.emit('resume');
    // Nothing read before the sleep counts: stale until the first fresh read.
    expect(ups()!.stale).toBe(true);
    await waitFor(() => logins() > before && ups()?.stale === false, { timeoutMs: 10_000 });
    expect(ups()!.connection).toBe('connected');
    expect(await rig.numLogins('ups')).toBe(1);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['SUSPEND', 'RESUME']));
  });
});
