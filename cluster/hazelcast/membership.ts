// Membership on Hazelcast: each node keeps an entry in the IMap `cluster.nodes` alive with a
// TTL of nodeDownAfterMs, renewed every heartbeatIntervalMs. A node that stops renewing
// expires. Watchers combine the map's entry events (prompt) with a periodic sweep of the
// map (the member removes expired entries lazily, and a member restart loses the map
// without any event), so 'down' arrives within nodeDownAfterMs plus one sweep.
import type { EntryEvent, IMap } from 'hazelcast-client';
import { errorText } from '../../domain/errors.js';
import type { Logger } from '../../domain/log.js';
import type { ClusterMembership, LiveNode, MembershipEvent, NodeInfo, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { decodeLiveNode, validateNodeInfo } from '../codec.js';

export const NODES_MAP = 'cluster.nodes';
/** How long a join keeps retrying its first registration, and the pause between attempts. */
const JOIN_RETRY_MS = 60_000;
const JOIN_RETRY_PAUSE_MS = 500;

type RawMap = IMap<string, string>;
type Listener = (event: MembershipEvent) => void;

export interface HazelcastMembershipOptions {
  heartbeatIntervalMs: number;
  nodeDownAfterMs: number;
  log: Logger;
}

export class HazelcastMembership implements ClusterMembership {
  private self: NodeInfo | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private beatFailing = false;
  private readonly listeners = new Set<Listener>();
  private watcher: Watcher | undefined;
  private closed = false;

  constructor(
    private readonly open: () => Promise<RawMap>,
    private readonly opts: HazelcastMembershipOptions,
  ) {}

  async join(node: NodeInfo): Promise<void> {
    if (this.closed) throw new Error('cluster store is closed');
    validateNodeInfo(node);
    this.self = { ...node };
    await this.firstBeat();
    if (!this.heartbeatTimer) {
      this.heartbeatTimer = setInterval(() => void this.beat(false), this.opts.heartbeatIntervalMs);
      this.heartbeatTimer.unref();
    }
  }

  async leave(): Promise<void> {
    this.stopHeartbeat();
    const self = this.self;
    this.self = undefined;
    // A heartbeat still in flight would put the entry back after our delete.
    await this.beating?.catch(() => {});
    if (self) await (await this.open()).delete(self.name);
  }

  async nodes(): Promise<LiveNode[]> {
    const entries = await (await this.open()).entrySet();
    const nodes: LiveNode[] = [];
    for (const [, raw] of entries) {
      const node = decodeLiveNode(raw);
      if (node) nodes.push(node);
    }
    return nodes.sort((a, b) => a.name.localeCompare(b.name));
  }

  async onChange(listener: Listener): Promise<Unsubscribe> {
    if (this.closed) throw new Error('cluster store is closed');
    this.listeners.add(listener);
    const watcher = (this.watcher ??= new Watcher(this.open, this.opts, (event) => this.emit(event)));
    try {
      await watcher.started;
    } catch (err) {
      this.listeners.delete(listener);
      if (this.watcher === watcher) {
        watcher.stop();
        this.watcher = undefined;
      }
      throw err;
    }
    return async () => {
      this.listeners.delete(listener);
      this.stopWatcherIfIdle();
    };
  }

  /** After a reconnect: the member may have restarted and lost the map, so register again now. */
  onReconnected(): void {
    this.watcher?.graceAfterReconnect();
    void this.beat(false);
  }

  close(): void {
    this.closed = true;
    this.stopHeartbeat();
    this.listeners.clear();
    this.watcher?.stop();
    this.watcher = undefined;
  }

  private stopWatcherIfIdle(): void {
    if (this.listeners.size > 0 || !this.watcher) return;
    this.watcher.stop();
    this.watcher = undefined;
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private emit(event: MembershipEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.opts.log.error({ err }, 'membership listener failed');
      }
    }
  }

  /**
   * The first beat of a join, retried while the cluster connection comes back (a member
   * starved of CPU or restarting drops it; the client reconnects by itself) for up to
   * JOIN_RETRY_MS, so a node does not give up its start on a passing disconnect
   * (docs/deployment.md, "What losing a host looks like").
   */
  private async firstBeat(): Promise<void> {
    const deadline = Date.now() + JOIN_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.beat(true);
      } catch (err) {
        if (this.closed || this.self === undefined || Date.now() >= deadline) throw err;
        this.opts.log.warn({ node: this.self.name, attempt, err: errorText(err) }, 'joining the node list failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, JOIN_RETRY_PAUSE_MS));
      }
    }
  }

  /** Renews our entry; the first beat of a join reports failure, later ones only log it. */
  private beat(throwOnError: boolean): Promise<void> {
    const self = this.self;
    if (!self) return Promise.resolve();
    if (this.beating && !throwOnError) return this.beating;
    const run: Promise<void> = (async () => {
      try {
        const live: LiveNode = { ...self, lastHeartbeatAt: new Date().toISOString() };
        await (await this.open()).set(self.name, JSON.stringify(live), this.opts.nodeDownAfterMs);
        if (this.beatFailing) this.opts.log.info({ node: self.name }, 'membership heartbeat restored');
        this.beatFailing = false;
      } catch (err) {
        if (throwOnError) throw err;
        if (!this.beatFailing) this.opts.log.warn({ node: self.name, err: String(err) }, 'membership heartbeat failed');
        this.beatFailing = true;
      }
    })();
    this.beating = run;
    void run
      .finally(() => {
        if (this.beating === run) this.beating = undefined;
      })
      .catch(() => {});
    return run;
  }
}

