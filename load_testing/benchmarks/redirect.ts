// B1–B3: redirect throughput and latency of real nodes with the realistic fixture, measured
// next to a baseline in the same run. The load generator is a child process (child-runner).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { probe } from '../probe.js';
import { startBaseline302 } from '../baseline-302.js';
import { runInChild } from '../child-runner.js';
import type { BenchNode } from '../cluster.js';
import type { HttpLoadReport } from '../report.js';
import { formatCount, formatMs } from '../report.js';
import type { LoadRequest } from '../scenarios.js';
import { httpReport } from '../summaries.js';
import type { SuiteContext } from './context.js';
import { verdictOf, type Benchmark, type BenchOutcome } from './types.js';

const CHILD_SLACK_MS = 120_000;
const CONNECTIONS = 100;

export interface RunSpec {
  label: string;
  target: string;
  requests: LoadRequest[];
  durationMs: number;
  connections?: number;
  rps?: number;
}

export async function measure(spec: RunSpec): Promise<HttpLoadReport> {
  const raw = await runInChild(
    {
      kind: 'http',
      spec: {
        target: spec.target,
        connections: spec.connections ?? CONNECTIONS,
        ...(spec.rps !== undefined ? { rps: spec.rps } : {}),
        durationMs: spec.durationMs,
        requests: spec.requests.map((r) => ({ path: r.path, ip: r.ip })),
      },
    },
    spec.durationMs + CHILD_SLACK_MS,
  );
  return httpReport(raw, { scenario: spec.label, target: spec.target, ...(spec.rps !== undefined ? { requestedRps: spec.rps } : {}) });
}

/** Transport errors, timeouts and 5xx answers: what counts as a failed request. */
export function failuresOf(report: HttpLoadReport): number {
  const fiveXx = Object.entries(report.statusCounts)
    .filter(([status]) => status.startsWith('5'))
    .reduce((sum, [, n]) => sum + n, 0);
  return report.errorTotal + fiveXx;
}

function brief(report: HttpLoadReport): Record<string, unknown> {
  return {
    achievedRps: Math.round(report.achievedRps),
    durationS: report.durationS,
    statusCounts: report.statusCounts,
    errors: report.errors,
    latency: report.latency,
    ...(report.uncorrected !== undefined ? { uncorrectedLatency: report.uncorrected } : {}),
    notes: report.notes,
  };
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

function unavailable(reason: string): BenchOutcome {
  return { verdict: 'skipped', summary: 'not measured', notes: [reason], details: {} };
}

export function b1(ctx: SuiteContext): Benchmark {
  return {
    id: 'B1',
    title: 'redirect throughput, 1 node, realistic fixture, closed loop, 100 connections',
    target: '>= 0.8 x bare Fastify 302',
    async run() {
      const redirect = await ctx.redirect();
      if (!redirect.ok) return unavailable(redirect.reason);
      const node = (await ctx.cluster(1)).nodes[0]!;
      const baseline = await startBaseline302();
      try {
        const durationMs = ctx.quick ? 5_000 : 10_000;
        const rounds = ctx.quick ? 1 : 2;
        const requests = redirect.fixture.requests;
        ctx.log('B1 warm-up (node and baseline, 3 s each)');
        await measure({ label: 'warm-up', target: node.api, requests, durationMs: 3_000 });
        await measure({ label: 'warm-up', target: baseline.url, requests, durationMs: 3_000 });
        const nodeRuns: HttpLoadReport[] = [];
        const baseRuns: HttpLoadReport[] = [];
        for (let round = 1; round <= rounds; round++) {
          ctx.log(`B1 round ${round}/${rounds}: node, then baseline (${durationMs / 1000} s each)`);
          nodeRuns.push(await measure({ label: 'B1 node', target: node.api, requests, durationMs }));
          baseRuns.push(await measure({ label: 'B1 baseline', target: baseline.url, requests, durationMs }));
        }
        const nodeRps = mean(nodeRuns.map((r) => r.achievedRps));
        const baseRps = mean(baseRuns.map((r) => r.achievedRps));
        const ratio = nodeRps / baseRps;
        const failures = nodeRuns.reduce((sum, r) => sum + failuresOf(r), 0);
        const notes = [
          `statuses of the node: ${JSON.stringify(nodeRuns[nodeRuns.length - 1]!.statusCounts)} (404 = the fixture has no edge/stream for that client and path)`,
        ];
        if (failures > 0) notes.push(`${failures} failed requests on the node (errors or 5xx)`);
        return {
          verdict: verdictOf(ratio >= 0.8 && failures === 0),
          summary:
            `node ${formatCount(nodeRps)} req/s vs baseline ${formatCount(baseRps)} req/s = ${ratio.toFixed(2)} x; ` +
            `p99 node ${formatMs(mean(nodeRuns.map((r) => r.latency.p99)))} ms, baseline ${formatMs(mean(baseRuns.map((r) => r.latency.p99)))} ms`,
          notes,
          details: { ratio, nodeRps, baselineRps: baseRps, rounds, durationMs, node: nodeRuns.map(brief), baseline: baseRuns.map(brief) },
        };
      } finally {
        await baseline.stop();
      }
    },
  };
}

export function b2(ctx: SuiteContext): Benchmark {
  const rate = 10_000;
  return {
    id: 'B2',
    title: `redirect latency at a fixed ${formatCount(rate)} req/s, 1 node`,
    target: 'p99 < 5 ms, 0 errors',
    async run() {
      const redirect = await ctx.redirect();
      if (!redirect.ok) return unavailable(redirect.reason);
      const node = (await ctx.cluster(1)).nodes[0]!;
      const durationMs = ctx.quick ? 10_000 : 30_000;
      ctx.log(`B2 ${formatCount(rate)} req/s for ${durationMs / 1000} s`);
      const report = await measure({ label: 'B2', target: node.api, requests: redirect.fixture.requests, durationMs, rps: rate });
      const failures = failuresOf(report);
      const reached = report.achievedRps >= rate * 0.95;
      const notes = [...report.notes];
      if (ctx.quick) notes.push(`--quick: ${durationMs / 1000} s instead of 30 s`);
      return {
        verdict: verdictOf(report.latency.p99 < 5 && failures === 0 && reached),
        summary:
          `achieved ${formatCount(report.achievedRps)} req/s; p50 ${formatMs(report.latency.p50)}, p99 ${formatMs(report.latency.p99)}, ` +
          `p99.9 ${formatMs(report.latency.p999)}, max ${formatMs(report.latency.maxMs)} ms; ${failures} errors`,
        notes,
        details: { requestedRps: rate, durationMs, connections: CONNECTIONS, ...brief(report) },
      };
    },
  };
}

const NGINX_SUPPORT = fileURLToPath(new URL('../../test/support/nginx.ts', import.meta.url));

/** What B3 uses of test/support/nginx.ts (loaded only if that file exists). */
interface NginxHarness {
  startNginx: (opts: { upstreams: string[] }) => Promise<{ httpPort: number; stop(): Promise<void> }>;
}

/** Waits until `node` answers a sample of requests like `reference` does (the model reached it). */
async function sameAnswers(node: BenchNode, reference: BenchNode, requests: LoadRequest[], timeoutMs: number): Promise<boolean> {
  const sample = requests.slice(0, 50);
  const statuses = async (n: BenchNode): Promise<string> => {
    const out: number[] = [];
    for (const r of sample) out.push((await probe(`${n.api}${r.path}`, { headers: { 'x-real-ip': r.ip } })).status);
    return out.join(',');
  };
  const want = await statuses(reference);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await statuses(node)) === want) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

