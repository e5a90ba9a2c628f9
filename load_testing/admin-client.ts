// The few admin API calls the load tools make: log in, replace the domain model, probe a
// route. Errors say what failed and never include the password or the token.
import type { DomainModel } from '../domain/routing/entities.js';
import { errorText } from '../domain/errors.js';

export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/** The useful part of a fetch failure ("fetch failed" hides it in `cause`). */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? errorText(error);
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; text: string }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new AdminApiError(`${init.method ?? 'GET'} ${url} failed: ${causeOf(error)}`);
  }
  return { status: res.status, text: await res.text() };
}

function answerMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof body.message === 'string') return body.message;
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}

export async function login(admin: string, email: string, password: string): Promise<string> {
  const { status, text } = await call(
    `${admin}/api/v1/sessions`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) },
    10_000,
  );
  if (status !== 200) throw new AdminApiError(`login as ${email} at ${admin} failed: ${status} ${answerMessage(text)}`, status);
  const token = (JSON.parse(text) as { token?: unknown }).token;
  if (typeof token !== 'string') throw new AdminApiError(`login at ${admin}: the answer has no token`);
  return token;
}

/** A token from `--token`, else from ADMIN_EMAIL/ADMIN_PASSWORD. */
export async function adminToken(admin: string, token: string | undefined, env: Record<string, string | undefined>): Promise<string> {
  if (token !== undefined) return token;
  const email = env.ADMIN_EMAIL;
  const password = env.ADMIN_PASSWORD;
  if (email === undefined || password === undefined || email === '' || password === '') {
    throw new AdminApiError(
      'uploading the fixture needs --token or ADMIN_EMAIL and ADMIN_PASSWORD in the environment (or pass --no-fixture)',
    );
  }
  return login(admin, email, password);
}

/** PUT /api/v1/domain; resolves with the counts the node reports. */
export async function putDomain(admin: string, token: string, model: DomainModel, timeoutMs = 300_000): Promise<Record<string, number>> {
  const { status, text } = await call(
    `${admin}/api/v1/domain`,
    { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(model) },
    timeoutMs,
  );
  if (status === 404)
    throw new AdminApiError(`PUT /api/v1/domain is not available at ${admin} (404): the admin domain routes are missing`, 404);
  if (status !== 200) throw new AdminApiError(`PUT /api/v1/domain at ${admin} failed: ${status} ${answerMessage(text)}`, status);
  const counts = (JSON.parse(text) as { counts?: Record<string, number> }).counts;
  return counts ?? {};
}

/** Status of one request (no redirect following). */
export async function probe(url: string, init: RequestInit = {}): Promise<{ status: number; text: string; location?: string }> {
  const res = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const location = res.headers.get('location');
  return { status: res.status, text, ...(location !== null ? { location } : {}) };
}

/**
 * Is `method path` in the admin API's OpenAPI document? (Asked there rather than by calling
 * the route, which for POSTs like /cluster/rejoin would start the operation.)
 */
export async function routeExists(admin: string, method: string, path: string): Promise<boolean> {
  const answer = await probe(`${admin}/api/v1/openapi.json`);
  if (answer.status !== 200) throw new AdminApiError(`GET /api/v1/openapi.json at ${admin} failed: ${answer.status}`, answer.status);
  const doc = JSON.parse(answer.text) as { paths?: Record<string, Record<string, unknown>> };
  return doc.paths?.[path]?.[method.toLowerCase()] !== undefined;
}
