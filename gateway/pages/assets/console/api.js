// The console's session and its one door to the admin API. The bearer token lives only in
// this module's memory (never in localStorage or a cookie): a reload means logging in again,
// and an answer 401 ends the session with a message instead of leaving a broken screen.

/** @typedef {{ id: string, email: string, role: 'ADMIN' | 'MANAGER', name?: string }} User */
/** @typedef {{ path: string, message: string }} ErrorDetail */

/** @type {{ token: string, user: User } | null} */
let session = null;
/** @type {Set<(user: User | null, message: string) => void>} */
const listeners = new Set();

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ error?: string, message?: string, details?: ErrorDetail[] } | undefined} body
   */
  constructor(status, body) {
    super(body?.message ?? `The server answered ${status}.`);
    this.status = status;
    /** @type {ErrorDetail[]} */
    this.details = Array.isArray(body?.details) ? body.details : [];
  }
}

/** @returns {User | null} */
export function currentUser() {
  return session?.user ?? null;
}

export const isAdmin = () => currentUser()?.role === 'ADMIN';

/** @param {(user: User | null, message: string) => void} listener */
export function onSessionChange(listener) {
  listeners.add(listener);
}

function setSession(next, message) {
  session = next;
  for (const listener of listeners) listener(currentUser(), message);
}

/** Ends the session (logout or expiry); `message` is shown on the login form. */
export function endSession(message = 'You are logged out.') {
  setSession(null, message);
}

/**
 * One call of the API with a body already encoded (or none).
 * @param {string} method
 * @param {string} path
 * @param {{ body?: BodyInit, contentType?: string }} [send]
 */
async function call(method, path, send = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (session !== null) headers.authorization = `Bearer ${session.token}`;
  if (send.contentType !== undefined) headers['content-type'] = send.contentType;
  const response = await fetch(path, { method, headers, ...(send.body !== undefined ? { body: send.body } : {}) });
  const text = await response.text();
  let parsed;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.status === 401 && session !== null) endSession('Your session expired; log in again.');
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON
 */
export function api(method, path, body) {
  return call(method, path, body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' });
}

/**
 * A call whose body is not JSON (an EPG document, say).
 * @param {string} method
 * @param {string} path
 * @param {BodyInit} body
 * @param {string} contentType
 */
export function apiSend(method, path, body, contentType) {
  return call(method, path, { body, contentType });
}

/** @param {string} email @param {string} password */
export async function login(email, password) {
  const answer = await api('POST', '/api/v1/sessions', { email, password });
  setSession({ token: answer.token, user: answer.user }, '');
}

/**
 * Follows a server-sent event stream of the API (fetch, so the token goes in a header).
 * Calls `onSnapshot(data)` for each `snapshot` event and `onTrouble(message)` for each
 * `unavailable` event or a lost stream. Returns the function that stops it.
 * @param {string} path
 * @param {(data: any) => void} onSnapshot
 * @param {(message: string) => void} onTrouble
 */
export function stream(path, onSnapshot, onTrouble) {
  const controller = new AbortController();
  const run = async () => {
    const headers = { accept: 'text/event-stream', authorization: `Bearer ${session?.token ?? ''}` };
    const response = await fetch(path, { headers, signal: controller.signal });
    if (!response.ok || response.body === null) {
      if (response.status === 401) endSession('Your session expired; log in again.');
      throw new ApiError(response.status, await response.json().catch(() => undefined));
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === undefined || data === undefined) continue;
        if (event === 'snapshot') onSnapshot(JSON.parse(data));
        else if (event === 'unavailable') onTrouble(JSON.parse(data).message);
      }
    }
  };
  run().catch((error) => {
    if (!controller.signal.aborted) onTrouble(error instanceof Error ? error.message : String(error));
  });
  return () => controller.abort();
}

/**
 * For loads that overlap when the user changes a choice while one is under way: only the
 * latest call's outcome counts. An earlier call resolves to undefined (and never throws), so
 * its late answer cannot replace what is now chosen.
 * @returns {<T>(work: () => Promise<T>) => Promise<{ value: T } | undefined>}
 */
export function latestOnly() {
  let latest = 0;
  return async (work) => {
    const call = ++latest;
    try {
      const value = await work();
      return call === latest ? { value } : undefined;
    } catch (error) {
      if (call === latest) throw error;
      return undefined;
    }
  };
}
