/**
 * Property: whatever a server sends, the NUT client settles every request (no hang), rejects only
 * with a NutError, never leaves an unhandled rejection, and never holds more reply bytes than its
 * limits allow. Random transcripts (valid replies, LIST fragments, floods of items, over-long lines,
 * binary garbage, quotes and escapes) are played by a loopback server after the first request
 * line, then it closes (FIN or RST) or, rarely, stalls until the request deadline.
 *
 * Runs: 10 000 by default (CI); NUT_TRANSCRIPT_RUNS=100000 for a long run by hand. In the
 * integration tier although it needs nothing but loopback: 10 000 real connections take tens of
 * seconds, and the unit tier must stay under a minute.
 */
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NutClient } from './client.js';
import { NutError } from './errors.js';

const RUNS = Number(process.env.NUT_TRANSCRIPT_RUNS ?? 10_000);
const LIMITS = { maxLineLength: 256, maxListItems: 20, maxListBytes: 2048 };
/** A stalled server is cut off by the client's own deadline: kept short so runs stay fast. */
const REQUEST_TIMEOUT_MS = 25;
/** Far beyond any legitimate settle time of a run: only a real hang reaches it. */
const HANG_MS = 2_000;

type Ending = 'end' | 'reset' | 'stall';
interface Transcript {
  bytes: Buffer;
  ending: Ending;
}

const U = 'ups';
const line = fc.oneof(
  fc.constantFrom(
    `VAR ${U} ups.status "OL"`,
    `VAR ${U} ups.status "OB LB"`,
    'OK',
    'OK Goodbye',
    'ERR UNKNOWN-UPS',
    'ERR DATA-STALE',
    'ERR',
    '1.3',
    'Network UPS Tools upsd 2.8.0',
    `NUMLOGINS ${U} 2`,
    `BEGIN LIST VAR ${U}`,
    `VAR ${U} battery.charge "100"`,
    `END LIST VAR ${U}`,
    `BEGIN LIST CLIENT ${U}`,
    `CLIENT ${U} 127.0.0.1`,
    `END LIST CLIENT ${U}`,
    'BEGIN LIST UPS',
    'END LIST',
    '',
    '"',
    '\\',
    `VAR ${U} x "a\\"b`,
  ),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 200, max: 600 }).map((n) => 'A'.repeat(n)),
);
const piece = fc.oneof(
  { weight: 6, arbitrary: line.map((text) => Buffer.from(`${text}\n`, 'latin1')) },
  // A flood of valid items: often more than maxListItems.
  {
    weight: 3,
    arbitrary: fc
      .integer({ min: 0, max: 40 })
      .map((n) =>
        Buffer.from(
          `BEGIN LIST VAR ${U}\n${`VAR ${U} v "${'x'.repeat(60)}"\n`.repeat(n)}END LIST VAR ${U}\n`,
        ),
      ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)) },
);
const transcript: fc.Arbitrary<Transcript> = fc.record({
  bytes: fc.array(piece, { maxLength: 12 }).map((pieces) => Buffer.concat(pieces)),
  ending: fc.oneof(
    { weight: 25, arbitrary: fc.constant<Ending>('end') },
    { weight: 14, arbitrary: fc.constant<Ending>('reset') },
    { weight: 1, arbitrary: fc.constant<Ending>('stall') },
  ),
});
const request = fc.constantFrom('status', 'listVar', 'listClient', 'ver', 'numLogins', 'upsDesc');
const requests = fc.array(request, { minLength: 1, maxLength: 4 });

function send(client: NutClient, kind: string): Promise<unknown> {
  switch (kind) {
    case 'status':
      return client.getVar(U, 'ups.status');
    case 'listVar':
      return client.listVar(U).then((vars) => vars.size);
    case 'listClient':
      return client.listClient(U).then((list) => list.length);
    case 'ver':
      return client.ver();
    case 'numLogins':
      return client.getNumLogins(U);
    default:
      return client.getUpsDesc(U);
  }
}

let server: net.Server;
let port = 0;
let next: Transcript = { bytes: Buffer.alloc(0), ending: 'end' };
const serverSockets = new Set<net.Socket>();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = net.createServer((socket) => {
    const script = next;
    serverSockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => serverSockets.delete(socket));
    socket.once('data', () => {
      socket.write(script.bytes, () => {
        if (script.ending === 'end') socket.end();
        else if (script.ending === 'reset') socket.resetAndDestroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  for (const socket of serverSockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('NutClient over random server transcripts', () => {
  it(`settles every request with a value or a NutError, holds bounded bytes, leaves nothing unhandled (${RUNS} runs)`, async () => {
    const started = performance.now();
    let maxHeld = 0;
    await fc.assert(
      fc.asyncProperty(transcript, requests, async (script, kinds) => {
        next = script;
        const box: { client?: NutClient } = {};
        let held = 0;
        const client = await NutClient.connect({
          host: '127.0.0.1',
          port,
          keepAliveIntervalMs: 0,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
          ...LIMITS,
          // Plain 'data' sockets: this listener, added first, sees the client's holdings after every chunk.
          createSocket: (target) => {
            const socket = net.createConnection(target);
            socket.on('data', () => {
              // After the client's own listener has taken the chunk.
              queueMicrotask(() => {
                held = Math.max(held, box.client?.heldReplyBytes ?? 0);
              });
            });
            return socket;
          },
        });
        box.client = client;
        const outcomes = await Promise.all(
          client.pipeline(() =>
            kinds.map((kind) => {
              let timer: NodeJS.Timeout | undefined;
              const hang = new Promise<never>((_resolve, reject) => {
                timer = setTimeout(
                  () => reject(new Error(`request ${kind} did not settle within ${HANG_MS} ms`)),
                  HANG_MS,
                );
              });
              return Promise.race([
                send(client, kind).then(
                  (value) => ({ value }),
                  (error: unknown) => ({ error }),
                ),
                hang,
              ]).finally(() => clearTimeout(timer));
            }),
          ),
        );
        held = Math.max(held, client.heldReplyBytes);
        maxHeld = Math.max(maxHeld, held);
        for (const outcome of outcomes) {
          if ('error' in outcome) expect(outcome.error).toBeInstanceOf(NutError);
          else if (typeof outcome.value === 'number')
            expect(outcome.value).toBeLessThanOrEqual(LIMITS.maxListItems);
        }
        expect(held).toBeLessThanOrEqual(LIMITS.maxLineLength + kinds.length * LIMITS.maxListBytes);
        await client.close();
        expect(client.isOpen).toBe(false);
      }),
      { numRuns: RUNS },
    );
    // Rejections of the last run surface on the next turns of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
    console.log(
      `transcript property: ${RUNS} runs in ${Math.round(performance.now() - started)} ms, most reply bytes held ${maxHeld}`,
    );
  }, 600_000);
});
