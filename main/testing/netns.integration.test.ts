/**
 * The private test network (netns.ts): every host has its own address and reaches the bridge
 * address in the root namespace from it, namespaces have no route beyond their /24, and cleanup
 * leaves no namespace or interface behind.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestNetwork, createTestNetwork } from './netns';

const run = promisify(execFile);

describe('createTestNetwork', () => {
  let network: TestNetwork | undefined;

  afterEach(async () => {
    await network?.cleanup();
    network = undefined;
  });

  it('gives each namespace its own address in a /24 of 198.19.0.0/16 that reaches only the bridge', async () => {
    network = await createTestNetwork({ hosts: 2 });
    const third = /^198\.19\.(\d+)\.1$/.exec(network.hostAddress)?.[1];
    expect(third).toBeDefined();
    expect(network.subnet).toBe(`198.19.${third}.0/24`);
    expect(network.hosts.map((h) => h.address)).toEqual([
      `198.19.${third}.11`,
      `198.19.${third}.12`,
    ]);
    const added = await network.addHost();
    expect(added.address).toBe(`198.19.${third}.13`);

    // A server on the bridge address sees each namespace's own address.
    const seen: string[] = [];
    const server = net.createServer((socket) => {
      seen.push(socket.remoteAddress ?? '');
      socket.end('hello\n');
    });
    await new Promise<void>((resolve) => server.listen(0, network!.hostAddress, resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      for (const host of network.hosts) {
        const [file, ...args] = host.wrap([
          'bash',
          '-c',
          `exec 3<>/dev/tcp/${network.hostAddress}/${port}; head -1 <&3`,
        ]);
        const { stdout } = await run(file!, args, { timeout: 10_000 });
        expect(stdout).toBe('hello\n');
      }
    } finally {
      server.close();
    }
    expect(seen).toEqual(network.hosts.map((h) => h.address));

    // Inside a namespace: only its /24, no default route; an outside address is unreachable.
    const [file, ...args] = network.hosts[0]!.wrap(['ip', '-4', 'route', 'show']);
    const { stdout: routes } = await run(file!, args);
    expect(routes.trim()).toBe(
      `${network.subnet} dev eth0 proto kernel scope link src ${network.hosts[0]!.address}`,
    );
    const [file2, ...args2] = network.hosts[0]!.wrap(['ip', 'route', 'get', '192.0.2.1']);
    await expect(run(file2!, args2)).rejects.toThrow(/unreachable/i);
  }, 60_000);

  it('cleanup removes every namespace and the bridge', async () => {
    const created = await createTestNetwork({ hosts: 2 });
    network = created;
    const names = created.hosts.map((h) => h.netns);
    expect((await run('ip', ['netns', 'list'])).stdout).toContain(names[0]);
    await created.cleanup();
    await created.cleanup(); // idempotent
    network = undefined;
    const { stdout: namespaces } = await run('ip', ['netns', 'list']);
    for (const name of names) expect(namespaces).not.toContain(name);
    const { stdout: links } = await run('ip', ['-o', 'link', 'show']);
    expect(links).not.toContain(created.bridge);
    for (const host of created.hosts) expect(links).not.toContain(host.hostInterface);
    await expect(created.addHost()).rejects.toThrow(/cleaned up/);
  }, 60_000);
});
