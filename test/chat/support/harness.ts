// Chat nodes for tests: an actor system + chat branch per simulated node over a shared cluster
// hub and message store, and recording member sinks.
import { startActorSystem } from '../../../actors/kernel/index.js';
import type { ActorSystem } from '../../../actors/kernel/types.js';
import { type ChatApi, type ChatBranch, type ChatCluster, type ChatTiming, startChat } from '../../../actors/chat/index.js';
import type { ChatMessageStore } from '../../../actors/chat/ports.js';
import type { ChatMessageView, MemberSink, PresenceDiff, PresenceState, RoomEvent } from '../../../actors/chat/types.js';
import { silentLogger, type Logger } from '../../../domain/log.js';
import type { LocalCluster } from '../../../cluster/local/index.js';
import type { ClusterStore } from '../../../domain/ports/cluster-store.js';
import { waitFor } from '../../support/wait.js';

export const FAST_TIMING: Partial<ChatTiming> = {
  gapWaitMs: 20,
  gapRetryMs: 30,
  gapAbandonMs: 400,
  storeTimeoutMs: 300,
  idleAfterMs: 60_000,
  leaseTtlMs: 1_000,
  pushTimeoutMs: 1_500,
  resendMs: 150,
};

export interface TestNode {
  name: string;
  system: ActorSystem;
  chat: ChatBranch;
  api: ChatApi;
  stop(): Promise<void>;
}

export interface ClusterNode extends TestNode {
  cluster: ClusterStore;
  /** The node dies: its cluster connection drops without goodbye, then its actors stop. */
  kill(): Promise<void>;
}

/** A node on a LocalCluster: its own store handle, joined to membership like bin/ does. */
export async function startClusterNode(
  name: string,
  hub: LocalCluster,
  store: ChatMessageStore,
  options: { timing?: Partial<ChatTiming>; log?: Logger } = {},
): Promise<ClusterNode> {
  const cluster = hub.store();
  await cluster.membership.join({ name, host: '127.0.0.1', port: 1, apiPort: 2, startedAt: new Date().toISOString() });
  const node = await startNode(name, cluster, store, options);
  let gone = false;
  return {
    ...node,
    cluster,
    async stop() {
      if (gone) return;
      gone = true;
      await node.stop();
      await cluster.membership.leave();
      await cluster.close();
    },
    async kill() {
      if (gone) return;
      gone = true;
      await cluster.close();
      await node.stop();
    },
  };
}

export async function startNode(
  name: string,
  cluster: ChatCluster,
  store: ChatMessageStore,
  options: { timing?: Partial<ChatTiming>; log?: Logger } = {},
): Promise<TestNode> {
  const system = startActorSystem({ log: options.log ?? silentLogger });
  const chat = startChat(
    system,
    { nodeName: name, store, cluster, timing: { ...FAST_TIMING, ...options.timing } },
    { askTimeoutMs: 3_000 },
  );
  let stopped = false;
  return {
    name,
    system,
    chat,
    api: chat.api,
    async stop() {
      if (stopped) return;
      stopped = true;
      await system.stop();
    },
  };
}

/** A member sink that records everything, plus a presence list kept like the phoenix client does. */
type ReceivedEvent = { event: 'new_msg'; payload: ChatMessageView } | { event: 'presence_diff'; payload: PresenceDiff };

export class RecordingSink implements MemberSink {
  readonly events: ReceivedEvent[] = [];
  /** Deliveries (a batch of messages counts once). */
  deliveries = 0;
  failures: string[] = [];

  deliver(event: RoomEvent): void {
    this.deliveries += 1;
    // Like a socket: what a client receives is the JSON, not the object.
    if (event.event === 'presence_diff') this.events.push({ event: event.event, payload: JSON.parse(event.json) as PresenceDiff });
    else for (const m of event.batch.messages) this.events.push({ event: 'new_msg', payload: JSON.parse(m.json) as ChatMessageView });
  }

  fail(reason: string): void {
    this.failures.push(reason);
  }

  messages(): ChatMessageView[] {
    return this.events.flatMap((e) => (e.event === 'new_msg' ? [e.payload] : []));
  }

  bodies(): string[] {
    return this.messages().map((m) => m.body);
  }

  diffs(): PresenceDiff[] {
    return this.events.flatMap((e) => (e.event === 'presence_diff' ? [e.payload] : []));
  }
}

/** Applies a diff to a state the way Presence.syncDiff does (enough for assertions). */
export function applyDiff(state: PresenceState, diff: PresenceDiff): PresenceState {
  const next: PresenceState = structuredClone(state);
  for (const [user, { metas }] of Object.entries(diff.joins)) {
    const refs = new Set(metas.map((m) => m.phx_ref));
    next[user] = { metas: [...(next[user]?.metas.filter((m) => !refs.has(m.phx_ref)) ?? []), ...metas] };
  }
  for (const [user, { metas }] of Object.entries(diff.leaves)) {
    const current = next[user];
    if (current === undefined) continue;
    const refs = new Set(metas.map((m) => m.phx_ref));
    current.metas = current.metas.filter((m) => !refs.has(m.phx_ref));
    if (current.metas.length === 0) delete next[user];
  }
  return next;
}

/** Polls `check` until it stops throwing (or returns true), failing with its last error after `timeoutMs`. */
export async function eventually(check: () => unknown, timeoutMs = 3_000): Promise<void> {
  // Any answer but `false` (undefined included: a check made of assertions) means done.
  await waitFor('the check to pass', timeoutMs, async () => (await check()) !== false, { everyMs: 10 });
}
