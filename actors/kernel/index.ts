// The actor kernel: supervised actors over nact, typed refs, ask with timeout.
export type { ActorContext, ActorRef, ActorSpec, ActorSystem, ActorTreeNode, ReplyTo, RestartPolicy, Spawner } from './types.js';
export { startActorSystem, stopActor, type ActorSystemOptions } from './system.js';
export { ask, nextCorrelationId, type ReplyOf } from './ask.js';
export { AskTimeoutError, ActorStoppedError, EscalationError } from './errors.js';
export { isReplyTo, replyToOf, failReplyOf } from './reply.js';
export { DEFAULT_RESTART_POLICY } from './restart-window.js';
export { RESTART, type RestartPolicyName } from './policies.js';
export { rawNactDispatchRate } from './baseline.js';
