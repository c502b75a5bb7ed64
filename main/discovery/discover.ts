/**
 * "Find masters on my network": a bounded, polite TCP probe of port 3493 (one connection per
 * address, a concurrency cap, a short connect timeout) over the ranges {@link planScan} allows,
 * and a DNS-SD browse for `_nut._tcp` at the same time; every responder is fingerprinted with
 * anonymous reads ({@link fingerprintServer}). With the defaults a /24 takes about
 * 254 / 64 × 0.5 s ≈ 2 s even when nothing answers.
 */
import { performance } from 'node:perf_hooks';
import {
  type DiscoveredServer,
  type DiscoveryRequest,
  DiscoveryRequestSchema,
  type DiscoveryResult,
} from '../../shared/discovery';
import { DEFAULT_NUT_PORT, NutClient, type NutClientOptions } from '../nut/client';
import { fingerprintServer } from './fingerprint';
import { type MdnsFinding, browseNut } from './mdns';
import { type LocalSubnet, ipToInt, localSubnets, planScan } from './networks';

export interface DiscoverOptions {
  port?: number;
  /** Per probe; default 500 ms (a LAN answers in a few ms; silence means nothing is there). */
  connectTimeoutMs?: number;
  /** For the fingerprint's reads; default 1500 ms. */
  requestTimeoutMs?: number;
  /** Probes in flight at once; default 64. */
  concurrency?: number;
  /** How long to listen for mDNS answers; default 2000 ms. */
  mdnsDurationMs?: number;
  /** This machine's subnets (default: os.networkInterfaces()). */
  subnets?: readonly LocalSubnet[];
  connect?: (options: NutClientOptions) => Promise<NutClient>;
  browse?: typeof browseNut;
}

export const DISCOVERY_DEFAULTS = {
  connectTimeoutMs: 500,
  requestTimeoutMs: 1500,
  concurrency: 64,
  mdnsDurationMs: 2000,
} as const;

function sortKey(server: DiscoveredServer): number {
  return (ipToInt(server.host) ?? 2 ** 32) * 65_536 + server.port;
}

/** Throws ScanRangeError (networks.ts) for a range it may not scan; everything else ends up in the result. */
export async function discover(
  input: DiscoveryRequest,
  options: DiscoverOptions = {},
): Promise<DiscoveryResult> {
  const request = DiscoveryRequestSchema.parse(input);
  const started = performance.now();
  const subnets = options.subnets ?? localSubnets();
  const targets = planScan({
    ranges: request.ranges,
    widen: request.widen,
    allowOutsideLocal: request.allowOutsideLocal,
    subnets,
  });
  const port = options.port ?? DEFAULT_NUT_PORT;
  const connect = options.connect ?? ((o: NutClientOptions) => NutClient.connect(o));
  const connectTimeoutMs = options.connectTimeoutMs ?? DISCOVERY_DEFAULTS.connectTimeoutMs;
  const requestTimeoutMs = options.requestTimeoutMs ?? DISCOVERY_DEFAULTS.requestTimeoutMs;
  const servers = new Map<string, DiscoveredServer>();
  let attempts = 0;

  const queue = targets.flatMap((target) => target.hosts);
  const probe = async (): Promise<void> => {
    for (let host = queue.shift(); host !== undefined; host = queue.shift()) {
      attempts++;
      let client: NutClient;
      try {
        client = await connect({
          host,
          port,
          connectTimeoutMs,
          requestTimeoutMs,
          keepAliveIntervalMs: 0,
          tls: { mode: 'off' },
        });
      } catch {
        continue; // refused, silent or unreachable: nothing to report for an address nobody claimed
      }
      const server = await fingerprintServer(host, port, {
        client,
        connect,
        connectTimeoutMs: requestTimeoutMs,
        requestTimeoutMs,
      });
      server.foundBy = ['scan'];
      servers.set(`${host}:${port}`, server);
    }
  };
  let scanMs = 0;
  const scanning = Promise.all(
    Array.from(
      {
        length: Math.min(
          options.concurrency ?? DISCOVERY_DEFAULTS.concurrency,
          Math.max(queue.length, 1),
        ),
      },
      probe,
    ),
  ).then(() => {
    scanMs = Math.round(performance.now() - started);
  });

  const mdns: DiscoveryResult['mdns'] = { browsed: false, error: null };
  let findings: MdnsFinding[] = [];
  const browsing = request.mdns
    ? (options.browse ?? browseNut)({
        interfaces: subnets.map((subnet) => subnet.address),
        durationMs: options.mdnsDurationMs ?? DISCOVERY_DEFAULTS.mdnsDurationMs,
      })
        .then((result) => {
          findings = result;
          mdns.browsed = true;
        })
        .catch((error: unknown) => {
          mdns.error = `The mDNS browse failed: ${error instanceof Error ? error.message : String(error)}`;
        })
    : Promise.resolve();
  await Promise.all([scanning, browsing]);

  // Announced servers the scan did not see (another port, outside the scanned ranges) are fingerprinted too.
  await Promise.all(
    findings.map(async (finding) => {
      const host = finding.addresses[0] ?? finding.host;
      const mdnsInfo = { name: finding.name, host: finding.host };
      const known = servers.get(`${host}:${finding.port}`);
      if (known) {
        known.foundBy = ['scan', 'mdns'];
        known.mdnsName = finding.name;
        known.mdnsHost = finding.host;
        if (
          known.preset === 'generic' &&
          known.kind === 'nut' &&
          /\b(pve|proxmox)/i.test(finding.host)
        )
          known.preset = 'proxmox';
        return;
      }
      const server = await fingerprintServer(host, finding.port, {
        connect,
        connectTimeoutMs: requestTimeoutMs,
        requestTimeoutMs,
        mdns: mdnsInfo,
      });
      server.foundBy = ['mdns'];
      servers.set(`${host}:${finding.port}`, server);
    }),
  );

  return {
    servers: [...servers.values()].sort((a, b) => sortKey(a) - sortKey(b)),
    scanned: targets.map((target) => ({
      cidr: target.cidr,
      interface: target.interface,
      addresses: target.hosts.length,
      note: target.note,
    })),
    attempts,
    scanMs,
    durationMs: Math.round(performance.now() - started),
    mdns,
  };
}
