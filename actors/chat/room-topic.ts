/** The cluster topic a room's stored batches travel on (see push-wire.ts, RoomBatch). */
export function roomTopic(room: string): string {
  return `chat.room.${room}`;
}
