// Writes a room's batch of text frames to one member socket with the least per-socket work
// (docs/decisions.md, "Chat: wire bytes built once per batch"). The frames array a room batch
// hands out is shared by every member with the same join_ref, so its WebSocket wire bytes
// (header + UTF-8 payload of every frame, one buffer) are built once per array, not once per
// member, and each member gets one `write` of that buffer on its TCP socket.
//
// Relies on two `ws` internals, checked by test/chat/frame-writer.test.ts against a real
// phoenix client: the net.Socket is `_socket`, and without a negotiated extension (the server
// does not enable permessage-deflate) ws's Sender writes every frame to it synchronously, so a
// direct write keeps the order of frames sent through `ws.send`. With an extension, or a socket
// that is not open, it falls back to `ws.send` per frame.
import type { WebSocket } from 'ws';

const OPCODE_TEXT_FIN = 0x81;

interface RawSocket {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
}

/** How often wire bytes were built and written (for tests). */
export const frameWriterCounters = { wireBuilds: 0, directWrites: 0, fallbackWrites: 0 };

const wireOfFrames = new WeakMap<readonly string[], Buffer>();

/** One unmasked, unfragmented server text frame (RFC 6455 section 5.2). */
function frameHeader(payloadBytes: number): Buffer {
  if (payloadBytes < 126) return Buffer.from([OPCODE_TEXT_FIN, payloadBytes]);
  if (payloadBytes < 65_536) {
    const header = Buffer.allocUnsafe(4);
    header[0] = OPCODE_TEXT_FIN;
    header[1] = 126;
    header.writeUInt16BE(payloadBytes, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = OPCODE_TEXT_FIN;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(payloadBytes), 2);
  return header;
}

/** The frames as WebSocket wire bytes, built once per frames array. */
export function wireBytes(texts: readonly string[]): Buffer {
  let wire = wireOfFrames.get(texts);
  if (wire === undefined) {
    frameWriterCounters.wireBuilds += 1;
    const parts: Buffer[] = [];
    for (const text of texts) {
      const payload = Buffer.from(text, 'utf8');
      parts.push(frameHeader(payload.byteLength), payload);
    }
    wire = Buffer.concat(parts);
    wireOfFrames.set(texts, wire);
  }
  return wire;
}

function rawSocketOf(socket: WebSocket): RawSocket | undefined {
  return (socket as unknown as { _socket?: RawSocket })._socket;
}

/**
 * A writer of frame batches to one socket, with one TCP write per batch when ws allows it. The
 * extensions are negotiated in the handshake and never change, so they are checked once.
 */
export function frameBatchWriter(socket: WebSocket): (texts: readonly string[]) => void {
  const raw = rawSocketOf(socket);
  const direct = socket.extensions === '' && raw !== undefined;
  return (texts) => {
    if (direct && socket.readyState === socket.OPEN) {
      frameWriterCounters.directWrites += 1;
      raw.write(wireBytes(texts));
      return;
    }
    frameWriterCounters.fallbackWrites += 1;
    raw?.cork();
    try {
      for (const text of texts) socket.send(text);
    } finally {
      raw?.uncork();
    }
  };
}
