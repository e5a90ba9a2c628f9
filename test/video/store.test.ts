// The video index on FerretDB: uniqueness and idempotent registration, search filters, agent
// tokens stored hashed, the retention intents, the audit log.
import { expect } from 'chai';
import type { Db } from 'mongodb';
import { videoIndex } from '../../persistence/migrations/003-video.js';
import { videoSessionBuckets } from '../../persistence/migrations/004-video-sessions.js';
import { videoSessionSlots } from '../../persistence/migrations/005-video-session-slots.js';
import { MongoVideoStore } from '../../persistence/video.js';
import { sessionBucketOf, sessionIndexDb, sessionSlotId } from '../../persistence/video-sessions.js';
import { hashAgentToken } from '../../actors/video/service.js';
import { useTestMongo } from '../support/ferretdb.js';

const zone = {
  name: 'kursk',
  publicAddress: 'video.kursk.example',
  publicPort: 4000,
  storageDir: '/srv/video/kursk',
  fileType: 'mp4',
  fileNamePattern: '(?<sessionId>[a-z0-9-]+)\\.mp4',
  defaultStorageDays: 30,
  uploadSpeedKbps: 3000,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
};

const recording = (fileName: string, sessionId: string, recordedAt: string, extra: { projectId?: string; storageDays?: number } = {}) => ({
  zone: 'kursk',
  fileName,
  sessionId,
  recordedAt,
  storageDays: extra.storageDays ?? 30,
  sizeBytes: 10,
  sha256: 'A'.repeat(64),
  ...(extra.projectId !== undefined ? { projectId: extra.projectId } : {}),
});

