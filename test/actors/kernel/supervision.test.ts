import { expect } from 'chai';
import {
  ActorStoppedError,
  EscalationError,
  ask,
  startActorSystem,
  type ActorRef,
  type ActorSpec,
  type ActorSystem,
  type ReplyTo,
} from '../../../actors/kernel/index.js';
import { counterSpec, newProbe, parentSpec, type CounterMsg, type ParentMsg } from './fixtures.js';
import { deferred, recordingLogger, until } from './support.js';

const get = (ref: ActorRef<CounterMsg>): Promise<number> => ask(ref, (replyTo) => ({ kind: 'get', replyTo }), 2_000);

describe('kernel supervision', () => {
  let system: ActorSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('restarts a crashing child with fresh state and logs the crash', async () => {
    const log = recordingLogger();
    system = startActorSystem({ log });
    const probe = newProbe();
    let parentInits = 0;
    const parent = system.spawn(parentSpec('sup', [counterSpec('counter', probe)], () => (parentInits += 1)));
    const { counter } = await ask(parent, (replyTo) => ({ kind: 'children', replyTo }), 2_000);

    for (let i = 0; i < 3; i += 1) counter!.tell({ kind: 'inc' });
    expect(await get(counter!)).to.equal(3);

    counter!.tell({ kind: 'crash' });
    expect(await get(counter!)).to.equal(0);
    expect(probe.inits).to.equal(2);
    expect(parentInits).to.equal(1);
    expect(probe.stops, 'onStop is not called on a crash').to.deep.equal([]);

    const crash = log.records.find((r) => r.level === 'error' && r.fields['actor'] === '/sup/counter');
    expect(crash?.fields['err']).to.equal('boom in counter');
    // The stack is part of the error line (a production log level shows it), docs/operations.md.
    expect(String(crash?.fields['stack'])).to.match(/boom in counter\n\s+at /);
  });

  it('treats a rejected async handler as a crash', async () => {
    system = startActorSystem({ log: recordingLogger() });
    const probe = newProbe();
    const counter = system.spawn(counterSpec('async-counter', probe));
    counter.tell({ kind: 'inc' });
    counter.tell({ kind: 'crash-async' });
    counter.tell({ kind: 'inc' });
    expect(await get(counter)).to.equal(1, 'fresh state plus the message queued behind the crash');
    expect(probe.inits).to.equal(2);
  });

  it('escalates past the restart limit: the parent restarts and its children start fresh', async () => {
    system = startActorSystem({ log: recordingLogger() });
    const flaky = newProbe();
    const sibling = newProbe();
    let parentInits = 0;
    const parentRestarted = deferred();
    const parent = system.spawn(
      parentSpec('parent', [counterSpec('flaky', flaky, { maxRestarts: 1, withinMs: 60_000 }), counterSpec('sibling', sibling)], () => {
        parentInits += 1;
        if (parentInits === 2) parentRestarted.resolve();
      }),
    );
    const refs = await ask(parent, (replyTo) => ({ kind: 'children', replyTo }), 2_000);
    refs['sibling']!.tell({ kind: 'inc' });
    refs['sibling']!.tell({ kind: 'inc' });
    expect(await get(refs['sibling']!)).to.equal(2);

    refs['flaky']!.tell({ kind: 'crash' }); // restart 1 of 1
    expect(await get(refs['flaky']!)).to.equal(0);
    refs['flaky']!.tell({ kind: 'crash' }); // past the limit
    await parentRestarted.promise;

    // Refs are by path, so the old refs reach the respawned children.
    expect(await get(refs['sibling']!)).to.equal(0);
    expect(await get(refs['flaky']!)).to.equal(0);
    expect(flaky.inits).to.equal(3, 'start, own restart, respawn by the restarted parent');
    expect(sibling.inits).to.equal(2);
    expect(sibling.stops, 'the sibling was stopped in order').to.deep.equal([2]);
    expect(flaky.stops, 'the child that gave up crashed: no onStop').to.deep.equal([]);
  });

  it('past the root it calls onGiveUp with the top-level path and stops that actor', async () => {
    const gaveUp = deferred<{ error: Error; path: string }>();
    system = startActorSystem({ log: recordingLogger(), onGiveUp: (error, path) => gaveUp.resolve({ error, path }) });
    const leaf = newProbe();
    const noRestarts = { maxRestarts: 0, withinMs: 60_000 };
    const mid = parentSpec('mid', [counterSpec('leaf', leaf, noRestarts)], () => {}, noRestarts);
    const root: ActorSpec<ActorRef<ParentMsg>, { replyTo: ReplyTo<ActorRef<ParentMsg>> }> = {
      name: 'root',
      restart: noRestarts,
      init: (ctx) => ctx.spawn(mid),
      handle: (midRef, msg) => {
        msg.replyTo.reply(midRef);
        return midRef;
      },
    };
    const rootRef = system.spawn(root);
    const midRef = await ask(rootRef, (replyTo) => ({ replyTo }), 2_000);
    const { leaf: leafRef } = await ask(midRef, (replyTo) => ({ kind: 'children', replyTo }), 2_000);

    leafRef!.tell({ kind: 'crash' });
    const { error, path } = await gaveUp.promise;
    expect(path).to.equal('/root');
    expect(error).to.be.instanceOf(EscalationError);
    expect(error.message).to.include('/root/mid').and.include('/root/mid/leaf').and.include('boom in leaf');

    const afterGiveUp = await get(leafRef!).then(
      () => 'answered',
      (e: unknown) => e,
    );
    expect(afterGiveUp).to.be.instanceOf(ActorStoppedError);
  });

  it('by default logs a give-up at fatal level', async () => {
    const log = recordingLogger();
    system = startActorSystem({ log });
    const lonely = system.spawn(counterSpec('lonely', newProbe(), { maxRestarts: 0, withinMs: 1_000 }));
    const outcome = await ask(lonely, (replyTo) => ({ kind: 'crash', replyTo }), 1_000).catch((e: unknown) => e);
    expect((outcome as Error).message).to.equal('boom in lonely');
    const fatal = log.records.find((r) => r.level === 'fatal');
    expect(fatal?.fields).to.include({ actor: '/lonely', err: 'boom in lonely' });
  });

  it('restarts an actor whose init throws, and escalates when init keeps failing', async () => {
    const gaveUp = deferred<string>();
    system = startActorSystem({ log: recordingLogger(), onGiveUp: (_e, path) => gaveUp.resolve(path) });
    let attempts = 0;
    const flakyInit: ActorSpec<string, { replyTo: ReplyTo<string> }> = {
      name: 'flaky-init',
      init: async () => {
        attempts += 1;
        if (attempts < 3) throw new Error(`init attempt ${attempts} failed`);
        return 'ready';
      },
      handle: (state, msg) => {
        msg.replyTo.reply(state);
        return state;
      },
    };
    const ref = system.spawn(flakyInit);
    await until(() => attempts === 3, 2_000, 'the third init');
    expect(await ask(ref, (replyTo) => ({ replyTo }), 2_000)).to.equal('ready');

    system.spawn({
      name: 'broken-init',
      restart: { maxRestarts: 2, withinMs: 60_000 },
      init: () => {
        throw new Error('never starts');
      },
      handle: (s: undefined) => s,
    });
    expect(await gaveUp.promise).to.equal('/broken-init');
  });

  it('rejects bad specs and duplicate names with clear errors', () => {
    system = startActorSystem({ log: recordingLogger() });
    const probe = newProbe();
    system.spawn(counterSpec('twice', probe));
    expect(() => system!.spawn(counterSpec('twice', probe))).to.throw(/already runs under the root/);
    expect(() => system!.spawn(counterSpec('bad name/with slash', probe))).to.throw(/actor name/);
    expect(() => system!.spawn(counterSpec('policy', probe, { maxRestarts: -1, withinMs: 10 }))).to.throw(/maxRestarts/);
    expect(() => system!.spawn({ name: 'no-handle', init: () => 0 } as unknown as ActorSpec<number, never>)).to.throw(
      /handle must be a function/,
    );
  });
});