/** Turns the nodes map into up/down events for one store. */
class Watcher {
  private readonly known = new Map<string, LiveNode>();
  /** Per name, the sequence number of the last entry event (a sweep older than it is ignored). */
  private readonly lastEventSeq = new Map<string, number>();
  private eventSeq = 0;
  private listenerId: string | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private stopped = false;
  private graceUntil = 0;
  readonly started: Promise<void>;

  constructor(
    private readonly open: () => Promise<RawMap>,
    private readonly opts: HazelcastMembershipOptions,
    private readonly emit: Listener,
  ) {
    this.started = this.start();
    this.started.catch(() => {});
  }

  private async start(): Promise<void> {
    const map = await this.open();
    const onUp = (event: EntryEvent<string, string>): void => this.onEntry(event.key, event.value);
    const onDown = (event: EntryEvent<string, string>): void => this.onGone(event.key);
    const id = await map.addEntryListener(
      { added: onUp, updated: onUp, merged: onUp, removed: onDown, expired: onDown, evicted: onDown },
      undefined,
      true,
    );
    if (this.stopped) {
      await map.removeEntryListener(id).catch(() => {});
      return;
    }
    this.listenerId = id;
    const seq = this.eventSeq;
    for (const [name, raw] of await map.entrySet()) {
      const node = decodeLiveNode(raw);
      if (node && (this.lastEventSeq.get(name) ?? -1) < seq && !this.known.has(name)) this.known.set(name, node);
    }
    const period = Math.max(100, Math.min(this.opts.heartbeatIntervalMs, Math.floor(this.opts.nodeDownAfterMs / 3)));
    this.sweepTimer = setInterval(() => void this.sweep(), period);
    this.sweepTimer.unref();
  }

  graceAfterReconnect(): void {
    this.graceUntil = Date.now() + this.opts.nodeDownAfterMs;
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const id = this.listenerId;
    if (id)
      void this.open()
        .then((map) => map.removeEntryListener(id))
        .catch(() => {});
  }

  private onEntry(name: string, raw: string): void {
    if (this.stopped) return;
    this.lastEventSeq.set(name, ++this.eventSeq);
    const node = decodeLiveNode(raw);
    if (node) this.up(node);
  }

  private onGone(name: string): void {
    if (this.stopped) return;
    this.lastEventSeq.set(name, ++this.eventSeq);
    this.down(name);
  }

  private up(node: LiveNode): void {
    const wasKnown = this.known.has(node.name);
    this.known.set(node.name, node);
    if (!wasKnown) this.emit({ type: 'up', node });
  }

  private down(name: string): void {
    if (this.known.delete(name)) this.emit({ type: 'down', name });
  }

  private async sweep(): Promise<void> {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    const seq = this.eventSeq;
    try {
      const entries = await (await this.open()).entrySet();
      if (this.stopped) return;
      const untouched = (name: string): boolean => (this.lastEventSeq.get(name) ?? -1) <= seq;
      const present = new Set<string>();
      for (const [name, raw] of entries) {
        present.add(name);
        const node = decodeLiveNode(raw);
        if (node && untouched(name) && !this.known.has(name)) this.up(node);
      }
      if (Date.now() < this.graceUntil) return;
      for (const name of [...this.known.keys()]) {
        if (!present.has(name) && untouched(name)) this.down(name);
      }
    } catch (err) {
      this.opts.log.debug({ err: String(err) }, 'membership sweep failed');
    } finally {
      this.sweeping = false;
    }
  }
}
