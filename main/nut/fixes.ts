/**
 * The diagnoses that name the exact fix: the Synology allow-list with this machine's address,
 * the LISTEN line, the PVE firewall rule, the upsd.users block, and a refused LOGIN with only
 * the right LOGIN needs, in the rights words the identified server understands.
 * Shared by the connection doctor (UI test, `nut-sentinel doctor`) and the monitor's sessions,
 * next to the client's own error texts (errors.ts).
 */
import os from 'node:os';
import { type RightsWords, upsdUsersBlock, upsmonRight } from '../../shared/rights';
import type { Diagnosis } from '../../shared/snapshot';
import { isLoopbackHost } from '../platform/loopback';
import { normalizeAddress } from './client-addresses';
import { localRefusedFix } from './errors';

export type Preset = 'synology' | 'proxmox' | 'generic';

export const SYNOLOGY_PERMITTED_PATH =
  'Control Panel → Hardware & Power → UPS → Permitted DiskStation devices';

/** DSM's generated upsd.users: most DSM versions have monuser, some upsmon; both use `secret`. */
export const DSM_USERS = ['monuser', 'upsmon'] as const;
export const DSM_PASSWORD = 'secret';

/** The IPv6 addresses (global or unique-local) of the interface that has `ipv4`. */
export function ipv6OnSameInterface(
  ipv4: string | null,
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): string[] {
  if (!ipv4) return [];
  const plain = normalizeAddress(ipv4);
  for (const infos of Object.values(interfaces)) {
    if (!infos?.some((info) => info.family === 'IPv4' && info.address === plain)) continue;
    return infos
      .filter((info) => info.family === 'IPv6' && !info.internal && !/^fe80:/i.test(info.address))
      .map((info) => info.address);
  }
  return [];
}

/** The NAS answers ACCESS-DENIED to everything, even VER and LIST UPS: this machine is not on its allow-list. */
export function notPermittedDiagnosis(
  localAddress: string | null,
  ipv6: readonly string[],
): Diagnosis {
  const address = localAddress === null ? null : normalizeAddress(localAddress);
  const addresses = address ? [address, ...ipv6] : [...ipv6];
  const list =
    addresses.length === 0
      ? 'this machine’s IP address'
      : addresses.map((a) => `“${a}”`).join(' and ');
  return {
    code: 'NOT-PERMITTED',
    explanation: `The NAS refuses every command from this machine (even VER and LIST UPS): it is not in Permitted DiskStation devices.${address ? ` The NAS sees this machine as ${address}.` : ''}`,
    fix: `In DSM open ${SYNOLOGY_PERMITTED_PATH}, add ${list}${addresses.length > 1 ? ' (DSM may need both)' : ''}, apply, then test again.`,
  };
}

export function refusedDiagnosis(
  host: string,
  port: number,
  preset: Preset | undefined,
): Diagnosis {
  if (isLoopbackHost(host)) {
    return {
      code: 'ECONNREFUSED',
      explanation: `${host} is this machine, and it refused the connection on port ${port}: upsd is not running here, or the LISTEN lines of its upsd.conf name only other addresses or another port.`,
      fix: localRefusedFix(host, port),
    };
  }
  const listen = `LISTEN 0.0.0.0 ${port}`;
  const synology =
    'In DSM: Control Panel → Hardware & Power → UPS → tick “Enable network UPS server” and apply.';
  const nut =
    `On the master add this line to /etc/nut/upsd.conf (or its LAN address instead of 0.0.0.0):\n    ${listen}\n` +
    'then restart upsd: `systemctl restart nut-server`. Also check that nut-server runs (`systemctl status nut-server`) and the port is right.';
  return {
    code: 'ECONNREFUSED',
    explanation: `${host} refused the connection on port ${port}: upsd is not running there, or it listens on localhost only (a fresh Proxmox/Debian nut-server does until upsd.conf has a LISTEN line).`,
    fix:
      preset === 'synology'
        ? synology
        : preset === 'proxmox'
          ? nut
          : `${nut} On a Synology NAS instead: ${synology}`,
  };
}

export interface OtherPortAnswer {
  port: number;
  answer: 'open' | 'refused';
}

