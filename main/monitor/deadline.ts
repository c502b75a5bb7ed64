/** Waiting for work with a wall-clock limit (quitting: a master that never answers must not hold it up). */

/** True when `work` settled (either way) within `ms`; false when the limit came first. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
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
  }
}

/** The time left until a deadline set now + `ms` (undefined: no deadline). */
export function deadlineFrom(ms: number | undefined): { left(): number | undefined } {
  if (ms === undefined) return { left: () => undefined };
  const end = performance.now() + ms;
  return { left: () => Math.max(0, end - performance.now()) };
}
