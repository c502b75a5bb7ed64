/**
 * A server without PROTVER (NUT before 2.8, Synology DSM) knows only `upsmon master|slave`: once
 * the client has identified it, a refused credential's fix uses those words, because following a
 * hint with `upsmon secondary` on such a server gives the same ACCESS-DENIED again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultServer, type FaultServer } from '../testing/fault-server.js';
import { nutRejection } from '../testing/nut-rejection.js';
import { NutClient } from './client.js';

let server: FaultServer | undefined;
let client: NutClient | undefined;

afterEach(async () => {
  await client?.close().catch(() => undefined);
  await server?.close();
  client = server = undefined;
});

/** Answers like upsd 2.7.4: no PROTVER, LOGIN refused for everybody. */
async function startPre28Server(): Promise<FaultServer> {
  return startFaultServer(async (line, connection) => {
    const [verb] = line.split(' ');
    if (verb === 'VER')
      await connection.send('Network UPS Tools upsd 2.7.4 - http://www.networkupstools.org/');
    else if (verb === 'NETVER') await connection.send('1.2');
    else if (verb === 'USERNAME' || verb === 'PASSWORD') await connection.send('OK');
    else if (verb === 'LOGIN' || verb === 'MASTER') await connection.send('ERR ACCESS-DENIED');
    else await connection.send('ERR UNKNOWN-COMMAND');
  });
}

describe('rights words follow the identified server', () => {
  it('a pre-2.8 server gets `upsmon slave` for LOGIN and `upsmon master` for MASTER', async () => {
    server = await startPre28Server();
    client = await NutClient.connect({
      host: server.host,
      port: server.port,
      requestTimeoutMs: 2000,
    });
    const capabilities = await client.capabilities();
    expect(capabilities.protVer).toBeUndefined();
    await client.authenticate('upsmon', 'wrong');
    const login = await nutRejection(client.login('ups'));
    expect(login.code).toBe('ACCESS-DENIED');
    expect(login.fix).toContain('`upsmon slave` (or `upsmon master`) for LOGIN');
    expect(login.fix).not.toMatch(/secondary|primary/);
  });
});
