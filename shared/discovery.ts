/**
 * "Find masters on my network": what the discovery (main/discovery) reports to the UI and to
 * `nut-sentinel discover --json`. Discovery only reads anonymously (VER, NETVER, PROTVER, LIST UPS,
 * GET VAR, STARTTLS); it never sends a user name or password.
 */
import * as z from 'zod';

export const DiscoveryRequestSchema = z.object({
  /** IPv4 CIDRs or single addresses to probe instead of this machine's directly connected subnets. */
  ranges: z.array(z.string().min(1)).max(16).default([]),
  /** Scan a local subnet wider than /24 whole (still capped, see MAX_SCAN_ADDRESSES). */
  widen: z.boolean().default(false),
  /** The user confirms a typed range outside the local subnets is theirs to scan. */
  allowOutsideLocal: z.boolean().default(false),
  /** Also browse DNS-SD/mDNS for `_nut._tcp`. */
  mdns: z.boolean().default(true),
});
export type DiscoveryRequest = z.input<typeof DiscoveryRequestSchema>;

/** No scan probes more addresses than this (a /20), whatever the ranges. */
export const MAX_SCAN_ADDRESSES = 4096;

export const DiscoveredUpsSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** device.model or ups.model; null when the server does not say. */
  model: z.string().nullable(),
  /** Raw ups.status; null when it could not be read. */
  status: z.string().nullable(),
});
export type DiscoveredUps = z.infer<typeof DiscoveredUpsSchema>;

export const DiscoveredServerSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  /** How it was found (both when the scan and mDNS agree). */
  foundBy: z.array(z.enum(['scan', 'mdns'])),
  /** The mDNS instance and host name, when announced. */
  mdnsName: z.string().nullable(),
  mdnsHost: z.string().nullable(),
  /** synology: VER names DSM; nut: any other upsd; refusing: it answered every command with ACCESS-DENIED. */
  kind: z.enum(['synology', 'nut', 'refusing', 'unknown']),
  /** VER free text. */
  version: z.string().nullable(),
  /** The NUT release in VER (e.g. `2.8.0`); null for Synology builds and unknown texts. */
  nutVersion: z.string().nullable(),
  netVer: z.string().nullable(),
  /** PROTVER (NUT 2.8.0+); null on older servers and Synology. */
  protVer: z.string().nullable(),
  /** Rights vocabulary the server understands: pre-2.8 knows only master/slave. */
  rightsWords: z.enum(['primary-secondary', 'master-slave']),
  starttls: z.enum(['offered', 'not-offered', 'unknown']),
  ups: z.array(DiscoveredUpsSchema),
  /** The preset a master entry for this server should get. */
  preset: z.enum(['synology', 'proxmox', 'generic']),
  /** Why a fingerprint is incomplete (refused, timeout …), in plain words; null when complete. */
  problem: z.string().nullable(),
  /** This machine's address as this server sees the connection (what an allow-list must contain). */
  localAddress: z.string().nullable(),
});
export type DiscoveredServer = z.infer<typeof DiscoveredServerSchema>;

export const ScannedRangeSchema = z.object({
  cidr: z.string(),
  /** The local interface it belongs to, or null for a typed range. */
  interface: z.string().nullable(),
  addresses: z.number().int(),
  /** Set when a local subnet was wider than what was scanned. */
  note: z.string().nullable(),
});

export const DiscoveryResultSchema = z.object({
  servers: z.array(DiscoveredServerSchema),
  scanned: z.array(ScannedRangeSchema),
  /** TCP connection attempts made by the port probe. */
  attempts: z.number().int(),
  /** Start → the port probe of every range done (responders fingerprinted); the /24 bound is on this. */
  scanMs: z.number(),
  /** Start → everything done (the mDNS browse listens for a fixed time). */
  durationMs: z.number(),
  mdns: z.object({ browsed: z.boolean(), error: z.string().nullable() }),
});
export type DiscoveryResult = z.infer<typeof DiscoveryResultSchema>;
