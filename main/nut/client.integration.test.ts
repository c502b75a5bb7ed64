/**
 * NutClient against a REAL upsd 2.8.0 + dummy-ups (main/testing/upsd-rig.ts): every protocol
 * command, the privilege model of the seed users, TRACKING, STARTTLS (CA, pin, wrong pin,
 * opportunistic and required on a plaintext server), and the failures a user will meet: wrong
 * password, unknown UPS, stale / stopped driver, upsd down, a connect that never completes, and
 * upsd's 60 s idle cut (kept away by keep-alive). Scripted faults a real upsd cannot produce live in
 * client.test.ts (fault server).
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blackholeEndpoint, sleep, waitFor } from '../testing/net.js';
import {
  PROXMOX_APC_UPS,
  RIG_USERS,
  SYNOLOGY_UPS,
  SYNOLOGY_UPS_VARS,
  makeTestCertificate,
  startUpsdRig,
  type Rig,
} from '../testing/upsd-rig.js';
import { nutRejection } from '../testing/nut-rejection.js';
import { NutClient, type NutClientOptions } from './client.js';
import { NutError } from './errors.js';

const clients: NutClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

async function connect(rig: Rig, options: Partial<NutClientOptions> = {}): Promise<NutClient> {
  const client = await NutClient.connect({
    host: rig.host,
    port: rig.port,
    keepAliveIntervalMs: 0,
    requestTimeoutMs: 5_000,
    ...options,
  });
  clients.push(client);
  return client;
}

async function connectAs(
  rig: Rig,
  user: { name: string; password: string },
  options: Partial<NutClientOptions> = {},
): Promise<NutClient> {
  const client = await connect(rig, options);
  await client.authenticate(user.name, user.password);
  return client;
}

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;

/**
 * A transparent TCP proxy in front of upsd that renames the `PRIMARY` command to `PRIMARYX`, so the
 * real upsd itself answers `ERR UNKNOWN-COMMAND` for it, like a NUT ≤ 2.7.4 / Synology server.
 */
