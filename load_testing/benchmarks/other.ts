// B6 rejoin under load, B8 the actor kernel (B7, video search, is in video.ts).
import { AdminClient, putDomain } from '../../bin/ctl/admin-client.js';
import { probe } from '../probe.js';
import { benchKernel } from '../bench-kernel.js';
import { startRateLoad } from '../rate-load.js';
import { generateDomainModel } from '../fixture-model.js';
import { rssBytes } from '../cluster.js';
import { watchNodeMetrics, type NodeMetricsSummary } from '../node-metrics.js';
import { formatCount, formatMs } from '../report.js';
import { scenarioRequests, type LoadRequest } from '../scenarios.js';
import { httpReport } from '../summaries.js';
import type { SuiteContext } from './context.js';
import { verdictOf, type Benchmark } from './types.js';
import { DEFAULT_DOMAIN_BODY_LIMIT_MB, MAX_DOMAIN_BODY_LIMIT_MB } from '../../domain/config.js';
import { errorText } from '../../domain/errors.js';
import type { DomainModel } from '../../domain/routing/entities.js';
import { waitForQuietMachine } from '../quiet-machine.js';
import { SPARE_WORKER_DELAY_MS } from '../../actors/routing/domain-model/generations.js';

/**
 * After a PUT the writer boots its spare validation worker (SPARE_WORKER_DELAY_MS later, ~1 s of
 * CPU at niceness 10): a window starts only once that boot had this long to finish.
 */
const SPARE_WORKER_BOOT_MS = 2_000;

const REJOIN_PATH = '/api/v1/cluster/rejoin';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface RejoinJob {
  state: 'running' | 'succeeded' | 'failed';
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  counts?: Record<string, number>;
  steps?: unknown[];
  rebuildTimings?: Record<string, number>;
  nodeTimings?: Record<string, { readMs: number; buildMs: number }>;
}

/** Answers other than 302, and transport errors. */
function nonRedirects(report: ReturnType<typeof httpReport>): number {
  return (
    report.errorTotal +
    Object.entries(report.statusCounts)
      .filter(([s]) => s !== '302')
      .reduce((sum, [, n]) => sum + n, 0)
  );
}

