// Helpers of the nginx tests: a raw HTTP/1.1 client (to see header names byte for byte) and
// a fake upstream that records what nginx sends it and answers like the redirect route.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawResponse {
  raw: string;
  status: number;
  /** Header lines as sent: [name with its original case, value]. */
  headers: Array<[string, string]>;
  body: string;
  header(name: string): string | undefined;
}

export interface RawRequestOptions {
  port: number;
  path: string;
  method?: string;
  /** Extra header lines, e.g. ['X-Real-IP: 6.6.6.6']. */
  headers?: string[];
  /** TLS with this CA (the test's self-signed certificate). */
  tlsCa?: string;
  /** Connect from this loopback address (nginx then sees it as $remote_addr). */
  localAddress?: string;
}

export function parseRaw(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  return {
    raw,
    status: Number(statusLine.split(' ')[1]),
    headers,
    body,
    header: (name) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
  };
}

/** One request on a fresh connection with `Connection: close`; resolves with the raw bytes. */
export function rawRequest(opts: RawRequestOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const common = { host: '127.0.0.1', port: opts.port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) };
    const socket: Socket = opts.tlsCa ? tlsConnect({ ...common, ca: opts.tlsCa, servername: 'localhost' }) : tcpConnect(common);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer for ${opts.path} within 5 s`)), 5_000);
    socket.once(opts.tlsCa ? 'secureConnect' : 'connect', () => {
      const lines = [
        `${opts.method ?? 'GET'} ${opts.path} HTTP/1.1`,
        'Host: cdn.example.com',
        'Connection: close',
        ...(opts.headers ?? []),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    });
  });
}

export interface UpstreamRequest {
  method: string;
  url: string;
  /** Header names as nginx sent them (rawHeaders), lower-cased lookups via `header`. */
  rawHeaders: string[];
  peer: string;
  header(name: string): string | undefined;
}

/** What the fake answers: the redirect route's shapes. */
export type UpstreamAnswer = { status: 302; location: string; locationHeaderName?: string } | { status: 400 | 404; body: string };

export interface FakeUpstream {
  port: number;
  requests: UpstreamRequest[];
  /** TCP connections accepted so far (keepalive shows as few connections). */
  connections: number;
  answer: (req: IncomingMessage) => UpstreamAnswer;
  close(): Promise<void>;
}

/** Default answer: 302 to the same path on an edge, Location with a capital L. */
export function edgeRedirect(req: IncomingMessage): UpstreamAnswer {
  return { status: 302, location: `http://edge1.test:8080${req.url ?? '/'}` };
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const fake: FakeUpstream = { port: 0, requests: [], connections: 0, answer: edgeRedirect, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const rawHeaders = req.rawHeaders;
    fake.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders,
      peer: req.socket.remoteAddress ?? '',
      header: (name) => {
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : value;
      },
    });
    const answer = fake.answer(req);
    if (answer.status === 302) {
      // writeHead with a raw array keeps the header names' case on the wire.
      res.writeHead(302, [
        [answer.locationHeaderName ?? 'Location', answer.location],
        ['cache-control', 'max-age=0, private, must-revalidate'],
        ['content-length', '0'],
      ]);
      res.end();
      return;
    }
    res.writeHead(answer.status, [
      ['content-type', 'text/plain'],
      ['content-length', String(Buffer.byteLength(answer.body))],
    ]);
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  });
  server.on('connection', () => {
    fake.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}
