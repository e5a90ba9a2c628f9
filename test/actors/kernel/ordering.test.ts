import { expect } from 'chai';
import { ask, startActorSystem, type ActorSystem, type ReplyTo } from '../../../actors/kernel/index.js';
import { recordingLogger } from './support.js';

type Msg = { kind: 'item'; n: number } | { kind: 'crash' } | { kind: 'report'; replyTo: ReplyTo<Report> };
interface Report {
  seen: number[];
  maxConcurrent: number;
}

describe('kernel message order', () => {
  let system: ActorSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('handles one message at a time, in order, with async handlers (also across a restart)', async () => {
    system = startActorSystem({ log: recordingLogger() });
    let active = 0;
    let maxConcurrent = 0;
    const seen: number[] = [];
    const ref = system.spawn<null, Msg>({
      name: 'ordered',
      init: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return null;
      },
      handle: async (state, msg) => {
        active += 1;
        maxConcurrent = Math.max(maxConcurrent, active);
        try {
          // Uneven async work: later messages would overtake earlier ones if run concurrently.
          const ticks = msg.kind === 'item' ? (msg.n * 7) % 5 : 0;
          for (let t = 0; t < ticks; t += 1) await new Promise((resolve) => setImmediate(resolve));
          if (msg.kind === 'item') seen.push(msg.n);
          if (msg.kind === 'crash') throw new Error('planned crash');
          if (msg.kind === 'report') msg.replyTo.reply({ seen: [...seen], maxConcurrent });
          return state;
        } finally {
          active -= 1;
        }
      },
    });
    const expected: number[] = [];
    for (let n = 0; n < 300; n += 1) {
      ref.tell({ kind: 'item', n });
      expected.push(n);
      if (n === 150) ref.tell({ kind: 'crash' });
    }
    const report = await ask(ref, (replyTo) => ({ kind: 'report', replyTo }), 5_000);
    expect(report.seen).to.deep.equal(expected);
    expect(report.maxConcurrent).to.equal(1);
  });
});
