// One health probe: GET the server's health-check URL; healthy iff status 200 and the body is
// exactly "OK" (a trailing \n or \r\n allowed). Never throws: failures come back as a reason.
import type { Server } from '../../../domain/routing/entities.js';
import { url } from '../url.js';

export interface ProbeResult {
  healthy: boolean;
  /** "ok", or why the probe failed ("status 503", "timeout after 2000 ms", ...). */
  reason: string;
}

export interface ProbeOptions {
  timeoutMs: number;
  /** Aborts the probe when the worker stops. */
  signal?: AbortSignal;
  userAgent: string;
}

const HEALTHY_BODIES = new Set(['OK', 'OK\n', 'OK\r\n']);
/** Longer than any healthy body: stop reading there (a probe must not download a page). */
const MAX_BODY_BYTES = 16;

export function probeUrl(server: Pick<Server, 'domainName' | 'port' | 'healthcheckPath'>): string {
  return url(server.domainName, server.port, server.healthcheckPath ?? '/');
}

async function readBodyPrefix(body: ReadableStream<Uint8Array> | null): Promise<string | undefined> {
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) return undefined;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('latin1');
}

function describeError(error: unknown): string {
  const err = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = err.cause?.code;
  if (typeof code === 'string') return `connection failed: ${code}`;
  const detail = typeof err.cause?.message === 'string' ? err.cause.message : err.message;
  return `request failed: ${typeof detail === 'string' ? detail : String(error)}`;
}

export async function probe(target: string, opts: ProbeOptions): Promise<ProbeResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    const response = await fetch(target, {
      method: 'GET',
      redirect: 'manual',
      signal,
      headers: { 'user-agent': opts.userAgent, accept: 'text/plain' },
    });
    if (response.status !== 200) {
      response.body?.cancel().catch(() => undefined);
      return { healthy: false, reason: `status ${response.status}` };
    }
    const body = await readBodyPrefix(response.body);
    if (body === undefined || !HEALTHY_BODIES.has(body)) {
      const shown = body === undefined ? 'longer than OK' : JSON.stringify(body.slice(0, MAX_BODY_BYTES));
      return { healthy: false, reason: `body is not OK: ${shown}` };
    }
    return { healthy: true, reason: 'ok' };
  } catch (error) {
    if (opts.signal?.aborted) return { healthy: false, reason: 'aborted' };
    if (timeout.aborted) return { healthy: false, reason: `timeout after ${opts.timeoutMs} ms` };
    return { healthy: false, reason: describeError(error) };
  }
}
