import { expect } from 'chai';
import { ReorderBuffer } from '../../actors/chat/reorder.js';
import type { StoredChatMessage } from '../../actors/chat/types.js';

const msg = (seq: number): StoredChatMessage => ({ room: 'r', seq, user: 'u', body: `m${seq}`, at: 'now' });
const seqs = (messages: StoredChatMessage[]) => messages.map((m) => m.seq);

describe('chat reorder buffer', () => {
  it('delivers in order and holds messages behind a gap', () => {
    const buffer = new ReorderBuffer(0);
    expect(seqs(buffer.offer(msg(1)))).to.deep.equal([1]);
    expect(seqs(buffer.offer(msg(3)))).to.deep.equal([]);
    expect(buffer.hasGap()).to.equal(true);
    expect(seqs(buffer.offer(msg(4)))).to.deep.equal([]);
    expect(seqs(buffer.offer(msg(2)))).to.deep.equal([2, 3, 4]);
    expect(buffer.hasGap()).to.equal(false);
    expect(buffer.lastDelivered).to.equal(4);
  });

  it('drops duplicates and messages at or below the start', () => {
    const buffer = new ReorderBuffer(10);
    expect(buffer.offer(msg(9))).to.deep.equal([]);
    expect(buffer.offer(msg(10))).to.deep.equal([]);
    expect(seqs(buffer.offer(msg(11)))).to.deep.equal([11]);
    expect(buffer.offer(msg(11))).to.deep.equal([]);
    buffer.offer(msg(13));
    expect(buffer.offer(msg(13))).to.deep.equal([]);
    expect(buffer.pendingCount).to.equal(1);
  });

  it('skips a hole that will never be filled', () => {
    const buffer = new ReorderBuffer(1);
    buffer.offer(msg(4));
    buffer.offer(msg(5));
    buffer.offer(msg(7));
    expect(seqs(buffer.skipGap())).to.deep.equal([4, 5]);
    expect(buffer.hasGap()).to.equal(true);
    expect(seqs(buffer.skipGap())).to.deep.equal([7]);
    expect(buffer.skipGap()).to.deep.equal([]);
  });
});
