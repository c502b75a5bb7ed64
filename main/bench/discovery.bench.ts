/**
 * Discovery: time to cover a /24 with 4 responders, and the connection attempts it took.
 * A private test network (main/testing/netns.ts): its bridge /24 is given to discover() as this
 * machine's only subnet (mDNS off), so nothing outside it is probed; 4 scripted NUT servers
 * listen on bridge addresses, the other 249 addresses are silent (no ARP answer), which is what
 * bounds the scan. Figures only. Needs root and iproute2.
 */
import { discover } from '../discovery/discover';
import { parseCidr } from '../discovery/networks';
import { type FaultServer, scriptFromTable, startFaultServer } from '../testing/fault-server';
import { createTestNetwork } from '../testing/netns';

export interface DiscoveryBenchResult {
  addresses: number;
  responders: number;
  found: number;
  attempts: number;
  scanMs: number;
  totalMs: number;
}

export async function benchDiscovery(): Promise<DiscoveryBenchResult[]> {
  const network = await createTestNetwork();
  const servers: FaultServer[] = [];
  try {
    const table = scriptFromTable({
      VER: 'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/',
      NETVER: '1.3',
      PROTVER: '1.3',
      STARTTLS: 'ERR FEATURE-NOT-CONFIGURED',
      'LIST UPS': ['BEGIN LIST UPS', 'UPS ups "Bench UPS"', 'END LIST UPS'],
      'GET VAR ups device.model': 'VAR ups device.model "Bench"',
      'GET VAR ups ups.model': 'VAR ups ups.model "Bench"',
      'GET VAR ups ups.status': 'VAR ups ups.status "OL"',
      LOGOUT: 'OK Goodbye',
    });
    for (let i = 0; i < 4; i++)
      servers.push(
        await startFaultServer(table, { host: await network.addBridgeAddress(), port: 3493 }),
      );
    const subnet = {
      interface: network.bridge,
      address: network.hostAddress,
      cidr: network.subnet,
      range: parseCidr(network.subnet),
    };
    const results: DiscoveryBenchResult[] = [];
    for (let run = 0; run < 3; run++) {
      const result = await discover({ mdns: false }, { subnets: [subnet] });
      results.push({
        addresses: result.scanned[0]?.addresses ?? 0,
        responders: servers.length,
        found: result.servers.length,
        attempts: result.attempts,
        scanMs: result.scanMs,
        totalMs: result.durationMs,
      });
    }
    console.log('run  addresses  responders  found  attempts  scan (ms)  total (ms)');
    results.forEach((r, i) =>
      console.log(
        `${String(i + 1).padStart(3)}  ${String(r.addresses).padStart(9)}  ${String(r.responders).padStart(10)}  ${String(r.found).padStart(5)}  ${String(r.attempts).padStart(8)}  ${String(r.scanMs).padStart(9)}  ${String(r.totalMs).padStart(10)}`,
      ),
    );
    return results;
  } finally {
    for (const server of servers) await server.close().catch(() => undefined);
    await network.cleanup();
  }
}
