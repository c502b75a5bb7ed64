/**
 * Incidents and routing without a network: the event stream of the monitor goes in, routed
 * alerts come out (a deterministic clock drives the settle time).
 */
import { describe, expect, it } from 'vitest';
import type { ChannelConfig } from '../../shared/channels';
import { ChannelSchema } from '../../shared/channels';
import type { StoredEvent } from '../../shared/history';
import type { UpsSnapshot } from '../../shared/snapshot';
import { FakeClock } from '../testing/fake-clock';
import { IncidentTracker, type RoutedAlert } from './incidents';
import { backoffMs } from './outbox';
import { inQuietHours, routeAlert } from './routing';

function ups(charge: number | null, status = 'OB'): UpsSnapshot {
  return {
    monitorId: 'nas/ups',
    masterId: 'nas',
    masterLabel: 'NAS',
    upsName: 'ups',
    systemName: 'ups@nas',
    status,
    metrics: { charge, runtime: 1200, load: 20, inputVoltage: 230, outputVoltage: 230 },
  } as unknown as UpsSnapshot;
}

function setup(settleSeconds = 30) {
  const clock = new FakeClock();
  const out: RoutedAlert[] = [];
  let current = ups(100, 'OL');
  const tracker = new IncidentTracker({
    clock,
    settings: () => ({ settleSeconds, chargeSteps: [75, 50, 25] }),
    ups: () => current,
    prefix: () => '[home]',
    emit: (routed) => out.push(routed),
  });
  const notify = (type: string, monitorId = 'nas/ups') =>
    tracker.onEvent({
      at: clock.now(),
      monitorId,
      kind: 'notify',
      type,
      severity: 'info',
      message: `UPS ups@nas ${type}`,
    } satisfies StoredEvent);
  const system = (type: string, message: string) =>
    tracker.onEvent({
      at: clock.now(),
      monitorId: 'nas/ups',
      kind: 'system',
      type,
      severity: 'warning',
      message,
    });
  return { clock, out, tracker, notify, system, set: (u: UpsSnapshot) => (current = u) };
}

describe('incidents', () => {
  it('an outage is one incident: opened, charge steps once each, LOWBATT, flaps counted, resolved after the settle time with a summary', () => {
    const t = setup(30);
    t.set(ups(100));
    t.notify('ONBATT');
    t.set(ups(80));
    t.tracker.onReadings();
    t.set(ups(48));
    t.tracker.onReadings(); // crosses 75 and 50 at once: one update, naming the lower step
    t.tracker.onReadings(); // nothing new
    t.clock.advance(10_000);
    t.set(ups(48, 'OL'));
    t.notify('ONLINE');
    t.clock.advance(5_000);
    t.set(ups(47));
    t.notify('ONBATT'); // a flap inside the settle time
    t.set(ups(20, 'OB LB'));
    t.notify('LOWBATT');
    t.notify('ONLINE');
    t.clock.advance(29_000);
    expect(t.out.at(-1)!.alert.phase).toBe('update');
    t.clock.advance(1_000);

    const alerts = t.out.map((r) => r.alert);
    expect(alerts.map((a) => [a.phase, a.event, a.severity])).toEqual([
      ['open', 'ONBATT', 'warning'],
      ['update', 'CHARGE', 'warning'],
      ['update', 'LOWBATT', 'critical'],
      ['resolved', 'ONLINE', 'info'],
    ]);
    expect(new Set(alerts.map((a) => a.incident?.id)).size).toBe(1);
    expect(alerts.map((a) => a.incident?.sequence)).toEqual([1, 2, 3, 4]);
    expect(alerts.map((a) => a.id)).toEqual(
      alerts.map((a) => `${a.incident!.id}.${a.incident!.sequence}`),
    );
    expect(alerts[0]!.title).toBe('[home] ups on NAS: on battery');
    expect(alerts[0]!.text).toBe('ups on NAS: on battery, 100 %, 20 min runtime');
    expect(alerts[1]!.text).toBe(
      'ups on NAS: battery down to 48 % (threshold 50 %), 20 min runtime left',
    );
    expect(alerts[3]!.text).toBe(
      'ups on NAS: power back after 45 s; lowest charge 48 %; 1 more power failure in between; nobody shut down',
    );
    expect(alerts[3]!.summary).toEqual({
      durationSeconds: 45,
      lowestCharge: 48,
      shutdownStarted: false,
      flaps: 1,
    });
    expect(alerts[3]!.incident!.resolvedAt).not.toBeNull();
  });

  it('the shutdown starting is an update; a comm loss and a missing secondary are their own incidents; other events are one-off messages', () => {
    const t = setup(0);
    t.notify('ONBATT');
    t.system(
      'SHUTDOWN_BEGINS',
      'Shutdown sequence started (fsd); the shutdown command runs in 5 s.',
    );
    t.notify('ONLINE');
    t.notify('COMMBAD');
    t.notify('NOCOMM');
    t.notify('COMMOK');
    t.system('EXPECTED_CLIENT_MISSING', 'Expected client rpi-2 is not logged in to ups@nas: …');
    t.system('EXPECTED_CLIENT_BACK', 'Expected client rpi-2 is logged in again.');
    t.notify('REPLBATT');
    t.notify('ONLINE'); // no incident open: silent
    const alerts = t.out.map((r) => r.alert);
    expect(alerts.map((a) => `${a.phase} ${a.incident?.kind ?? '-'} ${a.event}`)).toEqual([
      'open power ONBATT',
      'update power SHUTDOWN_BEGINS',
      'resolved power ONLINE',
      'open comm COMMBAD',
      'resolved comm COMMOK',
      'open client:rpi-2 EXPECTED_CLIENT_MISSING',
      'resolved client:rpi-2 EXPECTED_CLIENT_BACK',
      'event - REPLBATT',
    ]);
    expect(alerts[2]!.text).toMatch(/started its shutdown/);
    expect(alerts[2]!.summary?.shutdownStarted).toBe(true);
    expect(alerts[6]!.text).toMatch(
      /^ups on NAS: secondary rpi-2 is logged in again \(after 0 s\)$/,
    );
    expect(alerts[7]!.severity).toBe('warning');
  });
});

