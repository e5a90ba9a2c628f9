// Reading a generation's snapshot on a serving node (actors/routing/snapshot.ts): the unsliced
// steps of a ~1 MB chunk (decode, hash, split) each get a turn of the event loop of their own,
// so redirects are answered between them (docs/routing.md, "A hot path that never waits").
import { expect } from 'chai';
import { LocalCluster } from '../../cluster/local/index.js';
import type { AnyEntity } from '../../domain/routing/entities.js';
import { readSnapshot, SnapshotWriter } from '../../actors/routing/snapshot.js';

describe('routing: reading a snapshot without holding the loop', () => {
  it('gives the loop a turn between the steps of every chunk', async () => {
    const store = new LocalCluster().store();
    const writer = new SnapshotWriter(store, 7);
    const records = Array.from({ length: 9_000 }, (_, i) => ({ id: `s${i}`, name: 'x'.repeat(400) }) as unknown as AnyEntity);
    await writer.add('subnets', records);
    const summary = await writer.finish();
    expect(summary.chunks).to.be.at.least(3);

    // A pause that never yields: only the reader's own yields give the loop a turn.
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const read: AnyEntity[] = [];
    await readSnapshot(
      store,
      7,
      summary,
      (_collection, chunk) => read.push(...chunk),
      () => Promise.resolve(),
    );
    counting = false;

    expect(read.map((r) => r.id)).to.deep.equal(records.map((r) => r.id));
    expect(turns).to.be.at.least(3 * summary.chunks);
  });
});
