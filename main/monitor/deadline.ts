/** Waiting for work with a wall-clock limit (quitting: a master that never answers must not hold it up). */

/**
 * True when `work` settled (either way) within `ms` and before `signal` aborted; false when the
 * limit or the abort came first. `ms` may be Infinity (only the signal ends the wait).
 */
export async function settlesWithin(
  work: Promise<unknown>,
  ms: number,
  signal?: AbortSignal,
): Promise<boolean> {
  if (signal?.aborted) return false;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<false>((resolve) => {
    if (Number.isFinite(ms)) timer = setTimeout(() => resolve(false), Math.max(0, ms));
    onAbort = () => resolve(false);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** The time left until a deadline set now + `ms` (undefined: no deadline). */
export function deadlineFrom(ms: number | undefined): { left(): number | undefined } {
  if (ms === undefined) return { left: () => undefined };
  const end = performance.now() + ms;
  return { left: () => Math.max(0, end - performance.now()) };
}
