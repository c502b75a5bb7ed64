/**
 * Communication scenarios against a real upsd + dummy-ups: driver gone, upsd gone, stale driver,
 * upsd restart, a refused LOGIN and the clean stop. Same harness and conventions as
 * scenarios-power.integration.test.ts (exact notifications in order, exact hook runs, timing
 * windows measured from what upsd reported). Rig MAXAGE is 3 s.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/net';
import type { Scenario } from './testing/scenario-harness';
import {
  countReconnectAttempts,
  quietFor,
  setStatusTimed,
  waitNumLogins,
} from './testing/scenario-harness';
import { useScenarios } from './testing/use-scenarios';

const { rig: startRig, start } = useScenarios();

const POLL_MS = 250;
const DEADTIME_MS = 4_000;
const HOSTSYNC_MS = 3_000;
const FINALDELAY_MS = 1_000;
const DETECT_MS = 1_500;
const SLACK_MS = 1_250;
/** How much earlier than a change the monitor's last good reading may be: a poll plus a late timer. */
const LAST_READ_MS = POLL_MS + 350;

function notifyTypes(s: Scenario): string[] {
  return s.notifyEvents().map((e) => e.type);
}

function systemEvents(s: Scenario, type: string) {
  return s.events.filter((e) => e.kind === 'system' && e.type === type);
}

/** NOCOMM repeats every noCommWarn while the outage lasts: check the spacing of the repeats. */
function expectNoCommSpacing(s: Scenario, noCommWarnMs: number): void {
  const times = s
    .hooks()
    .filter((h) => h.type === 'NOCOMM')
    .map((h) => h.at);
  for (let i = 1; i < times.length; i++) {
    expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(noCommWarnMs - 300);
    expect(times[i]! - times[i - 1]!).toBeLessThan(noCommWarnMs + SLACK_MS);
  }
}