async function startPrimaryHidingProxy(
  rig: Rig,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect({ host: rig.host, port: rig.port });
    sockets.add(downstream).add(upstream);
    let pending = '';
    downstream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline + 1);
        pending = pending.slice(newline + 1);
        upstream.write(line.replace(/^PRIMARY /i, 'PRIMARYX '), 'latin1');
      }
    });
    upstream.pipe(downstream);
    const end = (): void => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('NutClient against real upsd 2.8.0 (plaintext rig: `ups` like Synology + `apc` like Proxmox, MAXAGE 3)', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startUpsdRig({ upses: [SYNOLOGY_UPS, PROXMOX_APC_UPS], maxAge: 3 });
  });

  afterAll(async () => {
    await rig?.stop();
  });

  describe('read-only commands', () => {
    it('VER, NETVER, PROTVER, HELP and capabilities()', async () => {
      const client = await connect(rig);
      expect(await client.ver()).toBe(
        'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/',
      );
      expect(await client.netVer()).toBe('1.3');
      expect(await client.protVer()).toBe('1.3');
      const help = await client.help();
      expect(help).toMatch(/^Commands: /);
      for (const word of [
        'HELP',
        'VER',
        'GET',
        'LIST',
        'SET',
        'INSTCMD',
        'LOGIN',
        'LOGOUT',
        'USERNAME',
        'PASSWORD',
        'STARTTLS',
      ]) {
        expect(help.split(/\s+/)).toContain(word);
      }
      expect(await client.capabilities()).toEqual({
        netVer: '1.3',
        protVer: '1.3',
        serverVersion: 'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/',
        isSynology: false,
        supportsPrimary: true,
        supportsTracking: true,
        supportsListClient: true,
      });
    });

    it('GET UPSDESC / VAR / TYPE / DESC / CMDDESC / TRACKING and GET VAR server.version', async () => {
      const client = await connect(rig);
      expect(await client.getUpsDesc('ups')).toBe('APC Back-UPS CS 350');
      expect(await client.getUpsDesc('apc')).toBe('APC Back-UPS ES 700');
      expect(await client.getVar('ups', 'ups.status')).toBe('OL');
      expect(await client.getVar('ups', 'ups.test.result')).toBe('No test initiated');
      expect(await client.getVar('apc', 'ups.firmware')).toBe('871.O4 .I');
      expect(await client.getVar('UPS', 'UPS.STATUS')).toBe('OL'); // names are case-insensitive on the server
      expect(await client.getVar('anything', 'server.version')).toBe('2.8.0');
      expect(await client.getType('ups', 'ups.status')).toEqual({
        rw: true,
        enum: false,
        range: false,
        kind: 'STRING',
        maxLength: 32,
        flags: ['RW', 'STRING:32'],
      });
      expect(await client.getType('ups', 'battery.charge')).toEqual({
        rw: true,
        enum: false,
        range: false,
        kind: 'NUMBER',
        flags: ['RW', 'NUMBER'],
      });
      expect((await client.getType('ups', 'driver.name')).rw).toBe(false);
      expect(await client.getDesc('ups', 'battery.charge')).toBe(
        'Battery charge (percent of full)',
      );
      expect(await client.getDesc('ups', 'no.such.var')).toBe('Description unavailable');
      expect(await client.getCmdDesc('ups', 'load.off')).toBe('Turn off the load immediately');
      expect(await client.getTrackingMode()).toBe('OFF');
      const error = await nutRejection(client.getVar('ups', 'no.such.var'));
      expect(error).toMatchObject({ kind: 'server', code: 'VAR-NOT-SUPPORTED' });
      expect(client.isOpen).toBe(true);
    });

    it('LIST UPS / VAR / RW / CMD / ENUM / RANGE', async () => {
      const client = await connect(rig);
      const upses = await client.listUps();
      expect(upses.map((ups) => ups.name).sort()).toEqual(['apc', 'ups']);
      expect(upses.find((ups) => ups.name === 'ups')?.description).toBe('APC Back-UPS CS 350');

      const vars = await client.listVar('ups');
      for (const [name, value] of Object.entries(SYNOLOGY_UPS_VARS))
        expect(vars.get(name), name).toBe(value);
      expect(vars.get('driver.name')).toBe('dummy-ups');
      expect(vars.get('driver.parameter.mode')).toBe('dummy-once');
      expect(vars.size).toBe(
        Object.keys(SYNOLOGY_UPS_VARS).length +
          [...vars.keys()].filter((name) => name.startsWith('driver.')).length,
      );

      const rw = await client.listRw('ups');
      expect(rw.get('ups.status')).toBe('OL');
      expect(rw.has('driver.name')).toBe(false);
      expect(await client.listCmd('ups')).toEqual(['load.off']);
      // dummy-ups 2.8.0 cannot declare ENUM/RANGE for file variables: upsd answers empty lists.
      expect(await client.listEnum('ups', 'input.sensitivity')).toEqual([]);
      expect(await client.listRange('ups', 'input.transfer.low')).toEqual([]);
      expect(await nutRejection(client.listEnum('ups', 'no.such.var'))).toMatchObject({
        kind: 'server',
        code: 'VAR-NOT-SUPPORTED',
      });
      expect(await nutRejection(client.listRange('ups', 'no.such.var'))).toMatchObject({
        kind: 'server',
        code: 'VAR-NOT-SUPPORTED',
      });
      // Still in step after the errors.
      expect(await client.getVar('apc', 'battery.charge.low')).toBe('80');
    });

    it('answers pipelined requests in order on one connection', async () => {
      const client = await connect(rig);
      const names = Object.keys(SYNOLOGY_UPS_VARS);
      const values = await Promise.all([
        ...names.map((name) => client.getVar('ups', name)),
        client.listCmd('apc'),
        client.getNumLogins('apc'),
      ]);
      expect(values.slice(0, names.length)).toEqual(Object.values(SYNOLOGY_UPS_VARS));
      expect(values[names.length]).toEqual(['load.off']);
      expect(values[names.length + 1]).toBe(0);
    });
  });

  describe('USERNAME / PASSWORD / LOGIN / LOGOUT and the login bookkeeping', () => {
    it('a secondary (Synology monuser) logs in: NUMLOGINS and LIST CLIENT show it; LOGOUT ends it', async () => {
      const client = await connectAs(rig, RIG_USERS.monuser);
      expect(await client.getNumLogins('ups')).toBe(0);
      await client.login('ups');
      expect(client.loggedInUps).toBe('ups');
      expect(await client.getNumLogins('ups')).toBe(1);
      expect(await rig.numLogins('ups')).toBe(1);
      expect(await client.listClient('ups')).toEqual([client.localAddress]);
      expect(await client.listClient('ups')).toEqual(['127.0.0.1']);
      expect(await client.listClient('apc')).toEqual([]);

      const other = await connectAs(rig, RIG_USERS.upsmonclient);
      await other.login('ups');
      expect(await client.getNumLogins('ups')).toBe(2);
      expect(await rig.listClients('ups')).toEqual(['127.0.0.1', '127.0.0.1']);

      await client.logout();
      expect(client.isOpen).toBe(false);
      expect(await client.whenClosed()).toBeUndefined();
      await waitFor(async () => (await rig.numLogins('ups')) === 1, {
        description: 'NUMLOGINS back to 1',
      });
      await other.close();
      await waitFor(async () => (await rig.numLogins('ups')) === 0, {
        description: 'NUMLOGINS back to 0',
      });
    });

    it('upsd enforces one LOGIN and one USERNAME/PASSWORD per connection, and credentials before LOGIN', async () => {
      const anonymous = await connect(rig);
      expect(await nutRejection(anonymous.login('ups'))).toMatchObject({
        kind: 'server',
        code: 'USERNAME-REQUIRED',
      });
      const client = await connectAs(rig, RIG_USERS.monuser);
      await client.login('ups');
      const again = await nutRejection(client.login('apc'));
      expect(again).toMatchObject({ kind: 'server', code: 'ALREADY-LOGGED-IN' });
      expect(again.fix).toMatch(/one connection per monitored UPS/i);
      expect(await nutRejection(client.authenticate('monuser', 'secret'))).toMatchObject({
        kind: 'server',
        code: 'ALREADY-SET-USERNAME',
      });
      expect(client.isOpen).toBe(true);
      expect(await client.getNumLogins('ups')).toBe(1);
    });

    it('a wrong password is only refused at LOGIN: ACCESS-DENIED with an explanation and a fix', async () => {
      const client = await connect(rig);
      await client.authenticate('monuser', 'not-the-password'); // upsd says OK to anything here
      const error = await nutRejection(client.login('ups'));
      expect(error.kind).toBe('server');
      expect(error.code).toBe('ACCESS-DENIED');
      expect(error.connectionLost).toBe(false);
      expect(error.command).toBe('LOGIN ups');
      expect(error.explanation).toMatch(/password is wrong/);
      expect(error.fix).toMatch(/upsd\.users/);
      expect(error.fix).toMatch(/Permitted DiskStation devices/);
      expect(JSON.stringify(error.toJSON())).not.toContain('not-the-password');
      expect(await client.getVar('ups', 'ups.status')).toBe('OL');
      expect(await rig.numLogins('ups')).toBe(0);
    });

    it('once the server is identified (2.8: PROTVER), a refused LOGIN names `upsmon secondary` only', async () => {
      const client = await connect(rig);
      expect((await client.capabilities()).protVer).toBeDefined();
      await client.authenticate('monuser', 'not-the-password');
      const error = await nutRejection(client.login('ups'));
      expect(error.fix).toContain('`upsmon secondary` (or `upsmon primary`) for LOGIN');
      expect(error.fix).not.toMatch(/slave|FSD|INSTCMD/);
    });

    it('an unknown UPS: UNKNOWN-UPS naming the UPSes the server has', async () => {
      const client = await connectAs(rig, RIG_USERS.monuser);
      const error = await nutRejection(client.getVar('nas-ups', 'ups.status'));
      expect(error).toMatchObject({ kind: 'server', code: 'UNKNOWN-UPS' });
      expect([...(error.availableUps ?? [])].sort()).toEqual(['apc', 'ups']);
      expect(error.explanation).toMatch(/The server has: (ups, apc|apc, ups)\./);
      expect(error.context.ups).toBe('nas-ups');
      const loginError = await nutRejection(client.login('nas-ups'));
      expect(loginError).toMatchObject({ kind: 'server', code: 'UNKNOWN-UPS' });
      expect(loginError.availableUps).toBeDefined();
      await client.login('ups'); // the failed LOGIN did not count
      expect(await client.getNumLogins('ups')).toBe(1);
    });
  });

  describe('PRIMARY / MASTER / FSD', () => {
    it('PRIMARY is granted to `upsmon primary`, MASTER too (deprecated alias)', async () => {
      const client = await connectAs(rig, RIG_USERS.monprimary);
      expect(await client.primary('ups')).toBe('PRIMARY');
      expect(await client.command(['MASTER', 'ups'])).toEqual(['OK', 'MASTER-GRANTED']);
      await client.login('ups');
      expect(await client.getNumLogins('ups')).toBe(1);
    });

    it('falls back to MASTER when the server does not know PRIMARY (real upsd behind a PRIMARY-hiding proxy)', async () => {
      const proxy = await startPrimaryHidingProxy(rig);
      try {
        const client = await NutClient.connect({
          host: '127.0.0.1',
          port: proxy.port,
          keepAliveIntervalMs: 0,
        });
        clients.push(client);
        await client.authenticate(RIG_USERS.monprimary.name, RIG_USERS.monprimary.password);
        expect(await nutRejection(client.command(['PRIMARY', 'ups']))).toMatchObject({
          kind: 'server',
          code: 'UNKNOWN-COMMAND',
        });
        expect(await client.primary('ups')).toBe('MASTER');
        await client.close();
      } finally {
        await proxy.close();
      }
    });

    it('a secondary gets ACCESS-DENIED for PRIMARY (after the MASTER fallback) and for FSD', async () => {
      const client = await connectAs(rig, RIG_USERS.monuser);
      const primaryError = await nutRejection(client.primary('ups'));
      expect(primaryError).toMatchObject({
        kind: 'server',
        code: 'ACCESS-DENIED',
        command: 'MASTER ups',
      });
      const fsdError = await nutRejection(client.fsd('apc'));
      expect(fsdError).toMatchObject({ kind: 'server', code: 'ACCESS-DENIED', command: 'FSD apc' });
      // Not identified (no capabilities() on this connection): the old words, which 2.8 accepts too.
      expect(fsdError.fix).toContain('`upsmon master` or `actions = FSD` for FSD');
      expect(await rig.getVar('apc', 'ups.status')).toBe('OL');
    });

    it('FSD by a primary sets the latch (status gains FSD); only a restart clears it', async () => {
      const client = await connectAs(rig, RIG_USERS.monprimary);
      await client.login('apc');
      await client.fsd('apc');
      expect(await client.getVar('apc', 'ups.status')).toBe('FSD OL');
      expect(await rig.getVar('ups', 'ups.status')).toBe('OL');
      await rig.restart();
      // Our connection died with upsd.
      const cause = await client.whenClosed();
      expect(cause).toBeInstanceOf(NutError);
      expect(cause?.connectionLost).toBe(true);
      const fresh = await connect(rig);
      expect(await fresh.getVar('apc', 'ups.status')).toBe('OL');
    });
  });

  describe('SET VAR / INSTCMD with TRACKING (admin user)', () => {
    it('SET VAR with tracking: OK TRACKING <uuid>, polled to SUCCESS, value visible', async () => {
      const client = await connectAs(rig, RIG_USERS.admin);
      const result = await client.setVar('ups', 'battery.charge', '55', {
        waitForResult: true,
        pollIntervalMs: 50,
      });
      expect(result.trackingId).toMatch(UUID);
      expect(result.result).toBe('SUCCESS');
      expect(await client.getTrackingMode()).toBe('ON');
      expect(await client.getTracking(result.trackingId!)).toBe('SUCCESS');
      expect(await rig.getVar('ups', 'battery.charge')).toBe('55');
      // A status change through the client shows up like one through the rig.
      await client.setVar('ups', 'ups.status', 'OB DISCHRG', {
        waitForResult: true,
        pollIntervalMs: 50,
      });
      expect(await client.getVar('ups', 'ups.status')).toBe('OB DISCHRG');
      await rig.setStatus('ups', 'OL');
    });

    it('SET TRACKING ON/OFF: without tracking SET VAR gives a plain OK and GET TRACKING <id> is refused', async () => {
      const client = await connectAs(rig, RIG_USERS.admin);
      await client.setTracking(true);
      const tracked = await client.setVar('ups', 'ups.load', '20.0');
      expect(tracked.trackingId).toMatch(UUID);
      expect(tracked.result).toBeUndefined();
      await client.setTracking(false);
      expect(await client.getTrackingMode()).toBe('OFF');
      const untracked = await client.setVar('ups', 'ups.load', '21.0');
      expect(untracked).toEqual({ trackingId: undefined, result: undefined });
      const error = await nutRejection(client.getTracking(tracked.trackingId!));
      expect(error).toMatchObject({ kind: 'server', code: 'FEATURE-NOT-CONFIGURED' });
      expect(error.fix).toMatch(/SET TRACKING ON/);
      await waitFor(async () => (await rig.getVar('ups', 'ups.load')) === '21.0', {
        description: 'ups.load 21.0',
      });
      const anonymous = await connect(rig);
      expect(await nutRejection(anonymous.setTracking(true))).toMatchObject({
        kind: 'server',
        code: 'USERNAME-REQUIRED',
      });
    });

    it('SET VAR errors: READONLY, TOO-LONG, VAR-NOT-SUPPORTED, ACCESS-DENIED for a monitoring user', async () => {
      const admin = await connectAs(rig, RIG_USERS.admin);
      expect(await nutRejection(admin.setVar('ups', 'driver.name', 'x'))).toMatchObject({
        kind: 'server',
        code: 'READONLY',
      });
      expect(await nutRejection(admin.setVar('ups', 'ups.status', 'X'.repeat(33)))).toMatchObject({
        kind: 'server',
        code: 'TOO-LONG',
      });
      expect(await nutRejection(admin.setVar('ups', 'no.such.var', '1'))).toMatchObject({
        kind: 'server',
        code: 'VAR-NOT-SUPPORTED',
      });
      const monitor = await connectAs(rig, RIG_USERS.monprimary);
      expect(await nutRejection(monitor.setVar('ups', 'battery.charge', '1'))).toMatchObject({
        kind: 'server',
        code: 'ACCESS-DENIED',
      });
      expect(await rig.getVar('ups', 'battery.charge')).not.toBe('1');
    });

    it('INSTCMD with tracking: dummy-ups offers load.off but answers it ERR UNKNOWN (what really happens)', async () => {
      const client = await connectAs(rig, RIG_USERS.admin);
      const result = await client.instCmd('ups', 'load.off', undefined, {
        waitForResult: true,
        pollIntervalMs: 50,
      });
      expect(result.trackingId).toMatch(UUID);
      expect(result.result).toEqual({ error: 'UNKNOWN' });
      expect(await client.getTracking(result.trackingId!)).toEqual({ error: 'UNKNOWN' });
      // With a parameter (sent quoted) the outcome is the same.
      expect(
        (await client.instCmd('ups', 'load.off', '5', { waitForResult: true, pollIntervalMs: 50 }))
          .result,
      ).toEqual({ error: 'UNKNOWN' });
      expect(await nutRejection(client.instCmd('ups', 'beeper.off'))).toMatchObject({
        kind: 'server',
        code: 'CMD-NOT-SUPPORTED',
      });
      const monitor = await connectAs(rig, RIG_USERS.monprimary);
      expect(await nutRejection(monitor.instCmd('ups', 'load.off'))).toMatchObject({
        kind: 'server',
        code: 'ACCESS-DENIED',
      });
      expect(await rig.getVar('ups', 'ups.status')).toBe('OL');
    });
  });

  describe('STARTTLS on a plaintext upsd', () => {
    it('opportunistic TLS falls back to plaintext (FEATURE-NOT-CONFIGURED) and keeps working', async () => {
      const client = await connectAs(rig, RIG_USERS.monuser, { tls: { mode: 'opportunistic' } });
      expect(client.tlsActive).toBe(false);
      expect(client.tlsDeclinedCode).toBe('FEATURE-NOT-CONFIGURED');
      await client.login('ups');
      expect(await client.getVar('ups', 'ups.status')).toBe('OL');
    });

    it('required TLS fails clearly: STARTTLS-REFUSED explaining that no certificate is configured', async () => {
      const started = performance.now();
      const error = await nutRejection(
        NutClient.connect({
          host: rig.host,
          port: rig.port,
          keepAliveIntervalMs: 0,
          tls: { mode: 'required' },
        }),
      );
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(error.kind).toBe('tls');
      expect(error.code).toBe('STARTTLS-REFUSED');
      expect(error.explanation).toMatch(/ERR FEATURE-NOT-CONFIGURED/);
      expect(error.explanation).toMatch(/no certificate is configured/);
      expect(error.fix).toMatch(/CERTPATH \+ CERTIDENT/);
    });
  });

  describe('driver and server failures', () => {
    it('a hung driver (SIGSTOP) turns into DATA-STALE after MAXAGE; the connection survives and recovers', async () => {
      const client = await connectAs(rig, RIG_USERS.monuser);
      await client.login('apc');
      await rig.freezeDriver('apc');
      try {
        const error = await waitFor(
          async () => {
            try {
              await client.getVar('apc', 'ups.status');
              return undefined;
            } catch (caught) {
              return caught as NutError;
            }
          },
          { timeoutMs: 10_000, intervalMs: 100, description: 'DATA-STALE' },
        );
        expect(error).toBeInstanceOf(NutError);
        expect(error).toMatchObject({ kind: 'server', code: 'DATA-STALE', connectionLost: false });
        expect(error.explanation).toMatch(/lost contact with its UPS/);
        expect(error.fix).toMatch(/driver/);
        expect(await client.getVar('ups', 'ups.status')).toBe('OL'); // the other UPS is fine
        expect(await nutRejection(client.getNumLogins('apc'))).toMatchObject({
          code: 'DATA-STALE',
        });
        expect(await client.listClient('apc')).toEqual(['127.0.0.1']); // no driver check for LIST CLIENT
      } finally {
        await rig.thawDriver('apc');
      }
      expect(await client.getVar('apc', 'ups.status')).toBe('OL');
    });

    it('a stopped driver gives DRIVER-NOT-CONNECTED', async () => {
      const client = await connectAs(rig, RIG_USERS.monuser);
      await rig.stopDriver('apc');
      try {
        const error = await nutRejection(client.getVar('apc', 'ups.status'));
        expect(error).toMatchObject({
          kind: 'server',
          code: 'DRIVER-NOT-CONNECTED',
          connectionLost: false,
        });
        expect(error.explanation).toMatch(/driver is not running/);
        await client.login('apc'); // LOGIN has no driver check
        expect(await client.getUpsDesc('apc')).toBe('APC Back-UPS ES 700');
      } finally {
        await rig.startDriver('apc');
      }
      expect(await client.getVar('apc', 'ups.status')).toBe('OL');
    });

    it('upsd down: the open connection closes with a cause, and connecting is refused with how to start it', async () => {
      const client = await connectAs(rig, RIG_USERS.monuser);
      await client.login('ups');
      await rig.stopUpsd();
      try {
        const cause = await client.whenClosed();
        expect(cause).toBeInstanceOf(NutError);
        expect(cause!.connectionLost).toBe(true);
        expect(client.isOpen).toBe(false);
        const error = await nutRejection(
          NutClient.connect({ host: rig.host, port: rig.port, keepAliveIntervalMs: 0 }),
        );
        expect(error).toMatchObject({ kind: 'refused', code: 'ECONNREFUSED' });
        expect(error.explanation).toMatch(/which is this machine: upsd is not running here/);
        expect(error.fix).toContain('`systemctl start nut-server`');
        expect(error.fix).toContain(`"LISTEN 127.0.0.1 ${rig.port}"`);
      } finally {
        await rig.startUpsd();
      }
      const again = await connect(rig);
      expect(await again.getVar('ups', 'ups.status')).toBe('OL');
    });
  });

  describe("keep-alive vs upsd's 60 s idle cut", () => {
    /** A client whose socket records every line it writes. */
    async function spiedClient(
      keepAliveIntervalMs: number,
    ): Promise<{ client: NutClient; written: string[] }> {
      const written: string[] = [];
      const client = await connect(rig, {
        keepAliveIntervalMs,
        createSocket: (target) => {
          const socket = net.createConnection(target);
          const write = socket.write.bind(socket) as (
            chunk: unknown,
            ...rest: unknown[]
          ) => boolean;
          socket.write = (chunk: unknown, ...rest: unknown[]) => {
            written.push(...String(chunk).split('\n').filter(Boolean));
            return write(chunk, ...rest);
          };
          return socket;
        },
      });
      return { client, written };
    }

    it('an idle logged-in client keeps sending VER every keepAliveIntervalMs, upsd answers, the LOGIN stays', async () => {
      const { client, written } = await spiedClient(150);
      await client.authenticate(RIG_USERS.monuser.name, RIG_USERS.monuser.password);
      await client.login('ups');
      const before = written.length;
      await sleep(1_000);
      const keepAlives = written.slice(before).filter((line) => line === 'VER');
      expect(keepAlives.length).toBeGreaterThanOrEqual(4);
      expect(keepAlives.length).toBeLessThanOrEqual(8);
      expect(written.slice(before).every((line) => line === 'VER')).toBe(true);
      expect(client.isOpen).toBe(true);
      expect(await rig.numLogins('ups')).toBe(1);
      expect(await client.getVar('ups', 'ups.status')).toBe('OL');
    });

    it('without keep-alive nothing is sent while idle (so upsd would cut it at 60 s)', async () => {
      const { client, written } = await spiedClient(0);
      await client.authenticate(RIG_USERS.monuser.name, RIG_USERS.monuser.password);
      await client.login('ups');
      const before = written.length;
      await sleep(500);
      expect(written.slice(before)).toEqual([]);
      expect(client.isOpen).toBe(true);
    });

    it('regular traffic postpones the keep-alive (it only fills silence)', async () => {
      const { client, written } = await spiedClient(300);
      const before = written.length;
      for (let i = 0; i < 8; i++) {
        await client.getVar('ups', 'ups.status');
        await sleep(100);
      }
      expect(written.slice(before).filter((line) => line === 'VER')).toEqual([]);
    });
  });
});

