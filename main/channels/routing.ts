/**
 * Which channels a message goes to: per channel the UPSes and severities it wants, quiet hours
 * (critical messages always go through), and incident continuity — an update reaches every
 * channel that got the incident's earlier messages, the resolution reaches exactly those.
 */
import type { ChannelConfig } from '../../shared/channels';
import type { RoutedAlert } from './incidents';

export type RouteDecision = { send: true } | { send: false; reason: string };

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Is local time `at` inside [from, to)? A window may span midnight (22:00 → 07:00). */
export function inQuietHours(window: { from: string; to: string }, at: Date): boolean {
  const now = at.getHours() * 60 + at.getMinutes();
  const from = minutes(window.from);
  const to = minutes(window.to);
  if (from === to) return false;
  return from < to ? now >= from && now < to : now >= from || now < to;
}

export function routeAlert(channel: ChannelConfig, routed: RoutedAlert, now: Date): RouteDecision {
  const { alert } = routed;
  if (!channel.enabled) return { send: false, reason: 'channel disabled' };
  const followsIncident = routed.incidentChannels.has(channel.id);
  if (alert.phase === 'resolved')
    return followsIncident ? { send: true } : { send: false, reason: 'did not get this incident' };
  if (
    routed.monitorId !== null &&
    !channel.ups.includes('*') &&
    !channel.ups.includes(routed.monitorId)
  ) {
    return { send: false, reason: 'not routed for this UPS' };
  }
  if (!followsIncident && !channel.severities.includes(alert.severity))
    return { send: false, reason: `severity ${alert.severity} not routed here` };
  if (
    alert.severity !== 'critical' &&
    channel.quietHours &&
    inQuietHours(channel.quietHours, now)
  ) {
    return {
      send: false,
      reason: `quiet hours ${channel.quietHours.from}–${channel.quietHours.to}`,
    };
  }
  return { send: true };
}
