/**
 * NutClient against the scripted fault server (main/testing/fault-server.ts): the happy paths of
 * every command with upsd 2.8.0's verified replies (main/nut/README.md Appendix A), then the faults a
 * real upsd cannot produce. Real-upsd coverage lives in client.integration.test.ts.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startFaultServer,
  type FaultConnection,
  type FaultScript,
  type FaultServer,
} from '../testing/fault-server.js';
import { nutRejection } from '../testing/nut-rejection.js';
import { NutClient, type NutClientOptions } from './client.js';

const servers: FaultServer[] = [];
const clients: NutClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(
  script: FaultScript,
  onConnection?: (connection: FaultConnection) => void | Promise<void>,
): Promise<FaultServer> {
  const server = await startFaultServer(script, { onConnection });
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const PASSWORD = 'pa ss"q\\z#1';

/** A small upsd 2.8.0 look-alike with one UPS `dummy`, users checked on LOGIN only (like upsd). */
function fakeUpsd(overrides: Record<string, string | string[]> = {}): FaultScript {
  const table: Record<string, string | string[]> = {
    VER: 'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/',
    NETVER: '1.3',
    PROTVER: '1.3',
    HELP: 'Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS',
    'LIST UPS': [
      'BEGIN LIST UPS',
      'UPS dummy "Test UPS with \\"quotes\\" and spaces"',
      'UPS seq "Sequence UPS"',
      'END LIST UPS',
    ],
    'LIST VAR dummy': [
      'BEGIN LIST VAR dummy',
      'VAR dummy battery.charge "100"',
      'VAR dummy ups.mfr "Power Co"',
      'VAR dummy ups.status "OL"',
      'END LIST VAR dummy',
    ],
    'LIST RW dummy': ['BEGIN LIST RW dummy', 'RW dummy ups.id "abc"', 'END LIST RW dummy'],
    'LIST CMD dummy': [
      'BEGIN LIST CMD dummy',
      'CMD dummy load.off',
      'CMD dummy beeper.toggle',
      'END LIST CMD dummy',
    ],
    'LIST ENUM dummy ups.id': ['BEGIN LIST ENUM dummy ups.id', 'END LIST ENUM dummy ups.id'],
    'LIST ENUM dummy input.transfer.low': [
      'BEGIN LIST ENUM dummy input.transfer.low',
      'ENUM dummy input.transfer.low "88"',
      'ENUM dummy input.transfer.low "92"',
      'END LIST ENUM dummy input.transfer.low',
    ],
    'LIST RANGE dummy battery.charge.low': [
      'BEGIN LIST RANGE dummy battery.charge.low',
      'RANGE dummy battery.charge.low "5" "40"',
      'END LIST RANGE dummy battery.charge.low',
    ],
    'LIST CLIENT dummy': [
      'BEGIN LIST CLIENT dummy',
      'CLIENT dummy 127.0.0.1',
      'CLIENT dummy 192.168.1.20',
      'END LIST CLIENT dummy',
    ],
    'LIST VAR nosuch': 'ERR UNKNOWN-UPS',
    'GET VAR dummy ups.status': 'VAR dummy ups.status "OL"',
    'GET VAR dummy ups.mfr': 'VAR dummy ups.mfr "Power Co"',
    'GET VAR nosuch ups.status': 'ERR UNKNOWN-UPS',
    'GET VAR dummy nosuch.var': 'ERR VAR-NOT-SUPPORTED',
    'GET TYPE dummy ups.id': 'TYPE dummy ups.id RW STRING:16',
    'GET TYPE dummy battery.charge': 'TYPE dummy battery.charge RW NUMBER',
    'GET TYPE dummy input.transfer.low': 'TYPE dummy input.transfer.low RW ENUM NUMBER',
    'GET TYPE dummy old.style': 'TYPE dummy old.style ENUM',
    'GET DESC dummy ups.status': 'DESC dummy ups.status "UPS status"',
    'GET DESC dummy odd': 'DESC dummy odd "The "odd" one"',
    'GET CMDDESC dummy load.off': 'CMDDESC dummy load.off "Turn off the load immediately"',
    'GET UPSDESC dummy': 'UPSDESC dummy "Test UPS with \\"quotes\\" and spaces"',
    'GET NUMLOGINS dummy': 'NUMLOGINS dummy 2',
    'GET TRACKING': 'OFF',
    ...overrides,
  };
  let username: string | undefined;
  let password: string | undefined;
  let tracking = false;
  return async (line, connection) => {
    const reply = (...lines: string[]): Promise<void> => connection.send(...lines);
    if (Object.hasOwn(table, line)) {
      const value = table[line]!;
      return reply(...(typeof value === 'string' ? [value] : value));
    }
    const [verb, ...args] = line.split(' ');
    switch (verb) {
      case 'USERNAME':
        username = args.join(' ');
        return reply('OK');
      case 'PASSWORD':
        password = line.slice('PASSWORD '.length);
        return reply('OK');
      case 'LOGIN':
      case 'PRIMARY':
      case 'MASTER':
      case 'FSD': {
        if (username === undefined) return reply('ERR USERNAME-REQUIRED');
        if (password === undefined) return reply('ERR PASSWORD-REQUIRED');
        if (args[0] !== 'dummy') return reply('ERR UNKNOWN-UPS');
        if (password !== '"pa ss\\"q\\\\z\\#1"') return reply('ERR ACCESS-DENIED');
        return reply(
          verb === 'LOGIN' ? 'OK' : verb === 'FSD' ? 'OK FSD-SET' : `OK ${verb}-GRANTED`,
        );
      }
      case 'LOGOUT':
        await reply('OK Goodbye');
        return void connection.end();
      case 'SET':
        if (args[0] === 'TRACKING') {
          tracking = args[1] === 'ON';
          return reply('OK');
        }
        return reply(tracking ? 'OK TRACKING 2DDC5036-F665-4D29-BE4C-0374D091D263' : 'OK');
      case 'INSTCMD':
        return reply(tracking ? 'OK TRACKING 11111111-2222-4333-8444-555555555555' : 'OK');
      default:
        return reply('ERR UNKNOWN-COMMAND');
    }
  };
}

