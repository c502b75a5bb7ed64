import { describe, expect, it } from 'vitest';
import {
  NUT_ERR_CODES,
  NutError,
  describeErrCode,
  hasServerCode,
  isKnownErrCode,
  serverError,
  socketError,
} from './errors.js';

const context = { host: 'nas.local', port: 3493 };

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 192.0.2.1:3493`), { code });
}

describe('ERR codes (main/nut/README.md §1.6)', () => {
  it('has a specific explanation and fix for every code upsd defines', () => {
    const generic = describeErrCode('NO-SUCH-CODE');
    expect(NUT_ERR_CODES).toHaveLength(30);
    for (const code of NUT_ERR_CODES) {
      expect(isKnownErrCode(code)).toBe(true);
      const { explanation, fix } = describeErrCode(code);
      expect(explanation.length, code).toBeGreaterThan(20);
      expect(fix.length, code).toBeGreaterThan(10);
      expect(explanation).not.toBe(generic.explanation);
    }
  });

  it('explains ACCESS-DENIED with password, upsd.users rights and the Synology permitted devices', () => {
    const { explanation, fix } = describeErrCode('ACCESS-DENIED', {
      command: 'LOGIN ups',
      rightsWords: 'primary-secondary',
    });
    expect(explanation).toMatch(/password/);
    expect(fix).toMatch(/upsd\.users/);
    expect(fix).toMatch(/`upsmon secondary`/);
    expect(fix).toMatch(/Permitted DiskStation devices/);
    expect(fix).toMatch(/Hardware & Power/);
  });

  it('names only the right the refused command needs, not every right', () => {
    const login = describeErrCode('ACCESS-DENIED', { command: 'LOGIN ups' }).fix;
    expect(login).toContain('for LOGIN');
    expect(login).not.toMatch(/FSD|INSTCMD|actions = SET/);
    const set = describeErrCode('ACCESS-DENIED', { command: 'SET VAR ups x 1' }).fix;
    expect(set).toContain('`actions = SET`');
    expect(set).not.toMatch(/upsmon/);
    const fsd = describeErrCode('ACCESS-DENIED', {
      command: 'FSD ups',
      rightsWords: 'primary-secondary',
    }).fix;
    expect(fsd).toContain('`upsmon primary` or `actions = FSD`');
    const instcmd = describeErrCode('INVALID-PASSWORD', { command: 'INSTCMD ups beeper.mute' }).fix;
    expect(instcmd).toContain('`instcmds = <command>`');
  });

  it('uses the words a pre-2.8 server understands, also while the server is unknown', () => {
    const old = describeErrCode('ACCESS-DENIED', {
      command: 'LOGIN ups',
      rightsWords: 'master-slave',
    });
    expect(old.fix).toContain('`upsmon slave` (or `upsmon master`)');
    expect(old.fix).not.toMatch(/secondary|primary/);
    const unknown = describeErrCode('ACCESS-DENIED', { command: 'PRIMARY ups' });
    expect(unknown.fix).toContain('`upsmon master`');
  });

  it('explains DATA-STALE and DRIVER-NOT-CONNECTED as the master losing its UPS', () => {
    for (const code of ['DATA-STALE', 'DRIVER-NOT-CONNECTED']) {
      const { explanation, fix } = describeErrCode(code);
      expect(explanation).toMatch(/lost contact with its UPS/);
      expect(fix).toMatch(/cable/);
      expect(fix).toMatch(/driver/);
    }
  });

  it('lists the UPS names the server does have for UNKNOWN-UPS', () => {
    expect(describeErrCode('UNKNOWN-UPS', { availableUps: ['ups', 'rack'] }).explanation).toContain(
      'The server has: ups, rack.',
    );
    expect(describeErrCode('UNKNOWN-UPS', { availableUps: [] }).explanation).toContain('(none)');
    const error = serverError('UNKNOWN-UPS', {
      command: 'LOGIN nosuch',
      context: { ...context, ups: 'nosuch' },
      availableUps: ['ups'],
    });
    expect(error.availableUps).toEqual(['ups']);
    expect(error.message).toContain('ERR UNKNOWN-UPS to LOGIN nosuch');
    expect(error.message).toContain('ups nosuch at nas.local:3493');
  });

  it('refines the text where one code means different things for different commands', () => {
    expect(describeErrCode('FEATURE-NOT-CONFIGURED', { command: 'STARTTLS' }).fix).toMatch(
      /CERTFILE|CERTPATH/,
    );
    expect(describeErrCode('FEATURE-NOT-CONFIGURED', { command: 'GET TRACKING 1234' }).fix).toMatch(
      /SET TRACKING ON/,
    );
    expect(describeErrCode('INVALID-ARGUMENT', { command: 'SET TRACKING ON' }).explanation).toMatch(
      /2\.8\.0/,
    );
    expect(describeErrCode('UNKNOWN-COMMAND', { command: 'PRIMARY ups' }).fix).toMatch(/MASTER/);
    expect(describeErrCode('UNKNOWN-COMMAND', { command: 'PROTVER' }).fix).toMatch(/NETVER/);
  });

  it('handles unknown codes generically', () => {
    const error = serverError('BRAND-NEW-CODE', { command: 'GET VAR ups x', context });
    expect(error.kind).toBe('server');
    expect(error.code).toBe('BRAND-NEW-CODE');
    expect(error.explanation).toContain('BRAND-NEW-CODE');
    expect(error.connectionLost).toBe(false);
  });
});

describe('socketError', () => {
  it('ECONNREFUSED → refused, explaining LISTEN in upsd.conf', () => {
    const error = socketError(errnoError('ECONNREFUSED'), { context });
    expect(error.kind).toBe('refused');
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.explanation).toMatch(/LISTEN/);
    expect(error.explanation).toMatch(/Proxmox/);
    expect(error.fix).toMatch(/restart upsd/);
    expect(error.connectionLost).toBe(true);
  });

  it('ECONNREFUSED from this machine (loopback): upsd is not running here, not "listens on localhost only"', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      const error = socketError(errnoError('ECONNREFUSED'), { context: { host, port: 3493 } });
      expect(error.kind).toBe('refused');
      expect(error.explanation).toBe(
        `Nothing accepts connections on ${host}:3493, which is this machine: upsd is not running here, or the LISTEN lines of its upsd.conf name only other addresses or another port.`,
      );
      expect(error.explanation).not.toMatch(/localhost only/);
      expect(error.fix).toMatch(
        /^Start upsd on this machine \(e\.g\. `systemctl start nut-server`/,
      );
      expect(error.fix).toContain(`add "LISTEN ${host === '::1' ? '::1' : '127.0.0.1'} 3493"`);
      expect(error.fix).toContain(`use its address instead of ${host}.`);
    }
  });

  it('ETIMEDOUT → timeout, pointing at a firewall dropping tcp/3493', () => {
    const error = socketError(errnoError('ETIMEDOUT'), { context, connectTimeoutMs: 5000 });
    expect(error.kind).toBe('timeout');
    expect(error.explanation).toMatch(/firewall/);
    expect(error.explanation).toContain('5000 ms');
  });

  it.each([
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['EWHATEVER', 'closed'],
  ])('%s → %s', (code, kind) => {
    const error = socketError(errnoError(code), { context });
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(code);
    expect(error.fix.length).toBeGreaterThan(10);
  });

  it("reads the errno of Node 20's happy-eyeballs AggregateError", () => {
    const aggregate = new AggregateError(
      [errnoError('ECONNREFUSED'), errnoError('ECONNREFUSED')],
      'connect failed',
    );
    expect(socketError(aggregate, { context }).kind).toBe('refused');
  });
});

describe('NutError', () => {
  it('carries kind, code, explanation, fix, redacted command and context, also in JSON', () => {
    const error = serverError('ACCESS-DENIED', {
      command: 'PASSWORD [REDACTED]',
      context: { ...context, ups: 'ups' },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('NutError');
    const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;
    expect(json).toMatchObject({
      kind: 'server',
      code: 'ACCESS-DENIED',
      command: 'PASSWORD [REDACTED]',
      context: { host: 'nas.local', port: 3493, ups: 'ups' },
    });
    expect(json.explanation).toBe(error.explanation);
    expect(json.fix).toBe(error.fix);
  });

  it('with() rebuilds the message', () => {
    const error = serverError('DATA-STALE', { command: 'GET VAR ups ups.status', context });
    const moved = error.with({ command: 'LIST VAR ups' });
    expect(moved.message).toContain('LIST VAR ups');
    expect(moved.code).toBe('DATA-STALE');
  });

  it('hasServerCode narrows', () => {
    const error: unknown = serverError('DATA-STALE', {});
    expect(hasServerCode(error, 'DATA-STALE', 'DRIVER-NOT-CONNECTED')).toBe(true);
    expect(hasServerCode(error, 'ACCESS-DENIED')).toBe(false);
    expect(hasServerCode(error)).toBe(true);
    expect(hasServerCode(new Error('x'))).toBe(false);
    expect(
      hasServerCode(
        new NutError({ kind: 'timeout', code: 'REQUEST-TIMEOUT', explanation: 'e', fix: 'f' }),
      ),
    ).toBe(false);
  });
});
