/**
 * The doctor against real parts: a real upsd (wrong password, no user, UPS picking), scripted
 * servers only for what upsd cannot be made to do (a Synology that refuses this machine, a
 * pre-2.8 server without PROTVER), a refused port, a black-holed host and a port a firewall
 * (nftables in a network namespace) drops, and `nut-sentinel doctor` run from inside a
 * namespace so the address the NAS sees is that namespace's own.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionTestResultSchema } from '../../shared/ipc';
import {
  type FaultScript,
  type FaultServer,
  scriptFromTable,
  startFaultServer,
} from '../testing/fault-server';
import { blackholeEndpoint, getFreePort } from '../testing/net';
import { createTestNetwork } from '../testing/netns';
import { RIG_USERS, type Rig, startUpsdRig } from '../testing/upsd-rig';
import { testConnection } from './connection-doctor';
import { ipv6OnSameInterface } from '../nut/fixes';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const cli = path.join(root, 'main/cli/index.ts');
const fast = { connectTimeoutMs: 1000, requestTimeoutMs: 2000 };

async function nutSentinel(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(argv[0]!, argv.slice(1), {
      env: { ...process.env, ...env },
      timeout: 30_000,
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

/** A server that answers reads but refuses LOGIN, as `version` would. */
function oldServer(version: string, netVer: string): FaultScript {
  return scriptFromTable({
    VER: version,
    NETVER: netVer,
    PROTVER: 'ERR UNKNOWN-COMMAND',
    'LIST UPS': ['BEGIN LIST UPS', 'UPS ups "UPS"', 'END LIST UPS'],
    'USERNAME monuser': 'OK',
    'USERNAME upsmon': 'OK',
    'PASSWORD "wrong"': 'OK',
    'LOGIN ups': 'ERR ACCESS-DENIED',
    LOGOUT: 'OK Goodbye',
  });
}

