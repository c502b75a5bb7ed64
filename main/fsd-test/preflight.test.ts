/**
 * The preflight against servers a stock upsd cannot imitate: a Synology DSM upsd (VER with DSM,
 * NETVER 1.2, no PRIMARY so the check falls back to MASTER, no LIST CLIENT) with FSD already
 * latched, scripted on the fault server. Checks the warnings, the MASTER fallback and that no
 * FSD (and no LOGIN) is ever sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../shared/config';
import { FsdPreflightRequestSchema } from '../../shared/fsd-test';
import { NodeProcessRunner, systemClock } from '../platform/node-ports';
import { NutClient } from '../nut/client';
import { type FaultServer, startFaultServer } from '../testing/fault-server';
import type { FsdTestDeps } from './deps';
import { findTarget } from './deps';
import { powerReadiness, runPreflight } from './preflight';

/** DSM 7's upsd as reported (main/nut/README.md §5): 2.7-era protocol, MASTER only, monuser is `upsmon master`. */
function dsmServer(options: { status: string; listClient: boolean }) {
  return startFaultServer(async (line, connection) => {
    const reply = ((): string | string[] => {
      switch (line) {
        case 'VER':
          return 'Network UPS Tools upsd DSM7-2-60108-221130 - http://www.networkupstools.org/';
        case 'NETVER':
          return '1.2';
        case 'PROTVER':
        case 'PRIMARY ups':
          return 'ERR UNKNOWN-COMMAND';
        case 'GET VAR ups ups.status':
          return `VAR ups ups.status "${options.status}"`;
        case 'LIST VAR ups':
          return [
            'BEGIN LIST VAR ups',
            `VAR ups ups.status "${options.status}"`,
            'VAR ups battery.runtime "300"',
            'VAR ups battery.charge "97"',
            'END LIST VAR ups',
          ];
        case 'LIST CLIENT ups':
          return options.listClient
            ? ['BEGIN LIST CLIENT ups', 'CLIENT ups 192.168.8.21', 'END LIST CLIENT ups']
            : 'ERR ACCESS-DENIED';
        case 'GET NUMLOGINS ups':
          return 'NUMLOGINS ups 2';
        case 'USERNAME monuser':
        case 'USERNAME upsmonclient':
        case 'PASSWORD "secret"':
          return 'OK';
        case 'MASTER ups':
          return connection.received.includes('USERNAME monuser')
            ? 'OK MASTER-GRANTED'
            : 'ERR ACCESS-DENIED';
        default:
          return 'ERR UNKNOWN-COMMAND';
      }
    })();
    await connection.send(...(typeof reply === 'string' ? [reply] : reply));
  });
}

function deps(server: FaultServer, options: { dryRun: boolean }): FsdTestDeps {
  const config = ConfigSchema.parse({
    masters: [
      {
        id: 'nas',
        label: 'DiskStation',
        preset: 'synology',
        host: server.host,
        port: server.port,
        ups: [{ name: 'ups', username: 'monuser', expectedClients: ['192.168.8.30'] }],
      },
    ],
    timing: { statusPollSeconds: 0.5, finalDelaySeconds: 5 },
    shutdown: { dryRun: options.dryRun },
  });
  return {
    config: () => config,
    session: () => undefined,
    onMonitorEvent: () => () => undefined,
    history: { saveFsdReport: () => undefined, listFsdReports: () => [], getFsdReport: () => null },
    recordEvent: () => undefined,
    secrets: null,
    rememberSecret: () => undefined,
    knownSecrets: () => [],
    connect: (options) => NutClient.connect(options),
    runner: new NodeProcessRunner(),
    clock: systemClock,
    logger: { log: () => undefined },
    reverseLookup: (address) =>
      Promise.resolve(address === '192.168.8.21' ? 'pi1.home.arpa' : null),
    push: () => undefined,
  };
}

describe('powerReadiness: master mode only on a UPS on line and charged', () => {
  const verdicts = (status: string | null, charge: number | null, min = 80) =>
    powerReadiness(status, charge, min).map((f) => `${f.id}:${f.verdict}`);

  it('on line and charged is ok', () => {
    expect(verdicts('OL', 100)).toEqual(['ups-status:ok', 'battery-charge:ok']);
    expect(verdicts('OL CHRG', 80)).toEqual(['ups-status:ok', 'battery-charge:ok']);
    expect(verdicts('ol trim', 95)).toEqual(['ups-status:ok', 'battery-charge:ok']);
  });

  it.each(['OB DISCHRG', 'OB LB', 'FSD OL', 'OL OFF', 'OL BYPASS', 'OL CAL', 'CHRG', '', '   '])(
    '"%s" is a problem',
    (status) => {
      expect(verdicts(status, 100)[0]).toBe('ups-status:problem');
    },
  );

  it('names every reason', () => {
    const [status] = powerReadiness('OB LB DISCHRG', 100, 80);
    expect(status!.detail).toBe('ups.status is "OB LB DISCHRG" — OB: on battery; LB: low battery.');
    expect(powerReadiness(null, 100, 80)[0]!.detail).toMatch(/no ups\.status/);
  });

  it('a charge below the threshold is a problem, an unknown charge only unknown; the threshold is configurable', () => {
    expect(verdicts('OL', 79.5)[1]).toBe('battery-charge:problem');
    expect(powerReadiness('OL', 42, 80)[1]!.detail).toBe(
      'battery.charge is 42 %, below the 80 % a test needs.',
    );
    expect(verdicts('OL', null)[1]).toBe('battery-charge:unknown');
    expect(verdicts('OL', 42, 40)[1]).toBe('battery-charge:ok');
    expect(verdicts('OL', 99, 100)[1]).toBe('battery-charge:problem');
  });
});

