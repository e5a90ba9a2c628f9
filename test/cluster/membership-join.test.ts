// A node's join survives a passing loss of its cluster connection (cluster/hazelcast/membership.ts):
// the first registration is retried, a malformed node and a closed store are not.
import { expect } from 'chai';
import type { IMap } from 'hazelcast-client';
import { HazelcastMembership } from '../../cluster/hazelcast/membership.js';
import { silentLogger } from '../../domain/log.js';

/** The one IMap call a join makes, failing the first `failures` times like a dropped connection. */
function flakyNodesMap(failures: number): { map: IMap<string, string>; entries: Map<string, string>; calls: () => number } {
  const entries = new Map<string, string>();
  let calls = 0;
  const map = {
    set: async (key: string, value: string): Promise<void> => {
      calls += 1;
      if (calls <= failures) throw new Error('null');
      entries.set(key, value);
    },
  } as unknown as IMap<string, string>;
  return { map, entries, calls: () => calls };
}

const node = { name: 'n1@127.0.0.1', host: '127.0.0.1', port: 4000, apiPort: 4001, startedAt: new Date().toISOString() };
const timing = { heartbeatIntervalMs: 60_000, nodeDownAfterMs: 120_000, log: silentLogger };

describe('membership join over a dropped cluster connection', () => {
  it('retries the first registration until it goes through', async () => {
    const nodes = flakyNodesMap(2);
    const membership = new HazelcastMembership(async () => nodes.map, timing);
    await membership.join(node);
    expect(nodes.calls()).to.equal(3);
    expect(JSON.parse(nodes.entries.get(node.name)!)).to.include({ name: node.name, apiPort: 4001 });
    membership.close();
  });

  it('gives up at once when the store is closed meanwhile', async () => {
    const nodes = flakyNodesMap(Number.POSITIVE_INFINITY);
    const membership = new HazelcastMembership(async () => nodes.map, timing);
    const joining = membership.join(node);
    membership.close();
    let error: unknown;
    await joining.catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(Error);
    expect(nodes.calls()).to.be.at.most(2);
  });
});