describe('connection doctor against a real upsd', () => {
  let rig: Rig;
  let two: Rig;
  beforeAll(async () => {
    [rig, two] = await Promise.all([
      startUpsdRig(),
      startUpsdRig({ upses: [{ name: 'rack-a' }, { name: 'rack-b' }] }),
    ]);
  });
  afterAll(async () => {
    await rig?.stop();
    await two?.stop();
  });
  const base = () => ({
    host: '127.0.0.1',
    port: rig.port,
    tls: { mode: 'off' as const, insecure: false },
  });

  it('says everything works only after LOGIN and a status read', async () => {
    const result = await testConnection(
      { ...base(), upsName: 'ups', username: RIG_USERS.monuser.name },
      RIG_USERS.monuser.password,
      fast,
    );
    expect(result.ok).toBe(true);
    expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
      ['resolve', true],
      ['connect', true],
      ['identify', true],
      ['ups', true],
      ['login', true],
      ['read', true],
    ]);
    expect(result).toMatchObject({ rightsWords: 'primary-secondary', localAddress: '127.0.0.1' });
  });

  it('a wrong password gets the password/user fix and only the right LOGIN needs, in 2.8 words', async () => {
    const result = await testConnection(
      { ...base(), upsName: 'ups', username: RIG_USERS.upsmonclient.name },
      'not-the-password',
      { ...fast, preset: 'proxmox' },
    );
    expect(result.ok).toBe(false);
    expect(result.steps.at(-1)).toMatchObject({ step: 'login', ok: false });
    expect(result.diagnosis?.code).toBe('LOGIN-REFUSED');
    expect(result.diagnosis?.explanation).toContain(
      'the password is wrong, or “upsmonclient” is not a user with `upsmon secondary` in upsd.users',
    );
    expect(result.diagnosis?.fix).toContain(
      '[upsmonclient]\n      password = <choose one>\n      upsmon secondary',
    );
    expect(result.diagnosis?.fix).toContain('systemctl reload nut-server');
    expect(result.diagnosis?.fix).not.toMatch(/actions|instcmds|PRIMARY|FSD|Permitted/);
    expect(result.suggestion).toBeNull();
  });

  it('with no UPS name picks the only UPS, or asks when there are several', async () => {
    const only = await testConnection(
      { ...base(), username: RIG_USERS.monuser.name },
      RIG_USERS.monuser.password,
      fast,
    );
    expect(only.ok).toBe(true);
    expect(only.upsName).toBe('ups');
    expect(only.steps.find((s) => s.step === 'ups')?.detail).toBe(
      'The server offers one UPS, “ups”: using it.',
    );

    const several = await testConnection(
      { ...base(), port: two.port, username: RIG_USERS.monuser.name },
      RIG_USERS.monuser.password,
      fast,
    );
    expect(several.ok).toBe(false);
    expect(several.diagnosis).toMatchObject({
      code: 'PICK-UPS',
      explanation: 'The server offers 2 UPSes: rack-a, rack-b.',
    });
    expect(several.upsNames).toEqual(['rack-a', 'rack-b']);
    expect(several.steps.some((s) => s.step === 'login')).toBe(false);
  });

  it('a secondary without a user is not protected, even though reads work', async () => {
    const result = await testConnection({ ...base(), upsName: 'ups' }, undefined, fast);
    expect(result.ok).toBe(false);
    expect(result.diagnosis?.code).toBe('USER-REQUIRED');
    expect(result.diagnosis?.fix).toContain('upsmon secondary');
    const monitorOnly = await testConnection(
      { ...base(), upsName: 'ups', role: 'monitor-only' },
      undefined,
      fast,
    );
    expect(monitorOnly.ok).toBe(true);
    expect(monitorOnly.steps.some((s) => s.step === 'login')).toBe(false);
  });

  it('`nut-sentinel doctor` has the same steps and exits 0 only when protection works', async () => {
    const good = await nutSentinel(
      [tsx, cli, 'doctor', rig.target(), '--user', 'monuser', '--password-env', 'NUT_PW'],
      { NUT_PW: RIG_USERS.monuser.password },
    );
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('ok    Log in as a secondary: LOGIN accepted for monuser');
    expect(good.stdout).toContain('Everything needed for protection works');
    const bad = await nutSentinel(
      [tsx, cli, 'doctor', rig.target(), '--user', 'monuser', '--password-env', 'NUT_PW', '--json'],
      { NUT_PW: 'xyzzy-not-it' },
    );
    expect(bad.code).toBe(1);
    const parsed = ConnectionTestResultSchema.parse(JSON.parse(bad.stdout));
    expect(parsed.diagnosis?.code).toBe('LOGIN-REFUSED');
    expect(JSON.parse(bad.stdout).protected).toBe(false);
    expect(bad.stdout).not.toContain('xyzzy-not-it');
    const noUser = await nutSentinel([tsx, cli, 'doctor', rig.target()]);
    expect(noUser.code).toBe(1);
    expect(noUser.stdout).toContain('This machine is NOT protected');
  });
});

