// Phoenix Channels v2 frames as the load clients speak them (see docs/chat.md), and the
// message bodies they send: `m:<sender>:<seq>:<scheduled ms>`, so a receiver knows who sent
// what and when it was due without any shared state. Pure.

export type PhoenixFrame = [joinRef: string | null, ref: string | null, topic: string, event: string, payload: Record<string, unknown>];

/** `ws://host:port/socket/websocket?vsn=2.0.0` from an http(s) or ws(s) base URL (a token goes in tokenProtocols). */
export function socketUrl(base: string): string {
  const url = new URL(base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`not an http(s) or ws(s) URL: ${base}`);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/socket/websocket`;
  url.search = '';
  url.searchParams.set('vsn', '2.0.0');
  return url.toString();
}

/** The WebSocket subprotocols that carry a token as the phoenix client's `authToken` does (never the URL). */
export function tokenProtocols(token: string | undefined): string[] {
  return token === undefined ? [] : ['phoenix', `base64url.bearer.phx.${Buffer.from(token).toString('base64url')}`];
}

export function encodeFrame(frame: PhoenixFrame): string {
  return JSON.stringify(frame);
}

/** The frame, or undefined for anything that is not a v2 frame. */
export function parseFrame(text: string): PhoenixFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 5) return undefined;
  const [joinRef, ref, topic, event, payload] = value as unknown[];
  const refOk = (r: unknown): r is string | null => r === null || typeof r === 'string';
  if (!refOk(joinRef) || !refOk(ref) || typeof topic !== 'string' || typeof event !== 'string') return undefined;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  return [joinRef, ref, topic, event, payload as Record<string, unknown>];
}

export function joinFrame(joinRef: string, topic: string, user: string): PhoenixFrame {
  return [joinRef, joinRef, topic, 'phx_join', { user }];
}

export function pushFrame(joinRef: string, ref: string, topic: string, body: string): PhoenixFrame {
  return [joinRef, ref, topic, 'new_msg', { body }];
}

export function heartbeatFrame(ref: string): PhoenixFrame {
  return [null, ref, 'phoenix', 'heartbeat', {}];
}

/** `status` and `response` of a phx_reply payload. */
export function replyOf(frame: PhoenixFrame): { status: string; response: Record<string, unknown> } | undefined {
  if (frame[3] !== 'phx_reply') return undefined;
  const { status, response } = frame[4];
  if (typeof status !== 'string') return undefined;
  return { status, response: typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {} };
}

export interface MessageStamp {
  sender: number;
  seq: number;
  /** When the message was due to be sent (performance.now() of the load process). */
  scheduledAt: number;
}

export function messageBody(stamp: MessageStamp): string {
  return `m:${stamp.sender}:${stamp.seq}:${stamp.scheduledAt.toFixed(3)}`;
}

export function parseMessageBody(body: unknown): MessageStamp | undefined {
  if (typeof body !== 'string') return undefined;
  const match = /^m:(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(body);
  if (match === null) return undefined;
  return { sender: Number(match[1]), seq: Number(match[2]), scheduledAt: Number(match[3]) };
}

/** The room of socket `index` when sockets are dealt round robin over `rooms` rooms. */
export function roomOf(index: number, rooms: number, prefix: string): string {
  return `${prefix}${index % rooms}`;
}
