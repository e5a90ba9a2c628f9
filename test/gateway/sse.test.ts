// The console's server-sent event streams (gateway/admin/sse.ts): a snapshot only when it
// changed, an `unavailable` event while the source fails, and a server close that ends the
// open streams instead of waiting for the browsers.
import { expect } from 'chai';
import Fastify, { type FastifyInstance } from 'fastify';
import { SnapshotStreams } from '../../gateway/admin/sse.js';
import { waitFor } from '../support/wait.js';

describe('server-sent snapshot streams', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('sends changed snapshots only, reports failures, and ends the streams when the server closes', async () => {
    app = Fastify();
    let value = 1;
    let failing = false;
    await app.register(async (scope) => {
      const streams = new SnapshotStreams(scope);
      scope.get('/events', async (_request, reply) =>
        streams.open(reply, 250, async () => {
          if (failing) throw new Error('the store is down');
          return { value };
        }),
      );
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${base}/events`);
    expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const pump = (async () => {
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) return;
        text += chunk;
      }
    })();

    await waitFor('the first snapshot', 5_000, () => text.includes('data: {"value":1}'));
    // Several intervals pass with the same value: still one event.
    await waitFor('a changed snapshot', 5_000, () => {
      value = 2;
      return text.includes('data: {"value":2}');
    });
    expect(text.match(/event: snapshot/g)).to.have.length(2);
    failing = true;
    await waitFor('the failure', 5_000, () => text.includes('event: unavailable\ndata: {"message":"the store is down"}'));

    const started = Date.now();
    await app.close();
    app = undefined;
    await pump;
    expect(Date.now() - started, 'close did not wait for the open stream').to.be.below(3_000);
  });
});
