// Where the event-loop lag of B6's quiet window comes from (issue 10): the B6 cluster and model,
// then windows of 1 000 redirects/s on the first node with nothing else going on. Per window and
// node: the lag max B6 reads (beamstack_event_loop_lag_max_seconds, scraped every 0.5 s), CPU
// and run-queue wait of the main thread (/proc/<pid>/task/<pid>/schedstat), GC pauses from the
// node's default metrics (nodejs_gc_duration_seconds), RSS and heap; the load generator's CPU.
//   npx tsx load_testing/lag-probe.ts [--windows 3] [--window-ms 10000] [--no-scrape] [--rate 1000]
//     [--nice 0] (the generator's niceness, as in B6) [--generator rategen|autocannon|alternate|both]
//     [--rejoin] (a rejoin 3 s into every window
//     after the first) [--gc-check] (each node's heap before and after a forced full GC)
// CPU_PROF_DIR=<dir> profiles the nodes (bin/stack/node-process.ts); PROBE_TIMELINE=1 prints each
// window's answers and latency max per second. Run it under the bench lock.
import { readdirSync, readFileSync } from 'node:fs';
import { AdminClient, putDomain } from '../bin/ctl/admin-client.js';
import { b6ClusterNeeds, b6Model, redirectingRequests } from './benchmarks/other.js';
import { startChildTask } from './child-runner.js';
import { startRateLoad } from './rate-load.js';
import { startCluster, rssBytes } from './cluster.js';
import { metric, watchNodeMetrics } from './node-metrics.js';
import { httpReport } from './summaries.js';
import { machineCpuTicks } from './quiet-machine.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const windows = option('--windows', 3);
const windowMs = option('--window-ms', 10_000);
const rate = option('--rate', 1_000);
const scrapeMetrics = !args.includes('--no-scrape');
/**
 * `--generator rategen|autocannon|alternate|both`: B6's rategen (the default), autocannon,
 * alternating windows (autocannon first), or both at once with half the rate each.
 */
const generatorChoice = args.includes('--generator') ? args[args.indexOf('--generator') + 1] : 'rategen';
function generatorOf(window: number): 'autocannon' | 'rategen' {
  if (generatorChoice === 'alternate') return window % 2 === 0 ? 'autocannon' : 'rategen';
  return generatorChoice === 'autocannon' ? 'autocannon' : 'rategen';
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ThreadSample {
  cpuMs: number;
  waitMs: number;
}

/** Run time and run-queue wait of a thread (ns in schedstat). */
function schedstat(pid: number, tid = pid): ThreadSample | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ');
    return { cpuMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 };
  } catch {
    return undefined;
  }
}

/** Every thread of a process (CPU and wait summed). */
function processSched(pid: number): ThreadSample | undefined {
  try {
    const total = { cpuMs: 0, waitMs: 0 };
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const s = schedstat(pid, Number(tid));
      if (s === undefined) continue;
      total.cpuMs += s.cpuMs;
      total.waitMs += s.waitMs;
    }
    return total;
  } catch {
    return undefined;
  }
}

/** Largest run-queue wait of the main thread within any 100 ms, sampled. */
function watchWaits(pids: number[]): { stop(): number[] } {
  const last = pids.map((p) => schedstat(p));
  const worst = pids.map(() => 0);
  const timer = setInterval(() => {
    pids.forEach((p, i) => {
      const s = schedstat(p);
      const before = last[i];
      if (s !== undefined && before !== undefined) worst[i] = Math.max(worst[i]!, s.waitMs - before.waitMs);
      last[i] = s;
    });
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return worst;
    },
  };
}

