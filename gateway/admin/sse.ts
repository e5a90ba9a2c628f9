// Server-sent events for the console's live pages (docs/console.md "Live updates"): a
// snapshot is taken every `intervalMs` and sent only when it changed, so a page gets at most
// one event per interval and none while nothing moves. A comment line every 15 s keeps
// proxies from closing an idle stream. Streams end when the client goes or the server closes.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorText } from '../../domain/errors.js';

const KEEPALIVE_MS = 15_000;
/** Never more than this many events per second per stream, whatever the caller asks. */
export const MIN_SSE_INTERVAL_MS = 250;

function encode(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The open streams of one plugin; all of them end when the server closes. */
export class SnapshotStreams {
  private readonly ends = new Set<() => void>();

  constructor(app: FastifyInstance) {
    // preClose: before the server waits for its connections, which open streams would hold.
    app.addHook('preClose', async () => {
      for (const end of [...this.ends]) end();
    });
  }

  /**
   * Takes over the reply and streams `produce()` as `snapshot` events; a failed snapshot is
   * sent as an `unavailable` event with the reason, and the stream goes on trying.
   */
  open(reply: FastifyReply, intervalMs: number, produce: () => Promise<unknown>): void {
    const every = Math.max(MIN_SSE_INTERVAL_MS, intervalMs);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    let last = '';
    let lastWriteAt = Date.now();
    let ended = false;
    let timer: NodeJS.Timeout | undefined;

    const end = (): void => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      this.ends.delete(end);
      res.end();
    };
    this.ends.add(end);
    res.on('close', end);

    const write = (text: string): void => {
      if (ended) return;
      res.write(text);
      lastWriteAt = Date.now();
    };

    const tick = async (): Promise<void> => {
      try {
        const text = encode('snapshot', await produce());
        if (text !== last) {
          last = text;
          write(text);
        }
      } catch (err) {
        last = '';
        write(encode('unavailable', { message: errorText(err) }));
      }
      if (Date.now() - lastWriteAt >= KEEPALIVE_MS) write(': keep-alive\n\n');
      if (!ended) timer = setTimeout(() => void tick(), every);
    };
    void tick();
  }
}
