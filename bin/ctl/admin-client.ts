// The one client of a node's admin API, for ctl and the load tools: logs in
// (ADMIN_EMAIL/ADMIN_PASSWORD) or uses a given token, and turns every failure into one sentence
// an operator can act on (never with the password or the token in it).
import type { DomainModel } from '../../domain/routing/entities.js';
import { CtlError, UsageError } from './cli.js';

export type Credentials = { token: string } | { email: string; password: string };

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

const REQUEST_TIMEOUT_MS = 10_000;
/** A login runs scrypt at N = 2^17 (docs/security.md): seconds on a loaded node. */
const LOGIN_TIMEOUT_MS = 30_000;

/** The node answered with an error status. */
export class ApiError extends CtlError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Checks `--node`: an http(s) URL of a node's admin port; returns it without a trailing slash. */
export function parseNodeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--node must be a URL like http://127.0.0.1:4000, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--node must be an http:// or https:// URL, got "${raw}"`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** --token wins; else ADMIN_EMAIL + ADMIN_PASSWORD; else undefined. */
export function credentialsFrom(token: string | undefined, env: Record<string, string | undefined>): Credentials | undefined {
  if (token !== undefined) {
    if (token.trim() === '') throw new UsageError('--token must not be empty');
    return { token: token.trim() };
  }
  const email = env.ADMIN_EMAIL?.trim();
  const password = env.ADMIN_PASSWORD;
  if (email && password) return { email, password };
  return undefined;
}

function errorMessage(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return undefined;
}

export class AdminClient {
  private knownToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials,
  ) {
    if ('token' in credentials) this.knownToken = credentials.token;
  }

  /** Calls the API (logging in first when needed); answers other than 2xx become CtlError. */
  async call(method: Method, path: string, body?: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<ApiAnswer> {
    const token = await this.token();
    const answer = await this.send(method, path, body, token, timeoutMs);
    if (answer.status >= 200 && answer.status < 300) return answer;
    throw new ApiError(answer.status, this.explain(method, path, answer));
  }

  /**
   * Is `method path` in the node's OpenAPI document? (Asked there rather than by calling the
   * route, which for POSTs like /cluster/rejoin would start the operation.)
   */
  async offers(method: Method, path: string): Promise<boolean> {
    const answer = await this.send('GET', '/api/v1/openapi.json', undefined, await this.token());
    if (answer.status !== 200) throw new ApiError(answer.status, this.explain('GET', '/api/v1/openapi.json', answer));
    const doc = answer.body as { paths?: Record<string, Record<string, unknown>> };
    return doc.paths?.[path]?.[method.toLowerCase()] !== undefined;
  }

  /** The bearer token: the given one, or one from logging in (once). */
  async token(): Promise<string> {
    if (this.knownToken !== undefined) return this.knownToken;
    const { email, password } = this.credentials as { email: string; password: string };
    const answer = await this.send('POST', '/api/v1/sessions', { email, password }, undefined, LOGIN_TIMEOUT_MS);
    if (answer.status === 401) throw new CtlError(`login as ${email} refused: check ADMIN_EMAIL and ADMIN_PASSWORD`);
    if (answer.status === 429) throw new CtlError(`login as ${email}: too many failed logins, try again later`);
    if (answer.status !== 200) throw new CtlError(`login as ${email} failed: ${this.explain('POST', '/api/v1/sessions', answer)}`);
    const token = (answer.body as { token?: unknown }).token;
    if (typeof token !== 'string') throw new CtlError(`login as ${email}: the node answered without a token`);
    this.knownToken = token;
    return token;
  }

  private async send(method: Method, path: string, body: unknown, token?: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<ApiAnswer> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      // "fetch failed" hides the reason in `cause` (an AggregateError when both IPv6 and IPv4 were refused).
      const cause = (err as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
      const code = cause?.code ?? cause?.errors?.[0]?.code;
      const why =
        code === 'ECONNREFUSED'
          ? 'connection refused (is the node running, and is this its admin PORT?)'
          : (err as Error).name === 'TimeoutError'
            ? `no answer within ${timeoutMs / 1000}s`
            : cause?.message || code || (err as Error).message;
      throw new CtlError(`cannot reach the node at ${this.baseUrl}: ${why}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  }

  private explain(method: string, path: string, answer: ApiAnswer): string {
    const detail = errorMessage(answer.body);
    const what = `${method} ${path}`;
    switch (answer.status) {
      case 401:
        return `${what}: the token was refused (expired, or signed with another SECRET_KEY_BASE)`;
      case 403:
        return `${what}: not allowed for this user${detail ? ` (${detail})` : ''}`;
      case 404:
        return `${what}: the node at ${this.baseUrl} does not offer this (404)`;
      default:
        return `${what}: ${answer.status}${detail ? ` ${detail}` : ''}`;
    }
  }
}

/** PUT /api/v1/domain (replaces the whole model); resolves with the counts the node reports. */
export async function putDomain(client: AdminClient, model: DomainModel, timeoutMs = 300_000): Promise<Record<string, number>> {
  const answer = await client.call('PUT', '/api/v1/domain', model, timeoutMs);
  return (answer.body as { counts?: Record<string, number> }).counts ?? {};
}
