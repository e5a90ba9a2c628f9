// (protocol, encryption) → a small integer, so the routing view can keep a channel's or a
// programme's targets in a fixed 8-slot array instead of building string keys per request.
import { ENCRYPTIONS, PROTOCOLS, type Encryption, type Protocol } from '../../domain/routing/entities.js';

export const SLOT_COUNT = PROTOCOLS.length * ENCRYPTIONS.length;

export function contentSlot(protocol: Protocol, encryption: Encryption): number {
  return PROTOCOLS.indexOf(protocol) * ENCRYPTIONS.length + ENCRYPTIONS.indexOf(encryption);
}
