// The chat history retention singleton (CHAT_HISTORY_DAYS, docs/security.md "Chat"): every
// node runs `chat-retention`; the one holding the lease runs `chat-retention-worker`, which
// deletes the messages older than the retention, then waits CHAT_RETENTION_INTERVAL_MS.
import type { ClusterLeases } from '../../domain/ports/cluster-store.js';
import { singletonSpec } from '../cluster/singleton.js';
import { RESTART, type ActorSpec } from '../kernel/index.js';

export const CHAT_RETENTION_LEASE = 'singleton.chat-retention';
/** A dead holder's lease expires within this; the job is hourly, so no hurry. */
const LEASE_TTL_MS = 15_000;
const DAY_MS = 86_400_000;

export interface ChatRetentionOptions {
  /** This node's name (the lease holder). */
  holder: string;
  leases: Pick<ClusterLeases, 'acquire' | 'renew' | 'release'>;
  historyDays: number;
  intervalMs: number;
  /** Deletes the messages stored before the cutoff; resolves with how many went. */
  deleteBefore(cutoff: Date): Promise<number>;
  now?: () => Date;
}

type WorkerMsg = { type: 'run'; epoch: number } | { type: 'ran'; epoch: number };

interface WorkerState {
  epoch: number;
  timer: NodeJS.Timeout | undefined;
}

let lastEpoch = 0;

function workerSpec(opts: ChatRetentionOptions): ActorSpec<WorkerState, WorkerMsg> {
  const now = opts.now ?? (() => new Date());
  return {
    name: 'chat-retention-worker',
    restart: RESTART.worker,
    init(ctx) {
      lastEpoch += 1;
      ctx.self.tell({ type: 'run', epoch: lastEpoch });
      return { epoch: lastEpoch, timer: undefined };
    },
    handle(state, message, ctx) {
      if (message.epoch !== state.epoch) return state;
      if (message.type === 'run') {
        const cutoff = new Date(now().getTime() - opts.historyDays * DAY_MS);
        // Detached: the mailbox stays free while MongoDB works; the answer comes back as `ran`.
        void opts
          .deleteBefore(cutoff)
          .then(
            (deleted) => {
              if (deleted > 0) ctx.log.info({ deleted, before: cutoff.toISOString() }, 'chat history retention: old messages deleted');
            },
            (error: unknown) => ctx.log.warn({ err: (error as Error).message }, 'chat history retention run failed; retrying next period'),
          )
          .finally(() => ctx.self.tell({ type: 'ran', epoch: state.epoch }));
        return state;
      }
      state.timer = setTimeout(() => ctx.self.tell({ type: 'run', epoch: state.epoch }), opts.intervalMs);
      state.timer.unref();
      return state;
    },
    onStop(state) {
      state.epoch = -1;
      if (state.timer) clearTimeout(state.timer);
    },
  };
}

export function chatRetentionSpec(opts: ChatRetentionOptions): ActorSpec<unknown, unknown> {
  return singletonSpec('chat-retention', {
    lease: CHAT_RETENTION_LEASE,
    holder: opts.holder,
    leases: opts.leases,
    leaseTtlMs: LEASE_TTL_MS,
    worker: workerSpec(opts),
  });
}
