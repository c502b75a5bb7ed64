/**
 * `nut-sentinel discover [--json] [--range CIDR…] [--widen] [--allow-outside-local] [--no-mdns]`:
 * the same discovery as "Find masters on my network", printed for a terminal or as JSON.
 * Exit status: 0 when at least one server was found, 1 when none, 2 for a refused request.
 */
import type { DiscoveredServer, DiscoveryResult } from '../../shared/discovery';
import { type DiscoverOptions, discover } from './discover';
import { ScanRangeError } from './networks';

export interface DiscoverCliRequest {
  json: boolean;
  ranges: string[];
  widen: boolean;
  allowOutsideLocal: boolean;
  mdns: boolean;
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const DISCOVER_DESCRIPTION =
  'find NUT masters: probe tcp/3493 on this machine’s own subnets (each capped at /24) and on this machine itself, and browse mDNS for _nut._tcp; anonymous reads only, no credential is sent';

function describeServer(server: DiscoveredServer): string {
  const what =
    server.kind === 'synology'
      ? `Synology DSM (${server.version ?? '?'})`
      : server.kind === 'nut'
        ? `NUT ${server.nutVersion ?? server.version ?? '?'}`
        : server.kind === 'refusing'
          ? 'refuses every command from this machine'
          : 'no NUT answer';
  const protocol = server.protVer ?? server.netVer;
  const details = [
    what,
    protocol
      ? `protocol ${protocol}${server.protVer ? '' : ' (no PROTVER: rights are upsmon master/slave)'}`
      : null,
    server.kind === 'refusing' || server.kind === 'unknown'
      ? null
      : server.starttls === 'offered'
        ? 'STARTTLS offered'
        : server.starttls === 'not-offered'
          ? 'no STARTTLS'
          : 'STARTTLS unknown',
  ].filter(Boolean);
  const found = [
    server.foundBy.join(' + '),
    server.mdnsName ? `“${server.mdnsName}” on ${server.mdnsHost ?? '?'}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [`  ${server.host}:${server.port}  ${details.join(', ')}  [${found}]`];
  for (const ups of server.ups) {
    lines.push(
      `      UPS ${ups.name}${ups.description && ups.description !== 'Unavailable' ? ` “${ups.description}”` : ''}${ups.model ? `, ${ups.model}` : ''}, status ${ups.status ?? '?'}`,
    );
  }
  if (server.ups.length === 0 && server.kind !== 'refusing' && server.kind !== 'unknown')
    lines.push('      offers no UPS');
  if (server.problem) lines.push(`      ${server.problem}`);
  return lines.join('\n');
}

export function formatDiscovery(result: DiscoveryResult): string {
  const ranges = result.scanned
    .map((range) => `${range.cidr}${range.interface ? ` (${range.interface})` : ''}`)
    .join(', ');
  const lines = [
    `Searched ${ranges || 'nothing'}${result.mdns.browsed ? ' and mDNS' : ''} in ${(result.durationMs / 1000).toFixed(1)} s (port probe ${(result.scanMs / 1000).toFixed(1)} s, ${result.attempts} connection attempts).`,
  ];
  for (const range of result.scanned) if (range.note) lines.push(range.note);
  if (result.mdns.error) lines.push(result.mdns.error);
  lines.push(
    result.servers.length === 0
      ? 'No NUT server answered. Is the master on this network, with its NUT server enabled (Synology: “Enable network UPS server”; Proxmox: a LISTEN line in upsd.conf)?'
      : `Found ${result.servers.length} NUT server${result.servers.length === 1 ? '' : 's'}:`,
  );
  for (const server of result.servers) lines.push(describeServer(server));
  return lines.join('\n');
}

export async function runDiscover(
  request: DiscoverCliRequest,
  io: CliIo,
  options: DiscoverOptions = {},
): Promise<number> {
  let result: DiscoveryResult;
  try {
    result = await discover(
      {
        ranges: request.ranges,
        widen: request.widen,
        allowOutsideLocal: request.allowOutsideLocal,
        mdns: request.mdns,
      },
      options,
    );
  } catch (error) {
    if (!(error instanceof ScanRangeError)) throw error;
    io.err(`nut-sentinel discover: ${error.message}`);
    return 2;
  }
  io.out(request.json ? JSON.stringify(result, null, 2) : formatDiscovery(result));
  return result.servers.length > 0 ? 0 : 1;
}
