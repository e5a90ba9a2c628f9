// One keep-alive HTTP/1.1 connection that carries one request at a time, for load generators
// that must stay cheap when the machine is starved of CPU (checked-load.ts). node:http's client
// costs several times more per request; this writes a prepared request and reads only the
// status line, the headers and a Content-Length body (every answer of the redirect API has one).
import { connect, type Socket } from 'node:net';

export interface Http1Answer {
  status: number;
  /** The head after the status line, names lower-cased, each line starting with CRLF; read with headerOf. */
  head: string;
  body: string;
}

export type Http1Outcome = { ok: true; answer: Http1Answer } | { ok: false; error: string };

/** Bytes of a GET request to send on a connection to `host`. */
export function getRequest(host: string, path: string, headers: Record<string, string>): Buffer {
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/**
 * The value of header `name` (lower case) in an answer's head, without splitting the head into
 * a map: a generator reads two or three headers of each of thousands of answers a second.
 */
export function headerOf(answer: Http1Answer, name: string): string | undefined {
  const at = answer.head.indexOf(`\r\n${name}:`);
  if (at < 0) return undefined;
  const start = at + name.length + 3;
  const end = answer.head.indexOf('\r\n', start);
  return answer.head.slice(start, end < 0 ? undefined : end).trim();
}

/** Header names lower-cased, values as sent. */
function lowerNames(head: string): string {
  return head.replace(/\r\n([^:\r\n]+):/g, (_, n: string) => `\r\n${n.toLowerCase()}:`);
}

export class Http1Connection {
  private readonly socket: Socket;
  private buffer = '';
  private pending: ((outcome: Http1Outcome) => void) | undefined;
  private error: string | undefined;
  private closed = false;
  /** When the request now open was written (performance.now()), for timeouts. */
  sentAt = 0;
  private readonly openedAt = performance.now();
  private connectedAt: number | undefined;
  private answered = 0;

  constructor(
    host: string,
    port: number,
    private readonly onClose: (connection: Http1Connection) => void,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.setEncoding('latin1');
    this.socket.once('connect', () => (this.connectedAt = performance.now()));
    this.socket.on('data', (chunk: string) => this.receive(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.error ??= err.code ?? err.message));
    this.socket.on('close', () => {
      this.closed = true;
      this.finish({ ok: false, error: this.error ?? 'connection closed' });
      this.onClose(this);
    });
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Sends `request` (writes before the connection is up are queued by the socket). */
  send(request: Buffer, done: (outcome: Http1Outcome) => void): void {
    if (this.pending !== undefined) throw new Error('Http1Connection: one request at a time');
    if (this.closed) return done({ ok: false, error: this.error ?? 'connection closed' });
    this.pending = done;
    this.sentAt = performance.now();
    this.socket.write(request);
  }

  /** Where this connection stood, for a failure's sample: was the TCP connection ever up. */
  describe(): string {
    const handshake =
      this.connectedAt === undefined
        ? `not connected after ${Math.round(performance.now() - this.openedAt)} ms`
        : `connected in ${Math.round(this.connectedAt - this.openedAt)} ms`;
    return `${handshake}, ${this.answered} earlier answers on it`;
  }

  /** Ends the connection; an open request fails with `why`. */
  destroy(why: string): void {
    this.error ??= why;
    this.socket.destroy();
  }

  private finish(outcome: Http1Outcome): void {
    const done = this.pending;
    this.pending = undefined;
    done?.(outcome);
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(this.buffer);
    if (statusLine === null) return this.destroy(`unparseable answer: ${this.buffer.slice(0, 40)}`);
    const status = Number(statusLine[1]);
    const firstLineEnd = this.buffer.indexOf('\r\n');
    const head = lowerNames(this.buffer.slice(firstLineEnd, headEnd + 2));
    const answer: Http1Answer = { status, head, body: '' };
    const length = Number(headerOf(answer, 'content-length') ?? NaN);
    if (!Number.isInteger(length) || length < 0) return this.destroy(`answer ${status} without Content-Length`);
    const bodyStart = headEnd + 4;
    if (this.buffer.length < bodyStart + length) return;
    answer.body = this.buffer.slice(bodyStart, bodyStart + length);
    this.buffer = this.buffer.slice(bodyStart + length);
    const closing = headerOf(answer, 'connection')?.toLowerCase() === 'close';
    this.answered += 1;
    this.finish({ ok: true, answer });
    if (closing) this.socket.destroy();
  }
}
