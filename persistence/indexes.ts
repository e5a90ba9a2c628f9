// Index definitions shared by migrations (which create them) and repositories (which name the
// clashing fields of a duplicate key: FerretDB's E11000 message does not say which index).
import type { Db, IndexDirection } from 'mongodb';

export interface IndexSpec<T> {
  /** Explicit, stable name (so a changed definition is a new index, not a silent mismatch). */
  name: string;
  /** Entity field names, in key order; `id` is stored as `_id`. */
  fields: readonly (keyof T & string)[];
  unique?: boolean;
}

export function storedField(field: string): string {
  return field === 'id' ? '_id' : field;
}

/** Creates the indexes if missing (createIndex is idempotent for an identical definition). */
export async function ensureIndexes<T>(db: Db, collection: string, specs: readonly IndexSpec<T>[]): Promise<void> {
  const coll = db.collection(collection);
  for (const spec of specs) {
    const key: Record<string, IndexDirection> = {};
    for (const field of spec.fields) key[storedField(field)] = 1;
    await coll.createIndex(key, { name: spec.name, ...(spec.unique ? { unique: true } : {}) });
  }
}
