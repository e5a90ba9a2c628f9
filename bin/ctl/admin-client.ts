// A small client of a node's admin API for ctl: logs in (ADMIN_EMAIL/ADMIN_PASSWORD) or uses
// a given token, and turns every failure into one sentence an operator can act on.
import { CtlError, UsageError } from './cli.js';

export type Credentials = { token: string } | { email: string; password: string };

export interface ApiAnswer {
  status: number;
  body: unknown;
}

const REQUEST_TIMEOUT_MS = 10_000;

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
  private token: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials,
  ) {
    if ('token' in credentials) this.token = credentials.token;
  }

  /** Calls the API (logging in first when needed); answers other than 2xx become CtlError. */
  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer> {
    const token = await this.ensureToken();
    const answer = await this.send(method, path, body, token);
    if (answer.status >= 200 && answer.status < 300) return answer;
    throw new ApiError(answer.status, this.explain(method, path, answer));
  }

  private async ensureToken(): Promise<string> {
    if (this.token !== undefined) return this.token;
    const { email, password } = this.credentials as { email: string; password: string };
    const answer = await this.send('POST', '/api/v1/sessions', { email, password });
    if (answer.status === 401) throw new CtlError(`login as ${email} refused: check ADMIN_EMAIL and ADMIN_PASSWORD`);
    if (answer.status === 429) throw new CtlError(`login as ${email}: too many failed logins, try again later`);
    if (answer.status !== 200) throw new CtlError(`login as ${email} failed: ${this.explain('POST', '/api/v1/sessions', answer)}`);
    const token = (answer.body as { token?: unknown }).token;
    if (typeof token !== 'string') throw new CtlError(`login as ${email}: the node answered without a token`);
    this.token = token;
    return token;
  }

  private async send(method: string, path: string, body: unknown, token?: string): Promise<ApiAnswer> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why =
        cause?.code === 'ECONNREFUSED'
          ? 'connection refused (is the node running, and is this its admin PORT?)'
          : (err as Error).name === 'TimeoutError'
            ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`
            : (cause?.message ?? (err as Error).message);
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
