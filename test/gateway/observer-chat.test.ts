// The chat page's rates (docs/console.md "Chat"): a room's messages per minute from the growth
// of its last message id over the stream's readings of the last minute.
import { expect } from 'chai';
import type { RoomSummary } from '../../actors/chat/index.js';
import { chatRatesProducer } from '../../gateway/admin/routes/observer-chat.js';

const room = (name: string, last: number | null): RoomSummary => ({
  name,
  members: 1,
  connections: 1,
  lastMessageId: last === null ? null : String(last).padStart(12, '0'),
});

describe('console chat rates', () => {
  it('counts messages per minute over the last minute of readings, per room', async () => {
    let now = 0;
    let rooms: RoomSummary[] = [room('a', 10), room('b', null)];
    const next = chatRatesProducer(
      async () => rooms,
      () => now,
    );
    const first = await next();
    expect(first.rooms.map((r) => r.messagesPerMinute)).to.deep.equal([undefined, undefined]);

    now = 30_000;
    rooms = [room('a', 40), room('b', 2), room('c', 5)];
    const second = await next();
    // a: 30 messages in half a minute; b: 2; c is new (counted from 0).
    expect(second.rooms.map((r) => [r.name, r.messagesPerMinute])).to.deep.equal([
      ['a', 60],
      ['b', 4],
      ['c', 10],
    ]);

    // Readings older than a minute fall out of the window: from 30 s on, a grew by 20 in 40 s.
    now = 70_000;
    rooms = [room('a', 60), room('b', 2), room('c', 5)];
    const third = await next();
    expect(third.rooms.map((r) => r.messagesPerMinute)).to.deep.equal([30, 0, 0]);
  });
});
