// The cluster rejoin coordinator (docs/cluster.md, "Cluster rejoin"). A little over 400 lines:
// the lease, the job record and the four steps read best as one sequence. Every node runs one; a
// rejoin runs on the node that was asked, under the lease `cluster.rejoin`, so one runs in
// the whole cluster at a time (a second request gets CONFLICT → 409). Steps:
//   1 reconnect    the cluster store is connected (waits for the client's reconnect) and answers
//   2 indexes      (re)create what the stores need (MongoDB indexes; Hazelcast map config is static)
//   3 rebuild      every domain map from MongoDB as generation N+1, switch all nodes, drop N
//   4 acknowledge  every live node's routing view reports N+1 (or times out → failed)
// The job record lives in the cluster map `cluster.jobs` (no TTL; the newest KEEP_JOBS kept),
// so any node answers GET /api/v1/cluster/jobs/:id. Requests keep being served from the old
// generation until each routing actor has loaded the new one completely.
//
// The job runs as a promise next to the actor (its mailbox stays free for GETs); the actor's
// closure holds it, so a restarted incarnation still knows the job of the one before.
import { v7 as uuidv7 } from 'uuid';
import type { ClusterStore } from '../../domain/ports/cluster-store.js';
import type { Logger } from '../../domain/log.js';
import {
  RESTART,
  ActorStoppedError,
  AskTimeoutError,
  ask,
  type ActorRef,
  type ActorSpec,
  type ReplyTo,
  type Spawner,
} from '../kernel/index.js';
import { readMeta } from '../routing/cluster-maps.js';
import { collectAcks, type AckCollector } from '../routing/switch-acks.js';
import { waitConnected } from './rejoin-steps.js';
import {
  abandonJob,
  failJob,
  finishStep,
  isRejoinJob,
  newRejoinJob,
  startStep,
  succeedJob,
  type RejoinJob,
  type RejoinStepName,
} from './rejoin-job.js';
import { errorText } from '../../domain/errors.js';

export * from './rejoin-job.js';

export const REJOIN_LEASE = 'cluster.rejoin';
export const REJOIN_JOBS_MAP = 'cluster.jobs';
export const REJOIN_COORDINATOR = 'rejoin-coordinator';

export type RejoinErrorCode = 'CONFLICT' | 'NOT_FOUND' | 'UNAVAILABLE';

/** Carries a `code` the gateway maps to HTTP (409, 404, 503). */
export class RejoinError extends Error {
  constructor(
    readonly code: RejoinErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RejoinError';
  }
}

/** What step 3 needs from the domain model (DomainService.rebuildMaps satisfies it). */
export interface RebuildOutcome {
  generation: number;
  counts: Record<string, number>;
  /** Nodes that acknowledged before the rebuild answered. */
  acknowledgedBy: string[];
  /** Phases of the rebuild on this node, in ms (absent when the rebuilder does not report them). */
  timings?: NonNullable<RejoinJob['rebuildTimings']>;
  /** Where the records came from (e.g. 'stored snapshot', 'full scan') and how many were read afresh from the change log. */
  source?: string;
  logged?: number;
}

export interface RejoinDeps {
  nodeName: string;
  store: ClusterStore;
  /** Step 2: (re)creates what the stores need (indexes…); answers what it did, in one sentence. */
  prepare(): Promise<string>;
  /** Step 3: rebuild the domain maps from MongoDB as a new generation and switch every node. */
  rebuild(reason: string): Promise<RebuildOutcome>;
  /** The rejoin lease lives this long without renewal (default 30 s; renewed every third). */
  leaseTtlMs?: number;
  /** How long a request or step 1 waits for a disconnected cluster store (default 5 s / 15 s). */
  startWaitMs?: number;
  connectTimeoutMs?: number;
  /** Step 4's limit (default 30 s). */
  ackTimeoutMs?: number;
  /** How long step 3 retries while another node writes a generation (default 30 s). */
  busyRetryMs?: number;
  /** Finished jobs kept in `cluster.jobs` (default 100). */
  keepJobs?: number;
  newId?: () => string;
  /** Test hook: runs before each step (e.g. to hold a job in the running state). */
  beforeStep?: (name: RejoinStepName) => Promise<void>;
}

export type RejoinMsg =
  | { type: 'start'; requestedBy?: string; replyTo: ReplyTo<{ jobId: string }> }
  | { type: 'get'; jobId: string; replyTo: ReplyTo<RejoinJob> };

interface RunningJob {
  job: RejoinJob;
  readonly abort: AbortController;
  done: Promise<void>;
}

