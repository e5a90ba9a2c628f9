import { expect } from 'chai';
import {
  ActorStoppedError,
  AskTimeoutError,
  ask,
  startActorSystem,
  stopActor,
  type ActorRef,
  type ActorSpec,
  type ActorSystem,
  type ReplyTo,
} from '../../../actors/kernel/index.js';
import { counterSpec, newProbe } from './fixtures.js';
import { recordingLogger } from './support.js';

type EchoMsg = { value: string; replyTo: ReplyTo<string> };

/** Holds asks in batches and answers each batch in reverse order, so replies interleave. */
function reversingEcho(name: string, batch: number): ActorSpec<EchoMsg[], EchoMsg> {
  return {
    name,
    init: () => [],
    handle: (held, msg) => {
      held.push(msg);
      if (held.length < batch) return held;
      for (let i = held.length - 1; i >= 0; i -= 1) held[i]!.replyTo.reply(held[i]!.value);
      return [];
    },
  };
}

type HoldMsg = { kind: 'hold'; replyTo: ReplyTo<string> } | { kind: 'release'; answer: string };

/** Keeps every ReplyTo until told to answer all of them (twice, to test reply-once). */
const holder: ActorSpec<Array<ReplyTo<string>>, HoldMsg> = {
  name: 'holder',
  init: () => [],
  handle: (held, msg) => {
    if (msg.kind === 'hold') return [...held, msg.replyTo];
    for (const replyTo of held) {
      replyTo.reply(msg.answer);
      replyTo.reply(`${msg.answer} again`);
    }
    return [];
  },
};

describe('kernel ask', () => {
  let system: ActorSystem | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    await system?.stop();
    system = undefined;
  });

  it('never returns another caller’s reply under 200 000 concurrent asks', async function () {
    this.timeout(30_000);
    system = startActorSystem({ log: recordingLogger() });
    const actors = 4;
    const total = 200_000;
    const echoes: Array<ActorRef<EchoMsg>> = [];
    for (let a = 0; a < actors; a += 1) echoes.push(system.spawn(reversingEcho(`echo-${a}`, 50)));

    const started = performance.now();
    const asks: Array<Promise<string>> = [];
    for (let i = 0; i < total; i += 1) {
      asks.push(ask(echoes[i % actors]!, (replyTo) => ({ value: `v${i}`, replyTo }), 20_000));
    }
    const replies = await Promise.all(asks);
    const elapsedMs = performance.now() - started;

    let wrong = 0;
    for (let i = 0; i < total; i += 1) if (replies[i] !== `v${i}`) wrong += 1;
    expect(wrong).to.equal(0);
    expect(elapsedMs, 'stays within a few seconds').to.be.below(10_000);
  });

  it('gives monotonic correlation ids', async () => {
    system = startActorSystem({ log: recordingLogger() });
    const ids: number[] = [];
    const idEcho = system.spawn<undefined, { replyTo: ReplyTo<number> }>({
      name: 'ids',
      init: () => undefined,
      handle: (state, msg) => {
        msg.replyTo.reply(msg.replyTo.correlationId);
        return state;
      },
    });
    for (let i = 0; i < 5; i += 1) ids.push(await ask(idEcho, (replyTo) => ({ replyTo }), 1_000));
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).to.equal(5);
  });

  it('times out with AskTimeoutError, then ignores the late reply', async () => {
    system = startActorSystem({ log: recordingLogger() });
    const ref = system.spawn(holder);
    const outcome = await ask(ref, (replyTo) => ({ kind: 'hold', replyTo }), 30).then(
      () => 'answered',
      (e: unknown) => e,
    );
    expect(outcome).to.be.instanceOf(AskTimeoutError);
    expect((outcome as AskTimeoutError).message).to.equal('ask to /holder timed out after 30 ms');
    expect((outcome as AskTimeoutError).actorPath).to.equal('/holder');

    // The late reply goes nowhere; a fresh ask still works and sees only its own answer.
    ref.tell({ kind: 'release', answer: 'late' });
    const fresh = ask(ref, (replyTo) => ({ kind: 'hold', replyTo }), 1_000);
    ref.tell({ kind: 'release', answer: 'fresh' });
    expect(await fresh).to.equal('fresh', 'first reply wins, the second is ignored');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(unhandled).to.deep.equal([]);
  });

  it('fails an ask at once when the handler crashes on it (sync or async)', async () => {
    system = startActorSystem({ log: recordingLogger() });
    const counter = system.spawn(counterSpec('crashy', newProbe()));
    for (const kind of ['crash', 'crash-async'] as const) {
      const started = performance.now();
      const outcome = await ask(counter, (replyTo) => ({ kind, replyTo }), 10_000).then(
        () => 'answered',
        (e: unknown) => e,
      );
      expect(outcome).to.be.instanceOf(Error);
      expect((outcome as Error).message).to.match(/boom in crashy/);
      expect(performance.now() - started).to.be.below(1_000);
    }
    expect(await ask(counter, (replyTo) => ({ kind: 'get', replyTo }), 1_000)).to.equal(0);
  });

  it('fails at once for an actor that is not running, and rejects bad input', async () => {
    system = startActorSystem({ log: recordingLogger() });
    const counter = system.spawn(counterSpec('gone', newProbe()));
    await stopActor(counter);
    const stopped = await ask(counter, (replyTo) => ({ kind: 'get', replyTo }), 10_000).catch((e: unknown) => e);
    expect(stopped).to.be.instanceOf(ActorStoppedError);
    expect((stopped as Error).message).to.equal('actor /gone is not running');

    const badTimeout = await ask(counter, (replyTo) => ({ kind: 'get', replyTo }), 0).catch((e: unknown) => e);
    expect(badTimeout).to.be.instanceOf(RangeError);
    const badBuild = await ask(
      counter,
      () => {
        throw new Error('cannot build');
      },
      100,
    ).catch((e: unknown) => e);
    expect((badBuild as Error).message).to.equal('cannot build');
  });
});
