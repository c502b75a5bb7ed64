/**
 * The shutdown step (upsmon's SHUTDOWNCMD): the configured command or a safe per-platform
 * default, or, in dry-run mode, an event saying what would have run.
 *
 * Platform defaults:
 * - Linux: `/sbin/shutdown -h +0` — upsmon's own default SHUTDOWNCMD. It works on systemd
 *   (`shutdown` is systemctl's compatibility front-end; `-h` means power off there), and also on
 *   sysvinit, OpenRC and busybox systems where `systemctl poweroff` does not exist. On merged-/usr
 *   systems without /sbin/shutdown the first existing of /usr/sbin/shutdown, /usr/bin/shutdown and
 *   `systemctl poweroff` is used.
 * - macOS: `/sbin/shutdown -h now`.
 * - FreeBSD/OpenBSD/NetBSD: `/sbin/shutdown -p now` (-p powers off; -h only halts there).
 * - Windows: `%SystemRoot%\System32\shutdown.exe /s /f /t 0` — /f closes applications that would
 *   otherwise veto the shutdown with an unsaved-document prompt while the battery runs down.
 *
 * runShutdownCommand() returns as soon as the command has STARTED, so that the monitor can close
 * its session (the primary then stops waiting for us, main/monitor/README.md §1.7), plus a promise for its
 * completion. The command is bounded by `timeoutSeconds`.
 */
import { existsSync } from 'node:fs';
import type { Command, ShutdownSchema } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import {
  type Clock,
  type Logger,
  type ProcessResult,
  type ProcessRunner,
  runnerFailure,
} from '../platform/ports';
import type * as z from 'zod';
import { redactArgs, redactText, secretsInArgs } from './redact';

export type ShutdownConfig = z.output<typeof ShutdownSchema>;

/** The safe default shutdown command of a platform. `exists` is injectable for tests. */
export function defaultShutdownCommand(
  platform: NodeJS.Platform = process.platform,
  exists: (path: string) => boolean = existsSync,
  env: NodeJS.ProcessEnv = process.env,
): Command {
  switch (platform) {
    case 'linux': {
      for (const file of ['/sbin/shutdown', '/usr/sbin/shutdown', '/usr/bin/shutdown']) {
        if (exists(file)) return { file, args: ['-h', '+0'] };
      }
      for (const file of ['/usr/bin/systemctl', '/bin/systemctl']) {
        if (exists(file)) return { file, args: ['poweroff'] };
      }
      return { file: '/sbin/shutdown', args: ['-h', '+0'] };
    }
    case 'darwin':
      return { file: '/sbin/shutdown', args: ['-h', 'now'] };
    case 'freebsd':
    case 'openbsd':
    case 'netbsd':
      return { file: '/sbin/shutdown', args: ['-p', 'now'] };
    case 'win32': {
      const root = env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows';
      return { file: `${root}\\System32\\shutdown.exe`, args: ['/s', '/f', '/t', '0'] };
    }
    default:
      return { file: '/sbin/shutdown', args: ['-h', 'now'] };
  }
}

export interface ShutdownStepOptions {
  config: ShutdownConfig;
  runner: ProcessRunner;
  clock: Clock;
  sink: (event: StoredEvent) => void;
  logger?: Logger;
  /** `master/ups` whose state caused the shutdown; `*` by default. */
  monitorId?: string;
  /** Why (for the event), e.g. `FSD set by the primary on ups@nas`. */
  reason?: string;
  secrets?: () => readonly string[];
  /** Defaults to process.platform (tests). */
  platform?: NodeJS.Platform;
}

export interface ShutdownStarted {
  dryRun: boolean;
  command: Command;
  /** true: the program is running (or the dry run was recorded); false: it could not be started. */
  started: boolean;
  /** Why it could not be started (ENOENT, EACCES …, with what to do). */
  spawnError?: string;
  /** Settles when the command has finished (null for a dry run). Never rejects. */
  completion: Promise<ProcessResult | null>;
}

