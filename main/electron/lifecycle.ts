/**
 * Ordered teardown and the quit guard. Quit must not be instant: every monitor LOGOUTs first
 * (the NUT master counts us as gone only then), timers stop, the tray goes, logs are flushed.
 * `before-quit` is therefore prevented once, the teardown runs, and the app quits again.
 */
import type { App } from 'electron';
import type { Logger } from '../platform/ports';

export interface TeardownStep {
  name: string;
  run(): void | Promise<void>;
  /** Give up on this step after this long (default 10 s) and go on with the next. */
  timeoutMs?: number;
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
  readonly started: boolean;
}

export function createTeardown(steps: readonly TeardownStep[], logger: Logger): Teardown {
  let running: Promise<StepReport[]> | null = null;

  const runStep = async (step: TeardownStep): Promise<StepReport> => {
    const started = Date.now();
    const timeoutMs = step.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timed-out'>((resolve) => {
      timer = setTimeout(() => resolve('timed-out'), timeoutMs);
    });
    try {
      const result = await Promise.race([Promise.resolve().then(() => step.run()).then(() => 'ok' as const), timeout]);
      const report: StepReport = { name: step.name, outcome: result, ms: Date.now() - started };
      if (result === 'timed-out') logger.log('warn', `teardown step ${step.name} timed out`, { timeoutMs });
      return report;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.log('error', `teardown step ${step.name} failed`, { error: message });
      return { name: step.name, outcome: 'failed', ms: Date.now() - started, error: message };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    get started() {
      return running !== null;
    },
    run() {
      running ??= (async () => {
        const reports: StepReport[] = [];
        for (const step of steps) reports.push(await runStep(step));
        return reports;
      })();
      return running;
    },
  };
}

export interface QuitGuardOptions {
  /** Hard stop if the teardown has not finished by then (default 30 s). */
  watchdogMs?: number;
}

/**
 * Make `before-quit` wait for `teardown`: the first quit is prevented, the teardown runs, then
 * `app.quit()` is called again and allowed through. Returns a function that starts the same
 * sequence (for the tray's Quit and system shutdown).
 */
export function installQuitGuard(app: Pick<App, 'on' | 'quit' | 'exit'>, teardown: Teardown, logger: Logger, options: QuitGuardOptions = {}): () => void {
  let done = false;
  const begin = (): void => {
    if (teardown.started) return;
    const watchdog = setTimeout(() => {
      logger.log('error', 'teardown did not finish in time; exiting');
      app.exit(1);
    }, options.watchdogMs ?? 30_000);
    watchdog.unref?.();
    void teardown.run().then(() => {
      clearTimeout(watchdog);
      done = true;
      app.quit();
    });
  };
  app.on('before-quit', (event) => {
    if (done) return;
    event.preventDefault();
    begin();
  });
  return () => app.quit();
}
