// The health-check worker: every `intervalMs` it probes every ACTIVE server with health
// checks enabled, with bounded concurrency, applies hysteresis and writes only the changes.
// It runs as the child of the health-check singleton, so one runs in the whole cluster.
//
// A round never holds the mailbox: the probes run as a promise that reports back with a
// `probed` message, the writes as another that reports back with `written`. One round at a
// time; a tick that finds a round still running is skipped.
import type { Server } from '../../../domain/routing/entities.js';
import { RESTART, type ActorContext, type ActorSpec, type ReplyTo } from '../../kernel/index.js';
import { confirmed, freshEntry, observe, reconcile, type HealthEntry } from './hysteresis.js';
import { mapBounded } from '../../../domain/bounded.js';
import { probe, probeUrl, type ProbeResult } from './probe.js';
import type { AvailabilityWriter, RoundSummary, ServerSource } from './ports.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;
export const DEFAULT_CONCURRENCY = 16;

export interface HealthWorkerOptions {
  /** This node's name: in logs, round summaries and the probes' User-Agent. */
  node: string;
  servers: ServerSource;
  writer: AvailabilityWriter;
  /** HEALTHCHECK_INTERVAL_MS. */
  intervalMs: number;
  /** HEALTHCHECK_FALL: consecutive failures before a server goes unavailable. */
  fall: number;
  /** HEALTHCHECK_RISE: consecutive successes before it is available again. */
  rise: number;
  /** Per probe (default 2000). */
  timeoutMs?: number;
  /** Probes in flight at once (default 16). */
  concurrency?: number;
  /** HEALTHCHECK_ALLOW_LINK_LOCAL (docs/security.md). */
  allowLinkLocal?: boolean;
  /** Metrics hook: called after an availability change was written. */
  onTransition?: (server: Server, available: boolean) => void;
  /** Metrics/test hook: called when a round finished. */
  onRound?: (summary: RoundSummary) => void;
}

interface ProbedServer {
  server: Server;
  result: ProbeResult;
}

interface WriteOutcome {
  server: Server;
  available: boolean;
  reason: string;
  error?: string;
}

export type HealthWorkerMsg =
  /** Run a round now (or right after the running one) and answer with its summary. */
  { type: 'check-now'; replyTo: ReplyTo<RoundSummary> };

/** Its own timer and the follow-ups of its probes and writes; `epoch` ties them to one start. */
type HealthWorkerSelfMsg =
  | { type: 'tick'; epoch: number }
  | { type: 'probed'; epoch: number; probed: ProbedServer[] }
  | { type: 'round-failed'; epoch: number; error: string }
  | { type: 'written'; epoch: number; outcomes: WriteOutcome[]; healthy: number };

type HealthWorkerInbox = HealthWorkerMsg | HealthWorkerSelfMsg;

interface Round {
  number: number;
  startedAt: number;
  probed: number;
  waiters: Array<ReplyTo<RoundSummary>>;
}

export interface HealthWorkerState {
  epoch: number;
  entries: Map<string, HealthEntry>;
  rounds: number;
  current: Round | undefined;
  /** check-now requests that arrived during a round: served by the next one. */
  waiting: Array<ReplyTo<RoundSummary>>;
  timer: NodeJS.Timeout | undefined;
  nextTickAt: number;
  stop: AbortController;
}

let lastEpoch = 0;

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`health checker: ${name} must be a whole number >= 1, got ${value}`);
  return value;
}

/** Header-safe: printable ASCII only. */
function userAgent(node: string): string {
  return `beamstack-healthcheck/1 (${node.replace(/[^\x20-\x7e]/g, '?')})`;
}

