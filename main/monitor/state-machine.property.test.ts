/**
 * Property-based tests: random sequences of timed inputs (flapping OL/OB/LB/FSD/CAL, comm
 * failures, sleeps, LOGIN results, operator actions) against invariants that must hold for any
 * sequence, checked by an independent oracle built from the inputs alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NotifyType } from '../../shared/notify-types';
import { isPlaceholderStatus, parseStatus } from './status';
import {
  decisionConfig,
  initialState,
  nextWakeAt,
  step,
  type DecisionConfig,
  type MonitorEffect,
  type MonitorInput,
  type PollFailureReason,
  type UpsMonitorState,
} from './state-machine';
import { UPS, deepFreeze } from './testing/driver';

const START = 1_000;

interface Step {
  readonly at: number;
  readonly input: MonitorInput;
  readonly before: UpsMonitorState;
  readonly after: UpsMonitorState;
  readonly effects: readonly MonitorEffect[];
}

function run(
  config: DecisionConfig,
  steps: ReadonlyArray<{ dt: number; input: MonitorInput }>,
): Step[] {
  let state = deepFreeze(initialState(START, config));
  let now = START;
  const trace: Step[] = [];
  for (const { dt, input } of steps) {
    now += dt;
    const result = step(state, input, now, config);
    const after = deepFreeze(result.state);
    trace.push({ at: now, input, before: state, after, effects: result.effects });
    state = after;
  }
  return trace;
}

// ---------------------------------------------------------------------------------------------
// Generators

const token = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('OL', 'OB', 'LB') },
  { weight: 2, arbitrary: fc.constantFrom('FSD', 'CAL', 'RB', 'CHRG') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('BYPASS', 'OFF', 'WAIT', 'ALARM', 'XYZ', 'ol', 'lb', 'fsd'),
  },
);
const statusArb = fc.oneof(
  { weight: 5, arbitrary: fc.array(token, { maxLength: 4 }).map((tokens) => tokens.join(' ')) },
  // upsd's placeholder while it reconnects to a driver.
  { weight: 1, arbitrary: fc.constantFrom('WAIT', 'FSD WAIT', 'WAIT FSD', 'wait') },
);
const reasons: PollFailureReason[] = [
  'data-stale',
  'driver-not-connected',
  'unknown-ups',
  'connection',
  'timeout',
  'login-refused',
  'empty-status',
];

function inputArb(ackWeight: number, finishedWeight = 1): fc.Arbitrary<MonitorInput> {
  return fc.oneof(
    {
      weight: 12,
      arbitrary: statusArb.map((status): MonitorInput => ({ type: 'status-read', status })),
    },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...reasons)
        .map((reason): MonitorInput => ({ type: 'poll-failed', reason, message: reason })),
    },
    { weight: 4, arbitrary: fc.constant<MonitorInput>({ type: 'tick' }) },
    { weight: 1, arbitrary: fc.constant<MonitorInput>({ type: 'connected' }) },
    {
      weight: 1,
      arbitrary: fc
        .boolean()
        .map((intentional): MonitorInput => ({ type: 'disconnected', intentional })),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constant<MonitorInput>({ type: 'login-result', result: 'ok' }),
        fc
          .constantFrom('ERR ACCESS-DENIED', 'ERR USERNAME-REQUIRED')
          .map((reason): MonitorInput => ({ type: 'login-result', result: 'refused', reason })),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<MonitorInput>({ type: 'suspend' }, { type: 'resume' }),
    },
    { weight: 1, arbitrary: fc.constant<MonitorInput>({ type: 'local-fsd-requested' }) },
    {
      weight: 1,
      arbitrary: fc.constant<MonitorInput>({
        type: 'supplies-short',
        detail: 'power 0 left, MINSUPPLIES 1',
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<MonitorInput>(
        { type: 'latched-fsd-choice', choice: 'obey' },
        { type: 'latched-fsd-choice', choice: 'ignore' },
      ),
    },
    {
      weight: finishedWeight,
      arbitrary: fc
        .boolean()
        .map((ok): MonitorInput => ({ type: 'shutdown-command-finished', ok })),
    },
    { weight: ackWeight, arbitrary: fc.constant<MonitorInput>({ type: 'episode-acknowledged' }) },
  );
}

const dtArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 40_000 }) },
);

function stepsArb(ackWeight: number, finishedWeight = 1) {
  return fc.array(fc.record({ dt: dtArb, input: inputArb(ackWeight, finishedWeight) }), {
    minLength: 1,
    maxLength: 150,
  });
}

/** Random noise interleaved with scripted "critical → command → finished → acknowledged" closures. */
function episodicStepsArb() {
  const closure = fc.constantFrom<Array<{ dt: number; input: MonitorInput }>>(
    [
      { dt: 0, input: { type: 'status-read', status: 'FSD OB LB' } },
      { dt: 20_000, input: { type: 'tick' } },
      { dt: 100, input: { type: 'shutdown-command-finished', ok: true } },
      { dt: 100, input: { type: 'episode-acknowledged' } },
    ],
    [
      { dt: 0, input: { type: 'local-fsd-requested' } },
      { dt: 20_000, input: { type: 'tick' } },
      { dt: 100, input: { type: 'shutdown-command-finished', ok: false } },
      { dt: 100, input: { type: 'episode-acknowledged' } },
    ],
  );
  const noise = fc.array(fc.record({ dt: dtArb, input: inputArb(1) }), { maxLength: 25 });
  return fc
    .array(fc.tuple(noise, fc.option(closure, { nil: [] })), { minLength: 1, maxLength: 6 })
    .map((chunks) => chunks.flatMap(([n, c]) => [...n, ...c]));
}

