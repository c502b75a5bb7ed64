/**
 * The error a handler throws to answer a request with a specific ApiError (code, message, fix).
 * It lives in the bottom layer because feature folders (fsd-test, …) throw it and the composition
 * layer's dispatcher (main/core/dispatch.ts) turns it into the response.
 */
import type { ApiError } from '../../shared/ipc';

export class ApiRequestError extends Error {
  constructor(readonly apiError: ApiError) {
    super(apiError.message);
    this.name = 'ApiRequestError';
  }
}

/**
 * An error that carries its own explanation and fix (NutError, ControlEndpointError,
 * BridgeHostError): the CLI prints them as Error/Fix, the dispatcher answers with them.
 */
export function isExplainedError(
  error: unknown,
): error is Error & { explanation: string; fix: string; code?: unknown } {
  return (
    error instanceof Error &&
    typeof (error as { explanation?: unknown }).explanation === 'string' &&
    typeof (error as { fix?: unknown }).fix === 'string'
  );
}
