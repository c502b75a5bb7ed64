/**
 * The reply limits of the NUT client (main/nut/limits.ts) against the scripted fault server: LIST
 * replies are capped in items and bytes, a reply has one deadline that received items do not
 * extend, and the variables view's GET DESC fan-out is bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  startFaultServer,
  type FaultConnection,
  type FaultScript,
  type FaultServer,
} from '../testing/fault-server.js';
import { nutRejection } from '../testing/nut-rejection.js';
import { NutClient, type NutClientOptions } from './client.js';
import { DEFAULT_MAX_LIST_ITEMS, DESCRIPTION_FANOUT } from './limits.js';

const servers: FaultServer[] = [];
const clients: NutClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(script: FaultScript): Promise<FaultServer> {
  const server = await startFaultServer(script);
  servers.push(server);
  return server;
}

async function connect(
  server: FaultServer,
  options: Partial<NutClientOptions> = {},
): Promise<NutClient> {
  const client = await NutClient.connect({
    host: server.host,
    port: server.port,
    keepAliveIntervalMs: 0,
    ...options,
  });
  clients.push(client);
  return client;
}

/** Streams `VAR dummy vN "x"` lines in 64 KiB writes until the client goes away. */
async function streamForever(connection: FaultConnection): Promise<void> {
  await connection.send('BEGIN LIST VAR dummy');
  let n = 0;
  while (!connection.closed) {
    let chunk = '';
    while (chunk.length < 64 * 1024) chunk += `VAR dummy v${n++} "x"\n`;
    await connection.write(chunk);
  }
}

describe('LIST reply caps', () => {
  it('an endless LIST reply fails with REPLY-TOO-LARGE after the item cap, and the connection is closed', async () => {
    const server = await serve((_line, connection) => streamForever(connection));
    const client = await connect(server);
    const error = await nutRejection(client.listVar('dummy'));
    expect(error).toMatchObject({
      kind: 'protocol',
      code: 'REPLY-TOO-LARGE',
      command: 'LIST VAR dummy',
    });
    expect(error.explanation).toContain(`more than ${DEFAULT_MAX_LIST_ITEMS} items`);
    expect(error.explanation).toContain('not a NUT server, or a broken one');
    expect(error.connectionLost).toBe(true);
    expect(client.isOpen).toBe(false);
    expect(client.closeCause?.code).toBe('REPLY-TOO-LARGE');
    await server.connections[0]!.whenClosed();
  });

  it('100 000 tiny valid items then END LIST: refused at the cap, never assembled', async () => {
    const server = await serve(async (_line, connection) => {
      const lines = ['BEGIN LIST CLIENT dummy'];
      for (let i = 0; i < 100_000; i++) lines.push('CLIENT dummy 10.0.0.1');
      lines.push('END LIST CLIENT dummy');
      await connection.send(...lines);
    });
    const client = await connect(server);
    const error = await nutRejection(client.listClient('dummy'));
    expect(error.code).toBe('REPLY-TOO-LARGE');
    expect(error.explanation).toContain(`${DEFAULT_MAX_LIST_ITEMS} item(s) kept`);
  });

  it('the byte cap counts item lines (custom maxListBytes), and a reply just under both caps is accepted', async () => {
    const items = Array.from({ length: 10 }, (_, i) => `VAR dummy v${i} "${'y'.repeat(80)}"`);
    const bytes = items.reduce((sum, line) => sum + line.length + 1, 0);
    const script: FaultScript = (_line, connection) =>
      connection.send('BEGIN LIST VAR dummy', ...items, 'END LIST VAR dummy');
    const fits = await connect(await serve(script), { maxListBytes: bytes, maxListItems: 10 });
    expect((await fits.listVar('dummy')).size).toBe(10);
    const tooBig = await connect(await serve(script), { maxListBytes: bytes - 1 });
    const error = await nutRejection(tooBig.listVar('dummy'));
    expect(error.code).toBe('REPLY-TOO-LARGE');
    expect(error.explanation).toContain(`more than ${bytes - 1} bytes`);
    const tooMany = await connect(await serve(script), { maxListItems: 9 });
    expect((await nutRejection(tooMany.listVar('dummy'))).explanation).toContain(
      'more than 9 items',
    );
  });

  it('rejects invalid caps as a clear option error', async () => {
    const server = await serve(() => undefined);
    const error = await nutRejection(
      NutClient.connect({ host: server.host, port: server.port, maxListItems: 0 }),
    );
    expect(error).toMatchObject({ kind: 'argument', code: 'INVALID-OPTION' });
  });
});