describe('communication scenarios (real upsd)', () => {
  it('driver stopped while OL: COMMBAD at the next poll, NOCOMM after noCommWarn (repeated), COMMOK when it is back; no shutdown', async () => {
    const rig = await startRig();
    const s = start({ rig, timing: { noCommWarnSeconds: 2 } });
    await s.ready();

    const stopping = Date.now();
    await rig.stopDriver('ups'); // returns once upsd answers DRIVER-NOT-CONNECTED
    const stopped = Date.now();
    const commbad = await s.waitHook('COMMBAD');
    expect(commbad.at).toBeGreaterThanOrEqual(stopping - 5);
    expect(commbad.at - stopped).toBeLessThan(DETECT_MS);
    expect(s.snapshot()).toMatchObject({
      connection: 'lost',
      level: 'comm-lost',
      stale: true,
      loggedIn: true,
      lastError: { code: 'DRIVER-NOT-CONNECTED' },
    });

    // NOCOMM noCommWarn after the last good reading (at most a poll before the driver stopped).
    const nocomm = await s.waitHook('NOCOMM', { timeoutMs: 2_000 + 10_000 });
    expect(nocomm.at - stopping).toBeGreaterThanOrEqual(2_000 - LAST_READ_MS);
    expect(nocomm.at - stopped).toBeLessThan(2_000 + SLACK_MS);
    await s.waitHook('NOCOMM', { count: 2, timeoutMs: 2_000 + 10_000 });

    await rig.startDriver('ups');
    const back = Date.now();
    const commok = await s.waitHook('COMMOK');
    expect(commok.at - back).toBeLessThan(DETECT_MS);
    expect(await quietFor(s, 1_000)).toEqual([]);

    const types = notifyTypes(s);
    expect(types.join(' ')).toMatch(/^COMMBAD( NOCOMM){2,} COMMOK$/);
    expect(s.hookTypes()).toEqual(types);
    expectNoCommSpacing(s, 2_000);
    expect(s.events.filter((e) => e.type === 'SHUTDOWN_BEGINS')).toEqual([]);
    expect(s.snapshot()).toMatchObject({
      connection: 'connected',
      level: 'online',
      stale: false,
      lastError: null,
    });
    // The session never dropped: still the same LOGIN.
    expect(await rig.numLogins('ups')).toBe(1);
    expect(systemEvents(s, 'LOGIN')).toHaveLength(1);
  });

  it('upsd stopped while OL: COMMBAD, NOCOMM, no shutdown; once upsd is back: reconnect, LOGIN again, COMMOK', async () => {
    const rig = await startRig();
    const s = start({ rig, timing: { noCommWarnSeconds: 2 } });
    await s.ready();

    const stopping = Date.now();
    await rig.stopUpsd();
    const commbad = await s.waitHook('COMMBAD');
    expect(commbad.at).toBeGreaterThanOrEqual(stopping - 5);
    expect(commbad.at - stopping).toBeLessThan(DETECT_MS);
    expect(s.snapshot()).toMatchObject({ connection: 'lost', level: 'comm-lost', loggedIn: false });
    await s.waitHook('NOCOMM', { timeoutMs: 2_000 + 10_000 });

    await rig.startUpsd();
    const back = Date.now();
    const commok = await s.waitHook('COMMOK', { timeoutMs: 15_000 });
    await waitNumLogins(rig, 'ups', 1);
    // Reconnect back-off is capped: the session is back within one cap (+ jitter) of upsd.
    expect(commok.at - back).toBeLessThan(6_500);
    expect(await quietFor(s, 1_000)).toEqual([]);

    const types = notifyTypes(s);
    expect(types.join(' ')).toMatch(/^COMMBAD( NOCOMM)+ COMMOK$/);
    expect(s.hookTypes()).toEqual(types);
    expectNoCommSpacing(s, 2_000);
    expect(s.events.filter((e) => e.type === 'SHUTDOWN_BEGINS')).toEqual([]);
    expect(systemEvents(s, 'LOGIN')).toHaveLength(2);
    expect(s.snapshot()).toMatchObject({
      connection: 'connected',
      loggedIn: true,
      level: 'online',
      status: 'OL',
    });
  });

  it('master unreachable for a while: reconnect attempts stay at most ~5 s apart (upsmon retries every POLLFREQ), then COMMOK', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();
    await rig.stopUpsd();
    await s.waitHook('COMMBAD');
    // In upsd's place: a listener that drops every connection; each accept is one attempt.
    const attempts = await countReconnectAttempts(rig.host, rig.port, 22_000);
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    expect(attempts.length, `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(5);
    // A DEADTIME decision (last known OB, no data) must see a returning master as soon as upsmon
    // (POLLFREQALERT 5 s) would: back-off capped at 4 s ± 25 % jitter, plus timer slack.
    expect(Math.max(...gaps), `gaps ${gaps.join(', ')} ms`).toBeLessThanOrEqual(5_000 + 700);

    await rig.startUpsd();
    const back = Date.now();
    const commok = await s.waitHook('COMMOK', { timeoutMs: 10_000 });
    expect(commok.at - back).toBeLessThan(5_000 + SLACK_MS);
    expect(notifyTypes(s)).toEqual(['COMMBAD', 'COMMOK']);
    await waitNumLogins(rig, 'ups', 1);
  });

  it('driver stopped while OB: no data for DEADTIME ⇒ assumed low battery ⇒ SHUTDOWN (max of DEADTIME and HOSTSYNC after the last reading, as upsmon)', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();
    await setStatusTimed(rig, 'ups', 'OB');
    await s.waitHook('ONBATT');

    const stopping = Date.now();
    await rig.stopDriver('ups');
    const stopped = Date.now();
    await s.waitHook('COMMBAD');
    const shutdown = await s.waitHook('SHUTDOWN', { timeoutMs: DEADTIME_MS + 10_000 });
    const command = await s.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    // upsmon: promotion when now - lastpoll > DEADTIME; then critical because now - lastnoncrit
    // (= the last reading) > HOSTSYNC already. So max(DEADTIME, HOSTSYNC) = 4 s after the last
    // reading — not DEADTIME + HOSTSYNC (7 s).
    expect(shutdown.at - stopping).toBeGreaterThanOrEqual(
      Math.max(DEADTIME_MS, HOSTSYNC_MS) - LAST_READ_MS,
    );
    expect(shutdown.at - stopped).toBeLessThan(Math.max(DEADTIME_MS, HOSTSYNC_MS) + SLACK_MS);
    expect(command.at - shutdown.at).toBeGreaterThanOrEqual(FINALDELAY_MS - 500);
    expect(command.at - shutdown.at).toBeLessThan(FINALDELAY_MS + SLACK_MS);

    // No LOWBATT for a DEADTIME promotion (upsmon does not notify it either).
    expect(notifyTypes(s)).toEqual(['ONBATT', 'COMMBAD', 'SHUTDOWN']);
    expect(s.hookTypes()).toEqual(['ONBATT', 'COMMBAD', 'SHUTDOWN', 'SHUTDOWNCMD']);
    expect(s.events.find((e) => e.type === 'SHUTDOWN_BEGINS')?.data).toMatchObject({
      reason: 'dead-on-battery',
    });
    // Logged out although the driver is gone (NUMLOGINS answers DRIVER-NOT-CONNECTED now; LIST CLIENT does not).
    await waitFor(async () => (await rig.listClients('ups')).length === 0, {
      timeoutMs: 3_000,
      description: 'LIST CLIENT to be empty',
    });
  });

  it('UPS on bypass (ECO mode): a blip shorter than the comm-loss grace is COMMBAD/COMMOK only; upsd gone for the grace ⇒ SHUTDOWN (comm-lost-bypass)', async () => {
    const GRACE_MS = 4_000;
    const rig = await startRig();
    const s = start({ rig, timing: { commLossCriticalSeconds: GRACE_MS / 1000 } });
    await s.ready();
    await setStatusTimed(rig, 'ups', 'OL BYPASS');
    await s.waitHook('BYPASS');

    // A blip: the driver goes stale and comes back (upsd 2.8.0 says DATA-STALE after MAXAGE).
    await rig.freezeDriver('ups');
    const blipStart = await s.waitHook('COMMBAD', { timeoutMs: rig.maxAge * 1000 + 10_000 });
    await rig.thawDriver('ups');
    const blipEnd = await s.waitHook('COMMOK');
    expect(blipEnd.at - blipStart.at).toBeLessThan(GRACE_MS);
    expect(await quietFor(s, GRACE_MS)).toEqual([]);
    expect(s.snapshot()).toMatchObject({ connection: 'connected', status: 'OL BYPASS' });

    // Gone for good: critical once comm has been lost for the grace, not at once.
    await rig.stopUpsd();
    const lost = await s.waitHook('COMMBAD', { count: 2 });
    const shutdown = await s.waitHook('SHUTDOWN', { timeoutMs: GRACE_MS + 10_000 });
    expect(shutdown.at - lost.at).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(shutdown.at - lost.at).toBeLessThan(GRACE_MS + SLACK_MS);
    await s.waitHook('SHUTDOWNCMD', { timeoutMs: FINALDELAY_MS + 10_000 });
    expect(s.events.find((e) => e.type === 'SHUTDOWN_BEGINS')?.data).toMatchObject({
      reason: 'comm-lost-bypass',
    });
    expect(notifyTypes(s)).toEqual(['BYPASS', 'COMMBAD', 'COMMOK', 'COMMBAD', 'SHUTDOWN']);
  });

  it('stale driver (SIGSTOP): DATA-STALE after MAXAGE ⇒ COMMBAD; thawed ⇒ COMMOK', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();

    const frozen = Date.now();
    await rig.freezeDriver('ups');
    const commbad = await s.waitHook('COMMBAD', { timeoutMs: rig.maxAge * 1000 + 10_000 });
    // upsd calls the data stale once it has not heard from the driver for more than MAXAGE (3 s,
    // whole seconds, measured from the driver's last message, which may predate the freeze).
    expect(commbad.at - frozen).toBeGreaterThanOrEqual(1_000);
    expect(commbad.at - frozen).toBeLessThan(rig.maxAge * 1000 + 2_000 + SLACK_MS);
    expect(s.snapshot()).toMatchObject({
      connection: 'lost',
      level: 'comm-lost',
      stale: true,
      lastError: { code: 'DATA-STALE' },
    });

    await rig.thawDriver('ups');
    const thawed = Date.now();
    const commok = await s.waitHook('COMMOK');
    expect(commok.at - thawed).toBeLessThan(DETECT_MS);
    expect(await quietFor(s, 1_000)).toEqual([]);
    expect(notifyTypes(s)).toEqual(['COMMBAD', 'COMMOK']);
    expect(s.hookTypes()).toEqual(['COMMBAD', 'COMMOK']);
    expect(s.snapshot()).toMatchObject({
      connection: 'connected',
      level: 'online',
      lastError: null,
    });
    expect(await rig.numLogins('ups')).toBe(1);
  });

  it('upsd restart: the session reconnects and LOGINs again (NUMLOGINS back to 1), COMMBAD then COMMOK', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();
    expect(await rig.numLogins('ups')).toBe(1);

    const restarting = Date.now();
    await rig.restart();
    const back = Date.now();
    await s.waitHook('COMMOK', { timeoutMs: 15_000 });
    await waitNumLogins(rig, 'ups', 1, 15_000);
    expect(Date.now() - back).toBeLessThan(6_500);
    expect(await quietFor(s, 1_000)).toEqual([]);

    expect(notifyTypes(s)).toEqual(['COMMBAD', 'COMMOK']);
    expect(s.hookTypes()).toEqual(['COMMBAD', 'COMMOK']);
    expect(s.hooks()[0]!.at).toBeGreaterThanOrEqual(restarting - 5);
    expect(systemEvents(s, 'LOGIN')).toHaveLength(2);
    expect(systemEvents(s, 'DISCONNECTED')).toHaveLength(1);
    expect(s.snapshot()).toMatchObject({
      connection: 'connected',
      loggedIn: true,
      status: 'OL',
      level: 'online',
    });
    expect(await rig.listClients('ups')).toEqual(['127.0.0.1']);
  });

  it('wrong password: LOGIN_REFUSED as one loud event with the fix, snapshot login-refused with the fix; NUMLOGINS 0; the status is still shown and followed', async () => {
    const rig = await startRig();
    const s = start({ rig, ups: [{ name: 'ups', password: 'not-the-password' }] });
    const refused = await s.waitHook('LOGIN_REFUSED');
    expect(refused.arg).toBe(s.systemName());
    const session = s.session();
    await waitFor(() => session.view.comm === 'ok', {
      description: 'a status read despite the refused LOGIN',
    });

    // One incident, one event: the LOGIN_REFUSED notification carries the code and the fix.
    expect(systemEvents(s, 'LOGIN_REFUSED')).toHaveLength(0);
    const loud = s.events.filter((e) => e.type === 'LOGIN_REFUSED');
    expect(loud).toHaveLength(1);
    expect(loud[0]!.severity).toBe('critical');
    const snapshot = s.snapshot();
    expect(snapshot).toMatchObject({
      connection: 'login-refused',
      loggedIn: false,
      status: 'OL',
      statusText: 'On line power',
      lastError: { code: 'ACCESS-DENIED' },
    });
    expect(snapshot.lastError!.fix.length).toBeGreaterThan(20);
    expect(loud[0]!.data).toMatchObject({ code: 'ACCESS-DENIED', fix: snapshot.lastError!.fix });
    expect(await rig.numLogins('ups')).toBe(0);
    const desktop = s.recorder.list().find((n) => n.key === `LOGIN_REFUSED:${s.systemName()}`);
    expect(desktop?.urgency).toBe('critical');

    // Still monitoring: a power failure is notified.
    const ob = await setStatusTimed(rig, 'ups', 'OB');
    const onbatt = await s.waitHook('ONBATT');
    expect(onbatt.at - ob.visible).toBeLessThan(DETECT_MS);
    expect(notifyTypes(s)).toEqual(['LOGIN_REFUSED', 'ONBATT']);
    expect(s.hookTypes()).toEqual(['LOGIN_REFUSED', 'ONBATT']);
    expect(s.snapshot()).toMatchObject({
      connection: 'login-refused',
      status: 'OB',
      level: 'on-battery',
    });
  });

  it('a UPS name the master does not have: LOGIN_REFUSED and COMMBAD (UNKNOWN-UPS, a configuration error), nothing else', async () => {
    const rig = await startRig();
    const s = start({ rig, ups: [{ name: 'nosuch' }] });
    // Hooks are separate processes: their lines may land in either order.
    await s.waitHook('COMMBAD');
    await s.waitHook('LOGIN_REFUSED');
    expect(await quietFor(s, 1_500)).toEqual([]);
    expect(notifyTypes(s)).toEqual(['LOGIN_REFUSED', 'COMMBAD']);
    expect(s.hooks().map((h) => h.arg)).toEqual([s.systemName('nosuch'), s.systemName('nosuch')]);
    expect(s.snapshot('nosuch')).toMatchObject({
      connection: 'login-refused',
      loggedIn: false,
      status: null,
      level: 'unknown',
      lastError: { code: 'UNKNOWN-UPS' },
    });
    expect(s.logger.lines.some((line) => line.includes('does not exist on the server'))).toBe(true);
    expect(await rig.numLogins('ups')).toBe(0);
  });

  it('clean stop: LOGOUT, NUMLOGINS back to 0 right after stop() resolves', async () => {
    const rig = await startRig();
    const s = start({ rig });
    await s.ready();
    expect(await rig.numLogins('ups')).toBe(1);

    await s.service.stop();
    const stopped = Date.now();
    const waited = await waitNumLogins(rig, 'ups', 0, 2_000);
    expect(waited).toBeLessThan(500);
    expect(Date.now() - stopped).toBeLessThan(1_000);
    // An explicit LOGOUT (upsd logs it), not just a dropped socket.
    expect(rig.logs()).toMatch(/User monuser@127\.0\.0\.1 logged out from UPS \[ups\]/);
    expect(s.hookTypes()).toEqual([]);
    // Stopped means stopped: no reconnect.
    await quietFor(s, 1_000);
    expect(await rig.numLogins('ups')).toBe(0);
  });
});
