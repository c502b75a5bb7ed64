/**
 * `nut-sentinel discover` as a user runs it, inside a network namespace of a private /24
 * (main/testing/netns.ts), so "this machine's directly connected subnets" is exactly that /24:
 *
 *   scanner ns 198.19.N.11 ── bridge ── root ns: .230 upsd A (2.8.0, plain)   via a recording proxy
 *                                  │              .231 upsd B (2.8.0, STARTTLS, two UPSes)
 *                                  │              .232:<port≠3493> upsd C (only announced by mDNS)
 *                                  │              .233 a scripted Synology-like server (DSM VER, NETVER 1.2)
 *                                  └── avahi ns 198.19.N.12: avahi-daemon announcing A and C as _nut._tcp
 *
 * Every line a client sent is recorded, so "no credential is sent" is asserted on the servers.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DiscoveredServer,
  type DiscoveryResult,
  DiscoveryResultSchema,
} from '../../shared/discovery';
import { type AvahiResponder, startAvahi } from '../testing/avahi';
import { discover } from './discover';
import { type FaultServer, startFaultServer } from '../testing/fault-server';
import { getFreePort } from '../testing/net';
import { type NetnsHost, type TestNetwork, createTestNetwork } from '../testing/netns';
import { type RecordingProxy, startRecordingProxy } from '../testing/recording-proxy';
import { PROXMOX_APC_UPS, type Rig, startUpsdRig } from '../testing/upsd-rig';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const cli = path.join(root, 'main/cli/index.ts');

export const SYNOLOGY_VER =
  'Network UPS Tools upsd DSM7-2-60108-221130 - http://www.networkupstools.org/';

/** A permitted Synology as reported: DSM VER, NETVER 1.2, no PROTVER, no STARTTLS, UPS `ups`. */
export function synologyTable(): Record<string, string | readonly string[]> {
  return {
    VER: SYNOLOGY_VER,
    NETVER: '1.2',
    PROTVER: 'ERR UNKNOWN-COMMAND',
    STARTTLS: 'ERR FEATURE-NOT-CONFIGURED',
    'LIST UPS': ['BEGIN LIST UPS', 'UPS ups "UPS"', 'END LIST UPS'],
    'GET VAR ups device.model': 'VAR ups device.model "Back-UPS CS 350"',
    'GET VAR ups ups.model': 'VAR ups ups.model "Back-UPS CS 350"',
    'GET VAR ups ups.status': 'VAR ups ups.status "OL"',
    LOGOUT: 'OK Goodbye',
  };
}

async function discoverIn(
  host: NetnsHost,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      'nsenter',
      [`--net=${host.path}`, tsx, cli, 'discover', ...args],
      { timeout: 30_000 },
    );
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

const CREDENTIAL_LINE = /^\s*(USERNAME|PASSWORD|LOGIN)\b/i;

