// Chat history retention (CHAT_HISTORY_DAYS, docs/security.md "Chat"): deletes the stored
// messages older than a cutoff. Only the collection and the stored time field are used, so
// the message store's own layout (sequence numbers, buckets) does not matter here. `at` is
// an ISO-8601 UTC string, so string order is time order. FerretDB v1 does not push a range
// down: this scans the collection, which is fine for an hourly job.
import type { Db } from 'mongodb';
import { CHAT_MESSAGES_COLLECTION } from './chat-messages.js';

/** Deletes the messages stored before `cutoff`; resolves with how many went. */
export async function deleteChatMessagesBefore(db: Db, cutoff: Date): Promise<number> {
  const result = await db.collection(CHAT_MESSAGES_COLLECTION).deleteMany({ at: { $lt: cutoff.toISOString() } });
  return result.deletedCount;
}