export function healthWorkerSpec(name: string, opts: HealthWorkerOptions): ActorSpec<HealthWorkerState, HealthWorkerInbox> {
  const intervalMs = positiveInt('intervalMs', opts.intervalMs);
  const thresholds = { fall: positiveInt('fall', opts.fall), rise: positiveInt('rise', opts.rise) };
  const timeoutMs = positiveInt('timeoutMs', opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
  const concurrency = positiveInt('concurrency', opts.concurrency ?? DEFAULT_CONCURRENCY);
  const agent = userAgent(opts.node);

  function scheduleTick(state: HealthWorkerState, ctx: ActorContext<HealthWorkerInbox>, at: number): void {
    state.nextTickAt = at;
    const epoch = state.epoch;
    state.timer = setTimeout(() => ctx.self.tell({ type: 'tick', epoch }), Math.max(0, at - Date.now()));
    state.timer.unref();
  }

  /** Fixed rate; after a stall, the missed ticks are skipped rather than fired in a burst. */
  function nextTick(state: HealthWorkerState): number {
    const now = Date.now();
    const planned = state.nextTickAt + intervalMs;
    return planned > now ? planned : now + intervalMs;
  }

  /** The servers to probe now; entries of servers no longer probed are forgotten. */
  function serversToProbe(state: HealthWorkerState): Server[] {
    const servers = opts.servers.activeServers().filter((server) => server.status === 'ACTIVE' && server.healthcheckEnabled !== false);
    const seen = new Set<string>();
    for (const server of servers) {
      seen.add(server.id);
      const entry = state.entries.get(server.id);
      state.entries.set(server.id, entry ? reconcile(entry, server.availability) : freshEntry(server.availability));
    }
    for (const id of state.entries.keys()) if (!seen.has(id)) state.entries.delete(id);
    return servers;
  }

  function startRound(state: HealthWorkerState, ctx: ActorContext<HealthWorkerInbox>, waiters: Array<ReplyTo<RoundSummary>>): void {
    let servers: Server[];
    try {
      servers = serversToProbe(state);
    } catch (error) {
      const message = (error as Error).message;
      ctx.log.warn({ err: message }, 'health check round skipped: the server list is not available');
      for (const waiter of waiters) waiter.fail(new Error(`health check round skipped: ${message}`));
      return;
    }
    state.rounds += 1;
    state.current = { number: state.rounds, startedAt: Date.now(), probed: servers.length, waiters };
    const { epoch, stop } = state;
    mapBounded(servers, concurrency, async (server) => ({
      server,
      result: await probe(probeUrl(server), {
        timeoutMs,
        signal: stop.signal,
        userAgent: agent,
        ...(opts.allowLinkLocal === true ? { allowLinkLocal: true } : {}),
      }),
    })).then(
      (probed) => ctx.self.tell({ type: 'probed', epoch, probed }),
      (error: unknown) => ctx.self.tell({ type: 'round-failed', epoch, error: (error as Error).message }),
    );
  }

  function writeChanges(
    state: HealthWorkerState,
    ctx: ActorContext<HealthWorkerInbox>,
    changes: Array<Omit<WriteOutcome, 'error'>>,
    healthy: number,
  ): void {
    const { epoch, stop } = state;
    void Promise.all(
      changes.map(async (change): Promise<WriteOutcome> => {
        // A worker that is stopping may no longer hold the lease: it must not write.
        if (stop.signal.aborted) return { ...change, error: 'the health checker stopped' };
        try {
          await opts.writer.setAvailability(change.server.id, change.available, change.reason);
          return change;
        } catch (error) {
          return { ...change, error: (error as Error).message };
        }
      }),
    ).then((outcomes) => ctx.self.tell({ type: 'written', epoch, outcomes, healthy }));
  }

  function finishRound(state: HealthWorkerState, ctx: ActorContext<HealthWorkerInbox>, healthy: number, transitions: number): void {
    const round = state.current;
    if (!round) return;
    state.current = undefined;
    const summary: RoundSummary = {
      node: opts.node,
      round: round.number,
      startedAt: round.startedAt,
      finishedAt: Date.now(),
      probed: round.probed,
      healthy,
      transitions,
    };
    ctx.log.debug({ ...summary }, 'health check round finished');
    for (const waiter of round.waiters) waiter.reply(summary);
    try {
      opts.onRound?.(summary);
    } catch (error) {
      ctx.log.warn({ err: (error as Error).message }, 'health check onRound hook failed');
    }
    if (state.waiting.length > 0) {
      const waiters = state.waiting;
      state.waiting = [];
      startRound(state, ctx, waiters);
    }
  }

  function onProbed(state: HealthWorkerState, ctx: ActorContext<HealthWorkerInbox>, probed: ProbedServer[]): void {
    const changes: Array<Omit<WriteOutcome, 'error'>> = [];
    let healthy = 0;
    for (const { server, result } of probed) {
      if (result.healthy) healthy += 1;
      const entry = state.entries.get(server.id);
      if (!entry) continue;
      const { entry: next, change } = observe(entry, result.healthy, thresholds);
      state.entries.set(server.id, next);
      if (change === undefined) continue;
      const reason = change
        ? `available after ${next.successes} successes`
        : `unavailable after ${next.failures} failures: ${result.reason}`;
      changes.push({ server, available: change, reason });
    }
    if (changes.length === 0) finishRound(state, ctx, healthy, 0);
    else writeChanges(state, ctx, changes, healthy);
  }

  function onWritten(state: HealthWorkerState, ctx: ActorContext<HealthWorkerInbox>, outcomes: WriteOutcome[], healthy: number): void {
    let written = 0;
    for (const { server, available, reason, error } of outcomes) {
      const fields = { serverId: server.id, domainName: server.domainName, type: server.type, available, reason };
      if (error !== undefined) {
        // The entry keeps its counters past the threshold: the next result tries again.
        ctx.log.warn({ ...fields, err: error }, `${server.domainName}: could not write availability (${reason})`);
        continue;
      }
      written += 1;
      const entry = state.entries.get(server.id);
      if (entry) state.entries.set(server.id, confirmed(entry, available));
      ctx.log.info(fields, `${server.domainName}: ${reason}`);
      try {
        opts.onTransition?.(server, available);
      } catch (hookError) {
        ctx.log.warn({ err: (hookError as Error).message }, 'health check onTransition hook failed');
      }
    }
    finishRound(state, ctx, healthy, written);
  }

  return {
    name,
    restart: RESTART.worker,
    init(ctx) {
      lastEpoch += 1;
      const state: HealthWorkerState = {
        epoch: lastEpoch,
        entries: new Map(),
        rounds: 0,
        current: undefined,
        waiting: [],
        timer: undefined,
        nextTickAt: 0,
        stop: new AbortController(),
      };
      // The first round runs at once: a node taking over must not wait a period to probe.
      scheduleTick(state, ctx, Date.now());
      return state;
    },
    handle(state, message, ctx) {
      switch (message.type) {
        case 'check-now':
          if (state.current) state.waiting.push(message.replyTo);
          else startRound(state, ctx, [message.replyTo]);
          return state;
        case 'tick':
          if (message.epoch !== state.epoch) return state;
          scheduleTick(state, ctx, nextTick(state));
          if (state.current)
            ctx.log.debug({ round: state.current.number }, 'health check tick skipped: the previous round is still running');
          else startRound(state, ctx, []);
          return state;
        case 'probed':
          if (message.epoch === state.epoch) onProbed(state, ctx, message.probed);
          return state;
        case 'written':
          if (message.epoch === state.epoch) onWritten(state, ctx, message.outcomes, message.healthy);
          return state;
        case 'round-failed':
          if (message.epoch !== state.epoch) return state;
          ctx.log.error({ err: message.error }, 'health check round failed');
          finishRound(state, ctx, 0, 0);
          return state;
        default:
          return state;
      }
    },
    onStop(state) {
      state.epoch = -1;
      if (state.timer) clearTimeout(state.timer);
      state.stop.abort();
      const stopped = new Error('the health checker stopped');
      for (const waiter of [...(state.current?.waiters ?? []), ...state.waiting]) waiter.fail(stopped);
    },
  };
}
