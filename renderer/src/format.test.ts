import { describe, expect, it } from 'vitest';
import {
  dashboardSummary,
  describeServer,
  displayCommand,
  formatAge,
  formatCountdown,
  formatPercent,
  formatRuntime,
  formatVoltage,
  slugify,
} from './format';
import { parseRoute, routePath } from './router';
import { detectedServerKind } from '../../shared/snapshot';

describe('formatRuntime', () => {
  it('is "unknown" for a missing runtime, never 0', () => {
    expect(formatRuntime(null)).toBe('unknown');
    expect(formatRuntime(undefined)).toBe('unknown');
    expect(formatRuntime(Number.NaN)).toBe('unknown');
    expect(formatRuntime(-5)).toBe('unknown');
  });
  it('reads like a person would say it', () => {
    expect(formatRuntime(0)).toBe('0 s');
    expect(formatRuntime(50)).toBe('50 s');
    expect(formatRuntime(125)).toBe('2 min 5 s');
    expect(formatRuntime(2700)).toBe('45 min');
    expect(formatRuntime(4320)).toBe('1 h 12 min');
    expect(formatRuntime(7200)).toBe('2 h');
    expect(formatRuntime(70 * 3600)).toBe('2 d 22 h');
  });
});

describe('other formats', () => {
  it('ages', () => {
    expect(formatAge(null)).toBe('never');
    expect(formatAge(200)).toBe('just now');
    expect(formatAge(2_400)).toBe('2 s ago');
    expect(formatAge(3 * 60_000 + 5_000)).toBe('3 min ago');
    expect(formatAge(65 * 60_000)).toBe('1 h 5 min ago');
  });
  it('countdowns, percentages and voltages', () => {
    expect(formatCountdown(44_200)).toBe('45 s');
    expect(formatCountdown(125_000)).toBe('2 min 05 s');
    expect(formatPercent(null)).toBe('unknown');
    expect(formatPercent(63.6)).toBe('64 %');
    expect(formatVoltage(null)).toBe('unknown');
    expect(formatVoltage(0)).toBe('0 V');
    expect(formatVoltage(12.34)).toBe('12.3 V');
    expect(formatVoltage(230.4)).toBe('230 V');
  });
  it('names the master', () => {
    expect(
      describeServer({
        kind: 'synology',
        version: 'Network UPS Tools upsd DSM7-2-1-69057-workplus',
        protocol: '1.2',
      }),
    ).toBe('Synology DSM 7.2.1');
    expect(
      describeServer({
        kind: 'proxmox',
        version: 'Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/',
        protocol: '1.3',
      }),
    ).toBe('Proxmox VE · NUT 2.8.0');
    expect(describeServer({ kind: 'nut', version: null, protocol: null })).toBe('NUT server');
  });
  it('calls a master Proxmox VE only when the server says so, never from the preset', () => {
    expect(
      detectedServerKind('Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/', false),
    ).toBe('nut');
    expect(detectedServerKind('Network UPS Tools upsd 2.8.1 (pve)', false)).toBe('proxmox');
    expect(detectedServerKind('Network UPS Tools upsd DSM7-2-60108-221130', true)).toBe('synology');
    expect(detectedServerKind(null, false)).toBe('unknown');
  });
  it('shows commands without a shell and makes ids', () => {
    expect(displayCommand('/bin/notify', ['hello world', "it's", 'plain'])).toBe(
      `/bin/notify 'hello world' 'it'\\''s' plain`,
    );
    expect(slugify('My NAS (Synology)')).toBe('my-nas-synology');
  });
});

describe('routes', () => {
  it('parses what notifications send and round-trips', () => {
    expect(parseRoute('#/ups/nas/ups')).toEqual({
      name: 'ups',
      monitorId: 'nas/ups',
      tab: 'history',
    });
    expect(parseRoute('#/ups/nas%2Fups/clients')).toEqual({
      name: 'ups',
      monitorId: 'nas/ups',
      tab: 'clients',
    });
    expect(parseRoute('#/ups/nas/ups/variables')).toEqual({
      name: 'ups',
      monitorId: 'nas/ups',
      tab: 'variables',
    });
    expect(parseRoute('')).toEqual({ name: 'dashboard' });
    expect(parseRoute('#/settings')).toEqual({ name: 'settings', section: 'masters' });
    expect(parseRoute('#/settings/masters/new?preset=synology')).toEqual({
      name: 'master-edit',
      masterId: null,
      preset: 'synology',
    });
    expect(parseRoute('#/settings/masters/pve')).toEqual({
      name: 'master-edit',
      masterId: 'pve',
      preset: 'generic',
    });
    expect(parseRoute('#/nowhere').name).toBe('not-found');
    for (const path of [
      '/',
      '/ups/nas/ups',
      '/ups/pve/eaton/events',
      '/clients',
      '/events',
      '/settings/hooks',
      '/settings/masters/new?preset=proxmox',
    ]) {
      expect(routePath(parseRoute(`#${path}`))).toBe(path);
    }
  });
});

describe('dashboardSummary', () => {
  const ups = (level: string, critical = false, connection = 'connected') => ({
    level,
    connection,
    stale: false,
    critical,
  });
  it('counts the critical states first: shutting down, then critical, then the rest', () => {
    expect(
      dashboardSummary([
        ups('shutting-down', true),
        ups('low-battery', true),
        ups('on-battery'),
        ups('online'),
      ]),
    ).toBe('4 UPSes · 1 shutting down · 1 critical · 1 online · 1 on battery');
    expect(dashboardSummary([ups('online')])).toBe('1 UPS · 1 online');
    expect(dashboardSummary([ups('comm-lost', false, 'lost')])).toBe('1 UPS · 1 needs attention');
  });
});
