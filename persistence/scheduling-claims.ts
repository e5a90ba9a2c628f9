// The recording scheduler's claims in MongoDB: `_id` is the (programme, protocol, encryption)
// key, so the insert itself is the atomic "first one wins" (a unique index is the one atomic
// primitive both FerretDB v1 and MongoDB give; see docs/scheduling.md, "Never twice").
// Structurally this is the actors' RecordingClaims port (persistence does not import actors/).
import type { Collection, Db } from 'mongodb';
import type { ClaimPatch, RecordingClaim } from '../domain/scheduling/claims.js';
import { isDuplicateKeyError } from './errors.js';

export const SCHEDULING_CLAIMS_COLLECTION = 'scheduling_claims';

type ClaimDoc = Omit<RecordingClaim, 'key'> & { _id: string };

function toClaim(doc: ClaimDoc): RecordingClaim {
  const { _id, ...rest } = doc;
  return { key: _id, ...rest };
}

export class MongoRecordingClaims {
  private readonly coll: Collection<ClaimDoc>;

  constructor(db: Db) {
    this.coll = db.collection<ClaimDoc>(SCHEDULING_CLAIMS_COLLECTION);
  }

  async claim(claim: RecordingClaim): Promise<boolean> {
    const { key, ...rest } = claim;
    try {
      await this.coll.insertOne({ _id: key, ...rest });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async get(key: string): Promise<RecordingClaim | undefined> {
    const doc = await this.coll.findOne({ _id: key });
    return doc ? toClaim(doc) : undefined;
  }

  async update(key: string, patch: ClaimPatch): Promise<void> {
    await this.coll.updateOne({ _id: key }, { $set: patch });
  }

  async release(key: string): Promise<void> {
    await this.coll.deleteOne({ _id: key });
  }

  async unresolved(limit: number): Promise<RecordingClaim[]> {
    return (await this.coll.find({ state: 'unknown' }).limit(limit).toArray()).map(toClaim);
  }

  async removeClaimedBefore(iso: string): Promise<number> {
    const result = await this.coll.deleteMany({ claimedAt: { $lt: iso } });
    return result.deletedCount;
  }
}
