// `npm run bench [-- B1 B4 --quick]`: the benchmark suite of docs/performance.md. Starts what
// it needs on free loopback ports (FerretDB, a Hazelcast member, nodes, a baseline server,
// nginx, load processes), stops all of it, prints a table and writes JSON results.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { b5 } from './benchmarks/chat.js';
import { b4 } from './benchmarks/chat-capacity.js';
import { createSuiteContext } from './benchmarks/context.js';
import { b6, b6ClusterNeeds, b8 } from './benchmarks/other.js';
import { b7Video } from './benchmarks/video.js';
import { b9 } from './benchmarks/hosts.js';
import { b1, b2, b3 } from './benchmarks/redirect.js';
import type { Benchmark, BenchResult } from './benchmarks/types.js';
import { announceMachine, parseCommandLine, runMain, writeOut } from './cli.js';
import { killAllChildren } from './child-runner.js';
import { BENCH_USAGE, parseBenchArgs, type BenchmarkId } from './options.js';
import { textTable } from './report.js';
import { errorText } from '../domain/errors.js';

/** B8 first: it is in-process and wants a quiet machine, before any server starts. */
const RUN_ORDER: BenchmarkId[] = ['B8', 'B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B9'];

function resultsTable(results: BenchResult[]): string {
  return textTable([['#', 'verdict', 'result', 'target'], ...results.map((r) => [r.id, r.verdict, r.summary, r.target])]);
}

const stamp = (): string => new Date().toISOString().slice(11, 19);

async function main(argv: string[]): Promise<number> {
  const options = parseCommandLine(argv, BENCH_USAGE, parseBenchArgs);
  if (typeof options === 'number') return options;

  const machine = await announceMachine();
  console.log(`benchmarks: ${options.benchmarks.join(' ')}${options.quick ? ' (--quick)' : ''}\n`);

  const log = (line: string): void => console.log(`[${stamp()}] ${line}`);
  const ctx = createSuiteContext({
    quick: options.quick,
    log,
    verbose: process.env.BENCH_VERBOSE === '1',
    ...(options.benchmarks.includes('B6') ? b6ClusterNeeds(options.b6Records) : {}),
  });
  const suite: Record<BenchmarkId, Benchmark> = {
    B1: b1(ctx),
    B2: b2(ctx),
    B3: b3(ctx),
    B4: b4(ctx),
    B5: b5(ctx),
    B6: b6(ctx, options.b6Records),
    B7: b7Video(ctx),
    B8: b8(ctx),
    B9: b9(log),
  };

  let stopping = false;
  const cleanUp = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    killAllChildren();
    await ctx.close().catch((error: unknown) => console.error(`cleanup: ${errorText(error)}`));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping everything the suite started`);
      void cleanUp().then(() => process.exit(130));
    });
  }

  const results: BenchResult[] = [];
  const started = new Date().toISOString();
  try {
    for (const id of RUN_ORDER.filter((b) => options.benchmarks.includes(b))) {
      const bench = suite[id];
      const loadAverage = Math.round(loadavg()[0]! * 100) / 100;
      log(`${id} ${bench.title} (load average ${loadAverage})`);
      const t0 = performance.now();
      let result: BenchResult;
      try {
        const outcome = await bench.run();
        result = { id, title: bench.title, target: bench.target, loadAverage, seconds: 0, ...outcome };
      } catch (error) {
        result = {
          id,
          title: bench.title,
          target: bench.target,
          loadAverage,
          seconds: 0,
          verdict: 'error',
          summary: 'not measured',
          notes: [errorText(error)],
          details: {},
        };
      }
      result.seconds = Math.round((performance.now() - t0) / 100) / 10;
      log(`${id} ${result.verdict}: ${result.summary}`);
      for (const note of result.notes) log(`${id}   ${note}`);
      results.push(result);
    }
  } finally {
    log('stopping the cluster and every helper process');
    await cleanUp();
  }

  results.sort((a, b) => a.id.localeCompare(b.id));
  console.log(`\n${resultsTable(results)}\n`);
  const document = {
    startedAt: started,
    finishedAt: new Date().toISOString(),
    quick: options.quick,
    command: argv.length === 0 ? 'npm run bench' : `npm run bench -- ${argv.join(' ')}`,
    machine,
    results,
  };
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const latest = join(options.outDir, 'latest.json');
  await writeOut(latest, text);
  await writeOut(join(options.outDir, `bench-${started.replace(/[:.]/g, '-')}.json`), text);
  console.log(`results: ${latest}`);
  return results.some((r) => r.verdict === 'error') ? 1 : 0;
}

runMain(main, { mainHandlesSignals: true });
