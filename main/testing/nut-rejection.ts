/** For tests: the NutError a promise rejects with; fails when it resolves or rejects with anything else. */
import { NutError } from '../nut/errors.js';

export async function nutRejection(
  promise: Promise<unknown>,
  onResolved?: (value: unknown) => void,
): Promise<NutError> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    if (error instanceof NutError) return error;
    throw new Error(`expected a NutError, got: ${String(error)}`, { cause: error });
  }
  onResolved?.(value);
  throw new Error('expected the promise to reject');
}
