// Validation of what clients send: room names, user names, message bodies.

export const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const ROOM_TOPIC_PREFIX = 'room:';
export const MAX_USER_CHARS = 32;
export const MAX_BODY_CHARS = 4000;

// Control characters and lone surrogates are not printable; format characters (e.g. the
// zero-width joiner inside emoji) are allowed.
const NOT_PRINTABLE = /[\p{Cc}\p{Cs}]/u;

export function isRoomName(value: unknown): value is string {
  return typeof value === 'string' && ROOM_NAME.test(value);
}

/** The room of a `room:<name>` topic, or undefined for any other topic. */
export function roomOfTopic(topic: string): string | undefined {
  if (!topic.startsWith(ROOM_TOPIC_PREFIX)) return undefined;
  const room = topic.slice(ROOM_TOPIC_PREFIX.length);
  return isRoomName(room) ? room : undefined;
}

function charCount(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}

/** Undefined when valid, else why not. */
export function checkUserName(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'user must be a string';
  const length = charCount(value);
  if (length < 1 || length > MAX_USER_CHARS) return `user must be 1..${MAX_USER_CHARS} characters`;
  if (NOT_PRINTABLE.test(value) || value.trim() === '') return 'user must be printable characters';
  return undefined;
}

/** Undefined when valid, else why not. */
export function checkMessageBody(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'body must be a string';
  if (value.trim() === '') return 'body must not be empty';
  if (charCount(value) > MAX_BODY_CHARS) return `body must be at most ${MAX_BODY_CHARS} characters`;
  if (/\p{Cs}/u.test(value)) return 'body must be valid text';
  return undefined;
}

/** A user name taken from elsewhere (e.g. an auth token subject), cut to the allowed length. */
export function clampUserName(value: string): string {
  return [...value].slice(0, MAX_USER_CHARS).join('');
}
