// One supervised actor over a nact actor: its state, its children, restarts within its policy
// (OTP MaxR/MaxT) and escalation to its parent past that.
//
// nact provides the mailbox, one-at-a-time processing (an async handler holds the mailbox),
// paths, and the crash hook. The kernel keeps the state and the child list itself because
// nact's `reset` cannot run an async `init` and nact's recursive `stop` misses grandchildren.
// Escalation travels as a signal through the parent's mailbox, so the parent crashes while
// it is not in the middle of another message.
import type { Logger } from '../../domain/log.js';
import { ActorStoppedError, EscalationError, toError } from './errors.js';
import {
  NACT_NAME_PATTERN,
  dispatchNact,
  spawnNact,
  stopNact,
  type NactDecision,
  type NactRef,
  type NactStopContext,
  type NactSupervisionContext,
  type NactSystemRef,
} from './nact-adapter.js';
import { failReplyOf } from './reply.js';
import { DEFAULT_RESTART_POLICY, RestartWindow, validateRestartPolicy } from './restart-window.js';
import { ActorCounters } from './stats.js';
import type { ActorContext, ActorRef, ActorSpec, ActorStats, RestartPolicy } from './types.js';

/** What all actors of one system share. */
export interface SystemScope {
  readonly log: Logger;
  readonly nactSystem: NactSystemRef;
  /** Running actors by path. Refs resolve through it, so a respawned child keeps its refs. */
  readonly live: Map<string, Cell>;
  /** Top-level actors by name. */
  readonly topLevel: Map<string, Cell>;
  /** Cells stopped but whose onStop has not finished yet. */
  readonly finishing: Set<Promise<void>>;
  stopping: boolean;
  /** A top-level actor crashed past its restart limit. */
  giveUp(error: Error, path: string): void;
}

/** The kernel's view of a running actor, independent of its state and message types. */
export interface Cell {
  readonly path: string;
  /** False from the moment it starts stopping (also when it gave up). */
  readonly running: boolean;
  /** Resolves when the actor and its children stopped and their onStop hooks finished. */
  readonly terminated: Promise<void>;
  /** Running children by name, in spawn order. */
  readonly children: ReadonlyMap<string, Cell>;
  deliver(message: unknown): void;
  /** Crash as if the handler had thrown `new Error(reason)` (an operator's stop, docs/console.md). */
  crash(reason: string): void;
  stats(nowMs: number): ActorStats;
  stop(): void;
}

/** Internal messages; user messages are dispatched as they are, without an envelope. */
abstract class Signal {}

/** Queued at start and after each restart so `init` runs even when no message arrives. */
class StartSignal extends Signal {}
const START = new StartSignal();

class CrashSignal extends Signal {
  constructor(readonly reason: string) {
    super();
  }
}

class ChildGaveUp extends Signal {
  constructor(
    readonly childPath: string,
    readonly error: Error,
    readonly parentIncarnation: number,
  ) {
    super();
  }
}

export class KernelRef<M> implements ActorRef<M> {
  private cached: Cell | undefined;

  constructor(
    readonly path: string,
    private readonly live: Map<string, Cell>,
  ) {}

  tell(message: M): void {
    const cell = this.cell();
    if (cell === undefined) failReplyOf(message, new ActorStoppedError(this.path));
    else cell.deliver(message);
  }

  /** The running actor at this path, if any: after a restart by its parent, the new one. */
  cell(): Cell | undefined {
    if (this.cached === undefined || !this.cached.running) this.cached = this.live.get(this.path);
    return this.cached;
  }
}

function isPromiseLike<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function validateSpec<S, M>(spec: ActorSpec<S, M>): void {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('actor spec must be an object');
  const { name } = spec;
  if (typeof name !== 'string' || !NACT_NAME_PATTERN.test(name)) {
    throw new TypeError(`actor name must be a non-empty string of letters, digits and -$_.+!*'(), ; got ${JSON.stringify(name)}`);
  }
  if (typeof spec.init !== 'function') throw new TypeError(`actor "${name}": init must be a function`);
  if (typeof spec.handle !== 'function') throw new TypeError(`actor "${name}": handle must be a function`);
  if (spec.onStop !== undefined && typeof spec.onStop !== 'function') {
    throw new TypeError(`actor "${name}": onStop must be a function`);
  }
}

