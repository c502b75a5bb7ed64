/**
 * The headless core as the transports see it: one set of API handlers plus push events.
 * The Electron IPC registrar and the browser bridge both serve exactly this; the tray and the
 * notifier adapters observe it. Implemented by main/core/app-core.ts.
 */
import type { ApiHandlers, PushChannel, PushOf } from '../../shared/ipc';
import type { AppSnapshot } from '../../shared/snapshot';

export interface CoreStopOptions {
  /** How long stopping may wait on the network (LOGOUT replies, alert deliveries), in ms. */
  deadlineMs?: number;
  /** With `deadlineMs`: aborted, the deadline is now (the session is ending meanwhile). */
  signal?: AbortSignal;
}

export interface CoreService {
  readonly handlers: ApiHandlers;
  /** Subscribe to a push channel; returns the unsubscribe function. */
  onPush<P extends PushChannel>(channel: P, listener: (payload: PushOf<P>) => void): () => void;
  /** The current view model (also pushed on `app:snapshot` whenever it changes). */
  snapshot(): AppSnapshot;
  /** Connect to every configured master and start monitoring. */
  start(): Promise<void>;
  /**
   * Ordered teardown: stop monitors (LOGOUT each session), cancel hook timers, flush and
   * close the history. Idempotent. With `deadlineMs` (quitting the app) the work that waits on
   * masters and alert channels gets that long in all; what has not finished by then is dropped,
   * and the history is still flushed and closed.
   */
  stop(options?: CoreStopOptions): Promise<void>;
}

/** A core that runs from its own config file (not one attached to a service): it can re-read it. */
export interface ConfigFileCore extends CoreService {
  /**
   * Re-reads the config file and applies it as a save from Settings would (SIGHUP, `systemctl
   * reload`); any problem leaves the running configuration in effect. Recorded as an event.
   */
  reloadConfigFile(): Promise<{ applied: boolean; message: string }>;
}
