/**
 * The real-upsmon rig (main/testing/upsmon-rig.ts): upsmon logs in, its notifications are
 * recorded, SHUTDOWNCMD only records a timestamp, two upsmons run at once (private /run/nut each),
 * and the primary/secondary FSD handshake of main/monitor/README.md §1.7 happens for real.
 */
import fs from 'node:fs';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { waitFor } from './net.js';
import { RIG_USERS, startUpsdRig, type Rig } from './upsd-rig.js';
import { startUpsmon, type UpsmonRig } from './upsmon-rig.js';

/** pids of running upsmon processes started by this test process (their config dir is ours). */
function ourUpsmonPids(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (
        cmdline.includes('upsmon') &&
        environ.includes(`NUT_CONFPATH=/tmp/nut-rig-${process.pid}-upsmon-`)
      )
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('upsmon rig', () => {
  let rig: Rig;
  const monitors: UpsmonRig[] = [];

  beforeAll(async () => {
    rig = await startUpsdRig({ maxAge: 3 });
  });

  afterEach(async () => {
    await Promise.all(monitors.splice(0).map((monitor) => monitor.stop()));
    await rig.restart(); // clears FSD and any status a test left behind
  });

  afterAll(async () => {
    await rig?.stop();
  });

  async function upsmon(options: Parameters<typeof startUpsmon>[0]): Promise<UpsmonRig> {
    const monitor = await startUpsmon(options);
    monitors.push(monitor);
    return monitor;
  }

  it('a secondary logs in (NUMLOGINS), records ONBATT/LOWBATT, gives up on the primary after HOSTSYNC and runs the harmless SHUTDOWNCMD', async () => {
    const secondary = await upsmon({ rig, role: 'secondary', hostSync: 2, finalDelay: 1 });
    const system = `ups@127.0.0.1:${rig.port}`;
    expect(secondary.systems).toEqual([system]);
    expect(await rig.numLogins('ups')).toBe(1);
    // The pid file went to the private /run/nut, not the host's.
    expect(fs.existsSync('/run/nut/upsmon.pid')).toBe(false);
    expect(secondary.logs()).toContain('Saving PID');

    const onBattery = Date.now();
    await rig.setStatus('ups', 'OB DISCHRG');
    const onbatt = await secondary.waitForEvent('ONBATT', { ups: system });
    expect(onbatt.atMs).toBeGreaterThanOrEqual(onBattery - 5);
    expect(onbatt.message).toBe(`UPS ${system} on battery`);
    await rig.setStatus('ups', 'OB LB');
    await secondary.waitForEvent('LOWBATT', { ups: system });
    const shutdown = await secondary.waitForEvent('SHUTDOWN');
    expect(shutdown.ups).toBe('');
    expect(shutdown.message).toBe('Auto logout and shutdown proceeding');
    const shutdownAt = await secondary.waitForShutdown();
    expect(shutdownAt - shutdown.atMs).toBeGreaterThanOrEqual(900); // FINALDELAY 1
    expect(secondary.powerdownFlagExists()).toBe(true);
    await secondary.exited; // upsmon 2.8.0 exits after SHUTDOWNCMD
    await waitFor(async () => (await rig.numLogins('ups')) === 0, {
      description: 'secondary logged out',
    });
  });

  it('two upsmons at once (each in its own mount namespace): the primary sets FSD, waits for the secondary, then shuts down', async () => {
    const primary = await upsmon({ rig, role: 'primary', hostSync: 8, finalDelay: 1 });
    const secondary = await upsmon({ rig, role: 'secondary', hostSync: 8, finalDelay: 1 });
    expect(primary.pid).not.toBe(secondary.pid);
    expect(await rig.numLogins('ups')).toBe(2);

    await rig.setStatus('ups', 'OB LB');
    const system = `ups@127.0.0.1:${rig.port}`;
    const secondaryFsd = await secondary.waitForEvent('FSD', { ups: system });
    expect(await rig.getVar('ups', 'ups.status')).toBe('FSD OB LB');
    const secondaryShutdown = await secondary.waitForShutdown();
    const primaryShutdown = await primary.waitForShutdown();
    expect(primaryShutdown).toBeGreaterThan(secondaryShutdown);
    expect(secondaryFsd.atMs).toBeLessThan(secondaryShutdown);
    expect(primary.events().map((event) => event.type)).toContain('SHUTDOWN');
    expect(primary.logs()).toMatch(/Logged into UPS/);
  });

  it('requestFsd() on a primary (upsmon -c fsd) sets the FSD latch on the server', async () => {
    const primary = await upsmon({ rig, role: 'primary', hostSync: 1, finalDelay: 1 });
    primary.requestFsd();
    await waitFor(async () => (await rig.probe('ups')).status === 'FSD OL', {
      timeoutMs: 5_000,
      description: 'FSD latch',
    });
    await primary.waitForShutdown();
  });

  it('a failed LOGIN (wrong password) fails start-up clearly and leaves nothing running', async () => {
    const error = await startUpsmon({
      rig,
      user: { name: RIG_USERS.monuser.name, password: 'wrong' },
    }).catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/could not LOGIN/);
    expect((error as Error).message).toMatch(/ACCESS-DENIED/);
    expect(ourUpsmonPids()).toEqual([]);
  });

  it('stop() ends upsmon (it logs out) and removes its dir', async () => {
    const secondary = await startUpsmon({ rig });
    expect(await rig.numLogins('ups')).toBe(1);
    const { pid, dir } = secondary;
    expect(ourUpsmonPids()).toEqual([pid]);
    await secondary.stop();
    expect(ourUpsmonPids()).toEqual([]);
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
    await waitFor(async () => (await rig.numLogins('ups')) === 0, { description: 'logout' });
    expect(secondary.shutdownCalls()).toEqual([]);
    await secondary.stop();
  });
});
