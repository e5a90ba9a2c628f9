// B6 starts its cluster sized for the model it loads (docs/performance.md, "The stretch measured").
import { expect } from 'chai';
import { b6ClusterNeeds } from '../../load_testing/benchmarks/other.js';

describe('load_testing: B6 cluster sizing', () => {
  it('keeps the node and member defaults for the default model', () => {
    expect(b6ClusterNeeds()).to.deep.equal({ nodeEnv: { DOMAIN_BODY_LIMIT_MB: '64' }, hazelcastHeap: '512m' });
  });

  it('raises the body limit and the member heap for the 1 000 000-record stretch', () => {
    expect(b6ClusterNeeds(1_000_000)).to.deep.equal({ nodeEnv: { DOMAIN_BODY_LIMIT_MB: '382' }, hazelcastHeap: '1528m' });
  });

  it('never asks for a body limit the node refuses (at most 512 MiB), nor a heap for more', () => {
    expect(b6ClusterNeeds(10_000_000)).to.deep.equal({ nodeEnv: { DOMAIN_BODY_LIMIT_MB: '512' }, hazelcastHeap: '2048m' });
  });
});
