/**
 * Long synchronous work written once as a generator that `yield`s between small steps, then run
 * either to completion at once (tests, CLI) or in time slices that give the event loop back, so
 * the core keeps serving other requests (snapshots, polls) while a big file is processed.
 */

export type Sliced<T> = Generator<void, T, void>;

/** Runs the work to its end without yielding to the event loop. */
export function runToEnd<T>(work: Sliced<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

/** Runs the work in slices of about `sliceMs`, letting timers and I/O run between slices. */
export async function runInSlices<T>(work: Sliced<T>, sliceMs = 8): Promise<T> {
  let sliceEnd = performance.now() + sliceMs;
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    if (performance.now() >= sliceEnd) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceEnd = performance.now() + sliceMs;
    }
  }
}