/** Random sequences, half of them with scripted episode closures. */
const anyStepsArb = () => fc.oneof(stepsArb(1), episodicStepsArb());

const configArb = fc
  .record({
    deadTimeMs: fc.integer({ min: 1, max: 20_000 }),
    hostSyncMs: fc.integer({ min: 0, max: 20_000 }),
    finalDelayMs: fc.integer({ min: 0, max: 10_000 }),
    noCommWarnMs: fc.integer({ min: 1, max: 60_000 }),
    rbWarnMs: fc.integer({ min: 1, max: 100_000 }),
    commLossCriticalMs: fc.integer({ min: 0, max: 10_000 }),
    role: fc.constantFrom('secondary' as const, 'monitor-only' as const),
    hostDecides: fc.boolean(),
    latchedFsdAtStart: fc.constantFrom(
      'ignore-while-online' as const,
      'ask' as const,
      'obey' as const,
    ),
  })
  .map((c) => decisionConfig(UPS, c));

const secondaryConfigArb = configArb.map((c) => ({ ...c, role: 'secondary' as const }));

// ---------------------------------------------------------------------------------------------
// Oracle: what the inputs alone say (independent of the machine's internals)

class Oracle {
  suspended = false;
  freshFrom = START;
  lastRead: { at: number; has: (t: string) => boolean } | null = null;
  /** The last status that said whether FSD is set (real reads and the WAIT placeholder). */
  lastFsd: { at: number; set: boolean } | null = null;
  lineOB = false;
  commFailAfterRead = false;
  /** The first failure since the last successful read. */
  firstFailAfterRead: number | null = null;
  /** A lower bound of upsmon's lastnoncrit: last read whose final state was not OB+LB(+!CAL). */
  lastNonCrit: number | null = null;