describe('FSD test preflight against a Synology-like master (scripted)', () => {
  let server: FaultServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('warns about DSM and the latched FSD, verifies the FSD right through MASTER, and never sends FSD or LOGIN', async () => {
    server = await dsmServer({ status: 'FSD OL', listClient: true });
    const d = deps(server, { dryRun: false });
    const target = findTarget(d.config(), 'nas/ups')!;
    const request = FsdPreflightRequestSchema.parse({
      monitorId: 'nas/ups',
      mode: 'master',
      hostSyncSeconds: 20,
    });
    const { preflight, credential } = await runPreflight(d, {
      request,
      target,
      credential: { username: 'monuser', password: 'secret', source: 'entered' },
      storedCredentialAvailable: false,
      lastLocalReport: null,
    });
    const checks = new Map(preflight.checks.map((c) => [c.id, c]));
    expect(preflight.master).toMatchObject({ kind: 'synology', protocol: '1.2', reachable: true });
    expect(checks.get('synology')).toMatchObject({ status: 'warning' });
    expect(checks.get('synology')!.detail).toMatch(/Safe Mode and keeps upsd running/);
    expect(checks.get('fsd-latched')).toMatchObject({ status: 'info' });
    // A latched FSD is no state to test in: an overridable blocker with the way out.
    expect(checks.get('ups-status')).toMatchObject({ status: 'blocker', overridable: true });
    expect(checks.get('ups-status')!.detail).toMatch(
      /^ups\.status is "FSD OL" — FSD: a forced shutdown is already latched\./,
    );
    expect(checks.get('ups-status')!.fix).toMatch(
      /^Wait until the UPS is back on line and charged/,
    );
    expect(checks.get('battery-charge')).toMatchObject({
      status: 'ok',
      detail: 'battery.charge is 97 % (at least 80 %).',
    });
    expect(preflight.ups).toMatchObject({
      status: 'FSD OL',
      fsdLatched: true,
      batteryRuntimeSeconds: 300,
      batteryCharge: 97,
    });
    expect(preflight.credential).toMatchObject({ verdict: 'primary-granted', username: 'monuser' });
    expect(checks.get('fsd-right')!.detail).toMatch(/^MASTER ups granted to "monuser"/);
    expect(preflight.clients).toMatchObject({
      listSupported: true,
      numLogins: 2,
      otherSecondaries: 1,
      missingExpected: ['192.168.8.30'],
    });
    expect(preflight.clients.list).toEqual([
      { address: '192.168.8.21', hostname: 'pi1.home.arpa', isThisMachine: false },
    ]);
    // Not in dry run here: this machine would really shut down → an overridable blocker.
    expect(checks.get('this-machine-shutdown')).toMatchObject({
      status: 'blocker',
      overridable: true,
    });
    expect(preflight.thisMachine.willReallyShutDown).toBe(true);
    expect(preflight).toMatchObject({ blockers: 2, hardBlocked: false });
    // FINALDELAY 5 s + poll 0.5 s < HOSTSYNC 20 s; runtime 300 s covers it.
    expect(checks.get('time-logout')).toMatchObject({ status: 'ok' });
    expect(preflight.timeBudget).toMatchObject({
      hostSyncSeconds: 20,
      hostSyncSource: 'request',
      expectedLogoutSeconds: 5.5,
      batteryRuntimeSeconds: 300,
      measuredShutdownSeconds: null,
    });
    expect(credential).toEqual({ username: 'monuser', password: 'secret', source: 'entered' });
    expect(JSON.stringify(preflight)).not.toContain('secret"');

    const sent = server.received;
    expect(sent).toContain('PRIMARY ups');
    expect(sent).toContain('MASTER ups');
    expect(sent.filter((line) => /^(FSD|LOGIN|SET|INSTCMD)\b/.test(line))).toEqual([]);
  });

  it('a refused MASTER explains the rights in the words DSM understands (upsmon master/slave)', async () => {
    server = await dsmServer({ status: 'OL', listClient: true });
    const d = deps(server, { dryRun: true });
    const { preflight } = await runPreflight(d, {
      request: FsdPreflightRequestSchema.parse({ monitorId: 'nas/ups', mode: 'master' }),
      target: findTarget(d.config(), 'nas/ups')!,
      credential: { username: 'upsmonclient', password: 'secret', source: 'entered' },
      storedCredentialAvailable: false,
      lastLocalReport: null,
    });
    const right = preflight.checks.find((c) => c.id === 'fsd-right')!;
    expect(preflight.credential.verdict).toBe('denied');
    expect(right.detail).toContain('`upsmon master` grants LOGIN, PRIMARY/MASTER and FSD');
    expect(right.detail).toContain('`upsmon slave` grants LOGIN only');
    expect(`${right.detail} ${right.fix}`).not.toMatch(/upsmon (primary|secondary)/);
  });

  it('without LIST CLIENT only NUMLOGINS is known; a short HOSTSYNC is flagged; local mode does not check credentials', async () => {
    server = await dsmServer({ status: 'OL', listClient: false });
    const d = deps(server, { dryRun: true });
    const target = findTarget(d.config(), 'nas/ups')!;
    const master = await runPreflight(d, {
      request: FsdPreflightRequestSchema.parse({
        monitorId: 'nas/ups',
        mode: 'master',
        hostSyncSeconds: 4,
      }),
      target,
      credential: { username: 'monuser', password: 'secret', source: 'stored' },
      storedCredentialAvailable: true,
      lastLocalReport: null,
    });
    const checks = new Map(master.preflight.checks.map((c) => [c.id, c]));
    expect(checks.get('list-client')).toMatchObject({ status: 'warning' });
    expect(master.preflight.clients).toMatchObject({
      listSupported: false,
      list: null,
      numLogins: 2,
      otherSecondaries: 2,
    });
    expect(checks.get('time-logout')).toMatchObject({ status: 'warning' });
    expect(checks.get('time-logout')!.detail).toMatch(
      /5\.5 s after FSD .* not before the master’s HOSTSYNC of 4 s/,
    );
    expect(master.preflight.blockers).toBe(0);
    expect(master.preflight.credential.source).toBe('stored');

    const received = server.received.length;
    const local = await runPreflight(d, {
      request: FsdPreflightRequestSchema.parse({ monitorId: 'nas/ups', mode: 'local' }),
      target,
      credential: null,
      storedCredentialAvailable: true,
      lastLocalReport: null,
    });
    expect(local.preflight.credential.verdict).toBe('not-needed');
    expect(local.credential).toBeNull();
    expect(local.preflight.checks.find((c) => c.id === 'synology')).toBeUndefined();
    expect(local.preflight.checks.find((c) => c.id === 'master-untouched')).toMatchObject({
      status: 'info',
    });
    expect(
      server.received
        .slice(received)
        .filter((line) => /^(USERNAME|PASSWORD|PRIMARY|MASTER|FSD|LOGIN)\b/.test(line)),
    ).toEqual([]);
  });

  it('an unreachable master blocks master mode (not overridable) but only warns in local mode', async () => {
    const closed = await startFaultServer(() => undefined);
    const { port } = closed;
    await closed.close();
    const config = ConfigSchema.parse({
      masters: [{ id: 'pve', label: 'PVE', host: '127.0.0.1', port, ups: [{ name: 'apc' }] }],
      timing: { connectTimeoutSeconds: 1 },
    });
    const d: FsdTestDeps = { ...deps(closed, { dryRun: true }), config: () => config };
    const target = findTarget(config, 'pve/apc')!;
    const master = await runPreflight(d, {
      request: FsdPreflightRequestSchema.parse({ monitorId: 'pve/apc', mode: 'master' }),
      target,
      credential: { username: 'u', password: 'p', source: 'entered' },
      storedCredentialAvailable: false,
      lastLocalReport: null,
    });
    expect(master.preflight.checks.find((c) => c.id === 'master-reachable')).toMatchObject({
      status: 'blocker',
      overridable: false,
    });
    expect(master.preflight.hardBlocked).toBe(true);
    expect(master.preflight.credential.verdict).toBe('unverified');
    const local = await runPreflight(d, {
      request: FsdPreflightRequestSchema.parse({ monitorId: 'pve/apc', mode: 'local' }),
      target,
      credential: null,
      storedCredentialAvailable: false,
      lastLocalReport: null,
    });
    expect(local.preflight.checks.find((c) => c.id === 'master-reachable')).toMatchObject({
      status: 'warning',
    });
    expect(local.preflight.hardBlocked).toBe(false);
    expect(local.preflight.timeBudget.hostSyncSource).toBe('default');
    expect(local.preflight.timeBudget.hostSyncNote).toMatch(/cannot be read over the NUT protocol/);
  });
});
