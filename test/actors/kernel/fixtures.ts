// Small actors the kernel tests share.
import type { ActorContext, ActorRef, ActorSpec, ReplyTo, RestartPolicy } from '../../../actors/kernel/index.js';

export type CounterMsg =
  | { kind: 'inc' }
  | { kind: 'get'; replyTo: ReplyTo<number> }
  | { kind: 'crash'; replyTo?: ReplyTo<number> }
  | { kind: 'crash-async'; replyTo?: ReplyTo<number> };

export interface CounterProbe {
  inits: number;
  stops: number[];
}

/** A counter that crashes on request; records its inits and the states it stopped with. */
export function counterSpec(name: string, probe: CounterProbe, restart?: RestartPolicy): ActorSpec<number, CounterMsg> {
  return {
    name,
    ...(restart !== undefined ? { restart } : {}),
    init: () => {
      probe.inits += 1;
      return 0;
    },
    handle: async (count, msg) => {
      switch (msg.kind) {
        case 'inc':
          return count + 1;
        case 'get':
          msg.replyTo.reply(count);
          return count;
        case 'crash':
          throw new Error(`boom in ${name}`);
        case 'crash-async':
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error(`async boom in ${name}`);
      }
    },
    onStop: (count) => {
      probe.stops.push(count);
    },
  };
}

export function newProbe(): CounterProbe {
  return { inits: 0, stops: [] };
}

export type ParentMsg = { kind: 'children'; replyTo: ReplyTo<Record<string, ActorRef<CounterMsg>>> };

/** A parent whose init spawns the given children; `onInit` runs after each (re)start. */
export function parentSpec(
  name: string,
  children: Array<ActorSpec<number, CounterMsg>>,
  onInit: (ctx: ActorContext<ParentMsg>) => void,
  restart?: RestartPolicy,
): ActorSpec<Record<string, ActorRef<CounterMsg>>, ParentMsg> {
  return {
    name,
    ...(restart !== undefined ? { restart } : {}),
    init: (ctx) => {
      const refs: Record<string, ActorRef<CounterMsg>> = {};
      for (const child of children) refs[child.name] = ctx.spawn(child);
      onInit(ctx);
      return refs;
    },
    handle: (refs, msg) => {
      msg.replyTo.reply(refs);
      return refs;
    },
  };
}
