/**
 * The real-upsd rig itself (main/testing/upsd-rig.ts): start-up, mutators that wait for upsd,
 * FSD latch + restart, driver stop/freeze, upsd down, parallel rigs, TLS material, the warm pool,
 * and that stop() leaves no process or file behind. Uses only the rig's raw connection (never
 * main/nut), so a broken client cannot hide a broken rig.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RawNutError, blackholeEndpoint, sleep, tokenize, waitFor } from './net.js';
import {
  PROXMOX_APC_UPS,
  RIG_USERS,
  SYNOLOGY_UPS,
  pingDriver,
  startUpsdRig,
  stopWarmDrivers,
  warmDriverPids,
  type Rig,
} from './upsd-rig.js';

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' && !fs.existsSync(`/proc/${pid}`);
  }
  return false;
}

function processAlive(pid: number): boolean {
  return !processGone(pid);
}

function rawConnect(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

async function rawError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RawNutError) return error.code;
    return `${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  throw new Error('expected a rejection');
}

describe('upsd rig: a default (Synology-like) rig', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startUpsdRig();
  });

  afterAll(async () => {
    await rig?.stop();
  });

  it('starts upsd and one dummy-ups on a loopback port and serves the Synology seed data', async () => {
    expect(rig.host).toBe('127.0.0.1');
    expect(rig.port).toBeGreaterThan(0);
    expect(fs.existsSync(`${rig.dir}/etc/upsd.conf`)).toBe(true);
    expect(fs.readFileSync(`${rig.dir}/etc/upsd.conf`, 'utf8')).toContain(
      `LISTEN 127.0.0.1 ${rig.port}`,
    );
    expect(rig.pids()).toHaveLength(2);
    for (const pid of rig.pids()) expect(processAlive(pid)).toBe(true);
    expect(rig.upsdPid).toBeDefined();
    expect(rig.driverPid('ups')).toBeDefined();
    expect(fs.readFileSync(`/proc/${rig.upsdPid}/cmdline`, 'utf8').split('\0')[0]).toBe(
      '/lib/nut/upsd',
    );
    expect(fs.readFileSync(`/proc/${rig.driverPid('ups')}/cmdline`, 'utf8').split('\0')[0]).toBe(
      '/lib/nut/dummy-ups',
    );

    const connection = await rig.connect();
    try {
      expect(await connection.request('VER')).toMatch(/^Network UPS Tools upsd 2\.8\.0/);
      expect(await connection.list('LIST UPS')).toEqual(['UPS ups "APC Back-UPS CS 350"']);
      expect(await connection.getVar('ups', 'ups.status')).toBe('OL');
      expect(await connection.getVar('ups', 'device.model')).toBe('Back-UPS CS 350');
      expect(await connection.getVar('ups', 'ups.test.result')).toBe('No test initiated');
      const vars = await connection.list('LIST VAR ups');
      expect(vars).toContain('VAR ups battery.runtime "3007"');
      expect(vars).toContain('VAR ups driver.name "dummy-ups"');
      expect(await rawError(connection.request('GET VAR nosuch ups.status'))).toBe('UNKNOWN-UPS');
    } finally {
      await connection.close();
    }
  });

  it('reports how long start-up took', () => {
    expect(rig.startup.ms).toBeGreaterThan(0);
    expect(rig.startup.ms).toBeLessThan(10_000);
    expect(rig.logs()).toMatch(/ready on 127\.0\.0\.1:\d+ in \d+ ms/);
  });

  it('setStatus / setVar return only once upsd reports the new value', async () => {
    await rig.setStatus('ups', 'OB DISCHRG');
    expect(await rig.getVar('ups', 'ups.status')).toBe('OB DISCHRG');
    await rig.setVar('ups', 'battery.charge', '42');
    expect(await rig.getVar('ups', 'battery.charge')).toBe('42');
    await rig.setStatus('ups', 'OL');
    expect((await rig.probe('ups')).status).toBe('OL');
  });

  it('refuses values dummy-ups would mangle, and unknown UPS names', async () => {
    await expect(rig.setVar('ups', 'ups.test.result', 'a#b')).rejects.toThrow(
      /printable ASCII without/,
    );
    await expect(rig.setVar('ups', 'ups.test.result', 'say "hi"')).rejects.toThrow(
      /printable ASCII without/,
    );
    await expect(rig.setStatus('nosuch', 'OL')).rejects.toThrow(/no UPS named nosuch/);
  });

  it('counts LOGINs (numLogins, listClients) of the seed users', async () => {
    expect(await rig.numLogins('ups')).toBe(0);
    expect(await rig.listClients('ups')).toEqual([]);
    const secondary = await rig.connect();
    const primary = await rig.connect();
    try {
      await secondary.request(`USERNAME ${RIG_USERS.monuser.name}`);
      await secondary.request(`PASSWORD ${RIG_USERS.monuser.password}`);
      expect(await secondary.request('LOGIN ups')).toBe('OK');
      await primary.request(`USERNAME ${RIG_USERS.monprimary.name}`);
      await primary.request(`PASSWORD ${RIG_USERS.monprimary.password}`);
      expect(await primary.request('PRIMARY ups')).toBe('OK PRIMARY-GRANTED');
      expect(await primary.request('LOGIN ups')).toBe('OK');
      expect(await rig.numLogins('ups')).toBe(2);
      expect(await rig.listClients('ups')).toEqual(['127.0.0.1', '127.0.0.1']);
    } finally {
      await secondary.close();
      await primary.close();
    }
    await waitFor(async () => (await rig.numLogins('ups')) === 0, {
      description: 'logins to drop',
    });
  });

  it('the seed users have the documented rights', async () => {
    const tryLogin = async (user: string, password: string): Promise<string> => {
      const connection = await rig.connect();
      try {
        await connection.request(`USERNAME ${user}`);
        await connection.request(`PASSWORD ${password}`);
        return await connection
          .request('LOGIN ups')
          .catch((error: unknown) => (error instanceof RawNutError ? error.code : String(error)));
      } finally {
        connection.destroy();
      }
    };
    expect(await tryLogin('monuser', 'secret')).toBe('OK');
    expect(await tryLogin('upsmonclient', RIG_USERS.upsmonclient.password)).toBe('OK');
    expect(await tryLogin('monuser', 'wrong')).toBe('ACCESS-DENIED');
    expect(await tryLogin('admin', 'adminpass')).toBe('ACCESS-DENIED'); // SET/FSD/INSTCMD only
  });

  it('setFsd latches FSD; restart() (upsd + drivers) is what clears it, on the same port', async () => {
    const portBefore = rig.port;
    const pidsBefore = rig.pids();
    await rig.setFsd('ups');
    expect(await rig.getVar('ups', 'ups.status')).toBe('FSD OL');
    // setStatus still works while latched (upsd keeps prefixing FSD).
    await rig.setStatus('ups', 'OB LB');
    expect(await rig.getVar('ups', 'ups.status')).toBe('FSD OB LB');

    const started = performance.now();
    await rig.restart();
    const restartMs = performance.now() - started;
    expect(rig.port).toBe(portBefore);
    expect(await rig.getVar('ups', 'ups.status')).toBe('OL');
    for (const pid of pidsBefore) expect(processGone(pid)).toBe(true);
    expect(rig.pids().some((pid) => pidsBefore.includes(pid))).toBe(false);
    expect(rig.pids()).toHaveLength(2);
    console.info(`[rig] restart took ${restartMs.toFixed(0)} ms`);
  });

  it('stopDriver gives DRIVER-NOT-CONNECTED at once; startDriver brings the data back', async () => {
    const pid = rig.driverPid('ups')!;
    await rig.stopDriver('ups');
    expect(processGone(pid)).toBe(true);
    expect(rig.driverPid('ups')).toBeUndefined();
    expect(await rawError(rig.getVar('ups', 'ups.status'))).toBe('DRIVER-NOT-CONNECTED');
    // Things upsd answers without a driver (main/nut/README.md §4.7).
    const connection = await rig.connect();
    try {
      expect(await connection.request('GET UPSDESC ups')).toBe('UPSDESC ups "APC Back-UPS CS 350"');
      expect(await rawError(connection.request('GET NUMLOGINS ups'))).toBe('DRIVER-NOT-CONNECTED');
    } finally {
      connection.destroy();
    }
    await rig.startDriver('ups');
    expect(await rig.getVar('ups', 'ups.status')).toBe('OL');
  });

  it('stopUpsd refuses connections; startUpsd serves again on the same port', async () => {
    const port = rig.port;
    await rig.stopUpsd();
    expect(rig.upsdPid).toBeUndefined();
    const error = await rawError(rig.connect());
    expect(error).toBe('ECONNREFUSED');
    await rig.startUpsd();
    expect(rig.port).toBe(port);
    expect(await rig.getVar('ups', 'ups.status')).toBe('OL');
  });

  it('the drivers answer PING on their socket (how the rig knows they serve); the link stays open', async () => {
    const link = await pingDriver(`${rig.stateDir}/dummy-ups-ups`, 3_000);
    try {
      expect(link.destroyed).toBe(false);
      // A broadcast (value change) while our link is open does not hurt the driver.
      await rig.setVar('ups', 'battery.charge', '77');
      expect(await rig.getVar('ups', 'battery.charge')).toBe('77');
      expect(rig.driverPid('ups')).toBeDefined();
    } finally {
      // Closing a driver link is only safe once nothing changes any more: stop the rig first.
      await rig.stop();
      link.destroy();
    }
  });
});

describe('upsd rig: several UPSes, small MAXAGE', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startUpsdRig({ upses: [SYNOLOGY_UPS, PROXMOX_APC_UPS], maxAge: 3 });
  });

  afterAll(async () => {
    await rig?.stop();
  });

  it('serves both UPSes with their own data and drivers', async () => {
    const connection = await rig.connect();
    try {
      expect((await connection.list('LIST UPS')).sort()).toEqual([
        'UPS apc "APC Back-UPS ES 700"',
        'UPS ups "APC Back-UPS CS 350"',
      ]);
      expect(await connection.getVar('apc', 'battery.charge.low')).toBe('80');
      expect(await connection.getVar('ups', 'battery.charge.low')).toBe('10');
    } finally {
      connection.destroy();
    }
    expect(rig.pids()).toHaveLength(3);
    expect(rig.driverPid('apc')).not.toBe(rig.driverPid('ups'));
  });

  it('freezeDriver gives DATA-STALE after MAXAGE (3 s), only for that UPS; thawDriver recovers', async () => {
    const started = performance.now();
    await rig.freezeDriver('apc');
    const pid = rig.driverPid('apc')!;
    await waitFor(() => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'T', {
      description: 'driver stopped (T)',
    });
    expect((await rig.probe('apc')).status).toBe('OL'); // not stale yet
    await waitFor(async () => (await rig.probe('apc')).error === 'DATA-STALE', {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'DATA-STALE',
    });
    const staleAfter = performance.now() - started;
    expect(staleAfter).toBeGreaterThan(2_000);
    expect(staleAfter).toBeLessThan(8_000);
    expect((await rig.probe('ups')).status).toBe('OL');
    await rig.thawDriver('apc');
    expect((await rig.probe('apc')).status).toBe('OL');
    console.info(`[rig] DATA-STALE after ${staleAfter.toFixed(0)} ms with MAXAGE 3`);
  });
});

describe('upsd rig: isolation and clean-up', () => {
  it('runs two rigs at once with their own ports, dirs, processes and data', async () => {
    const [a, b] = await Promise.all([startUpsdRig(), startUpsdRig()]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.dir).not.toBe(b.dir);
      expect(a.stateDir).not.toBe(b.stateDir);
      expect(a.pids().some((pid) => b.pids().includes(pid))).toBe(false);
      await a.setStatus('ups', 'OB');
      expect(await a.getVar('ups', 'ups.status')).toBe('OB');
      expect(await b.getVar('ups', 'ups.status')).toBe('OL');
      await b.setFsd('ups');
      expect(await b.getVar('ups', 'ups.status')).toBe('FSD OL');
      expect(await a.getVar('ups', 'ups.status')).toBe('OB');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('stop() ends every process (also a frozen driver) and removes the rig dirs; it is idempotent', async () => {
    const rig = await startUpsdRig({ upses: [SYNOLOGY_UPS, PROXMOX_APC_UPS], maxAge: 3 });
    await rig.freezeDriver('ups');
    const pids = rig.pids();
    const dirs = [rig.dir, rig.stateDir];
    expect(pids).toHaveLength(3);
    await rig.stop();
    for (const pid of pids) expect(processGone(pid)).toBe(true);
    for (const dir of dirs) expect(fs.existsSync(dir)).toBe(false);
    expect(rig.pids()).toEqual([]);
    await rig.stop();
    await expect(rig.restart()).rejects.toThrow(/already stopped/);
  });

  it('a warm driver set makes the next rig with the same UPSes start fast; stopWarmDrivers ends the pool', async () => {
    await stopWarmDrivers();
    const first = await startUpsdRig({ upses: [PROXMOX_APC_UPS] });
    await first.stop();
    const warmPids = await warmDriverPids();
    expect(warmPids.length).toBeGreaterThan(0);
    await sleep(2_200); // let the warm driver finish its two 1 s start-up sleeps
    const second = await startUpsdRig({ upses: [PROXMOX_APC_UPS] });
    try {
      expect(second.startup.warm).toBe(true);
      expect(second.startup.ms).toBeLessThan(1_500);
      expect(second.pids()).toContain(warmPids[0]);
      expect(await second.getVar('apc', 'ups.status')).toBe('OL');
      console.info(`[rig] cold start ${first.startup.ms} ms, warm start ${second.startup.ms} ms`);
    } finally {
      await second.stop();
    }
    const refill = await warmDriverPids();
    await stopWarmDrivers();
    for (const pid of [...warmPids, ...refill]) expect(processGone(pid)).toBe(true);
    expect(await warmDriverPids()).toEqual([]);
  });

  it('prewarm: false leaves no warm drivers behind', async () => {
    await stopWarmDrivers();
    const rig = await startUpsdRig({
      upses: [{ name: 'solo', vars: { 'ups.status': 'OB' } }],
      prewarm: false,
    });
    try {
      expect(await rig.getVar('solo', 'ups.status')).toBe('OB');
      expect(await rig.getVar('solo', 'ups.status')).toBe('OB');
      expect(await rawError(rig.getVar('solo', 'battery.charge'))).toBe('VAR-NOT-SUPPORTED');
      expect(await warmDriverPids()).toEqual([]);
    } finally {
      await rig.stop();
    }
  });

  it('a fixed port that is taken fails start-up with a clear error and leaves nothing running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startUpsdRig({ port, prewarm: false, startTimeoutMs: 3_000 })).rejects.toThrow(
        new RegExp(`port ${port} is taken`),
      );
    } finally {
      blocker.close();
    }
  });

  it('listens on another local address: IPv6 loopback', async () => {
    const rig = await startUpsdRig({ listen: '::1' });
    try {
      expect(rig.target()).toBe(`ups@[::1]:${rig.port}`);
      const connection = await rig.connect();
      try {
        expect(await connection.getVar('ups', 'ups.status')).toBe('OL');
      } finally {
        connection.destroy();
      }
      expect(await rawError(rawConnect('127.0.0.1', rig.port))).toBe('ECONNREFUSED');
    } finally {
      await rig.stop();
    }
  });

  it('listens on a non-loopback local address only (the veth of a blackhole netns): 127.0.0.1 is refused', async () => {
    const endpoint = await blackholeEndpoint();
    try {
      const rig = await startUpsdRig({ listen: endpoint.localAddress });
      try {
        expect(rig.host).toBe(endpoint.localAddress);
        const connection = await rig.connect();
        try {
          await connection.request(`USERNAME ${RIG_USERS.monuser.name}`);
          await connection.request(`PASSWORD ${RIG_USERS.monuser.password}`);
          expect(await connection.request('LOGIN ups')).toBe('OK');
          expect(await rig.listClients('ups')).toEqual([endpoint.localAddress]);
        } finally {
          connection.destroy();
        }
        expect(await rawError(rawConnect('127.0.0.1', rig.port))).toBe('ECONNREFUSED');
      } finally {
        await rig.stop();
      }
    } finally {
      await endpoint.cleanup();
    }
  });

  it('rejects bad options before starting anything', async () => {
    await expect(
      startUpsdRig({ upses: [{ name: 'bad name', vars: { 'ups.status': 'OL' } }] }),
    ).rejects.toThrow(/bad UPS name/);
    await expect(
      startUpsdRig({ upses: [{ name: 'u', vars: { 'ups.status': 'OL', 'x.y': 'a"b' } }] }),
    ).rejects.toThrow(/printable ASCII/);
    await expect(
      startUpsdRig({ upses: [{ name: 'u', vars: { 'battery.charge': '1' } }] }),
    ).rejects.toThrow(/needs a ups.status/);
    await expect(startUpsdRig({ users: [{ name: 'rigctl', password: 'x' }] })).rejects.toThrow(
      /bad user name/,
    );
  });
});

describe('upsd rig: TLS variant', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startUpsdRig({ tls: true });
  });

  afterAll(async () => {
    await rig?.stop();
  });

  it('exports the server certificate and its SHA-256 fingerprint', () => {
    const tlsInfo = rig.tls!;
    const certificate = new X509Certificate(tlsInfo.certPem);
    expect(tlsInfo.fingerprint256).toBe(certificate.fingerprint256);
    expect(tlsInfo.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(certificate.subject).toBe('CN=localhost');
    expect(certificate.subjectAltName).toContain('DNS:localhost');
    expect(certificate.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(fs.readFileSync(tlsInfo.certFile, 'utf8')).toBe(tlsInfo.certPem);
    expect(fs.readFileSync(`${rig.dir}/etc/upsd.conf`, 'utf8')).toContain(
      `CERTIDENT "nut-test-server" "${tlsInfo.dbPassword}"`,
    );
  });

  it('upsd answers STARTTLS and completes a verified TLS handshake (plain Node tls, CA = the exported cert)', async () => {
    const socket = net.connect({ host: rig.host, port: rig.port });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write('STARTTLS\n');
    const reply = await new Promise<string>((resolve) =>
      socket.once('data', (data: Buffer) => resolve(data.toString('latin1'))),
    );
    expect(reply).toBe('OK STARTTLS\n');
    const secure = tls.connect({ socket, ca: [rig.tls!.certPem], host: '127.0.0.1' });
    await new Promise((resolve, reject) =>
      secure.once('secureConnect', resolve).once('error', reject),
    );
    try {
      expect(secure.authorized).toBe(true);
      expect(secure.getPeerCertificate().fingerprint256).toBe(rig.tls!.fingerprint256);
      secure.write('GET VAR ups ups.status\n');
      const answer = await new Promise<string>((resolve) =>
        secure.once('data', (data: Buffer) => resolve(data.toString('latin1'))),
      );
      expect(tokenize(answer)).toEqual(['VAR', 'ups', 'ups.status', 'OL']);
    } finally {
      secure.destroy();
    }
  });

  it('a plaintext rig answers STARTTLS with FEATURE-NOT-CONFIGURED', async () => {
    const plain = await startUpsdRig();
    try {
      const connection = await plain.connect();
      try {
        expect(await rawError(connection.request('STARTTLS'))).toBe('FEATURE-NOT-CONFIGURED');
      } finally {
        connection.destroy();
      }
    } finally {
      await plain.stop();
    }
  });
});

describe('blackholeEndpoint', () => {
  it('gives an address in a private netns where connect() never completes (no RST, no ICMP), and cleans up', async () => {
    const endpoint = await blackholeEndpoint();
    try {
      expect(endpoint.host).toMatch(/^198\.1[89]\./);
      const route = spawnSync('ip', ['route', 'get', endpoint.host], { encoding: 'utf8' }).stdout;
      expect(route).toContain(`dev ${endpoint.hostInterface}`);
      const socket = net.connect({ host: endpoint.host, port: endpoint.port });
      const outcome = await Promise.race([
        new Promise((resolve) => socket.once('connect', () => resolve('connected'))),
        new Promise((resolve) =>
          socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code)),
        ),
        sleep(1_500).then(() => 'pending'),
      ]);
      socket.destroy();
      expect(outcome).toBe('pending');
    } finally {
      await endpoint.cleanup();
    }
    const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(namespaces).not.toContain(endpoint.netns);
    expect(spawnSync('ip', ['link', 'show', endpoint.hostInterface]).status).not.toBe(0);
    await endpoint.cleanup(); // idempotent
  });

  it('throws a clear error instead of skipping when it cannot create a namespace (not root)', async () => {
    const getuid = vi.spyOn(process, 'getuid').mockReturnValue(1000);
    try {
      await expect(blackholeEndpoint()).rejects.toThrow(
        /needs root \(CAP_NET_ADMIN and CAP_SYS_ADMIN\).*uid 1000/,
      );
    } finally {
      getuid.mockRestore();
    }
  });
});
