// The two chat wire protocols the load clients speak, behind one shape so the same generator
// and ledger drive both: Beamstack's Phoenix v2 frames (docs/chat.md) and Centrifugo's JSON
// protocol (the peer of B4: `connect`, `subscribe`, `publish` commands, replies by `id`,
// publications as `push`, several replies per WebSocket message separated by newlines, and an
// empty `{}` ping that the client answers with `{}`). Pure.
import {
  encodeFrame,
  heartbeatFrame,
  joinFrame,
  parseFrame,
  pushFrame,
  replyOf,
  socketUrl as phoenixSocketUrl,
  tokenProtocols,
} from './phoenix-frames.js';

export type ChatProtocol = 'phoenix' | 'centrifugo';

/** What one incoming WebSocket message means to the load client. */
export type WireEvent =
  | { kind: 'reply'; ref: string; ok: boolean; reason: string }
  | { kind: 'message'; body: unknown }
  | { kind: 'channel-lost' }
  | { kind: 'ping' }
  | { kind: 'ignored' }
  | { kind: 'unparseable' };

export interface ChatWire {
  url(base: string): string;
  /** WebSocket subprotocols of the handshake (Beamstack takes the token there, never in the URL). */
  protocols(token: string | undefined): string[];
  /** Frames that join `room`; the join is done when the reply to `joinRef` is ok. */
  join(joinRef: string, room: string, user: string): string[];
  push(joinRef: string, ref: string, room: string, body: string): string;
  /** A client heartbeat, or undefined when the server pings instead. */
  heartbeat(ref: string): string | undefined;
  /** The answer to a server ping. */
  pong(): string | undefined;
  parse(text: string, room: string): WireEvent[];
}

const phoenixTopic = (room: string): string => `room:${room}`;

export const phoenixWire: ChatWire = {
  url: phoenixSocketUrl,
  protocols: tokenProtocols,
  join: (joinRef, room, user) => [encodeFrame(joinFrame(joinRef, phoenixTopic(room), user))],
  push: (joinRef, ref, room, body) => encodeFrame(pushFrame(joinRef, ref, phoenixTopic(room), body)),
  heartbeat: (ref) => encodeFrame(heartbeatFrame(ref)),
  pong: () => undefined,
  parse(text, room) {
    const frame = parseFrame(text);
    if (frame === undefined) return [{ kind: 'unparseable' }];
    const [, ref, topic, event, payload] = frame;
    if (event === 'new_msg' && ref === null) return [{ kind: 'message', body: payload.body }];
    if (event === 'phx_reply' && ref !== null) {
      const reply = replyOf(frame);
      return [{ kind: 'reply', ref, ok: reply?.status === 'ok', reason: String(reply?.response.reason ?? 'unknown') }];
    }
    if ((event === 'phx_error' || event === 'phx_close') && topic === phoenixTopic(room)) return [{ kind: 'channel-lost' }];
    return [{ kind: 'ignored' }];
  },
};

/** `ws://host:port/connection/websocket` from an http(s) or ws(s) base URL. */
function centrifugoUrl(base: string): string {
  const url = new URL(base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  url.pathname = '/connection/websocket';
  url.search = '';
  return url.toString();
}

/** Command ids are numbers in Centrifugo; the load client's refs are numeric strings. */
export const centrifugoWire: ChatWire = {
  url: (base) => centrifugoUrl(base),
  protocols: () => [],
  join: (joinRef, room, user) => [
    JSON.stringify({ id: 1_000_000_000, connect: { name: user } }),
    JSON.stringify({ id: Number(joinRef), subscribe: { channel: room } }),
  ],
  push: (_joinRef, ref, room, body) => JSON.stringify({ id: Number(ref), publish: { channel: room, data: { body } } }),
  heartbeat: () => undefined,
  pong: () => '{}',
  parse(text) {
    const events: WireEvent[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(line) as Record<string, unknown>;
      } catch {
        events.push({ kind: 'unparseable' });
        continue;
      }
      if (typeof value !== 'object' || value === null) {
        events.push({ kind: 'unparseable' });
        continue;
      }
      const push = value.push as { pub?: { data?: { body?: unknown } }; unsubscribe?: unknown; disconnect?: unknown } | undefined;
      if (push !== undefined) {
        if (push.pub !== undefined) events.push({ kind: 'message', body: push.pub.data?.body });
        else if (push.unsubscribe !== undefined || push.disconnect !== undefined) events.push({ kind: 'channel-lost' });
        else events.push({ kind: 'ignored' });
        continue;
      }
      if (typeof value.id === 'number') {
        if (value.id === 1_000_000_000) {
          // The connect reply: only an error matters (the subscribe reply decides the join).
          if (value.error !== undefined) events.push({ kind: 'channel-lost' });
          else events.push({ kind: 'ignored' });
          continue;
        }
        const error = value.error as { message?: unknown; code?: unknown } | undefined;
        events.push({
          kind: 'reply',
          ref: String(value.id),
          ok: error === undefined,
          reason: error === undefined ? '' : String(error.message ?? error.code ?? 'unknown'),
        });
        continue;
      }
      events.push(Object.keys(value).length === 0 ? { kind: 'ping' } : { kind: 'ignored' });
    }
    return events;
  },
};

export function wireOf(protocol: ChatProtocol | undefined): ChatWire {
  return protocol === 'centrifugo' ? centrifugoWire : phoenixWire;
}
