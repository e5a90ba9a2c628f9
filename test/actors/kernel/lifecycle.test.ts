import { expect } from 'chai';
import { ActorStoppedError, ask, startActorSystem, stopActor, type ActorSpec, type ReplyTo } from '../../../actors/kernel/index.js';
import { counterSpec, newProbe, parentSpec } from './fixtures.js';
import { deferred, recordingLogger } from './support.js';

describe('kernel lifecycle', () => {
  it('stop() stops every actor, children before parents, with their last state', async () => {
    const system = startActorSystem({ log: recordingLogger() });
    const order: string[] = [];
    type Msg = { kind: 'inc' } | { kind: 'ping'; replyTo: ReplyTo<number> };
    const tracked = (name: string, children: Array<ActorSpec<number, Msg>> = []): ActorSpec<number, Msg> => ({
      name,
      init: (ctx) => {
        for (const child of children) ctx.spawn(child);
        return 0;
      },
      handle: (n, msg) => {
        if (msg.kind === 'ping') msg.replyTo.reply(n);
        return msg.kind === 'inc' ? n + 1 : n;
      },
      onStop: async (n) => {
        await new Promise((resolve) => setImmediate(resolve));
        order.push(`${name}:${n}`);
      },
    });
    const top = system.spawn(tracked('top', [tracked('mid', [tracked('leaf')])]));
    top.tell({ kind: 'inc' });
    top.tell({ kind: 'inc' });
    expect(await ask(top, (replyTo) => ({ kind: 'ping', replyTo }), 1_000)).to.equal(2);
    await system.stop();
    expect(order).to.deep.equal(['leaf:0', 'mid:0', 'top:2']);
    expect(() => system.spawn(tracked('late'))).to.throw(ActorStoppedError);
  });

  it('fails asks still queued when the actor stops', async () => {
    const system = startActorSystem({ log: recordingLogger() });
    const gate = deferred();
    const started = deferred();
    const slow = system.spawn<null, { replyTo: ReplyTo<string> }>({
      name: 'slow',
      init: () => null,
      handle: async (state, msg) => {
        started.resolve();
        await gate.promise;
        msg.replyTo.reply('done');
        return state;
      },
    });
    const first = ask(slow, (replyTo) => ({ replyTo }), 5_000);
    const queued = ask(slow, (replyTo) => ({ replyTo }), 5_000).catch((e: unknown) => e);
    await started.promise;
    const stopping = system.stop();
    expect(await queued).to.be.instanceOf(ActorStoppedError);
    gate.resolve();
    expect(await first, 'the message in progress finishes').to.equal('done');
    await stopping;
  });

  it('stopActor stops one child (with onStop) and its name can be reused', async () => {
    const system = startActorSystem({ log: recordingLogger() });
    try {
      const probe = newProbe();
      const parent = system.spawn(parentSpec('p', [counterSpec('c', probe)], () => {}));
      const { c } = await ask(parent, (replyTo) => ({ kind: 'children', replyTo }), 1_000);
      c!.tell({ kind: 'inc' });
      expect(await ask(c!, (replyTo) => ({ kind: 'get', replyTo }), 1_000)).to.equal(1);
      await stopActor(c!);
      expect(probe.stops).to.deep.equal([1]);
      const again = system.spawn(counterSpec('c', probe)); // a top-level "c" is another path
      expect(again.path).to.equal('/c');
      expect(c!.path).to.equal('/p/c');
    } finally {
      await system.stop();
    }
  });
});