  apply(s: Step): void {
    const { input, at } = s;
    switch (input.type) {
      case 'status-read': {
        if (this.suspended) return;
        const parsed = parseStatus(input.status);
        if (parsed.empty) {
          this.failed(at);
          return;
        }
        this.lastFsd = { at, set: parsed.known.includes('FSD') };
        // The WAIT placeholder is neither a reading of the UPS nor a failure.
        if (isPlaceholderStatus(parsed)) return;
        if (this.lastNonCrit === null || this.lastNonCrit < this.freshFrom) this.lastNonCrit = at;
        for (const t of parsed.tokens) {
          if (t.kind === 'known' && t.token === 'OB') this.lineOB = true;
          if (t.kind === 'known' && t.token === 'OL') this.lineOB = false;
        }
        const has = (t: string) => parsed.known.some((k) => k === t);
        if (!(this.lineOB && has('LB') && !has('CAL'))) this.lastNonCrit = at;
        this.lastRead = { at, has };
        this.commFailAfterRead = false;
        this.firstFailAfterRead = null;
        return;
      }
      case 'poll-failed':
        if (!this.suspended) this.failed(at);
        return;
      case 'suspend':
        this.suspended = true;
        return;
      case 'resume':
        this.suspended = false;
        this.freshFrom = at;
        return;
      case 'episode-acknowledged':
        if (s.before.shutdown.phase === 'done') this.freshFrom = at;
        return;
      default:
        return;
    }
  }

  private failed(at: number): void {
    this.commFailAfterRead = true;
    this.firstFailAfterRead ??= at;
  }
}

const ofType = <T extends MonitorEffect['type']>(effects: readonly MonitorEffect[], type: T) =>
  effects.filter((e): e is Extract<MonitorEffect, { type: T }> => e.type === type);

function notifications(
  trace: readonly Step[],
): Array<{ at: number; event: NotifyType; stepIndex: number }> {
  const out: Array<{ at: number; event: NotifyType; stepIndex: number }> = [];
  trace.forEach((s, stepIndex) => {
    for (const e of ofType(s.effects, 'notify')) out.push({ at: s.at, event: e.event, stepIndex });
  });
  return out;
}

/** X and NOTX (or ONBATT/ONLINE) alternate, starting with `first`. */
function expectAlternation(
  events: readonly NotifyType[],
  first: NotifyType,
  second: NotifyType,
): void {
  const seq = events.filter((e) => e === first || e === second);
  seq.forEach((e, i) => expect(e).toBe(i % 2 === 0 ? first : second));
}

const params = { numRuns: 300 };

