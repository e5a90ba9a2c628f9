// The Phoenix Channels v2 JSON wire format: every frame is `[join_ref, ref, topic, event, payload]`.
// Replies carry the push's join_ref and ref; broadcasts carry the subscription's join_ref and a
// null ref; phx_close/phx_error carry the join_ref in both places (as Phoenix does).

export const PHX_JOIN = 'phx_join';
export const PHX_LEAVE = 'phx_leave';
export const PHX_REPLY = 'phx_reply';
export const PHX_CLOSE = 'phx_close';
export const PHX_ERROR = 'phx_error';
export const HEARTBEAT = 'heartbeat';
export const PHOENIX_TOPIC = 'phoenix';
export const PROTOCOL_VSN = '2.0.0';

/** WebSocket close codes we use. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;

/** Refs and topics longer than this are not what a phoenix client sends. */
const MAX_REF_LENGTH = 64;
const MAX_TOPIC_LENGTH = 200;
const MAX_EVENT_LENGTH = 100;

export type Payload = Record<string, unknown>;

export interface Frame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Payload;
}

export type ParseResult = { ok: true; frame: Frame } | { ok: false; reason: string };

export type ReplyStatus = 'ok' | 'error';

function isPlainObject(value: unknown): value is Payload {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkRef(value: unknown, name: string): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'string') return `${name} must be a string or null`;
  if (value.length === 0 || value.length > MAX_REF_LENGTH) return `${name} must be 1..${MAX_REF_LENGTH} characters`;
  return undefined;
}

/** Validates a decoded frame's shape strictly. */
export function parseFrameValue(value: unknown): ParseResult {
  if (!Array.isArray(value)) return { ok: false, reason: 'frame must be a JSON array' };
  if (value.length !== 5) return { ok: false, reason: `frame must have 5 elements, got ${value.length}` };
  const [joinRef, ref, topic, event, payload] = value as unknown[];
  const refProblem = checkRef(joinRef, 'join_ref') ?? checkRef(ref, 'ref');
  if (refProblem !== undefined) return { ok: false, reason: refProblem };
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) {
    return { ok: false, reason: `topic must be a string of 1..${MAX_TOPIC_LENGTH} characters` };
  }
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_LENGTH) {
    return { ok: false, reason: `event must be a string of 1..${MAX_EVENT_LENGTH} characters` };
  }
  if (!isPlainObject(payload)) return { ok: false, reason: 'payload must be a JSON object' };
  return {
    ok: true,
    frame: { joinRef: joinRef as string | null, ref: ref as string | null, topic, event, payload },
  };
}

/** Parses a text frame. */
export function parseFrame(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not valid JSON' };
  }
  return parseFrameValue(value);
}

export function encodeFrame(frame: Frame): string {
  return JSON.stringify([frame.joinRef, frame.ref, frame.topic, frame.event, frame.payload]);
}

/** `phx_reply` to a push: same join_ref, ref and topic. */
export function encodeReply(push: Pick<Frame, 'joinRef' | 'ref' | 'topic'>, status: ReplyStatus, response: Payload = {}): string {
  return JSON.stringify([push.joinRef, push.ref, push.topic, PHX_REPLY, { status, response }]);
}

/** A server push on a joined topic. */
export function encodeBroadcast(joinRef: string | null, topic: string, event: string, payload: Payload): string {
  return JSON.stringify([joinRef, null, topic, event, payload]);
}

/** Same as encodeBroadcast with a payload already serialized (shared by many members). */
export function encodeBroadcastJson(joinRef: string | null, topic: string, event: string, payloadJson: string): string {
  return `[${JSON.stringify(joinRef)},null,${JSON.stringify(topic)},${JSON.stringify(event)},${payloadJson}]`;
}

/** `phx_close` (the channel ended normally, e.g. after a leave) or `phx_error` (it failed). */
export function encodeChannelEnd(joinRef: string, topic: string, event: typeof PHX_CLOSE | typeof PHX_ERROR): string {
  return JSON.stringify([joinRef, joinRef, topic, event, {}]);
}