/** Spawns a supervised actor under `parent` (or at the top level) and returns its ref. */
export function spawnActor<S, M>(scope: SystemScope, parent: ActorCell<unknown, unknown> | undefined, spec: ActorSpec<S, M>): ActorRef<M> {
  validateSpec(spec);
  const policy = validateRestartPolicy(spec.restart ?? DEFAULT_RESTART_POLICY, spec.name);
  const siblings = parent === undefined ? scope.topLevel : parent.children;
  if (siblings.has(spec.name)) {
    throw new Error(`an actor named "${spec.name}" already runs under ${parent === undefined ? 'the root' : parent.path}`);
  }
  return new ActorCell<S, M>(scope, parent, spec, policy).ref;
}

export class ActorCell<S, M> implements Cell {
  readonly path: string;
  readonly ref: KernelRef<M>;
  readonly children = new Map<string, Cell>();
  readonly terminated: Promise<void>;
  private readonly markTerminated: () => void;
  private readonly nactRef: NactRef;
  private readonly ctx: ActorContext<M>;
  private readonly restarts: RestartWindow;
  private readonly counters = new ActorCounters();
  private readonly parentIncarnation: number;
  /** Bumped on every restart; signals from children of an older incarnation are ignored. */
  private incarnation = 0;
  private state: S | undefined;
  private initialized = false;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private crashed = false;
  private childrenTerminated: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly scope: SystemScope,
    private readonly parent: ActorCell<unknown, unknown> | undefined,
    private readonly spec: ActorSpec<S, M>,
    private readonly policy: RestartPolicy,
  ) {
    this.path = `${parent?.path ?? ''}/${spec.name}`;
    this.ref = new KernelRef<M>(this.path, scope.live);
    this.parentIncarnation = parent?.incarnation ?? 0;
    this.restarts = new RestartWindow(policy);
    let markTerminated = (): void => {};
    this.terminated = new Promise<void>((resolve) => {
      markTerminated = resolve;
    });
    this.markTerminated = markTerminated;
    this.ctx = {
      self: this.ref,
      name: spec.name,
      log: scope.log.child({ actor: this.path }),
      spawn: <CS, CM>(childSpec: ActorSpec<CS, CM>): ActorRef<CM> => {
        if (this.stopped) throw new ActorStoppedError(this.path);
        return spawnActor(scope, this as ActorCell<unknown, unknown>, childSpec);
      },
    };
    this.nactRef = spawnNact(parent?.nactRef ?? scope.nactSystem, spec.name, {
      receive: (message) => this.receive(message),
      onCrash: (_message, error, nactCtx) => this.onCrash(error, nactCtx),
      afterStop: (nactCtx) => this.afterStop(nactCtx),
    });
    (parent === undefined ? scope.topLevel : parent.children).set(spec.name, this);
    scope.live.set(this.path, this);
    this.deliver(START);
  }

  get running(): boolean {
    return !this.stopped;
  }

  deliver(message: unknown): void {
    this.counters.enqueued();
    dispatchNact(this.nactRef, message);
  }

  crash(reason: string): void {
    this.deliver(new CrashSignal(reason));
  }

  stats(nowMs: number): ActorStats {
    return this.counters.snapshot(this.initialized ? 'running' : 'starting', nowMs);
  }

  /** Orderly stop: children first, then this actor; onStop runs with the last state. */
  stop(): void {
    if (this.stopped) return;
    this.halt(false);
    stopNact(this.nactRef);
  }

  // ---- message processing (nact calls receive one message at a time) ----

  private receive(message: unknown): void | Promise<void> {
    this.counters.taken(Date.now());
    if (!this.initialized) return this.initThenHandle(message);
    return this.handleOne(message);
  }

  private initThenHandle(message: unknown): void | Promise<void> {
    let initial: S | Promise<S>;
    try {
      initial = this.spec.init(this.ctx);
    } catch (error) {
      throw this.crashOn(message, error);
    }
    if (isPromiseLike(initial)) {
      return this.track(
        initial.then(
          (state) => {
            this.becomeReady(state);
            return this.handleOne(message);
          },
          (error: unknown) => {
            throw this.crashOn(message, error);
          },
        ),
      );
    }
    this.becomeReady(initial);
    return this.handleOne(message);
  }

  private becomeReady(state: S): void {
    this.state = state;
    this.initialized = true;
  }

  private handleOne(message: unknown): void | Promise<void> {
    // nact may still run a message that was scheduled just before the actor stopped.
    if (this.stopped) {
      failReplyOf(message, new ActorStoppedError(this.path));
      return;
    }
    if (message instanceof Signal) return this.handleSignal(message);
    let next: S | Promise<S>;
    try {
      next = this.spec.handle(this.state as S, message as M, this.ctx);
    } catch (error) {
      throw this.crashOn(message, error);
    }
    if (isPromiseLike(next)) {
      return this.track(
        next.then(
          (state) => {
            this.state = state;
          },
          (error: unknown) => {
            throw this.crashOn(message, error);
          },
        ),
      );
    }
    this.state = next;
  }

  private handleSignal(signal: Signal): void {
    if (signal instanceof CrashSignal) throw new Error(signal.reason);
    if (!(signal instanceof ChildGaveUp)) return; // START: init already ran in receive
    if (signal.parentIncarnation !== this.incarnation) {
      this.scope.log.debug({ actor: this.path, child: signal.childPath }, 'ignoring a stale escalation');
      return;
    }
    throw new EscalationError(signal.childPath, signal.error);
  }

  private track(promise: Promise<void>): Promise<void> {
    this.inFlight = promise;
    return promise;
  }

  /** The crash error; the crashing message's asker is told at once instead of timing out. */
  private crashOn(message: unknown, thrown: unknown): Error {
    const error = toError(thrown);
    failReplyOf(message, error);
    return error;
  }

  // ---- supervision ----

  private onCrash(thrown: unknown, nactCtx: NactSupervisionContext): NactDecision {
    const error = toError(thrown);
    try {
      return this.supervise(error, nactCtx);
    } catch (internal) {
      this.scope.log.fatal(
        { actor: this.path, err: toError(internal).message, crash: error.message },
        'kernel failed while supervising a crash; stopping the actor',
      );
      if (!this.stopped) this.halt(true);
      return nactCtx.stop;
    }
  }

  private supervise(error: Error, nactCtx: NactSupervisionContext): NactDecision {
    const { log } = this.scope;
    if (this.stopped) {
      log.warn({ actor: this.path, err: error.message }, 'actor crashed after it was stopped');
      return nactCtx.resume; // nact does nothing more for a stopped actor
    }
    if (this.scope.stopping) {
      log.warn({ actor: this.path, err: error.message }, 'actor crashed while the system stops');
      this.halt(true);
      return nactCtx.stop;
    }
    const restartAllowed = this.restarts.recordCrash(performance.now());
    const fields = {
      actor: this.path,
      err: error.message,
      stack: error.stack,
      crashes: this.restarts.recentCrashes,
      maxRestarts: this.policy.maxRestarts,
      withinMs: this.policy.withinMs,
    };
    if (restartAllowed) {
      log.error(fields, 'actor crashed; restarting it with fresh state');
      this.counters.restarted(error.message, Date.now());
      this.prepareRestart();
      return nactCtx.reset;
    }
    const parent = this.parent;
    log.error(
      fields,
      parent === undefined
        ? 'top-level actor crashed past its restart limit; giving up'
        : 'actor crashed past its restart limit; escalating to its parent',
    );
    this.halt(true);
    if (parent === undefined) this.scope.giveUp(error, this.path);
    else if (!parent.stopped) parent.deliver(new ChildGaveUp(this.path, error, this.parentIncarnation));
    return nactCtx.stop;
  }

  /** Before nact's reset (which keeps the mailbox): fresh state and fresh children. */
  private prepareRestart(): void {
    void this.stopChildren(); // system.stop waits for them through scope.finishing
    this.incarnation += 1;
    this.initialized = false;
    this.state = undefined;
    this.deliver(START);
  }

  // ---- stopping ----

  /** Marks this actor stopped, stops its children and unregisters it (nact stops it next). */
  private halt(crashed: boolean): void {
    this.stopped = true;
    this.crashed = crashed;
    this.childrenTerminated = this.stopChildren();
    const siblings = this.parent === undefined ? this.scope.topLevel : this.parent.children;
    if (siblings.get(this.spec.name) === this) siblings.delete(this.spec.name);
    if (this.scope.live.get(this.path) === this) this.scope.live.delete(this.path);
    const finishing = this.terminated;
    this.scope.finishing.add(finishing);
    void finishing.then(() => this.scope.finishing.delete(finishing));
  }

  private stopChildren(): Promise<unknown> {
    const children = [...this.children.values()];
    for (const child of children) child.stop();
    return Promise.all(children.map((child) => child.terminated));
  }

  private afterStop(nactCtx: NactStopContext): void {
    const notRunning = new ActorStoppedError(this.path);
    for (const { message } of nactCtx.mailbox) failReplyOf(message, notRunning);
    void this.finish();
  }

  private async finish(): Promise<void> {
    try {
      await this.childrenTerminated;
      if (this.inFlight !== undefined) await this.inFlight.catch(() => undefined);
      if (!this.crashed && this.initialized && this.spec.onStop !== undefined) {
        await this.spec.onStop(this.state as S);
      }
    } catch (error) {
      this.scope.log.warn({ actor: this.path, err: toError(error).message }, 'onStop failed');
    } finally {
      this.markTerminated();
    }
  }
}