/** A connect timeout, told apart: another port of the same host answers (a firewall drops 3493) or nothing does. */
export function timeoutDiagnosis(
  host: string,
  port: number,
  preset: Preset | undefined,
  localAddress: string | null,
  other: OtherPortAnswer | null,
  probed: readonly number[],
): Diagnosis {
  const source = localAddress ?? '<this machine’s address>';
  const pveRule = `IN ACCEPT -p tcp -dport ${port} -source ${source}`;
  const pve =
    `On Proxmox add this rule at Datacenter → Firewall (/etc/pve/firewall/cluster.fw) or at the node → Firewall (/etc/pve/nodes/<node>/host.fw), under [RULES]:\n    ${pveRule}\n` +
    '(Add → Direction in, Action ACCEPT, Protocol tcp, Dest. port ' +
    port +
    `, Source ${source}); it applies within seconds.`;
  const generic = `Allow TCP port ${port} from ${source} in the master's firewall.`;
  const firewallFix =
    preset === 'proxmox'
      ? pve
      : preset === 'synology'
        ? `In DSM: Control Panel → Security → Firewall, allow TCP ${port} from ${source}.`
        : `${generic} ${pve}`;
  if (other) {
    return {
      code: 'FIREWALL-DROP',
      explanation: `${host} is up (port ${other.port} ${other.answer === 'open' ? 'accepts connections' : 'answers with a refusal'}), but nothing answers on port ${port}: a firewall drops it silently.`,
      fix: firewallFix,
    };
  }
  return {
    code: 'CONNECT-TIMEOUT',
    explanation: `Nothing answers from ${host}, neither on port ${port} nor on ${probed.join(', ')}: the host is down or unplugged, the address is wrong, or a firewall drops everything from this machine.`,
    fix:
      `Check that ${host} is on and the address is right. To tell a firewall drop from a host that is down: if the host answers ping or its web page (Proxmox: https://${host}:8006, DSM: port 5000/5001) from this machine, it is up and its firewall drops tcp/${port}; if nothing answers, it is down or unreachable. ` +
      firewallFix,
  };
}

/** Reads work, LOGIN is refused: the password or user is wrong, or the user lacks the one right LOGIN needs. */
export function loginRefusedDiagnosis(options: {
  username: string;
  ups: string;
  words: RightsWords;
  preset: Preset | undefined;
  synology: boolean;
  code: string;
}): Diagnosis {
  const right = upsmonRight(options.words, 'secondary');
  const base = `The master answers reads but refused LOGIN as “${options.username}” (${options.code}): the password is wrong, or “${options.username}” is not a user with \`${right}\` in upsd.users.`;
  if (options.synology || options.preset === 'synology') {
    return {
      code: 'LOGIN-REFUSED',
      explanation: base,
      fix: `DSM's built-in users are “monuser” (most DSM versions) or “upsmon”, both with password “secret”; DSM creates them with \`${upsmonRight(options.words, 'primary')}\`. Check the user and password (the NAS login is not the NUT user).`,
    };
  }
  return {
    code: 'LOGIN-REFUSED',
    explanation: base,
    fix:
      `Check the password of “${options.username}”. On the master, /etc/nut/upsd.users must contain:\n${indent(upsdUsersBlock(options.words, options.username))}\n` +
      'then reload upsd (`systemctl reload nut-server`, or `upsd -c reload`). LOGIN needs only this right.',
  };
}

/** A secondary without a user cannot LOGIN, so the master would not wait for it. */
export function userRequiredDiagnosis(words: RightsWords, preset: Preset | undefined): Diagnosis {
  return {
    code: 'USER-REQUIRED',
    explanation:
      'Reads work, but a secondary must log in so the master counts this machine and waits for it before cutting power; no user is set.',
    fix:
      preset === 'synology'
        ? 'Use DSM’s built-in user “monuser” with password “secret”.'
        : `Set a user from the master's upsd.users that has \`${upsmonRight(words, 'secondary')}\`, e.g.:\n${indent(upsdUsersBlock(words, 'upsmonclient'))}\nor choose “Monitor only”.`,
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
