// The supervision tree of a node:
//
//   node                 (restart ≤ 3 in 30 s, then the system gives up and the process exits)
//   ├── cluster          singletons held by this node
//   ├── auth             users
//   ├── routing          routing view owner, health-check singleton
//   ├── chat             room registry → room actors
//   ├── video            indexer, search, retention
//   └── scheduling       EPG and DVR recording singletons (docs/scheduling.md)
//
// Each branch is a supervisor actor whose `init` runs the feature's starter with its own
// context, so a restart of a branch restarts the whole feature with fresh state. Refs are
// path-based, so services made from the first start keep working after restarts.
import type { ActorContext, ActorSpec, ActorSystem, RestartPolicy } from './kernel/index.js';

export type BranchStarter<R> = (ctx: ActorContext<never>) => R | Promise<R>;

export const NODE_ACTOR_NAME = 'node';
export const NODE_RESTART_POLICY: RestartPolicy = { maxRestarts: 3, withinMs: 30_000 };
const BRANCH_RESTART_POLICY: RestartPolicy = { maxRestarts: 5, withinMs: 30_000 };

type StarterResults<B> = { [K in keyof B]: B[K] extends BranchStarter<infer R> ? R : never };

function branchSpec<R>(name: string, starter: BranchStarter<R>, onFirstStart: (result: R) => void): ActorSpec<null, never> {
  let started = false;
  return {
    name,
    restart: BRANCH_RESTART_POLICY,
    async init(ctx) {
      const result = await starter(ctx);
      if (!started) {
        started = true;
        onFirstStart(result);
      }
      return null;
    },
    handle: (state) => state,
  };
}

/**
 * Spawns the node actor with one branch per starter (in the order given) and resolves with
 * each starter's first result once every branch has started.
 */
export function startNodeTree<B extends Record<string, BranchStarter<unknown>>>(
  system: ActorSystem,
  branches: B,
  timeoutMs = 30_000,
): Promise<StarterResults<B>> {
  return new Promise((resolve, reject) => {
    const results: Partial<Record<keyof B, unknown>> = {};
    let pending = Object.keys(branches).length;
    const timer = setTimeout(() => reject(new Error(`the actor tree did not start within ${timeoutMs} ms`)), timeoutMs);
    const finishOne = (name: keyof B, result: unknown): void => {
      results[name] = result;
      pending -= 1;
      if (pending === 0) {
        clearTimeout(timer);
        resolve(results as StarterResults<B>);
      }
    };
    system.spawn<null, never>({
      name: NODE_ACTOR_NAME,
      restart: NODE_RESTART_POLICY,
      init(ctx) {
        for (const [name, starter] of Object.entries(branches)) {
          ctx.spawn(branchSpec(name, starter, (result) => finishOne(name, result)));
        }
        return null;
      },
      handle: (state) => state,
    });
  });
}