describe('video index store (FerretDB) @integration', function () {
  this.timeout(30_000);
  const mongo = useTestMongo({ dbPrefix: 'video' });
  let db: Db;
  let store: MongoVideoStore;

  /** The slot ids of a session in its bucket, sorted. */
  const slotsOf = async (sessionId: string): Promise<string[]> =>
    (await sessionIndexDb(db).collection<{ _id: string }>(sessionBucketOf(sessionId)).find({}).toArray())
      .map((doc) => doc._id)
      .filter((id) => id.endsWith(`:${sessionId}`))
      .sort();

  before(async () => {
    db = mongo.db;
    await videoIndex.up(db);
    await videoIndex.up(db); // idempotent
    store = new MongoVideoStore(db);
    await store.insertZone(zone);
  });

  it('zones: unique names, partial updates, delete', async () => {
    const error = await store.insertZone(zone).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.have.property('code', 'DUPLICATE_KEY');
    const updated = await store.updateZone('kursk', { uploadSpeedKbps: 100 });
    expect(updated).to.include({ name: 'kursk', uploadSpeedKbps: 100, storageDir: '/srv/video/kursk' });
    expect(await store.updateZone('nowhere', { uploadSpeedKbps: 1 })).to.equal(undefined);
  });

  it('registering the same (zone, fileName) twice returns the first record', async () => {
    const first = await store.registerRecording(recording('a.mp4', 's-1', '2025-01-01T10:00:00.000Z', { projectId: 'p1' }));
    expect(first.created).to.equal(true);
    expect(first.recording).to.include({
      zone: 'kursk',
      fileName: 'a.mp4',
      sessionId: 's-1',
      projectId: 'p1',
      legalHold: false,
      sha256: 'a'.repeat(64),
    });
    const second = await store.registerRecording(recording('a.mp4', 's-other', '2025-01-02T10:00:00.000Z'));
    expect(second).to.deep.equal({ created: false, recording: first.recording });
    expect(await store.zoneHasRecordings('kursk')).to.equal(true);
  });

  it('search by session, project, zone and date range, newest first, with totals', async () => {
    await store.registerRecording(recording('b.mp4', 's-2', '2025-01-03T10:00:00.000Z', { projectId: 'p1' }));
    await store.registerRecording(recording('c.mp4', 's-2', '2025-01-04T10:00:00.000Z', { projectId: 'p2' }));
    const bySession = await store.search({ sessionId: 's-2' }, 10, 0);
    expect(bySession.total).to.equal(2);
    expect(bySession.items.map((r) => r.fileName)).to.deep.equal(['c.mp4', 'b.mp4']);
    expect((await store.search({ projectId: 'p1' }, 10, 0)).items.map((r) => r.fileName)).to.deep.equal(['b.mp4', 'a.mp4']);
    const range = await store.search({ zone: 'kursk', from: '2025-01-03T00:00:00Z', to: '2025-01-04T10:00:00Z' }, 10, 0);
    expect(range.items.map((r) => r.fileName)).to.deep.equal(['b.mp4']);
    const paged = await store.search({ zone: 'kursk' }, 1, 1);
    expect(paged).to.deep.include({ total: 3 });
    expect(paged.items.map((r) => r.fileName)).to.deep.equal(['b.mp4']);
  });

  it('search by session id reads one bucket: concurrent registrations all found, other filters and paging apply', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.registerRecording(recording(`many-${i}.mp4`, 's-many', `2025-02-0${i + 1}T00:00:00.000Z`))),
    );
    const found = await store.search({ sessionId: 's-many' }, 100, 0);
    expect(found.total).to.equal(6);
    expect(found.items.map((r) => r.fileName)).to.deep.equal([
      'many-5.mp4',
      'many-4.mp4',
      'many-3.mp4',
      'many-2.mp4',
      'many-1.mp4',
      'many-0.mp4',
    ]);
    expect(found.items[0]!.id).to.equal('kursk~many-5.mp4');
    // One slot per recording, 0 … 5 with no gap, each claimed once although all raced for slot 0.
    expect(await slotsOf('s-many')).to.deep.equal([0, 1, 2, 3, 4, 5].map((k) => sessionSlotId(k, 's-many')));
    // In the index's own database: the node's database keeps few collections.
    expect(await db.listCollections({ name: sessionBucketOf('s-many') }).toArray()).to.deep.equal([]);
    expect(await db.collection('video_recordings').countDocuments({ sessionIndexPending: true })).to.equal(0);
    const again = await store.search({ sessionId: 's-many', from: '2025-02-05T00:00:00Z' }, 100, 0);
    expect(again.items.map((r) => r.fileName)).to.deep.equal(['many-5.mp4', 'many-4.mp4']);
    expect((await store.search({ sessionId: 's-many', to: '2025-02-02T00:00:00Z' }, 100, 0)).total).to.equal(1);
    expect((await store.search({ sessionId: 's-many', zone: 'orel' }, 100, 0)).total).to.equal(0);
    expect((await store.search({ sessionId: 's-many' }, 2, 1)).items.map((r) => r.fileName)).to.deep.equal(['many-4.mp4', 'many-3.mp4']);
  });

  it('legal hold, missing and deletedAt reach the session search', async () => {
    const { recording: rec } = await store.registerRecording(
      recording('sync.mp4', 's-sync', '2020-03-01T00:00:00.000Z', { projectId: 'p9' }),
    );
    const bySession = async () => (await store.search({ sessionId: 's-sync' }, 10, 0)).items[0];
    expect(await bySession()).to.deep.include({ id: rec.id, projectId: 'p9', legalHold: false, sizeBytes: 10, sha256: 'a'.repeat(64) });
    expect(await store.setLegalHold(rec.id, true)).to.include({ legalHold: true });
    expect(await bySession()).to.include({ legalHold: true });
    await store.setLegalHold(rec.id, false);
    await store.setMissing(rec.id, true);
    expect(await bySession()).to.include({ legalHold: false, missing: true });
    await store.setMissing(rec.id, false);
    expect(await bySession()).not.to.have.property('missing');
    const at = new Date('2025-07-01T00:00:00Z');
    await store.markDeletedMany('kursk', [rec.id], at);
    expect(await bySession()).to.include({ deletedAt: at.toISOString() });
    expect((await store.search({ sessionId: 's-sync', projectId: 'p9' }, 10, 0)).total).to.equal(1);
    expect((await store.search({ sessionId: 's-sync', projectId: 'p1' }, 10, 0)).total).to.equal(0);
  });

  it('a crash between the recording write and its bucket write is repaired by the scan', async () => {
    const recordings = db.collection<{ _id: string; legalHold: boolean; sessionIndexPending?: boolean; sessionSlot?: number }>(
      'video_recordings',
    );
    // Registered, then the node stopped before the bucket write: the recording keeps its mark.
    const { recording: rec } = await store.registerRecording(recording('crash.mp4', 's-crash', '2025-01-10T00:00:00.000Z'));
    await sessionIndexDb(db)
      .collection<{ _id: string }>(sessionBucketOf('s-crash'))
      .deleteOne({ _id: sessionSlotId(0, 's-crash') });
    await recordings.updateOne({ _id: rec.id }, { $set: { legalHold: true, sessionIndexPending: true } });
    expect((await store.search({ sessionId: 's-crash' }, 10, 0)).total).to.equal(0);
    expect(await store.repairSessionIndex('orel')).to.equal(0);
    expect(await store.repairSessionIndex('kursk')).to.equal(1);
    // The recording remembers its slot: later writes go straight to it (and recreate it if gone).
    expect((await recordings.findOne({ _id: rec.id }))?.sessionSlot).to.equal(0);
    expect((await store.search({ sessionId: 's-crash' }, 10, 0)).items[0]).to.include({ id: rec.id, legalHold: true });
    expect(await store.repairSessionIndex('kursk')).to.equal(0);
    // A change whose bucket write did not happen: the stale entry is replaced on repair.
    await recordings.updateOne({ _id: rec.id }, { $set: { legalHold: false, sessionIndexPending: true } });
    expect((await store.search({ sessionId: 's-crash' }, 10, 0)).items[0]).to.include({ legalHold: true });
    await store.repairSessionIndex('kursk');
    expect((await store.search({ sessionId: 's-crash' }, 10, 0)).items[0]).to.include({ legalHold: false });
    // Registering the same file again also finishes a pending write.
    await sessionIndexDb(db)
      .collection<{ _id: string }>(sessionBucketOf('s-crash'))
      .deleteOne({ _id: sessionSlotId(0, 's-crash') });
    await recordings.updateOne({ _id: rec.id }, { $set: { sessionIndexPending: true } });
    expect((await store.registerRecording(recording('crash.mp4', 's-crash', '2025-01-10T00:00:00.000Z'))).created).to.equal(false);
    expect((await store.search({ sessionId: 's-crash' }, 10, 0)).total).to.equal(1);
  });

  it('migrations 004 and 005 rebuild the slots from the recordings, drop the older layouts, and are idempotent', async () => {
    await db.collection('video_session_keys').insertOne({ _id: '0:s-old-key', recordingId: 'kursk~legacy.mp4' } as never);
    await db.collection('video_sessions_abc').insertOne({ _id: 'kursk~legacy.mp4', sessionId: 's-legacy' } as never);
    const stored = (fileName: string, sessionId: string, legalHold: boolean) => ({
      _id: `kursk~${fileName}`,
      zone: 'kursk',
      sessionId,
      fileName,
      recordedAt: new Date('2023-01-01T00:00:00Z'),
      storageDays: 30,
      expiresAt: new Date('2023-01-31T00:00:00Z'),
      sizeBytes: 5,
      sha256: 'b'.repeat(64),
      legalHold,
    });
    // Recordings without a slot (held, so retention below leaves them): one of a new session,
    // one more of a session that has six.
    await db
      .collection('video_recordings')
      .insertMany([stored('legacy.mp4', 's-legacy', true), stored('many-6.mp4', 's-many', true)] as never);
    // A slot older than its recording: the migration rewrites it.
    await db
      .collection<{ _id: string; legalHold: boolean }>('video_recordings')
      .updateOne({ _id: 'kursk~many-0.mp4' }, { $set: { legalHold: true } });
    await videoSessionBuckets.up(db);
    await videoSessionSlots.up(db);
    await videoSessionSlots.up(db); // idempotent
    const found = await store.search({ sessionId: 's-legacy' }, 10, 0);
    expect(found.items).to.have.length(1);
    expect(found.items[0]).to.include({ id: 'kursk~legacy.mp4', legalHold: true, sizeBytes: 5 });
    const many = await store.search({ sessionId: 's-many' }, 100, 0);
    expect(many.total).to.equal(7);
    expect(many.items.find((r) => r.id === 'kursk~many-0.mp4')).to.include({ legalHold: true });
    expect(await slotsOf('s-many')).to.deep.equal([0, 1, 2, 3, 4, 5, 6].map((k) => sessionSlotId(k, 's-many')));
    expect(await db.listCollections({ name: 'video_session_keys' }).toArray()).to.deep.equal([]);
    expect(await db.listCollections({ name: 'video_sessions_abc' }).toArray()).to.deep.equal([]);
  });

  it('agent tokens: only the hash is stored; revoked tokens no longer resolve', async () => {
    const token = 'vat_secret-token-value';
    const info = await store.insertAgentToken('kursk', hashAgentToken(token));
    expect(await store.agentTokenZone(hashAgentToken(token))).to.equal('kursk');
    const raw = await db.collection('video_agent_tokens').find({}).toArray();
    expect(JSON.stringify(raw)).not.to.include(token);
    expect(await store.revokeAgentToken('orel', info.id)).to.equal(false);
    expect(await store.revokeAgentToken('kursk', info.id)).to.equal(true);
    expect(await store.agentTokenZone(hashAgentToken(token))).to.equal(undefined);
    expect((await store.listAgentTokens('kursk'))[0]).to.have.property('revokedAt');
  });

  it('retention: expired unheld records are found; intents skip held ones; deletedAt is kept once set', async () => {
    const old = (await store.registerRecording(recording('old.mp4', 's-old', '2020-01-01T00:00:00.000Z'))).recording;
    const held = (await store.registerRecording(recording('held.mp4', 's-held', '2020-01-01T00:00:00.000Z'))).recording;
    await store.setLegalHold(held.id, true);
    const now = new Date('2025-01-15T00:00:00Z');
    expect((await store.expiredRecordings('kursk', now, 100)).map((r) => r.fileName)).to.deep.equal(['old.mp4']);
    await store.markDeletingMany('kursk', [old.id, held.id]);
    expect((await store.deletionIntents('kursk')).map((r) => r.fileName)).to.deep.equal(['old.mp4']);
    const first = new Date('2025-06-01T00:00:01Z');
    await store.markDeletedMany('kursk', [old.id], first);
    await store.markDeletedMany('kursk', [old.id], new Date('2025-06-02T00:00:00Z'));
    const after = await store.getRecording(old.id);
    expect(after?.deletedAt).to.equal(first.toISOString());
    expect(after?.deleting).to.equal(undefined);
    expect(await store.deletionIntents('kursk')).to.deep.equal([]);
    expect((await store.expiredRecordings('kursk', now, 100)).map((r) => r.fileName)).to.deep.equal([]);
  });

  it('audit entries are listed newest first and filtered', async () => {
    await store.appendAudit({
      at: '2025-01-01T00:00:00.000Z',
      action: 'video.search',
      actor: 'u1',
      ip: '10.0.0.1',
      details: { sessionId: 's-1', total: 1 },
    });
    await store.appendAudit({
      at: '2025-01-01T00:00:01.000Z',
      action: 'video.playback',
      actor: 'u1',
      ip: '10.0.0.1',
      details: { zone: 'kursk', fileName: 'a.mp4', range: '' },
    });
    const all = await store.listAudit({ limit: 10, offset: 0 });
    expect(all.total).to.equal(2);
    expect(all.items.map((e) => e.action)).to.deep.equal(['video.playback', 'video.search']);
    expect((await store.listAudit({ action: 'video.search' })).items[0]).to.include({
      actor: 'u1',
      ip: '10.0.0.1',
      at: '2025-01-01T00:00:00.000Z',
    });
  });
});
