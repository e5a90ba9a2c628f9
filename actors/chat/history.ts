// The history a joining member gets: everything up to the room's delivery cut at the moment of
// the join (later messages reach it live), either the latest page or the catch-up after the
// last message it saw.
import { parseMessageId, toView } from './ids.js';
import type { ChatMessageStore } from './ports.js';
import type { ChatMessageView } from './types.js';

export const JOIN_HISTORY_LIMIT = 50;
export const RECOVERY_LIMIT = 500;

export interface JoinHistory {
  messages: ChatMessageView[];
  /** False when the client's last seen id is unknown or more was missed than returned. */
  recovered: boolean;
}

/**
 * @param cut the last sequence number the room actor delivered when the member joined.
 */
export async function loadJoinHistory(
  store: ChatMessageStore,
  room: string,
  cut: number,
  lastSeenId: string | undefined,
): Promise<JoinHistory> {
  const latestPage = async (recovered: boolean): Promise<JoinHistory> => ({
    messages: cut === 0 ? [] : (await store.before(room, cut + 1, JOIN_HISTORY_LIMIT)).map(toView),
    recovered,
  });
  if (lastSeenId === undefined) return latestPage(true);

  const seen = parseMessageId(lastSeenId);
  if (seen === undefined) return latestPage(false);
  if (seen >= cut) {
    if (seen === cut) return { messages: [], recovered: true };
    // Ahead of this node's cut: fine if the store knows it (this node lags behind the
    // client's previous node), unknown otherwise.
    if ((await store.lastSeq(room)) >= seen) return { messages: [], recovered: true };
    return latestPage(false);
  }
  const missed = cut - seen;
  if (missed > RECOVERY_LIMIT) {
    return { messages: (await store.before(room, cut + 1, RECOVERY_LIMIT)).map(toView), recovered: false };
  }
  const messages = await store.after(room, seen, missed);
  return { messages: messages.filter((m) => m.seq <= cut).map(toView), recovered: true };
}
