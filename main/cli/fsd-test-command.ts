/**
 * `nut-sentinel fsd-test`: the guarded FSD test in the headless agent. It runs its own core on
 * the config (so this machine's monitoring session is logged in, as in the agent), prints the
 * preflight, the countdown (Ctrl-C aborts: nothing is sent), the timeline live and the report
 * (Markdown, or JSON with --json; progress then goes to stderr). Drives exactly the API the UI
 * uses (validated through dispatchInvoke).
 *
 * When the background service answers on its control channel, the test runs in the service's core
 * instead (as the desktop app's does): a second core here would log in a second time and, on a
 * real FSD, run this machine's shutdown sequence twice.
 *
 * Exit codes: 0 completed (master mode: every secondary in time), 3 completed with late or
 * missing secondaries, 1 refused/failed, 130 aborted, 2 usage.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { monitorId as monitorIdOf } from '../../shared/config';
import type { FsdPreflight, FsdReport, FsdRunView } from '../../shared/fsd-test';
import type { ApiError, ResponseOf } from '../../shared/ipc';
import { defaultConfigPath } from '../config/config-file';
import type { CoreService } from '../core/core-service';
import { dispatchInvoke } from '../core/dispatch';
import type { Logger, LogLevel } from '../platform/ports';

/** The command line's options, as `nut-sentinel fsd-test` (main/cli/commands/fsd-test.ts) parses them. */
export interface FsdTestCliOptions {
  config?: string;
  dataDir?: string;
  controlSocket?: string;
  ups?: string;
  mode?: string;
  user?: string;
  passwordEnv?: string;
  hostsync?: string;
  confirm?: string;
  overrideBlockers?: boolean;
  countdown?: string;
  grace?: string;
  real?: boolean;
  json?: boolean;
}

