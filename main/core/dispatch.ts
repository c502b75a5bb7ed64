/**
 * Validate-then-dispatch for every transport. The IPC registrar and the bridge call this so
 * that a payload is checked against the shared schema exactly once, in one place, and errors
 * leave as explained ApiErrors (never stack traces or secrets).
 */
import type * as z from 'zod';
import {
  BridgeClientMessageSchema,
  type BridgeServerMessage,
  type ApiError,
  type ApiHandlers,
  type InvokeChannel,
  type InvokeResult,
  invokeChannels,
  isInvokeChannel,
} from '../../shared/ipc';
import { ApiRequestError, isExplainedError } from '../platform/api-request-error';

export async function dispatchInvoke(
  handlers: ApiHandlers,
  channel: unknown,
  rawRequest: unknown,
): Promise<InvokeResult> {
  if (!isInvokeChannel(channel)) {
    return {
      ok: false,
      error: {
        code: 'UNKNOWN-CHANNEL',
        message: `Unknown API channel ${JSON.stringify(String(channel)).slice(0, 80)}.`,
      },
    };
  }
  const parsed = invokeChannels[channel].request.safeParse(rawRequest);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`)
      .join('; ');
    return {
      ok: false,
      error: { code: 'INVALID-REQUEST', message: `Invalid request for ${channel}: ${detail}` },
    };
  }
  try {
    const handler = handlers[channel] as (request: unknown) => Promise<unknown>;
    const response = await handler(parsed.data);
    return { ok: true, response };
  } catch (error) {
    return { ok: false, error: toApiError(channel, error) };
  }
}

function toApiError(channel: InvokeChannel, error: unknown): ApiError {
  if (error instanceof ApiRequestError) return error.apiError;
  if (isExplainedError(error))
    return {
      code: typeof error.code === 'string' ? error.code : 'ERROR',
      message: error.explanation,
      fix: error.fix,
    };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: `${channel} failed: ${message}` };
}

/**
 * One bridge-protocol message (WebSocket bridge and control socket): the parsed request, or the
 * error reply to send back (with the request's id when it can be read, -1 otherwise).
 */
export function parseClientMessage(
  text: string,
):
  | { ok: true; message: z.infer<typeof BridgeClientMessageSchema> }
  | { ok: false; reply: BridgeServerMessage } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      ok: false,
      reply: {
        id: -1,
        ok: false,
        error: { code: 'INVALID-MESSAGE', message: 'The message is not valid JSON.' },
      },
    };
  }
  const parsed = BridgeClientMessageSchema.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data };
  const rawId: unknown =
    raw !== null && typeof raw === 'object' && 'id' in raw ? raw.id : undefined;
  return {
    ok: false,
    reply: {
      id: typeof rawId === 'number' && Number.isInteger(rawId) ? rawId : -1,
      ok: false,
      error: {
        code: 'INVALID-MESSAGE',
        message: 'A request is { id: integer ≥ 0, channel: string, request?: … }.',
      },
    },
  };
}

/** The reply when a connection has more requests outstanding than it may. */
export function busyReply(id: number, maxPending: number): BridgeServerMessage {
  return {
    id,
    ok: false,
    error: {
      code: 'BUSY',
      message: `More than ${maxPending} requests are outstanding on this connection.`,
      fix: 'Wait for earlier requests to finish.',
    },
  };
}
