// Which node sequences a room: rendezvous (highest random weight) hashing over the live nodes,
// so every node computes the same owner from the same member list and a node leaving moves only
// its own rooms. The lease `ownerLease(room)` is what actually grants the right to sequence;
// the hash only says who should try first (docs/decisions.md, "Chat: one sequencer per room").

/** 32-bit FNV-1a, then a final avalanche so similar names spread evenly. */
function weight(node: string, room: string): number {
  let h = 0x811c9dc5;
  const key = `${node}\u0000${room}`;
  for (let i = 0; i < key.length; i += 1) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** The preferred owner of `room` among `nodes` (undefined when there is none). */
export function rendezvousOwner(room: string, nodes: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const node of nodes) {
    const w = weight(node, room);
    if (w > bestWeight || (w === bestWeight && best !== undefined && node < best)) {
      best = node;
      bestWeight = w;
    }
  }
  return best;
}

/** The cluster lease whose holder sequences the room. */
export function ownerLease(room: string): string {
  return `chat.room-owner.${room}`;
}
