/**
 * A private test network of network namespaces, so several real NUT clients (e.g. upsmon from
 * upsmon-rig.ts) each connect from their own IP address and upsd's LIST CLIENT tells them apart.
 *
 *                    root namespace                       │  one namespace per host
 *   upsd LISTEN 198.19.N.1 ── bridge nfbXXXXXX ── veth ───┼── eth0 198.19.N.11  (nutfsd-XXXXXX-1)
 *                                              └─ veth ───┼── eth0 198.19.N.12  (nutfsd-XXXXXX-2) …
 *
 * - Addresses come from 198.19.0.0/16, part of the RFC 2544 benchmarking block 198.18.0.0/15
 *   (never routed on the Internet; main/testing/net.ts's black hole uses 198.18.0.0/16, so the two
 *   never overlap). A random /24 is picked and refused if any address or route of this host
 *   already touches it.
 * - The only address outside the namespaces we create is the bridge's `.1` (where upsd listens);
 *   the bridge has no other port than our veths, nothing is forwarded or NATed anywhere, so
 *   no packet of this network leaves the host, and a namespace has no route but its /24.
 * - After set-up, `ip route get` must send the first host's address through our bridge, or the
 *   network is torn down and an Error thrown (so a half-done set-up never sends to a gateway).
 * - `cleanup()` deletes the veth pairs, the namespaces and the bridge; a process exit handler
 *   does the same if a test forgets.
 *
 * Run a program inside a host's namespace with `nsenter --net=<host.path> …` ({@link NetnsHost.wrap}).
 * Needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN), iproute2 and util-linux nsenter.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface NetnsHost {
  /** The namespace name (under /run/netns). */
  readonly netns: string;
  /** `/run/netns/<name>`, for `nsenter --net=`. */
  readonly path: string;
  /** Its own address (on its eth0). */
  readonly address: string;
  /** The veth end in the root namespace (a port of the bridge). */
  readonly hostInterface: string;
  /** `argv` prefixed to run inside this namespace: `['nsenter', '--net=/run/netns/…', ...argv]`. */
  wrap(argv: readonly string[]): string[];
}

export interface TestNetwork {
  readonly bridge: string;
  /** The bridge's address in the root namespace: make the server listen here. */
  readonly hostAddress: string;
  /** e.g. `198.19.42.0/24`. */
  readonly subnet: string;
  readonly hosts: readonly NetnsHost[];
  /** One more namespace on the bridge, with the next address. */
  addHost(): Promise<NetnsHost>;
  /**
   * One more address of the root namespace on the bridge (198.19.N.230, .231, …, above every namespace host's address), so several
   * servers of this process listen on different addresses of the /24. Goes away with the bridge.
   */
  addBridgeAddress(): Promise<string>;
  /** Deletes every namespace and the bridge. Idempotent. */
  cleanup(): Promise<void>;
}

const liveNetworks = new Set<{ namespaces: string[]; interfaces: string[]; bridge: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const network of liveNetworks) {
      for (const name of network.interfaces)
        spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
      for (const name of network.namespaces)
        spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      spawnSync('ip', ['link', 'del', network.bridge], { stdio: 'ignore' });
    }
    liveNetworks.clear();
  });
}

async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', [...args], { timeout: 10_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`\`ip ${args.join(' ')}\` failed: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
}

function disableIpv6(ifname: string): void {
  // No IPv6 link-local chatter (DAD, router solicitations) on our interfaces; best effort.
  try {
    fs.writeFileSync(`/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`, '1');
  } catch {
    // IPv6 disabled or not present: nothing to silence.
  }
}

/** A /24 of 198.19.0.0/16 that no address or route of this host touches. */
async function pickSubnet(): Promise<number> {
  const addresses = await ip(['-4', '-o', 'addr', 'show']);
  const routes = await ip(['-4', 'route', 'show', 'table', 'all']);
  for (let attempt = 0; attempt < 32; attempt++) {
    const third = randomBytes(1)[0]!;
    const prefix = `198.19.${third}.`;
    if (
      addresses.includes(prefix) ||
      routes.includes(prefix) ||
      routes.includes(`198.19.0.0/16`) ||
      routes.includes('198.18.0.0/15')
    )
      continue;
    return third;
  }
  throw new Error(
    'createTestNetwork: no free /24 in 198.19.0.0/16 (every candidate is already in use on this host)',
  );
}

