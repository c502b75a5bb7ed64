/**
 * The ONLY module that uses ipcMain (lint-enforced). It serves every invoke channel of
 * shared/ipc.ts through dispatchInvoke (the one validation + dispatch path), after checking
 * that the call comes from our dashboard: the sender must be the dashboard's webContents and
 * the sending frame its main frame showing our renderer URL. Core pushes go to that window on
 * whitelisted channels only.
 *
 * Wire format of an invoke result: the InvokeResult envelope of shared/ipc.ts (`{ ok: true, response }`
 * or `{ ok: false, error: ApiError }`); the preload unwraps it. Errors never carry stacks.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { ApiHandlers, InvokeResult, PushChannel, PushOf } from '../../shared/ipc';
import { INVOKE_CHANNELS, isPushChannel, PUSH_CHANNELS } from '../../shared/ipc';
import type { CoreService } from '../core/core-service';
import { dispatchInvoke } from '../core/dispatch';
import type { Logger } from '../platform/ports';
import { safeRoute } from './routes';

export interface IpcRegistrarDeps {
  /** The handlers to serve (normally core.handlers, possibly wrapped by the shell). */
  handlers: ApiHandlers;
  /** Push source (core.onPush). */
  onPush: CoreService['onPush'];
  /** The dashboard's webContents, or null when no window exists. */
  getWebContents(): WebContents | null;
  /** True for our renderer's URL (nut-sentinel://renderer/index.html or the dev server origin). */
  isTrustedUrl(url: string): boolean;
  logger: Logger;
}

export interface IpcRegistrar {
  /** Send a push to the dashboard (whitelisted channels only; dropped when no window). */
  send<P extends PushChannel>(channel: P, payload: PushOf<P>): void;
  /** Remove every handler and push subscription. Idempotent. */
  dispose(): void;
}

export const FORBIDDEN_SENDER: InvokeResult = {
  ok: false,
  error: {
    code: 'FORBIDDEN-SENDER',
    message: 'This page is not allowed to use the NUT Sentinel API.',
  },
};

/** Why a sender is refused, or null when it is our dashboard. */
export function senderProblem(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  deps: Pick<IpcRegistrarDeps, 'getWebContents' | 'isTrustedUrl'>,
): string | null {
  const ours = deps.getWebContents();
  if (!ours) return 'no dashboard window';
  if (event.sender.id !== ours.id) return 'not the dashboard webContents';
  const frame = event.senderFrame;
  if (!frame) return 'sender frame is gone';
  if (frame.parent !== null) return 'not the main frame';
  if (!deps.isTrustedUrl(frame.url)) return 'untrusted URL';
  return null;
}

export function registerIpc(deps: IpcRegistrarDeps): IpcRegistrar {
  let disposed = false;

  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, async (event, request: unknown): Promise<InvokeResult> => {
      const problem = senderProblem(event, deps);
      if (problem) {
        // Never log the payload: it may hold a password.
        deps.logger.log('warn', 'IPC call refused', {
          channel,
          reason: problem,
          url: (event.senderFrame?.url ?? '').slice(0, 200),
        });
        return FORBIDDEN_SENDER;
      }
      const result = await dispatchInvoke(deps.handlers, channel, request);
      if (!result.ok && result.error.code !== 'INVALID-REQUEST') {
        deps.logger.log('info', 'IPC call failed', { channel, code: result.error.code });
      } else if (!result.ok) {
        deps.logger.log('warn', 'IPC call rejected', { channel, code: result.error.code });
      }
      return result;
    });
  }

  const send = <P extends PushChannel>(channel: P, payload: PushOf<P>): void => {
    if (disposed) return;
    if (!isPushChannel(channel)) {
      deps.logger.log('error', 'refused to push on a channel outside the whitelist', {
        channel: String(channel).slice(0, 80),
      });
      return;
    }
    const value = channel === 'app:navigate' ? safeRoute(payload as string) : payload;
    const wc = deps.getWebContents();
    if (!wc || wc.isDestroyed()) return;
    try {
      wc.send(channel, value);
    } catch (error) {
      deps.logger.log('warn', 'push failed', {
        channel,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  const unsubscribers = PUSH_CHANNELS.map((channel) =>
    deps.onPush(channel, (payload) => send(channel, payload)),
  );

  return {
    send,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}
