// Local membership: the node table lives in the LocalCluster; each handle that joins keeps
// its entry alive with a heartbeat timer. A handle that is closed (or whose process would
// have died) stops beating, and a sweep declares it down after nodeDownAfterMs.
import type { ClusterMembership, LiveNode, MembershipEvent, NodeInfo, Unsubscribe } from '../../domain/ports/cluster-store.js';
import { decodeLiveNode, validateNodeInfo } from '../codec.js';
import { Subscription, type Dispatcher, type HandleContext } from './dispatch.js';

interface Entry {
  /** The LiveNode as JSON text: every reader gets its own copy. */
  text: string;
  lastBeatMs: number;
}

export class LocalNodeTable {
  private readonly nodes = new Map<string, Entry>();
  readonly subscriptions = new Set<Subscription<MembershipEvent>>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dispatcher: Dispatcher,
    readonly downAfterMs: number,
    private readonly sweepEveryMs: number,
  ) {}

  /** Registers or refreshes a node; a node not (or no longer) in the table comes 'up'. */
  beat(node: NodeInfo): void {
    const now = Date.now();
    const text = JSON.stringify({ ...node, lastHeartbeatAt: new Date(now).toISOString() });
    const isNew = !this.nodes.has(node.name);
    this.nodes.set(node.name, { text, lastBeatMs: now });
    if (isNew) this.emit(() => ({ type: 'up', node: decodeLiveNode(text)! }));
    this.ensureSweeping();
  }

  remove(name: string): void {
    if (this.nodes.delete(name)) this.emit(() => ({ type: 'down', name }));
  }

  list(): LiveNode[] {
    this.sweep();
    return [...this.nodes.values()].map((entry) => decodeLiveNode(entry.text)!).sort((a, b) => a.name.localeCompare(b.name));
  }

  private emit(event: () => MembershipEvent): void {
    this.dispatcher.post(this.subscriptions, event, 'membership');
  }

  private ensureSweeping(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), this.sweepEveryMs);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [name, entry] of [...this.nodes]) {
      if (now - entry.lastBeatMs > this.downAfterMs) this.remove(name);
    }
    if (this.nodes.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }
}

export class LocalMembership implements ClusterMembership {
  private self: NodeInfo | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly table: LocalNodeTable,
    private readonly handle: HandleContext,
    private readonly heartbeatIntervalMs: number,
  ) {}

  async join(node: NodeInfo): Promise<void> {
    this.handle.checkOpen();
    validateNodeInfo(node);
    const self = JSON.parse(JSON.stringify(node)) as NodeInfo;
    this.self = self;
    this.table.beat(self);
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => this.table.beat(self), this.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  async leave(): Promise<void> {
    this.handle.checkOpen();
    this.stopHeartbeat();
    if (this.self) this.table.remove(this.self.name);
    this.self = undefined;
  }

  async nodes(): Promise<LiveNode[]> {
    this.handle.checkOpen();
    return this.table.list();
  }

  async onChange(listener: (event: MembershipEvent) => void): Promise<Unsubscribe> {
    this.handle.checkOpen();
    const sub = new Subscription<MembershipEvent>(listener);
    this.table.subscriptions.add(sub);
    this.handle.track(sub);
    return async () => {
      sub.active = false;
      this.table.subscriptions.delete(sub);
    };
  }

  /** The handle closed: the node just stops beating, as if its process had died. */
  stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}
