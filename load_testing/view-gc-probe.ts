// How much young-generation GC each step of a view load causes (issue 10), in one process with
// nothing else running: the B6 model as snapshot chunks, then per round the chunks parsed, the
// records put in a ModelMirror, the model taken from it and the routing view built (unsliced),
// each step's wall time and scavenges (count, total, over 10 ms, longest). Two rounds stay
// alive at a time, as on a node holding the served view while it loads the next. Then the
// view's parts built alone (subnets, catch-up, live) from the same model.
//   node --v8-pool-size=1 --import tsx load_testing/view-gc-probe.ts [--rounds 3]
import { PerformanceObserver, constants, type NodeGCPerformanceDetail } from 'node:perf_hooks';
import { b6Model } from './benchmarks/other.js';
import { ChunkAccumulator, splitChunk, type ModelChunk } from '../domain/routing/model-chunks.js';
import {
  COLLECTIONS,
  COLLECTION_NAMES,
  type AnyEntity,
  type CollectionName,
  type DomainModel,
  type ModelKey,
} from '../domain/routing/entities.js';
import { ModelMirror } from '../actors/routing/model-mirror.js';
import { buildRoutingView, type RoutingView } from '../actors/routing/view.js';

const roundsAt = process.argv.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 3;

/** The B6 model as the chunks of a cluster snapshot (records stamped as the store stamps them). */
function snapshotChunks(model: DomainModel): ModelChunk[] {
  const stamp = new Date().toISOString();
  const chunks: ModelChunk[] = [];
  const accumulator = new ChunkAccumulator();
  let n = 0;
  for (const collection of COLLECTION_NAMES) {
    for (const record of model[COLLECTIONS[collection].key] as readonly AnyEntity[]) {
      const stored = { ...record, createdAt: stamp, updatedAt: stamp, version: (n++ % 7) + 1 };
      chunks.push(...accumulator.push(collection, JSON.stringify(stored)));
    }
  }
  const last = accumulator.end();
  if (last !== undefined) chunks.push(last);
  return chunks;
}

interface Scavenges {
  count: number;
  ms: number;
  over10: number;
  longest: number;
}
let scavenges: Scavenges = { count: 0, ms: 0, over10: 0, longest: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const detail = (entry as { detail?: NodeGCPerformanceDetail }).detail;
    if (detail?.kind !== constants.NODE_PERFORMANCE_GC_MINOR) continue;
    scavenges.count++;
    scavenges.ms += entry.duration;
    if (entry.duration > 10) scavenges.over10++;
    scavenges.longest = Math.max(scavenges.longest, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs one step and prints its wall time and the scavenges within it (GC entries arrive a turn later). */
async function step<T>(name: string, run: () => T | Promise<T>): Promise<T> {
  await turn();
  scavenges = { count: 0, ms: 0, over10: 0, longest: 0 };
  const started = performance.now();
  const result = await run();
  const ms = performance.now() - started;
  await turn();
  await turn();
  const s = scavenges;
  console.log(
    `${name.padEnd(9)} ${ms.toFixed(0).padStart(5)} ms; scavenges ${s.count}, ${s.ms.toFixed(0)} ms, ${s.over10} over 10 ms, longest ${s.longest.toFixed(1)} ms`,
  );
  return result;
}

const model = b6Model();
const chunks = snapshotChunks(model);
const alive: Array<{ mirror: ModelMirror; view: RoutingView }> = [];
for (let round = 0; round < rounds; round++) {
  const parsed = await step('parse', async () => {
    const out: Array<{ collection: CollectionName; records: AnyEntity[] }> = [];
    for (const chunk of chunks) {
      const { collection, lines } = splitChunk(chunk.text)!;
      out.push({ collection, records: lines.map((line) => JSON.parse(line) as AnyEntity) });
      await turn();
    }
    return out;
  });
  const mirror = await step('mirror', () => {
    const m = new ModelMirror();
    for (const { collection, records } of parsed) m.addRecords(collection, records);
    return m;
  });
  const mirrored = await step('toModel', () => mirror.toModel());
  const view = await step('view', () => buildRoutingView(mirrored, round));
  alive[round % 2] = { mirror, view };
  console.log(`round ${round + 1}: heap used ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB`);
}

/** The model with only `keep` (and the edges every part reads) left. */
function only(keep: readonly ModelKey[]): DomainModel {
  const base = alive[0]!.view.model;
  const edges: readonly ModelKey[] = ['regions', 'serverGroups', 'servers'];
  const parts = Object.fromEntries(
    (Object.keys(base) as ModelKey[]).map((key) => [key, keep.includes(key) || edges.includes(key) ? base[key] : []]),
  );
  return parts as unknown as DomainModel;
}
const partViews: RoutingView[] = [];
partViews.push(await step('subnets', () => buildRoutingView(only(['subnets']), 0)));
partViews.push(await step('catch-up', () => buildRoutingView(only(['programs', 'programRecords']), 0)));
partViews.push(await step('live', () => buildRoutingView(only(['linearChannels', 'tvStreams']), 0)));
console.log(`part views held: ${partViews.length}`);
