// Shared helpers of the routing tests: the acceptance fixture, setup ops, a view, a decision.
import { readFileSync } from 'node:fs';
import type { CollectionName, DomainModel } from '../../domain/routing/entities.js';
import { deleteFromModel, patchInModel } from '../../domain/routing/model-ops.js';
import { validateDomainModel } from '../../domain/routing/validate.js';
import { compileTrustedProxies } from '../../actors/routing/client-ip.js';
import { decide, type Decision } from '../../actors/routing/decide.js';
import { seededRandom, type RandomSource } from '../../actors/routing/select.js';
import { buildRoutingView, type RoutingView } from '../../actors/routing/view.js';

export interface SetupOp {
  op: 'patch' | 'delete';
  collection: CollectionName;
  id: string;
  body?: Record<string, unknown>;
}

export interface RedirectCase {
  name: string;
  setup: SetupOp[];
  clientIp: string;
  method: string;
  path: string;
  status: number;
  locations?: string[];
  body?: string;
}

export interface RedirectCases {
  fixture: unknown;
  cases: RedirectCase[];
}

export function loadCases(): RedirectCases {
  return JSON.parse(readFileSync(new URL('../fixtures/redirect-cases.json', import.meta.url), 'utf8')) as RedirectCases;
}

export function validModel(doc: unknown): DomainModel {
  const result = validateDomainModel(doc);
  if (!result.ok) throw new Error(`fixture invalid: ${JSON.stringify(result.errors)}`);
  return result.model;
}

/** Apply setup ops as the admin API would (patch = PATCH, delete = DELETE with pulls). */
export function applySetup(model: DomainModel, ops: readonly SetupOp[]): DomainModel {
  let current = model;
  for (const op of ops) {
    const edit =
      op.op === 'patch' ? patchInModel(current, op.collection, op.id, op.body ?? {}) : deleteFromModel(current, op.collection, op.id);
    if (!edit.ok) throw new Error(`setup ${op.op} ${op.collection}/${op.id} failed: ${edit.message}`);
    current = edit.model;
  }
  return current;
}

export const TRUSTED = compileTrustedProxies(['127.0.0.1/8', '::1']);

/** A request from a trusted local proxy carrying X-Real-IP: clientIp. */
export function decideFor(view: RoutingView, clientIp: string, path: string, random?: RandomSource, method = 'GET'): Decision {
  return decide(
    view,
    { path, peerIp: '127.0.0.1', realIpHeader: clientIp, method },
    { trustedProxies: TRUSTED, ...(random ? { random } : {}) },
  );
}

export function viewOf(model: DomainModel): RoutingView {
  return buildRoutingView(model, 1);
}

/** A small model builder for focused tests. */
export function baseModel(): DomainModel {
  return validModel(loadCases().fixture);
}

const ids = (items: Iterable<{ id: string }>): string[] => [...items].map((i) => i.id).sort();

/** Everything a view answers with, in a comparable form (two views that agree here route alike). */
export function observableView(view: RoutingView, requests: ReadonlyArray<{ clientIp: string; path: string }>): unknown {
  const { buildMs: _b, builtAt: _t, ...stats } = view.stats;
  const sorted = <V>(map: ReadonlyMap<string, V>, f: (v: V) => unknown): unknown[] =>
    [...map].map(([k, v]) => [k, f(v)]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return {
    stats,
    live: sorted(view.live, (v) => v),
    catchup: sorted(view.catchup, (v) => v),
    regions: [...view.regionsById.keys()].sort(),
    groups: [...view.groupsById.keys()].sort(),
    servers: [...view.serversById.keys()].sort(),
    channels: sorted(view.channelsByEpgId, (c) => c.id),
    programs: sorted(view.programsByEpgId, (p) => p.id),
    streams: sorted(view.streamsByChannelId, ids),
    records: sorted(view.recordsByProgramId, ids),
    decisions: requests.map((r) => decideFor(view, r.clientIp, r.path, seededRandom(7))),
  };
}
