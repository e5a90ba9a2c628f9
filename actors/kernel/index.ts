// The actor kernel: supervised actors over nact, typed refs, ask with timeout. Exports only
// what the features, gateway, bin and tests use.
export type {
  ActorContext,
  ActorRef,
  ActorRunState,
  ActorSpec,
  ActorStats,
  ActorSystem,
  ActorTreeNode,
  ReplyTo,
  RestartPolicy,
  Spawner,
} from './types.js';
export { startActorSystem, stopActor } from './system.js';
export { ask } from './ask.js';
export { AskTimeoutError, ActorStoppedError, EscalationError } from './errors.js';
export { noReply } from './reply.js';
export { DEFAULT_RESTART_POLICY } from './restart-window.js';
export { RESTART } from './policies.js';
export { rawNactDispatchRate } from './baseline.js';
