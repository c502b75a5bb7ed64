/**
 * Validate-then-dispatch for every transport. The IPC registrar and the bridge call this so
 * that a payload is checked against the shared schema exactly once, in one place, and errors
 * leave as explained ApiErrors (never stack traces or secrets).
 */
import {
  type ApiError,
  type ApiHandlers,
  type InvokeChannel,
  type InvokeResult,
  invokeChannels,
  isInvokeChannel,
} from '../../shared/ipc';
import { ApiRequestError } from '../platform/api-request-error';

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
  if (error && typeof error === 'object' && 'explanation' in error && 'fix' in error) {
    // NutError and ConfigError carry their own explanation and fix.
    const e = error as { code?: unknown; explanation: unknown; fix: unknown };
    return {
      code: typeof e.code === 'string' ? e.code : 'ERROR',
      message: String(e.explanation),
      fix: String(e.fix),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: `${channel} failed: ${message}` };
}
