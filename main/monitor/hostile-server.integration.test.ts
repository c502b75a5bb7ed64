/**
 * A hostile or broken NUT server cannot exhaust memory or stall monitoring. Each case runs ONE
 * MonitorService with a UPS on the scripted fault server (misbehaving as named) and a UPS on a real
 * upsd, and asserts: a clear error for the hostile UPS, heap and RSS growth of this process under
 * 64 MiB, and the good UPS polled throughout (never without a fresh status for more than 1 s, comm
 * never lost). Figures are printed for the record.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../testing/net';
import { type FaultConnection, type FaultServer, startFaultServer } from '../testing/fault-server';
import { type Rig, startUpsdRig, stopWarmDrivers } from '../testing/upsd-rig';
import {
  HOSTILE_UPS,
  type TwoUps,
  type Watch,
  startTwoUps,
  upsdLookalike,
  watch,
} from './testing/hostile-harness';

const MIB = 1024 * 1024;
const MEMORY_BOUND = 64 * MIB;
/** Status every 250 ms: a gap of 1 s is four missed polls. */
const GOOD_GAP_BOUND_MS = 1_000;
const RUN_MS = 3_000;

let rig: Rig;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  rig = await startUpsdRig({ maxAge: 3 });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await rig?.stop();
  await stopWarmDrivers();
});

async function run(
  server: FaultServer,
  options: { tls?: boolean } = {},
): Promise<{ two: TwoUps; watched: Watch }> {
  const two = startTwoUps({
    hostile: {
      host: server.host,
      port: server.port,
      ...(options.tls ? { tls: { mode: 'required', insecure: true } } : {}),
    },
    rig,
  });
  cleanups.push(async () => {
    await two.stop();
    await server.close();
  });
  await waitFor(() => two.good().view.comm === 'ok', {
    timeoutMs: 10_000,
    description: 'the good UPS to be read',
  });
  const watched = watch(two);
  cleanups.push(() => Promise.resolve(watched.stop()));
  await sleep(RUN_MS);
  watched.stop();
  return { two, watched };
}

function expectHarmless(name: string, watched: Watch): void {
  console.log(
    `${name}: heap +${(watched.heapGrowth / MIB).toFixed(1)} MiB, RSS +${(watched.rssGrowth / MIB).toFixed(1)} MiB, good UPS longest gap ${watched.goodLongestGapMs} ms`,
  );
  expect(watched.heapGrowth).toBeLessThan(MEMORY_BOUND);
  expect(watched.rssGrowth).toBeLessThan(MEMORY_BOUND);
  expect(watched.goodCommLost).toBe(false);
  expect(watched.goodLongestGapMs).toBeLessThan(GOOD_GAP_BOUND_MS);
}

/** The full-poll failure events of the hostile UPS (the status connection is unaffected). */
function fullPollFailures(two: TwoUps): string[] {
  return two.hostileEvents('FULL_POLL_FAILED').map((e) => e.message);
}

async function streamItems(connection: FaultConnection, kind: string): Promise<void> {
  await connection.send(`BEGIN LIST ${kind} ${HOSTILE_UPS}`);
  for (let n = 0; !connection.closed;) {
    let chunk = '';
    while (chunk.length < 64 * 1024) chunk += `VAR ${HOSTILE_UPS} v${n++} "${'x'.repeat(40)}"\n`;
    await connection.write(chunk);
  }
}

