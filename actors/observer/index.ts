// The Observer (docs/console.md): every node's live supervision tree, the singletons and
// their holders, the cluster-store maps, and an operator's stop of one actor. Any node
// answers for every node: a request for another node travels through the cluster store as a
// message on that node's topic (`observer.<node>`), and the answer comes back on the asking
// node's topic, matched by request id — the same store that carries the rest of the
// cross-node traffic (membership, routing acknowledgements, chat).
import type { ClusterStore, LeaseInfo, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { errorText } from '../../domain/errors.js';
import type { ActorSystem, ActorTreeNode } from '../kernel/index.js';
import type { LocalNodeStats, NodeStats } from './node-stats.js';
import { storeMaps, type StoreMapsView } from './store-maps.js';

export type { StoreMapsView, StoreMapView } from './store-maps.js';
export type { EdgeTransition, LocalNodeStats, NodeStats, VideoDisk } from './node-stats.js';

export type ObserverErrorCode = 'NOT_FOUND' | 'INVALID' | 'UNAVAILABLE';

export class ObserverError extends Error {
  constructor(
    readonly code: ObserverErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ObserverError';
  }
}

/** `supervisor` while it has running children, else `worker`. */
export type ActorKind = 'supervisor' | 'worker';

/** One actor of the tree, listed depth-first (parents before their children). */
export interface ObservedActor extends Omit<ActorTreeNode, 'children'> {
  kind: ActorKind;
  /** 0 for a top-level actor. */
  depth: number;
  /** Running children. */
  children: number;
}

export interface NodeTree {
  node: string;
  /** ISO-8601 UTC: when the node took the snapshot. */
  at: string;
  actors: ObservedActor[];
}

export interface StopResult {
  node: string;
  path: string;
  reason: string;
}

export interface ObserverService {
  tree(node: string): Promise<NodeTree>;
  /** Crashes the actor with `reason` so its supervision restarts it (ADMIN, from the console). */
  stop(node: string, path: string, reason: string): Promise<StopResult>;
  /** The node's readiness, redirect counters, edge transitions and video disk (the overview). */
  stats(node: string): Promise<NodeStats>;
  singletons(): Promise<LeaseInfo[]>;
  maps(): Promise<StoreMapsView>;
  close(): Promise<void>;
}

export interface ObserverOptions {
  nodeName: string;
  system: Pick<ActorSystem, 'tree' | 'crash'>;
  store: ClusterStore;
  /** This node's own figures for the overview (absent: ready, no counters). */
  localStats?: () => Promise<LocalNodeStats>;
  /** How long an answer from another node may take (default 5000 ms). */
  timeoutMs?: number;
}

type ObserverMsg =
  | { type: 'tree-request'; id: number; from: string }
  | { type: 'stop-request'; id: number; from: string; path: string; reason: string }
  | { type: 'stats-request'; id: number; from: string }
  | { type: 'answer'; id: number; ok: true; tree?: NodeTree; stopped?: StopResult; stats?: NodeStats }
  | { type: 'answer'; id: number; ok: false; code: ObserverErrorCode; message: string };

type Answer = Extract<ObserverMsg, { type: 'answer' }>;

export const observerTopic = (node: string): string => `observer.${node}`;

function flatten(nodes: readonly ActorTreeNode[], depth = 0, out: ObservedActor[] = []): ObservedActor[] {
  for (const { children, ...stats } of nodes) {
    out.push({ ...stats, kind: children.length > 0 ? 'supervisor' : 'worker', depth, children: children.length });
    flatten(children, depth + 1, out);
  }
  return out;
}

function isMessage(value: unknown): value is ObserverMsg {
  if (typeof value !== 'object' || value === null) return false;
  const msg = value as { type?: unknown; id?: unknown };
  return typeof msg.type === 'string' && Number.isInteger(msg.id);
}

export async function startObserver(options: ObserverOptions): Promise<ObserverService> {
  const { nodeName, system, store } = options;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const pending = new Map<number, (answer: Answer) => void>();
  let nextId = 1;

  function localTree(): NodeTree {
    return { node: nodeName, at: new Date().toISOString(), actors: flatten(system.tree()) };
  }

  const readLocalStats = options.localStats ?? (async () => ({ ready: true, down: [], redirects: 0, redirectErrors: 0, transitions: [] }));

  async function localStats(): Promise<NodeStats> {
    return { node: nodeName, at: new Date().toISOString(), ...(await readLocalStats()) };
  }

  function localStop(path: string, reason: string): StopResult {
    if (!/^\/[^/]+\/.+/.test(path)) {
      throw new ObserverError('INVALID', `"${path}" is a top-level actor (or not an actor path): stop the node instead.`);
    }
    if (!system.crash(path, reason)) throw new ObserverError('NOT_FOUND', `No actor runs at "${path}" on node ${nodeName}.`);
    return { node: nodeName, path, reason };
  }

  async function answer(to: string, msg: Answer): Promise<void> {
    await store.topics.publish(observerTopic(to), msg).catch(() => undefined);
  }

  async function reply(msg: Exclude<ObserverMsg, Answer>): Promise<Answer> {
    try {
      if (msg.type === 'tree-request') return { type: 'answer', id: msg.id, ok: true, tree: localTree() };
      if (msg.type === 'stats-request') return { type: 'answer', id: msg.id, ok: true, stats: await localStats() };
      return { type: 'answer', id: msg.id, ok: true, stopped: localStop(msg.path, msg.reason) };
    } catch (err) {
      const code = err instanceof ObserverError ? err.code : 'UNAVAILABLE';
      return { type: 'answer', id: msg.id, ok: false, code, message: errorText(err) };
    }
  }

  function serve(msg: ObserverMsg): void {
    if (msg.type === 'answer') {
      pending.get(msg.id)?.(msg);
      return;
    }
    void reply(msg).then((answered) => answer(msg.from, answered));
  }

  const unsubscribe: Unsubscribe = await store.topics.subscribe<unknown>(observerTopic(nodeName), (msg) => {
    if (isMessage(msg)) serve(msg);
  });

  async function remote(node: string, request: (id: number) => ObserverMsg): Promise<Answer & { ok: true }> {
    const live = await store.membership.nodes();
    if (!live.some((n) => n.name === node)) throw new ObserverError('NOT_FOUND', `No live node is named "${node}".`);
    const id = nextId++;
    const answered = new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new ObserverError('UNAVAILABLE', `Node ${node} did not answer within ${timeoutMs} ms.`));
      }, timeoutMs);
      pending.set(id, (msg) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(msg);
      });
    });
    await store.topics.publish(observerTopic(node), request(id));
    const got = await answered;
    if (!got.ok) throw new ObserverError(got.code, got.message);
    return got;
  }

  return {
    async tree(node) {
      if (node === nodeName) return localTree();
      const got = await remote(node, (id) => ({ type: 'tree-request', id, from: nodeName }));
      if (got.tree === undefined) throw new ObserverError('UNAVAILABLE', `Node ${node} sent no tree.`);
      return got.tree;
    },
    async stop(node, path, reason) {
      if (node === nodeName) return localStop(path, reason);
      const got = await remote(node, (id) => ({ type: 'stop-request', id, from: nodeName, path, reason }));
      if (got.stopped === undefined) throw new ObserverError('UNAVAILABLE', `Node ${node} did not confirm the stop.`);
      return got.stopped;
    },
    async stats(node) {
      if (node === nodeName) return localStats();
      const got = await remote(node, (id) => ({ type: 'stats-request', id, from: nodeName }));
      if (got.stats === undefined) throw new ObserverError('UNAVAILABLE', `Node ${node} sent no figures.`);
      return got.stats;
    },
    singletons: async () => (await store.leases.all()).sort((a, b) => a.name.localeCompare(b.name)),
    maps: () => storeMaps(store),
    close: () => unsubscribe().catch(() => undefined),
  };
}
