// The console's chat page stream (docs/console.md "Chat"): every room with its members,
// connections and message rate. A room's last message id is its message count (ids are
// per-room sequence numbers), so the rate is the growth of that count over the readings of
// the last minute that this stream kept.
import { parseMessageId, type RoomSummary } from '../../../actors/chat/index.js';

/** How far back a stream's readings go for the rate. */
export const CHAT_RATE_WINDOW_MS = 60_000;

export interface RoomWithRate extends RoomSummary {
  /** Messages per minute over the readings of the last minute; absent after the first reading. */
  messagesPerMinute?: number;
}

interface Reading {
  at: number;
  seqs: Map<string, number>;
}

const seqOf = (room: RoomSummary): number => parseMessageId(room.lastMessageId) ?? 0;

/** A fresh producer per open stream (it keeps that stream's readings). */
export function chatRatesProducer(
  rooms: () => Promise<RoomSummary[]>,
  now: () => number = Date.now,
): () => Promise<{ rooms: RoomWithRate[] }> {
  const readings: Reading[] = [];
  return async () => {
    const current = await rooms();
    const at = now();
    while (readings.length > 0 && at - readings[0]!.at > CHAT_RATE_WINDOW_MS) readings.shift();
    const oldest = readings[0];
    readings.push({ at, seqs: new Map(current.map((room) => [room.name, seqOf(room)])) });
    const minutes = oldest === undefined ? 0 : (at - oldest.at) / 60_000;
    return {
      rooms: current.map((room) => {
        if (oldest === undefined || minutes <= 0) return room;
        const growth = seqOf(room) - (oldest.seqs.get(room.name) ?? 0);
        return { ...room, messagesPerMinute: Math.round((Math.max(0, growth) / minutes) * 10) / 10 };
      }),
    };
  };
}