describe('connection doctor: servers that are not a 2.8 upsd', () => {
  const servers: FaultServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('a pre-2.8 server (no PROTVER) gets `upsmon slave`, never `secondary`', async () => {
    const server = await startFaultServer(
      oldServer('Network UPS Tools upsd 2.7.4 - http://www.networkupstools.org/', '1.2'),
    );
    servers.push(server);
    const result = await testConnection(
      { host: server.host, port: server.port, upsName: 'ups', username: 'monuser' },
      'wrong',
      fast,
    );
    expect(result.diagnosis?.code).toBe('LOGIN-REFUSED');
    expect(result.rightsWords).toBe('master-slave');
    expect(result.steps.find((s) => s.step === 'identify')?.detail).toContain(
      'no PROTVER: a pre-2.8 server, rights are written upsmon master/slave',
    );
    expect(`${result.diagnosis?.explanation} ${result.diagnosis?.fix}`).toContain('upsmon slave');
    expect(`${result.diagnosis?.explanation} ${result.diagnosis?.fix}`).not.toMatch(
      /secondary|primary/,
    );
  });

  it('a Synology refusing monuser gets DSM’s users in master/slave words and the other built-in user, once', async () => {
    const server = await startFaultServer(
      oldServer(
        'Network UPS Tools upsd DSM7-2-60108-221130 - http://www.networkupstools.org/',
        '1.2',
      ),
    );
    servers.push(server);
    const first = await testConnection(
      { host: server.host, port: server.port, upsName: 'ups', username: 'monuser' },
      'wrong',
      fast,
    );
    expect(first.server?.kind).toBe('synology');
    expect(first.diagnosis?.fix).toContain('“monuser” (most DSM versions) or “upsmon”');
    expect(first.diagnosis?.fix).toContain('`upsmon master`');
    expect(first.diagnosis?.explanation).toContain('`upsmon slave`');
    expect(first.suggestion).toEqual({ username: 'upsmon', password: 'secret' });
    // The other one refused too: it suggests monuser back, and the UI offers each only once.
    const second = await testConnection(
      { host: server.host, port: server.port, upsName: 'ups', username: 'upsmon' },
      'wrong',
      fast,
    );
    expect(second.suggestion).toEqual({ username: 'monuser', password: 'secret' });
  });

  it('a web server on the port fails at "identify the server", naming it', async () => {
    const web = await startFaultServer((_line, c) =>
      c.write('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'),
    );
    try {
      const result = await testConnection(
        { host: '127.0.0.1', port: web.port, upsName: 'ups', username: 'u', tls: { mode: 'off' } },
        'p',
        fast,
      );
      expect(result.ok).toBe(false);
      expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
        ['resolve', true],
        ['connect', true],
        ['identify', false],
      ]);
      expect(result.diagnosis?.explanation).toMatch(
        /answered VER with "HTTP\/1\.1 400 Bad Request", which is not a NUT reply: a web server listens there, not upsd/,
      );
    } finally {
      await web.close();
    }
  });

  it('a port refused on this machine: start upsd here, or use the master’s address', async () => {
    const port = await getFreePort();
    const result = await testConnection(
      { host: '127.0.0.1', port, upsName: 'ups', username: 'u', preset: 'proxmox' },
      'p',
      fast,
    );
    expect(result.diagnosis?.code).toBe('ECONNREFUSED');
    expect(result.diagnosis?.explanation).toBe(
      `127.0.0.1 is this machine, and it refused the connection on port ${port}: upsd is not running here, or the LISTEN lines of its upsd.conf name only other addresses or another port.`,
    );
    expect(result.diagnosis?.fix).toContain('`systemctl start nut-server`');
    expect(result.diagnosis?.fix).toContain(`add "LISTEN 127.0.0.1 ${port}"`);
  });

  it('a host where nothing answers: the PVE rule with this machine’s address and how to tell a drop from a host that is down', async () => {
    const blackhole = await blackholeEndpoint();
    try {
      const result = await testConnection(
        { host: blackhole.host, port: 3493, upsName: 'ups', username: 'u', preset: 'proxmox' },
        'p',
        fast,
      );
      expect(result.diagnosis?.code).toBe('CONNECT-TIMEOUT');
      expect(result.localAddress).toBe(blackhole.localAddress);
      expect(result.diagnosis?.explanation).toContain(
        `Nothing answers from ${blackhole.host}, neither on port 3493 nor on 8006, 22`,
      );
      expect(result.diagnosis?.fix).toContain(
        `IN ACCEPT -p tcp -dport 3493 -source ${blackhole.localAddress}`,
      );
      expect(result.diagnosis?.fix).toContain('To tell a firewall drop from a host that is down');
    } finally {
      await blackhole.cleanup();
    }
  });
});

