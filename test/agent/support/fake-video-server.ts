// A small real HTTP server standing in for the video API where the agent tests need no
// cluster: GET …/agent-config and PUT …/files/:fileName with the upload contract of
// docs/video.md (sha256-checked, 201 new / 200 same bytes / 409 other bytes / 401 bad token),
// plus knobs to fail, redirect or answer early.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredUpload {
  bytes: Buffer;
  sha256: string;
  headers: Record<string, string>;
  /** ms from the first body byte to the last. */
  transferMs: number;
}

export interface FakeVideoServer {
  readonly url: string;
  readonly token: string;
  readonly zone: string;
  config: { fileType: string; fileNamePattern: string; uploadSpeedKbps: number };
  /** Stored files by name. */
  readonly files: Map<string, StoredUpload>;
  /** Every PUT seen (file names, in order), including refused ones. */
  readonly puts: string[];
  /** Every request URL seen (the token must never be in one). */
  readonly urls: string[];
  /** The next N PUTs answer this status (e.g. 503) without storing. */
  failNext(count: number, status?: number): void;
  /** Every PUT answers 307 to `target` (same path). */
  redirectTo(target: string | undefined): void;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeVideoServer(
  opts: { zone?: string; token?: string; uploadSpeedKbps?: number } = {},
): Promise<FakeVideoServer> {
  const zone = opts.zone ?? 'kursk';
  const token = opts.token ?? 'agent-token-0123456789';
  const files = new Map<string, StoredUpload>();
  const puts: string[] = [];
  const urls: string[] = [];
  let failures = 0;
  let failStatus = 503;
  let redirect: string | undefined;

  const state = {
    config: {
      fileType: 'mp4',
      fileNamePattern: '(?<projectId>[a-z0-9]+)_(?<sessionId>[A-Za-z0-9-]+)_(?<recordedAt>\\d{8}T\\d{6})\\.[Mm][Pp]4',
      uploadSpeedKbps: opts.uploadSpeedKbps ?? 100_000,
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    urls.push(req.url ?? '');
    const authorized = req.headers.authorization === `Bearer ${token}`;
    const base = `/api/v1/video/zones/${zone}`;
    if (req.method === 'GET' && url.pathname === `${base}/agent-config`) {
      if (!authorized) return json(res, 401, { error: 'unauthorized', message: 'Bad agent token.' });
      return json(res, 200, { name: zone, ...state.config });
    }
    const match = new RegExp(`^/api/v1/video/zones/([^/]+)/files/([^/]+)$`).exec(url.pathname);
    if (req.method !== 'PUT' || match === null) return json(res, 404, { error: 'not_found', message: 'No such route.' });
    const fileName = decodeURIComponent(match[2]!);
    puts.push(fileName);
    // Early answers, before reading the body (as the real node does): the connection closes.
    if (!authorized) return json(res, 401, { error: 'unauthorized', message: 'Bad agent token.' }, { connection: 'close' });
    if (match[1] !== zone) return json(res, 404, { error: 'not_found', message: 'No such zone.' }, { connection: 'close' });
    if (redirect !== undefined) {
      res.writeHead(307, { location: `${redirect}${req.url}`, connection: 'close' });
      res.end();
      return;
    }
    if (failures > 0) {
      failures -= 1;
      return json(res, failStatus, { error: 'service_unavailable', message: 'Try later.' }, { connection: 'close' });
    }
    const sha256 = String(req.headers['x-sha256'] ?? '');
    const existing = files.get(fileName);
    if (existing !== undefined) {
      return existing.sha256 === sha256
        ? json(res, 200, { fileName, sha256 })
        : json(res, 409, { error: 'conflict', message: 'Other bytes are stored under that name.' }, { connection: 'close' });
    }
    const chunks: Buffer[] = [];
    let first = 0;
    for await (const chunk of req) {
      if (first === 0) first = performance.now();
      chunks.push(chunk as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) return json(res, 400, { error: 'bad_request', message: 'x-sha256 does not match the body.' });
    const headers: Record<string, string> = {};
    for (const name of ['x-session-id', 'x-project-id', 'x-recorded-at', 'x-sha256', 'content-length']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    files.set(fileName, { bytes, sha256, headers, transferMs: performance.now() - first });
    json(res, 201, { fileName, sha256 });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => json(res, 500, { error: 'internal', message: err.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    zone,
    get config() {
      return state.config;
    },
    set config(value) {
      state.config = value;
    },
    files,
    puts,
    urls,
    failNext(count, status = 503) {
      failures = count;
      failStatus = status;
    },
    redirectTo(target) {
      redirect = target;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
