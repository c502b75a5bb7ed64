/**
 * `nut-sentinel what-if [MASTER-ID/UPS-NAME]`: "what if the power failed now" for one monitored
 * UPS, or every one. When the background service runs it asks the service (its live sessions
 * and its history, which only one process can open); otherwise it runs its own core on the
 * config and that history (like `fsd-test`), waits for each session's first full read, and
 * asks the API the panel uses (`ups:get-what-if`, validated through dispatchInvoke).
 *
 * Exit codes: 0 every margin is known and not negative; 3 the battery runs out before everything
 * is down for some UPS (a "no"); 4 no "no", but some margin is unknown because a measurement is
 * missing (a "cannot tell", which a script must not read as "safe"); 1 failed; 2 usage.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { WhatIfResult } from '../../shared/what-if';
import { defaultConfigPath } from '../config/config-file';
import type { CoreService } from '../core/core-service';
import { dispatchInvoke } from '../core/dispatch';
import type { Logger, LogLevel } from '../platform/ports';
import { EXIT } from './exit-codes';

export interface WhatIfCliOptions {
  config?: string;
  dataDir?: string;
  masterShutdown?: string;
  hostsync?: string;
  json?: boolean;
  controlSocket?: string;
}

export interface WhatIfCliHost {
  /** The background service's core when one answers on `endpoint` and lets this user in, else null. */
  attachToService(endpoint: string): Promise<CoreService | null>;
  /** A core of our own on the config file. */
  startCore(configPath: string, dataDir: string, logger: Logger): Promise<CoreService>;
  usageError(message: string): Error;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** How long to wait for a session's first full read (default 15 s). */
  readTimeoutMs?: number;
}

/** The exit code of a set of answers: any "no" wins over "cannot tell", which wins over "yes". */
export function whatIfExitCode(results: readonly Pick<WhatIfResult, 'verdict'>[]): number {
  if (results.some((r) => r.verdict === 'negative')) return EXIT.negative;
  if (results.some((r) => r.verdict === 'unknown')) return EXIT.unknown;
  return EXIT.ok;
}

function clock(seconds: number | null): string {
  if (seconds === null) return '       ?';
  const sign = seconds < 0 ? '−' : '+';
  const abs = Math.abs(seconds);
  const text =
    abs < 120
      ? `${abs.toFixed(1)} s`
      : `${Math.floor(abs / 60)}:${String(Math.round(abs % 60)).padStart(2, '0')} min`;
  return `${sign}${text}`.padStart(10);
}

export function formatWhatIf(result: WhatIfResult): string {
  const lines = [`What if the power failed now — ${result.monitorId}`];
  if (result.alreadyOnBattery) lines.push('  (the UPS is on battery already: t0 is now)');
  for (const step of result.steps)
    lines.push(
      `  ${clock(step.atSeconds)}  ${step.basis.padEnd(10)} ${step.label}: ${step.detail}`,
    );
  lines.push('', `  ${result.verdict.toUpperCase()}: ${result.headline}`);
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  for (const missing of result.missing) lines.push(`  missing: ${missing.what} — ${missing.fix}`);
  return `${lines.join('\n')}\n`;
}

export async function runWhatIfCli(
  monitorId: string | undefined,
  values: WhatIfCliOptions,
  host: WhatIfCliHost,
): Promise<number> {
  const seconds = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 3600)
      throw host.usageError(`--${name} takes a number of seconds from 0 to 3600, e.g. 90.`);
    return value;
  };
  const masterShutdownSeconds = seconds('master-shutdown', values.masterShutdown);
  const hostSyncSeconds = seconds('hostsync', values.hostsync);
  if (monitorId !== undefined && !/^[^/]+\/[^/]+$/.test(monitorId))
    throw host.usageError(
      `"${monitorId}": give the monitored UPS as MASTER-ID/UPS-NAME (as in the config file), e.g. nas/ups.`,
    );
  const configPath = path.resolve(values.config ?? defaultConfigPath());
  const dataDir = path.resolve(values.dataDir ?? path.dirname(configPath));

  const logger: Logger = {
    log(level: LogLevel, message: string) {
      if (level === 'warn' || level === 'error')
        host.err.write(`${level.toUpperCase()} ${message}\n`);
    },
  };
  const { controlEndpoint } = await import('../control/endpoint');
  const endpoint = controlEndpoint(values.controlSocket);
  let core = await host.attachToService(endpoint);
  const source = core ? 'by the background service' : `in ${configPath}`;
  if (core)
    host.err.write(
      `Asked the background service (${endpoint}): its readings and history; ${configPath} is not used.\n`,
    );
  else {
    if (!existsSync(configPath))
      throw host.usageError(`No config file at ${configPath} (and no background service to ask).`);
    core = await host.startCore(configPath, dataDir, logger);
    if (core.snapshot().configProblem) {
      // The core has logged it, with file, line and column.
      await core.stop();
      return EXIT.failed;
    }
  }
  try {
    const all = core.snapshot().ups.map((u) => u.monitorId);
    if (monitorId !== undefined && !all.includes(monitorId))
      throw host.usageError(
        `No monitored UPS ${monitorId} ${source} (have: ${all.join(', ') || 'none'}).`,
      );
    const wanted = monitorId === undefined ? all : [monitorId];
    if (wanted.length === 0) {
      // An empty answer with exit 0 would read as "all fine".
      host.err.write(
        `No UPS is monitored ${source}: there is no shutdown chain to time. Add a master with its UPS (Settings, or the README's "Config file") and ask again.\n`,
      );
      return EXIT.failed;
    }
    await waitUntil(
      () =>
        core
          .snapshot()
          .ups.filter((u) => wanted.includes(u.monitorId))
          .every(
            (u) =>
              u.variablesAt !== null ||
              u.lastError !== null ||
              u.connection === 'unreachable' ||
              u.connection === 'login-refused',
          ),
      host.readTimeoutMs ?? 15_000,
    );
    const results: WhatIfResult[] = [];
    for (const id of wanted) {
      const answer = await dispatchInvoke(core.handlers, 'ups:get-what-if', {
        monitorId: id,
        ...(masterShutdownSeconds !== undefined ? { masterShutdownSeconds } : {}),
        ...(hostSyncSeconds !== undefined ? { hostSyncSeconds } : {}),
      });
      if (!answer.ok) {
        host.err.write(
          `${id}: ${answer.error.message}\n${answer.error.fix ? `Fix: ${answer.error.fix}\n` : ''}`,
        );
        return EXIT.failed;
      }
      results.push(answer.response as WhatIfResult);
    }
    if (values.json)
      host.out.write(
        `${JSON.stringify(monitorId === undefined ? results : results[0], null, 2)}\n`,
      );
    else host.out.write(results.map(formatWhatIf).join('\n'));
    return whatIfExitCode(results);
  } finally {
    await core.stop();
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}