describe('one deadline per reply', () => {
  it('a slow-drip LIST (one item every 40 ms, forever) times out one request timeout after it was sent', async () => {
    const server = await serve(async (_line, connection) => {
      await connection.send('BEGIN LIST VAR dummy');
      for (let n = 0; !connection.closed; n++) {
        await connection.send(`VAR dummy v${n} "1"`);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    });
    const client = await connect(server, { requestTimeoutMs: 300 });
    const started = performance.now();
    const error = await nutRejection(client.listVar('dummy'));
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({
      kind: 'timeout',
      code: 'REQUEST-TIMEOUT',
      command: 'LIST VAR dummy',
    });
    expect(error.explanation).toMatch(
      /item\(s\) received, but the whole reply must arrive within the timeout/,
    );
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + 400);
  });

  it('a request behind a completed one gets its own full deadline (counted from when it is the oldest)', async () => {
    const server = await serve(async (line, connection) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await connection.send(line === 'VER' ? 'Network UPS Tools upsd 2.8.0' : '1.3');
    });
    const client = await connect(server, { requestTimeoutMs: 300 });
    // Each answer takes 200 ms; the second waits 400 ms in all but only 200 ms as the oldest.
    expect(await Promise.all([client.ver(), client.netVer()])).toEqual([
      'Network UPS Tools upsd 2.8.0',
      '1.3',
    ]);
  });
});

describe('GET DESC fan-out', () => {
  it('keeps at most DESCRIPTION_FANOUT.concurrency requests in flight and sends at most maxRequests', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let answered = 0;
    const server = await startFaultServer(async (line, connection) => {
      const [, , , name] = line.split(' ');
      await new Promise((resolve) => setTimeout(resolve, 1));
      answered++;
      await connection.send(
        name === 'v3'
          ? 'ERR VAR-NOT-SUPPORTED'
          : `DESC dummy ${name} "${name === 'v4' ? 'Description unavailable' : `about ${name}`}"`,
      );
    });
    servers.push(server);
    // The server handles lines one by one; what it has received but not answered is what is in flight.
    const client = await connect(server);
    const watcher = setInterval(() => {
      inFlight = server.received.length - answered;
      maxInFlight = Math.max(maxInFlight, inFlight);
    }, 0);
    const names = Array.from({ length: 2_000 }, (_, i) => `v${i}`);
    let descriptions: Map<string, string>;
    try {
      descriptions = await client.getDescriptions('dummy', names);
    } finally {
      clearInterval(watcher);
    }
    expect(server.received).toHaveLength(DESCRIPTION_FANOUT.maxRequests);
    expect(maxInFlight).toBeLessThanOrEqual(DESCRIPTION_FANOUT.concurrency);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(descriptions.size).toBe(DESCRIPTION_FANOUT.maxRequests - 2);
    expect(descriptions.get('v0')).toBe('about v0');
    expect(descriptions.has('v3')).toBe(false);
    expect(descriptions.has('v4')).toBe(false);
    // Server errors leave the connection usable.
    expect(client.isOpen).toBe(true);
  });

  it('rejects when the connection is lost mid-way', async () => {
    const server = await serve(async (line, connection) => {
      if (line.endsWith(' v5')) connection.reset();
      else await connection.send(`DESC dummy ${line.split(' ')[3]} "d"`);
    });
    const client = await connect(server);
    const error = await nutRejection(
      client.getDescriptions('dummy', ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']),
    );
    expect(error.connectionLost).toBe(true);
  });
});