/** CPU ms of every process on the machine (utime + stime, clock ticks of 10 ms). */
function allProcessCpu(): Map<number, { name: string; cpuMs: number }> {
  const out = new Map<number, { name: string; cpuMs: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 90);
      out.set(Number(entry), { name: cmd, cpuMs: (Number(fields[11]) + Number(fields[12])) * 10 });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function topConsumers(a: ReturnType<typeof allProcessCpu>, b: ReturnType<typeof allProcessCpu>, ms: number): string {
  return [...b.entries()]
    .map(([pid, v]) => ({ pid, name: v.name, pct: ((v.cpuMs - (a.get(pid)?.cpuMs ?? 0)) / ms) * 100 }))
    .filter((x) => x.pct >= 2)
    .sort((x, y) => y.pct - x.pct)
    .map((x) => `${x.pct.toFixed(0)} % ${x.pid} ${x.name}`)
    .join('\n    ');
}

async function scrape(admin: string, token: string): Promise<string> {
  const res = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  return res.text();
}

/** nodejs_gc_duration_seconds per kind: count, sum, and how many took more than 10 ms. */
function gcOf(text: string): Record<string, { count: number; sumMs: number; over10ms: number }> {
  const out: Record<string, { count: number; sumMs: number; over10ms: number }> = {};
  for (const kind of ['major', 'minor', 'incremental', 'weakcb']) {
    const count = Number(new RegExp(`^nodejs_gc_duration_seconds_count\\{[^}]*kind="${kind}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const sum = Number(new RegExp(`^nodejs_gc_duration_seconds_sum\\{[^}]*kind="${kind}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const le10 = Number(
      new RegExp(`^nodejs_gc_duration_seconds_bucket\\{[^}]*le="0.01"[^}]*kind="${kind}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ??
        new RegExp(`^nodejs_gc_duration_seconds_bucket\\{[^}]*kind="${kind}"[^}]*le="0.01"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ??
        0,
    );
    out[kind] = { count, sumMs: sum * 1000, over10ms: count - le10 };
  }
  return out;
}

function gcDelta(a: ReturnType<typeof gcOf>, b: ReturnType<typeof gcOf>): string {
  return Object.keys(b)
    .map((k) => {
      const d = { count: b[k]!.count - a[k]!.count, sumMs: b[k]!.sumMs - a[k]!.sumMs, over: b[k]!.over10ms - a[k]!.over10ms };
      return d.count === 0 ? '' : `${k} ${d.count}× ${d.sumMs.toFixed(0)} ms (${d.over} >10 ms)`;
    })
    .filter((s) => s !== '')
    .join(', ');
}

/** Heap used after a forced full GC (through the inspector, opened with SIGUSR1 and closed again). */
async function heapAfterFullGc(pid: number): Promise<string> {
  process.kill(pid, 'SIGUSR1');
  await sleep(1_000);
  const [target] = (await (await fetch('http://127.0.0.1:9229/json/list')).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const { WebSocket } = await import('ws');
  const socket = new WebSocket(target!.webSocketDebuggerUrl);
  await new Promise((resolve) => socket.once('open', resolve));
  let id = 0;
  const call = (method: string, params: object = {}): Promise<{ result?: { result?: { value?: unknown } } }> =>
    new Promise((resolve) => {
      const mine = ++id;
      const onMessage = (data: Buffer): void => {
        const message = JSON.parse(data.toString()) as { id?: number };
        if (message.id === mine) {
          socket.off('message', onMessage);
          resolve(message as { result?: { result?: { value?: unknown } } });
        }
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id: mine, method, params }));
    });
  const mem = async (): Promise<string> =>
    String((await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())' })).result?.result?.value);
  const before = await mem();
  await call('HeapProfiler.collectGarbage');
  const after = await mem();
  await call('Runtime.evaluate', { expression: "import('node:inspector').then((i) => i.close())", awaitPromise: true });
  socket.close();
  await sleep(500);
  return `before ${before}, after ${after}`;
}

async function main(): Promise<void> {
  const needs = b6ClusterNeeds();
  const cluster = await startCluster({
    nodes: 2,
    env: needs.nodeEnv,
    hazelcastHeap: needs.hazelcastHeap,
    log: (l) => console.log(l),
    verbose: process.env.LAG_TRACE === '1',
  });
  try {
    const node = cluster.nodes[0]!;
    const token = await cluster.token();
    const model = b6Model();
    const t0 = performance.now();
    await putDomain(new AdminClient(node.admin, { token }), model, 1_800_000);
    console.log(`PUT ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const requests = await redirectingRequests(node.api, model);
    const rss = await Promise.all(cluster.nodes.map(async (n) => `${Math.round(((await rssBytes(n.pid)) ?? 0) / 1048576)} MiB`));
    console.log(`${requests.length} redirecting requests; RSS ${rss.join(', ')}`);
    for (let w = 0; w < windows; w++) {
      const pids = cluster.nodes.map((n) => n.pid!);
      console.log(`window ${w + 1} starts at monotonic ${process.hrtime.bigint() / 1000n} µs; pids ${pids.join(' ')}`);
      const gcBefore = await Promise.all(cluster.nodes.map((n) => scrape(n.admin, token).then(gcOf)));
      const engine = generatorOf(w);
      const spec = { target: node.api, connections: 50, rps: rate, durationMs: windowMs, requests };
      const niceness = option('--nice', 0);
      // --generator both: half the rate from each at once (same windows, same stalls).
      const both = generatorChoice === 'both';
      const twin = both
        ? startChildTask(
            { kind: 'http', spec: { ...spec, rps: rate / 2, connections: 25, requests: [...requests] } },
            { timeoutMs: windowMs + 60_000, niceness },
          )
        : undefined;
      if (both) {
        spec.rps = rate / 2;
        spec.connections = 25;
      }
      const load =
        engine === 'rategen'
          ? { pid: undefined, ...startRateLoad(spec, { niceness }) }
          : startChildTask({ kind: 'http', spec: { ...spec, requests: [...requests] } }, { timeoutMs: windowMs + 60_000, niceness });
      const watch = scrapeMetrics ? watchNodeMetrics(cluster.nodes, token) : undefined;
      const sched0 = pids.map((p) => schedstat(p));
      const all0 = pids.map((p) => processSched(p));
      const gen0 = load.pid === undefined ? undefined : processSched(load.pid);
      const waits = watchWaits(load.pid === undefined ? pids : [...pids, load.pid]);
      const procs0 = allProcessCpu();
      const m0 = machineCpuTicks();
      if (args.includes('--rejoin') && w > 0) {
        await sleep(3_000);
        console.log(`rejoin posted at monotonic ${process.hrtime.bigint() / 1000n} µs`);
        const res = await fetch(`${node.admin}/api/v1/cluster/rejoin`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        console.log(`rejoin: ${res.status} ${await res.text()}`);
        await sleep(windowMs - 3_000);
      } else await sleep(windowMs);
      const procs1 = allProcessCpu();
      const m1 = machineCpuTicks();
      const worstWait = waits.stop();
      const sched1 = pids.map((p) => schedstat(p));
      const all1 = pids.map((p) => processSched(p));
      const gen1 = load.pid === undefined ? undefined : processSched(load.pid);
      const result = await load.result;
      if (twin !== undefined) {
        const t = httpReport(await twin.result, { scenario: 'twin', target: node.api, requestedRps: rate / 2 });
        console.log(
          `  autocannon twin: ${t.requests} requests, p99 ${t.latency.p99.toFixed(1)} ms (as measured ${t.uncorrected?.p99.toFixed(1) ?? '?'}), max ${t.latency.maxMs.toFixed(1)} ms`,
        );
      }
      const lag = (await watch?.stop()) ?? [];
      const gcAfter = await Promise.all(cluster.nodes.map((n) => scrape(n.admin, token).then(gcOf)));
      const texts = await Promise.all(cluster.nodes.map((n) => scrape(n.admin, token)));
      const report = httpReport(result, { scenario: 'probe', target: node.api, requestedRps: rate });
      console.log(
        `window ${w + 1} [${engine}] (${new Date().toISOString().slice(11, 19)}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}): ` +
          `${report.requests} requests, p99 ${report.latency.p99.toFixed(1)} ms (as measured ${report.uncorrected?.p99.toFixed(1) ?? '?'}), max ${report.latency.maxMs.toFixed(1)} ms; ` +
          `generator CPU ${gen0 && gen1 ? (((gen1.cpuMs - gen0.cpuMs) / windowMs) * 100).toFixed(0) : '?'} %, worst 100 ms wait ${worstWait[2]?.toFixed(0) ?? '?'} ms`,
      );
      if (process.env.PROBE_TIMELINE === '1')
        console.log(`  per second: ${result.timeline.map((t) => `${t.count}/${t.maxMs.toFixed(0)}`).join(' ')}`);
      const d = m1.map((v, i) => v - m0[i]!);
      const total = d.reduce((x, y) => x + y, 0);
      const pct = (i: number): string => ((d[i]! / total) * 100).toFixed(0);
      console.log(
        `  machine: user ${pct(0)} %, nice ${pct(1)} %, system ${pct(2)} %, idle ${pct(3)} %, iowait ${pct(4)} %, softirq ${pct(6)} %, steal ${pct(7)} %`,
      );
      console.log(`    ${topConsumers(procs0, procs1, windowMs)}`);
      cluster.nodes.forEach((n, i) => {
        const a = sched0[i]!;
        const b = sched1[i]!;
        const pa = all0[i]!;
        const pb = all1[i]!;
        console.log(
          `  ${n.name.split('-')[0]}: lag max ${lag[i]?.lagMaxMs?.toFixed(1) ?? '-'} ms; main thread CPU ${(((b.cpuMs - a.cpuMs) / windowMs) * 100).toFixed(0)} %, ` +
            `run-queue wait ${(b.waitMs - a.waitMs).toFixed(0)} ms (worst 100 ms: ${worstWait[i]!.toFixed(0)} ms); all threads CPU ${(((pb.cpuMs - pa.cpuMs) / windowMs) * 100).toFixed(0)} %; ` +
            `GC ${gcDelta(gcBefore[i]!, gcAfter[i]!)}; heap used ${((metric(texts[i]!, 'nodejs_heap_size_used_bytes') ?? 0) / 1048576).toFixed(0)} MiB, ` +
            `RSS ${((metric(texts[i]!, 'process_resident_memory_bytes') ?? 0) / 1048576).toFixed(0)} MiB`,
        );
      });
      await sleep(2_000);
    }
    if (args.includes('--gc-check'))
      for (const n of cluster.nodes) console.log(`${n.name}: after a full GC ${await heapAfterFullGc(n.pid!)}`);
  } finally {
    await cluster.stop();
  }
}

await main();
process.exit(0);
