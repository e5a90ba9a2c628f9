// One delivery of stored messages to the members of a room on this node, Phoenix style: the
// payloads are encoded once for the batch, and the frames once per distinct (join_ref, topic)
// — many sockets share a join_ref, since clients number their joins the same way — so a room
// of N members costs one encode, a few frame builds and N socket writes (one per member).
import { toView } from './ids.js';
import type { ChatMessageView, StoredChatMessage } from './types.js';

export interface EncodedMessage {
  seq: number;
  payload: ChatMessageView;
  /** The payload as JSON. */
  json: string;
}

/** Builds the wire frame of one message for one subscription (the gateway's framing). */
export type FrameEncoder = (joinRef: string, topic: string, payloadJson: string) => string;

/** Counters for tests and diagnostics: how often payloads and frames were encoded. */
export const fanoutCounters = { payloadEncodes: 0, frameBuilds: 0 };

export class MessageBatch {
  readonly messages: EncodedMessage[];
  private readonly frames = new Map<string, string[]>();

  constructor(stored: StoredChatMessage[]) {
    fanoutCounters.payloadEncodes += 1;
    this.messages = stored.map((message) => {
      const payload = toView(message);
      return { seq: message.seq, payload, json: JSON.stringify(payload) };
    });
  }

  /** The frames of the whole batch for one subscription, built once per distinct join_ref and topic. */
  framesFor(joinRef: string, topic: string, encode: FrameEncoder): string[] {
    const key = `${joinRef}\u0000${topic}`;
    let frames = this.frames.get(key);
    if (frames === undefined) {
      fanoutCounters.frameBuilds += 1;
      frames = this.messages.map((message) => encode(joinRef, topic, message.json));
      this.frames.set(key, frames);
    }
    return frames;
  }
}