export function b3(ctx: SuiteContext): Benchmark {
  return {
    id: 'B3',
    title: 'redirect throughput, 2 nodes behind Debian nginx (shipped config), closed loop, 100 connections',
    target: 'reported (vs 1 node without nginx)',
    async run() {
      if (!existsSync(NGINX_SUPPORT))
        return unavailable('test/support/nginx.ts does not exist: no nginx harness to run the shipped config with');
      const nginxBin = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
      if (!existsSync(nginxBin)) return unavailable(`nginx is not installed (${nginxBin})`);
      const redirect = await ctx.redirect();
      if (!redirect.ok) return unavailable(redirect.reason);
      const cluster = await ctx.cluster(2);
      const [first, second] = cluster.nodes as [BenchNode, BenchNode];
      if (!(await sameAnswers(second, first, redirect.fixture.requests, 20_000))) {
        return {
          verdict: 'error',
          summary: 'not measured',
          notes: [`${second.name} did not answer like ${first.name} within 20 s (the model did not reach it)`],
          details: {},
        };
      }
      const { startNginx } = (await import(NGINX_SUPPORT)) as NginxHarness;
      const nginx = await startNginx({ upstreams: cluster.nodes.slice(0, 2).map((n) => `127.0.0.1:${n.apiPort}`) });
      try {
        const durationMs = ctx.quick ? 5_000 : 10_000;
        const requests = redirect.fixture.requests;
        const viaNginx = `http://127.0.0.1:${nginx.httpPort}`;
        ctx.log('B3 warm-up through nginx (3 s)');
        await measure({ label: 'warm-up', target: viaNginx, requests, durationMs: 3_000 });
        ctx.log(`B3 one node direct, then 2 nodes via nginx (${durationMs / 1000} s each)`);
        const direct = await measure({ label: 'B3 one node direct', target: first.api, requests, durationMs });
        const proxied = await measure({ label: 'B3 nginx + 2 nodes', target: viaNginx, requests, durationMs });
        const ratio = proxied.achievedRps / direct.achievedRps;
        const notes = [
          'through nginx every client is 127.0.0.1 (nginx sets X-Real-IP to its peer), so the fixture carries a 127.0.0.0/8 subnet and every proxied request takes that one region',
          'nginx runs one worker process (test/support/nginx.ts) on the same 2 cores as both nodes and the load generator',
          `statuses via nginx: ${JSON.stringify(proxied.statusCounts)}; direct: ${JSON.stringify(direct.statusCounts)}`,
        ];
        const failures = failuresOf(proxied);
        if (failures > 0) notes.push(`${failures} failed requests via nginx (errors or 5xx)`);
        return {
          verdict: failures === 0 ? 'reported' : 'fail',
          summary:
            `nginx + 2 nodes ${formatCount(proxied.achievedRps)} req/s (p99 ${formatMs(proxied.latency.p99)} ms) vs ` +
            `1 node direct ${formatCount(direct.achievedRps)} req/s (p99 ${formatMs(direct.latency.p99)} ms) = ${ratio.toFixed(2)} x`,
          notes,
          details: { ratio, durationMs, viaNginx: brief(proxied), direct: brief(direct) },
        };
      } finally {
        await nginx.stop();
      }
    },
  };
}
