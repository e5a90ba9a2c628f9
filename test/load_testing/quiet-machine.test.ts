// The machine's busy share from /proc/stat ticks, and the wait B6 makes before each window
// (load_testing/quiet-machine.ts).
import { expect } from 'chai';
import { busyShare, waitForQuietMachine } from '../../load_testing/quiet-machine.js';

describe('load testing: a quiet machine before a measured window', function () {
  it('busy share counts every tick but idle and iowait, over all cores', () => {
    // user, nice, system, idle, iowait, irq, softirq, steal
    const before = [100, 0, 50, 1000, 10, 0, 0, 0];
    const after = [160, 0, 70, 1100, 30, 5, 5, 10];
    // busy = 60 + 20 + 5 + 5 + 10 = 100 of 220 ticks
    expect(busyShare(before, after)).to.be.closeTo(100 / 220, 1e-9);
    expect(busyShare(before, before)).to.equal(0);
  });

  it('gives up after its limit when the machine never gets below the share, and says so; without /proc/stat it does not wait', async function () {
    this.timeout(10_000);
    const waited = await waitForQuietMachine(-1, 1_500);
    if (process.platform !== 'linux') {
      expect(waited).to.equal(undefined);
      return;
    }
    expect(waited).to.deep.include({ quiet: false });
    expect(waited!.waitedMs).to.be.at.least(1_500);
  });
});
