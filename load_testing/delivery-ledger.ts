// Who should have received which chat message, and who did. Senders and receivers are socket
// indexes; every member of a room (the sender too) must receive each acknowledged message of
// that room once. Pure bookkeeping, so the loss count is exact and testable.

class BitSet {
  private bytes = new Uint8Array(8);

  has(i: number): boolean {
    const byte = i >>> 3;
    return byte < this.bytes.length && (this.bytes[byte]! & (1 << (i & 7))) !== 0;
  }

  /** Sets bit i; false if it was set already. */
  add(i: number): boolean {
    const byte = i >>> 3;
    if (byte >= this.bytes.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    const mask = 1 << (i & 7);
    if ((this.bytes[byte]! & mask) !== 0) return false;
    this.bytes[byte]! |= mask;
    return true;
  }
}

interface SenderTrack {
  seen: BitSet;
  lastSeq: number;
}

export interface LedgerSummary {
  /** Acknowledged messages × members of their room. */
  expected: number;
  /** Distinct (receiver, message) pairs received, acknowledged or not. */
  received: number;
  /** Expected deliveries that did not arrive. */
  lost: number;
  duplicates: number;
  /** Arrivals with a lower seq than an earlier arrival from the same sender. */
  outOfOrder: number;
  /** Received but never acknowledged (the ack was lost or rejected). */
  unackedDelivered: number;
}

export class DeliveryLedger {
  private readonly roomOfSocket: number[];
  private readonly members = new Map<number, number[]>();
  private readonly acked: BitSet[] = [];
  private readonly inbox: Array<Map<number, SenderTrack>> = [];
  /** Highest seq sent per sender. */
  private readonly maxSeq = new Map<number, number>();
  private expectedCount = 0;
  private receivedCount = 0;
  private duplicates = 0;
  private outOfOrder = 0;

  /** `rooms[i]` is the room of socket i, or -1 when socket i is not a member of any room. */
  constructor(rooms: number[]) {
    this.roomOfSocket = [...rooms];
    rooms.forEach((room, socket) => {
      if (room < 0) return;
      const list = this.members.get(room) ?? [];
      list.push(socket);
      this.members.set(room, list);
    });
  }

  /** Members of the room of `socket`. */
  membersOf(socket: number): readonly number[] {
    return this.members.get(this.roomOfSocket[socket] ?? -1) ?? [];
  }

  /** The server acknowledged message `seq` of `sender`. */
  ack(sender: number, seq: number): void {
    const set = (this.acked[sender] ??= new BitSet());
    if (set.add(seq)) this.expectedCount += this.membersOf(sender).length;
  }

  /** `receiver` got message `seq` of `sender`; 'new' the first time, else 'duplicate'. */
  receive(receiver: number, sender: number, seq: number): 'new' | 'duplicate' {
    const inbox = (this.inbox[receiver] ??= new Map());
    let track = inbox.get(sender);
    if (track === undefined) {
      track = { seen: new BitSet(), lastSeq: -1 };
      inbox.set(sender, track);
    }
    if (!track.seen.add(seq)) {
      this.duplicates++;
      return 'duplicate';
    }
    if (seq < track.lastSeq) this.outOfOrder++;
    else track.lastSeq = seq;
    this.receivedCount++;
    return 'new';
  }

  get expected(): number {
    return this.expectedCount;
  }

  get received(): number {
    return this.receivedCount;
  }

  /** Walks every member × acknowledged message: O(messages × room size). */
  summary(): LedgerSummary {
    let lost = 0;
    let matched = 0;
    for (let receiver = 0; receiver < this.roomOfSocket.length; receiver++) {
      if ((this.roomOfSocket[receiver] ?? -1) < 0) continue;
      const inbox = this.inbox[receiver];
      for (const sender of this.membersOf(receiver)) {
        const acked = this.acked[sender];
        if (acked === undefined) continue;
        const seen = inbox?.get(sender)?.seen;
        const maxSeq = this.maxSeqOf(sender);
        for (let seq = 0; seq <= maxSeq; seq++) {
          if (!acked.has(seq)) continue;
          if (seen?.has(seq) === true) matched++;
          else lost++;
        }
      }
    }
    return {
      expected: this.expectedCount,
      received: this.receivedCount,
      lost,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      unackedDelivered: this.receivedCount - matched,
    };
  }

  /** Call for every message sent (acknowledged or not) so summary() knows how far to look. */
  sent(sender: number, seq: number): void {
    if (seq > (this.maxSeq.get(sender) ?? -1)) this.maxSeq.set(sender, seq);
  }

  private maxSeqOf(sender: number): number {
    return this.maxSeq.get(sender) ?? -1;
  }
}