/**
 * Runs the shutdown step. Resolves when the command has started (or failed to start, or, in
 * dry-run mode, once the would-run event is recorded); `completion` follows the command to its end.
 */
export function runShutdownCommand(options: ShutdownStepOptions): Promise<ShutdownStarted> {
  const { config, runner, clock, sink } = options;
  const monitorId = options.monitorId ?? '*';
  const command = config.command ?? defaultShutdownCommand(options.platform);
  const secrets = [...(options.secrets?.() ?? []), ...secretsInArgs(command.args)];
  const shown = {
    program: redactText(command.file, secrets),
    args: redactArgs(command.args, secrets),
  };
  const printable = [shown.program, ...shown.args].join(' ');
  const record = (e: Omit<StoredEvent, 'at' | 'kind' | 'monitorId' | 'type'>) => {
    try {
      sink({ at: clock.now(), kind: 'hook', type: 'SHUTDOWN_COMMAND', monitorId, ...e });
    } catch (error) {
      options.logger?.log('error', 'recording the shutdown command failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const reason = options.reason ? ` (${options.reason})` : '';

  if (config.dryRun) {
    record({
      severity: 'warning',
      message: `Dry run: would run ${printable}${reason}`,
      data: { phase: 'dry-run', dryRun: true, wouldRun: shown, default: config.command === null },
    });
    options.logger?.log('warn', `dry run: would run ${printable}`);
    return Promise.resolve({
      dryRun: true,
      command,
      started: true,
      completion: Promise.resolve(null),
    });
  }

  const timeoutMs = config.timeoutSeconds * 1000;
  const at = clock.now();
  options.logger?.log('warn', `running shutdown command ${printable}`);
  return new Promise<ShutdownStarted>((resolveStarted) => {
    let announced = false;
    let resolveCompletion!: (r: ProcessResult | null) => void;
    const completion = new Promise<ProcessResult | null>((r) => (resolveCompletion = r));

    const announce = (pid: number | undefined) => {
      if (announced) return;
      announced = true;
      record({
        severity: 'critical',
        message: `Shutdown command started: ${printable}${reason}`,
        data: {
          phase: 'started',
          dryRun: false,
          program: shown.program,
          args: shown.args,
          pid: pid ?? null,
          default: config.command === null,
        },
      });
      resolveStarted({ dryRun: false, command, started: true, completion });
    };

    runner
      .run(command.file, command.args, { timeoutMs, onSpawn: announce })
      .catch((error: unknown) => runnerFailure(error, at))
      .then((result) => {
        if (result.spawnError !== undefined && !announced) {
          announced = true;
          const spawnError = redactText(result.spawnError, secrets);
          record({
            severity: 'critical',
            message: `Shutdown command could not start: ${spawnError}`,
            data: {
              phase: 'failed',
              dryRun: false,
              program: shown.program,
              args: shown.args,
              spawnError,
            },
          });
          resolveStarted({ dryRun: false, command, started: false, spawnError, completion });
          resolveCompletion(result);
          return;
        }
        // A runner without onSpawn support: it did start, we only learn it now.
        announce(undefined);
        const ok = !result.timedOut && result.exitCode === 0;
        record({
          severity: ok ? 'info' : 'critical',
          message: result.timedOut
            ? `Shutdown command timed out after ${config.timeoutSeconds} s and was killed`
            : `Shutdown command finished: ${result.signal ? `killed by ${result.signal}` : `exit code ${String(result.exitCode)}`}`,
          data: {
            phase: 'finished',
            program: shown.program,
            args: shown.args,
            exitCode: result.exitCode,
            signal: result.signal,
            timedOut: result.timedOut,
            durationMs: result.durationMs,
            stdout: redactText(result.stdout.slice(-8192), secrets),
            stderr: redactText(result.stderr.slice(-8192), secrets),
          },
        });
        resolveCompletion(result);
      })
      .catch(() => resolveCompletion(null));
  });
}
