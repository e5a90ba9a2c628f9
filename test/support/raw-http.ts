// HTTP/1.1 over a bare TCP socket, so tests see the response head exactly as sent: header
// names with their case (Fetch and Node's client lower-case them), order, and the body bytes.
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  statusLine: string;
  /** Header lines as sent, name case preserved. */
  headers: Array<[name: string, value: string]>;
  /** The head exactly as received (up to, not including, the blank line). */
  head: string;
  body: string;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/** One request with `Connection: close`; resolves when the server closes. */
export function rawRequest(port: number, path: string, opts: RawRequestOptions = {}): Promise<RawResponse> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, Connection: 'close', ...opts.headers };
  if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
  const request =
    `${method} ${path} HTTP/1.1\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n' +
    (opts.body ?? '');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response for ${method} ${path} within ${opts.timeoutMs ?? 5000} ms`));
    }, opts.timeoutMs ?? 5000);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`malformed response to ${method} ${path}: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const head = text.slice(0, end);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
      const parsed = lines.map((line): [string, string] => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon), line.slice(colon + 1).trim()];
      });
      resolve({ status, statusLine, headers: parsed, head, body: text.slice(end + 4) });
    });
  });
}

/** The value of the first header named exactly `name` (case-sensitive), if any. */
export function headerExact(res: RawResponse, name: string): string | undefined {
  return res.headers.find(([n]) => n === name)?.[1];
}

/** The value of the first header named `name` in any case. */
export function header(res: RawResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  return res.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}
