import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { scriptFromTable, startFaultServer } from './fault-server.js';

/** A raw client socket that collects everything it receives. */
async function rawClient(port: number): Promise<{
  socket: net.Socket;
  received: () => string;
  chunks: Buffer[];
  closed: Promise<void>;
}> {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { socket, chunks, closed, received: () => Buffer.concat(chunks).toString('latin1') };
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('fault server', () => {
  it('records request lines (CR stripped) per connection and overall, and answers from a table', async () => {
    const server = await startFaultServer(
      scriptFromTable({ VER: 'upsd test', 'LIST UPS': ['BEGIN LIST UPS', 'END LIST UPS'] }),
    );
    const client = await rawClient(server.port);
    client.socket.write('VER\r\nLIST UPS\nBOGUS\n');
    await until(() => client.received().split('\n').length > 4);
    expect(client.received()).toBe(
      'upsd test\nBEGIN LIST UPS\nEND LIST UPS\nERR UNKNOWN-COMMAND\n',
    );
    expect(server.received).toEqual(['VER', 'LIST UPS', 'BOGUS']);
    expect(server.connections[0]!.received).toEqual(['VER', 'LIST UPS', 'BOGUS']);
    client.socket.destroy();
    await server.close();
  });

  it('handles the lines of one connection in order even when the script is slow', async () => {
    const server = await startFaultServer(async (line, connection) => {
      await new Promise((resolve) => setTimeout(resolve, line === 'first' ? 60 : 0));
      await connection.send(`done ${line}`);
    });
    const client = await rawClient(server.port);
    client.socket.write('first\nsecond\n');
    await until(() => client.received().includes('done second'));
    expect(client.received()).toBe('done first\ndone second\n');
    client.socket.destroy();
    await server.close();
  });

  it('writes slowly in small pieces', async () => {
    const server = await startFaultServer((_line, connection) =>
      connection.writeSlowly('OK slow\n', 5),
    );
    const client = await rawClient(server.port);
    client.socket.write('x\n');
    await until(() => client.received() === 'OK slow\n');
    expect(client.chunks.length).toBeGreaterThanOrEqual(4);
    client.socket.destroy();
    await server.close();
  });

  it('can send unsolicited data on connect, end (FIN) and reset (RST) connections', async () => {
    const server = await startFaultServer(
      (line, connection) => (line === 'reset' ? connection.reset() : connection.end()),
      { onConnection: (connection) => connection.send('hello') },
    );
    const first = await rawClient(server.port);
    await until(() => first.received() === 'hello\n');
    first.socket.write('end\n');
    await first.closed;

    const second = await rawClient(server.port);
    const error = new Promise<NodeJS.ErrnoException>((resolve) =>
      second.socket.once('error', resolve),
    );
    second.socket.write('reset\n');
    expect((await error).code).toBe('ECONNRESET');
    await server.close();
  });

  it('close() closes every socket it accepted and stops listening', async () => {
    const server = await startFaultServer(() => undefined);
    const clients = await Promise.all([rawClient(server.port), rawClient(server.port)]);
    await server.waitForConnection(1);
    await server.close();
    await Promise.all(clients.map((client) => client.closed));
    expect(server.connections.every((connection) => connection.closed)).toBe(true);
    const refused = net.createConnection({ host: '127.0.0.1', port: server.port });
    const code = await new Promise<string | undefined>((resolve) =>
      refused.once('error', (error: NodeJS.ErrnoException) => resolve(error.code)),
    );
    expect(code).toBe('ECONNREFUSED');
  });

  it('close() rethrows errors of the script', async () => {
    const server = await startFaultServer(() => {
      throw new Error('script bug');
    });
    const client = await rawClient(server.port);
    client.socket.write('x\n');
    await client.closed;
    await expect(server.close()).rejects.toThrow(/script threw/);
    expect(server.scriptErrors).toHaveLength(1);
  });
});
