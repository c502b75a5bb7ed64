import { afterEach, describe, expect, it } from 'vitest';
import { NutClient } from '../nut/client';
import { NutError } from '../nut/errors';
import {
  DEMO_SCRIPT,
  type SimulatedMaster,
  demoReadings,
  demoRuntimeAtFull,
  startSimulatedMaster,
} from './simulated-master';

// The demo master must be a believable NUT server for our own client: the same calls a
// secondary session makes, the same errors for wrong credentials and names.
describe('simulated demo master', () => {
  let master: SimulatedMaster | undefined;
  afterEach(async () => master?.close());

  it('serves a secondary session: identify, LOGIN, status, variables, clients', async () => {
    master = await startSimulatedMaster();
    const client = await NutClient.connect({
      host: master.host,
      port: master.port,
      keepAliveIntervalMs: 0,
    });
    try {
      const caps = await client.capabilities();
      expect(caps.netVer).toBe('1.3');
      expect((await client.listUps()).map((u) => u.name)).toEqual(['ups']);
      await client.authenticate('monuser', 'secret');
      await client.login('ups');
      expect(await client.getNumLogins('ups')).toBe(1);
      expect(await client.listClient('ups')).toEqual(['127.0.0.1']);
      expect(await client.getVar('ups', 'ups.status')).toBe('OL');
      const vars = await client.listVar('ups');
      expect(vars.get('battery.charge')).toBe('100');
      expect(await client.getDesc('ups', 'battery.runtime')).toMatch(/runtime/);
    } finally {
      await client.close();
    }
  });

  it('refuses a wrong password and an unknown UPS like upsd', async () => {
    master = await startSimulatedMaster();
    const client = await NutClient.connect({
      host: master.host,
      port: master.port,
      keepAliveIntervalMs: 0,
    });
    try {
      await client.authenticate('monuser', 'wrong');
      await expect(client.login('ups')).rejects.toMatchObject({ code: 'ACCESS-DENIED' });
      const unknown = await client.getVar('nosuch', 'ups.status').catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(NutError);
      expect((unknown as NutError).code).toBe('UNKNOWN-UPS');
    } finally {
      await client.close();
    }
  });

  it('plays the scripted power cut: on battery with a falling charge, then back on line', async () => {
    let now = 0;
    master = await startSimulatedMaster({ now: () => now });
    const [online, cut] = DEMO_SCRIPT;
    now = online!.seconds * 1000 + (cut!.seconds * 1000) / 2;
    const during = master.variables();
    expect(during.get('ups.status')).toBe('OB DISCHRG');
    expect(Number(during.get('battery.charge'))).toBeLessThan(100);
    expect(during.get('input.voltage')).toBe('0.0');
    now = (online!.seconds + cut!.seconds + 1) * 1000;
    expect(master.variables().get('ups.status')).toBe('OL CHRG');
  });
});

describe('the demo battery curve', () => {
  const cycleMs = DEMO_SCRIPT.reduce((sum, p) => sum + p.seconds, 0) * 1000;
  // Every 250 ms over two loops.
  const curve = Array.from({ length: (2 * cycleMs) / 250 + 1 }, (_, i) => ({
    t: i * 250,
    ...demoReadings(DEMO_SCRIPT, i * 250),
  }));

  it('on battery, charge and runtime fall at every step; on line they recover to full', () => {
    let onBattery = 0;
    let charging = 0;
    for (let i = 1; i < curve.length; i++) {
      const [a, b] = [curve[i - 1]!, curve[i]!];
      if (a.status !== b.status) continue;
      if (b.status === 'OB DISCHRG') {
        onBattery += 1;
        expect(b.charge).toBeLessThan(a.charge);
        expect(b.runtime).toBeLessThan(a.runtime);
      }
      if (b.status === 'OL CHRG') {
        charging += 1;
        expect(b.charge).toBeGreaterThan(a.charge);
      }
      if (b.status === 'OL') expect(b.charge).toBe(100);
    }
    expect(onBattery).toBeGreaterThan(100);
    expect(charging).toBeGreaterThan(100);
    const lowest = Math.min(...curve.map((p) => p.charge));
    // A visible discharge, never down to low battery (the demo shuts nothing down).
    expect(lowest).toBeGreaterThan(50);
    expect(lowest).toBeLessThan(75);
  });

  it('is smooth: no jump between steps, across phases and loops alike', () => {
    for (let i = 1; i < curve.length; i++) {
      const [a, b] = [curve[i - 1]!, curve[i]!];
      expect(Math.abs(b.charge - a.charge), `charge at ${b.t} ms`).toBeLessThan(1);
      expect(Math.abs(b.load - a.load), `load at ${b.t} ms`).toBeLessThan(0.5);
    }
    // Runtime follows the charge: within a phase it moves by little per step.
    for (let i = 1; i < curve.length; i++) {
      const [a, b] = [curve[i - 1]!, curve[i]!];
      if (a.status === b.status)
        expect(Math.abs(b.runtime - a.runtime) / a.runtime).toBeLessThan(0.02);
    }
  });

  it('promises less runtime at a higher load: the charge’s share of the full-charge runtime at that load', () => {
    expect(demoRuntimeAtFull(48)).toBeLessThan(demoRuntimeAtFull(24) / 2);
    const during = demoReadings(DEMO_SCRIPT, (DEMO_SCRIPT[0]!.seconds + 10) * 1000);
    expect(during.status).toBe('OB DISCHRG');
    expect(during.runtime).toBeCloseTo((during.charge / 100) * demoRuntimeAtFull(during.load));
  });
});
