// Benchmark B8: the actor kernel's ask round trips and dispatch rate, next to raw nact
// dispatch measured in the same run. Run alone: `npx tsx load_testing/bench-kernel.ts`.
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../domain/log.js';
import { ask, rawNactDispatchRate, startActorSystem, type ActorRef, type ReplyTo } from '../actors/kernel/index.js';

export interface KernelBenchResult {
  askRoundTripsPerSec: number;
  dispatchPerSec: number;
  rawNactDispatchPerSec: number;
}

export interface KernelBenchOptions {
  /** Messages per dispatch measurement (default 100 000). */
  messages?: number;
  /** Asks per ask measurement (default 50 000). */
  asks?: number;
  /** Asks in flight at once (default 1 000). */
  concurrency?: number;
  /** Measurements per metric; the best one is reported (default 3). */
  rounds?: number;
}

type CounterMsg = { kind: 'count' } | { kind: 'expect'; total: number; done: () => void };
interface CounterState {
  seen: number;
  total: number;
  done?: () => void;
}
type EchoMsg = { n: number; replyTo: ReplyTo<number> };

/** Messages per second through one kernel actor (tell, supervised, sync handler). */
async function kernelDispatchRate(messages: number): Promise<number> {
  const system = startActorSystem({ log: silentLogger });
  try {
    const counter: ActorRef<CounterMsg> = system.spawn<CounterState, CounterMsg>({
      name: 'counter',
      init: () => ({ seen: 0, total: Number.POSITIVE_INFINITY }),
      handle: (state, msg) => {
        if (msg.kind === 'expect') return { seen: state.seen, total: msg.total, done: msg.done };
        state.seen += 1;
        if (state.seen === state.total) state.done?.();
        return state;
      },
    });
    const finished = new Promise<void>((resolve) => counter.tell({ kind: 'expect', total: messages, done: resolve }));
    const started = performance.now();
    for (let i = 0; i < messages; i += 1) counter.tell({ kind: 'count' });
    await finished;
    return messages / ((performance.now() - started) / 1000);
  } finally {
    await system.stop();
  }
}

/** Completed asks per second against one echo actor, `concurrency` asks in flight. */
async function askRate(asks: number, concurrency: number): Promise<number> {
  const system = startActorSystem({ log: silentLogger });
  try {
    const echo = system.spawn<null, EchoMsg>({
      name: 'echo',
      init: () => null,
      handle: (state, msg) => {
        msg.replyTo.reply(msg.n);
        return state;
      },
    });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < asks) {
        const n = next;
        next += 1;
        const answer = await ask(echo, (replyTo) => ({ n, replyTo }), 10_000);
        if (answer !== n) throw new Error(`ask ${n} got the reply of ask ${answer}`);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return asks / ((performance.now() - started) / 1000);
  } finally {
    await system.stop();
  }
}

async function best(rounds: number, measure: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let r = 0; r < rounds; r += 1) top = Math.max(top, await measure());
  return Math.round(top);
}

export async function benchKernel(options: KernelBenchOptions = {}): Promise<KernelBenchResult> {
  const messages = options.messages ?? 100_000;
  const asks = options.asks ?? 50_000;
  const concurrency = options.concurrency ?? 1_000;
  const rounds = options.rounds ?? 3;
  // Warm-up so the JIT has seen every path before anything is timed.
  await rawNactDispatchRate(20_000);
  await kernelDispatchRate(20_000);
  await askRate(10_000, concurrency);

  const rawNactDispatchPerSec = await best(rounds, () => rawNactDispatchRate(messages));
  const dispatchPerSec = await best(rounds, () => kernelDispatchRate(messages));
  const askRoundTripsPerSec = await best(rounds, () => askRate(asks, concurrency));
  return { askRoundTripsPerSec, dispatchPerSec, rawNactDispatchPerSec };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchKernel();
  const ratio = result.dispatchPerSec / result.rawNactDispatchPerSec;
  console.log(`B8 actor kernel (Node ${process.version})`);
  console.log(`  raw nact dispatch      ${result.rawNactDispatchPerSec.toLocaleString('en')} msg/s`);
  console.log(`  kernel tell/dispatch   ${result.dispatchPerSec.toLocaleString('en')} msg/s (${ratio.toFixed(2)} x raw nact)`);
  console.log(`  kernel ask round trips ${result.askRoundTripsPerSec.toLocaleString('en')} asks/s`);
  console.log(JSON.stringify(result));
}
