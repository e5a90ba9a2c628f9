// The actor system of a node: top-level spawn, give-up handling, orderly stop.
import type { Logger } from '../../domain/log.js';
import { ActorStoppedError, toError } from './errors.js';
import { KernelRef, spawnActor, type Cell, type SystemScope } from './cell.js';
import { startNactSystem, stopNactSystem } from './nact-adapter.js';
import type { ActorRef, ActorSpec, ActorSystem, ActorTreeNode } from './types.js';

export interface ActorSystemOptions {
  log: Logger;
  /**
   * A top-level actor crashed past its restart limit: nothing above it can restart it, so the
   * node should exit. Default: log at fatal level.
   */
  onGiveUp?: (error: Error, path: string) => void;
}

function treeNodeOf(cell: Cell, nowMs: number): ActorTreeNode {
  const name = cell.path.slice(cell.path.lastIndexOf('/') + 1);
  return { path: cell.path, name, ...cell.stats(nowMs), children: [...cell.children.values()].map((child) => treeNodeOf(child, nowMs)) };
}

class KernelSystem implements ActorSystem {
  private stopped: Promise<void> | undefined;

  constructor(private readonly scope: SystemScope) {}

  spawn<S, M>(spec: ActorSpec<S, M>): ActorRef<M> {
    if (this.scope.stopping) throw new ActorStoppedError('/');
    return spawnActor(this.scope, undefined, spec);
  }

  tree(): ActorTreeNode[] {
    const now = Date.now();
    return [...this.scope.topLevel.values()].map((cell) => treeNodeOf(cell, now));
  }

  crash(path: string, reason: string): boolean {
    const cell = this.scope.live.get(path);
    if (cell === undefined || !cell.running) return false;
    cell.crash(reason);
    return true;
  }

  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    const { scope } = this;
    scope.stopping = true;
    for (const cell of [...scope.topLevel.values()]) cell.stop();
    // Children stopped by earlier restarts may still be finishing too.
    while (scope.finishing.size > 0) await Promise.all([...scope.finishing]);
    stopNactSystem(scope.nactSystem);
  }
}

export function startActorSystem(options: ActorSystemOptions): ActorSystem {
  const { log } = options;
  const onGiveUp =
    options.onGiveUp ??
    ((error: Error, path: string) => log.fatal({ actor: path, err: error.message }, 'top-level actor gave up past its restart limit'));
  const scope: SystemScope = {
    log,
    nactSystem: startNactSystem(),
    live: new Map<string, Cell>(),
    topLevel: new Map<string, Cell>(),
    finishing: new Set<Promise<void>>(),
    stopping: false,
    giveUp(error, path) {
      const failed = (callbackError: unknown): void =>
        log.fatal({ actor: path, err: toError(callbackError).message }, 'onGiveUp callback failed');
      try {
        // Typed as returning void, but an async callback must not become an unhandled rejection.
        const result: unknown = onGiveUp(error, path);
        if (result instanceof Promise) result.catch(failed);
      } catch (callbackError) {
        failed(callbackError);
      }
    },
  };
  return new KernelSystem(scope);
}

/**
 * Stops one actor (and its children) as its parent would: onStop hooks run, queued asks fail
 * with ActorStoppedError. Resolves when done; a no-op for an actor that is not running.
 */
export async function stopActor(ref: ActorRef<unknown>): Promise<void> {
  if (!(ref instanceof KernelRef)) throw new TypeError(`stopActor: ${String(ref?.path)} is not a kernel actor ref`);
  const cell = ref.cell();
  if (cell === undefined) return;
  cell.stop();
  await cell.terminated;
}
