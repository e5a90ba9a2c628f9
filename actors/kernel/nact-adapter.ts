// The kernel's only door to nact (baseline.ts also uses it bare, for benchmark B8). It narrows
// nact's API to what the kernel uses and corrects its typings where they disagree with
// nact 7.6's code (the mailbox entries handed to `afterStop` are `{ message, sender }`).
import nact from 'nact';
import type { Ref } from 'nact';

export type NactRef = Ref<unknown>;
export type NactSystemRef = Ref<never>;

/** A nact supervision decision (one of the symbols on the supervision context). */
export type NactDecision = symbol;

export interface NactSupervisionContext {
  readonly reset: NactDecision;
  readonly stop: NactDecision;
  readonly resume: NactDecision;
}

export interface NactStopContext {
  readonly mailbox: ReadonlyArray<{ readonly message: unknown }>;
}

export interface NactActorHooks {
  /** Handles one message; a returned promise holds the mailbox until it settles. */
  receive(message: unknown): void | Promise<void>;
  /** Called by nact when `receive` throws or rejects; returns what nact should do. */
  onCrash(message: unknown, error: unknown, ctx: NactSupervisionContext): NactDecision;
  /** Called by nact (on a later tick) after the actor stopped, with what was still queued. */
  afterStop(ctx: NactStopContext): void;
}

export function startNactSystem(): NactSystemRef {
  return nact.start();
}

export function stopNactSystem(system: NactSystemRef): void {
  nact.stop(system);
}

export function spawnNact(parent: NactRef | NactSystemRef, name: string, hooks: NactActorHooks): NactRef {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- nact's typings cannot name the ref type it returns
  return nact.spawn(parent, (_state: undefined, message: unknown) => hooks.receive(message), name, {
    onCrash: (message, error, ctx) => hooks.onCrash(message, error, ctx as unknown as NactSupervisionContext),
    afterStop: (_state, ctx) => hooks.afterStop(ctx as unknown as NactStopContext),
  }) as NactRef;
}

export function dispatchNact(ref: NactRef, message: unknown): void {
  nact.dispatch(ref, message);
}

/**
 * Stops one actor. nact 7.6 does not stop grandchildren reliably (its recursive stop looks
 * actors up by the wrong key), so the kernel stops children itself, deepest first.
 */
export function stopNact(ref: NactRef): void {
  nact.stop(ref);
}

/** nact's own name rule for actor path segments. */
export const NACT_NAME_PATTERN = /^[a-z0-9-$_.+!*'(),]+$/i;