describe('connection doctor in a private network', () => {
  it('a port dropped by a firewall on a host that is up: the PVE firewall rule for this machine', async () => {
    const network = await createTestNetwork({ hosts: 1 });
    try {
      const host = network.hosts[0]!;
      await run('ip', ['netns', 'exec', host.netns, 'nft', 'add table inet nutsentinel_test']);
      await run('ip', [
        'netns',
        'exec',
        host.netns,
        'nft',
        'add chain inet nutsentinel_test input { type filter hook input priority 0 ; }',
      ]);
      await run('ip', [
        'netns',
        'exec',
        host.netns,
        'nft',
        'add rule inet nutsentinel_test input tcp dport 3493 drop',
      ]);
      const result = await testConnection(
        { host: host.address, port: 3493, upsName: 'ups', username: 'u', preset: 'proxmox' },
        'p',
        fast,
      );
      expect(result.diagnosis?.code).toBe('FIREWALL-DROP');
      expect(result.diagnosis?.explanation).toBe(
        `${host.address} is up (port 8006 answers with a refusal), but nothing answers on port 3493: a firewall drops it silently.`,
      );
      expect(result.diagnosis?.fix).toContain(
        `IN ACCEPT -p tcp -dport 3493 -source ${network.hostAddress}`,
      );
      expect(result.diagnosis?.fix).toContain('/etc/pve/firewall/cluster.fw');
    } finally {
      await network.cleanup();
    }
  });

  it('a master that refuses the port: the exact LISTEN line and the restart command', async () => {
    const network = await createTestNetwork({ hosts: 1 });
    try {
      // Nothing listens on this address of the bridge, so its kernel answers with a reset.
      const master = await network.addBridgeAddress();
      const port = await getFreePort();
      const result = await testConnection(
        { host: master, port, upsName: 'ups', username: 'u', preset: 'proxmox' },
        'p',
        fast,
      );
      expect(result.diagnosis?.code).toBe('ECONNREFUSED');
      expect(result.diagnosis?.explanation).toContain('it listens on localhost only');
      expect(result.diagnosis?.fix).toContain(
        `/etc/nut/upsd.conf (or its LAN address instead of 0.0.0.0):\n    LISTEN 0.0.0.0 ${port}\n`,
      );
      expect(result.diagnosis?.fix).toContain('systemctl restart nut-server');
    } finally {
      await network.cleanup();
    }
  });

  it('a Synology that refuses this machine: `doctor` names the address the NAS sees and where to add it', async () => {
    const network = await createTestNetwork({ hosts: 1 });
    const nas = await startFaultServer(
      async (_line, connection) => connection.send('ERR ACCESS-DENIED'),
      { host: network.hostAddress },
    );
    try {
      const host = network.hosts[0]!;
      const { code, stdout } = await nutSentinel(
        [
          'nsenter',
          `--net=${host.path}`,
          tsx,
          cli,
          'doctor',
          `ups@${network.hostAddress}:${nas.port}`,
          '--user',
          'monuser',
          '--password-env',
          'NUT_PW',
          '--preset',
          'synology',
        ],
        { NUT_PW: 'secret' },
      );
      expect(code).toBe(1);
      expect(stdout).toContain(
        'Problem: The NAS refuses every command from this machine (even VER and LIST UPS): it is not in Permitted DiskStation devices.',
      );
      expect(stdout).toContain(
        `In DSM open Control Panel → Hardware & Power → UPS → Permitted DiskStation devices, add “${host.address}”, apply, then test again.`,
      );
      // Nothing beyond the reads was tried: no credential goes to a NAS that refuses us.
      expect(nas.received.filter((line) => /^(USERNAME|PASSWORD|LOGIN)/.test(line))).toEqual([]);
    } finally {
      await nas.close();
      await network.cleanup();
    }
  });

  it('names this machine’s IPv6 addresses on the same interface too', () => {
    const v4 = (address: string) => ({
      address,
      family: 'IPv4' as const,
      internal: false,
      netmask: '',
      mac: '',
      cidr: null,
    });
    const v6 = (address: string) => ({
      address,
      family: 'IPv6' as const,
      internal: false,
      netmask: '',
      mac: '',
      cidr: null,
      scopeid: 0,
    });
    const interfaces = {
      eth0: [v4('192.168.1.50'), v6('fe80::1'), v6('2001:db8::50'), v6('fd00::50')],
      wlan0: [v4('10.0.0.2'), v6('2001:db8:1::2')],
    };
    expect(ipv6OnSameInterface('192.168.1.50', interfaces)).toEqual(['2001:db8::50', 'fd00::50']);
    expect(ipv6OnSameInterface('::ffff:10.0.0.2', interfaces)).toEqual(['2001:db8:1::2']);
    expect(ipv6OnSameInterface('172.16.0.1', interfaces)).toEqual([]);
  });
});
