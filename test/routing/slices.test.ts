// Sliced background work (actors/routing/slices.ts): with a rest, the thread is left idle
// between slices, so a view load takes a share of the CPU instead of all of it.
import { expect } from 'chai';
import { runSliced, sliceClock } from '../../actors/routing/slices.js';

const REST_MS = 5;

/**
 * Pauses of at least half the rest between consecutive steps (a timer counts from the loop's
 * cached clock, which may be a slice old, so a rest can look up to ~2 ms short).
 */
function rests(stepTimes: readonly number[]): number {
  return stepTimes.slice(1).filter((t, i) => t - stepTimes[i]! >= REST_MS / 2).length;
}

/** 150 busy steps of 0.2 ms (30 ms of work), noting when each step ran. */
function* busy(stepTimes: number[]): Generator<void, number> {
  for (let i = 0; i < 150; i++) {
    const start = performance.now();
    stepTimes.push(start);
    while (performance.now() - start < 0.2);
    yield;
  }
  return stepTimes.length;
}

describe('routing: slices with a rest', () => {
  it('runSliced rests between slices and runs the work to its end', async () => {
    const stepTimes: number[] = [];
    const steps = await runSliced(busy(stepTimes), 2, REST_MS);
    expect(steps).to.equal(150);
    expect(rests(stepTimes)).to.be.at.least(5); // ~14 slices of 2 ms
  });

  it('sliceClock rests too', async () => {
    const pause = sliceClock(2, REST_MS);
    const stepTimes: number[] = [];
    for (const _ of busy(stepTimes)) await pause();
    expect(rests(stepTimes)).to.be.at.least(5);
  });
});
