// HTTP from tests to real nodes: whole answers with the body parsed when it is JSON, the
// readiness probe, and logging in.
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './node-env.js';

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

/** fetch, with the whole body read. */
export async function request(url: string, init: RequestInit = {}): Promise<HttpResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface HttpAnswer {
  status: number;
  /** Parsed JSON, else the text. */
  body: unknown;
}

/** A request that gives up after `timeoutMs` (5 s). */
export async function http(url: string, init: RequestInit = {}, timeoutMs = 5000): Promise<HttpAnswer> {
  const res = await request(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: res.json === undefined ? res.text : res.json };
}

/** `/ready` status, or undefined while the port does not answer. */
export async function readyStatus(base: string): Promise<HttpAnswer | undefined> {
  try {
    return await http(`${base}/ready`);
  } catch {
    return undefined;
  }
}

/** A session token from POST /api/v1/sessions (default: the test nodes' bootstrap admin). */
export async function login(base: string, email = ADMIN_EMAIL, password = ADMIN_PASSWORD): Promise<string> {
  // A login runs scrypt at N = 2^17 (docs/security.md): ~0.3 s idle, seconds on a loaded machine.
  const answer = await request(`${base}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    signal: AbortSignal.timeout(30_000),
  });
  if (answer.status !== 200) throw new Error(`login as ${email} failed: ${answer.status} ${answer.text}`);
  return (answer.json as { token: string }).token;
}
