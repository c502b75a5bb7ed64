import { afterEach, describe, expect, it } from 'vitest';
import { NutClient } from '../nut/client';
import { NutError } from '../nut/errors';
import { DEMO_SCRIPT, type SimulatedMaster, startSimulatedMaster } from './simulated-master';

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