export interface FsdCliHost {
  /**
   * The background service's core when one answers on its control channel (null: none runs).
   * Throws when one runs but this user may not use it.
   */
  attachToService?(): Promise<{ core: CoreService; endpoint: string } | null>;
  /** Our own core on the config file; `check` runs after it is loaded and before any LOGIN. */
  startCore(
    configPath: string,
    dataDir: string,
    logger: Logger,
    check: (created: CoreService) => Promise<void>,
  ): Promise<CoreService>;
  usageError(message: string): Error;
  /** Where Ctrl-C comes from (tests pass their own). */
  onInterrupt?(listener: () => void): () => void;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

const ICON: Record<FsdPreflight['checks'][number]['status'], string> = {
  ok: 'ok     ',
  info: 'info   ',
  warning: 'WARNING',
  blocker: 'BLOCKER',
};

export async function runFsdTestCli(values: FsdTestCliOptions, host: FsdCliHost): Promise<number> {
  const stdout = host.out ?? process.stdout;
  const stderr = host.err ?? process.stderr;
  const progress = values.json ? stderr : stdout;
  const say = (line = '') => progress.write(`${line}\n`);

  const mode = values.mode;
  if (mode !== 'local' && mode !== 'master') throw host.usageError('--mode takes local or master.');
  if (!values.ups || !values.ups.includes('/'))
    throw host.usageError(
      '--ups takes the monitored UPS as MASTER-ID/UPS-NAME (as in the config file), e.g. nas/ups.',
    );
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0)
      throw host.usageError(`--${name} takes a number of seconds.`);
    return value;
  };
  const hostSyncSeconds = number('hostsync', values.hostsync);
  const countdownSeconds = number('countdown', values.countdown) ?? 10;
  const graceSeconds = number('grace', values.grace) ?? 10;
  if (values.real && mode !== 'local')
    throw host.usageError(
      '--real is for local mode (in master mode this machine follows its shutdown.dryRun setting).',
    );
  let credential:
    { source: 'entered'; username: string; password: string } | { source: 'stored' } | undefined;
  if (mode === 'master') {
    if (values.user) {
      const variable = values.passwordEnv;
      if (!variable)
        throw host.usageError(
          'Give the password through an environment variable: --password-env VAR (never on the command line).',
        );
      const password = process.env[variable];
      if (password === undefined)
        throw host.usageError(`The environment variable ${variable} is not set.`);
      credential = { source: 'entered', username: values.user, password };
    } else {
      credential = { source: 'stored' };
    }
  }
  const monitorId = values.ups;
  const failed = (error: ApiError): number => {
    stderr.write(
      `Refused (${error.code}): ${error.message}\n${error.fix ? `Fix: ${error.fix}\n` : ''}`,
    );
    return 1;
  };

  let core: CoreService;
  const service = host.attachToService ? await host.attachToService() : null;
  if (service) {
    core = service.core;
    say(
      `Attached to the background service (${service.endpoint}): the test runs in its monitoring${values.config ? `; ${values.config} is not used` : ''}.`,
    );
    if (!core.snapshot().ups.some((ups) => ups.monitorId === monitorId)) {
      const have = core.snapshot().ups.map((ups) => ups.monitorId);
      await core.stop();
      throw host.usageError(
        `The background service monitors no UPS ${monitorId} (have: ${have.join(', ') || 'none'}).`,
      );
    }
  } else {
    const configPath = path.resolve(values.config ?? defaultConfigPath());
    if (!existsSync(configPath)) throw host.usageError(`No config file at ${configPath}.`);
    const dataDir = path.resolve(values.dataDir ?? path.dirname(configPath));
    const logger: Logger = {
      log(level: LogLevel, message: string, fields?: Record<string, unknown>) {
        if (level !== 'warn' && level !== 'error') return;
        // The other UPSes of the config are monitored too, but their troubles are not this test's.
        if (fields?.monitorId !== undefined && fields.monitorId !== monitorId) return;
        stderr.write(`${level.toUpperCase()} ${message}\n`);
      },
    };
    try {
      core = await host.startCore(configPath, dataDir, logger, async (created) => {
        const problem = created.snapshot().configProblem;
        // The core has logged it already, with file, line and column.
        if (problem) throw new ConfigNotLoaded(problem);
        const { config } = await created.handlers['config:get'](undefined);
        const have = config.masters.flatMap((master) =>
          master.ups.map((ups) => monitorIdOf(master.id, ups.name)),
        );
        if (!have.includes(monitorId))
          throw host.usageError(
            `No monitored UPS ${monitorId} in ${configPath} (have: ${have.join(', ') || 'none'}).`,
          );
      });
    } catch (error) {
      if (error instanceof ConfigNotLoaded) return 1;
      throw error;
    }
  }
  try {
    // Let this machine's session connect and log in first: the preflight reports on it.
    await waitUntil(() => {
      const ups = core.snapshot().ups.find((u) => u.monitorId === monitorId);
      return (
        ups !== undefined &&
        ((ups.connection === 'connected' &&
          (ups.loggedIn || ups.role === 'monitor-only') &&
          ups.clients.at !== null) ||
          ups.connection === 'login-refused' ||
          ups.connection === 'unreachable')
      );
    }, 15_000);

    const pre = await dispatchInvoke(core.handlers, 'fsd:preflight', {
      monitorId,
      mode,
      ...(credential ? { credential } : {}),
      ...(hostSyncSeconds !== undefined ? { hostSyncSeconds } : {}),
      dryRun: !values.real,
    });
    if (!pre.ok) return failed(pre.error);
    const preflight = pre.response as FsdPreflight;
    printPreflight(preflight, say);

    let view: FsdRunView | null = null;
    const seen = new Set<string>();
    let lastSecondsLeft = -1;
    const show = (next: FsdRunView) => {
      if (view && next.runId !== view.runId) return;
      view = next;
      if (next.state === 'countdown' && next.countdown.secondsLeft !== lastSecondsLeft) {
        lastSecondsLeft = next.countdown.secondsLeft;
        say(
          `  ${mode === 'master' ? 'FSD' : 'Shutdown sequence'} in ${next.countdown.secondsLeft} s… (Ctrl-C aborts: nothing has been sent)`,
        );
      }
      for (const entry of next.timeline) {
        const key = `${entry.at}|${entry.kind}|${entry.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (entry.kind === 'countdown') continue;
        say(
          `  ${entry.t >= 0 ? '+' : '−'}${(Math.abs(entry.t) / 1000).toFixed(2).padStart(6)} s  ${entry.kind.padEnd(14)} ${entry.message}`,
        );
      }
    };
    const offProgress = core.onPush('fsd:progress', show);
    const interrupt = (listener: () => void) =>
      host.onInterrupt ? host.onInterrupt(listener) : defaultInterrupt(listener);
    const offInterrupt = interrupt(() => {
      if (!view) return;
      say('  Ctrl-C: aborting…');
      void dispatchInvoke(core.handlers, 'fsd:abort', { runId: view.runId });
    });
    try {
      const started = await dispatchInvoke(core.handlers, 'fsd:start', {
        preflightId: preflight.id,
        ...(values.confirm !== undefined ? { confirmUpsName: values.confirm } : {}),
        overrideBlockers: values.overrideBlockers === true,
        countdownSeconds,
        graceSeconds,
      });
      if (!started.ok) return failed(started.error);
      show(started.response as FsdRunView);
      const runId = (started.response as FsdRunView).runId;
      const final = await new Promise<FsdRunView>((resolve) => {
        const check = () => {
          const current = view;
          if (
            current &&
            current.runId === runId &&
            current.reportId !== null &&
            !['countdown', 'running', 'idle'].includes(current.state)
          ) {
            clearInterval(timer);
            resolve(current);
          }
        };
        const timer = setInterval(check, 50);
        check();
      });
      const exported = await dispatchInvoke(core.handlers, 'fsd:get-report', {
        id: final.reportId,
        format: values.json ? 'json' : 'markdown',
      });
      if (!exported.ok) return failed(exported.error);
      const result = exported.response as ResponseOf<'fsd:get-report'>;
      if (!values.json) say();
      stdout.write(result.content);
      return exitCodeOf(result.report);
    } finally {
      offInterrupt();
      offProgress();
    }
  } finally {
    await core.stop();
  }
}

/** The config file is invalid: nothing was started. */
class ConfigNotLoaded extends Error {}

function exitCodeOf(report: FsdReport): number {
  if (report.outcome === 'aborted') return 130;
  if (report.outcome === 'failed') return 1;
  return report.secondaries.some((s) => !s.isThisMachine && s.verdict !== 'in-time') ? 3 : 0;
}

function printPreflight(preflight: FsdPreflight, say: (line?: string) => void): void {
  say(`FSD test preflight (${preflight.mode} mode) — ${preflight.systemName}`);
  say(
    `  master: ${preflight.master.host}:${preflight.master.port} ${preflight.master.version ?? '(version unknown)'}${preflight.master.protocol ? `, protocol ${preflight.master.protocol}` : ''}`,
  );
  say(
    `  ups.status: ${preflight.ups.status ?? 'unknown'}${preflight.ups.batteryRuntimeSeconds !== null ? `, battery.runtime ${preflight.ups.batteryRuntimeSeconds} s` : ''}`,
  );
  const list = preflight.clients.list;
  say(
    `  logged in: ${list === null ? '(LIST CLIENT unavailable)' : list.map((c) => `${c.address}${c.hostname ? ` (${c.hostname})` : ''}${c.isThisMachine ? ' [this machine]' : ''}`).join(', ') || 'nobody'}; NUMLOGINS ${preflight.clients.numLogins ?? '?'}`,
  );
  if (preflight.mode === 'master')
    say(
      `  credential: ${preflight.credential.username ?? '(none)'} — ${preflight.credential.verdict}`,
    );
  say(
    `  this machine: ${preflight.thisMachine.role}, shutdown ${[preflight.thisMachine.shutdownCommand.program, ...preflight.thisMachine.shutdownCommand.args].join(' ')}${preflight.dryRun || (preflight.mode === 'master' && preflight.thisMachine.configDryRun) ? ' (dry run)' : ''}`,
  );
  say(`  time budget: ${preflight.timeBudget.verdict}`);
  say();
  for (const check of preflight.checks) {
    say(`  [${ICON[check.status]}] ${check.title}: ${check.detail}`);
    if (check.fix && (check.status === 'blocker' || check.status === 'warning'))
      say(`            fix: ${check.fix}`);
  }
  say();
}

function defaultInterrupt(listener: () => void): () => void {
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
}
