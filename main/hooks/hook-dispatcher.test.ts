import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HooksSchema, ShutdownSchema } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import { NodeProcessRunner } from '../platform/node-ports';
import { RecordingNotifier } from '../notify/notification-policy';
import { DEFAULT_NOTIFY } from '../../shared/notify-types';
import { HookDispatcher, type HookNotification, eventPolicy } from './hook-dispatcher';
import { FakeClock } from '../testing/fake-clock';
import { runShutdownCommand } from './shutdown-command';

const NAS = 'ups@nas.lan';
let dir: string;
let recorder: string;
let seq = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hook-dispatcher-'));
  // Writes one JSON line per run to $RECORD_FILE (set per test): argv and the NUT env.
  recorder = join(dir, 'recorder.sh');
  writeFileSync(
    recorder,
    [
      '#!/bin/sh',
      'out="$1"; shift',
      'args=""; for a in "$@"; do args="$args|$a"; done',
      'printf "%s\\t%s\\t%s\\t%s\\t%s\\n" "$args" "${NOTIFYTYPE-unset}" "${UPSNAME-unset}" "${NOTIFYMSG-unset}" "$$" >> "$out"',
      'echo "stdout of $1"',
      'echo "stderr line" >&2',
      'exit ${EXIT_WITH:-0}',
      '',
    ].join('\n'),
  );
  chmodSync(recorder, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function outFile(): string {
  return join(dir, `runs-${++seq}.tsv`);
}

interface Run {
  args: string[];
  notifyType: string;
  upsName: string;
  notifyMsg: string;
}

function runsIn(file: string): Run[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [args, notifyType, upsName, notifyMsg] = line.split('\t');
      return {
        args: args!.split('|').slice(1),
        notifyType: notifyType!,
        upsName: upsName!,
        notifyMsg: notifyMsg!,
      };
    });
}

function setup(
  hooksInput: unknown,
  extra: { secrets?: string[]; maxConcurrentRuns?: number; maxRecordedOutputBytes?: number } = {},
) {
  const clock = new FakeClock();
  const events: StoredEvent[] = [];
  const notifier = new RecordingNotifier();
  const dispatcher = new HookDispatcher({
    hooks: HooksSchema.parse(hooksInput),
    runner: new NodeProcessRunner({ killGraceMs: 500 }),
    clock,
    notifier,
    sink: (e) => events.push(e),
    ...(extra.secrets ? { secrets: () => extra.secrets! } : {}),
    ...(extra.maxConcurrentRuns ? { maxConcurrentRuns: extra.maxConcurrentRuns } : {}),
    ...(extra.maxRecordedOutputBytes
      ? { maxRecordedOutputBytes: extra.maxRecordedOutputBytes }
      : {}),
  });
  const send = (event: HookNotification['event'], upsName = NAS, message?: string) =>
    dispatcher.dispatch({
      event,
      upsName,
      monitorId: 'nas/ups',
      ...(message !== undefined ? { message } : {}),
    });
  const runEvents = () => events.filter((e) => e.type === 'HOOK_RUN');
  return { clock, events, runEvents, notifier, dispatcher, send };
}

