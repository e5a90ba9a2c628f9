// Long synchronous work cut into slices: the work is a generator that yields now and then
// (every few hundred items); run synchronously with drain(), or with runSliced(), which gives
// the event loop back whenever a slice has taken `sliceMs`, so redirects are answered in
// between (docs/routing.md, "A hot path that never waits").

/** Runs the generator to its end at once. */
export function drain<R>(steps: Generator<void, R>): R {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Gives the event loop back once: whatever is due (redirects, timers) runs before the caller goes on. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Gives the event loop back and, with `restMs` > 0, leaves the thread idle that long before the
 * next slice: background work then takes a share of the CPU rather than all of it, so on a busy
 * machine the OS has a core free for the serving thread (docs/routing.md, "A hot path that never
 * waits").
 */
const yieldFor = (restMs: number): Promise<void> => (restMs > 0 ? new Promise((resolve) => setTimeout(resolve, restMs)) : yieldToLoop());

/** How often a step loop yields (a power of two minus one, used as a mask). */
export const YIELD_EVERY_MASK = 255;

/** Runs the generator, giving the event loop back (and resting `restMs`) after every `sliceMs` of work. */
export async function runSliced<R>(steps: Generator<void, R>, sliceMs = 4, restMs = 0): Promise<R> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldFor(restMs);
      sliceStart = performance.now();
    }
  }
}

/**
 * For async loops over many items: await it once per item; it gives the event loop back when
 * the slice has run `sliceMs` (the clock is read every YIELD_EVERY_MASK + 1 items).
 */
export function itemPacer(sliceMs = 4): () => Promise<void> | undefined {
  const tick = sliceClock(sliceMs);
  let items = 0;
  return () => ((++items & YIELD_EVERY_MASK) === 0 ? tick() : undefined);
}

/** Gives the event loop back (and rests `restMs`) when the current slice has run `sliceMs` (for async loops). */
export function sliceClock(sliceMs = 4, restMs = 0): () => Promise<void> {
  let sliceStart = performance.now();
  return async () => {
    if (performance.now() - sliceStart < sliceMs) return;
    await yieldFor(restMs);
    sliceStart = performance.now();
  };
}
