import { expect } from 'chai';
import { loadJoinHistory } from '../../actors/chat/history.js';
import { formatMessageId, parseMessageId } from '../../actors/chat/ids.js';
import { checkMessageBody, checkUserName, roomOfTopic } from '../../actors/chat/validation.js';
import { MemoryChatStore } from './support/memory-store.js';

async function storeWith(count: number): Promise<MemoryChatStore> {
  const store = new MemoryChatStore();
  for (let i = 1; i <= count; i += 1) await store.append({ room: 'r', user: 'u', body: `m${i}`, at: 'now' });
  return store;
}
const ids = (messages: Array<{ id: string }>) => messages.map((m) => parseMessageId(m.id));

describe('chat ids, validation and join history', () => {
  it('formats ids so string order is numeric order', () => {
    expect(formatMessageId(42)).to.equal('000000000042');
    expect(formatMessageId(9) < formatMessageId(10)).to.equal(true);
    expect(parseMessageId('000000000042')).to.equal(42);
    for (const bad of ['42', '00000000004a', '000000000000', 42, null]) expect(parseMessageId(bad)).to.equal(undefined);
    expect(() => formatMessageId(0)).to.throw(RangeError);
  });

  it('validates room topics, user names and bodies', () => {
    expect(roomOfTopic('room:lobby-1_x')).to.equal('lobby-1_x');
    for (const topic of ['room:', 'room:a b', 'room:a/b', 'rooms:a', `room:${'a'.repeat(65)}`]) {
      expect(roomOfTopic(topic)).to.equal(undefined);
    }
    expect(checkUserName('ann')).to.equal(undefined);
    expect(checkUserName('👩‍💻 dev')).to.equal(undefined);
    expect(checkUserName('a'.repeat(32))).to.equal(undefined);
    for (const bad of ['', ' ', 'a'.repeat(33), 'a\u0000b', 'tab\there', 7]) expect(checkUserName(bad)).to.be.a('string');
    expect(checkMessageBody('hello\nworld')).to.equal(undefined);
    expect(checkMessageBody('x'.repeat(4000))).to.equal(undefined);
    for (const bad of ['', '   ', 'x'.repeat(4001), 5, '\ud800']) expect(checkMessageBody(bad)).to.be.a('string');
  });

  it('gives the latest 50 up to the cut without last_seen_id', async () => {
    const store = await storeWith(80);
    const history = await loadJoinHistory(store, 'r', 70, undefined);
    expect(history.recovered).to.equal(true);
    expect(ids(history.messages)).to.deep.equal(Array.from({ length: 50 }, (_, i) => 21 + i));
  });

  it('recovers everything after last_seen_id up to the cut', async () => {
    const store = await storeWith(80);
    const history = await loadJoinHistory(store, 'r', 70, formatMessageId(60));
    expect(history.recovered).to.equal(true);
    expect(ids(history.messages)).to.deep.equal([61, 62, 63, 64, 65, 66, 67, 68, 69, 70]);
    expect(await loadJoinHistory(store, 'r', 70, formatMessageId(70))).to.deep.equal({ messages: [], recovered: true });
  });

  it('says not recovered when more than 500 were missed, returning the newest 500', async () => {
    const store = await storeWith(620);
    const history = await loadJoinHistory(store, 'r', 620, formatMessageId(100));
    expect(history.recovered).to.equal(false);
    expect(history.messages).to.have.length(500);
    expect(parseMessageId(history.messages[0]!.id)).to.equal(121);
    expect(parseMessageId(history.messages[499]!.id)).to.equal(620);
  });

  it('treats unknown ids as not recovered and sends the latest page', async () => {
    const store = await storeWith(10);
    const garbage = await loadJoinHistory(store, 'r', 10, 'nope');
    expect(garbage.recovered).to.equal(false);
    expect(ids(garbage.messages)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const future = await loadJoinHistory(store, 'r', 10, formatMessageId(99));
    expect(future.recovered).to.equal(false);
    expect(future.messages).to.have.length(10);
  });

  it('accepts an id ahead of this node when the store has it (node lagging)', async () => {
    const store = await storeWith(12);
    expect(await loadJoinHistory(store, 'r', 10, formatMessageId(12))).to.deep.equal({ messages: [], recovered: true });
  });
});