describe('routing', () => {
  const channel = (extra: Record<string, unknown> = {}): ChannelConfig =>
    ChannelSchema.parse({ id: 'c', type: 'webhook', url: 'http://127.0.0.1:1/', ...extra });

  function routed(
    phase: 'open' | 'update' | 'resolved',
    severity: 'info' | 'warning' | 'critical',
    incidentChannels: string[] = [],
    monitorId = 'nas/ups',
  ): RoutedAlert {
    return {
      alert: { phase, severity } as RoutedAlert['alert'],
      monitorId,
      incidentChannels: new Set(incidentChannels),
      delivered: () => undefined,
    };
  }

  it('routes by UPS and severity; updates and the resolution follow the incident', () => {
    const noon = new Date(2026, 0, 1, 12, 0);
    expect(routeAlert(channel(), routed('open', 'warning'), noon)).toEqual({ send: true });
    expect(routeAlert(channel(), routed('open', 'info'), noon)).toEqual({
      send: false,
      reason: 'severity info not routed here',
    });
    expect(routeAlert(channel({ ups: ['other/ups'] }), routed('open', 'critical'), noon)).toEqual({
      send: false,
      reason: 'not routed for this UPS',
    });
    expect(
      routeAlert(channel({ severities: ['critical'] }), routed('update', 'warning', ['c']), noon),
    ).toEqual({ send: true });
    expect(routeAlert(channel(), routed('resolved', 'info', ['c']), noon)).toEqual({ send: true });
    expect(routeAlert(channel(), routed('resolved', 'info', []), noon)).toEqual({
      send: false,
      reason: 'did not get this incident',
    });
    expect(routeAlert(channel({ enabled: false }), routed('open', 'critical'), noon)).toEqual({
      send: false,
      reason: 'channel disabled',
    });
  });

  it('quiet hours hold back everything but critical messages, also across midnight', () => {
    const quiet = channel({ quietHours: { from: '22:00', to: '07:00' } });
    const night = new Date(2026, 0, 1, 23, 30);
    const morning = new Date(2026, 0, 2, 6, 59);
    const day = new Date(2026, 0, 2, 7, 0);
    expect(routeAlert(quiet, routed('open', 'warning'), night)).toEqual({
      send: false,
      reason: 'quiet hours 22:00–07:00',
    });
    expect(routeAlert(quiet, routed('open', 'warning'), morning).send).toBe(false);
    expect(routeAlert(quiet, routed('open', 'warning'), day)).toEqual({ send: true });
    expect(routeAlert(quiet, routed('open', 'critical'), night)).toEqual({ send: true });
    expect(inQuietHours({ from: '09:00', to: '17:00' }, new Date(2026, 0, 1, 12, 0))).toBe(true);
    expect(inQuietHours({ from: '09:00', to: '17:00' }, new Date(2026, 0, 1, 17, 0))).toBe(false);
  });

  it('backs off exponentially with jitter, capped at 5 minutes', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, () => 0.5))).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(backoffMs(30, () => 0.5)).toBe(300_000);
    expect(backoffMs(1, () => 0)).toBe(1_600);
    expect(backoffMs(1, () => 1)).toBe(2_400);
  });
});
