// The public shape of the actor kernel. Everything outside actors/kernel uses these types;
// nothing outside actors/kernel imports nact.
import type { Logger } from '../../domain/log.js';

/** A reference to an actor; messages are plain data (plus ReplyTo callbacks for asks). */
export interface ActorRef<M> {
  readonly path: string;
  tell(message: M): void;
}

/** Put this in a message that expects an answer; the handler calls `reply` or `fail` once. */
export interface ReplyTo<R> {
  /** Monotonic per process; never random (nact's `query` ids collide under load). */
  readonly correlationId: number;
  reply(result: R): void;
  fail(error: Error): void;
}

/** OTP MaxR/MaxT: more than `maxRestarts` crashes within `withinMs` escalates to the parent. */
export interface RestartPolicy {
  maxRestarts: number;
  withinMs: number;
}

/** Anything that spawns supervised actors: an ActorSystem or a supervisor's ActorContext. */
export interface Spawner {
  spawn<S, M>(spec: ActorSpec<S, M>): ActorRef<M>;
}

export interface ActorContext<M> {
  readonly self: ActorRef<M>;
  readonly name: string;
  readonly log: Logger;
  spawn<S, CM>(spec: ActorSpec<S, CM>): ActorRef<CM>;
}

export interface ActorSpec<S, M> {
  name: string;
  /** Builds fresh state at start and after every restart. */
  init(ctx: ActorContext<M>): S | Promise<S>;
  /** Returns the next state. Throwing (or rejecting) is a crash handled by the supervisor. */
  handle(state: S, message: M, ctx: ActorContext<M>): S | Promise<S>;
  /** Default: 3 restarts within 5 s. */
  restart?: RestartPolicy;
  /** Called with the last state when the actor stops (not on crash). */
  onStop?(state: S): void | Promise<void>;
}

/** `starting` until its init finished (also after each restart), then `running`. */
export type ActorRunState = 'starting' | 'running';

/** What the kernel counts for one running actor (docs/console.md, the Observer). */
export interface ActorStats {
  readonly state: ActorRunState;
  /** Restarts since the actor was first spawned by its parent (not reset by its own restarts). */
  readonly restarts: number;
  readonly lastRestartReason?: string;
  /** ISO-8601 UTC. */
  readonly lastRestartAt?: string;
  /** Messages delivered and not yet taken up by the actor. */
  readonly mailbox: number;
  /** Messages handled during the last whole second. */
  readonly messagesPerSecond: number;
}

/** One running actor and its running children: what an observer of the tree sees. */
export interface ActorTreeNode extends ActorStats {
  readonly path: string;
  readonly name: string;
  readonly children: readonly ActorTreeNode[];
}

export interface ActorSystem {
  spawn<S, M>(spec: ActorSpec<S, M>): ActorRef<M>;
  /** The running actors, top-level first, children in spawn order. */
  tree(): ActorTreeNode[];
  /**
   * Makes the running actor at `path` crash with `reason`, as if its handler had thrown: its
   * supervision restarts it (or escalates past its restart limit). False when no actor runs there.
   */
  crash(path: string, reason: string): boolean;
  stop(): Promise<void>;
}
