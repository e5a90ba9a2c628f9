// One health probe: GET the server's health-check URL; healthy iff status 200 and the body is
// exactly "OK" (a trailing \n or \r\n allowed). Never throws: failures come back as a reason.
// The reason never quotes the answer, and link-local/metadata addresses are refused unless
// allowed (docs/security.md, "Health checks"): the probe resolves the name itself and
// connects to the address it checked, so a DNS answer cannot change between check and use.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Server } from '../../../domain/routing/entities.js';
import { url } from '../url.js';
import { isLinkLocalOrMetadata, RefusedTargetError, systemLookup, type ProbeLookup } from './probe-target.js';

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
  /** HEALTHCHECK_ALLOW_LINK_LOCAL: let probes reach link-local and metadata addresses. */
  allowLinkLocal?: boolean;
  /** Name resolution (tests stand in their own); default: the system resolver. */
  lookup?: ProbeLookup;
}

const HEALTHY_BODIES = new Set(['OK', 'OK\n', 'OK\r\n']);
/** Longer than any healthy body: stop reading there (a probe must not download a page). */
const MAX_BODY_BYTES = 16;

export function probeUrl(server: Pick<Server, 'domainName' | 'port' | 'healthcheckPath'>): string {
  return url(server.domainName, server.port, server.healthcheckPath ?? '/');
}

/** The first MAX_BODY_BYTES + 1 bytes at most (more means "not OK" anyway). */
function readBodyPrefix(response: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        response.destroy();
        resolve(undefined);
      }
    });
    response.once('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    response.once('error', reject);
  });
}

function guardedLookup(resolve: ProbeLookup, allowLinkLocal: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = allowLinkLocal ? undefined : addresses.find((a) => isLinkLocalOrMetadata(a.address));
        if (refused !== undefined) return callback(new RefusedTargetError(refused.address), '', 0);
        const first = addresses[0];
        if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all === true) return (callback as (err: null, all: ResolvedAll) => void)(null, addresses);
        return callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}

type ResolvedAll = Array<{ address: string; family: number }>;

function get(target: URL, options: RequestOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, options, resolve);
    request.once('error', reject);
    request.end();
  });
}

function describeError(error: unknown): string {
  if (error instanceof RefusedTargetError) return error.message;
  const err = error as { code?: unknown; message?: unknown };
  if (typeof err.code === 'string') return `connection failed: ${err.code}`;
  return `request failed: ${typeof err.message === 'string' ? err.message : String(error)}`;
}

export async function probe(target: string, opts: ProbeOptions): Promise<ProbeResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    const parsed = new URL(target);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    // A literal address is connected to without a lookup: check it here.
    if (isIP(host) !== 0 && opts.allowLinkLocal !== true && isLinkLocalOrMetadata(host)) throw new RefusedTargetError(host);
    const response = await get(parsed, {
      method: 'GET',
      signal,
      agent: false,
      lookup: guardedLookup(opts.lookup ?? systemLookup, opts.allowLinkLocal === true),
      headers: { 'user-agent': opts.userAgent, accept: 'text/plain' },
    });
    if (response.statusCode !== 200) {
      response.destroy();
      return { healthy: false, reason: `status ${response.statusCode ?? 'missing'}` };
    }
    const body = await readBodyPrefix(response);
    if (body === undefined) return { healthy: false, reason: 'body is not OK: longer than OK' };
    if (!HEALTHY_BODIES.has(body)) return { healthy: false, reason: 'body is not OK' };
    return { healthy: true, reason: 'ok' };
  } catch (error) {
    if (opts.signal?.aborted) return { healthy: false, reason: 'aborted' };
    if (timeout.aborted) return { healthy: false, reason: `timeout after ${opts.timeoutMs} ms` };
    return { healthy: false, reason: describeError(error) };
  }
}
