// The domain-model actor (one per node, under the routing branch): owns writes of the redirect
// domain model. A write is validated against the stored model, written to MongoDB (the source
// of truth), then put into the cluster maps (versioned), then answered. Writes are handled one
// at a time; reads run detached so a slow query never holds the mailbox.
//
// Its parts, in ./domain-model/: records.ts (reads and single-record writes), map-publisher.ts
// (cluster map puts, pending repair, writer markers), generations.ts (whole generations of maps:
// bulk replace, rebuild, rejoin), epg-import.ts (XMLTV programmes), env.ts (shared state).
import { v7 as uuidv7 } from 'uuid';
import { errorText } from '../../domain/errors.js';
import type { Logger } from '../../domain/log.js';
import type { CollectionName } from '../../domain/routing/entities.js';
import { RESTART, noReply, type ActorSpec, type ReplyTo } from '../kernel/index.js';
import { DomainError, classifyStoreError } from './errors.js';
import { domainEnv, type DomainModelDeps, type DomainState } from './domain-model/env.js';
import { createEpgImport } from './domain-model/epg-import.js';
import { createGenerations } from './domain-model/generations.js';
import { createMapPublisher } from './domain-model/map-publisher.js';
import type { DomainMsg } from './domain-model/messages.js';
import { createRecordOps } from './domain-model/records.js';

export type { DomainModelDeps } from './domain-model/env.js';
export * from './domain-model/messages.js';

export const DOMAIN_MODEL_ACTOR_NAME = 'domain-model';

/** Internal: the periodic and on-reconnect retry of pending cluster map puts. */
interface Repair {
  type: 'repair';
}

async function answer<R>(replyTo: ReplyTo<R>, log: Logger, collection: CollectionName | undefined, work: () => Promise<R>): Promise<void> {
  let result: R;
  try {
    result = await work();
  } catch (err) {
    const known = classifyStoreError(err, collection);
    if (!(known instanceof DomainError)) log.error({ err: { message: errorText(err) } }, 'domain model: unexpected failure');
    replyTo.fail(known instanceof Error ? known : new Error(errorText(known)));
    return;
  }
  replyTo.reply(result);
}

export function domainModelSpec(deps: DomainModelDeps): ActorSpec<DomainState, DomainMsg | Repair> {
  const env = domainEnv(deps, uuidv7);
  const { store, surviving } = env;
  const publisher = createMapPublisher(env);
  const { writing } = publisher;
  const records = createRecordOps(env, publisher);
  const generations = createGenerations(env, publisher);
  const importPrograms = createEpgImport(env, publisher);
  /** A single-record write (`many`: an EPG import); the stored snapshot is renewed when its log grew long. */
  const written = <R>(log: Logger, work: () => Promise<R>, many = false): Promise<R> =>
    writing(work).finally(() => generations.renewal.afterWrite(log, many));

  return {
    name: DOMAIN_MODEL_ACTOR_NAME,
    restart: RESTART.owner,
    async init(ctx) {
      await Promise.all(surviving.cleanup.splice(0).map(async (fn) => fn()));
      const off = store.onStatus((status) => {
        if (status === 'connected') ctx.self.tell({ type: 'repair' });
      });
      const retry = setInterval(() => ctx.self.tell({ type: 'repair' }), 5000);
      retry.unref();
      surviving.cleanup = [off, () => clearInterval(retry)];
      surviving.rebuildSelf = (reason) => {
        ctx.self.tell({ type: 'rebuild-maps', reason, replyTo: noReply() });
      };
      return { pending: new Map() };
    },
    async handle(state, message, ctx) {
      const log = ctx.log;
      switch (message.type) {
        case 'list':
          void answer(message.replyTo, log, message.collection, () => records.list(message.collection, message.query));
          return state;
        case 'get':
          void answer(message.replyTo, log, message.collection, () => records.get(message.collection, message.id));
          return state;
        case 'get-model':
          void answer(message.replyTo, log, undefined, () => records.getModel());
          return state;
        case 'create':
          await answer(message.replyTo, log, message.collection, () =>
            written(log, () => records.create(state, log, message.collection, message.body)),
          );
          return state;
        case 'replace':
          await answer(message.replyTo, log, message.collection, () =>
            written(log, () => records.update(state, log, message.collection, message.id, message.body, 'replace')),
          );
          return state;
        case 'patch':
          await answer(message.replyTo, log, message.collection, () =>
            written(log, () => records.update(state, log, message.collection, message.id, message.body, 'patch')),
          );
          return state;
        case 'delete':
          await answer(message.replyTo, log, message.collection, () =>
            written(log, () => records.remove(state, log, message.collection, message.id)),
          );
          return state;
        case 'set-availability':
          await answer(message.replyTo, log, 'servers', () =>
            written(log, async () => {
              await records.update(state, log, 'servers', message.serverId, { availability: message.available }, 'patch');
              log.info({ serverId: message.serverId, available: message.available, reason: message.reason }, 'server availability changed');
            }),
          );
          return state;
        case 'replace-model':
          await answer(message.replyTo, log, undefined, () => generations.replaceModel(log, message.doc));
          return state;
        case 'import-programs':
          await answer(message.replyTo, log, 'programs', () =>
            written(log, () => importPrograms(state, log, message.drafts, message.skipped), true),
          );
          return state;
        case 'ensure-maps':
          await answer(message.replyTo, log, undefined, () => generations.ensureMaps(log, message.request));
          return state;
        case 'rebuild-maps':
          await answer(message.replyTo, log, undefined, () => generations.rebuildMaps(log, message.reason));
          return state;
        case 'repair':
          await publisher.repair(state, log);
          return state;
      }
    },
    async onStop() {
      surviving.rebuildSelf = undefined;
      await Promise.all(surviving.cleanup.splice(0).map(async (fn) => fn()));
    },
  };
}
