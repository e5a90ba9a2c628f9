import { expect } from 'chai';
import { RestartWindow, validateRestartPolicy } from '../../../actors/kernel/restart-window.js';

describe('kernel RestartWindow (MaxR/MaxT)', () => {
  it('allows maxRestarts crashes within the window and refuses the next one', () => {
    const window = new RestartWindow({ maxRestarts: 3, withinMs: 5_000 });
    expect([0, 100, 200].map((t) => window.recordCrash(t))).to.deep.equal([true, true, true]);
    expect(window.recordCrash(300)).to.equal(false);
  });

  it('forgets crashes older than the window', () => {
    const window = new RestartWindow({ maxRestarts: 1, withinMs: 1_000 });
    expect(window.recordCrash(0)).to.equal(true);
    expect(window.recordCrash(1_000)).to.equal(true);
    expect(window.recordCrash(2_500)).to.equal(true);
    expect(window.recordCrash(2_600)).to.equal(false);
  });

  it('with maxRestarts 0 the first crash escalates', () => {
    expect(new RestartWindow({ maxRestarts: 0, withinMs: 1_000 }).recordCrash(0)).to.equal(false);
  });

  it('rejects bad policies with a clear message', () => {
    expect(() => validateRestartPolicy({ maxRestarts: -1, withinMs: 1 }, 'a')).to.throw(/maxRestarts/);
    expect(() => validateRestartPolicy({ maxRestarts: 1.5, withinMs: 1 }, 'a')).to.throw(/maxRestarts/);
    expect(() => validateRestartPolicy({ maxRestarts: 1, withinMs: 0 }, 'a')).to.throw(/withinMs/);
    expect(() => validateRestartPolicy({ maxRestarts: 1, withinMs: Number.NaN }, 'a')).to.throw(/withinMs/);
  });
});
