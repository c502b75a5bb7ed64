import { describe, expect, it } from 'vitest';
import { UpsschedRuleSchema, type UpsschedRule } from '../../shared/config';
import { FakeClock } from '../testing/fake-clock';
import { type UpsschedCommand, UpsschedEngine, ruleMatches } from './upssched';

const NAS = 'ups@nas.lan';
const OTHER = 'ups@other.lan:3494';

function setup(rules: unknown[]) {
  const clock = new FakeClock();
  const runs: UpsschedCommand[] = [];
  const timerChanges: number[] = [];
  const engine = new UpsschedEngine({
    clock,
    cmdScript: { file: '/usr/local/bin/upssched-cmd', args: ['--from-sentinel'] },
    rules: rules.map((r) => UpsschedRuleSchema.parse(r)),
    launch: (c) => runs.push(c),
    onTimersChanged: (t) => timerChanges.push(t.length),
  });
  const ev = (event: string, upsName = NAS, message = `UPS ${upsName} ${event}`) =>
    engine.handle({ event, upsName, message, monitorId: 'nas/ups' });
  return { clock, runs, engine, ev, timerChanges };
}

describe('upssched engine', () => {
  it('a second START-TIMER with the same name adds a second, independent timer (2.8.0): it fires twice', () => {
    const { clock, runs, engine, ev } = setup([
      { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 'early-shutdown', seconds: 30 },
    ]);
    ev('ONBATT');
    clock.advance(10_000);
    ev('ONBATT');
    expect(engine.timers().map((t) => [t.name, t.dueAt - clock.now()])).toEqual([
      ['early-shutdown', 20_000],
      ['early-shutdown', 30_000],
    ]);
    clock.advance(19_999);
    expect(runs).toHaveLength(0);
    clock.advance(1);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.args).toEqual(['--from-sentinel', 'early-shutdown']);
    clock.advance(10_000);
    expect(runs).toHaveLength(2);
    expect(engine.timers()).toEqual([]);
  });

  it('CANCEL-TIMER on ONLINE cancels every running timer of that name (2.8.5+ semantics) and runs nothing', () => {
    const { clock, runs, engine, ev } = setup([
      { event: 'ONBATT', action: 'START-TIMER', timer: 'early-shutdown', seconds: 30 },
      { event: 'ONBATT', action: 'START-TIMER', timer: 'other', seconds: 60 },
      { event: 'ONLINE', action: 'CANCEL-TIMER', timer: 'early-shutdown', command: 'online-ack' },
    ]);
    ev('ONBATT');
    clock.advance(1000);
    ev('ONBATT');
    expect(engine.timers()).toHaveLength(4);
    const actions = ev('ONLINE');
    expect(actions).toEqual([
      { action: 'CANCEL-TIMER', timer: 'early-shutdown', cancelled: 2, ranCommand: null },
    ]);
    expect(engine.timers().map((t) => t.name)).toEqual(['other', 'other']);
    clock.advance(40_000);
    expect(runs).toHaveLength(0);
    clock.advance(30_000);
    expect(runs.map((r) => r.args.at(-1))).toEqual(['other', 'other']);
  });

  it('CANCEL-TIMER with a command runs CMDSCRIPT <command> when no timer was running', () => {
    const { runs, ev } = setup([
      { event: 'ONLINE', action: 'CANCEL-TIMER', timer: 'early-shutdown', command: 'online-ack' },
    ]);
    const actions = ev('ONLINE');
    expect(actions).toEqual([
      { action: 'CANCEL-TIMER', timer: 'early-shutdown', cancelled: 0, ranCommand: 'online-ack' },
    ]);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.file).toBe('/usr/local/bin/upssched-cmd');
    expect(runs[0]!.args).toEqual(['--from-sentinel', 'online-ack']);
    expect(runs[0]!.cause).toEqual({
      kind: 'cancel-fallback',
      timer: 'early-shutdown',
      argument: 'online-ack',
    });
    expect(runs[0]!.env).toEqual({
      UPSNAME: NAS,
      NOTIFYTYPE: 'ONLINE',
      NOTIFYMSG: `UPS ${NAS} ONLINE`,
    });
  });

  it('CANCEL-TIMER without a command and no timer is a no-op', () => {
    const { runs, ev } = setup([
      { event: 'ONLINE', action: 'CANCEL-TIMER', timer: 'early-shutdown' },
    ]);
    expect(ev('ONLINE')).toEqual([
      { action: 'CANCEL-TIMER', timer: 'early-shutdown', cancelled: 0, ranCommand: null },
    ]);
    expect(runs).toHaveLength(0);
  });

  it('EXECUTE runs CMDSCRIPT <command> immediately', () => {
    const { runs, ev, clock } = setup([
      { event: 'LOWBATT', ups: NAS, action: 'EXECUTE', command: 'lowbatt' },
    ]);
    ev('LOWBATT');
    expect(clock.pending()).toBe(0);
    expect(runs.map((r) => [r.args, r.cause.kind])).toEqual([
      [['--from-sentinel', 'lowbatt'], 'execute'],
    ]);
  });

  it('every matching AT line applies, in order; the event matches case-insensitively', () => {
    const rules: UpsschedRule[] = [
      { event: 'ONBATT', ups: '*', action: 'EXECUTE', command: 'first' },
      { event: 'ONBATT', ups: NAS, action: 'EXECUTE', command: 'second' },
      { event: 'ONLINE', ups: '*', action: 'EXECUTE', command: 'not-me' },
      { event: 'ONBATT', ups: '*', action: 'START-TIMER', timer: 't', seconds: 5 },
    ];
    const { runs, ev, engine } = setup(rules);
    const actions = ev('onbatt');
    expect(actions.map((a) => a.action)).toEqual(['EXECUTE', 'EXECUTE', 'START-TIMER']);
    expect(runs.map((r) => r.args.at(-1))).toEqual(['first', 'second']);
    expect(engine.timers()).toHaveLength(1);
  });

  it('`*` matches any UPS, an exact system string only that UPS', () => {
    const { runs, ev } = setup([
      { event: 'ONBATT', ups: '*', action: 'EXECUTE', command: 'any' },
      { event: 'ONBATT', ups: NAS, action: 'EXECUTE', command: 'nas-only' },
    ]);
    ev('ONBATT', OTHER);
    expect(runs.map((r) => r.args.at(-1))).toEqual(['any']);
    runs.length = 0;
    ev('ONBATT', NAS);
    expect(runs.map((r) => r.args.at(-1))).toEqual(['any', 'nas-only']);
    expect(ruleMatches({ event: 'ONBATT', ups: 'ups@NAS.lan' }, 'ONBATT', NAS)).toBe(false);
    expect(ruleMatches({ event: 'ONBATT', ups: 'ups@nas.lan:3493' }, 'ONBATT', NAS)).toBe(false);
  });

  it('a firing timer gets UPSNAME/NOTIFYTYPE/NOTIFYMSG of the event that STARTED it (not the 2.8.0 daemon env)', () => {
    const { clock, runs, ev } = setup([
      { event: 'ONBATT', action: 'START-TIMER', timer: 'onbatt-timer', seconds: 10 },
      { event: 'COMMBAD', action: 'START-TIMER', timer: 'commbad-timer', seconds: 5 },
    ]);
    ev('ONBATT', NAS, 'first message');
    clock.advance(1000);
    ev('COMMBAD', OTHER, 'second message');
    clock.advance(20_000);
    expect(runs.map((r) => [r.args.at(-1), r.env])).toEqual([
      ['commbad-timer', { UPSNAME: OTHER, NOTIFYTYPE: 'COMMBAD', NOTIFYMSG: 'second message' }],
      ['onbatt-timer', { UPSNAME: NAS, NOTIFYTYPE: 'ONBATT', NOTIFYMSG: 'first message' }],
    ]);
    expect(runs.map((r) => r.cause.kind)).toEqual(['timer', 'timer']);
  });

  it('exposes running timers with UPS and due time, and cancelAll() stops them without running anything', () => {
    const { clock, runs, engine, ev, timerChanges } = setup([
      { event: 'ONBATT', action: 'START-TIMER', timer: 'long', seconds: 300 },
      { event: 'ONBATT', action: 'START-TIMER', timer: 'short', seconds: 3 },
    ]);
    const t0 = clock.now();
    ev('ONBATT', OTHER);
    expect(engine.timers()).toEqual([
      expect.objectContaining({
        name: 'short',
        upsName: OTHER,
        notifyType: 'ONBATT',
        monitorId: 'nas/ups',
        startedAt: t0,
        dueAt: t0 + 3000,
      }),
      expect.objectContaining({ name: 'long', upsName: OTHER, dueAt: t0 + 300_000 }),
    ]);
    expect(engine.cancelAll()).toBe(2);
    expect(clock.pending()).toBe(0);
    clock.advance(400_000);
    expect(runs).toHaveLength(0);
    expect(timerChanges).toEqual([1, 2, 0]);
  });

  it('fractional and zero seconds are honoured', () => {
    const { clock, runs, ev } = setup([
      { event: 'FSD', action: 'START-TIMER', timer: 'zero', seconds: 0 },
      { event: 'FSD', action: 'START-TIMER', timer: 'half', seconds: 0.5 },
    ]);
    ev('FSD');
    expect(runs).toHaveLength(0);
    clock.advance(0);
    expect(runs.map((r) => r.args.at(-1))).toEqual(['zero']);
    clock.advance(500);
    expect(runs.map((r) => r.args.at(-1))).toEqual(['zero', 'half']);
  });

  it('without CMDSCRIPT nothing is launched, and configure() swaps rules while timers keep running', () => {
    const clock = new FakeClock();
    const runs: UpsschedCommand[] = [];
    const engine = new UpsschedEngine({
      clock,
      cmdScript: null,
      rules: [
        UpsschedRuleSchema.parse({
          event: 'ONBATT',
          action: 'START-TIMER',
          timer: 't',
          seconds: 1,
        }),
      ],
      launch: (c) => runs.push(c),
    });
    engine.handle({ event: 'ONBATT', upsName: NAS, message: 'm', monitorId: 'nas/ups' });
    engine.configure({ file: '/bin/true', args: [] }, []);
    expect(
      engine.handle({ event: 'ONBATT', upsName: NAS, message: 'm', monitorId: 'nas/ups' }),
    ).toEqual([]);
    clock.advance(1000);
    expect(runs.map((r) => [r.file, r.args])).toEqual([['/bin/true', ['t']]]);
  });
});