describe('nut-sentinel discover on a private /24', () => {
  let network: TestNetwork;
  let scanner: NetnsHost;
  const rigs: Rig[] = [];
  const proxies: RecordingProxy[] = [];
  let synology: FaultServer;
  let avahi: AvahiResponder | undefined;
  let address: { a: string; b: string; c: string; synology: string };
  let mdnsOnlyPort: number;

  beforeAll(async () => {
    network = await createTestNetwork({ hosts: 2 });
    scanner = network.hosts[0]!;
    address = {
      a: await network.addBridgeAddress(),
      b: await network.addBridgeAddress(),
      c: await network.addBridgeAddress(),
      synology: await network.addBridgeAddress(),
    };
    const [rigA, rigB, rigC] = await Promise.all([
      startUpsdRig({ upses: [PROXMOX_APC_UPS] }),
      startUpsdRig({
        tls: true,
        upses: [
          { name: 'rack-a', desc: 'Rack A' },
          { name: 'rack-b', desc: 'Rack B' },
        ],
      }),
      startUpsdRig({ upses: [{ name: 'office', desc: 'Office UPS' }] }),
    ]);
    rigs.push(rigA, rigB, rigC);
    mdnsOnlyPort = await getFreePort(address.c);
    proxies.push(
      await startRecordingProxy(rigA, { host: address.a, port: 3493 }),
      await startRecordingProxy(rigB, { host: address.b, port: 3493 }),
      await startRecordingProxy(rigC, { host: address.c, port: mdnsOnlyPort }),
    );
    const table = synologyTable();
    synology = await startFaultServer(
      async (line, connection) => {
        await connection.send(...[table[line] ?? 'ERR UNKNOWN-COMMAND'].flat());
        if (line === 'LOGOUT') await connection.end();
      },
      { host: address.synology, port: 3493 },
    );
    avahi = await startAvahi(network.hosts[1]!, {
      hostName: 'avahi-test',
      services: [
        { name: 'NUT on pve-a', type: '_nut._tcp', port: 3493, hostName: 'pve-a.local' },
        {
          name: 'NUT on office',
          type: '_nut._tcp',
          port: mdnsOnlyPort,
          hostName: 'office-nut.local',
        },
      ],
      hosts: [
        { name: 'pve-a.local', address: address.a },
        { name: 'office-nut.local', address: address.c },
      ],
    });
  });

  afterAll(async () => {
    await avahi?.stop();
    await synology?.close();
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await Promise.all(rigs.map((rig) => rig.stop()));
    await network?.cleanup();
  });

  it('finds the three upsd and the Synology-like server with their fingerprints and UPS lists, within 3 s for the /24, sending no credential', async () => {
    const { code, stdout, stderr } = await discoverIn(scanner, ['--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result: DiscoveryResult = DiscoveryResultSchema.parse(JSON.parse(stdout));
    expect(result.scanned).toEqual([
      { cidr: network.subnet, interface: 'eth0', addresses: 253, note: null },
      { cidr: '127.0.0.1/32', interface: 'loopback', addresses: 1, note: null },
    ]);
    expect(result.attempts).toBe(254);
    expect(result.mdns).toEqual({ browsed: true, error: null });
    expect(
      result.scanMs,
      'the port probe of the /24 (253 addresses, most silent)',
    ).toBeLessThanOrEqual(3000);

    const byHost = new Map(
      result.servers.map((server) => [`${server.host}:${server.port}`, server]),
    );
    expect([...byHost.keys()].sort()).toEqual(
      [
        `${address.a}:3493`,
        `${address.b}:3493`,
        `${address.c}:${mdnsOnlyPort}`,
        `${address.synology}:3493`,
      ].sort(),
    );

    const a = byHost.get(`${address.a}:3493`)!;
    expect(a).toMatchObject<Partial<DiscoveredServer>>({
      foundBy: ['scan', 'mdns'],
      mdnsName: 'NUT on pve-a',
      mdnsHost: 'pve-a.local',
      kind: 'nut',
      nutVersion: '2.8.0',
      netVer: '1.3',
      protVer: '1.3',
      rightsWords: 'primary-secondary',
      starttls: 'not-offered',
      preset: 'proxmox',
      problem: null,
      localAddress: scanner.address,
    });
    expect(a.ups).toEqual([
      { name: 'apc', description: 'APC Back-UPS ES 700', model: 'Back-UPS ES 700G', status: 'OL' },
    ]);

    const b = byHost.get(`${address.b}:3493`)!;
    expect(b).toMatchObject({
      foundBy: ['scan'],
      kind: 'nut',
      starttls: 'offered',
      preset: 'generic',
    });
    expect(b.ups.map((ups) => [ups.name, ups.description, ups.status])).toEqual([
      ['rack-a', 'Rack A', 'OL'],
      ['rack-b', 'Rack B', 'OL'],
    ]);

    const c = byHost.get(`${address.c}:${mdnsOnlyPort}`)!;
    expect(c).toMatchObject({
      foundBy: ['mdns'],
      mdnsHost: 'office-nut.local',
      kind: 'nut',
      nutVersion: '2.8.0',
    });
    expect(c.ups.map((ups) => ups.name)).toEqual(['office']);

    const s = byHost.get(`${address.synology}:3493`)!;
    expect(s).toMatchObject({
      kind: 'synology',
      version: SYNOLOGY_VER,
      nutVersion: null,
      netVer: '1.2',
      protVer: null,
      rightsWords: 'master-slave',
      starttls: 'not-offered',
      preset: 'synology',
    });
    expect(s.ups).toEqual([
      { name: 'ups', description: 'UPS', model: 'Back-UPS CS 350', status: 'OL' },
    ]);

    // Anonymous reads only, on every server (the TLS check's bytes after STARTTLS are ciphertext).
    const sent = [
      ...proxies.flatMap((proxy) => proxy.lines.map((entry) => entry.line)),
      ...synology.received,
    ];
    expect(sent).toContain('LIST UPS');
    expect(sent.filter((line) => CREDENTIAL_LINE.test(line))).toEqual([]);
    for (const rig of rigs)
      for (const ups of rig.upses) expect(await rig.numLogins(ups.name)).toBe(0);
    // One probe per address: the scan connected once to each responder on 3493, plus one TLS check.
    expect(proxies[0]!.connections()).toBe(2);
  });

  it('prints a readable summary', async () => {
    const { code, stdout } = await discoverIn(scanner, ['--no-mdns']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Searched ${network.subnet} (eth0), 127.0.0.1/32 (loopback) in`);
    expect(stdout).toContain(
      `${address.synology}:3493  Synology DSM (${SYNOLOGY_VER}), protocol 1.2 (no PROTVER: rights are upsmon master/slave), no STARTTLS`,
    );
    expect(stdout).toMatch(/UPS rack-b “Rack B”.*status OL/);
  });

  it('refuses a range outside the local subnets unless it is allowed explicitly', async () => {
    const refused = await discoverIn(scanner, ['--range', '198.18.77.0/30']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `198.18.77.0/30 is not part of a network this machine is directly connected to (local: ${network.subnet} (eth0))`,
    );
    expect(refused.stdout).toBe('');

    // Allowed: probed (the namespace has no route there, so nothing leaves it) and nothing found.
    const allowed = await discoverIn(scanner, [
      '--range',
      '198.18.77.0/30',
      '--allow-outside-local',
      '--no-mdns',
      '--json',
    ]);
    expect(allowed.code).toBe(1);
    const result = DiscoveryResultSchema.parse(JSON.parse(allowed.stdout));
    expect(result).toMatchObject({
      servers: [],
      attempts: 2,
      scanned: [{ cidr: '198.18.77.0/30', interface: null, addresses: 2 }],
    });

    // A typed range inside the local subnet needs no confirmation.
    const inside = await discoverIn(scanner, [
      '--range',
      `${address.synology}`,
      '--no-mdns',
      '--json',
    ]);
    expect(inside.code).toBe(0);
    expect(
      DiscoveryResultSchema.parse(JSON.parse(inside.stdout)).servers.map((server) => server.kind),
    ).toEqual(['synology']);
  });

  it("finds a upsd on this machine's loopback (a USB UPS served locally), no confirmation needed", async () => {
    const local = await startUpsdRig({ upses: [{ name: 'desk', desc: 'Desk UPS' }] });
    try {
      const result = await discover(
        { ranges: ['127.0.0.1'], mdns: false },
        { port: local.port, subnets: [] },
      );
      expect(result.scanned).toEqual([
        { cidr: '127.0.0.1/32', interface: 'loopback', addresses: 1, note: null },
      ]);
      expect(result.servers).toMatchObject([
        { host: '127.0.0.1', port: local.port, kind: 'nut', ups: [{ name: 'desk' }] },
      ]);
    } finally {
      await local.stop();
    }
  });
});