async function json<T>(url: string, init: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

interface LoadedNode {
  node: { api: string };
  nodes: ReadonlyArray<{ name: string; admin: string; pid?: number | undefined }>;
  token: string;
  requests: readonly LoadRequest[];
  rate: number;
}

interface LoadWindow<T> {
  outcome: T | undefined;
  error?: string;
  report: ReturnType<typeof httpReport>;
  failed: number;
  shed: number;
  lagMaxMs: number;
  nodeMetrics: NodeMetricsSummary[];
}

/**
 * The redirect generator (rategen, load_testing/rate-load.ts) runs at the nodes' own priority:
 * a niced generator on saturated cores measures its own wait for a CPU (niceness 10 read a
 * p99 of 32 ms where the server answered within 5 ms; docs/performance.md, "B6: the generator").
 * It needs ~10–20 % of a core; autocannon needed ~30 %.
 */
const GENERATOR_NICENESS = 0;

/** The generator's first second (its connections opening) is sent but not counted. */
const GENERATOR_WARMUP_MS = 1_000;

/** Runs `work` while `rate` redirects/s (at most `maxMs`) go to the node; what they got meanwhile. */
async function underRedirectLoad<T>(
  opts: LoadedNode & { maxMs: number; scenario: string },
  work: () => Promise<T>,
): Promise<LoadWindow<T>> {
  const load = startRateLoad(
    {
      target: opts.node.api,
      connections: 50,
      rps: opts.rate,
      durationMs: opts.maxMs,
      requests: opts.requests,
      warmupMs: GENERATOR_WARMUP_MS,
    },
    { niceness: GENERATOR_NICENESS },
  );
  const watch = watchNodeMetrics(opts.nodes, opts.token);
  let outcome: T | undefined;
  let error: string | undefined;
  try {
    outcome = await work();
  } catch (err) {
    error = errorText(err);
  } finally {
    load.release();
  }
  const nodeMetrics = await watch.stop();
  const report = httpReport(await load.result, { scenario: opts.scenario, target: opts.node.api, requestedRps: opts.rate });
  return {
    outcome,
    ...(error !== undefined ? { error } : {}),
    report,
    failed: nonRedirects(report),
    shed: nodeMetrics.reduce((sum, m) => sum + (m.shed ?? 0), 0),
    lagMaxMs: Math.max(0, ...nodeMetrics.map((m) => m.lagMaxMs ?? 0)),
    nodeMetrics,
  };
}

const QUIET_WINDOW_MS = 10_000;

const formatRss = (bytes: number | undefined): string => (bytes === undefined ? 'unknown' : `${Math.round(bytes / 1048576)} MiB`);

/** Each node's lag max, and how long the OS kept it off a CPU (at most, within 100 ms; in all). */
function lagPerNode(nodeMetrics: readonly NodeMetricsSummary[]): string {
  return nodeMetrics
    .map((m) => {
      const lag = m.lagMaxMs === undefined ? 'not scraped' : `${formatMs(m.lagMaxMs)} ms`;
      const wait = m.runQueueWait;
      return wait === undefined
        ? `${m.node} ${lag}`
        : `${m.node} ${lag} (waited for a CPU up to ${formatMs(wait.maxPer100Ms)} ms in 100 ms, ${formatMs(wait.totalMs)} ms in all)`;
    })
    .join(', ');
}

function quietText(window: LoadWindow<unknown>): string {
  return (
    `${formatCount(window.failed)} non-302 of ${formatCount(window.report.requests)}, p99 ${formatMs(window.report.latency.p99)} ms, lag max ` +
    lagPerNode(window.nodeMetrics)
  );
}

/** Records of the default B6 model (subnets, servers, channels, programme records and what they imply). */
const B6_DEFAULT_RECORDS = 112_975;

/** JSON bytes of a B6 model record in the PUT body, with room to spare (956 984 records are ~230 MB). */
const B6_BODY_BYTES_PER_RECORD = 400;

/** The member's default heap (cluster/hazelcast/member.ts), enough for the default model. */
const B6_MIN_HAZELCAST_HEAP_MIB = 512;

/**
 * What B6's cluster needs for its model: a `PUT /api/v1/domain` body limit it fits in
 * (docs/api.md), and a Hazelcast heap for two generations of its snapshot chunks at once (the
 * old one serves until the rejoin's new one is complete) plus the change log.
 */
export function b6ClusterNeeds(targetRecords?: number): { nodeEnv: Record<string, string>; hazelcastHeap: string } {
  const mib = Math.ceil(((targetRecords ?? B6_DEFAULT_RECORDS) * B6_BODY_BYTES_PER_RECORD) / (1024 * 1024));
  const bodyLimitMib = Math.min(MAX_DOMAIN_BODY_LIMIT_MB, Math.max(DEFAULT_DOMAIN_BODY_LIMIT_MB, mib));
  return {
    nodeEnv: { DOMAIN_BODY_LIMIT_MB: String(bodyLimitMib) },
    hazelcastHeap: `${Math.max(B6_MIN_HAZELCAST_HEAP_MIB, 4 * bodyLimitMib)}m`,
  };
}

/** The B6 model; `scale` multiplies its subnets and programme records. */
export function b6Model(scale = 1): DomainModel {
  return generateDomainModel({
    seed: 3,
    subnets: Math.round(20_000 * scale),
    servers: 500,
    channels: 1_000,
    records: Math.round(70_000 * scale),
  });
}

/** Requests of B6's mix that redirect on `api` now (waiting up to 30 s for the model to serve); none when none do. */
export async function redirectingRequests(api: string, model: DomainModel): Promise<LoadRequest[]> {
  const candidates = scenarioRequests('requests', model, 2_000, 11).slice(0, 500);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const requests: LoadRequest[] = [];
    for (const r of candidates) {
      if ((await probe(`${api}${r.path}`, { headers: { 'x-real-ip': r.ip } })).status === 302) requests.push(r);
    }
    if (requests.length > 0 || Date.now() >= deadline) return requests;
    await sleep(500);
  }
}

/**
 * B6; `targetRecords` scales the model's subnets and programme records (the 1 000 000-record
 * stretch), and then skips the second PUT under load, which would take minutes at that size.
 */
