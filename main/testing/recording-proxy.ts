/**
 * A transparent TCP proxy in front of a NUT server that records every line clients send, so a
 * test can assert what was (not) sent to the master: no FSD after an abort, no LOGOUT in a dry run.
 */
import net from 'node:net';

export interface RecordingProxy {
  host: string;
  port: number;
  lines: { at: number; connection: number; line: string }[];
  connections(): number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with a free port unless `listen` names a local address and port. */
export async function startRecordingProxy(
  target: { host: string; port: number },
  listen: { host?: string; port?: number } = {},
): Promise<RecordingProxy> {
  const lines: RecordingProxy['lines'] = [];
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((client) => {
    const connection = ++count;
    const upstream = net.connect(target);
    sockets.add(client).add(upstream);
    let buffer = '';
    client.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        lines.push({ at: Date.now(), connection, line: buffer.slice(0, i).replace(/\r$/, '') });
        buffer = buffer.slice(i + 1);
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host,
    port,
    lines,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
