/** The demo's real master (Debian's upsd + dummy-ups, root): serves the demo UPS, plays SET VAR, cleans up. */
import fs from 'node:fs';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { NutClient } from '../nut/client';
import type { Logger } from '../platform/ports';
import { isProcessAlive } from '../platform/process-alive';
import { waitFor } from './nut-daemons';
import { type RealDemoMaster, startRealDemoMaster } from './real-master';
import { DEMO_MONITOR_USER } from './simulated-master';

const logger: Logger = { log: () => undefined };

describe('the demo real master', () => {
  let master: RealDemoMaster | undefined;
  let client: NutClient | undefined;
  afterEach(async () => {
    await client?.close();
    await master?.stop();
    master = undefined;
  });

  it('serves the demo UPS to the demo user, applies the script, and ends every process it started', async () => {
    master = await startRealDemoMaster(logger);
    expect(master.host).toBe('127.0.0.1');
    client = await NutClient.connect({ host: master.host, port: master.port });
    await client.authenticate(DEMO_MONITOR_USER.name, DEMO_MONITOR_USER.password);
    await client.login(master.upsName);
    expect(await client.getVar(master.upsName, 'device.model')).toBe('Demo UPS 1500');
    await waitFor(async () => (await client!.getVar(master!.upsName, 'ups.status')) === 'OL', {
      timeoutMs: 10_000,
      description: 'ups.status OL',
    });

    await master.setVar('ups.status', 'OB DISCHRG');
    await waitFor(
      async () => (await client!.getVar(master!.upsName, 'ups.status')) === 'OB DISCHRG',
      { timeoutMs: 10_000, description: 'ups.status OB DISCHRG' },
    );

    const pids = master.pids();
    expect(pids).toHaveLength(2);
    await client.close();
    client = undefined;
    await master.stop();
    master = undefined;
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });

  it('leaves no temp dir behind', async () => {
    const before = new Set(fs.readdirSync(os.tmpdir()).filter((name) => name.includes('-demo-')));
    master = await startRealDemoMaster(logger);
    await master.stop();
    master = undefined;
    const after = fs
      .readdirSync(os.tmpdir())
      .filter((name) => name.includes('-demo-') && !before.has(name));
    expect(after).toEqual([]);
  });
});
