/**
 * The address the master sees this machine as, against a real upsd: the session's local address
 * is confirmed by the master's LIST CLIENT, and a change of it (a new DHCP lease, simulated by
 * reconnecting from another loopback address, 127.0.0.x) is one event and one notification that
 * the master's allow-list may no longer match.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { NutClient } from '../nut/client';
import { waitFor } from '../testing/net';
import { useScenarios } from './testing/use-scenarios';

const scenarios = useScenarios();

describe('the address the master sees this machine as', () => {
  it('is confirmed by LIST CLIENT, and a change is one event and one notification', async () => {
    const rig = await scenarios.rig();
    let source = '127.0.0.2';
    const sockets = new Set<net.Socket>();
    const scenario = scenarios.start({
      rig,
      connect: (options) =>
        NutClient.connect({
          ...options,
          createSocket: ({ host, port }) => {
            const socket = net.createConnection({ host, port, localAddress: source });
            sockets.add(socket);
            socket.once('close', () => sockets.delete(socket));
            return socket;
          },
        }),
    });
    await scenario.ready();
    const first = await waitFor(
      () => {
        const seen = scenario.snapshot().masterSees;
        return seen.check === 'listed' ? seen : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, description: 'LIST CLIENT to confirm 127.0.0.2' },
    );
    expect(first).toEqual({
      address: '127.0.0.2',
      check: 'listed',
      previous: null,
      changedAt: null,
    });
    expect(await rig.listClients('ups')).toContain('127.0.0.2');
    // The clients view marks the same address as this machine.
    expect(scenario.snapshot().clients.list).toContainEqual(
      expect.objectContaining({ address: '127.0.0.2', isThisMachine: true }),
    );
    expect(scenario.events.filter((e) => e.type === 'ADDRESS_CHANGED')).toEqual([]);

    // The lease changes: the old connections die, the session reconnects from the new address.
    source = '127.0.0.3';
    const before = Date.now();
    for (const socket of sockets) socket.destroy();
    const second = await waitFor(
      () => {
        const seen = scenario.snapshot().masterSees;
        return seen.address === '127.0.0.3' && seen.check === 'listed' ? seen : undefined;
      },
      {
        timeoutMs: 15_000,
        intervalMs: 50,
        description: 'the new address confirmed by LIST CLIENT',
      },
    );
    expect(second.previous).toBe('127.0.0.2');
    expect(second.changedAt).toBeGreaterThanOrEqual(before);
    expect(await rig.listClients('ups')).toEqual(['127.0.0.3']);

    const changes = scenario.events.filter((e) => e.type === 'ADDRESS_CHANGED');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind: 'system',
      severity: 'warning',
      monitorId: 'rig/ups',
      data: { masterId: 'rig', previous: '127.0.0.2', address: '127.0.0.3' },
    });
    expect(changes[0]!.message).toContain('now sees this machine as 127.0.0.3 (was 127.0.0.2)');
    expect(changes[0]!.message).toContain('Permitted DiskStation devices');
    const notes = scenario.recorder.list().filter((n) => n.key.startsWith('ADDRESS_CHANGED:'));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body).toContain('127.0.0.3');

    // Reconnecting from the same address again is no change.
    for (const socket of sockets) socket.destroy();
    await scenario.ready();
    await scenario.waitFullPoll(Date.now());
    expect(scenario.events.filter((e) => e.type === 'ADDRESS_CHANGED')).toHaveLength(1);
  });
});
