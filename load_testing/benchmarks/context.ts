// Shared, lazily started resources of one suite run: the cluster (grown node by node as
// benchmarks need more), the fixture model loaded once through the admin API, and whether the
// redirect route answers at all. `close()` stops all of it.
import type { DomainModel } from '../../domain/routing/entities.js';
import { AdminClient, putDomain } from '../../bin/ctl/admin-client.js';
import { CtlError } from '../../bin/ctl/cli.js';
import { probe } from '../probe.js';
import { startCluster, type BenchCluster, type BenchNode } from '../cluster.js';
import { generateDomainModel } from '../fixture-model.js';
import { scenarioRequests, type LoadRequest } from '../scenarios.js';

/** A subnet for 127.0.0.0/8, so requests relayed by a local nginx (X-Real-IP 127.0.0.1) find an edge. */
export function withLoopbackSubnet(model: DomainModel): DomainModel {
  const activeGroups = new Set(model.serverGroups.filter((g) => g.status === 'ACTIVE').map((g) => g.id));
  const liveEdges = new Set(
    model.servers.filter((s) => s.type === 'EDGE' && s.status === 'ACTIVE' && s.availability !== false).map((s) => s.id),
  );
  const region = model.regions.find(
    (r) =>
      r.status === 'ACTIVE' &&
      r.serverGroupIds.some(
        (g) => activeGroups.has(g) && (model.serverGroups.find((x) => x.id === g)?.serverIds.some((s) => liveEdges.has(s)) ?? false),
      ),
  );
  if (region === undefined) throw new Error('the fixture has no active region with a live edge');
  const template = model.subnets[0]!;
  return {
    ...model,
    subnets: [
      ...model.subnets,
      { ...template, id: 'net-loopback', name: 'Loopback (local nginx)', cidr: '127.0.0.0/8', regionId: region.id },
    ],
  };
}

export interface FixtureState {
  model: DomainModel;
  /** The `requests` mix over the model (X-Real-IP from its subnets). */
  requests: LoadRequest[];
  /** Status counts of a sample of the requests on the first node, e.g. { 302: 180, 404: 20 }. */
  sampleStatuses: Record<string, number>;
}

export type RedirectAvailability = { ok: true; fixture: FixtureState } | { ok: false; reason: string };

export interface SuiteContext {
  quick: boolean;
  log(line: string): void;
  /** The cluster with at least `nodes` nodes. */
  cluster(nodes: number): Promise<BenchCluster>;
  /** Loads the fixture once and checks that the redirect route answers; the reason when it does not. */
  redirect(): Promise<RedirectAvailability>;
  close(): Promise<void>;
}

const REQUEST_POOL = 20_000;
const SAMPLE = 200;
const VIEW_WAIT_MS = 15_000;

/** Fastify's default 404 text: the client server answers it for routes it does not have. */
const NO_ROUTE_TEXT = /^(Not Found|\{"message":"Route GET:.* not found")/;

/**
 * Every generator socket comes from 127.0.0.1: without this the per-address chat socket cap
 * (CHAT_MAX_SOCKETS_PER_CLIENT, 50 by default) would let only 50 sockets per node join (B4, B5).
 */
const BENCH_NODE_ENV = { CHAT_MAX_SOCKETS: '25000', CHAT_MAX_SOCKETS_PER_CLIENT: '25000' };

export function createSuiteContext(opts: {
  quick: boolean;
  log: (line: string) => void;
  verbose?: boolean;
  /** More node variables (a benchmark's needs, e.g. b6ClusterNeeds). */
  nodeEnv?: Record<string, string>;
  /** The Hazelcast member's -Xmx, e.g. `2048m`. */
  hazelcastHeap?: string;
}): SuiteContext {
  let cluster: BenchCluster | undefined;
  let starting: Promise<BenchCluster> | undefined;
  let redirectState: Promise<RedirectAvailability> | undefined;

  const ensureCluster = async (nodes: number): Promise<BenchCluster> => {
    starting ??= startCluster({
      nodes: 1,
      log: opts.log,
      env: { ...BENCH_NODE_ENV, ...opts.nodeEnv },
      ...(opts.hazelcastHeap !== undefined ? { hazelcastHeap: opts.hazelcastHeap } : {}),
      ...(opts.verbose === true ? { verbose: true } : {}),
    }).then((c) => (cluster = c));
    const running = await starting;
    while (running.nodes.length < nodes) await running.addNode();
    return running;
  };

  const checkRedirect = async (): Promise<RedirectAvailability> => {
    const running = await ensureCluster(1);
    const node: BenchNode = running.nodes[0]!;
    const model = withLoopbackSubnet(generateDomainModel({ seed: 1 }));
    try {
      opts.log(
        `loading the fixture model (${model.subnets.length} subnets, ${model.servers.length} servers, ${model.linearChannels.length} channels, ${model.programRecords.length} records) through PUT /api/v1/domain`,
      );
      await putDomain(new AdminClient(node.admin, { token: await running.token() }), model);
    } catch (error) {
      if (error instanceof CtlError) return { ok: false, reason: error.message };
      throw error;
    }
    const requests = scenarioRequests('requests', model, REQUEST_POOL, 7);
    const sample = async (): Promise<{ statuses: Record<string, number>; noRoute: number }> => {
      const statuses: Record<string, number> = {};
      let noRoute = 0;
      for (const request of requests.slice(0, SAMPLE)) {
        const answer = await probe(`${node.api}${request.path}`, { headers: { 'x-real-ip': request.ip } });
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (answer.status === 404 && NO_ROUTE_TEXT.test(answer.text)) noRoute++;
      }
      return { statuses, noRoute };
    };
    // The routing view follows the model within about a second (redirect.md §4).
    const deadline = Date.now() + VIEW_WAIT_MS;
    let result = await sample();
    while ((result.statuses['302'] ?? 0) === 0 && result.noRoute < SAMPLE && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      result = await sample();
    }
    const sampleStatuses = result.statuses;
    if (result.noRoute === SAMPLE)
      return { ok: false, reason: "the client API has no redirect route yet (every sample request got the router's own 404)" };
    if ((sampleStatuses['302'] ?? 0) === 0) {
      return {
        ok: false,
        reason: `no sample request was redirected (statuses ${JSON.stringify(sampleStatuses)}): the routing view did not get the model`,
      };
    }
    return { ok: true, fixture: { model, requests, sampleStatuses } };
  };

  return {
    quick: opts.quick,
    log: opts.log,
    cluster: ensureCluster,
    redirect: () => (redirectState ??= checkRedirect()),
    async close() {
      if (starting !== undefined) await starting.catch(() => undefined);
      await cluster?.stop();
    },
  };
}
