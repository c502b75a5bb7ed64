/**
 * A real mDNS responder for discovery tests: avahi-daemon inside a network namespace of a test
 * network (main/testing/netns.ts), announcing static `_nut._tcp` services, with no D-Bus
 * (`enable-dbus=no`) and no system files touched: `ip netns exec` bind-mounts
 * /etc/netns/<netns>/avahi over /etc/avahi for that process only, and that folder is removed
 * on stop. Runs through `setpriv --pdeathsig SIGKILL` so it dies with the test worker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { NetnsHost } from './netns';

export interface AvahiService {
  name: string;
  type: string;
  port: number;
  /** Announce it for this host name (add it to `hosts`), default: the daemon's own host name. */
  hostName?: string;
  txt?: readonly string[];
}

export interface AvahiResponder {
  readonly hostName: string;
  output(): string;
  stop(): Promise<void>;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function startAvahi(
  host: NetnsHost,
  options: {
    hostName: string;
    services: readonly AvahiService[];
    hosts?: readonly { name: string; address: string }[];
    timeoutMs?: number;
  },
): Promise<AvahiResponder> {
  const etc = path.join('/etc/netns', host.netns, 'avahi');
  await fs.mkdir(path.join(etc, 'services'), { recursive: true });
  await fs.writeFile(
    path.join(etc, 'avahi-daemon.conf'),
    [
      '[server]',
      `host-name=${options.hostName}`,
      'use-ipv4=yes',
      'use-ipv6=no',
      'allow-interfaces=eth0',
      'enable-dbus=no',
      '[publish]',
      'publish-workstation=no',
      'publish-hinfo=no',
      '[wide-area]',
      'enable-wide-area=no',
      '',
    ].join('\n'),
  );
  await fs.writeFile(
    path.join(etc, 'hosts'),
    (options.hosts ?? []).map((entry) => `${entry.address} ${entry.name}\n`).join(''),
  );
  for (const [index, service] of options.services.entries()) {
    const txt = (service.txt ?? [])
      .map((record) => `    <txt-record>${escapeXml(record)}</txt-record>\n`)
      .join('');
    await fs.writeFile(
      path.join(etc, 'services', `test-${index}.service`),
      `<?xml version="1.0" standalone='no'?>\n<!DOCTYPE service-group SYSTEM "avahi-service.dtd">\n<service-group>\n  <name>${escapeXml(service.name)}</name>\n  <service>\n    <type>${escapeXml(service.type)}</type>\n    <port>${service.port}</port>\n${service.hostName ? `    <host-name>${escapeXml(service.hostName)}</host-name>\n` : ''}${txt}  </service>\n</service-group>\n`,
    );
  }

  let output = '';
  const child: ChildProcess = spawn(
    '/usr/bin/setpriv',
    [
      '--pdeathsig',
      'SIGKILL',
      'ip',
      'netns',
      'exec',
      host.netns,
      'avahi-daemon',
      '--no-drop-root',
      '--no-chroot',
      '--no-rlimits',
      '--debug',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    await fs.rm(path.join('/etc/netns', host.netns), { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const established = (): number => (output.match(/successfully established/g) ?? []).length;
  while (established() < options.services.length) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`avahi-daemon did not announce its services in ${host.netns}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { hostName: `${options.hostName}.local`, output: () => output, stop };
}
