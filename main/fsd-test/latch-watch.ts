/**
 * The latch follow-up after a master-mode test: upsd keeps FSD set until upsd restarts
 * (main/monitor/README.md §1.7: not even `upsd -c reload` clears it), so after the test this watches
 * `ups.status` on its own anonymous connection (reconnecting across the master's restart) and
 * reports once the FSD token is gone.
 */
import type { TimerHandle } from '../platform/ports';
import type { NutClient } from '../nut/client';
import { NutError } from '../nut/errors';
import { type FsdTestDeps, type Target, connectToMaster, errorMessage } from './deps';
import { statusTokens } from '../../shared/status-tokens';

export interface LatchWatcherOptions {
  deps: FsdTestDeps;
  target: Target;
  /** Called once, with the first status read that no longer has FSD. */
  onCleared(at: number, status: string): void;
}

export class LatchWatcher {
  private client: NutClient | null = null;
  private timer: TimerHandle | null = null;
  private stopped = false;
  private polling = false;

  constructor(private readonly options: LatchWatcherOptions) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.options.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    await client?.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.options.deps.clock.setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, ms);
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    const { deps, target } = this.options;
    try {
      if (!this.client?.isOpen) {
        this.client = null;
        this.client = await connectToMaster(deps, target.master);
      }
      const status = await this.client.getVar(target.ups.name, 'ups.status');
      const latched = statusTokens(status).has('FSD');
      if (
        !latched &&
        status.trim() !== '' &&
        status.trim().toUpperCase() !== 'WAIT' &&
        !this.stopped
      ) {
        this.stopped = true;
        await this.client.close();
        this.client = null;
        this.options.onCleared(deps.clock.now(), status);
        return;
      }
    } catch (error) {
      // The master restarting (refused, reset, DRIVER-NOT-CONNECTED/DATA-STALE while it comes up) is expected here.
      if (!(error instanceof NutError) || error.connectionLost) {
        const client = this.client;
        this.client = null;
        await client?.close();
      }
      deps.logger.log(
        'debug',
        `fsd-test latch watch on ${target.monitorId}: ${errorMessage(error)}`,
      );
    } finally {
      this.polling = false;
    }
    this.schedule(deps.tuning?.latchPollMs ?? 5000);
  }
}