export function b6(ctx: SuiteContext, targetRecords?: number): Benchmark {
  const scale = (targetRecords ?? B6_DEFAULT_RECORDS) / B6_DEFAULT_RECORDS;
  return {
    id: 'B6',
    title: 'rejoin: rebuild a ~100 000-record domain model while serving redirects',
    target: 'rejoin < 10 s, 0 failed and 0 shed, lag max < 50 ms, p99 < 20 ms; PUT < 15 s',
    async run() {
      const single = await ctx.cluster(1);
      const first = new AdminClient(single.nodes[0]!.admin, { token: await single.token() });
      if (!(await first.offers('POST', REJOIN_PATH))) {
        return { verdict: 'not implemented', summary: `POST ${REJOIN_PATH} does not exist yet`, notes: [], details: {} };
      }
      const cluster = await ctx.cluster(2);
      const node = cluster.nodes[0]!;
      const token = await cluster.token();
      const model = b6Model(scale);
      const records = (Object.values(model) as Array<readonly unknown[]>).reduce((sum, list) => sum + list.length, 0);
      ctx.log(`B6 loading a ${formatCount(records)}-record model`);
      const putStarted = performance.now();
      await putDomain(new AdminClient(node.admin, { token }), model, 1_800_000);
      let lastPutEnded = performance.now();
      const putSeconds = (lastPutEnded - putStarted) / 1000;
      ctx.log(`B6 PUT /api/v1/domain took ${putSeconds.toFixed(0)} s`);

      // Only requests that redirect now: during the rejoin each of them must still redirect.
      const requests = await redirectingRequests(node.api, model);
      if (requests.length === 0)
        return { verdict: 'error', summary: 'not measured', notes: ['no request redirected after loading the model'], details: {} };

      const rate = 1_000;
      // Each measured window starts once the background work of the PUT before it (look-up
      // indexes, the spare validation worker's boot) is over: the window measures its own subject.
      const settle = async (window: string): Promise<void> => {
        await sleep(Math.max(0, lastPutEnded + SPARE_WORKER_DELAY_MS + SPARE_WORKER_BOOT_MS - performance.now()));
        const waited = await waitForQuietMachine();
        if (waited !== undefined)
          ctx.log(`B6 machine ${waited.quiet ? 'quiet' : 'still busy'} after ${waited.waitedMs} ms; measuring ${window}`);
      };
      // The same model PUT again while redirects run: the bulk replace must not disturb them.
      const loaded = { node, nodes: cluster.nodes, token, requests, rate };
      // The same load with nothing else going on: what the lag and p99 of a rejoin compare with.
      await settle('the load alone');
      const quiet = await underRedirectLoad({ ...loaded, maxMs: QUIET_WINDOW_MS, scenario: 'B6 quiet' }, () => sleep(QUIET_WINDOW_MS));
      ctx.log(`B6 ${QUIET_WINDOW_MS / 1000} s of load alone: ${quietText(quiet)}`);
      const putLoadMs = ctx.quick ? 240_000 : 300_000;
      if (targetRecords === undefined)
        ctx.log(`B6 PUT /api/v1/domain again under ${formatCount(rate)} req/s (at most ${putLoadMs / 1000} s)`);
      // At a scaled size (the stretch) the second PUT would take minutes: no window for it at all.
      const put =
        targetRecords === undefined
          ? await underRedirectLoad({ ...loaded, maxMs: putLoadMs, scenario: 'B6 PUT' }, async () => {
              await sleep(2_000);
              const started = performance.now();
              await putDomain(new AdminClient(node.admin, { token }), model, putLoadMs);
              lastPutEnded = performance.now();
              const took = (lastPutEnded - started) / 1000;
              await sleep(2_000);
              return took;
            })
          : undefined;
      const secondPutSeconds = put?.outcome;
      ctx.log(
        put === undefined
          ? `B6 second PUT skipped (--b6-records ${targetRecords})`
          : `B6 second PUT ${secondPutSeconds === undefined ? 'failed' : `${secondPutSeconds.toFixed(0)} s`}; ${put.failed} non-302`,
      );

      // The load runs until the job has ended (then 2 s more), up to loadMs.
      const loadMs = ctx.quick ? 90_000 : 180_000;
      await settle('the rejoin');
      ctx.log(`B6 ${formatCount(rate)} req/s until the rejoin has finished (at most ${loadMs / 1000} s), rejoin after 3 s`);
      const rejoin = await underRedirectLoad({ ...loaded, maxMs: loadMs, scenario: 'B6' }, async () => {
        await sleep(3_000);
        const started = await json<{ jobId?: string }>(`${node.admin}${REJOIN_PATH}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        if (started.status !== 202 || typeof started.body.jobId !== 'string')
          throw new Error(`POST ${REJOIN_PATH} answered ${started.status}`);
        let finished: RejoinJob | undefined;
        const until = Date.now() + loadMs - 10_000;
        while (Date.now() < until) {
          const answer = await json<RejoinJob>(`${node.admin}/api/v1/cluster/jobs/${started.body.jobId}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          if (answer.status === 200 && answer.body.state !== 'running') {
            finished = answer.body;
            break;
          }
          await sleep(250);
        }
        await sleep(2_000);
        return finished;
      });
      const job = rejoin.outcome;
      const rss = await Promise.all(cluster.nodes.map(async (n) => `${n.name} ${formatRss(await rssBytes(n.pid))}`));
      const pollError = rejoin.error;
      const { report, failed, shed, lagMaxMs, nodeMetrics } = rejoin;
      const seconds =
        job?.startedAt !== undefined && job.finishedAt !== undefined
          ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000
          : undefined;
      const notes: string[] = [
        `${formatCount(records)} records (PUT /api/v1/domain of them took ${putSeconds.toFixed(0)} s); ${formatCount(rate)} req/s on ${node.name} from 3 s before the rejoin to 2 s after it (${report.durationS.toFixed(0)} s)`,
      ];
      notes.push(
        `non-302: ${formatCount(failed)}, of them shed by the load shedder: ${formatCount(shed)}; event-loop lag max per node: ` +
          lagPerNode(nodeMetrics),
      );
      notes.push(`the same load for ${QUIET_WINDOW_MS / 1000} s with no rejoin or PUT: ${quietText(quiet)}`);
      notes.push(
        put === undefined
          ? `PUT of the same model again under ${formatCount(rate)} req/s: skipped at this size (--b6-records ${targetRecords})`
          : `PUT of the same model again under ${formatCount(rate)} req/s: ${secondPutSeconds === undefined ? `failed (${put.error ?? 'no reason'})` : `${secondPutSeconds.toFixed(1)} s`}; ` +
              `${formatCount(put.failed)} non-302 (${formatCount(put.shed)} shed) of ${formatCount(put.report.requests)}, p99 ${formatMs(put.report.latency.p99)} ms, lag max ${formatMs(put.lagMaxMs)} ms`,
      );
      notes.push(`RSS per node after the rejoin: ${rss.join(', ')}`);
      if (job?.steps !== undefined) notes.push(`rejoin steps: ${JSON.stringify(job.steps)}`);
      if (job?.rebuildTimings !== undefined) notes.push(`rebuild phases (ms): ${JSON.stringify(job.rebuildTimings)}`);
      if (job?.nodeTimings !== undefined) notes.push(`view load per node (ms): ${JSON.stringify(job.nodeTimings)}`);
      if (pollError !== undefined) notes.push(`rejoin: ${pollError}`);
      if (job === undefined && pollError === undefined) notes.push(`the rejoin job did not finish within ${(loadMs - 13_000) / 1000} s`);
      if (job?.state === 'failed') notes.push(`the rejoin job failed: ${job.error ?? 'no reason given'}`);
      return {
        verdict: verdictOf(
          job?.state === 'succeeded' &&
            seconds !== undefined &&
            seconds < 10 &&
            failed === 0 &&
            lagMaxMs < 50 &&
            report.latency.p99 < 20 &&
            putSeconds < 15 &&
            // The stretch has no second PUT: its verdict is the rejoin's and the first PUT's.
            (put === undefined || (secondPutSeconds !== undefined && secondPutSeconds < 15 && put.failed === 0)),
        ),
        summary:
          `rejoin ${seconds === undefined ? 'did not finish' : `${seconds.toFixed(1)} s`}; ${formatCount(failed)} failed (${formatCount(shed)} shed) of ${formatCount(report.requests)} redirects (p99 ${formatMs(report.latency.p99)} ms, lag max ${formatMs(lagMaxMs)} ms); ` +
          `PUT ${putSeconds.toFixed(1)} s, ` +
          (put === undefined
            ? 'no second PUT at this size'
            : `again under load ${secondPutSeconds === undefined ? 'failed' : `${secondPutSeconds.toFixed(1)} s`} with ${formatCount(put.failed)} failed (lag max ${formatMs(put.lagMaxMs)} ms)`),
        notes,
        details: {
          records,
          putSeconds,
          secondPutSeconds,
          quiet: { failed: quiet.failed, shed: quiet.shed, latency: quiet.report.latency, nodeMetrics: quiet.nodeMetrics },
          putUnderLoad:
            put === undefined
              ? null
              : {
                  failed: put.failed,
                  shed: put.shed,
                  lagMaxMs: put.lagMaxMs,
                  statusCounts: put.report.statusCounts,
                  latency: put.report.latency,
                  nodeMetrics: put.nodeMetrics,
                },
          seconds,
          rss,
          job,
          nodeMetrics,
          shed,
          lagMaxMs,
          statusCounts: report.statusCounts,
          errors: report.errors,
          latency: report.latency,
        },
      };
    },
  };
}

export function b8(ctx: SuiteContext): Benchmark {
  return {
    id: 'B8',
    title: 'actor kernel: ask round trips and dispatch rate (in-process)',
    target: 'reported (vs raw nact dispatch)',
    async run() {
      const result = await benchKernel(ctx.quick ? { rounds: 1, messages: 50_000, asks: 20_000 } : {});
      const ratio = result.dispatchPerSec / result.rawNactDispatchPerSec;
      return {
        verdict: 'reported',
        summary:
          `kernel dispatch ${formatCount(result.dispatchPerSec)} msg/s = ${ratio.toFixed(2)} x raw nact (${formatCount(result.rawNactDispatchPerSec)} msg/s); ` +
          `ask ${formatCount(result.askRoundTripsPerSec)} round trips/s`,
        notes: ['best of the rounds; 1 000 asks in flight'],
        details: { ...result, ratio },
      };
    },
  };
}
