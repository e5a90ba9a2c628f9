// The node's command line (bin/stack/node-process.ts): V8's helper threads leave a core to the
// main threads (docs/performance.md, "B6: V8's helper threads").
import { expect } from 'chai';
import { MAX_SEMI_SPACE_MB, nodeArgs, v8PoolSize } from '../../bin/stack/node-process.js';

describe('node process command line', () => {
  it('gives V8 one helper thread fewer than the cores, at least 1 and at most 4', () => {
    expect([1, 2, 3, 4, 5, 8, 64].map(v8PoolSize)).to.deep.equal([1, 1, 2, 3, 4, 4, 4]);
  });

  it('passes the semi-space cap and the pool size, and the profiler flags only when asked', () => {
    const plain = nodeArgs(undefined, 2);
    expect(plain.slice(0, 4)).to.deep.equal(['--max-semi-space-size=4', '--v8-pool-size=1', '--import', 'tsx']);
    expect(plain[4]).to.match(/bin\/node\.ts$/);
    const profiled = nodeArgs('/tmp/prof', 8);
    expect(profiled).to.include.members(['--cpu-prof', '--cpu-prof-dir=/tmp/prof', '--max-semi-space-size=4', '--v8-pool-size=4']);
  });

  it('caps the young generation of a node it starts at 4 MB per semi-space', async () => {
    const { execFileSync } = await import('node:child_process');
    // Allocates enough short-lived objects for V8 to grow the young generation to its cap.
    const script = [
      'let kept = [];',
      'for (let i = 0; i < 3e6; i++) { kept.push({ i }); if (kept.length > 1e5) kept = []; }',
      "const space = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');",
      'console.log(space.space_size);',
    ].join('\n');
    const flags = nodeArgs(undefined, 2).filter((arg) => arg.startsWith('--max-semi-space-size'));
    const newSpaceBytes = Number(execFileSync(process.execPath, [...flags, '-e', script]).toString());
    expect(newSpaceBytes)
      .to.be.greaterThan(0)
      .and.at.most(2 * MAX_SEMI_SPACE_MB * 1024 * 1024);
  });
});
