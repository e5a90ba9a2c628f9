// Raw nact dispatch throughput, the baseline of benchmark B8. Lives in the kernel because
// nothing else may import nact.
import nact from 'nact';

/** Messages per second through one bare nact actor (dispatch, no supervision, no refs). */
export async function rawNactDispatchRate(messages: number): Promise<number> {
  const system = nact.start();
  try {
    let finish = (): void => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const counter = nact.spawn(
      system,
      (count: number, _message: number) => {
        const next = count + 1;
        if (next === messages) finish();
        return next;
      },
      'raw-counter',
      { initialState: 0 },
    );
    const started = performance.now();
    for (let i = 0; i < messages; i += 1) nact.dispatch(counter, i);
    await done;
    return messages / ((performance.now() - started) / 1000);
  } finally {
    nact.stop(system);
  }
}
