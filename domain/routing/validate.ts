// Validation of the redirect domain model: the whole bulk document (PUT /api/v1/domain) and
// single records (create/replace/patch) against the current model, plus the references that
// decide whether a delete is refused. Pure functions; callers do the I/O.
import type { TObject, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import {
  COLLECTION_BY_KEY,
  COLLECTIONS,
  COLLECTION_NAMES,
  ruleOf,
  SERVER_MANAGED_FIELDS,
  type AnyEntity,
  type CollectionName,
  type DomainModel,
  type EntityTypes,
  type ModelKey,
  type ReferenceRule,
  type UniqueRule,
  recordsOf,
} from './entities.js';
import { withDerivedFields } from './derived.js';
import { parseCidr, parseIp } from './ip.js';

export interface FieldError {
  /** Where: `servers[3].port` in a bulk document, `port` or `serverIds[1]` in a single record. */
  path: string;
  message: string;
}

export type ModelValidation = { ok: true; model: DomainModel } | { ok: false; errors: FieldError[] };

/** Read access to the current model, so callers can back it by whatever they hold. */
export interface ModelLookup {
  get<C extends CollectionName>(collection: C, id: string): EntityTypes[C] | undefined;
  list<C extends CollectionName>(collection: C): Iterable<EntityTypes[C]>;
}

export type CheckResult<C extends CollectionName> =
  | { ok: true; record: EntityTypes[C] }
  | { ok: false; status: 400; error: 'invalid'; message: string; errors: FieldError[] }
  | { ok: false; status: 409; error: 'conflict'; message: string; errors: FieldError[] };

export interface ReferringRecords {
  collection: CollectionName;
  field: string;
  ids: string[];
}

export interface ReferenceReport {
  /** True when something still refers to the record in a way that refuses the delete. */
  blocked: boolean;
  /** The 409 sentence naming what still refers (only when blocked). */
  message?: string;
  refusals: ReferringRecords[];
  /** Lists the id must be removed from when the delete goes ahead (e.g. group.serverIds). */
  pulls: ReferringRecords[];
}

/** Bulk validation stops collecting after this many errors. */
export const MAX_ERRORS = 200;

type Rec = Record<string, unknown>;

function isPlainObject(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- normalize ------------------------------------------------------------------------------

function cloneDefault(value: unknown): unknown {
  return Array.isArray(value) ? [...(value as unknown[])] : value;
}

/**
 * A copy of `record` with defaults applied (availability true, weight 1, healthcheckEnabled
 * true, encryption NONE, dvrEnabled false, strategy random, empty id lists) and derived
 * read-only fields removed. Unknown fields are kept so validation can name them.
 */
export function normalize(collection: CollectionName, record: object): Rec {
  const info = COLLECTIONS[collection];
  const out: Rec = { ...(record as Rec) };
  const props = info.schemas.record.properties as Record<string, TSchema & { default?: unknown }>;
  for (const key in props) {
    const prop = props[key]!;
    if (out[key] === undefined && prop.default !== undefined) out[key] = cloneDefault(prop.default);
  }
  for (const key of info.derived) delete out[key];
  return out;
}

// ---- schema errors ------------------------------------------------------------------------

const checkers = new Map<CollectionName, TypeCheck<TObject>>();

function checkerFor(collection: CollectionName): TypeCheck<TObject> {
  let checker = checkers.get(collection);
  if (!checker) {
    checker = TypeCompiler.Compile(COLLECTIONS[collection].schemas.record);
    checkers.set(collection, checker);
  }
  return checker;
}

/** JSON pointer `/serverIds/0` → `serverIds[0]`. */
function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

function join(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

function messageFor(error: ValueError): string {
  const schema = error.schema as TSchema & Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'is not a known field';
    case ValueErrorType.Object:
      return 'must be an object';
    case ValueErrorType.Array:
      return 'must be a list';
    case ValueErrorType.ArrayUniqueItems:
      return 'must not list the same id twice';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.Integer:
    case ValueErrorType.Number:
      return ruleOf(schema) ?? 'must be a whole number';
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : (ruleOf(schema) ?? error.message);
    default:
      return ruleOf(schema) ?? error.message;
  }
}

/** Schema errors of one normalized record, one per field, paths relative to the record. */
function schemaErrors(collection: CollectionName, record: Rec): FieldError[] {
  const checker = checkerFor(collection);
  if (checker.Check(record)) return [];
  const byPath = new Map<string, FieldError>();
  for (const error of checker.Errors(record)) {
    const path = pointerToPath(error.path);
    const existing = byPath.get(path);
    // "is required" beats the "must be a string" TypeBox also reports for a missing field.
    if (existing && error.type !== ValueErrorType.ObjectRequiredProperty) continue;
    byPath.set(path, { path, message: messageFor(error) });
  }
  return [...byPath.values()];
}

// ---- rules beyond the schema ---------------------------------------------------------------

/** Checks within one schema-valid record: CIDR and IP syntax, date order, dvr ⇒ group. */
function recordRules(collection: CollectionName, r: Rec): FieldError[] {
  const errors: FieldError[] = [];
  switch (collection) {
    case 'subnets':
      if (!parseCidr(r.cidr as string)) {
        errors.push({
          path: 'cidr',
          message: 'must be an IPv4 CIDR like 10.0.0.0/24 (prefix 0..32) or an IPv6 CIDR like 2001:db8::/32 (prefix 0..128)',
        });
      }
      break;
    case 'servers':
      for (const field of ['ip', 'manageIp']) {
        if (r[field] !== undefined && !parseIp(r[field] as string)) {
          errors.push({ path: field, message: 'must be an IPv4 or IPv6 address' });
        }
      }
      break;
    case 'linear-channels':
      if (r.dvrEnabled === true && r.serverGroupId === undefined) {
        errors.push({ path: 'serverGroupId', message: 'is required when dvrEnabled is true' });
      }
      break;
    case 'programs': {
      const start = utcMillis(r.startDatetime as string);
      const end = utcMillis(r.endDatetime as string);
      if (Number.isNaN(start)) errors.push({ path: 'startDatetime', message: 'is not a valid date' });
      if (Number.isNaN(end)) errors.push({ path: 'endDatetime', message: 'is not a valid date' });
      if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) {
        errors.push({ path: 'endDatetime', message: 'must be after startDatetime' });
      }
      break;
    }
    default:
      break;
  }
  return errors;
}

/** Date.parse accepts 2026-02-30 (as March 2) and 24:00; a real calendar time must round-trip. */
function utcMillis(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return Number.NaN;
  const back = new Date(ms).toISOString();
  return back.slice(0, 19) === text.slice(0, 19) ? ms : Number.NaN;
}

type Resolve = (collection: CollectionName, id: string) => Rec | undefined;

function referenceErrors(collection: CollectionName, r: Rec, resolve: Resolve): FieldError[] {
  const errors: FieldError[] = [];
  for (const ref of COLLECTIONS[collection].references) {
    const value = r[ref.field];
    if (value === undefined) continue;
    const ids = ref.many ? (value as string[]) : [value as string];
    ids.forEach((id, i) => {
      const path = ref.many ? `${ref.field}[${i}]` : ref.field;
      const target = resolve(ref.target, id);
      if (!target) {
        errors.push({ path, message: `unknown ${COLLECTIONS[ref.target].singular} "${id}"` });
      } else if (ref.targetType && target[ref.targetType.field] !== ref.targetType.value) {
        errors.push({
          path,
          message: `${COLLECTIONS[ref.target].singular} "${id}" is ${String(target[ref.targetType.field])}; ${ref.targetType.message}`,
        });
      }
    });
  }
  return errors;
}

function uniqueKey(rule: UniqueRule, r: Rec): string | undefined {
  const parts: string[] = [];
  for (const field of rule.fields) {
    const value = r[field];
    if (value === undefined || value === null) return undefined;
    const text = rule.canonical ? rule.canonical(value) : String(value);
    if (text === undefined) return undefined;
    parts.push(text);
  }
  return parts.join('\u0000');
}

function describeKey(rule: UniqueRule, r: Rec): string {
  return rule.fields.map((f) => `${f} "${String(r[f])}"`).join(' and ');
}

// ---- the whole document ---------------------------------------------------------------------

const MODEL_KEYS = Object.keys(COLLECTION_BY_KEY) as ModelKey[];

class ErrorList {
  readonly errors: FieldError[] = [];
  dropped = 0;
  add(error: FieldError): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(error);
    else this.dropped++;
  }
  result(): FieldError[] {
    if (this.dropped === 0) return this.errors;
    return [...this.errors, { path: '', message: `and ${this.dropped} more errors` }];
  }
}