describe('NutClient commands (happy paths)', () => {
  it('VER, NETVER, PROTVER, HELP', async () => {
    const client = await connect(await serve(fakeUpsd()));
    expect(await client.ver()).toBe(
      'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/',
    );
    expect(await client.netVer()).toBe('1.3');
    expect(await client.protVer()).toBe('1.3');
    expect(await client.help()).toMatch(/^Commands: HELP VER/);
  });

  it('capabilities of upsd 2.8.0', async () => {
    const client = await connect(await serve(fakeUpsd()));
    expect(await client.capabilities()).toEqual({
      netVer: '1.3',
      protVer: '1.3',
      serverVersion: 'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/',
      isSynology: false,
      supportsPrimary: true,
      supportsTracking: true,
      supportsListClient: true,
    });
  });

  it('capabilities of a Synology DSM server (NETVER 1.2, no PROTVER)', async () => {
    const server = await serve(
      fakeUpsd({
        VER: 'Network UPS Tools upsd DSM7-2-60108-221130 - http://www.networkupstools.org/',
        NETVER: '1.2',
        PROTVER: 'ERR UNKNOWN-COMMAND',
      }),
    );
    const client = await connect(server);
    const capabilities = await client.capabilities();
    expect(capabilities).toMatchObject({
      netVer: '1.2',
      protVer: undefined,
      isSynology: true,
      supportsPrimary: false,
      supportsTracking: false,
      supportsListClient: true,
    });
    // Cached: asking again sends nothing.
    const sent = server.received.length;
    await client.capabilities();
    expect(server.received.length).toBe(sent);
  });

  it('LIST UPS / VAR / RW / CMD / ENUM / RANGE / CLIENT', async () => {
    const client = await connect(await serve(fakeUpsd()));
    expect(await client.listUps()).toEqual([
      { name: 'dummy', description: 'Test UPS with "quotes" and spaces' },
      { name: 'seq', description: 'Sequence UPS' },
    ]);
    const vars = await client.listVar('dummy');
    expect([...vars]).toEqual([
      ['battery.charge', '100'],
      ['ups.mfr', 'Power Co'],
      ['ups.status', 'OL'],
    ]);
    expect(await client.listRw('dummy')).toEqual(new Map([['ups.id', 'abc']]));
    expect(await client.listCmd('dummy')).toEqual(['load.off', 'beeper.toggle']);
    expect(await client.listEnum('dummy', 'ups.id')).toEqual([]);
    expect(await client.listEnum('dummy', 'input.transfer.low')).toEqual(['88', '92']);
    expect(await client.listRange('dummy', 'battery.charge.low')).toEqual([{ min: 5, max: 40 }]);
    expect(await client.listClient('dummy')).toEqual(['127.0.0.1', '192.168.1.20']);
  });

  it('GET VAR / TYPE / DESC / CMDDESC / UPSDESC / NUMLOGINS', async () => {
    const client = await connect(await serve(fakeUpsd()));
    expect(await client.getVar('dummy', 'ups.status')).toBe('OL');
    expect(await client.getType('dummy', 'ups.id')).toEqual({
      rw: true,
      enum: false,
      range: false,
      kind: 'STRING',
      maxLength: 16,
      flags: ['RW', 'STRING:16'],
    });
    expect(await client.getType('dummy', 'battery.charge')).toMatchObject({
      rw: true,
      kind: 'NUMBER',
    });
    expect(await client.getType('dummy', 'input.transfer.low')).toMatchObject({
      rw: true,
      enum: true,
      kind: 'NUMBER',
    });
    expect(await client.getType('dummy', 'old.style')).toMatchObject({
      rw: false,
      enum: true,
      kind: 'UNKNOWN',
    });
    expect(await client.getDesc('dummy', 'ups.status')).toBe('UPS status');
    // upsd emits DESC texts unescaped; the raw text between the outer quotes is recovered.
    expect(await client.getDesc('dummy', 'odd')).toBe('The "odd" one');
    expect(await client.getCmdDesc('dummy', 'load.off')).toBe('Turn off the load immediately');
    expect(await client.getUpsDesc('dummy')).toBe('Test UPS with "quotes" and spaces');
    expect(await client.getNumLogins('dummy')).toBe(2);
    expect(await client.getTrackingMode()).toBe('OFF');
  });

  it('server errors keep the connection usable', async () => {
    const client = await connect(await serve(fakeUpsd()));
    const error = await nutRejection(client.getVar('dummy', 'nosuch.var'));
    expect(error).toMatchObject({
      kind: 'server',
      code: 'VAR-NOT-SUPPORTED',
      command: 'GET VAR dummy nosuch.var',
      context: { ups: 'dummy' },
    });
    expect(client.isOpen).toBe(true);
    expect(await client.getVar('dummy', 'ups.status')).toBe('OL');
  });

  it('UNKNOWN-UPS lists the UPS names the server does have', async () => {
    const client = await connect(await serve(fakeUpsd()));
    const error = await nutRejection(client.getVar('nosuch', 'ups.status'));
    expect(error.code).toBe('UNKNOWN-UPS');
    expect(error.availableUps).toEqual(['dummy', 'seq']);
    expect(error.explanation).toContain('The server has: dummy, seq.');
    const listError = await nutRejection(client.listVar('nosuch'));
    expect(listError.availableUps).toEqual(['dummy', 'seq']);
  });

  it('authenticate sends USERNAME and an always-quoted PASSWORD; LOGIN, PRIMARY, FSD', async () => {
    const server = await serve(fakeUpsd());
    const client = await connect(server);
    await client.authenticate('monuser', PASSWORD);
    await client.login('dummy');
    expect(client.loggedInUps).toBe('dummy');
    expect(await client.primary('dummy')).toBe('PRIMARY');
    await client.fsd('dummy');
    expect(server.received).toEqual([
      'USERNAME monuser',
      'PASSWORD "pa ss\\"q\\\\z\\#1"',
      'LOGIN dummy',
      'PRIMARY dummy',
      'FSD dummy',
    ]);
  });

  it('authenticate with an empty user name sends nothing (Synology rejects an empty USERNAME)', async () => {
    const server = await serve(fakeUpsd());
    const client = await connect(server);
    await client.authenticate('', 'ignored');
    const error = await nutRejection(client.login('dummy'));
    expect(error.code).toBe('USERNAME-REQUIRED');
    expect(server.received).toEqual(['LOGIN dummy']);
  });

  it('a wrong password is reported at LOGIN, with the password nowhere in the error', async () => {
    const client = await connect(await serve(fakeUpsd()));
    const secretPassword = 'hunter2-secret';
    await client.authenticate('monuser', secretPassword);
    const error = await nutRejection(client.login('dummy'));
    expect(error.code).toBe('ACCESS-DENIED');
    expect(error.fix).toMatch(/Permitted DiskStation devices/);
    expect(JSON.stringify(error.toJSON()) + error.message + error.stack).not.toContain(
      secretPassword,
    );
  });

  it('a password with characters upsd would drop is refused before anything is sent', async () => {
    const server = await serve(fakeUpsd());
    const client = await connect(server);
    const error = await nutRejection(client.authenticate('monuser', 'pässword'));
    expect(error.kind).toBe('argument');
    expect(error.message).not.toContain('pässword');
    expect(server.received).toEqual([]);
    expect(client.isOpen).toBe(true);
  });

  it('PRIMARY falls back to MASTER on old servers', async () => {
    const server = await serve(fakeUpsd({ 'PRIMARY dummy': 'ERR UNKNOWN-COMMAND' }));
    const client = await connect(server);
    await client.authenticate('monuser', PASSWORD);
    expect(await client.primary('dummy')).toBe('MASTER');
    expect(server.received.slice(-2)).toEqual(['PRIMARY dummy', 'MASTER dummy']);
  });

  it('PRIMARY and MASTER both denied → the MASTER error', async () => {
    const client = await connect(await serve(fakeUpsd()));
    await client.authenticate('monuser', 'wrong');
    const error = await nutRejection(client.primary('dummy'));
    expect(error).toMatchObject({ code: 'ACCESS-DENIED', command: 'MASTER dummy' });
  });

  it('SET VAR with waitForResult turns TRACKING on once and polls GET TRACKING until done', async () => {
    let polls = 0;
    const base = fakeUpsd();
    const server = await serve(async (line, connection) => {
      if (line.startsWith('GET TRACKING 2DDC5036')) {
        polls++;
        return connection.send(polls < 3 ? 'PENDING' : 'SUCCESS');
      }
      return base(line, connection);
    });
    const client = await connect(server);
    await client.authenticate('admin', PASSWORD);
    const result = await client.setVar('dummy', 'ups.id', 'my id', {
      waitForResult: true,
      pollIntervalMs: 20,
    });
    expect(result).toEqual({
      trackingId: '2DDC5036-F665-4D29-BE4C-0374D091D263',
      result: 'SUCCESS',
    });
    await client.setVar('dummy', 'ups.id', 'again', { waitForResult: true, pollIntervalMs: 20 });
    expect(server.received.filter((line) => line === 'SET TRACKING ON')).toHaveLength(1);
    expect(server.received).toContain('SET VAR dummy ups.id "my id"');
  });

  it('a tracking result that never leaves PENDING ends as PENDING after timeoutMs', async () => {
    const base = fakeUpsd();
    const server = await serve((line, connection) =>
      line.startsWith('GET TRACKING 1111') ? connection.send('PENDING') : base(line, connection),
    );
    const client = await connect(server);
    await client.authenticate('admin', PASSWORD);
    const started = performance.now();
    const result = await client.instCmd('dummy', 'load.off', undefined, {
      waitForResult: true,
      timeoutMs: 150,
      pollIntervalMs: 20,
    });
    expect(result).toEqual({
      trackingId: '11111111-2222-4333-8444-555555555555',
      result: 'PENDING',
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('INSTCMD with a quoted param, driver error as a result, and no waiting without waitForResult', async () => {
    const base = fakeUpsd();
    const server = await serve((line, connection) =>
      line.startsWith('GET TRACKING 1111')
        ? connection.send('ERR UNKNOWN')
        : base(line, connection),
    );
    const client = await connect(server);
    await client.authenticate('admin', PASSWORD);
    expect(await client.instCmd('dummy', 'beeper.toggle')).toEqual({
      trackingId: undefined,
      result: undefined,
    });
    expect(await client.instCmd('dummy', 'load.off', '10 s', { waitForResult: true })).toEqual({
      trackingId: '11111111-2222-4333-8444-555555555555',
      result: { error: 'UNKNOWN' },
    });
    expect(server.received).toContain('INSTCMD dummy beeper.toggle');
    expect(server.received).toContain('INSTCMD dummy load.off "10 s"');
  });

  it('getTracking throws for FEATURE-NOT-CONFIGURED (tracking off on this connection)', async () => {
    const client = await connect(
      await serve(fakeUpsd({ 'GET TRACKING 1234': 'ERR FEATURE-NOT-CONFIGURED' })),
    );
    const error = await nutRejection(client.getTracking('1234'));
    expect(error.code).toBe('FEATURE-NOT-CONFIGURED');
    expect(error.fix).toMatch(/SET TRACKING ON/);
  });

  it('the command() escape hatch', async () => {
    const client = await connect(await serve(fakeUpsd()));
    expect(await client.command(['GET', 'VAR', 'dummy', 'ups.mfr'])).toEqual([
      'VAR',
      'dummy',
      'ups.mfr',
      'Power Co',
    ]);
    expect((await nutRejection(client.command(['BOGUS']))).code).toBe('UNKNOWN-COMMAND');
  });

  it('exposes the addresses of both ends', async () => {
    const client = await connect(await serve(fakeUpsd()));
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(client.localAddress).toBe('127.0.0.1');
    expect(client.localPort).toBeGreaterThan(0);
    expect(client.tlsActive).toBe(false);
  });
});

describe('NutClient closing', () => {
  it('logout sends LOGOUT, accepts OK Goodbye and closes its side', async () => {
    const server = await serve(fakeUpsd());
    const client = await connect(server);
    const closed: unknown[] = [];
    client.on('close', (cause) => closed.push(cause));
    await client.logout();
    expect(client.isOpen).toBe(false);
    expect(closed).toEqual([undefined]);
    expect(await client.whenClosed()).toBeUndefined();
    await server.connections[0]!.whenClosed();
    expect((await nutRejection(client.ver())).code).toBe('CLOSED-BY-CLIENT');
  });

  it('accepts the Goodbye... of very old servers', async () => {
    const client = await connect(
      await serve((line, connection) =>
        connection.send(line === 'LOGOUT' ? 'Goodbye...' : 'ERR UNKNOWN-COMMAND'),
      ),
    );
    await client.logout();
    expect(client.isOpen).toBe(false);
  });

  it('close() sends LOGOUT when logged in, and is idempotent', async () => {
    const server = await serve(fakeUpsd());
    const client = await connect(server);
    await client.authenticate('monuser', PASSWORD);
    await client.login('dummy');
    await Promise.all([client.close(), client.close()]);
    await client.close();
    expect(server.received.filter((line) => line === 'LOGOUT')).toHaveLength(1);
    expect(server.received.at(-1)).toBe('LOGOUT');
    await server.connections[0]!.whenClosed();
  });

  it('close() without LOGIN sends nothing and rejects requests still pending', async () => {
    const server = await serve(() => undefined);
    const client = await connect(server);
    const pending = client.ver();
    await server.waitForLines(1);
    await client.close();
    expect((await nutRejection(pending)).code).toBe('CLOSED-BY-CLIENT');
    expect(server.received).toEqual(['VER']);
    await server.connections[0]!.whenClosed();
  });

  it('reports the server closing an idle connection (upsd 60 s idle timeout)', async () => {
    const server = await serve(fakeUpsd());
    const client = await connect(server);
    await client.ver();
    await server.connections[0]!.end();
    const cause = await client.whenClosed();
    expect(cause).toMatchObject({ kind: 'closed', code: 'CONNECTION-CLOSED' });
    expect(cause?.explanation).toMatch(/60 s/);
  });
});

describe('NutClient faults', () => {
  it('a malformed reply (wrong shape) closes the connection with a protocol error', async () => {
    const client = await connect(
      await serve((_line, connection) => connection.send('NUMLOGINS dummy 1')),
    );
    const error = await nutRejection(client.getVar('dummy', 'ups.status'));
    expect(error).toMatchObject({
      kind: 'protocol',
      code: 'UNEXPECTED-REPLY',
      command: 'GET VAR dummy ups.status',
    });
    expect(error.explanation).toContain('NUMLOGINS dummy 1');
    expect(client.isOpen).toBe(false);
    expect((await client.whenClosed())?.code).toBe('UNEXPECTED-REPLY');
  });

  it('a web server on the port is named as such, whatever was asked', async () => {
    const server = await serve((_line, connection) =>
      connection.write('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'),
    );
    for (const [ask, command] of [
      [(client: NutClient) => client.getVar('dummy', 'ups.status'), 'GET VAR dummy ups.status'],
      [(client: NutClient) => client.listUps(), 'LIST UPS'],
    ] as const) {
      const client = await connect(server, { tls: { mode: 'off' } });
      const error = await nutRejection(ask(client));
      expect(error).toMatchObject({ kind: 'protocol', code: 'UNEXPECTED-REPLY', command });
      expect(error.explanation).toBe(
        `${server.host}:${server.port} answered ${command} with "HTTP/1.1 400 Bad Request", which is not a NUT reply: a web server listens there, not upsd.`,
      );
      expect(error.fix).toContain('the port of a web interface is not the NUT port');
      expect((await client.whenClosed())?.code).toBe('UNEXPECTED-REPLY');
    }
  });

  it('garbage inside a LIST closes the connection with a protocol error', async () => {
    const client = await connect(
      await serve((_line, connection) =>
        connection.send(
          'BEGIN LIST VAR dummy',
          'VAR dummy a "1"',
          '%%garbage%%',
          'END LIST VAR dummy',
        ),
      ),
    );
    const error = await nutRejection(client.listVar('dummy'));
    expect(error).toMatchObject({ kind: 'protocol', code: 'UNEXPECTED-REPLY' });
    expect(error.explanation).toContain('%%garbage%%');
    expect(client.isOpen).toBe(false);
  });

  it('an over-long line is refused as soon as it passes the limit, even without LF', async () => {
    const server = await serve((_line, connection) =>
      connection.write('VAR dummy x "' + 'A'.repeat(6000)),
    );
    const client = await connect(server);
    const error = await nutRejection(client.getVar('dummy', 'x'));
    expect(error).toMatchObject({ kind: 'protocol', code: 'LINE-TOO-LONG' });
    expect(error.explanation).toContain('4096');
  });

  it('honours a custom maxLineLength', async () => {
    const client = await connect(
      await serve((_line, connection) => connection.send('VAR dummy x "' + 'A'.repeat(100) + '"')),
      { maxLineLength: 64 },
    );
    expect((await nutRejection(client.getVar('dummy', 'x'))).code).toBe('LINE-TOO-LONG');
  });

  it('a reply that never comes: kind timeout, every pending request rejected, connection closed', async () => {
    const server = await serve(() => undefined);
    const client = await connect(server, { requestTimeoutMs: 150 });
    const closeCauses: unknown[] = [];
    client.on('close', (cause) => closeCauses.push(cause));
    const first = client.getVar('dummy', 'ups.status');
    const second = client.listUps();
    const [firstError, secondError] = await Promise.all([
      nutRejection(first),
      nutRejection(second),
    ]);
    expect(firstError).toMatchObject({
      kind: 'timeout',
      code: 'REQUEST-TIMEOUT',
      command: 'GET VAR dummy ups.status',
    });
    expect(secondError).toMatchObject({ kind: 'timeout', command: 'LIST UPS' });
    expect(client.isOpen).toBe(false);
    expect(closeCauses).toHaveLength(1);
    await server.connections[0]!.whenClosed();
  });

  it('a LIST cut off mid-way then closed rejects (no hang)', async () => {
    const client = await connect(
      await serve(async (_line, connection) => {
        await connection.write('BEGIN LIST VAR dummy\nVAR dummy a "1"\nVAR dummy b "2"\nVAR dum');
        await connection.end();
      }),
    );
    const error = await nutRejection(client.listVar('dummy'));
    expect(error).toMatchObject({
      kind: 'closed',
      code: 'CONNECTION-CLOSED',
      command: 'LIST VAR dummy',
    });
    expect(error.explanation).toMatch(/LIST reply \(2 item\(s\) received\)/);
    expect(error.explanation).toMatch(/middle of a line/);
  });

  it('a LIST that stalls mid-way times out', async () => {
    const client = await connect(
      await serve((_line, connection) =>
        connection.send('BEGIN LIST VAR dummy', 'VAR dummy a "1"'),
      ),
      { requestTimeoutMs: 150 },
    );
    const error = await nutRejection(client.listVar('dummy'));
    expect(error).toMatchObject({ kind: 'timeout', code: 'REQUEST-TIMEOUT' });
    expect(error.explanation).toContain('1 item(s) received');
  });

  it('non-ASCII bytes are dropped like upsd does, with a warning, and the connection survives', async () => {
    const server = await serve(async (line, connection) => {
      if (line === 'GET VAR dummy ups.mfr')
        await connection.write(
          Buffer.concat([
            Buffer.from('VAR dummy ups.mfr "M'),
            Buffer.from([0xc3, 0xbc, 0x00]),
            Buffer.from('ller"\n'),
          ]),
        );
      else await connection.send('1.3');
    });
    const client = await connect(server);
    const warnings: string[] = [];
    client.on('warning', (message) => warnings.push(message));
    expect(await client.getVar('dummy', 'ups.mfr')).toBe('Mller');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/3 byte\(s\) outside printable ASCII/);
    expect(await client.netVer()).toBe('1.3');
  });

  it('slow byte-by-byte replies are parsed correctly', async () => {
    const list = 'BEGIN LIST UPS\r\nUPS dummy "Slow \\"one\\""\nEND LIST UPS\n';
    const server = await serve((line, connection) =>
      line === 'LIST UPS'
        ? connection.writeSlowly(list, 2)
        : connection.writeSlowly('VAR dummy ups.status "OB LB"\n', 2),
    );
    const client = await connect(server, { requestTimeoutMs: 2000 });
    expect(await client.getVar('dummy', 'ups.status')).toBe('OB LB');
    expect(await client.listUps()).toEqual([{ name: 'dummy', description: 'Slow "one"' }]);
  });

  it('connection reset mid-request → kind reset', async () => {
    const client = await connect(await serve((_line, connection) => connection.reset()));
    const error = await nutRejection(client.getVar('dummy', 'ups.status'));
    expect(error.kind).toBe('reset');
    expect(error.code).toBe('ECONNRESET');
    expect(error.command).toBe('GET VAR dummy ups.status');
  });

  it('connection closed mid-request → kind closed', async () => {
    const client = await connect(await serve((_line, connection) => connection.end()));
    const error = await nutRejection(client.getVar('dummy', 'ups.status'));
    expect(error).toMatchObject({ kind: 'closed', code: 'CONNECTION-CLOSED' });
    expect(error.explanation).toMatch(/before answering/);
  });

  it('pipelined requests are resolved in order', async () => {
    const lines: string[] = [];
    const server = await serve(async (line, connection) => {
      lines.push(line);
      if (lines.length < 4) return;
      // All four arrived before any answer: reply in one burst, as upsd may.
      await connection.write(
        [
          'VAR dummy a "1"',
          'BEGIN LIST CMD dummy',
          'CMD dummy x',
          'END LIST CMD dummy',
          'ERR VAR-NOT-SUPPORTED',
          'VAR dummy d "4"',
        ].join('\n') + '\n',
      );
    });
    const client = await connect(server);
    const results = await Promise.allSettled([
      client.getVar('dummy', 'a'),
      client.listCmd('dummy'),
      client.getVar('dummy', 'c'),
      client.getVar('dummy', 'd'),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: '1' });
    expect(results[1]).toEqual({ status: 'fulfilled', value: ['x'] });
    expect(results[2]).toMatchObject({
      status: 'rejected',
      reason: { code: 'VAR-NOT-SUPPORTED', command: 'GET VAR dummy c' },
    });
    expect(results[3]).toEqual({ status: 'fulfilled', value: '4' });
    expect(lines).toEqual([
      'GET VAR dummy a',
      'LIST CMD dummy',
      'GET VAR dummy c',
      'GET VAR dummy d',
    ]);
  });

  it('pipeline() hands the socket all its requests as one write', async () => {
    const server = await serve(fakeUpsd());
    // Writable's extension points: one call per write reaching the socket (_writev: several chunks at once).
    const writes: string[][] = [];
    const client = await connect(server, {
      createSocket: (target) => {
        const socket = net.createConnection(target);
        const writable = socket as unknown as {
          _write: (chunk: Buffer, ...rest: unknown[]) => void;
          _writev: (chunks: { chunk: Buffer }[], ...rest: unknown[]) => void;
        };
        const write = writable._write.bind(socket);
        const writev = writable._writev.bind(socket);
        writable._write = (chunk, ...rest) => (writes.push([String(chunk)]), write(chunk, ...rest));
        writable._writev = (chunks, ...rest) => (
          writes.push(chunks.map((c) => String(c.chunk))),
          writev(chunks, ...rest)
        );
        return socket;
      },
    });
    const results = await client.pipeline(() =>
      Promise.all([
        client.getVar('dummy', 'ups.status'),
        client.getNumLogins('dummy'),
        client.getVar('dummy', 'ups.mfr'),
      ]),
    );
    expect(results).toEqual(['OL', 2, 'Power Co']);
    expect(writes).toEqual([
      ['GET VAR dummy ups.status\n', 'GET NUMLOGINS dummy\n', 'GET VAR dummy ups.mfr\n'],
    ]);
  });

  it('two connections with half-received lines do not disturb each other (shared read buffer)', async () => {
    // Connection 1 gets half a line, then connection 2 a whole reply, then 1 the rest.
    const halves = new Map<number, () => Promise<void>>();
    const server = await serve(async (_line, connection) => {
      if (connection.id === 1) {
        await connection.write('VAR dummy ups.status "O');
        halves.set(1, () => connection.write('B LB"\n'));
      } else {
        await connection.send('VAR dummy ups.status "OL CHRG"');
      }
    });
    const first = await connect(server);
    const second = await connect(server);
    const firstReply = first.getVar('dummy', 'ups.status');
    await server.waitForLines(1);
    await sleep(50);
    expect(await second.getVar('dummy', 'ups.status')).toBe('OL CHRG');
    await halves.get(1)!();
    expect(await firstReply).toBe('OB LB');
  });

  it('an ERR in place of BEGIN LIST rejects that LIST only', async () => {
    const client = await connect(await serve(fakeUpsd({ 'LIST VAR dummy': 'ERR DATA-STALE' })));
    const error = await nutRejection(client.listVar('dummy'));
    expect(error).toMatchObject({ kind: 'server', code: 'DATA-STALE', command: 'LIST VAR dummy' });
    expect(error.explanation).toMatch(/lost contact with its UPS/);
    expect(client.isOpen).toBe(true);
    expect(await client.netVer()).toBe('1.3');
  });

  it('an unsolicited line closes the connection with a protocol error', async () => {
    const server = await serve(fakeUpsd(), (connection) => connection.send('OK'));
    const client = await NutClient.connect({
      host: server.host,
      port: server.port,
      keepAliveIntervalMs: 0,
    });
    clients.push(client);
    const cause = await client.whenClosed();
    expect(cause).toMatchObject({ kind: 'protocol', code: 'UNSOLICITED-REPLY' });
    expect((await nutRejection(client.ver())).code).toBe('UNSOLICITED-REPLY');
  });

  it('an extra reply line after a single-line reply closes the connection', async () => {
    const client = await connect(
      await serve((_line, connection) => connection.send('1.3', 'surprise')),
    );
    expect(await client.netVer()).toBe('1.3');
    expect((await client.whenClosed())?.code).toBe('UNSOLICITED-REPLY');
  });

  it('connect refused on this machine → kind refused: upsd is not running here', async () => {
    const port = await closedPort();
    const error = await nutRejection(NutClient.connect({ host: '127.0.0.1', port }));
    expect(error).toMatchObject({
      kind: 'refused',
      code: 'ECONNREFUSED',
      context: { host: '127.0.0.1', port },
    });
    expect(error.explanation).toMatch(/which is this machine: upsd is not running here/);
  });

  it('connect timeout → kind timeout, explaining a firewall', async () => {
    let created: net.Socket | undefined;
    const started = performance.now();
    const error = await nutRejection(
      NutClient.connect({
        host: 'nas.invalid',
        port: 3493,
        connectTimeoutMs: 100,
        // A socket that never connects: exactly what a firewall dropping SYNs looks like.
        createSocket: () => (created = new net.Socket()),
      }),
    );
    expect(error).toMatchObject({ kind: 'timeout', code: 'CONNECT-TIMEOUT' });
    expect(error.explanation).toMatch(/firewall/);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(created?.destroyed).toBe(true);
  });

  it('invalid options are refused before connecting', async () => {
    expect((await nutRejection(NutClient.connect({ host: '' }))).code).toBe('INVALID-OPTION');
    expect((await nutRejection(NutClient.connect({ host: 'x', port: 70000 }))).code).toBe(
      'INVALID-OPTION',
    );
    expect(
      (
        await nutRejection(
          NutClient.connect({ host: 'x', tls: { mode: 'required', fingerprint256: 'abc' } }),
        )
      ).code,
    ).toBe('INVALID-OPTION');
  });

  it('a timeout during PASSWORD never reveals the password', async () => {
    const client = await connect(
      await serve((line, connection) =>
        line.startsWith('USERNAME') ? connection.send('OK') : undefined,
      ),
      { requestTimeoutMs: 300 },
    );
    const error = await nutRejection(client.authenticate('monuser', 'TopSecret123'));
    expect(error.kind).toBe('timeout');
    expect(error.command).toBe('PASSWORD [REDACTED]');
    expect(JSON.stringify(error.toJSON()) + error.message).not.toContain('TopSecret123');
  });
});

describe('NutClient keep-alive', () => {
  it('sends VER after an idle interval, and not while requests keep the connection busy', async () => {
    const server = await serve(fakeUpsd());
    const client = await connect(server, { keepAliveIntervalMs: 500 });
    for (let round = 0; round < 6; round++) {
      await client.getVar('dummy', 'ups.status');
      await sleep(100);
    }
    expect(server.received).not.toContain('VER');
    await server.waitForLines(7);
    expect(server.received.at(-1)).toBe('VER');
    expect(client.isOpen).toBe(true);
  });

  it('a keep-alive without answer closes the connection (dead peer detection)', async () => {
    const server = await serve(() => undefined);
    const client = await connect(server, { keepAliveIntervalMs: 50, requestTimeoutMs: 100 });
    const cause = await client.whenClosed();
    expect(cause).toMatchObject({ kind: 'timeout', command: 'VER' });
  });
});

/** A port on 127.0.0.1 where nothing listens (listen, note the port, close). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
