// Presence left behind by nodes nobody saw die (no 'down' event ever came) is swept away.
import { expect } from 'chai';
import { PRESENCE_MAP } from '../../actors/chat/index.js';
import { absentPresenceNodes } from '../../actors/chat/registry.js';
import type { PresenceEntry } from '../../actors/chat/types.js';
import { LocalCluster } from '../../cluster/local/index.js';
import { MemoryChatStore } from './support/memory-store.js';
import { eventually, RecordingSink, startClusterNode, type ClusterNode } from './support/harness.js';

const entry = (node: string, user: string, ref: string): PresenceEntry => ({
  room: 'lobby',
  user,
  node,
  phx_ref: ref,
  online_at: '2024-01-01T00:00:00.000Z',
});

describe('chat presence sweep', () => {
  it('names the nodes with presence that are not cluster members, never this node', () => {
    const entries: Array<[string, { value: unknown }]> = [
      ['lobby/a/1', { value: entry('a', 'ann', '1') }],
      ['lobby/ghost/2', { value: entry('ghost', 'gus', '2') }],
      ['lobby/ghost/3', { value: entry('ghost', 'gil', '3') }],
      ['lobby/b/4', { value: entry('b', 'bob', '4') }],
      ['junk', { value: { nope: true } }],
    ];
    expect(absentPresenceNodes(entries, [{ name: 'a' }, { name: 'b' }], 'a')).to.deep.equal(['ghost']);
    expect(absentPresenceNodes(entries, [{ name: 'a' }], 'a')).to.deep.equal(['b', 'ghost']);
    // This node is not a member (not joined yet, or the store lost its data): trust nothing.
    expect(absentPresenceNodes(entries, [{ name: 'b' }], 'a')).to.equal(undefined);
  });

  describe('on a LocalCluster', () => {
    let hub: LocalCluster;
    let node: ClusterNode | undefined;

    afterEach(async () => {
      await node?.stop();
    });

    it('removes the entries of a node that died unseen and tells the members', async () => {
      hub = new LocalCluster({ heartbeatIntervalMs: 50, nodeDownAfterMs: 250 });
      const probe = hub.store();
      const presence = probe.map<PresenceEntry>(PRESENCE_MAP);
      await presence.set('lobby/ghost@old/r1', entry('ghost@old', 'gus', 'r1'), 1);

      node = await startClusterNode('node-a', hub, new MemoryChatStore(), { timing: { presenceSweepMs: 40 } });
      const sink = new RecordingSink();
      const joined = await node.api.join({ room: 'lobby', memberId: 'm1', user: 'ann', sink });
      expect(Object.keys(joined.presence).sort()).to.deep.equal(['ann', 'gus']);

      await eventually(() =>
        expect(sink.diffs()).to.deep.include({
          joins: {},
          leaves: { gus: { metas: [{ phx_ref: 'r1', online_at: '2024-01-01T00:00:00.000Z', node: 'ghost@old' }] } },
        }),
      );
      const left = (await presence.entries()).map(([, { value }]) => value.user);
      expect(left).to.deep.equal(['ann']);
      await probe.close();
    });
  });
});
