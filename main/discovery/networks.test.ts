import type os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ScanRangeError, hostsOf, localSubnets, parseCidr, planScan } from './networks';

function iface(address: string, cidr: string, internal = false): os.NetworkInterfaceInfo {
  return { address, netmask: '', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr };
}

const interfaces = {
  lo: [iface('127.0.0.1', '127.0.0.1/8', true)],
  eth0: [
    iface('10.20.5.7', '10.20.4.0/22'),
    { ...iface('fe80::1', 'fe80::1/64'), family: 'IPv6' } as os.NetworkInterfaceInfo,
  ],
  wlan0: [iface('192.168.1.33', '192.168.1.0/24')],
  tun0: [iface('10.99.0.2', '10.99.0.2/32')],
};

describe('planScan', () => {
  const subnets = localSubnets(interfaces);

  it('knows the directly connected IPv4 subnets only (no loopback, IPv6 or /32 tunnels)', () => {
    expect(subnets.map((s) => [s.interface, s.cidr, s.address])).toEqual([
      ['eth0', '10.20.4.0/22', '10.20.5.7'],
      ['wlan0', '192.168.1.0/24', '192.168.1.33'],
    ]);
  });

  it('caps each subnet at the /24 around this machine, skipping its own address, unless widened', () => {
    const plan = planScan({ subnets });
    expect(plan.map((t) => [t.cidr, t.interface, t.hosts.length])).toEqual([
      ['10.20.5.0/24', 'eth0', 253],
      ['192.168.1.0/24', 'wlan0', 253],
      // This machine itself: a upsd for its own USB UPS listens on localhost only.
      ['127.0.0.1/32', 'loopback', 1],
    ]);
    expect(plan[0]!.note).toContain(
      'eth0 is on 10.20.4.0/22; only the /24 around this machine (10.20.5.0/24) was searched',
    );
    expect(plan[1]!.hosts).not.toContain('192.168.1.33');
    expect(plan[1]!.hosts[0]).toBe('192.168.1.1');
    expect(plan[1]!.hosts.at(-1)).toBe('192.168.1.254');
    const wide = planScan({ subnets, widen: true });
    expect(wide[0]).toMatchObject({ cidr: '10.20.4.0/22', note: null });
    expect(wide[0]!.hosts).toHaveLength(1021);
  });

  it('takes typed ranges inside the local subnets, refuses others unless allowed explicitly', () => {
    expect(planScan({ subnets, ranges: ['192.168.1.16/30'] })).toEqual([
      {
        cidr: '192.168.1.16/30',
        interface: 'wlan0',
        hosts: ['192.168.1.17', '192.168.1.18'],
        note: null,
      },
    ]);
    expect(() => planScan({ subnets, ranges: ['192.168.2.0/24'] })).toThrow(
      /192\.168\.2\.0\/24 is not part of a network this machine is directly connected to \(local: 10\.20\.4\.0\/22 \(eth0\), 192\.168\.1\.0\/24 \(wlan0\)\)/,
    );
    expect(
      planScan({ subnets, ranges: ['192.168.2.9'], allowOutsideLocal: true })[0],
    ).toMatchObject({ cidr: '192.168.2.9/32', interface: null, hosts: ['192.168.2.9'] });
    // Loopback is this machine, not someone else's network.
    expect(planScan({ subnets, ranges: ['127.0.0.1'] })).toEqual([
      { cidr: '127.0.0.1/32', interface: 'loopback', hosts: ['127.0.0.1'], note: null },
    ]);
  });

  it('refuses bad text and scans larger than a /20 with a message saying what to do', () => {
    expect(() => parseCidr('192.168.1/24')).toThrow(ScanRangeError);
    expect(() => parseCidr('300.1.1.1')).toThrow(/write it like 192\.168\.1\.0\/24/);
    expect(() => planScan({ subnets, ranges: ['10.0.0.0/8'], allowOutsideLocal: true })).toThrow(
      /at most 4096 \(a \/20\)/,
    );
    expect(() => planScan({ subnets: [] })).toThrow(/no IPv4 network besides loopback/);
    expect(hostsOf(parseCidr('10.0.0.0/31'))).toEqual(['10.0.0.0', '10.0.0.1']);
  });
});