describe('hook dispatcher: event policy', () => {
  it('defaults like upsmon: notify on for the important events, exec off', () => {
    const hooks = HooksSchema.parse({});
    for (const t of [
      'ONLINE',
      'ONBATT',
      'LOWBATT',
      'FSD',
      'COMMOK',
      'COMMBAD',
      'SHUTDOWN',
      'REPLBATT',
      'NOCOMM',
      'LOGIN_REFUSED',
    ]) {
      expect(eventPolicy(hooks, t)).toEqual({ notify: true, exec: false, template: undefined });
    }
    for (const t of ['CAL', 'TRIM', 'NOTBOOST']) expect(eventPolicy(hooks, t).notify).toBe(false);
    expect(DEFAULT_NOTIFY.has('NOTCAL')).toBe(false);
  });

  it('shows a desktop notification with the default message, urgency by event and a route to the UPS', async () => {
    const { notifier, send, dispatcher } = setup({});
    const onbatt = send('ONBATT');
    send('LOWBATT');
    send('ONLINE', NAS, 'monitor says: back on line');
    send('CAL');
    await dispatcher.idle();
    expect(onbatt).toMatchObject({ message: `UPS ${NAS} on battery`, notified: true, queued: 0 });
    expect(notifier.list().map(({ at: _at, ...n }) => n)).toEqual([
      {
        key: `ONBATT:${NAS}`,
        title: 'On battery',
        body: `UPS ${NAS} on battery`,
        urgency: 'normal',
        route: '/ups/nas%2Fups',
      },
      {
        key: `LOWBATT:${NAS}`,
        title: 'Low battery',
        body: `UPS ${NAS} battery is low`,
        urgency: 'critical',
        route: '/ups/nas%2Fups',
      },
      {
        key: `ONLINE:${NAS}`,
        title: 'Power restored',
        body: 'monitor says: back on line',
        urgency: 'low',
        route: '/ups/nas%2Fups',
      },
    ]);
  });

  it('NOTIFYMSG templates replace the message (%s = UPS system string, %% = %), and notify flags override defaults', async () => {
    const { notifier, send, dispatcher } = setup({
      events: {
        ONBATT: { message: 'Power cut at %s (100%% sure)' },
        CAL: { notify: true },
        COMMBAD: { notify: false },
      },
    });
    expect(send('ONBATT', NAS, 'ignored monitor text').message).toBe(
      `Power cut at ${NAS} (100% sure)`,
    );
    send('CAL');
    send('COMMBAD');
    await dispatcher.idle();
    expect(notifier.list().map((n) => [n.title, n.body])).toEqual([
      ['On battery', `Power cut at ${NAS} (100% sure)`],
      ['Battery calibration', `UPS ${NAS}: calibration in progress`],
    ]);
  });
});

describe('hook dispatcher: desktop-only note', () => {
  it('adds the note (e.g. the shutdown countdown) to the desktop notification, never to what hooks receive', async () => {
    const { notifier, dispatcher } = setup({ events: { SHUTDOWN: { exec: true } } });
    const summary = dispatcher.dispatch({
      event: 'SHUTDOWN',
      upsName: '',
      monitorId: '*',
      desktopNote: 'This computer shuts down in 5 s.',
    });
    await dispatcher.idle();
    expect(summary.message).toBe('Auto logout and shutdown proceeding');
    expect(notifier.list().map((n) => n.body)).toEqual([
      'Auto logout and shutdown proceeding. This computer shuts down in 5 s.',
    ]);
  });
});

