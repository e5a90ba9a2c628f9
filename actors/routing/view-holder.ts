// The current routing view of a node. Only the routing actor replaces it (swap); the client
// port reads it on every request with current(): a field read, no message, no lock — the
// Erlang pattern of a process owning an ETS table that everyone reads directly.
import { emptyDomainModel } from '../../domain/routing/entities.js';
import { buildRoutingView, type RoutingView } from './view.js';

export class RoutingViewHolder {
  private view: RoutingView = buildRoutingView(emptyDomainModel(), 0);
  private loadedOnce = false;
  private readonly waiters: Array<() => void> = [];

  /** The snapshot to decide with (empty until the first load). Never mutate it. */
  current(): RoutingView {
    return this.view;
  }

  /** True once a view built from the cluster maps was installed. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** The cluster map generation the current view was built from (0 before the first load). */
  get generation(): number {
    return this.view.generation;
  }

  swap(view: RoutingView): void {
    this.view = view;
    if (!this.loadedOnce) {
      this.loadedOnce = true;
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves true once loaded, or false when `timeoutMs` passes first. */
  whenLoaded(timeoutMs: number): Promise<boolean> {
    if (this.loadedOnce) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
