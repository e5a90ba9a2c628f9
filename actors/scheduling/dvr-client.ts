// The DVR SOAP client (docs/scheduling.md, "DVR protocol"): HTTP POST of a SOAP 1.1 envelope
// to http://{manageIp}:{managePort}/cti-dvr/dvr-service with HTTP Basic, SOAPAction "" and a
// timeout. Every failure becomes a typed DvrError; `withFailover` tries the next DVR of the
// group on a fault, a timeout or an unusable answer.
import type { Server } from '../../domain/routing/entities.js';
import {
  DVR_SERVICE_PATH,
  DvrProtocolError,
  buildRequest,
  readFault,
  readRecording,
  readReturn,
  readStringReturn,
  type DvrOperation,
  type DvrRecording,
  type DvrRecordingTask,
} from '../../domain/scheduling/dvr-soap.js';

export type DvrErrorKind = 'service' | 'asset-not-found' | 'fault' | 'timeout' | 'unreachable' | 'protocol';

/** Any failed DVR call; `kind` says which (the message names the server and the reason). */
export class DvrError extends Error {
  constructor(
    readonly kind: DvrErrorKind,
    readonly server: string,
    message: string,
  ) {
    super(`DVR ${server}: ${message}`);
    this.name = 'DvrError';
  }
}
/** The declared `DvrServiceException` (schedule, remove, cancel). */
export class DvrServiceError extends DvrError {
  constructor(server: string, message: string) {
    super('service', server, `DvrServiceException: ${message}`);
    this.name = 'DvrServiceError';
  }
}
/** The declared `DvrAssetNotFoundException` (getRecording): the DVR does not know the path. */
export class DvrAssetNotFoundError extends DvrError {
  constructor(server: string, message: string) {
    super('asset-not-found', server, `DvrAssetNotFoundException: ${message}`);
    this.name = 'DvrAssetNotFoundError';
  }
}

export interface DvrClientOptions {
  user: string;
  password: string;
  timeoutMs: number;
}

export interface DvrCalls {
  scheduleRecording(server: Server, task: DvrRecordingTask): Promise<string>;
  getRecording(server: Server, path: string): Promise<DvrRecording>;
  removeRecording(server: Server, path: string): Promise<void>;
  cancelRecording(server: Server, path: string): Promise<void>;
  getDvrServerVersion(server: Server): Promise<string>;
}

export function dvrEndpoint(server: Server): string {
  const host = server.manageIp ?? server.ip;
  const port = server.managePort ?? server.port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}${DVR_SERVICE_PATH}`;
}

/** A fault as a typed error. */
export function faultError(server: string, exception: string | undefined, message: string): DvrError {
  if (exception === 'DvrServiceException') return new DvrServiceError(server, message);
  if (exception === 'DvrAssetNotFoundException') return new DvrAssetNotFoundError(server, message);
  return new DvrError('fault', server, `SOAP fault: ${message}`);
}

export function createDvrClient(opts: DvrClientOptions): DvrCalls {
  const authorization = opts.user === '' ? undefined : `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;

  async function call(server: Server, operation: DvrOperation, arg0?: string | DvrRecordingTask): Promise<string> {
    const name = server.domainName;
    const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };
    if (authorization !== undefined) headers.authorization = authorization;
    let response: Response;
    let text: string;
    try {
      response = await fetch(dvrEndpoint(server), {
        method: 'POST',
        headers,
        body: buildRequest(operation, arg0),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        throw new DvrError('timeout', name, `${operation} got no answer within ${opts.timeoutMs} ms`);
      }
      throw new DvrError('unreachable', name, `${operation} failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    const fault = readFault(text);
    if (fault) throw faultError(name, fault.exception, fault.message);
    if (response.status === 401 || response.status === 403) {
      throw new DvrError('protocol', name, `${operation} was refused with HTTP ${response.status}: check DVR_USER and DVR_PASSWORD`);
    }
    if (response.status !== 200) throw new DvrError('protocol', name, `${operation} answered HTTP ${response.status}`);
    return text;
  }

  function read<T>(server: Server, operation: DvrOperation, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof DvrProtocolError) throw new DvrError('protocol', server.domainName, `${operation}: ${err.message}`);
      throw err;
    }
  }

  return {
    async scheduleRecording(server, task) {
      const xml = await call(server, 'scheduleRecording', task);
      return read(server, 'scheduleRecording', () => readStringReturn('scheduleRecording', xml));
    },
    async getRecording(server, path) {
      const xml = await call(server, 'getRecording', path);
      return read(server, 'getRecording', () => readRecording(xml));
    },
    async removeRecording(server, path) {
      const xml = await call(server, 'removeRecording', path);
      read(server, 'removeRecording', () => readReturn('removeRecording', xml));
    },
    async cancelRecording(server, path) {
      const xml = await call(server, 'cancelRecording', path);
      read(server, 'cancelRecording', () => readReturn('cancelRecording', xml));
    },
    async getDvrServerVersion(server) {
      const xml = await call(server, 'getDvrServerVersion');
      return read(server, 'getDvrServerVersion', () => readStringReturn('getDvrServerVersion', xml));
    },
  };
}

export interface FailoverResult<T> {
  server: Server;
  value: T;
  /** The DVRs tried before, with why each was passed over. */
  failures: DvrError[];
}

/**
 * Calls `fn` on each server in order until one answers. Every DvrError (fault, timeout,
 * unreachable, garbage) moves on to the next; when all fail, the last error is thrown with
 * the earlier ones attached.
 */
export async function withFailover<T>(servers: readonly Server[], fn: (server: Server) => Promise<T>): Promise<FailoverResult<T>> {
  const failures: DvrError[] = [];
  for (const server of servers) {
    try {
      return { server, value: await fn(server), failures };
    } catch (err) {
      if (!(err instanceof DvrError)) throw err;
      failures.push(err);
    }
  }
  throw new AllDvrsFailedError(failures);
}

export class AllDvrsFailedError extends Error {
  constructor(readonly failures: DvrError[]) {
    super(failures.length === 0 ? 'no DVR server to ask' : `every DVR failed: ${failures.map((f) => f.message).join('; ')}`);
    this.name = 'AllDvrsFailedError';
  }
}