const BUSY_RETRY_DELAY_MS = 500;
const LEASE_RETRY_MS = 2000;
const STOP_WAIT_MS = 3000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

function messageOf(error: unknown): string {
  return errorText(error);
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function totalOf(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + (typeof n === 'number' ? n : 0), 0);
}

export function rejoinCoordinatorSpec(deps: RejoinDeps): ActorSpec<null, RejoinMsg> {
  const { store, nodeName } = deps;
  const leaseTtlMs = deps.leaseTtlMs ?? 30_000;
  const startWaitMs = deps.startWaitMs ?? 5000;
  const connectTimeoutMs = deps.connectTimeoutMs ?? 15_000;
  const ackTimeoutMs = deps.ackTimeoutMs ?? 30_000;
  const busyRetryMs = deps.busyRetryMs ?? 30_000;
  const keepJobs = deps.keepJobs ?? 100;
  const newId = deps.newId ?? uuidv7;
  const jobs = store.map<RejoinJob>(REJOIN_JOBS_MAP);
  /** The job this node coordinates (survives restarts of the actor). */
  let running: RunningJob | undefined;

  async function requireConnected(): Promise<void> {
    try {
      await waitConnected(store, startWaitMs);
    } catch {
      throw new RejoinError(
        'UNAVAILABLE',
        'The cluster store (Hazelcast) is unavailable, so no rejoin can be coordinated; try again when it is back.',
      );
    }
  }

  /** The running job of another node, if any (for the 409 message). */
  async function runningElsewhere(): Promise<RejoinJob | undefined> {
    const entries = await jobs.entries();
    const live = await liveNodes();
    return entries
      .map(([, entry]) => entry.value)
      .filter(isRejoinJob)
      .map((job) => (job.state === 'running' && isOrphan(job, live) ? abandonJob(job, new Date()) : job))
      .find((job) => job.state === 'running');
  }

  async function liveNodes(): Promise<Map<string, number>> {
    const nodes = await store.membership.nodes();
    return new Map(nodes.map((n) => [n.name, Date.parse(n.startedAt)]));
  }

  /** Its coordinator is not live, or restarted since the job began (it writes its end before it stops). */
  function isOrphan(job: RejoinJob, live: Map<string, number>): boolean {
    if (job.node === nodeName) return running?.job.jobId !== job.jobId;
    const started = live.get(job.node);
    return started === undefined || started > Date.parse(job.startedAt);
  }

  async function acquireLease(): Promise<void> {
    const deadline = Date.now() + LEASE_RETRY_MS;
    for (;;) {
      if (await store.leases.acquire(REJOIN_LEASE, nodeName, leaseTtlMs)) return;
      const other = await runningElsewhere();
      // No job runs: the holder is just finishing (it writes the end first, then releases).
      if (other !== undefined || Date.now() >= deadline) {
        const holder = (await store.leases.holder(REJOIN_LEASE))?.holder ?? other?.node ?? 'another node';
        throw new RejoinError(
          'CONFLICT',
          other !== undefined
            ? `A rejoin is already running (job ${other.jobId}, coordinated by ${other.node}); wait for it to finish.`
            : `A rejoin is already running (coordinated by ${holder}); wait for it to finish.`,
        );
      }
      await sleep(100);
    }
  }

  async function start(log: Logger, requestedBy: string | undefined): Promise<{ jobId: string }> {
    if (running !== undefined) {
      // Its end is written already: it only releases the lease now.
      if (running.job.state !== 'running') await running.done;
      else
        throw new RejoinError(
          'CONFLICT',
          `A rejoin is already running (job ${running.job.jobId}, coordinated by ${nodeName}); wait for it to finish.`,
        );
    }
    await requireConnected();
    await acquireLease();
    const job = newRejoinJob(newId(), nodeName, new Date(), requestedBy);
    try {
      // Written before the answer: a GET on any node right after the 202 finds it.
      await jobs.set(job.jobId, job, 1);
    } catch (error) {
      await store.leases.release(REJOIN_LEASE, nodeName).catch(() => undefined);
      throw new RejoinError('UNAVAILABLE', `Could not record the rejoin job in the cluster store: ${messageOf(error)}`);
    }
    const current: RunningJob = { job, abort: new AbortController(), done: Promise.resolve() };
    running = current;
    current.done = run(current, log).finally(() => {
      if (running === current) running = undefined;
    });
    log.info({ jobId: job.jobId, requestedBy }, 'cluster rejoin started');
    return { jobId: job.jobId };
  }

  async function get(jobId: string): Promise<RejoinJob> {
    if (running?.job.jobId === jobId) return running.job;
    let stored: RejoinJob | undefined;
    try {
      const entry = await jobs.get(jobId);
      stored = entry !== undefined && isRejoinJob(entry.value) ? entry.value : undefined;
    } catch (error) {
      throw new RejoinError('UNAVAILABLE', `The cluster store (Hazelcast) is unavailable; cannot read job ${jobId}: ${messageOf(error)}`);
    }
    if (stored === undefined) throw new RejoinError('NOT_FOUND', `Unknown job "${jobId}".`);
    if (stored.state === 'running' && isOrphan(stored, await liveNodes().catch(() => new Map<string, number>()))) {
      return abandonJob(stored, new Date());
    }
    return stored;
  }

  /** Marks jobs of dead coordinators failed and keeps the newest `keepJobs`. Best effort. */
  async function housekeeping(log: Logger, current: string): Promise<void> {
    try {
      const live = await liveNodes();
      const all = (await jobs.entries()).filter(([key]) => key !== current);
      const valid: Array<[string, number, RejoinJob]> = [];
      for (const [key, entry] of all) {
        if (!isRejoinJob(entry.value)) {
          await jobs.delete(key);
          continue;
        }
        let job = entry.value;
        if (job.state === 'running' && isOrphan(job, live)) {
          job = abandonJob(job, new Date());
          await jobs.set(key, job, entry.version + 1);
        }
        valid.push([key, entry.version, job]);
      }
      valid.sort((a, b) => b[2].startedAt.localeCompare(a[2].startedAt));
      for (const [key] of valid.slice(Math.max(0, keepJobs - 1))) await jobs.delete(key);
    } catch (error) {
      log.warn({ err: messageOf(error) }, 'cluster rejoin: tidying old jobs failed');
    }
  }

  async function rebuildWhenFree(signal: AbortSignal): Promise<RebuildOutcome> {
    const deadline = Date.now() + busyRetryMs;
    for (;;) {
      try {
        return await deps.rebuild('cluster rejoin');
      } catch (error) {
        // Another node writes a generation right now (a bulk replace): wait for it.
        if (codeOf(error) !== 'CONFLICT' || Date.now() >= deadline || signal.aborted) throw error;
        await sleep(BUSY_RETRY_DELAY_MS);
      }
    }
  }

  async function run(current: RunningJob, log: Logger): Promise<void> {
    const { signal } = current.abort;
    const jobId = current.job.jobId;
    let version = 1;
    let acks: AckCollector | undefined;
    let step: RejoinStepName | undefined;

    const save = async (job: RejoinJob): Promise<void> => {
      current.job = job;
      version += 1;
      await jobs.set(jobId, job, version).catch((error: unknown) => {
        log.warn({ jobId, err: messageOf(error) }, 'cluster rejoin: recording the job progress failed');
      });
    };

    const renew = setInterval(
      () => {
        store.leases.renew(REJOIN_LEASE, nodeName, leaseTtlMs).then(
          (ok) => {
            if (!ok) log.warn({ jobId }, 'cluster rejoin: the rejoin lease was lost; finishing this job anyway');
          },
          (error: unknown) => log.warn({ jobId, err: messageOf(error) }, 'cluster rejoin: renewing the rejoin lease failed'),
        );
      },
      Math.max(100, Math.floor(leaseTtlMs / 3)),
    );
    renew.unref();

    const steps: Record<RejoinStepName, () => Promise<string>> = {
      async reconnect() {
        const was = store.status();
        await waitConnected(store, connectTimeoutMs);
        const t0 = performance.now();
        const nodes = await store.membership.nodes();
        const ms = Math.round(performance.now() - t0);
        const names = nodes.map((n) => n.name).sort();
        return `${was === 'connected' ? 'connected' : `reconnected (was ${was})`}; round trip ${ms} ms; ${names.length} live node(s): ${names.join(', ')}`;
      },
      indexes: () => deps.prepare(),
      async rebuild() {
        const previous = (await readMeta(store))?.generation;
        // Listen before the switch, so no acknowledgement is missed.
        acks = await collectAcks(store);
        const report = await rebuildWhenFree(signal);
        await save({
          ...current.job,
          counts: { ...report.counts },
          generation: report.generation,
          ...(previous !== undefined ? { previousGeneration: previous } : {}),
          acknowledgedBy: [...new Set([...report.acknowledgedBy, ...acks.ackedAtLeast(report.generation)])].sort(),
          ...(report.timings !== undefined ? { rebuildTimings: report.timings } : {}),
          nodeTimings: acks.timingsOf(report.generation),
        });
        const from = previous !== undefined ? `generation ${previous}` : 'no maps';
        const how =
          report.source === undefined
            ? ''
            : ` (${report.source}${report.logged !== undefined ? ` + ${report.logged} logged records` : ''})`;
        return `rebuilt ${totalOf(report.counts)} records from MongoDB${how}: ${from} → generation ${report.generation}; every node switched; the old generation is dropped shortly after`;
      },
      async acknowledge() {
        const generation = current.job.generation!;
        const { acked, missing } = await acks!.waitForAll(generation, current.job.acknowledgedBy, ackTimeoutMs, { signal });
        await save({
          ...current.job,
          acknowledgedBy: acked,
          nodeTimings: { ...current.job.nodeTimings, ...acks!.timingsOf(generation) },
          ...(missing.length > 0 ? { missingNodes: missing } : {}),
        });
        if (missing.length > 0) {
          throw new Error(
            `${missing.join(', ')} did not report generation ${generation} within ${Math.round(ackTimeoutMs / 1000)} s (acknowledged: ${acked.join(', ') || 'none'})`,
          );
        }
        return `${acked.length} node(s) serve generation ${generation}`;
      },
    };

    try {
      await housekeeping(log, jobId);
      for (const name of Object.keys(steps) as RejoinStepName[]) {
        if (signal.aborted) throw new Error(`the node ${nodeName} is stopping`);
        step = name;
        await deps.beforeStep?.(name);
        await save(startStep(current.job, name, new Date()));
        const detail = await steps[name]();
        await save(finishStep(current.job, name, new Date(), detail));
      }
      step = undefined;
      await save(succeedJob(current.job, new Date()));
      const { counts, generation, acknowledgedBy } = current.job;
      log.info({ jobId, generation, counts, acknowledgedBy }, 'cluster rejoin succeeded');
    } catch (error) {
      const message = messageOf(error);
      await save(failJob(current.job, step, new Date(), message));
      log.error({ jobId, step, err: message }, 'cluster rejoin failed');
    } finally {
      clearInterval(renew);
      await acks?.close();
      await store.leases.release(REJOIN_LEASE, nodeName).catch(() => undefined);
    }
  }

  return {
    name: REJOIN_COORDINATOR,
    restart: RESTART.owner,
    init: () => null,
    async handle(state, message, ctx) {
      const reply = <R>(replyTo: ReplyTo<R>, work: Promise<R>): void => {
        work.then(
          (result) => replyTo.reply(result),
          (error: unknown) => replyTo.fail(error instanceof Error ? error : new Error(String(error))),
        );
      };
      switch (message.type) {
        case 'start':
          // Awaited: starts are taken one at a time (the lease check and the job write are short).
          await start(ctx.log, message.requestedBy).then(
            (result) => message.replyTo.reply(result),
            (error: unknown) => message.replyTo.fail(error instanceof Error ? error : new Error(String(error))),
          );
          return state;
        case 'get':
          reply(message.replyTo, get(message.jobId));
          return state;
      }
    },
    async onStop() {
      const current = running;
      if (current === undefined) return;
      current.abort.abort();
      await Promise.race([current.done, sleep(STOP_WAIT_MS)]);
    },
  };
}