describe('hook dispatcher: NOTIFYCMD and per-event hooks (real processes)', () => {
  it('runs NOTIFYCMD only for events with exec, message last, env NOTIFYTYPE/UPSNAME', async () => {
    const out = outFile();
    const { send, dispatcher, runEvents } = setup({
      notifyCommand: { file: recorder, args: [out, '--flag'] },
      events: { ONBATT: { exec: true, message: 'On battery: %s' } },
    });
    expect(send('ONLINE').queued).toBe(0);
    expect(send('ONBATT').queued).toBe(1);
    await dispatcher.idle();
    expect(runsIn(out)).toEqual([
      {
        args: ['--flag', `On battery: ${NAS}`],
        notifyType: 'ONBATT',
        upsName: NAS,
        notifyMsg: 'unset',
      },
    ]);
    expect(runEvents()).toHaveLength(1);
    expect(runEvents()[0]).toMatchObject({
      kind: 'hook',
      type: 'HOOK_RUN',
      monitorId: 'nas/ups',
      severity: 'info',
      data: {
        source: 'notify-command',
        event: 'ONBATT',
        upsName: NAS,
        program: recorder,
        args: [out, '--flag', `On battery: ${NAS}`],
        env: ['NOTIFYTYPE', 'UPSNAME'],
        exitCode: 0,
        signal: null,
        timedOut: false,
        stdout: 'stdout of --flag\n',
        stderr: 'stderr line\n',
      },
    });
    expect(runEvents()[0]!.message).toMatch(
      /^NOTIFYCMD .*recorder\.sh on ONBATT exited with code 0 \(\d+ ms\)$/,
    );
    expect(typeof runEvents()[0]!.data!.durationMs).toBe('number');
  });

  it('runs the per-event hooks that match the event and the UPS (`*` or exact), with NOTIFYMSG', async () => {
    const out = outFile();
    const { send, dispatcher } = setup({
      eventHooks: [
        {
          events: ['ONBATT', 'LOWBATT'],
          ups: '*',
          command: { file: recorder, args: [out, 'any-ups'] },
        },
        { events: ['ONBATT'], ups: NAS, command: { file: recorder, args: [out, 'nas-only'] } },
        {
          events: ['ONBATT'],
          ups: 'ups@other:3494',
          command: { file: recorder, args: [out, 'other-only'] },
        },
        { events: ['ONLINE'], command: { file: recorder, args: [out, 'online-only'] } },
      ],
    });
    expect(send('ONBATT').queued).toBe(2);
    await dispatcher.idle();
    send('LOWBATT', 'ups@third');
    await dispatcher.idle();
    const runs = runsIn(out).map((r) => [r.args[0], r.notifyType, r.upsName, r.notifyMsg]);
    expect(runs).toHaveLength(3);
    expect(runs).toEqual(
      expect.arrayContaining([
        ['any-ups', 'ONBATT', NAS, `UPS ${NAS} on battery`],
        ['nas-only', 'ONBATT', NAS, `UPS ${NAS} on battery`],
        ['any-ups', 'LOWBATT', 'ups@third', 'UPS ups@third battery is low'],
      ]),
    );
  });

  it('records a failing hook with its exit code and bounded output as a warning', async () => {
    const bigOut = join(dir, 'big.sh');
    writeFileSync(
      bigOut,
      '#!/bin/sh\ni=0; while [ $i -lt 500 ]; do echo "noise $i"; i=$((i+1)); done; echo "failing now" >&2; exit 7\n',
    );
    chmodSync(bigOut, 0o755);
    const { send, dispatcher, runEvents } = setup(
      { eventHooks: [{ events: ['FSD'], command: { file: bigOut } }] },
      { maxRecordedOutputBytes: 200 },
    );
    send('FSD');
    await dispatcher.idle();
    const [e] = runEvents();
    expect(e!.severity).toBe('warning');
    expect(e!.message).toMatch(/exited with code 7/);
    expect(e!.data!.exitCode).toBe(7);
    expect(e!.data!.stderr).toBe('failing now\n');
    const stdout = e!.data!.stdout as string;
    expect(stdout.startsWith('[…]')).toBe(true);
    expect(stdout.endsWith('noise 499\n')).toBe(true);
    expect(Buffer.byteLength(stdout)).toBeLessThanOrEqual(200 + 5);
  });

  it('records a program that cannot start (spawnError) instead of throwing', async () => {
    const { send, dispatcher, runEvents } = setup({
      eventHooks: [{ events: ['ONBATT'], command: { file: join(dir, 'missing-hook') } }],
    });
    send('ONBATT');
    await dispatcher.idle();
    expect(runEvents()[0]).toMatchObject({
      severity: 'warning',
      data: { exitCode: null, spawnError: expect.stringMatching(/ENOENT/) },
    });
    expect(runEvents()[0]!.message).toMatch(/could not start/);
  });

  it('never blocks the caller, and kills a hanging hook at its timeout', async () => {
    const hang = join(dir, 'hang.sh');
    const pidFile = join(dir, 'hang.pid');
    writeFileSync(hang, `#!/bin/sh\necho $$ > ${pidFile}\necho before-hang\nexec sleep 60\n`);
    chmodSync(hang, 0o755);
    const { send, dispatcher, runEvents } = setup({
      eventHooks: [{ events: ['ONBATT'], command: { file: hang }, timeoutSeconds: 1 }],
    });
    const t0 = performance.now();
    send('ONBATT');
    const dispatchMs = performance.now() - t0;
    expect(dispatchMs).toBeLessThan(50);
    expect(runEvents()).toHaveLength(0);
    await dispatcher.idle();
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(4000);
    const e = runEvents()[0]!;
    expect(e.data).toMatchObject({
      timedOut: true,
      signal: 'SIGTERM',
      exitCode: null,
      stdout: 'before-hang\n',
      timeoutMs: 1000,
    });
    expect(e.message).toMatch(/timed out after 1 s and was killed/);
    expect(e.severity).toBe('warning');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('runs at most maxConcurrentRuns programs at once, in order', async () => {
    const out = outFile();
    const slow = join(dir, 'slow.sh');
    writeFileSync(
      slow,
      `#!/bin/sh\necho "start $1" >> ${out}\nsleep 0.2\necho "end $1" >> ${out}\n`,
    );
    chmodSync(slow, 0o755);
    const { send, dispatcher } = setup(
      {
        eventHooks: [
          { events: ['ONBATT'], command: { file: slow, args: ['a'] } },
          { events: ['ONBATT'], command: { file: slow, args: ['b'] } },
          { events: ['ONBATT'], command: { file: slow, args: ['c'] } },
        ],
      },
      { maxConcurrentRuns: 1 },
    );
    send('ONBATT');
    await dispatcher.idle();
    expect(readFileSync(out, 'utf8')).toBe('start a\nend a\nstart b\nend b\nstart c\nend c\n');
  });

  it('a flapping line coalesces: at most one pending run per hook and event, the newest event kept', async () => {
    const out = outFile();
    const slow = join(dir, 'slow-flap.sh');
    writeFileSync(slow, `#!/bin/sh\necho "$1 $NOTIFYMSG" >> ${out}\nsleep 0.15\n`);
    chmodSync(slow, 0o755);
    const { send, dispatcher, runEvents } = setup(
      {
        eventHooks: [
          { events: ['ONBATT'], command: { file: slow, args: ['onbatt'] } },
          { events: ['ONLINE'], command: { file: slow, args: ['online'] } },
        ],
      },
      { maxConcurrentRuns: 1 },
    );
    for (let i = 0; i < 20; i++) {
      send('ONBATT', NAS, `off ${i}`);
      send('ONLINE', NAS, `on ${i}`);
    }
    await dispatcher.idle();
    // The first ONBATT ran at once; the other 39 events folded into one ONBATT and one ONLINE run.
    expect(readFileSync(out, 'utf8')).toBe('onbatt off 0\nonline on 19\nonbatt off 19\n');
    expect(runEvents().map((e) => e.data?.coalesced ?? 0)).toEqual([0, 19, 18]);
  });

  it('drops a run that could only start long after its event, with an event saying so', async () => {
    const out = outFile();
    const blocker = join(dir, 'blocker.sh');
    writeFileSync(blocker, `#!/bin/sh\necho "$1" >> ${out}\nsleep 0.3\n`);
    chmodSync(blocker, 0o755);
    const { send, dispatcher, events, clock } = setup(
      {
        maxStartDelaySeconds: 30,
        eventHooks: [
          { events: ['ONBATT'], command: { file: blocker, args: ['first'] } },
          { events: ['ONBATT'], command: { file: blocker, args: ['late'] } },
        ],
      },
      { maxConcurrentRuns: 1 },
    );
    send('ONBATT');
    clock.advance(31_000);
    await dispatcher.idle();
    expect(readFileSync(out, 'utf8')).toBe('first\n');
    const dropped = events.find((e) => e.type === 'HOOK_DROPPED');
    expect(dropped?.severity).toBe('warning');
    expect(dropped?.message).toMatch(
      /on ONBATT was not run: other hooks kept it waiting 31 s, over the 30 s limit \(hooks\.maxStartDelaySeconds\)/,
    );
  });

  it('a hook backlog never delays the shutdown command', async () => {
    const sleeper = join(dir, 'sleeper.sh');
    writeFileSync(sleeper, '#!/bin/sh\nsleep 3\n');
    chmodSync(sleeper, 0o755);
    const hooks = Array.from({ length: 8 }, (_, i) => ({
      events: ['SHUTDOWN' as const],
      command: { file: sleeper, args: [String(i)] },
      timeoutSeconds: 5,
    }));
    const { send, dispatcher, clock } = setup({ eventHooks: hooks });
    const runner = new NodeProcessRunner({ killGraceMs: 500 });
    send('SHUTDOWN');
    const marker = join(dir, `shutdown-${++seq}`);
    const t0 = performance.now();
    const started = await runShutdownCommand({
      config: ShutdownSchema.parse({
        command: { file: '/usr/bin/touch', args: [marker] },
        dryRun: false,
      }),
      runner,
      clock,
      sink: () => undefined,
    });
    expect(started.started).toBe(true);
    await started.completion;
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(existsSync(marker)).toBe(true);
    await dispatcher.close();
  });

  it('keeps secrets out of events: known secrets, --token values and URL credentials', async () => {
    const leaky = join(dir, 'leaky.sh');
    writeFileSync(
      leaky,
      '#!/bin/sh\necho "connecting with hunter2-pw and $2"\necho "password=abc123" >&2\n',
    );
    chmodSync(leaky, 0o755);
    const { send, dispatcher, events } = setup(
      {
        eventHooks: [
          {
            events: ['ONBATT'],
            command: {
              file: leaky,
              args: [
                '--token',
                'tok-SECRET-1',
                'https://bot:pa55word@chat.example/hook',
                'hunter2-pw',
              ],
            },
          },
        ],
      },
      { secrets: ['hunter2-pw'] },
    );
    send('ONBATT');
    await dispatcher.idle();
    const serialised = JSON.stringify(events);
    for (const secret of ['hunter2-pw', 'tok-SECRET-1', 'pa55word', 'abc123'])
      expect(serialised).not.toContain(secret);
    const run = events.find((e) => e.type === 'HOOK_RUN')!;
    expect(run.data!.args).toEqual([
      '--token',
      '[REDACTED]',
      'https://bot:[REDACTED]@chat.example/hook',
      '[REDACTED]',
    ]);
    expect(run.data!.stdout).toBe('connecting with [REDACTED] and [REDACTED]\n');
    expect(run.data!.stderr).toBe('password=[REDACTED]\n');
  });
});

describe('hook dispatcher: upssched rules', () => {
  it('starts, records and fires timers through CMDSCRIPT with the starting event env; CANCEL records the cancellation', async () => {
    const out = outFile();
    const { clock, send, dispatcher, events } = setup({
      upssched: {
        cmdScript: { file: recorder, args: [out] },
        rules: [
          {
            event: 'ONBATT',
            ups: '*',
            action: 'START-TIMER',
            timer: 'early-shutdown',
            seconds: 30,
          },
          { event: 'ONBATT', ups: NAS, action: 'EXECUTE', command: 'onbatt' },
          {
            event: 'ONLINE',
            ups: '*',
            action: 'CANCEL-TIMER',
            timer: 'early-shutdown',
            command: 'online-ack',
          },
        ],
      },
    });
    const summary = send('ONBATT');
    expect(summary.queued).toBe(1);
    expect(summary.upssched.map((a) => a.action)).toEqual(['START-TIMER', 'EXECUTE']);
    expect(dispatcher.timers()).toEqual([
      expect.objectContaining({
        name: 'early-shutdown',
        upsName: NAS,
        dueAt: clock.now() + 30_000,
      }),
    ]);
    await dispatcher.idle();
    send('ONLINE');
    await dispatcher.idle();
    expect(dispatcher.timers()).toEqual([]);
    send('ONLINE');
    send('ONBATT', 'ups@other');
    clock.advance(30_000);
    await dispatcher.idle();
    expect(runsIn(out).map((r) => [r.args.join(' '), r.notifyType, r.upsName])).toEqual(
      expect.arrayContaining([
        ['onbatt', 'ONBATT', NAS],
        ['online-ack', 'ONLINE', NAS],
        ['early-shutdown', 'ONBATT', 'ups@other'],
      ]),
    );
    expect(runsIn(out)).toHaveLength(3);
    const upsschedEvents = events.filter((e) => e.type === 'UPSSCHED').map((e) => e.data!.action);
    expect(upsschedEvents).toEqual(['START-TIMER', 'CANCEL-TIMER', 'START-TIMER', 'TIMER-FIRED']);
    const fired = events.find((e) => e.type === 'HOOK_RUN' && e.data!.timer === 'early-shutdown');
    expect(fired).toMatchObject({
      data: {
        source: 'upssched',
        cause: 'timer',
        args: [out, 'early-shutdown'],
        event: 'ONBATT',
        upsName: 'ups@other',
      },
    });
  });

  it('close() cancels timers and ignores later notifications', async () => {
    const out = outFile();
    const { clock, send, dispatcher } = setup({
      upssched: {
        cmdScript: { file: recorder, args: [out] },
        rules: [{ event: 'ONBATT', action: 'START-TIMER', timer: 't', seconds: 1 }],
      },
    });
    send('ONBATT');
    await dispatcher.close();
    expect(dispatcher.timers()).toEqual([]);
    expect(send('ONBATT').queued).toBe(0);
    clock.advance(5000);
    await dispatcher.idle();
    expect(runsIn(out)).toEqual([]);
  });

  it('updateConfig without upssched cancels running timers', () => {
    const { send, dispatcher } = setup({
      upssched: {
        cmdScript: { file: recorder, args: [] },
        rules: [{ event: 'ONBATT', action: 'START-TIMER', timer: 't', seconds: 100 }],
      },
    });
    send('ONBATT');
    expect(dispatcher.timers()).toHaveLength(1);
    dispatcher.updateConfig(HooksSchema.parse({}));
    expect(dispatcher.timers()).toHaveLength(0);
  });
});