describe('properties over random input sequences', () => {
  it('the WAIT placeholder never clears OFF, BYPASS, CAL, LB or the line, never moves lastPollAt, never ends a comm loss or restarts its grace', () => {
    fc.assert(
      fc.property(configArb, anyStepsArb(), (config, steps) => {
        for (const s of run(config, steps)) {
          if (
            s.input.type !== 'status-read' ||
            s.before.suspended ||
            !isPlaceholderStatus(parseStatus(s.input.status))
          )
            continue;
          const { before, after } = s;
          for (const flag of ['off', 'bypass', 'cal', 'lowBattery', 'onBattery', 'online'] as const)
            expect(after.flags[flag]).toBe(before.flags[flag]);
          expect(after.lastPollAt).toBe(before.lastPollAt);
          expect(after.commState).toBe(before.commState);
          expect(after.commFailingSince).toBe(before.commFailingSince);
          expect(ofType(s.effects, 'notify').map((e) => e.event)).not.toContain('COMMOK');
          expect(ofType(s.effects, 'notify').map((e) => e.event)).not.toContain('COMMBAD');
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('at most one shutdown per episode; a new episode only after an accepted acknowledgement', () => {
    fc.assert(
      // operator actions weighted up / scripted so that many runs go through several episodes
      fc.property(
        secondaryConfigArb,
        fc.oneof(stepsArb(4, 4), episodicStepsArb()),
        (config, steps) => {
          const trace = run(config, steps);
          let begins = 0;
          let acksSinceBegin = 0;
          const beganAt = new Map<number, number>();
          const ran = new Set<number>();
          for (const s of trace) {
            if (
              s.input.type === 'episode-acknowledged' &&
              s.before.shutdown.phase === 'done' &&
              s.after.shutdown.phase === 'none'
            )
              acksSinceBegin += 1;
            s.effects.forEach((e, i) => {
              if (e.type === 'begin-shutdown') {
                if (begins > 0) expect(acksSinceBegin).toBeGreaterThan(0);
                begins += 1;
                acksSinceBegin = 0;
                expect(e.episode).toBe(begins);
                beganAt.set(e.episode, s.at);
                // SHUTDOWN notification right before, with an empty UPSNAME
                expect(s.effects[i - 1]).toMatchObject({
                  type: 'notify',
                  event: 'SHUTDOWN',
                  upsName: '',
                });
              }
              if (e.type === 'run-shutdown-command') {
                expect(ran.has(e.episode)).toBe(false);
                ran.add(e.episode);
                const began = beganAt.get(e.episode);
                expect(began).toBeDefined();
                expect(s.at - began!).toBeGreaterThanOrEqual(config.finalDelayMs);
                expect(s.effects[i + 1]).toMatchObject({ type: 'close-session' });
              }
              if (e.type === 'close-session')
                expect(s.effects[i - 1]).toMatchObject({ type: 'run-shutdown-command' });
            });
          }
          const shutdowns = notifications(trace).filter((n) => n.event === 'SHUTDOWN');
          expect(shutdowns).toHaveLength(begins);
        },
      ),
      params,
    );
  });

  it('without acknowledgement: at most one shutdown command per process lifetime, however the status flaps', () => {
    fc.assert(
      fc.property(secondaryConfigArb, stepsArb(0), (config, steps) => {
        const trace = run(config, steps);
        const all = trace.flatMap((s) => s.effects);
        expect(ofType(all, 'begin-shutdown').length).toBeLessThanOrEqual(1);
        expect(ofType(all, 'run-shutdown-command').length).toBeLessThanOrEqual(1);
        expect(
          notifications(trace).filter((n) => n.event === 'SHUTDOWN').length,
        ).toBeLessThanOrEqual(1);
      }),
      params,
    );
  });

  it('monitor-only never shuts down, never closes the session for a shutdown', () => {
    fc.assert(
      fc.property(
        configArb.map((c) => ({ ...c, role: 'monitor-only' as const })),
        anyStepsArb(),
        (config, steps) => {
          const all = run(config, steps).flatMap((s) => s.effects);
          expect(ofType(all, 'begin-shutdown')).toEqual([]);
          expect(ofType(all, 'run-shutdown-command')).toEqual([]);
          expect(ofType(all, 'close-session')).toEqual([]);
          expect(ofType(all, 'notify').filter((n) => n.event === 'SHUTDOWN')).toEqual([]);
        },
      ),
      params,
    );
  });

  it('never a shutdown without a critical condition having held on fresh data (independent oracle)', () => {
    fc.assert(
      fc.property(configArb, anyStepsArb(), (config, steps) => {
        const oracle = new Oracle();
        for (const s of run(config, steps)) {
          oracle.apply(s);
          for (const e of ofType(s.effects, 'begin-shutdown')) {
            expect(config.role).toBe('secondary');
            if (e.reason === 'local-fsd') {
              expect(s.input.type).toBe('local-fsd-requested');
              continue;
            }
            if (e.reason === 'min-supplies') {
              expect(s.input.type).toBe('supplies-short');
              continue;
            }
            // MINSUPPLIES: a critical UPS never starts a shutdown by itself, the host decides.
            expect(config.hostDecides).toBe(false);
            expect(oracle.suspended).toBe(false);
            if (e.reason === 'fsd') {
              // FSD is upsd's own flag: `FSD WAIT` reports it too.
              expect(oracle.lastFsd).toMatchObject({ set: true });
              expect(oracle.lastFsd!.at).toBeGreaterThanOrEqual(oracle.freshFrom);
              continue;
            }
            const read = oracle.lastRead;
            expect(read).not.toBeNull();
            expect(read!.at).toBeGreaterThanOrEqual(oracle.freshFrom); // no decision on pre-sleep data
            const sinceNonCrit = s.at - oracle.lastNonCrit!;
            switch (e.reason) {
              case 'on-battery-low-battery':
                expect([oracle.lineOB, read!.has('LB'), read!.has('CAL')]).toEqual([
                  true,
                  true,
                  false,
                ]);
                expect(sinceNonCrit).toBeGreaterThan(config.hostSyncMs);
                break;
              case 'dead-on-battery':
                expect([oracle.lineOB, read!.has('LB'), read!.has('CAL')]).toEqual([
                  true,
                  false,
                  false,
                ]);
                expect(s.at - read!.at).toBeGreaterThan(config.deadTimeMs);
                expect(sinceNonCrit).toBeGreaterThan(config.hostSyncMs);
                break;
              case 'comm-lost-calibrating':
                expect([oracle.commFailAfterRead, read!.has('CAL')]).toEqual([true, true]);
                expect(s.at - oracle.firstFailAfterRead!).toBeGreaterThanOrEqual(
                  config.commLossCriticalMs,
                );
                break;
              case 'comm-lost-bypass':
                expect([oracle.commFailAfterRead, read!.has('BYPASS')]).toEqual([true, true]);
                expect(s.at - oracle.firstFailAfterRead!).toBeGreaterThanOrEqual(
                  config.commLossCriticalMs,
                );
                break;
              case 'comm-lost-off':
                expect([oracle.commFailAfterRead, read!.has('OFF')]).toEqual([true, true]);
                expect(s.at - oracle.firstFailAfterRead!).toBeGreaterThanOrEqual(
                  config.commLossCriticalMs,
                );
                break;
            }
          }
        }
      }),
      params,
    );
  });

  it('MINSUPPLIES: supplies-short always starts the shutdown for an idle secondary, and nothing else does except a local FSD', () => {
    fc.assert(
      fc.property(
        secondaryConfigArb.map((c) => ({ ...c, hostDecides: true })),
        anyStepsArb(),
        (config, steps) => {
          for (const s of run(config, steps)) {
            const begins = ofType(s.effects, 'begin-shutdown');
            if (s.input.type === 'supplies-short' && s.before.shutdown.phase === 'none')
              expect(begins.map((e) => e.reason)).toEqual(['min-supplies']);
            else if (s.input.type !== 'local-fsd-requested') expect(begins).toEqual([]);
          }
        },
      ),
      params,
    );
  });

  it('a fresh FSD with OB always starts the shutdown at once for an idle secondary (liveness)', () => {
    fc.assert(
      fc.property(
        secondaryConfigArb.map((c) => ({ ...c, hostDecides: false })),
        anyStepsArb(),
        (config, steps) => {
          for (const s of run(config, steps)) {
            if (
              s.input.type !== 'status-read' ||
              s.before.suspended ||
              s.before.shutdown.phase !== 'none'
            )
              continue;
            const p = parseStatus(s.input.status);
            if (p.known.includes('FSD') && p.known.includes('OB')) {
              expect(ofType(s.effects, 'begin-shutdown')).toHaveLength(1);
            }
          }
        },
      ),
      params,
    );
  });

  it('notifications only on real transitions (no storms)', () => {
    fc.assert(
      fc.property(configArb, anyStepsArb(), (config, steps) => {
        const trace = run(config, steps);
        const notes = notifications(trace);
        const events = notes.map((n) => n.event);
        expectAlternation(events, 'ONBATT', 'ONLINE');
        expectAlternation(events, 'COMMBAD', 'COMMOK');
        expectAlternation(events, 'CAL', 'NOTCAL');
        expectAlternation(events, 'OFF', 'NOTOFF');
        expectAlternation(events, 'BYPASS', 'NOTBYPASS');
        expectAlternation(events, 'ALARM', 'NOTALARM');
        // NOTOTHER only after an OTHER
        const other = events.filter((e) => e === 'OTHER' || e === 'NOTOTHER');
        other.forEach((e, i) => {
          if (e === 'NOTOTHER') expect(other[i - 1]).toBe('OTHER');
        });
        // LOWBATT / FSD again only after a processed read without LB / FSD
        for (const [event, tokenName] of [
          ['LOWBATT', 'LB'],
          ['FSD', 'FSD'],
        ] as const) {
          const idx = notes.filter((n) => n.event === event).map((n) => n.stepIndex);
          for (let k = 1; k < idx.length; k++) {
            const between = trace.slice(idx[k - 1]! + 1, idx[k]! + 1);
            const cleared = between.some((s) => {
              if (s.input.type !== 'status-read' || s.before.suspended) return false;
              const p = parseStatus(s.input.status);
              return !p.empty && !p.known.includes(tokenName);
            });
            expect(cleared).toBe(true);
          }
        }
        // repeating warnings respect their intervals
        const spaced = (event: NotifyType, minGap: number, strict: boolean) => {
          const times = notes.filter((n) => n.event === event).map((n) => n.at);
          for (let k = 1; k < times.length; k++) {
            const gap = times[k]! - times[k - 1]!;
            if (strict) expect(gap).toBeGreaterThan(minGap);
            else expect(gap).toBeGreaterThanOrEqual(minGap);
          }
        };
        spaced('NOCOMM', config.noCommWarnMs, true);
        spaced('REPLBATT', config.rbWarnMs, true);
        // one FSD_LATCHED_AT_START per arming (start, resume, accepted acknowledgement)
        const arms =
          1 +
          trace.filter(
            (s) =>
              s.input.type === 'resume' ||
              (s.input.type === 'episode-acknowledged' && s.before.shutdown.phase === 'done'),
          ).length;
        expect(events.filter((e) => e === 'FSD_LATCHED_AT_START').length).toBeLessThanOrEqual(arms);
        // LOGIN_REFUSED: only on a refusal; the same reason again only as a reminder after NOCOMMWARNTIME
        let lastAt: number | null = null;
        let lastReason: string | null = null;
        for (const s of trace) {
          let refusal: string | null = null;
          if (s.input.type === 'login-result' && config.role === 'secondary') {
            if (s.input.result === 'ok') {
              lastAt = null;
              lastReason = null;
            } else {
              refusal = s.input.reason;
            }
          }
          if (
            s.input.type === 'poll-failed' &&
            s.input.reason === 'login-refused' &&
            !s.before.suspended
          )
            refusal = s.input.message;
          if (ofType(s.effects, 'notify').some((n) => n.event === 'LOGIN_REFUSED')) {
            expect(refusal).not.toBeNull();
            if (lastAt !== null && refusal === lastReason)
              expect(s.at - lastAt).toBeGreaterThanOrEqual(config.noCommWarnMs);
            lastAt = s.at;
          }
          if (refusal !== null) lastReason = refusal;
        }
      }),
      params,
    );
  });

  it('pure and deterministic: frozen inputs, the same sequence gives the same effects', () => {
    fc.assert(
      fc.property(configArb, anyStepsArb(), (config, steps) => {
        const a = run(config, steps);
        const b = run(config, steps);
        expect(JSON.stringify(b.map((s) => s.effects))).toBe(
          JSON.stringify(a.map((s) => s.effects)),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('nextWakeAt is exact: a tick before it does nothing, a tick at it does something', () => {
    fc.assert(
      fc.property(
        configArb,
        anyStepsArb(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (config, steps, frac) => {
          for (const s of run(config, steps)) {
            const state = s.after;
            const wake = nextWakeAt(state, config);
            if (wake === null) {
              // nothing is time-driven: even ten days later a tick changes nothing
              expect(
                step(state, { type: 'tick' }, state.now + 10 * 86_400_000, config).effects,
              ).toEqual([]);
              continue;
            }
            expect(wake).toBeGreaterThanOrEqual(state.now);
            if (wake > state.now) {
              const early = state.now + Math.floor(frac * (wake - 1 - state.now));
              expect(step(state, { type: 'tick' }, early, config).effects).toEqual([]);
              expect(step(state, { type: 'tick' }, wake - 1, config).effects).toEqual([]);
            }
            expect(step(state, { type: 'tick' }, wake, config).effects.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