interface Slot {
  index: number;
  record: Rec;
  valid: boolean;
}

/**
 * Validate a bulk document `{regions, subnets, serverGroups, servers, linearChannels,
 * tvStreams, programs, programRecords}`: schema (after defaults), ids and unique fields
 * within the document, every reference, and the cross-record rules. On success the model is
 * normalized (defaults applied, derived fields recomputed).
 */
export function validateDomainModel(doc: unknown): ModelValidation {
  const steps = validateInSlices(doc);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** Normalized records of one collection that passed the checks of a single record. */
export interface CheckedSlice {
  collection: CollectionName;
  records: AnyEntity[];
}

/**
 * validateDomainModel step by step, for a bulk replace that stores records while the rest is
 * still checked (docs/routing.md, "Bulk load"). With `sliceSize`, it yields the normalized
 * records (derived fields absent) of each collection in COLLECTION_NAMES order, in slices of at
 * most that many, once they passed the per-record checks and as long as no error was found so
 * far; the cross-record checks (unique fields, references) come after the last slice. A
 * yielded slice promises nothing: only the returned verdict does.
 */
export function* validateInSlices(doc: unknown, sliceSize?: number): Generator<CheckedSlice, ModelValidation> {
  const errors = new ErrorList();
  if (!isPlainObject(doc)) {
    return { ok: false, errors: [{ path: '', message: `must be an object with the lists ${MODEL_KEYS.join(', ')}` }] };
  }
  for (const key of Object.keys(doc)) {
    if (!(MODEL_KEYS as string[]).includes(key)) errors.add({ path: key, message: 'is not a known collection' });
  }

  const slots = new Map<CollectionName, Slot[]>();
  const byId = new Map<CollectionName, Map<string, Slot>>();
  for (const key of MODEL_KEYS) {
    const collection = COLLECTION_BY_KEY[key];
    const list = doc[key];
    const mine: Slot[] = [];
    const ids = new Map<string, Slot>();
    slots.set(collection, mine);
    byId.set(collection, ids);
    if (list === undefined) {
      errors.add({ path: key, message: 'is required (a list, possibly empty)' });
      continue;
    }
    if (!Array.isArray(list)) {
      errors.add({ path: key, message: 'must be a list' });
      continue;
    }
    let pending: AnyEntity[] = [];
    for (const [index, raw] of (list as unknown[]).entries()) {
      const at = `${key}[${index}]`;
      if (!isPlainObject(raw)) {
        errors.add({ path: at, message: 'must be an object' });
        continue;
      }
      const record = normalize(collection, raw);
      const problems = schemaErrors(collection, record);
      const slot: Slot = { index, record, valid: problems.length === 0 };
      for (const p of problems) errors.add({ path: join(at, p.path), message: p.message });
      if (slot.valid) {
        const more = recordRules(collection, record);
        for (const p of more) errors.add({ path: join(at, p.path), message: p.message });
      }
      mine.push(slot);
      const id = record.id;
      if (typeof id === 'string') {
        const first = ids.get(id);
        if (first) errors.add({ path: `${at}.id`, message: `duplicate id "${id}" (also ${key}[${first.index}])` });
        else ids.set(id, slot);
      }
      if (sliceSize === undefined || errors.errors.length > 0) continue;
      pending.push(record as unknown as AnyEntity);
      if (pending.length >= sliceSize) {
        yield { collection, records: pending };
        pending = [];
      }
    }
    if (pending.length > 0 && errors.errors.length === 0) yield { collection, records: pending };
  }

  for (const key of MODEL_KEYS) {
    const collection = COLLECTION_BY_KEY[key];
    const mine = slots.get(collection)!.filter((s) => s.valid);
    for (const rule of COLLECTIONS[collection].unique) {
      const seen = new Map<string, Slot>();
      for (const slot of mine) {
        const k = uniqueKey(rule, slot.record);
        if (k === undefined) continue;
        const first = seen.get(k);
        if (first) {
          errors.add({
            path: `${key}[${slot.index}].${rule.fields[0]}`,
            message: `duplicate ${describeKey(rule, slot.record)} (also ${key}[${first.index}], id "${String(first.record.id)}")`,
          });
        } else seen.set(k, slot);
      }
    }
    const resolve: Resolve = (target, id) => byId.get(target)?.get(id)?.record;
    for (const slot of mine) {
      for (const p of referenceErrors(collection, slot.record, resolve)) {
        errors.add({ path: join(`${key}[${slot.index}]`, p.path), message: p.message });
      }
    }
  }

  if (errors.errors.length > 0) return { ok: false, errors: errors.result() };
  const model = {} as Record<ModelKey, Rec[]>;
  for (const key of MODEL_KEYS) model[key] = slots.get(COLLECTION_BY_KEY[key])!.map((s) => s.record);
  return { ok: true, model: withDerivedFields(model as unknown as DomainModel) };
}

// ---- single records against the current model ----------------------------------------------

/** A ModelLookup over an in-memory model (id maps are built on first use). */
export function lookupFromModel(model: DomainModel): ModelLookup {
  const maps = new Map<CollectionName, Map<string, AnyEntity>>();
  const mapFor = (collection: CollectionName): Map<string, AnyEntity> => {
    let map = maps.get(collection);
    if (!map) {
      map = new Map();
      for (const r of recordsOf(model, collection)) if (!map.has(r.id)) map.set(r.id, r);
      maps.set(collection, map);
    }
    return map;
  };
  return {
    get: <C extends CollectionName>(collection: C, id: string) => mapFor(collection).get(id) as EntityTypes[C] | undefined,
    list: <C extends CollectionName>(collection: C) => recordsOf(model, collection),
  };
}

function asLookup(source: ModelLookup | DomainModel): ModelLookup {
  return 'list' in source && typeof source.list === 'function' ? source : lookupFromModel(source as DomainModel);
}

function idList(ids: readonly string[]): string {
  const shown = ids.slice(0, 10).join(', ');
  return ids.length > 10 ? `${shown}, … (${ids.length} in all)` : shown;
}

/** Records of `from` whose reference `ref` names `id`. */
function referrers(lookup: ModelLookup, from: CollectionName, ref: ReferenceRule, id: string): string[] {
  const ids: string[] = [];
  for (const r of lookup.list(from)) {
    const value = (r as unknown as Rec)[ref.field];
    if (ref.many ? Array.isArray(value) && value.includes(id) : value === id) ids.push(r.id);
  }
  return ids;
}

/** Derived fields of one record, computed from the lookup. */
export function derivedFieldsFor(collection: CollectionName, id: string, lookup: ModelLookup | DomainModel): Rec {
  const source = asLookup(lookup);
  if (collection === 'server-groups') {
    return { regionIds: [...source.list('regions')].filter((r) => r.serverGroupIds.includes(id)).map((r) => r.id) };
  }
  if (collection === 'servers') {
    return { serverGroupIds: [...source.list('server-groups')].filter((g) => g.serverIds.includes(id)).map((g) => g.id) };
  }
  return {};
}

/**
 * Validate one full record (after a create, a replace, or a patch merged onto the stored
 * record) against the current model. `record.id` must be set (generate it first). Unknown
 * references are 400; a unique clash, or a change that would break a record that refers to
 * this one (e.g. a DVR turned EDGE while records use it), is 409. On success the record is
 * normalized and carries its derived fields.
 */
export function checkEntity<C extends CollectionName>(collection: C, record: unknown, source: ModelLookup | DomainModel): CheckResult<C> {
  const lookup = asLookup(source);
  const info = COLLECTIONS[collection];
  const invalid = (errors: FieldError[]): CheckResult<C> => ({
    ok: false,
    status: 400,
    error: 'invalid',
    message: `Invalid ${info.singular}: ${errors.map((e) => (e.path ? `${e.path} ${e.message}` : e.message)).join('; ')}`,
    errors,
  });
  if (!isPlainObject(record)) return invalid([{ path: '', message: 'must be an object' }]);
  const normalized = normalize(collection, record);
  for (const field of SERVER_MANAGED_FIELDS) if (normalized[field] === undefined) delete normalized[field];

  const schema = schemaErrors(collection, normalized);
  if (schema.length > 0) return invalid(schema);
  const rules = recordRules(collection, normalized);
  if (rules.length > 0) return invalid(rules);
  const resolve: Resolve = (target, id) => lookup.get(target, id);
  const refs = referenceErrors(collection, normalized, resolve);
  if (refs.length > 0) return invalid(refs);

  const id = normalized.id as string;
  for (const rule of info.unique) {
    const key = uniqueKey(rule, normalized);
    if (key === undefined) continue;
    for (const other of lookup.list(collection)) {
      if (other.id === id) continue;
      if (uniqueKey(rule, other) === key) {
        const message = `A ${info.singular} with ${describeKey(rule, normalized)} already exists (id "${other.id}")`;
        return { ok: false, status: 409, error: 'conflict', message, errors: [{ path: rule.fields[0]!, message }] };
      }
    }
  }

  // Records elsewhere that require this one to keep a property (a record's server must be a DVR).
  for (const from of COLLECTION_NAMES) {
    for (const ref of COLLECTIONS[from].references) {
      if (ref.target !== collection || !ref.targetType) continue;
      if (normalized[ref.targetType.field] === ref.targetType.value) continue;
      const ids = referrers(lookup, from, ref, id);
      if (ids.length > 0) {
        const message = `${info.singular} "${id}" is used by ${COLLECTIONS[from].plural} ${idList(ids)}; ${ref.targetType.message}`;
        return { ok: false, status: 409, error: 'conflict', message, errors: [{ path: ref.targetType.field, message }] };
      }
    }
  }
  return { ok: true, record: { ...normalized, ...derivedFieldsFor(collection, id, lookup) } as unknown as EntityTypes[C] };
}

/**
 * What refers to record `id` of `collection`: the references that refuse its delete (with the
 * 409 message naming them) and the id lists it must be pulled from if the delete goes ahead.
 */
export function referencesTo(collection: CollectionName, id: string, source: ModelLookup | DomainModel): ReferenceReport {
  const lookup = asLookup(source);
  const refusals: ReferringRecords[] = [];
  const pulls: ReferringRecords[] = [];
  for (const from of COLLECTION_NAMES) {
    for (const ref of COLLECTIONS[from].references) {
      if (ref.target !== collection) continue;
      const ids = referrers(lookup, from, ref, id);
      if (ids.length === 0) continue;
      (ref.onDelete === 'refuse' ? refusals : pulls).push({ collection: from, field: ref.field, ids });
    }
  }
  if (refusals.length === 0) return { blocked: false, refusals, pulls };
  const what = refusals.map((r) => `${COLLECTIONS[r.collection].plural} ${idList(r.ids)}`).join('; ');
  return {
    blocked: true,
    message: `Cannot delete ${COLLECTIONS[collection].singular} "${id}": still used by ${what}`,
    refusals,
    pulls,
  };
}