/** What the admin gateway calls. */
export interface RejoinService {
  /** Starts a rejoin coordinated by this node; CONFLICT while one runs anywhere. */
  start(requestedBy?: string): Promise<{ jobId: string }>;
  /** A job of any node; NOT_FOUND when unknown. */
  job(jobId: string): Promise<RejoinJob>;
}

export function createRejoinService(ref: ActorRef<RejoinMsg>, timeoutMs = 20_000): RejoinService {
  async function call<R>(build: (replyTo: ReplyTo<R>) => RejoinMsg): Promise<R> {
    try {
      return await ask<RejoinMsg, R>(ref, build, timeoutMs);
    } catch (error) {
      if (error instanceof AskTimeoutError || error instanceof ActorStoppedError) {
        throw new RejoinError('UNAVAILABLE', 'The rejoin coordinator did not answer in time; try again later.');
      }
      throw error;
    }
  }
  return {
    start: (requestedBy) =>
      call<{ jobId: string }>((replyTo) => ({ type: 'start', replyTo, ...(requestedBy !== undefined ? { requestedBy } : {}) })),
    job: (jobId) => call<RejoinJob>((replyTo) => ({ type: 'get', jobId, replyTo })),
  };
}

/** Spawns the coordinator under `parent` (the node's cluster branch). */
export function startRejoinCoordinator(parent: Spawner, deps: RejoinDeps): { ref: ActorRef<RejoinMsg>; service: RejoinService } {
  const ref = parent.spawn(rejoinCoordinatorSpec(deps));
  return { ref, service: createRejoinService(ref) };
}
