// The node's command line (bin/stack/node-process.ts): V8's helper threads leave a core to the
// main threads (docs/performance.md, "B6: V8's helper threads").
import { expect } from 'chai';
import { nodeArgs, v8PoolSize } from '../../bin/stack/node-process.js';

describe('node process command line', () => {
  it('gives V8 one helper thread fewer than the cores, at least 1 and at most 4', () => {
    expect([1, 2, 3, 4, 5, 8, 64].map(v8PoolSize)).to.deep.equal([1, 1, 2, 3, 4, 4, 4]);
  });

  it('passes the pool size, and the profiler flags only when asked', () => {
    const plain = nodeArgs(undefined, 2);
    expect(plain.slice(0, 3)).to.deep.equal(['--v8-pool-size=1', '--import', 'tsx']);
    expect(plain[3]).to.match(/bin\/node\.ts$/);
    const profiled = nodeArgs('/tmp/prof', 8);
    expect(profiled).to.include.members(['--cpu-prof', '--cpu-prof-dir=/tmp/prof', '--v8-pool-size=4']);
  });
});
