import { expect } from 'chai';
import { confirmed, freshEntry, observe, reconcile, type HealthEntry } from '../../../actors/routing/health/hysteresis.js';
import { mapBounded } from '../../../domain/bounded.js';

const T = { fall: 2, rise: 3 };

function run(entry: HealthEntry, results: boolean[]): Array<boolean | undefined> {
  const changes: Array<boolean | undefined> = [];
  let current = entry;
  for (const healthy of results) {
    const step = observe(current, healthy, T);
    current = step.change === undefined ? step.entry : confirmed(step.entry, step.change);
    changes.push(step.change);
  }
  return changes;
}

describe('health check hysteresis', () => {
  it('goes unavailable after `fall` consecutive failures, not before', () => {
    expect(run(freshEntry(true), [false, true, false, false, false])).to.deep.equal([undefined, undefined, undefined, false, undefined]);
  });

  it('comes back after `rise` consecutive successes; a failure restarts the count', () => {
    expect(run(freshEntry(false), [true, true, false, true, true, true, true])).to.deep.equal([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      true,
      undefined,
    ]);
  });

  it('a healthy available server never produces a change', () => {
    expect(run(freshEntry(true), [true, true, true])).to.deep.equal([undefined, undefined, undefined]);
  });

  it('an unconfirmed change (failed write) is proposed again on the next result', () => {
    let entry = freshEntry(true);
    entry = observe(entry, false, T).entry;
    const first = observe(entry, false, T);
    expect(first.change).to.equal(false);
    // not confirmed: the write failed
    const again = observe(first.entry, false, T);
    expect(again.change).to.equal(false);
    expect(again.entry.failures).to.equal(3);
  });

  it('reconcile adopts an operator change and ignores the source catching up with our write', () => {
    const written = confirmed(freshEntry(true), false); // we wrote false; source still shows true
    expect(reconcile(written, true)).to.equal(written); // lagging source: nothing changes
    const caughtUp = reconcile(written, false);
    expect(caughtUp).to.include({ available: false, sourceAvailability: false });
    const operator = reconcile({ ...caughtUp, failures: 1 }, true); // someone set it back to true
    expect(operator).to.deep.equal(freshEntry(true));
  });
});

describe('mapBounded', () => {
  it('keeps at most `limit` jobs in flight and returns results in order', async () => {
    let inFlight = 0;
    let max = 0;
    const results = await mapBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight += 1;
      max = Math.max(max, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return n * 10;
    });
    expect(results).to.deep.equal([10, 20, 30, 40, 50, 60, 70]);
    expect(max).to.equal(3);
  });

  it('rejects a bad limit with a clear error', async () => {
    let error: unknown;
    try {
      await mapBounded([1], 0, async (n) => n);
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/concurrency must be a whole number >= 1/);
  });
});
