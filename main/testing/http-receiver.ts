/**
 * A local HTTP server standing in for ntfy, Gotify or a webhook receiver: records every request
 * (method, path, headers, raw body) and answers as the test says — a status, a delay, or never
 * (a hung endpoint). Listens on 127.0.0.1 only; always `await receiver.close()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What to answer to the n-th request (0-based): a status (after an optional delay) or `hang`. */
export type Responder = (
  request: ReceivedRequest,
  index: number,
) => { status: number; body?: string; delayMs?: number } | 'hang';

export interface HttpReceiver {
  readonly port: number;
  readonly url: string;
  readonly requests: ReceivedRequest[];
  respond(responder: Responder): void;
  close(): Promise<void>;
}

export async function startHttpReceiver(
  options: { port?: number; responder?: Responder } = {},
): Promise<HttpReceiver> {
  let responder: Responder = options.responder ?? (() => ({ status: 200, body: '{"id":1}' }));
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: ReceivedRequest = {
        at: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const index = requests.length;
      requests.push(request);
      const answer = responder(request, index);
      if (answer === 'hang') return;
      setTimeout(() => {
        res.writeHead(answer.status, { 'Content-Type': 'application/json' });
        res.end(answer.body ?? '{}');
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(next) {
      responder = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