describe('NutClient STARTTLS against a TLS upsd (NSS cert db made with certutil)', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startUpsdRig({ tls: true });
  });

  afterAll(async () => {
    await rig?.stop();
  });

  it('required TLS verified against the server certificate as CA; the protocol works inside TLS', async () => {
    const client = await connectAs(rig, RIG_USERS.monuser, {
      tls: { mode: 'required', caPem: rig.tls!.certPem },
    });
    expect(client.tlsActive).toBe(true);
    expect(client.tlsProtocol).toBe('TLSv1.3');
    expect(client.peerCertificateFingerprint256).toBe(rig.tls!.fingerprint256);
    await client.login('ups');
    expect(await client.getVar('ups', 'ups.status')).toBe('OL');
    expect(await client.listClient('ups')).toEqual(['127.0.0.1']);
    // A second STARTTLS inside TLS is refused by upsd (and does not start a handshake).
    expect(await nutRejection(client.command(['STARTTLS']))).toMatchObject({
      kind: 'server',
      code: 'ALREADY-SSL-MODE',
    });
    expect(await client.getNumLogins('ups')).toBe(1);
  });

  it('verifies the name too: servername "localhost" passes, a name not in the certificate fails', async () => {
    const client = await connect(rig, {
      host: '127.0.0.1',
      tls: { mode: 'required', caPem: rig.tls!.certPem, servername: rig.tls!.servername },
    });
    expect(client.tlsActive).toBe(true);
    const error = await nutRejection(
      connect(rig, {
        tls: { mode: 'required', caPem: rig.tls!.certPem, servername: 'nas.example' },
      }),
    );
    expect(error).toMatchObject({ kind: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(error.explanation).toMatch(/not valid for "nas\.example"/);
  });

  it('a pinned fingerprint (no CA) is accepted, with or without colons and in any case', async () => {
    const pinned = await connect(rig, {
      tls: { mode: 'required', fingerprint256: rig.tls!.fingerprint256 },
    });
    expect(pinned.tlsActive).toBe(true);
    expect(await pinned.getVar('ups', 'ups.status')).toBe('OL');
    const bare = await connect(rig, {
      tls: {
        mode: 'required',
        fingerprint256: rig.tls!.fingerprint256.replace(/:/g, '').toLowerCase(),
      },
    });
    expect(bare.peerCertificateFingerprint256).toBe(rig.tls!.fingerprint256);
  });

  it('a WRONG pin fails with FINGERPRINT-MISMATCH naming both fingerprints, and upsd keeps serving others', async () => {
    const other = await makeTestCertificate();
    expect(other.fingerprint256).not.toBe(rig.tls!.fingerprint256);
    const error = await nutRejection(
      connect(rig, { tls: { mode: 'required', fingerprint256: other.fingerprint256 } }),
    );
    expect(error).toMatchObject({ kind: 'tls', code: 'FINGERPRINT-MISMATCH' });
    expect(error.explanation).toContain(rig.tls!.fingerprint256);
    expect(error.explanation).toContain(other.fingerprint256);
    expect(error.fix).toMatch(/pin the new fingerprint/);
    // upsd handshakes synchronously: make sure the aborted client did not leave it frozen.
    const client = await connect(rig, { requestTimeoutMs: 2_000 });
    expect(await client.getVar('ups', 'ups.status')).toBe('OL');
  });

  it('an untrusted certificate fails: self-signed without CA/pin, or verified against the wrong CA', async () => {
    const noTrust = await nutRejection(connect(rig, { tls: { mode: 'required' } }));
    expect(noTrust).toMatchObject({ kind: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(noTrust.fix).toMatch(/pin its SHA-256 fingerprint/);
    const other = await makeTestCertificate();
    const wrongCa = await nutRejection(
      connect(rig, { tls: { mode: 'required', caPem: other.certPem } }),
    );
    expect(wrongCa.kind).toBe('tls');
    expect([
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
    ]).toContain(wrongCa.code);
  });

  it('opportunistic TLS upgrades when the server offers it', async () => {
    const client = await connect(rig, { tls: { mode: 'opportunistic', caPem: rig.tls!.certPem } });
    expect(client.tlsActive).toBe(true);
    expect(client.tlsDeclinedCode).toBeUndefined();
    expect(await client.getVar('ups', 'ups.status')).toBe('OL');
  });

  it('insecure mode skips verification but still reports the fingerprint', async () => {
    const client = await connect(rig, { tls: { mode: 'required', insecure: true } });
    expect(client.tlsActive).toBe(true);
    expect(client.peerCertificateFingerprint256).toBe(rig.tls!.fingerprint256);
  });
});

describe('NutClient connect timeout (black-holed address in a private netns)', () => {
  it('a connect that never completes fails after connectTimeoutMs with kind timeout and the firewall hint', async () => {
    const endpoint = await blackholeEndpoint();
    try {
      const started = performance.now();
      const error = await nutRejection(
        NutClient.connect({
          host: endpoint.host,
          port: endpoint.port,
          connectTimeoutMs: 600,
          keepAliveIntervalMs: 0,
        }),
      );
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({ kind: 'timeout', code: 'CONNECT-TIMEOUT' });
      expect(error.explanation).toMatch(/within 600 ms/);
      expect(error.explanation).toMatch(/firewall/);
      expect(error.fix).toMatch(/Allow TCP port 3493/);
      expect(error.context).toEqual({ host: endpoint.host, port: endpoint.port });
      expect(elapsed).toBeGreaterThanOrEqual(550);
      expect(elapsed).toBeLessThan(2_000);
    } finally {
      await endpoint.cleanup();
    }
  });
});
