// In-memory edits of a whole DomainModel with the same rules the admin API applies
// (patch → validate against the model; delete → refuse or pull references). Used by tests,
// the explain tooling and anything that keeps a model in memory. Never mutates its input.
import { COLLECTIONS, SERVER_MANAGED_FIELDS, recordsOf, type CollectionName, type DomainModel, type EntityTypes } from './entities.js';
import { withDerivedFields } from './derived.js';
import { checkEntity, referencesTo, type CheckResult } from './validate.js';

export type ModelEdit = { ok: true; model: DomainModel } | { ok: false; status: 400 | 404 | 409; message: string };

/** Fields a body may carry but a client never changes. */
function readOnlyFields(collection: CollectionName): string[] {
  return ['id', ...SERVER_MANAGED_FIELDS, ...COLLECTIONS[collection].derived];
}

/** Shallow merge of a PATCH body onto a stored record; read-only fields in the patch are ignored. */
export function applyPatch<T extends object>(collection: CollectionName, record: T, patch: object): T {
  const out: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  const skip = readOnlyFields(collection);
  for (const [key, value] of Object.entries(patch)) {
    if (!skip.includes(key) && value !== undefined) out[key] = value;
  }
  return out as T;
}

function replaceList<C extends CollectionName>(model: DomainModel, collection: C, list: EntityTypes[C][]): DomainModel {
  return { ...model, [COLLECTIONS[collection].key]: list };
}

function failed<C extends CollectionName>(result: Exclude<CheckResult<C>, { ok: true }>): ModelEdit {
  return { ok: false, status: result.status, message: result.message };
}

/** Insert or replace one record (checked against the rest of the model). */
export function putInModel<C extends CollectionName>(model: DomainModel, collection: C, record: object): ModelEdit {
  const result = checkEntity(collection, record, model);
  if (!result.ok) return failed(result);
  const list = recordsOf(model, collection);
  const at = list.findIndex((r) => r.id === result.record.id);
  const next = at >= 0 ? list.map((r, i) => (i === at ? result.record : r)) : [...list, result.record];
  return { ok: true, model: withDerivedFields(replaceList(model, collection, next)) };
}

/** PATCH semantics: merge onto the stored record, then check and store (a seam: tests edit models with it, as the admin API's PATCH would). */
export function patchInModel<C extends CollectionName>(model: DomainModel, collection: C, id: string, patch: object): ModelEdit {
  const current = recordsOf(model, collection).find((r) => r.id === id);
  if (!current) return { ok: false, status: 404, message: `Unknown ${COLLECTIONS[collection].singular} "${id}"` };
  return putInModel(model, collection, applyPatch(collection, current, patch));
}

/** DELETE semantics: refused (409) while something refers to it; otherwise pulled from id lists (a seam for tests, as patchInModel). */
export function deleteFromModel(model: DomainModel, collection: CollectionName, id: string): ModelEdit {
  const list = recordsOf(model, collection);
  if (!list.some((r) => r.id === id)) {
    return { ok: false, status: 404, message: `Unknown ${COLLECTIONS[collection].singular} "${id}"` };
  }
  const report = referencesTo(collection, id, model);
  if (report.blocked) return { ok: false, status: 409, message: report.message! };
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the filtered list keeps the collection's element type
  let next = replaceList(model, collection, list.filter((r) => r.id !== id) as EntityTypes[typeof collection][]);
  for (const pull of report.pulls) {
    const field = pull.field;
    const pulled = recordsOf(next, pull.collection).map((r) => {
      if (!pull.ids.includes(r.id)) return r;
      const value = (r as unknown as Record<string, unknown>)[field] as string[];
      return { ...r, [field]: value.filter((v) => v !== id) };
    });
    next = replaceList(next, pull.collection, pulled);
  }
  return { ok: true, model: withDerivedFields(next) };
}