/** Creates the bridge and `hosts` namespaces. Always `await network.cleanup()` (e.g. in afterAll). */
export async function createTestNetwork(options: { hosts?: number } = {}): Promise<TestNetwork> {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new Error(
      `createTestNetwork: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) for \`ip netns add\`, veth pairs and a bridge; this process runs as uid ${String(uid)}.`,
    );
  }
  const id = randomBytes(3).toString('hex');
  const third = await pickSubnet();
  const subnet = `198.19.${third}.0/24`;
  const hostAddress = `198.19.${third}.1`;
  const bridge = `nfb${id}`;
  const record = { namespaces: [] as string[], interfaces: [] as string[], bridge };
  const hosts: NetnsHost[] = [];
  let cleaned = false;

  installExitHook();
  liveNetworks.add(record);
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    liveNetworks.delete(record);
    const errors: string[] = [];
    // Deleting a veth end removes the pair at once; a namespace alone is torn down by the kernel
    // asynchronously (its interfaces would linger for a moment after `ip netns del`).
    for (const name of record.interfaces)
      await ip(['link', 'del', name]).catch((error: Error) => errors.push(error.message));
    for (const name of record.namespaces)
      await ip(['netns', 'del', name]).catch((error: Error) => errors.push(error.message));
    await ip(['link', 'del', bridge]).catch((error: Error) => errors.push(error.message));
    if (errors.length > 0) throw new Error(`createTestNetwork cleanup: ${errors.join('; ')}`);
  };

  const addHost = async (): Promise<NetnsHost> => {
    if (cleaned) throw new Error('createTestNetwork: the network was cleaned up');
    const index = hosts.length + 1;
    if (index > 200) throw new Error('createTestNetwork: at most 200 hosts');
    const netns = `nutfsd-${id}-${index}`;
    const hostInterface = `nfv${id}${index.toString(16).padStart(2, '0')}`;
    const address = `198.19.${third}.${10 + index}`;
    await ip(['netns', 'add', netns]);
    record.namespaces.push(netns);
    await ip([
      'link',
      'add',
      hostInterface,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      netns,
    ]);
    record.interfaces.push(hostInterface);
    disableIpv6(hostInterface);
    await ip(['link', 'set', hostInterface, 'master', bridge]);
    await ip(['link', 'set', hostInterface, 'up']);
    await ip(['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    await ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    await ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    // The namespace knows nothing but its /24: no default route, so nothing can leave it.
    const routes = await ip(['-n', netns, '-4', 'route', 'show']);
    if (/\bdefault\b/.test(routes))
      throw new Error(
        `createTestNetwork: ${netns} unexpectedly has a default route: ${routes.trim()}`,
      );
    const path = `/run/netns/${netns}`;
    const host: NetnsHost = {
      netns,
      path,
      address,
      hostInterface,
      wrap: (argv) => ['nsenter', `--net=${path}`, ...argv],
    };
    hosts.push(host);
    return host;
  };

  let bridgeAddresses = 0;
  const addBridgeAddress = async (): Promise<string> => {
    if (cleaned) throw new Error('createTestNetwork: the network was cleaned up');
    if (bridgeAddresses >= 24) throw new Error('createTestNetwork: at most 24 bridge addresses');
    const address = `198.19.${third}.${230 + bridgeAddresses++}`;
    await ip(['addr', 'add', `${address}/24`, 'dev', bridge]);
    return address;
  };

  try {
    await ip([
      'link',
      'add',
      'name',
      bridge,
      'type',
      'bridge',
      'forward_delay',
      '0',
      'stp_state',
      '0',
    ]);
    disableIpv6(bridge);
    await ip(['addr', 'add', `${hostAddress}/24`, 'dev', bridge]);
    await ip(['link', 'set', bridge, 'up']);
    for (let i = 0; i < (options.hosts ?? 0); i++) await addHost();
    const probe = `198.19.${third}.11`;
    const route = await ip(['route', 'get', probe]);
    if (!new RegExp(`\\bdev ${bridge}\\b`).test(route)) {
      throw new Error(
        `createTestNetwork: ${probe} is not routed through ${bridge} (got: ${route.trim()}); refusing to use it`,
      );
    }
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }

  return {
    bridge,
    hostAddress,
    subnet,
    get hosts() {
      return hosts;
    },
    addHost,
    addBridgeAddress,
    cleanup,
  };
}
