/**
 * Which addresses discovery may probe. By default only this machine's directly connected IPv4
 * subnets, each capped at the /24 around this machine's own address (a user can widen that);
 * a typed range must lie inside those subnets unless the user explicitly allows it, so a
 * click never scans someone else's network.
 */
import os from 'node:os';
import { MAX_SCAN_ADDRESSES } from '../../shared/discovery';

export interface Ipv4Range {
  /** First and last address as 32-bit unsigned integers. */
  first: number;
  last: number;
  prefix: number;
}

export interface LocalSubnet {
  interface: string;
  /** This machine's address on it. */
  address: string;
  /** The whole subnet, e.g. `192.168.0.0/22`. */
  cidr: string;
  range: Ipv4Range;
}

export interface ScanTarget {
  cidr: string;
  interface: string | null;
  /** Host addresses to probe, in order. */
  hosts: string[];
  note: string | null;
}

/** Refusal of a scan request, with a message a user can act on. */
export class ScanRangeError extends Error {
  override readonly name = 'ScanRangeError';
}

export function ipToInt(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const byte = Number(part);
    if (byte > 255) return null;
    value = value * 256 + byte;
  }
  return value;
}

export function intToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function rangeOf(base: number, prefix: number): Ipv4Range {
  const size = 2 ** (32 - prefix);
  const first = Math.floor(base / size) * size;
  return { first, last: first + size - 1, prefix };
}

export function formatCidr(range: Ipv4Range): string {
  return `${intToIp(range.first)}/${range.prefix}`;
}

/** `10.0.0.0/24`, `10.0.0.7` (= /32). Throws {@link ScanRangeError} with the reason. */
export function parseCidr(text: string): Ipv4Range {
  const match = /^\s*([\d.]+)(?:\/(\d{1,2}))?\s*$/.exec(text);
  const base = match ? ipToInt(match[1]!) : null;
  const prefix = match?.[2] === undefined ? 32 : Number(match[2]);
  if (!match || base === null || prefix > 32) {
    throw new ScanRangeError(
      `“${text}” is not an IPv4 range: write it like 192.168.1.0/24 or a single address like 192.168.1.20.`,
    );
  }
  return rangeOf(base, prefix);
}

/** Host addresses of a range: network and broadcast addresses left out for /30 and wider. */
export function hostsOf(range: Ipv4Range): string[] {
  const skipEnds = range.prefix <= 30;
  const hosts: string[] = [];
  for (
    let value = range.first + (skipEnds ? 1 : 0);
    value <= range.last - (skipEnds ? 1 : 0);
    value++
  )
    hosts.push(intToIp(value));
  return hosts;
}

function contains(outer: Ipv4Range, inner: Ipv4Range): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

/**
 * This machine itself, probed with every default scan: a UPS on this machine's USB with its own
 * upsd (which listens on localhost only until LISTEN says otherwise) is found too. A typed range
 * inside 127.0.0.0/8 is this machine as well, so it needs no --allow-outside-local.
 */
const LOOPBACK = parseCidr('127.0.0.0/8');
const THIS_MACHINE = '127.0.0.1';

/** This machine's directly connected IPv4 subnets (no loopback, no /32 point-to-point). */
export function localSubnets(
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): LocalSubnet[] {
  const subnets: LocalSubnet[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family !== 'IPv4' || info.internal || !info.cidr) continue;
      const prefix = Number(info.cidr.split('/')[1]);
      const address = ipToInt(info.address);
      if (address === null || !(prefix >= 1 && prefix <= 31)) continue;
      const range = rangeOf(address, prefix);
      subnets.push({ interface: name, address: info.address, cidr: formatCidr(range), range });
    }
  }
  return subnets;
}

export interface ScanPlanOptions {
  ranges?: readonly string[];
  widen?: boolean;
  allowOutsideLocal?: boolean;
  subnets?: readonly LocalSubnet[];
}

/**
 * The ranges to probe. Without typed ranges: each local subnet, capped at the /24 around this
 * machine's address unless `widen`, then this machine itself (127.0.0.1). Typed ranges: kept as
 * typed, refused when outside every local subnet and loopback unless `allowOutsideLocal`. Never
 * more than {@link MAX_SCAN_ADDRESSES} addresses in all.
 */
export function planScan(options: ScanPlanOptions = {}): ScanTarget[] {
  const subnets = options.subnets ?? localSubnets();
  const targets: ScanTarget[] = [];
  if (!options.ranges || options.ranges.length === 0) {
    if (subnets.length === 0) {
      throw new ScanRangeError(
        'This machine has no IPv4 network besides loopback, so there is no local subnet to search. Connect to the network the master is on, or type its address.',
      );
    }
    for (const subnet of subnets) {
      const own = ipToInt(subnet.address)!;
      const capped = !options.widen && subnet.range.prefix < 24;
      const range = capped ? rangeOf(own, 24) : subnet.range;
      if (range.last - range.first + 1 > MAX_SCAN_ADDRESSES + 2)
        throw tooMany(range.last - range.first + 1);
      if (targets.some((target) => target.cidr === formatCidr(range))) continue;
      targets.push({
        cidr: formatCidr(range),
        interface: subnet.interface,
        hosts: hostsOf(range).filter((host) => host !== subnet.address),
        note: capped
          ? `${subnet.interface} is on ${subnet.cidr}; only the /24 around this machine (${formatCidr(range)}) was searched. Widen the search or type a range for the rest.`
          : null,
      });
    }
    targets.push({
      cidr: `${THIS_MACHINE}/32`,
      interface: 'loopback',
      hosts: [THIS_MACHINE],
      note: null,
    });
  } else {
    for (const text of options.ranges) {
      const range = parseCidr(text);
      const local = subnets.find((subnet) => contains(subnet.range, range));
      if (!local && !contains(LOOPBACK, range) && !options.allowOutsideLocal) {
        const mine =
          subnets.length > 0
            ? subnets.map((subnet) => `${subnet.cidr} (${subnet.interface})`).join(', ')
            : 'none';
        throw new ScanRangeError(
          `${formatCidr(range)} is not part of a network this machine is directly connected to (local: ${mine}). ` +
            'Discovery only searches your own networks; if this range is yours to scan, confirm it explicitly (--allow-outside-local, or tick “search outside my networks”).',
        );
      }
      const size = range.last - range.first + 1;
      if (size > MAX_SCAN_ADDRESSES + 2) throw tooMany(size);
      const own = new Set(subnets.map((subnet) => subnet.address));
      targets.push({
        cidr: formatCidr(range),
        interface: local?.interface ?? (contains(LOOPBACK, range) ? 'loopback' : null),
        hosts: hostsOf(range).filter((host) => !own.has(host)),
        note: null,
      });
    }
  }
  const total = targets.reduce((sum, target) => sum + target.hosts.length, 0);
  if (total > MAX_SCAN_ADDRESSES) throw tooMany(total);
  return targets;
}

function tooMany(count: number): ScanRangeError {
  return new ScanRangeError(
    `That is ${count} addresses to probe; discovery probes at most ${MAX_SCAN_ADDRESSES} (a /20) at a time to stay polite. Search a smaller range, or type the master's address.`,
  );
}
