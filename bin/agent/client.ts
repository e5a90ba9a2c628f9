// The agent's HTTP side: the zone's agent-config, and one file upload (PUT, streamed through
// the throttle, following one 307 to the zone's storage node). The token is only ever put in
// the Authorization header, never in a URL or a log line.
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Throttle } from './throttle.js';

export interface AgentConfig {
  name: string;
  fileType: string;
  fileNamePattern: string;
  uploadSpeedKbps: number;
}

export interface Answer {
  status: number;
  /** The parsed JSON body, or undefined. */
  body: unknown;
  location?: string;
}

/** A network failure, a timeout or a 5xx/507: worth retrying later. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** The server refused for good (401, 404, bad answer): the pass cannot go on. */
export class FatalError extends Error {
  override name = 'FatalError';
}

const MAX_BODY = 64 * 1024;

export function messageOf(answer: Answer): string {
  const body = answer.body as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : `HTTP ${answer.status}`;
}

function readAnswer(response: IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    response.on('error', reject);
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const location = response.headers.location;
      resolve({ status: response.statusCode ?? 0, body, ...(typeof location === 'string' ? { location } : {}) });
    });
  });
}

export function zonePath(zone: string, rest: string): string {
  return `/api/v1/video/zones/${encodeURIComponent(zone)}${rest}`;
}

export async function fetchAgentConfig(server: string, zone: string, token: string, timeoutMs: number): Promise<AgentConfig> {
  let res: Response;
  try {
    res = await fetch(new URL(zonePath(zone, '/agent-config'), server), {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new TransientError(`cannot reach ${server}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const answer: Answer = { status: res.status, body };
  if (res.status === 401) throw new FatalError(`the server refused the agent token for zone "${zone}" (401): ${messageOf(answer)}`);
  if (res.status === 404) throw new FatalError(`the server knows no zone "${zone}" (404)`);
  if (res.status !== 200) throw new TransientError(`agent-config answered ${res.status}: ${messageOf(answer)}`);
  const config = body as Partial<AgentConfig>;
  if (
    typeof config.fileType !== 'string' ||
    typeof config.fileNamePattern !== 'string' ||
    typeof config.uploadSpeedKbps !== 'number' ||
    !(config.uploadSpeedKbps > 0)
  ) {
    throw new FatalError('the agent-config answer is not { name, fileType, fileNamePattern, uploadSpeedKbps }');
  }
  return { name: zone, fileType: config.fileType, fileNamePattern: config.fileNamePattern, uploadSpeedKbps: config.uploadSpeedKbps };
}

export interface UploadRequest {
  url: URL;
  token: string;
  filePath: string;
  size: number;
  headers: Record<string, string>;
  bytesPerSecond: number;
  /** No answer within this long after the last byte moved: the attempt fails. */
  idleTimeoutMs: number;
  signal?: AbortSignal;
}

/**
 * One PUT of the file. Resolves with the server's answer, including early ones sent before the
 * whole body went out (401, 409, 307…): the body stream is then dropped. Network failures
 * reject with TransientError.
 */
export function putFile(upload: UploadRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const send = upload.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const file = createReadStream(upload.filePath);
    const throttle = new Throttle(upload.bytesPerSecond);
    let answered = false;
    /** Once the server answered, a write error (it closed while we were sending) is expected. */
    let responded = false;
    const fail = (err: Error): void => {
      if (answered) return;
      answered = true;
      file.destroy();
      throttle.destroy();
      reject(new TransientError(err.message));
    };
    const req = send(upload.url, {
      method: 'PUT',
      headers: {
        ...upload.headers,
        authorization: `Bearer ${upload.token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(upload.size),
      },
      timeout: upload.idleTimeoutMs,
      ...(upload.signal ? { signal: upload.signal } : {}),
    });
    req.on('timeout', () => req.destroy(new Error(`no progress for ${upload.idleTimeoutMs} ms`)));
    req.on('error', (err) => {
      if (!responded) fail(err);
    });
    file.on('error', fail);
    req.on('response', (response) => {
      responded = true;
      // Stop sending: the server has decided (early answers close the connection).
      file.unpipe();
      throttle.unpipe();
      file.destroy();
      throttle.destroy();
      readAnswer(response).then((answer) => {
        if (answered) return;
        answered = true;
        resolve(answer);
      }, fail);
    });
    file.pipe(throttle).pipe(req);
  });
}
