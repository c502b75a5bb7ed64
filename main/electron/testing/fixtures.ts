/**
 * Fixtures for the shell's tests: snapshots that pass the shared schema (so the tray is tested
 * against the real contract), a recording logger and a fake CoreService.
 */
import { type Mock, vi } from 'vitest';
import {
  type ApiHandlers,
  INVOKE_CHANNELS,
  type PushChannel,
  type PushOf,
} from '../../../shared/ipc';
import { type AppSnapshot, AppSnapshotSchema, type UpsSnapshot } from '../../../shared/snapshot';
import { defaultConfig } from '../../../shared/config';
import type { CoreService } from '../../core/core-service';
import type { Logger, LogLevel } from '../../platform/ports';
import { recordCall } from '../../testing/electron-mock';

export const NOW = 1_750_000_000_000;

export type UpsOverrides = Partial<Omit<UpsSnapshot, 'metrics' | 'shutdown'>> & {
  metrics?: Partial<UpsSnapshot['metrics']>;
  shutdown?: Partial<UpsSnapshot['shutdown']>;
};

export function ups(overrides: UpsOverrides = {}): UpsSnapshot {
  const masterId = overrides.masterId ?? 'nas';
  const upsName = overrides.upsName ?? 'ups';
  const base: UpsSnapshot = {
    monitorId: `${masterId}/${upsName}`,
    masterId,
    masterLabel: 'Synology',
    upsName,
    systemName: `${upsName}@192.168.8.99`,
    role: 'secondary',
    connection: 'connected',
    loggedIn: true,
    status: 'OL',
    statusText: 'On line',
    level: 'online',
    unknownTokens: [],
    critical: false,
    criticalReason: null,
    shutdown: { phase: 'none', deadline: null, dryRun: false, rehearsedAt: null, commandOk: null },
    onBatterySince: null,
    rule: {
      shutsDown: true,
      text: 'Shuts down this machine at low battery after HOSTSYNC 15 s, or at once on FSD; then FINALDELAY 5 s and `/sbin/shutdown -h +0`.',
    },
    fsdLatchedAtStart: false,
    device: { model: 'Back-UPS CS 350', manufacturer: 'American Power Conversion' },
    metrics: {
      charge: 100,
      runtime: 1800,
      load: 20,
      inputVoltage: 230,
      outputVoltage: 230,
      realPower: null,
      realPowerSource: null,
    },
    statusAt: NOW - 500,
    variablesAt: NOW - 2000,
    stale: false,
    lastError: null,
    server: { kind: 'synology', version: null, protocol: '1.3' },
    tls: { mode: 'off', link: 'plaintext', protocol: null, declinedCode: null },
    clients: { list: null, numLogins: 2, missingExpected: [], at: NOW - 2000 },
    masterSees: { address: '192.168.8.20', check: 'unverified', previous: null, changedAt: null },
    batteryReminder: null,
  };
  const { metrics, shutdown, ...rest } = overrides;
  return {
    ...base,
    ...rest,
    metrics: { ...base.metrics, ...metrics },
    shutdown: { ...base.shutdown, ...shutdown },
  };
}

export function snapshot(upses: UpsSnapshot[], extra: Partial<AppSnapshot> = {}): AppSnapshot {
  const value: AppSnapshot = {
    ups: upses,
    tray: { level: upses.length === 0 ? 'not-configured' : 'online', charge: null, tooltip: '' },
    notificationsPaused: false,
    configProblem: null,
    programProblems: [],
    at: NOW,
    ...extra,
  };
  // Fixtures must satisfy the real contract.
  return AppSnapshotSchema.parse(value);
}

export interface LogLine {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown> | undefined;
}

export function recordingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  return {
    lines,
    log(level, message, fields) {
      lines.push({ level, message, fields });
    },
    text() {
      return lines
        .map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields ?? {})}`)
        .join('\n');
    },
  };
}

export type FakeHandlers = { [C in keyof ApiHandlers]: Mock<ApiHandlers[C]> };

/**
 * Handlers that answer plausibly; each is a vi.fn so tests can assert calls. Channels without
 * a default (added to the contract later) reject with "not faked", so new channels never break
 * the fixture.
 */
export function fakeHandlers(overrides: Partial<ApiHandlers> = {}): FakeHandlers {
  const config = defaultConfig();
  const defaults: Partial<ApiHandlers> = {
    'app:get-snapshot': () => Promise.resolve(snapshot([])),
    'ups:get-variables': () => Promise.resolve([]),
    'events:query': () => Promise.resolve([]),
    'history:query-samples': () => Promise.resolve([]),
    'config:get': () => Promise.resolve({ config, storedPasswords: [], path: '/tmp/config.json' }),
    'config:save': () => Promise.resolve({ ok: true as const }),
    'config:test-connection': () =>
      Promise.resolve({ ok: true, steps: [], diagnosis: null, server: null, upsNames: [] }),
    'config:import-upsmon': () =>
      Promise.resolve({ ok: true, report: [], config: null, plan: null, undoAvailable: false }),
    'config:undo-import': () => Promise.resolve({ ok: true as const, summary: '' }),
    'secrets:set-password': () => Promise.resolve({ ok: true as const }),
    'notifications:recent': () => Promise.resolve([]),
    'notifications:set-paused': (request) => Promise.resolve({ paused: request.paused }),
  };
  const handlers: Record<string, Mock> = {};
  for (const channel of INVOKE_CHANNELS) {
    const impl = (overrides[channel] ??
      defaults[channel] ??
      (() => Promise.reject(new Error(`${channel}: not faked in this test`)))) as (
      request: unknown,
    ) => Promise<unknown>;
    handlers[channel] = vi.fn(impl);
  }
  return handlers as unknown as FakeHandlers;
}

export interface FakeCore extends CoreService {
  handlers: FakeHandlers;
  emit<P extends PushChannel>(channel: P, payload: PushOf<P>): void;
  listenerCount(channel: PushChannel): number;
  current: AppSnapshot;
  start: ReturnType<typeof vi.fn<() => Promise<void>>>;
  stop: ReturnType<typeof vi.fn<() => Promise<void>>>;
}

/** A CoreService double; start/stop land in the electron mock's ordered call log as core.start/core.stop. */
export function fakeCore(
  initial: AppSnapshot = snapshot([]),
  options: { stopMs?: number } = {},
): FakeCore {
  const listeners = new Map<PushChannel, Set<(payload: unknown) => void>>();
  const core: FakeCore = {
    current: initial,
    handlers: fakeHandlers(),
    onPush(channel, listener) {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
    emit(channel, payload) {
      if (channel === 'app:snapshot') core.current = payload as AppSnapshot;
      for (const l of listeners.get(channel) ?? []) l(payload);
    },
    listenerCount(channel) {
      return listeners.get(channel)?.size ?? 0;
    },
    snapshot: () => core.current,
    start: vi.fn(() => {
      recordCall('core', 'start');
      return Promise.resolve();
    }),
    stop: vi.fn(async () => {
      recordCall('core', 'stop:begin');
      await new Promise((resolve) => setTimeout(resolve, options.stopMs ?? 20));
      recordCall('core', 'stop:end');
    }),
  };
  return core;
}
