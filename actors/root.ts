// The supervision tree of a node, top-down. Each branch declares its own children in its
// branch file, the way an OTP supervisor's init/1 does:
//
//   node                 RESTART.node: past it the system gives up and the process exits
//   ├── cluster          actors/cluster/rejoin-coordinator.ts   rejoin coordinator
//   ├── auth             actors/auth/index.ts                   users
//   ├── routing          actors/routing/branch.ts               domain-model, routing-view, healthcheck
//   ├── chat             actors/chat/index.ts                   registry → room-<name>
//   ├── video            actors/video/index.ts                  search, indexer-<zone>, retention-<zone>
//   └── scheduling       actors/scheduling/index.ts             EPG and DVR recording singletons (docs/scheduling.md)
//
// bin/node/start-node.ts lists the branches (name → starter), so adding a branch is one entry
// there. docs/architecture.md draws the running tree; test/actors/tree.test.ts keeps the two equal.
//
// Each branch is a supervisor actor whose `init` runs the feature's starter with its own
// context, so a restart of a branch restarts the whole feature with fresh state. Refs are
// path-based, so services made from the first start keep working after restarts.
import { RESTART, type ActorContext, type ActorSpec, type ActorSystem } from './kernel/index.js';

/** Spawns a branch's children under its context and returns what the rest of the node uses. */
export type BranchStarter<R> = (ctx: ActorContext<never>) => R | Promise<R>;

export const NODE_ACTOR_NAME = 'node';

type StarterResults<B> = { [K in keyof B]: B[K] extends BranchStarter<infer R> ? R : never };

function branchSpec<R>(name: string, starter: BranchStarter<R>, onFirstStart: (result: R) => void): ActorSpec<null, never> {
  let started = false;
  return {
    name,
    restart: RESTART.branch,
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
      restart: RESTART.node,
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