describe('a hostile NUT server next to a good one (real upsd)', () => {
  it('endless LIST VAR: REPLY-TOO-LARGE on the poll connection; the hostile status keeps being read', async () => {
    const server = await startFaultServer(
      upsdLookalike((line, c) =>
        line === `LIST VAR ${HOSTILE_UPS}` ? streamItems(c, 'VAR').then(() => true) : false,
      ),
    );
    const { two, watched } = await run(server);
    expectHarmless('endless LIST', watched);
    expect(fullPollFailures(two).join('\n')).toMatch(
      /REPLY-TOO-LARGE.*more than 10000 items.*not a NUT server, or a broken one/,
    );
    expect(two.hostile().view.comm).toBe('ok');
    expect(Date.now() - (two.hostile().statusAt ?? 0)).toBeLessThan(GOOD_GAP_BOUND_MS);
  });

  it('slow-drip LIST VAR (an item every 100 ms, forever): REQUEST-TIMEOUT after one request timeout; status cadence kept', async () => {
    const statusReads: number[] = [];
    const server = await startFaultServer(
      upsdLookalike(async (line, c) => {
        if (line === `GET VAR ${HOSTILE_UPS} ups.status`) statusReads.push(Date.now());
        if (line !== `LIST VAR ${HOSTILE_UPS}`) return false;
        // Like upsd, the lines after it on this connection wait for this reply to finish.
        await c.send(`BEGIN LIST VAR ${HOSTILE_UPS}`);
        for (let n = 0; !c.closed; n++) {
          await c.send(`VAR ${HOSTILE_UPS} v${n} "1"`);
          await sleep(100);
        }
        return true;
      }),
    );
    const { two, watched } = await run(server);
    expectHarmless('slow-drip LIST', watched);
    expect(fullPollFailures(two).join('\n')).toMatch(
      /REQUEST-TIMEOUT.*whole reply must arrive within the timeout/,
    );
    // The hostile UPS's own status poll kept its 250 ms cadence while its full poll was stuck.
    const recent = statusReads.filter((at) => at >= Date.now() - RUN_MS);
    const gaps = recent.slice(1).map((at, i) => at - recent[i]!);
    expect(Math.max(...gaps), `status read gaps ${gaps.join(' ')}`).toBeLessThan(750);
    expect(two.hostile().view.comm).toBe('ok');
  });

  it('a line far over the limit (16 MiB without LF) as the status reply: LINE-TOO-LONG, comm lost, memory bounded', async () => {
    const server = await startFaultServer(
      upsdLookalike(async (line, c) => {
        if (line !== `GET VAR ${HOSTILE_UPS} ups.status`) return false;
        const block = Buffer.alloc(256 * 1024, 0x41);
        for (let i = 0; i < 64 && !c.closed; i++) await c.write(block);
        return true;
      }),
    );
    const { two, watched } = await run(server);
    expectHarmless('over-long line', watched);
    expect(two.hostile().monitorState.commState).toBe('lost');
    expect(two.hostile().lastError?.code).toBe('LINE-TOO-LONG');
  });

  it('100 000 tiny valid LIST CLIENT lines: REPLY-TOO-LARGE, memory bounded', async () => {
    const server = await startFaultServer(
      upsdLookalike(async (line, c) => {
        if (line !== `LIST CLIENT ${HOSTILE_UPS}`) return false;
        const lines = [`BEGIN LIST CLIENT ${HOSTILE_UPS}`];
        for (let i = 0; i < 100_000; i++) lines.push(`CLIENT ${HOSTILE_UPS} 10.0.0.1`);
        lines.push(`END LIST CLIENT ${HOSTILE_UPS}`);
        await c.send(...lines);
        return true;
      }),
    );
    const { two, watched } = await run(server);
    expectHarmless('100 000 lines', watched);
    expect(fullPollFailures(two).join('\n')).toMatch(/REPLY-TOO-LARGE.*more than 10000 items/);
    expect(two.hostile().view.comm).toBe('ok');
  });

  it('binary garbage as the status reply: a protocol error, comm lost', async () => {
    const server = await startFaultServer(
      upsdLookalike(async (line, c) => {
        if (line !== `GET VAR ${HOSTILE_UPS} ups.status`) return false;
        await c.write(randomBytes(512 * 1024));
        return true;
      }),
    );
    const { two, watched } = await run(server);
    expectHarmless('binary garbage', watched);
    expect(two.hostile().monitorState.commState).toBe('lost');
    expect(['UNEXPECTED-REPLY', 'UNSOLICITED-REPLY', 'LINE-TOO-LONG']).toContain(
      two.hostile().lastError?.code,
    );
  });

  it('a web server on the port: named as such, comm lost once, no DISCONNECTED at every retry', async () => {
    const server = await startFaultServer((_line, c) =>
      c.write('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'),
    );
    const { two, watched } = await run(server);
    expectHarmless('a web server', watched);
    // Retried about once a second all along (the fast reconnect policy), never established.
    expect(server.connections.length).toBeGreaterThanOrEqual(3);
    expect(two.hostile().monitorState.commState).toBe('lost');
    expect(two.hostile().lastError).toMatchObject({ code: 'UNEXPECTED-REPLY' });
    expect(two.hostile().lastError?.explanation).toMatch(
      /answered VER with "HTTP\/1\.1 400 Bad Request", which is not a NUT reply: a web server listens there, not upsd/,
    );
    expect(two.hostileEvents('COMMBAD')).toHaveLength(1);
    expect(two.hostileEvents('DISCONNECTED')).toEqual([]);
    expect(two.hostileEvents('CONNECTED')).toEqual([]);
  });

  it('unsolicited lines on every connection: UNSOLICITED-REPLY, comm lost', async () => {
    const server = await startFaultServer(upsdLookalike(), {
      onConnection: async (c) => {
        for (let i = 0; i < 1_000 && !c.closed; i++)
          await c.send(`VAR ${HOSTILE_UPS} ups.status "OL"`);
      },
    });
    const { two, watched } = await run(server);
    expectHarmless('unsolicited lines', watched);
    expect(two.hostile().monitorState.commState).toBe('lost');
    expect(two.hostile().lastError?.code).toBe('UNSOLICITED-REPLY');
  });

  it('a stall in the middle of STARTTLS (OK STARTTLS, then silence): TLS-HANDSHAKE-TIMEOUT, comm lost', async () => {
    // After OK STARTTLS it reads the ClientHello and never answers anything again.
    const stalled = new WeakSet<FaultConnection>();
    const server = await startFaultServer(
      upsdLookalike(async (line, c) => {
        if (stalled.has(c)) return true;
        if (line !== 'STARTTLS') return false;
        stalled.add(c);
        await c.send('OK STARTTLS');
        return true;
      }),
    );
    const { two, watched } = await run(server, { tls: true });
    expectHarmless('STARTTLS stall', watched);
    expect(two.hostile().monitorState.commState).toBe('lost');
    expect(two.hostile().lastError?.code).toBe('TLS-HANDSHAKE-TIMEOUT');
  });

  it('a peer that closes in the middle of a LIST reply: CONNECTION-CLOSED on the poll connection, retried with back-off', async () => {
    const server = await startFaultServer(
      upsdLookalike(async (line, c) => {
        if (line !== `LIST VAR ${HOSTILE_UPS}`) return false;
        await c.write(
          `BEGIN LIST VAR ${HOSTILE_UPS}\nVAR ${HOSTILE_UPS} a "1"\nVAR ${HOSTILE_UPS} b "`,
        );
        c.reset();
        return true;
      }),
    );
    const { two, watched } = await run(server);
    expectHarmless('close mid-reply', watched);
    expect(fullPollFailures(two).join('\n')).toMatch(/ECONNRESET|CONNECTION-CLOSED/);
    expect(two.hostile().view.comm).toBe('ok');
    // Back-off: fewer LIST VAR attempts than full-poll ticks (one per second).
    const attempts = server.received.filter((line) => line === `LIST VAR ${HOSTILE_UPS}`).length;
    expect(attempts).toBeLessThanOrEqual(3);
  });
});
