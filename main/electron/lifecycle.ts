/**
 * Ordered teardown and the quit guard. Quit must not be instant: every monitor LOGOUTs first
 * (the NUT master counts us as gone only then), timers stop, the tray goes, logs are flushed.
 * `before-quit` is therefore prevented once, the teardown runs, and the app quits again.
 *
 * When the OS is ending the session (logind grants a shutdown delay of about 5 s; Windows
 * logoff/shutdown) the same teardown runs in a hurry: each step gets its short `urgentTimeoutMs`
 * budget — also a step already under way — and a shorter watchdog applies.
 */
import type { App } from 'electron';
import type { Logger } from '../platform/ports';

export interface TeardownStep {
  name: string;
  run(): void | Promise<void>;
  /** Give up on this step after this long (default 10 s) and go on with the next. */
  timeoutMs?: number;
  /** The budget once the teardown is urgent (default: 1 s, or timeoutMs when shorter). */
  urgentTimeoutMs?: number;
}

export interface StepReport {
  name: string;
  outcome: 'ok' | 'failed' | 'timed-out';
  ms: number;
  error?: string;
}

export interface Teardown {
  /** Run every step once, in order; later calls return the same promise. Never rejects. */
  run(): Promise<StepReport[]>;
  /** From now on every step (the running one too) gets its urgent budget. Idempotent. */
  hurry(): void;
  readonly started: boolean;
  readonly urgent: boolean;
  /** Resolves when hurry() is called (steps under way can shorten their own waits). */
  readonly hurried: Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_URGENT_MS = 1_000;

export function createTeardown(steps: readonly TeardownStep[], logger: Logger): Teardown {
  let running: Promise<StepReport[]> | null = null;
  let urgent = false;
  let hurried!: () => void;
  const hurriedSignal = new Promise<void>((resolve) => {
    hurried = resolve;
  });

  const runStep = async (step: TeardownStep): Promise<StepReport> => {
    const started = Date.now();
    const timeoutMs = step.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const urgentMs = Math.min(step.urgentTimeoutMs ?? DEFAULT_URGENT_MS, timeoutMs);
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const after = (ms: number) =>
      new Promise<'timed-out'>((resolve) => {
        if (settled) return;
        timers.push(setTimeout(() => resolve('timed-out'), ms));
      });
    // Urgent from the start: the short budget; otherwise the normal one, cut short by hurry().
    const timeout = urgent
      ? after(urgentMs)
      : Promise.race([after(timeoutMs), hurriedSignal.then(() => after(urgentMs))]);
    try {
      const result = await Promise.race([
        Promise.resolve()
          .then(() => step.run())
          .then(() => 'ok' as const),
        timeout,
      ]);
      const report: StepReport = { name: step.name, outcome: result, ms: Date.now() - started };
      if (result === 'timed-out')
        logger.log('warn', `teardown step ${step.name} timed out`, {
          timeoutMs: urgent ? urgentMs : timeoutMs,
          urgent,
        });
      return report;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.log('error', `teardown step ${step.name} failed`, { error: message });
      return { name: step.name, outcome: 'failed', ms: Date.now() - started, error: message };
    } finally {
      settled = true;
      for (const timer of timers) clearTimeout(timer);
    }
  };

  return {
    get started() {
      return running !== null;
    },
    get urgent() {
      return urgent;
    },
    hurried: hurriedSignal,
    hurry() {
      if (urgent) return;
      urgent = true;
      hurried();
    },
    run() {
      running ??= (async () => {
        const reports: StepReport[] = [];
        for (const step of steps) {
          const report = await runStep(step);
          reports.push(report);
          logger.log('info', 'teardown step done', {
            step: report.name,
            outcome: report.outcome,
            ms: report.ms,
          });
        }
        return reports;
      })();
      return running;
    },
  };
}

export interface QuitGuardOptions {
  /** Hard stop if the teardown has not finished by then (default 30 s). */
  watchdogMs?: number;
  /** Hard stop for an urgent (session-ending) teardown (default 4.5 s, inside logind's 5 s delay). */
  urgentWatchdogMs?: number;
}

export interface QuitGuard {
  /** Quit through the teardown (tray Quit, second thoughts of the OS…). */
  quit(): void;
  /** The session is ending: the teardown in a hurry, then quit. */
  quitUrgently(reason: string): void;
}

/**
 * Make `before-quit` wait for `teardown`: the first quit is prevented, the teardown runs, then
 * `app.quit()` is called again and allowed through.
 */
export function installQuitGuard(
  app: Pick<App, 'on' | 'quit' | 'exit'>,
  teardown: Teardown,
  logger: Logger,
  options: QuitGuardOptions = {},
): QuitGuard {
  let begun = false;
  let done = false;
  const watchdog = (ms: number): NodeJS.Timeout => {
    const timer = setTimeout(() => {
      logger.log('error', 'teardown did not finish in time; exiting', { ms });
      app.exit(1);
    }, ms);
    timer.unref?.();
    return timer;
  };
  const watchdogs: NodeJS.Timeout[] = [];
  const begin = (): void => {
    if (begun) return;
    begun = true;
    logger.log('info', 'teardown started', { urgent: teardown.urgent });
    watchdogs.push(
      watchdog(
        teardown.urgent ? (options.urgentWatchdogMs ?? 4_500) : (options.watchdogMs ?? 30_000),
      ),
    );
    void teardown.run().then(() => {
      for (const timer of watchdogs) clearTimeout(timer);
      done = true;
      app.quit();
    });
  };
  app.on('before-quit', (event) => {
    if (done) return;
    event.preventDefault();
    begin();
  });
  return {
    quit: () => app.quit(),
    quitUrgently: (reason) => {
      if (!teardown.urgent) {
        logger.log('warn', 'the session is ending: fast teardown', { reason });
        const alreadyRunning = begun;
        teardown.hurry();
        if (alreadyRunning) watchdogs.push(watchdog(options.urgentWatchdogMs ?? 4_500));
      }
      app.quit();
    },
  };
}
