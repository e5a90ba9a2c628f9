// A whole domain model as ~1 MB text chunks: the form of the cluster map snapshot
// (actors/routing/snapshot.ts) and of the stored snapshot in MongoDB (persistence/domain-snapshot.ts),
// the same text in both, so a rebuild can copy a stored chunk into the cluster without parsing it.
// A chunk is `<collection>\n<record JSON>\n<record JSON>…`: one collection per chunk, one record
// per line (docs/routing.md, "Generations").
import { createHash } from 'node:crypto';
import { COLLECTION_NAMES, type CollectionName } from './entities.js';

export const CHUNK_TARGET_CHARS = 1_000_000;

export interface ModelChunk {
  collection: CollectionName;
  text: string;
  /** Records (lines after the first). */
  count: number;
  /** sha256 of `text`, when already computed (a stored chunk checked on read): not hashed again. */
  sha256?: string;
}

/** A stored snapshot and what was written since (docs/routing.md, "The stored snapshot"). */
export interface StoredSnapshot {
  /** In the order written: the collections in COLLECTION_NAMES order, each in its chunks. */
  chunks: ModelChunk[];
  /** Every record the change log names (each once), to be read afresh. */
  changed: ChangedRecord[];
  /** The snapshot's version within its storage generation (0: the bulk replace's; renewals count up). */
  version: number;
  /**
   * Ids of the intents whose write had finished when the log was read: a renewal that reads
   * their records afterwards holds those writes and may forget these intents.
   */
  settled: string[];
}

export interface ChangedRecord {
  collection: CollectionName;
  id: string;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The hash a snapshot announces: sha256 over its chunks' sha256s, in chunk order. */
export const snapshotHash = (chunkHashes: readonly string[]): string => sha256(chunkHashes.join(''));

/** Collects record lines into chunks of about `targetChars`. */
export class ChunkAccumulator {
  private lines: string[] = [];
  private chars = 0;
  private collection: CollectionName | undefined;

  constructor(private readonly targetChars = CHUNK_TARGET_CHARS) {}

  /** Adds one record's JSON; answers the chunks this completed (a change of collection ends one). */
  push(collection: CollectionName, line: string): ModelChunk[] {
    const done: ModelChunk[] = [];
    if (this.collection !== collection) {
      const previous = this.end();
      if (previous !== undefined) done.push(previous);
      this.collection = collection;
    }
    this.lines.push(line);
    this.chars += line.length + 1;
    if (this.chars >= this.targetChars) done.push(this.end()!);
    return done;
  }

  /** The chunk being filled, if it has any record. */
  end(): ModelChunk | undefined {
    if (this.lines.length === 0 || this.collection === undefined) return undefined;
    const chunk = { collection: this.collection, text: `${this.collection}\n${this.lines.join('\n')}`, count: this.lines.length };
    this.lines = [];
    this.chars = 0;
    return chunk;
  }
}

/** The collection and record lines of a chunk's text; undefined when its first line names no collection. */
export function splitChunk(text: string): { collection: CollectionName; lines: string[] } | undefined {
  const lines = text.split('\n');
  const collection = lines.shift() as CollectionName;
  return COLLECTION_NAMES.includes(collection) ? { collection, lines } : undefined;
}
