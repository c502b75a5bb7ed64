/**
 * Fingerprints one NUT server with anonymous reads only: VER, NETVER, PROTVER, LIST UPS and the
 * model/status of each UPS on one plaintext connection, then STARTTLS on a second one (a
 * server that said OK STARTTLS must get a handshake at once, or upsd 2.8.0 stalls every client,
 * so the TLS check gets a connection of its own and is closed right after the handshake).
 * No USERNAME, PASSWORD or LOGIN is ever sent.
 */
import type { DiscoveredServer, DiscoveredUps } from '../../shared/discovery';
import { rightsWordsFor } from '../../shared/rights';
import { NutClient, type NutClientOptions } from '../nut/client';
import { NutError, hasServerCode } from '../nut/errors';

export interface FingerprintOptions {
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  connect?: (options: NutClientOptions) => Promise<NutClient>;
  /** An already open plaintext connection to use (the scan's probe); closed when done. */
  client?: NutClient;
  mdns?: { name: string; host: string } | null;
}

/** `Network UPS Tools upsd 2.8.0 - …` → `2.8.0`; DSM builds carry no NUT release. */
export function nutVersionOf(ver: string): string | null {
  if (/DSM/i.test(ver)) return null;
  return /\bupsd\s+v?(\d+\.\d+(?:\.\d+)*)/i.exec(ver)?.[1] ?? null;
}

export function presetFor(
  kind: DiscoveredServer['kind'],
  mdnsHost: string | null,
): DiscoveredServer['preset'] {
  if (kind === 'synology') return 'synology';
  return mdnsHost && /\b(pve|proxmox)/i.test(mdnsHost) ? 'proxmox' : 'generic';
}

function describe(error: unknown): string {
  if (error instanceof NutError) return error.explanation;
  return error instanceof Error ? error.message : String(error);
}

async function upsDetails(
  client: NutClient,
  name: string,
  description: string,
): Promise<DiscoveredUps> {
  const read = (variable: string) => client.getVar(name, variable).catch(() => null);
  const [deviceModel, upsModel, status] = await Promise.all([
    read('device.model'),
    read('ups.model'),
    read('ups.status'),
  ]);
  return { name, description, model: deviceModel ?? upsModel, status };
}

/** Resolves with what the server told (never rejects for server behaviour; `problem` says what was missing). */
export async function fingerprintServer(
  host: string,
  port: number,
  options: FingerprintOptions = {},
): Promise<DiscoveredServer> {
  const connect = options.connect ?? ((o: NutClientOptions) => NutClient.connect(o));
  const timeouts = {
    connectTimeoutMs: options.connectTimeoutMs ?? 1500,
    requestTimeoutMs: options.requestTimeoutMs ?? 1500,
    keepAliveIntervalMs: 0,
  };
  const result: DiscoveredServer = {
    host,
    port,
    foundBy: [],
    mdnsName: options.mdns?.name ?? null,
    mdnsHost: options.mdns?.host ?? null,
    kind: 'unknown',
    version: null,
    nutVersion: null,
    netVer: null,
    protVer: null,
    rightsWords: 'master-slave',
    starttls: 'unknown',
    ups: [],
    preset: 'generic',
    problem: null,
    localAddress: null,
  };
  let client: NutClient;
  try {
    client = options.client ?? (await connect({ host, port, ...timeouts, tls: { mode: 'off' } }));
  } catch (error) {
    result.problem = describe(error);
    return result;
  }
  result.localAddress = client.localAddress ?? null;
  let answered = false;
  try {
    try {
      result.version = await client.ver();
      answered = true;
    } catch (error) {
      if (!hasServerCode(error, 'ACCESS-DENIED')) throw error;
    }
    result.netVer = await client.netVer().catch((error: unknown) => {
      if (!hasServerCode(error)) throw error;
      return null;
    });
    answered ||= result.netVer !== null;
    result.protVer = await client.protVer().catch((error: unknown) => {
      if (!hasServerCode(error)) throw error;
      return null;
    });
    let upses: { name: string; description: string }[] | null = null;
    try {
      upses = await client.listUps();
      answered = true;
    } catch (error) {
      if (!hasServerCode(error)) throw error;
      if (!hasServerCode(error, 'ACCESS-DENIED')) result.problem = describe(error);
    }
    if (!answered) {
      result.kind = 'refusing';
      result.problem =
        'It answers every command with ACCESS-DENIED, even VER and LIST UPS: this machine is not allowed to talk to it. ' +
        `On a Synology NAS, add ${result.localAddress ?? 'this machine’s address'} under Control Panel → Hardware & Power → UPS → Permitted DiskStation devices.`;
      return result;
    }
    result.kind = result.version && /DSM/i.test(result.version) ? 'synology' : 'nut';
    result.nutVersion = result.version ? nutVersionOf(result.version) : null;
    result.rightsWords = rightsWordsFor({
      protVer: result.protVer,
      synology: result.kind === 'synology',
    });
    for (const ups of upses ?? [])
      result.ups.push(await upsDetails(client, ups.name, ups.description));
  } catch (error) {
    result.problem = describe(error);
    if (!answered) return result;
  } finally {
    await client.close();
  }
  result.preset = presetFor(result.kind, result.mdnsHost);
  result.starttls = await starttlsOffered(host, port, connect, timeouts);
  return result;
}

async function starttlsOffered(
  host: string,
  port: number,
  connect: (options: NutClientOptions) => Promise<NutClient>,
  timeouts: Pick<NutClientOptions, 'connectTimeoutMs' | 'requestTimeoutMs' | 'keepAliveIntervalMs'>,
): Promise<DiscoveredServer['starttls']> {
  let client: NutClient;
  try {
    // Any certificate: this only asks whether TLS is there; the master entry pins it later.
    client = await connect({
      host,
      port,
      ...timeouts,
      tls: {
        mode: 'opportunistic',
        insecure: true,
        handshakeTimeoutMs: timeouts.requestTimeoutMs ?? 1500,
      },
    });
  } catch (error) {
    // The server said OK STARTTLS but the handshake failed: it offers TLS, badly set up.
    return error instanceof NutError && error.kind === 'tls' ? 'offered' : 'unknown';
  }
  const offered = client.tlsActive ? 'offered' : client.tlsDeclinedCode ? 'not-offered' : 'unknown';
  await client.close();
  return offered;
}
