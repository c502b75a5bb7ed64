/**
 * Unit tests of the decision core, one block per rule of main/monitor/README.md §1.4–1.7 (and our own
 * decisions: latched FSD, suspend/resume, one shutdown per episode). Times are absolute
 * monotonic milliseconds; the driver starts at t=1000.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NOTIFY_MESSAGES,
  NOTIFY_TYPES,
  formatNotifyMessage,
  isNotifyType,
} from '../../shared/notify-types';
import {
  DEFAULT_DECISION_CONFIG,
  DEFAULT_DECISION_TIMING,
  decisionConfig,
  describeState,
  initialState,
  nextWakeAt,
  step,
} from './state-machine';
import { Driver, UPS, actions, deepFreeze } from './testing/driver';

const H = DEFAULT_DECISION_TIMING.hostSyncMs; // 15 000
const D = DEFAULT_DECISION_TIMING.deadTimeMs; // 15 000
const F = DEFAULT_DECISION_TIMING.finalDelayMs; // 5 000
const NC = DEFAULT_DECISION_TIMING.noCommWarnMs; // 300 000

describe('defaults', () => {
  it('are upsmon 2.8 defaults in milliseconds (main/monitor/README.md §1.1)', () => {
    expect(DEFAULT_DECISION_CONFIG).toEqual({
      deadTimeMs: 15_000,
      hostSyncMs: 15_000,
      finalDelayMs: 5_000,
      noCommWarnMs: 300_000,
      rbWarnMs: 43_200_000,
      commLossCriticalMs: 5_000,
      rehearsalLogoutMs: 5_000,
      role: 'secondary',
      hostDecides: false,
      latchedFsdAtStart: 'ignore-while-online',
    });
  });

  it('message templates are upsmon stock messages (main/monitor/README.md §1.8)', () => {
    expect(DEFAULT_NOTIFY_MESSAGES.ONLINE).toBe('UPS %s on line power');
    expect(DEFAULT_NOTIFY_MESSAGES.ONBATT).toBe('UPS %s on battery');
    expect(DEFAULT_NOTIFY_MESSAGES.LOWBATT).toBe('UPS %s battery is low');
    expect(DEFAULT_NOTIFY_MESSAGES.FSD).toBe('UPS %s: forced shutdown in progress');
    expect(DEFAULT_NOTIFY_MESSAGES.COMMOK).toBe('Communications with UPS %s established');
    expect(DEFAULT_NOTIFY_MESSAGES.COMMBAD).toBe('Communications with UPS %s lost');
    expect(DEFAULT_NOTIFY_MESSAGES.SHUTDOWN).toBe('Auto logout and shutdown proceeding');
    expect(DEFAULT_NOTIFY_MESSAGES.REPLBATT).toBe('UPS %s battery needs to be replaced');
    expect(DEFAULT_NOTIFY_MESSAGES.NOCOMM).toBe('UPS %s is unavailable');
    expect(DEFAULT_NOTIFY_MESSAGES.CAL).toBe('UPS %s: calibration in progress');
    for (const type of NOTIFY_TYPES)
      expect(DEFAULT_NOTIFY_MESSAGES[type].length).toBeGreaterThan(0);
  });

  it('NOTIFY_TYPES has every upsmon event name plus ours, once each', () => {
    expect(new Set(NOTIFY_TYPES).size).toBe(NOTIFY_TYPES.length);
    const required =
      'ONLINE ONBATT LOWBATT FSD COMMOK COMMBAD NOCOMM REPLBATT CAL NOTCAL OFF NOTOFF BYPASS NOTBYPASS OVER NOTOVER TRIM NOTTRIM BOOST NOTBOOST ALARM NOTALARM OTHER NOTOTHER SHUTDOWN LOGIN_REFUSED FSD_LATCHED_AT_START';
    for (const name of required.split(' ')) expect(isNotifyType(name)).toBe(true);
    expect(isNotifyType('onbatt')).toBe(false);
    expect(isNotifyType('POWERCUT')).toBe(false);
  });

  it('formatNotifyMessage fills %s in order, %% is literal, missing args are empty', () => {
    expect(formatNotifyMessage('UPS %s: [%s] 100%%', ['a@b', 'X'])).toBe('UPS a@b: [X] 100%');
    expect(formatNotifyMessage('UPS %s %s', ['a'])).toBe('UPS a ');
    expect(formatNotifyMessage('%d %x %n', ['a'])).toBe('%d %x %n');
  });
});

describe('3.4 start-up suppression and comm state', () => {
  it('first OL after start is silent and COMMOK is suppressed on the very first successful poll', () => {
    const d = new Driver();
    d.status('OL CHRG');
    expect(d.events()).toEqual([]);
    expect(d.view()).toMatchObject({
      line: 'online',
      comm: 'ok',
      critical: false,
      status: 'OL CHRG',
      statusText: 'On line power, charging',
    });
  });

  it('ONBATT fires also at start-up (first status OB)', () => {
    const d = new Driver();
    d.status('OB DISCHRG');
    expect(d.events()).toEqual(['ONBATT']);
    expect(d.notes()[0]).toMatchObject({ message: `UPS ${UPS} on battery`, upsName: UPS });
  });

  it('COMMBAD fires at start-up when the first attempt fails; no COMMOK on the first connect', () => {
    const d = new Driver();
    d.fail('connection', 1_000);
    expect(d.events()).toEqual(['COMMBAD']);
    expect(d.view()).toMatchObject({ comm: 'never', commFailingSince: 1_000 });
    d.status('OL', 2_000);
    expect(d.events()).toEqual(['COMMBAD', 'COMMOK']);
  });

  it('reconnect after a loss → COMMOK once; the connection events alone change no comm state', () => {
    const d = new Driver();
    d.input({ type: 'connected' });
    d.status('OL', 1_000);
    d.input({ type: 'disconnected', message: 'socket closed' }, 2_000);
    expect(d.events()).toEqual([]);
    expect(d.view()).toMatchObject({ connected: false, comm: 'ok' });
    d.fail('connection', 3_000);
    d.fail('connection', 4_000);
    d.input({ type: 'connected' }, 5_000);
    d.status('OL', 5_000);
    d.status('OL', 6_000);
    expect(d.events()).toEqual(['COMMBAD', 'COMMOK']);
  });

  it('an empty ups.status is a communication failure', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.status('  ', 2_000);
    expect(d.events()).toEqual(['COMMBAD']);
    expect(d.state.lastPollFailure).toMatchObject({ reason: 'empty-status' });
    expect(d.state.lastPollAt).toBe(1_000);
  });

  it('a stale driver (DATA-STALE, DRIVER-NOT-CONNECTED) counts as comm loss', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.fail('data-stale', 2_000);
    expect(d.events()).toEqual(['COMMBAD']);
    d.status('OL', 3_000);
    d.fail('driver-not-connected', 4_000);
    expect(d.events()).toEqual(['COMMBAD', 'COMMOK', 'COMMBAD']);
  });

  it('UNKNOWN-UPS is comm loss and logged as a configuration error once, not at every poll', () => {
    const d = new Driver();
    const configErrors = () =>
      d
        .effects('log')
        .filter(
          (r) =>
            r.effect.type === 'log' &&
            r.effect.level === 'error' &&
            r.effect.message.includes('does not exist'),
        ).length;
    d.fail('unknown-ups', 1_000, 'ERR UNKNOWN-UPS');
    expect(d.events()).toEqual(['COMMBAD']);
    expect(configErrors()).toBe(1);
    d.fail('unknown-ups', 1_500, 'ERR UNKNOWN-UPS');
    d.fail('unknown-ups', 2_000, 'ERR UNKNOWN-UPS');
    expect(configErrors()).toBe(1);
    // Gone and back (the UPS appeared, then was removed again): news again.
    d.status('OL', 3_000);
    d.fail('unknown-ups', 4_000, 'ERR UNKNOWN-UPS');
    expect(configErrors()).toBe(2);
    expect(d.events()).toEqual(['COMMBAD', 'COMMOK', 'COMMBAD']);
  });

  it('a status without OL or OB (WAIT) keeps the line flags', () => {
    const d = new Driver();
    d.status('OB', 1_000);
    d.status('WAIT', 2_000);
    expect(d.view().line).toBe('on-battery');
    d.status('OL', 3_000);
    expect(d.events()).toEqual(['ONBATT', 'ONLINE']);
  });
});

describe('3.4 OL → OB → OL', () => {
  it('notifies ONBATT then ONLINE and never shuts down', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.pollUntil('OL', 5_000);
    d.status('OB DISCHRG', 6_000);
    d.pollUntil('OB DISCHRG', 120_000);
    d.status('OL CHRG', 121_000);
    d.pollUntil('OL CHRG', 200_000);
    expect(d.events()).toEqual(['ONBATT', 'ONLINE']);
    expect(d.effects('begin-shutdown')).toEqual([]);
    expect(d.view()).toMatchObject({
      line: 'online',
      critical: false,
      shutdown: { phase: 'none' },
    });
  });

  it('messages use NOTIFYMSG overrides with the system string', () => {
    const d = new Driver({ messages: { ONBATT: 'Power cut on %s!' } });
    d.status('OL', 1_000);
    d.status('OB', 2_000);
    expect(d.notes()).toEqual([
      { at: 2_000, event: 'ONBATT', message: `Power cut on ${UPS}!`, upsName: UPS },
    ]);
  });
});

describe('3.6/3.7 OB+LB without a primary (secondary waits HOSTSYNC, then FINALDELAY, command, close-session)', () => {
  it('runs the full sequence at exact times', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.status('OB', 2_000);
    const t1 = 10_000;
    d.status('OB LB', t1);
    expect(d.events()).toEqual(['ONBATT', 'LOWBATT']);
    expect(d.view()).toMatchObject({
      critical: false,
      hold: 'waiting-for-primary',
      shutdown: { phase: 'waiting-hostsync', deadline: t1 + H },
    });
    expect(d.wake()).toBe(t1 + H + 1);

    // polling OB LB does not move lastnoncrit
    d.pollUntil('OB LB', t1 + H);
    expect(d.effects('begin-shutdown')).toEqual([]);

    // now - lastnoncrit > HOSTSYNC: give up on the primary
    const begin = d.tickAt(t1 + H + 1);
    expect(actions(begin)).toEqual(['notify:SHUTDOWN', 'begin-shutdown']);
    expect(d.logs().some((m) => m.includes('Giving up on the primary'))).toBe(true);
    expect(begin.find((e) => e.type === 'begin-shutdown')).toMatchObject({
      episode: 1,
      reason: 'on-battery-low-battery',
      upsName: UPS,
      finalDelayMs: F,
      commandAt: t1 + H + 1 + F,
    });
    // SHUTDOWN has an empty UPSNAME, like upsmon
    expect(d.notes().at(-1)).toEqual({
      at: t1 + H + 1,
      event: 'SHUTDOWN',
      message: 'Auto logout and shutdown proceeding',
      upsName: '',
    });
    expect(d.view().shutdown).toMatchObject({
      phase: 'final-delay',
      deadline: t1 + H + 1 + F,
      episode: 1,
    });

    expect(actions(d.tickAt(t1 + H + F))).toEqual([]);
    const run = d.tickAt(t1 + H + 1 + F);
    expect(actions(run)).toEqual(['run-shutdown-command', 'close-session']);
    expect(d.view()).toMatchObject({
      shutdown: { phase: 'command-running' },
      sessionWanted: false,
    });

    d.input({ type: 'shutdown-command-finished', ok: true }, t1 + H + F + 3_000);
    expect(d.view().shutdown).toMatchObject({ phase: 'done', commandOk: true });
    expect(d.effects('reconnect-now')).toEqual([]);
    expect(d.effects('run-shutdown-command')).toHaveLength(1);
  });

  it('first status OB LB at start-up: ONBATT + LOWBATT, then the same HOSTSYNC wait', () => {
    const d = new Driver();
    d.status('OB LB', 1_000);
    expect(d.events()).toEqual(['ONBATT', 'LOWBATT']);
    d.pollUntil('OB LB', 1_000 + H);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.status('OB LB', 1_000 + H + 1);
    expect(d.timesOf('begin-shutdown')).toEqual([1_000 + H + 1]);
  });

  it('OB then OB LB: lastnoncrit is the read that brought LB, the OB read before does not count', () => {
    const d = new Driver();
    d.status('OB', 1_000);
    d.status('OB LB', 9_000);
    d.tickAt(9_000 + H);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(9_000 + H + 1);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });

  it("the primary's FSD during the wait is critical at once", () => {
    const d = new Driver();
    d.status('OB LB', 1_000);
    const e = d.status('FSD OB LB', 2_000);
    expect(actions(e)).toEqual(['notify:FSD', 'notify:SHUTDOWN', 'begin-shutdown']);
    expect(d.effects('begin-shutdown')[0]!.effect).toMatchObject({ reason: 'fsd' });
  });

  it('power back during the wait: not critical, no shutdown', () => {
    const d = new Driver();
    d.status('OB LB', 1_000);
    d.status('OL LB CHRG', 5_000);
    d.pollUntil('OL CHRG', 100_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
    expect(d.events()).toEqual(['ONBATT', 'LOWBATT', 'ONLINE']);
  });

  it('FINALDELAY 0 runs the command in the same step', () => {
    const d = new Driver({ finalDelayMs: 0 });
    d.status('FSD OB LB', 1_000);
    expect(actions(d.last)).toEqual([
      'notify:FSD',
      'notify:ONBATT',
      'notify:LOWBATT',
      'notify:SHUTDOWN',
      'begin-shutdown',
      'run-shutdown-command',
      'close-session',
    ]);
  });
});

describe('3.7 FSD', () => {
  it('FSD while running is critical immediately: FSD, SHUTDOWN, FINALDELAY, command, close-session', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.status('OB', 2_000);
    d.status('FSD OB', 3_000);
    expect(d.events()).toEqual(['ONBATT', 'FSD', 'SHUTDOWN']);
    expect(d.view()).toMatchObject({ critical: true, criticalReason: 'fsd', fsd: true });
    d.pollUntil('FSD OB', 3_000 + F - 1);
    expect(d.effects('run-shutdown-command')).toEqual([]);
    d.status('FSD OB', 3_000 + F);
    expect(actions(d.last)).toEqual(['run-shutdown-command', 'close-session']);
  });

  it('FSD appearing later while on line (the master orders a shutdown) is always critical', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.status('FSD OL', 2_000);
    expect(d.events()).toEqual(['FSD', 'SHUTDOWN']);
    expect(d.events()).not.toContain('FSD_LATCHED_AT_START');
  });

  it('a driver-set FSD without OB/LB (imminent shutdown) is critical too', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.status('OL FSD', 2_000);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });
});

describe('3.5 comm loss while OL', () => {
  it('COMMBAD, NOCOMM after NOCOMMWARNTIME, repeating, no shutdown', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.fail('timeout', 2_000);
    expect(d.events()).toEqual(['COMMBAD']);
    expect(d.wake()).toBe(1_000 + NC);
    d.tickAt(1_000 + NC - 1);
    expect(d.events()).toEqual(['COMMBAD']);
    d.tickAt(1_000 + NC);
    expect(d.events()).toEqual(['COMMBAD', 'NOCOMM']);
    expect(d.notes().at(-1)!.message).toBe(`UPS ${UPS} is unavailable`);
    // repeats when now - lastncwarn > NOCOMMWARNTIME
    d.failUntil(1_000 + 2 * NC, 'timeout', 10_000);
    d.tickAt(1_000 + 2 * NC);
    expect(d.events().filter((e) => e === 'NOCOMM')).toHaveLength(1);
    d.tickAt(1_000 + 2 * NC + 1);
    d.tickAt(1_000 + 3 * NC + 2);
    expect(d.timesOf('notify').slice(1)).toEqual([
      1_000 + NC,
      1_000 + 2 * NC + 1,
      1_000 + 3 * NC + 2,
    ]);
    expect(d.effects('begin-shutdown')).toEqual([]);
    expect(d.view()).toMatchObject({ comm: 'lost', line: 'online', critical: false });
    d.status('OL', 1_000 + 3 * NC + 10);
    expect(d.events().at(-1)).toBe('COMMOK');
  });

  it('NOCOMM also comes from failed polls, not only ticks', () => {
    const d = new Driver({ noCommWarnMs: 10_000 });
    d.status('OL', 1_000);
    d.failUntil(30_000, 'connection', 1_000);
    expect(
      d
        .notes()
        .filter((n) => n.event === 'NOCOMM')
        .map((n) => n.at),
    ).toEqual([11_000, 22_000]);
  });

  it('a never-reached UPS: COMMBAD at once, NOCOMM NOCOMMWARNTIME after start, never promoted, never critical', () => {
    const d = new Driver({ noCommWarnMs: 60_000 });
    d.failUntil(200_000, 'connection', 5_000);
    expect(d.notes().map((n) => [n.event, n.at])).toEqual([
      ['COMMBAD', 6_000],
      ['NOCOMM', 61_000],
      ['NOCOMM', 126_000],
      ['NOCOMM', 191_000],
    ]);
    expect(d.effects('begin-shutdown')).toEqual([]);
    expect(d.view()).toMatchObject({ comm: 'never', critical: false, lowBattery: false });
  });
});

describe('3.6 comm loss while OB (DEADTIME promotion, then HOSTSYNC)', () => {
  it('promotes to LB after DEADTIME without LOWBATT, then gives up on the primary after HOSTSYNC', () => {
    const d = new Driver({ hostSyncMs: 30_000 });
    d.status('OL', 1_000);
    d.status('OB', 5_000); // lastpoll = lastnoncrit = 5000
    d.fail('data-stale', 6_000);
    expect(d.wake()).toBe(5_000 + D + 1);
    d.tickAt(5_000 + D);
    expect(d.view().lowBattery).toBe(false);
    d.tickAt(5_000 + D + 1);
    expect(d.view()).toMatchObject({
      lowBattery: true,
      lowBatteryAssumed: true,
      critical: false,
      hold: 'waiting-for-primary',
    });
    expect(d.events()).toEqual(['ONBATT', 'COMMBAD']); // no LOWBATT for a promotion
    expect(d.wake()).toBe(5_000 + 30_000 + 1);
    d.failUntil(5_000 + 30_000, 'data-stale', 1_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(5_000 + 30_000 + 1);
    expect(d.effects('begin-shutdown')[0]!.effect).toMatchObject({ reason: 'dead-on-battery' });
    expect(d.logs().some((m) => m.includes('Giving up on the primary'))).toBe(true);
  });

  it('with upsmon defaults the promotion and the give-up coincide (verified 2.8.0 timeline)', () => {
    const d = new Driver();
    d.status('OB', 1_000);
    d.fail('timeout', 2_000);
    d.tickAt(1_000 + D);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(1_000 + D + 1);
    expect(d.timesOf('begin-shutdown')).toEqual([1_000 + D + 1]);
    d.tickAt(1_000 + D + 1 + F);
    expect(d.timesOf('run-shutdown-command')).toEqual([1_000 + D + 1 + F]);
  });

  it('comm back before DEADTIME: no promotion, no shutdown; a real LB later still notifies LOWBATT', () => {
    const d = new Driver({ hostSyncMs: 60_000 });
    d.status('OB', 1_000);
    d.fail('timeout', 2_000);
    d.status('OB', 10_000);
    d.pollUntil('OB', 60_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.fail('timeout', 61_000);
    d.tickAt(60_000 + D + 1); // promoted
    d.status('OB LB', 60_000 + D + 2); // the real LB arrives
    expect(d.events()).toEqual(['ONBATT', 'COMMBAD', 'COMMOK', 'COMMBAD', 'COMMOK', 'LOWBATT']);
    expect(d.view()).toMatchObject({
      lowBattery: true,
      lowBatteryAssumed: false,
      hold: 'waiting-for-primary',
    });
  });

  it('a poll that stops silently (no failure reported) still promotes on ticks', () => {
    const d = new Driver({ hostSyncMs: 0 });
    d.status('OB', 1_000);
    d.tickAt(1_000 + D + 1);
    expect(d.timesOf('begin-shutdown')).toEqual([1_000 + D + 1]);
  });
});

describe('3.3 LOGIN refused', () => {
  it('is loud (LOGIN_REFUSED + error log), repeated only as a reminder, cleared by a successful LOGIN', () => {
    const d = new Driver({ noCommWarnMs: 60_000 });
    d.input({ type: 'connected' }, 1_000);
    d.input({ type: 'login-result', result: 'refused', reason: 'ERR ACCESS-DENIED' }, 1_000);
    expect(d.notes()).toEqual([
      {
        at: 1_000,
        event: 'LOGIN_REFUSED',
        upsName: UPS,
        message: `Login to UPS ${UPS} refused (ERR ACCESS-DENIED): this machine is NOT registered as a secondary, so the master will not wait for it before cutting power`,
      },
    ]);
    expect(
      d.effects('log').some((r) => r.effect.type === 'log' && r.effect.level === 'error'),
    ).toBe(true);
    expect(d.view()).toMatchObject({
      login: 'refused',
      loginRefusedReason: 'ERR ACCESS-DENIED',
      loggedIn: false,
    });
    for (let t = 6_000; t <= 60_000; t += 5_000)
      d.input({ type: 'login-result', result: 'refused', reason: 'ERR ACCESS-DENIED' }, t);
    expect(d.events()).toEqual(['LOGIN_REFUSED']);
    d.input({ type: 'login-result', result: 'refused', reason: 'ERR ACCESS-DENIED' }, 61_000);
    expect(d.events()).toEqual(['LOGIN_REFUSED', 'LOGIN_REFUSED']);
    // a different reason is news
    d.input({ type: 'login-result', result: 'refused', reason: 'ERR USERNAME-REQUIRED' }, 62_000);
    expect(d.events()).toHaveLength(3);
    d.input({ type: 'login-result', result: 'ok' }, 63_000);
    expect(d.view()).toMatchObject({ login: 'ok', loggedIn: true, loginRefusedReason: null });
    d.input({ type: 'login-result', result: 'refused', reason: 'ERR ACCESS-DENIED' }, 64_000);
    expect(d.events()).toHaveLength(4);
  });

  it('monitoring and decisions continue while LOGIN is refused', () => {
    const d = new Driver();
    d.input({ type: 'login-result', result: 'refused', reason: 'ERR ACCESS-DENIED' }, 1_000);
    d.status('FSD OB LB', 2_000);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });

  it('a poll failure reported as login-refused is both LOGIN_REFUSED and comm loss', () => {
    const d = new Driver();
    d.fail('login-refused', 1_000, 'ERR ACCESS-DENIED');
    expect(d.events()).toEqual(['LOGIN_REFUSED', 'COMMBAD']);
  });

  it('monitor-only does not LOGIN: login results are ignored', () => {
    const d = new Driver({ role: 'monitor-only' });
    d.input({ type: 'login-result', result: 'refused', reason: 'ERR ACCESS-DENIED' }, 1_000);
    expect(d.events()).toEqual([]);
    expect(d.view().login).toBe('not-applicable');
  });
});

describe('3.4/3.6 CAL', () => {
  it('OB+LB while CAL is not critical; CAL clears when the token disappears (NOTCAL); then OB+LB shuts down', () => {
    const d = new Driver();
    d.status('OL CAL', 1_000);
    expect(d.events()).toEqual(['CAL']);
    d.status('OB LB CAL', 2_000);
    d.pollUntil('OB LB CAL', 2_000 + 5 * H);
    expect(d.effects('begin-shutdown')).toEqual([]);
    expect(d.view()).toMatchObject({ critical: false, hold: 'calibrating' });
    const t = 2_000 + 5 * H + 1_000;
    d.status('OB LB', t);
    expect(d.events()).toEqual(['CAL', 'ONBATT', 'LOWBATT', 'NOTCAL']);
    // lastnoncrit is the last read that still had CAL (upsmon update_crittimer)
    d.tickAt(t - 1_000 + H);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(t - 1_000 + H + 1);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });

  it('regression of the 2.8.0 bug: OL CAL → OL → OB LB must shut down', () => {
    const d = new Driver();
    d.status('OL CAL', 1_000);
    d.status('OL', 2_000);
    expect(d.events()).toEqual(['CAL', 'NOTCAL']);
    d.status('OB LB', 3_000);
    d.tickAt(3_000 + H + 1);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });

  it.each([
    ['OL CAL', 'comm-lost-calibrating'],
    ['OL BYPASS', 'comm-lost-bypass'],
    ['OFF', 'comm-lost-off'],
  ] as const)(
    'comm lost while last known %s → critical at once with commLossCriticalMs 0, as upsmon 2.8.1+ (%s)',
    (status, reason) => {
      const d = new Driver({ commLossCriticalMs: 0 });
      d.status(status, 1_000);
      expect(d.effects('begin-shutdown')).toEqual([]);
      d.fail('connection', 2_000);
      expect(d.effects('begin-shutdown')[0]!.effect).toMatchObject({ reason });
    },
  );

  it.each([
    ['OL CAL', 'comm-lost-calibrating'],
    ['OL BYPASS', 'comm-lost-bypass'],
    ['OL OFF', 'comm-lost-off'],
  ] as const)(
    'by default, comm lost while last known %s is critical once lost for 5 s, not before (%s)',
    (status, reason) => {
      const G = DEFAULT_DECISION_CONFIG.commLossCriticalMs;
      expect(G).toBe(5_000);
      const d = new Driver();
      d.status(status, 1_000);
      d.fail('connection', 2_000);
      expect(d.view()).toMatchObject({ critical: false, hold: 'comm-lost-unprotected' });
      expect(d.view().explanation).toMatch(/bypass, off or calibrating/);
      expect(d.wake()).toBe(2_000 + G); // the session wakes the machine exactly at the deadline
      d.fail('connection', 2_000 + G - 1);
      expect(d.effects('begin-shutdown')).toEqual([]);
      d.tickAt(2_000 + G);
      expect(d.effects('begin-shutdown')).toHaveLength(1);
      expect(d.effects('begin-shutdown')[0]!.effect).toMatchObject({ reason });
    },
  );

  it('a blip shorter than the grace on bypass: COMMBAD, COMMOK, no shutdown, and the next loss starts a new grace', () => {
    const d = new Driver();
    d.status('OL BYPASS', 1_000);
    d.fail('connection', 2_000);
    d.status('OL BYPASS', 6_000);
    expect(d.view()).toMatchObject({ critical: false, hold: null });
    d.fail('timeout', 10_000);
    d.tickAt(14_999);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(15_000);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
    expect(d.events()).toEqual(['BYPASS', 'COMMBAD', 'COMMOK', 'COMMBAD', 'SHUTDOWN']);
  });

  it('OB LB BYPASS with comm lost: the grace decides before HOSTSYNC, whichever comes first', () => {
    const d = new Driver({ commLossCriticalMs: 3_000 });
    d.status('OB LB BYPASS', 1_000);
    expect(d.view()).toMatchObject({ hold: 'waiting-for-primary' });
    d.fail('connection', 2_000);
    expect(d.view()).toMatchObject({ hold: 'comm-lost-unprotected' });
    expect(d.wake()).toBe(5_000);
    d.tickAt(5_000);
    expect(d.effects('begin-shutdown')[0]!.effect).toMatchObject({ reason: 'comm-lost-bypass' });
  });

  it('BYPASS/OFF/OVER/TRIM/BOOST/ALARM/ECO notify on appearance and disappearance', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.input(
      { type: 'status-read', status: 'OL BYPASS OVER TRIM ALARM ECO', alarm: 'Replace battery!' },
      2_000,
    );
    d.status('OL BYPASS OVER TRIM ALARM ECO', 3_000);
    d.status('OL BOOST OFF', 4_000);
    d.status('OL', 5_000);
    expect(d.events()).toEqual([
      'BYPASS',
      'OVER',
      'TRIM',
      'ALARM',
      'ECO',
      'NOTBYPASS',
      'NOTALARM',
      'NOTOVER',
      'NOTTRIM',
      'NOTECO',
      'BOOST',
      'OFF',
      'NOTOFF',
      'NOTBOOST',
    ]);
    expect(d.notes().find((n) => n.event === 'ALARM')!.message).toBe(
      `UPS ${UPS}: one or more active alarms: [Replace battery!]`,
    );
    expect(d.effects('begin-shutdown')).toEqual([]);
  });
});

describe('latched FSD at start', () => {
  it('ignore-while-online (default): reported, not critical while OL, critical as soon as OB appears with FSD', () => {
    const d = new Driver();
    d.status('FSD OL', 1_000);
    expect(d.events()).toEqual(['FSD_LATCHED_AT_START']);
    expect(d.notes()[0]!.message).toContain('not shutting down while it stays on line power');
    expect(d.view()).toMatchObject({
      fsd: true,
      critical: false,
      hold: 'latched-fsd',
      latchedFsd: { handling: 'ignored', since: 1_000 },
    });
    d.pollUntil('FSD OL CHRG', 500_000, 5_000);
    d.fail('connection', 501_000); // comm loss while OL changes nothing
    d.tickAt(600_000);
    d.status('FSD OL', 601_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.status('FSD OB', 602_000);
    expect(d.events()).toEqual([
      'FSD_LATCHED_AT_START',
      'COMMBAD',
      'COMMOK',
      'FSD',
      'ONBATT',
      'SHUTDOWN',
    ]);
    expect(d.effects('begin-shutdown')[0]!.effect).toMatchObject({ reason: 'fsd' });
  });

  it('ignore-while-online: OB+LB without FSD follows the normal HOSTSYNC rule', () => {
    const d = new Driver();
    d.status('FSD OL', 1_000);
    d.status('OL', 2_000); // latch cleared (upsd restarted)
    d.status('OB LB', 3_000);
    d.tickAt(3_000 + H + 1);
    expect(d.effects('begin-shutdown')[0]!.effect).toMatchObject({
      reason: 'on-battery-low-battery',
    });
  });

  it('ignore-while-online: once the latch was cleared, a new FSD while OL is live and critical', () => {
    const d = new Driver();
    d.status('FSD OL', 1_000);
    d.status('OL', 2_000);
    d.status('FSD OL', 3_000);
    expect(d.events()).toEqual(['FSD_LATCHED_AT_START', 'FSD', 'SHUTDOWN']);
  });

  it('ask: waits for the choice; obey → FSD + shutdown', () => {
    const d = new Driver({ latchedFsdAtStart: 'ask' });
    d.status('FSD OL', 1_000);
    expect(d.events()).toEqual(['FSD_LATCHED_AT_START']);
    expect(d.view().latchedFsd).toEqual({ handling: 'awaiting-choice', since: 1_000 });
    d.pollUntil('FSD OL', 100_000, 5_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.input({ type: 'latched-fsd-choice', choice: 'obey' }, 100_500);
    expect(actions(d.last)).toEqual(['notify:FSD', 'notify:SHUTDOWN', 'begin-shutdown']);
  });

  it('ask: ignore → treated like ignore-while-online', () => {
    const d = new Driver({ latchedFsdAtStart: 'ask' });
    d.status('FSD OL', 1_000);
    d.input({ type: 'latched-fsd-choice', choice: 'ignore' }, 2_000);
    expect(d.view().latchedFsd).toEqual({ handling: 'ignored', since: 1_000 });
    d.pollUntil('FSD OL', 100_000, 5_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
    // a second choice has nothing to decide
    d.input({ type: 'latched-fsd-choice', choice: 'obey' }, 100_500);
    expect(d.effects('begin-shutdown')).toEqual([]);
  });

  it('ask: OB with FSD still set does not wait for the operator', () => {
    const d = new Driver({ latchedFsdAtStart: 'ask' });
    d.status('FSD OL', 1_000);
    d.status('FSD OB', 2_000);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });

  it('obey: upsmon behaviour (reported, FSD, shutdown at once)', () => {
    const d = new Driver({ latchedFsdAtStart: 'obey' });
    d.status('FSD OL', 1_000);
    expect(d.events()).toEqual(['FSD_LATCHED_AT_START', 'FSD', 'SHUTDOWN']);
    expect(d.notes()[0]!.message).toContain('obeying it as upsmon would');
  });

  it('a first status with FSD and OB is a live forced shutdown, not a latch', () => {
    const d = new Driver();
    d.status('FSD OB LB', 1_000);
    expect(d.events()).toEqual(['FSD', 'ONBATT', 'LOWBATT', 'SHUTDOWN']);
  });

  it('FSD WAIT at start: undecided until the line state is known', () => {
    const d = new Driver();
    d.status('FSD WAIT', 1_000);
    expect(d.events()).toEqual([]);
    expect(d.view()).toMatchObject({ critical: false, hold: 'fsd-unconfirmed' });
    d.status('FSD OL', 3_000);
    expect(d.events()).toEqual(['FSD_LATCHED_AT_START']);
    expect(d.effects('begin-shutdown')).toEqual([]);
  });

  it('FSD WAIT at start, then FSD OB → obeyed', () => {
    const d = new Driver();
    d.status('FSD WAIT', 1_000);
    d.status('FSD OB', 2_000);
    expect(d.events()).toEqual(['FSD', 'ONBATT', 'SHUTDOWN']);
  });

  it('FSD without line state for longer than DEADTIME is obeyed', () => {
    const d = new Driver();
    d.status('FSD WAIT', 1_000);
    expect(d.wake()).toBe(1_000 + D + 1);
    d.pollUntil('FSD WAIT', 1_000 + D);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(1_000 + D + 1);
    expect(d.events()).toEqual(['FSD', 'SHUTDOWN']);
  });
});

describe('3.4 REPLBATT', () => {
  it('fires on first sight, then every RBWARNTIME while RB is present (not on every poll)', () => {
    const d = new Driver({ rbWarnMs: 10_000 });
    d.status('OL RB', 1_000);
    d.pollUntil('OL RB', 11_000);
    expect(d.notes().map((n) => n.at)).toEqual([1_000]);
    d.status('OL RB', 11_001);
    d.pollUntil('OL RB', 40_000);
    expect(d.notes().map((n) => [n.event, n.at])).toEqual([
      ['REPLBATT', 1_000],
      ['REPLBATT', 11_001],
      ['REPLBATT', 22_001],
      ['REPLBATT', 33_001],
    ]);
  });

  it('RB flapping does not re-notify before RBWARNTIME', () => {
    const d = new Driver();
    for (let t = 1_000; t < 100_000; t += 2_000) d.status(t % 4_000 === 1_000 ? 'OL RB' : 'OL', t);
    expect(d.events()).toEqual(['REPLBATT']);
  });
});

describe('OTHER / NOTOTHER', () => {
  it('unknown tokens notify OTHER once per set, NOTOTHER once when gone', () => {
    const d = new Driver();
    d.status('OL FOO', 1_000);
    d.pollUntil('OL FOO', 10_000);
    d.status('OL foo', 11_000); // same set, other case
    d.status('OL FOO BAR', 12_000);
    d.status('OL', 13_000);
    d.status('OL', 14_000);
    expect(d.notes().map((n) => [n.event, n.message])).toEqual([
      ['OTHER', `UPS ${UPS}: has at least one unclassified status token: [FOO]`],
      ['OTHER', `UPS ${UPS}: has at least one unclassified status token: [FOO BAR]`],
      ['NOTOTHER', `UPS ${UPS} has no unclassified status tokens anymore`],
    ]);
    expect(d.view().unknownTokens).toEqual([]);
  });

  it('HB, CHRG, DISCHRG and WAIT are known and silent', () => {
    const d = new Driver();
    d.status('OL HB CHRG', 1_000);
    d.status('OL DISCHRG WAIT', 2_000);
    expect(d.events()).toEqual([]);
  });
});

describe('suspend / resume', () => {
  it('nothing is decided on pre-sleep data: OB before sleep, hours asleep, no promotion, no shutdown', () => {
    const d = new Driver();
    d.status('OB', 1_000);
    d.input({ type: 'suspend' }, 2_000);
    // a late reply and a poll failure while suspending are discarded
    d.status('OB LB', 2_001);
    d.fail('connection', 2_002);
    d.tickAt(2_003 + D);
    expect(d.events()).toEqual(['ONBATT']);
    const resumed = d.input({ type: 'resume' }, 3_600_000);
    expect(actions(resumed)).toEqual(['reconnect-now']);
    expect(d.view()).toMatchObject({
      stale: true,
      hold: 'stale',
      critical: false,
      lowBattery: false,
    });
    d.fail('connection', 3_601_000);
    d.tickAt(3_700_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
    expect(d.events()).toEqual(['ONBATT', 'COMMBAD']);
  });

  it('after a fresh read, DEADTIME counts from that read', () => {
    const d = new Driver();
    d.status('OB', 1_000);
    d.input({ type: 'suspend' }, 2_000);
    d.input({ type: 'resume' }, 1_000_000);
    d.status('OB', 1_000_500);
    expect(d.events()).toEqual(['ONBATT']); // still on battery: no new ONBATT
    expect(d.view().stale).toBe(false);
    d.tickAt(1_000_500 + D);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(1_000_500 + D + 1);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });

  it('the HOSTSYNC wait restarts from the first fresh read after resume', () => {
    const d = new Driver();
    d.status('OB LB', 1_000);
    d.input({ type: 'suspend' }, 2_000);
    d.input({ type: 'resume' }, 1_000_000);
    d.status('OB LB', 1_000_100);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(1_000_100 + H);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(1_000_100 + H + 1);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });

  it('transitions relative to the pre-sleep state are notified on the first fresh read', () => {
    const d = new Driver();
    d.status('OB', 1_000);
    d.input({ type: 'suspend' }, 2_000);
    d.input({ type: 'resume' }, 100_000);
    d.status('OL', 100_100);
    expect(d.events()).toEqual(['ONBATT', 'ONLINE']);
  });

  it('an FSD first seen after resume while on line is judged as a latch (we did not see it being set)', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.input({ type: 'suspend' }, 2_000);
    d.input({ type: 'resume' }, 100_000);
    d.status('FSD OL', 100_100);
    expect(d.events()).toEqual(['FSD_LATCHED_AT_START']);
    expect(d.effects('begin-shutdown')).toEqual([]);
  });

  it('a begun shutdown is a commitment: it completes after the resume', () => {
    const d = new Driver();
    d.status('FSD OB', 1_000);
    d.input({ type: 'suspend' }, 2_000);
    d.tickAt(1_000 + F); // discarded while suspended
    expect(d.effects('run-shutdown-command')).toEqual([]);
    const e = d.input({ type: 'resume' }, 50_000);
    expect(actions(e)).toEqual(['reconnect-now', 'run-shutdown-command', 'close-session']);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });
});

describe('local-fsd-requested (upsmon -c fsd)', () => {
  it('runs the shutdown sequence at once', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    const e = d.input({ type: 'local-fsd-requested', source: 'upssched early-shutdown' }, 2_000);
    expect(actions(e)).toEqual(['notify:SHUTDOWN', 'begin-shutdown']);
    expect(e.find((x) => x.type === 'begin-shutdown')).toMatchObject({
      reason: 'local-fsd',
      episode: 1,
    });
    d.input({ type: 'local-fsd-requested' }, 3_000); // already shutting down
    d.tickAt(2_000 + F);
    expect(actions(d.last)).toEqual(['run-shutdown-command', 'close-session']);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });

  it('works before any status was read', () => {
    const d = new Driver();
    d.input({ type: 'local-fsd-requested' }, 1_000);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
  });

  it('is ignored in monitor-only role', () => {
    const d = new Driver({ role: 'monitor-only' });
    d.input({ type: 'local-fsd-requested' }, 1_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
    expect(d.logs().some((m) => m.includes('monitor-only'))).toBe(true);
  });
});

describe('MINSUPPLIES: hostDecides + supplies-short (main/monitor/README.md §1.6 step 3, summed by the host)', () => {
  it('a critical UPS does not shut down by itself; it is shown critical and the host decides', () => {
    const d = new Driver({ hostDecides: true });
    d.status('OB LB', 1_000);
    d.tickAt(1_000 + H + 1);
    expect(d.view()).toMatchObject({
      critical: true,
      criticalReason: 'on-battery-low-battery',
      shutdown: { phase: 'none' },
    });
    d.status('FSD OB LB', 20_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
    expect(d.logs().some((m) => m.includes('MINSUPPLIES: the supplies of all UPSes decide'))).toBe(
      true,
    );
    expect(d.events()).toEqual(['ONBATT', 'LOWBATT', 'FSD']); // notifications as usual, no SHUTDOWN
  });

  it('supplies-short starts the sequence once (reason min-supplies), also for a UPS that is fine itself', () => {
    const d = new Driver({ hostDecides: true });
    d.status('OL', 1_000);
    const e = d.input(
      { type: 'supplies-short', detail: 'power 0 left, MINSUPPLIES 1; critical: a@h, b@h' },
      2_000,
    );
    expect(actions(e)).toEqual(['notify:SHUTDOWN', 'begin-shutdown']);
    expect(e.find((x) => x.type === 'begin-shutdown')).toMatchObject({
      reason: 'min-supplies',
      episode: 1,
    });
    d.input({ type: 'supplies-short', detail: 'again' }, 3_000);
    d.tickAt(2_000 + F);
    expect(actions(d.last)).toEqual(['run-shutdown-command', 'close-session']);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
    expect(d.logs().some((m) => m.includes('critical: a@h, b@h'))).toBe(true);
  });

  it('is ignored in monitor-only role', () => {
    const d = new Driver({ role: 'monitor-only', hostDecides: true });
    d.input({ type: 'supplies-short', detail: 'power 0 left' }, 1_000);
    expect(d.effects('begin-shutdown')).toEqual([]);
  });
});

describe('monitor-only role', () => {
  it('notifies like upsmon but never shuts down, even on FSD or OB+LB for ages', () => {
    const d = new Driver({ role: 'monitor-only' });
    d.status('OL', 1_000);
    d.status('OB LB', 2_000);
    d.pollUntil('OB LB', 100_000, 5_000);
    d.status('FSD OB LB', 101_000);
    d.fail('timeout', 102_000);
    d.tickAt(10_000_000);
    expect(d.events()).toEqual(['ONBATT', 'LOWBATT', 'FSD', 'COMMBAD', 'NOCOMM']);
    expect(d.effects('begin-shutdown')).toEqual([]);
    expect(d.effects('run-shutdown-command')).toEqual([]);
    expect(d.effects('close-session')).toEqual([]);
    expect(d.view()).toMatchObject({
      critical: true,
      criticalReason: 'fsd',
      shutdown: { phase: 'none' },
      login: 'not-applicable',
    });
  });

  it('shows no HOSTSYNC countdown', () => {
    const d = new Driver({ role: 'monitor-only' });
    d.status('OB LB', 1_000);
    expect(d.view()).toMatchObject({
      hold: 'waiting-for-primary',
      shutdown: { phase: 'none', deadline: null },
    });
  });
});

describe('one shutdown per episode', () => {
  it('flapping after the command never produces a second shutdown', () => {
    const d = new Driver();
    d.status('FSD OB LB', 1_000);
    d.tickAt(1_000 + F);
    d.input({ type: 'shutdown-command-finished', ok: true }, 2_000 + F);
    for (let t = 10_000; t < 200_000; t += 1_000)
      d.status(['OL', 'OB', 'OB LB', 'FSD OB LB'][(t / 1_000) % 4]!, t);
    d.input({ type: 'local-fsd-requested' }, 200_000);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
    expect(d.effects('run-shutdown-command')).toHaveLength(1);
    expect(d.events().filter((e) => e === 'SHUTDOWN')).toHaveLength(1);
    expect(d.logs().some((m) => m.includes('no second shutdown'))).toBe(true);
  });

  it('power restored during FINALDELAY does not cancel the begun shutdown', () => {
    const d = new Driver();
    d.status('FSD OB LB', 1_000);
    d.status('OL', 2_000);
    d.tickAt(1_000 + F);
    expect(d.effects('run-shutdown-command')).toHaveLength(1);
  });

  it('a failed command: no retry, keep monitoring (reconnect), acknowledgement re-arms', () => {
    const d = new Driver();
    d.status('OB LB', 1_000);
    d.tickAt(1_000 + H + 1);
    d.tickAt(1_000 + H + 1 + F);
    const e = d.input(
      { type: 'shutdown-command-finished', ok: false, detail: 'exit code 1' },
      30_000,
    );
    expect(actions(e)).toEqual(['reconnect-now']);
    expect(d.view()).toMatchObject({
      shutdown: { phase: 'done', commandOk: false },
      sessionWanted: true,
    });
    d.pollUntil('OB LB', 100_000);
    expect(d.effects('begin-shutdown')).toHaveLength(1);

    // acknowledgement re-arms on fresh data: the HOSTSYNC wait starts again
    d.input({ type: 'episode-acknowledged' }, 100_500);
    expect(d.view().shutdown.phase).toBe('none');
    d.status('OB LB', 101_000);
    d.tickAt(101_000 + H);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
    d.tickAt(101_000 + H + 1);
    expect(d.effects('begin-shutdown').map((r) => r.effect)).toMatchObject([
      { episode: 1 },
      { episode: 2 },
    ]);
  });

  it('acknowledgement is refused while no episode ended', () => {
    const d = new Driver();
    d.input({ type: 'episode-acknowledged' }, 1_000);
    d.status('FSD OB', 2_000);
    d.input({ type: 'episode-acknowledged' }, 3_000);
    expect(d.view().shutdown.phase).toBe('final-delay');
    expect(d.logs().filter((m) => m.includes('acknowledgement ignored'))).toHaveLength(2);
  });

  it('after acknowledgement a still-latched FSD on line power is treated as latched (Synology safe mode)', () => {
    const d = new Driver();
    d.status('FSD OB LB', 1_000);
    d.tickAt(1_000 + F);
    d.input({ type: 'shutdown-command-finished', ok: true }, 7_000);
    d.input({ type: 'episode-acknowledged' }, 600_000);
    expect(d.effects('reconnect-now')).toHaveLength(1);
    d.status('FSD OL CHRG', 601_000);
    d.pollUntil('FSD OL CHRG', 700_000, 5_000);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
    expect(d.events()).toContain('FSD_LATCHED_AT_START');
  });

  it('a hibernate-style command: resume after it, the session is wanted again', () => {
    const d = new Driver();
    d.status('FSD OB', 1_000);
    d.tickAt(1_000 + F);
    d.input({ type: 'suspend' }, 6_500);
    const r = d.input({ type: 'resume' }, 900_000);
    expect(actions(r)).toEqual([]); // command still running: no reconnect
    const f = d.input({ type: 'shutdown-command-finished', ok: true }, 900_100);
    expect(actions(f)).toEqual(['reconnect-now']);
    expect(d.view().sessionWanted).toBe(true);
  });
});

describe('time on battery', () => {
  it('counts from the first OB read of a stretch, kept through LB, cleared on line', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    expect(d.view().onBatterySince).toBeNull();
    d.status('OB DISCHRG', 2_000);
    d.status('OB LB', 9_000);
    expect(d.view().onBatterySince).toBe(2_000);
    d.status('OL CHRG', 10_000);
    expect(d.view().onBatterySince).toBeNull();
    d.status('OB', 20_000);
    expect(d.view().onBatterySince).toBe(20_000);
  });
});

describe('dry run: a rehearsal logs out, logs in again and keeps monitoring', () => {
  const R = 5_000; // DEFAULT_REHEARSAL_LOGOUT_MS

  it('logs out like a real shutdown, logs in after the hold, one rehearsal while FSD stays latched, over when back on line', () => {
    const d = new Driver();
    d.status('FSD OB LB', 1_000);
    d.tickAt(1_000 + F);
    expect(d.effects('close-session')).toHaveLength(1);
    const done = d.input(
      { type: 'shutdown-command-finished', ok: true, dryRun: true },
      1_000 + F + 50,
    );
    expect(actions(done)).not.toContain('reconnect-now'); // the master must see the logout first
    expect(d.view()).toMatchObject({
      shutdown: { phase: 'rehearsed', rehearsedAt: 1_000 + F + 50, commandOk: null },
      sessionWanted: false,
    });
    expect(nextWakeAt(d.state, d.config)).toBe(1_000 + F + 50 + R);
    d.tickAt(1_000 + F + 50 + R - 1);
    expect(d.effects('reconnect-now')).toHaveLength(0);
    d.tickAt(1_000 + F + 50 + R);
    expect(d.effects('reconnect-now')).toHaveLength(1);
    expect(d.view().sessionWanted).toBe(true);

    // FSD stays latched (as after an FSD test): still critical, but no second shutdown, no logout loop.
    d.pollUntil('FSD OB LB', 60_000);
    d.pollUntil('FSD OL', 120_000);
    expect(d.effects('begin-shutdown')).toHaveLength(1);
    expect(d.effects('close-session')).toHaveLength(1);
    expect(d.view().shutdown.phase).toBe('rehearsed');
    // Back on line (the latch cleared): the episode is over without any acknowledgement.
    d.status('OL', 121_000);
    expect(d.view()).toMatchObject({
      shutdown: { phase: 'none', rehearsedAt: null },
      critical: false,
    });
    expect(d.logs().some((m) => m.includes('rehearsed shutdown episode 1 is over'))).toBe(true);
    // The next outage is a new episode.
    d.status('OB LB', 130_000);
    d.tickAt(130_000 + H + 1);
    expect(d.effects('begin-shutdown').map((r) => r.effect)).toMatchObject([
      { episode: 1 },
      { episode: 2 },
    ]);
  });

  it('a reading from before the re-login does not end the episode; on battery without LB it stays rehearsed', () => {
    const d = new Driver();
    d.status('OB LB', 1_000);
    d.tickAt(1_000 + H + 1);
    d.tickAt(1_000 + H + 1 + F);
    d.input({ type: 'shutdown-command-finished', ok: true, dryRun: true }, 1_000 + H + 1 + F);
    d.status('OL', 1_000 + H + 1 + F + 100); // a late answer on the old connection
    expect(d.view().shutdown.phase).toBe('rehearsed');
    d.tickAt(1_000 + H + 1 + F + R);
    d.status('OB', 40_000);
    expect(d.view().shutdown.phase).toBe('rehearsed');
    d.status('OL CHRG', 41_000);
    expect(d.view().shutdown.phase).toBe('none');
  });

  it('a failed real command still needs the acknowledgement (Re-arm monitoring)', () => {
    const d = new Driver();
    d.status('FSD OB LB', 1_000);
    d.tickAt(1_000 + F);
    d.input({ type: 'shutdown-command-finished', ok: false, detail: 'exit code 1' }, 7_000);
    d.pollUntil('OL', 60_000);
    expect(d.view().shutdown).toMatchObject({ phase: 'done', commandOk: false });
  });
});

describe('state-changed, view and purity', () => {
  it('emits state-changed with the view only when the view changes', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    expect(d.last.filter((e) => e.type === 'state-changed')).toHaveLength(1);
    d.status('OL', 2_000);
    expect(d.last.filter((e) => e.type === 'state-changed')).toHaveLength(1); // lastPollAt moved
    d.tickAt(3_000);
    expect(d.last).toEqual([]);
    const view = d.effects('state-changed').at(-1)!.effect;
    expect(view).toMatchObject({ type: 'state-changed', view: describeState(d.state) });
  });

  it('never mutates the input state and is deterministic', () => {
    const cfg = decisionConfig(UPS);
    const s0 = deepFreeze(initialState(0, cfg));
    const a = step(s0, { type: 'status-read', status: 'OB LB' }, 10, cfg);
    const b = step(s0, { type: 'status-read', status: 'OB LB' }, 10, cfg);
    expect(a).toEqual(b);
    expect(s0.flags.onBattery).toBe(false);
    expect(a.state.flags.onBattery).toBe(true);
  });

  it('clamps a clock going backwards and says so', () => {
    const cfg = decisionConfig(UPS);
    const s = step(initialState(1_000, cfg), { type: 'tick' }, 500, cfg);
    expect(s.state.now).toBe(1_000);
    expect(s.effects[0]).toMatchObject({ type: 'log', level: 'warn' });
  });

  it('describeState maps comm, line and login', () => {
    const d = new Driver();
    expect(d.view()).toMatchObject({
      comm: 'never',
      line: 'unknown',
      login: 'not-attempted',
      statusText: 'No status read yet',
      stale: false,
    });
    d.input({ type: 'connected' }, 1_000);
    d.input({ type: 'login-result', result: 'ok' }, 1_000);
    d.status('OB', 1_000);
    expect(d.view()).toMatchObject({
      comm: 'ok',
      line: 'on-battery',
      loggedIn: true,
      login: 'ok',
      lastPollAt: 1_000,
    });
    d.input({ type: 'disconnected' }, 2_000);
    expect(d.view()).toMatchObject({ loggedIn: false, login: 'not-attempted', connected: false });
  });
});

describe('WAIT: upsd’s placeholder while it reconnects to a driver is not an observation', () => {
  it.each(['WAIT', 'FSD WAIT', 'wait'])(
    '"%s" clears none of OFF, BYPASS, CAL (or LB); the next real status does',
    (placeholder) => {
      const d = new Driver();
      d.status('OB LB BYPASS CAL OFF', 1_000);
      d.status(placeholder, 2_000);
      expect(d.state.flags).toMatchObject({
        onBattery: true,
        lowBattery: true,
        bypass: true,
        cal: true,
        off: true,
      });
      expect(d.events()).not.toContain('NOTBYPASS');
      expect(d.state.lastPollAt).toBe(1_000);
      d.status('OL', 3_000);
      expect(d.events()).toEqual(
        expect.arrayContaining(['NOTBYPASS', 'NOTCAL', 'NOTOFF', 'ONLINE']),
      );
    },
  );

  it('does not end a comm loss: no COMMOK, and the comm-loss grace keeps its start (a flapping driver cannot keep a bypassed UPS up)', () => {
    const G = DEFAULT_DECISION_CONFIG.commLossCriticalMs;
    const d = new Driver();
    d.status('OL BYPASS', 1_000);
    d.fail('driver-not-connected', 2_000);
    d.status('WAIT', 3_000);
    d.fail('driver-not-connected', 4_000);
    d.status('WAIT', 5_000);
    expect(d.state).toMatchObject({ commState: 'lost', commFailingSince: 2_000 });
    expect(d.wake()).toBe(2_000 + G);
    d.tickAt(2_000 + G - 1);
    expect(d.effects('begin-shutdown')).toEqual([]);
    d.tickAt(2_000 + G);
    expect(d.effects('begin-shutdown').map((r) => r.effect)).toEqual([
      expect.objectContaining({ reason: 'comm-lost-bypass' }),
    ]);
    expect(d.events()).toEqual(['BYPASS', 'COMMBAD', 'SHUTDOWN']);
  });

  it('a driver flapping DRIVER-NOT-CONNECTED / WAIT while on bypass: critical once comm has been lost for the grace', () => {
    const G = DEFAULT_DECISION_CONFIG.commLossCriticalMs;
    const d = new Driver();
    d.status('OL BYPASS', 1_000);
    for (let t = 2_000; t < 2_000 + G; t += 1_000) {
      d.fail('driver-not-connected', t);
      d.status('WAIT', t + 500);
    }
    d.tickAt(2_000 + G);
    expect(d.effects('begin-shutdown')[0]?.effect).toMatchObject({ reason: 'comm-lost-bypass' });
    expect(d.events()).toEqual(['BYPASS', 'COMMBAD', 'SHUTDOWN']);
  });

  it('with comm ok: no COMMBAD for the second upsd shows it, but the reading does not count (DEADTIME keeps running while on battery)', () => {
    const d = new Driver();
    d.status('OB', 1_000);
    d.pollUntil('WAIT', 1_000 + D + 1_000);
    expect(d.events()).toEqual(['ONBATT', 'SHUTDOWN']);
    expect(d.effects('begin-shutdown')[0]!.effect).toMatchObject({ reason: 'dead-on-battery' });
    expect(d.view()).toMatchObject({ comm: 'ok', line: 'on-battery', lowBatteryAssumed: true });
  });

  it('FSD WAIT while running is still a live FSD (FSD is upsd’s own flag)', () => {
    const d = new Driver();
    d.status('OL', 1_000);
    d.status('FSD WAIT', 2_000);
    expect(d.events()).toEqual(['FSD', 'SHUTDOWN']);
    expect(d.effects('begin-shutdown')[0]!.effect).toMatchObject({ reason: 'fsd' });
  });

  it('WAIT after FSD clears the FSD flag (upsd would prefix it if it were set) but nothing else', () => {
    const d = new Driver({ latchedFsdAtStart: 'ignore-while-online' });
    d.status('FSD OL BYPASS', 1_000);
    d.status('WAIT', 2_000);
    expect(d.state.flags).toMatchObject({ fsd: false, bypass: true, online: true });
  });
});
