// The video index on FerretDB: uniqueness and idempotent registration, search filters, agent
// tokens stored hashed, the retention intents, the audit log.
import { expect } from 'chai';
import type { Db } from 'mongodb';
import { videoIndex } from '../../persistence/migrations/003-video.js';
import { MongoVideoStore } from '../../persistence/video.js';
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

  it('search by session id reads only _id look-ups: concurrent registrations all found, stale keys skipped', async () => {
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
    // A key written by a registration that crashed before its recording: skipped.
    await db
      .collection<{ _id: string; recordingId: string }>('video_session_keys')
      .insertOne({ _id: '6:s-many', recordingId: 'kursk~never.mp4' });
    await store.registerRecording(recording('many-6.mp4', 's-many', '2025-02-07T00:00:00.000Z'));
    const again = await store.search({ sessionId: 's-many', from: '2025-02-06T00:00:00Z' }, 100, 0);
    expect(again.items.map((r) => r.fileName)).to.deep.equal(['many-6.mp4', 'many-5.mp4']);
    expect((await store.search({ sessionId: 's-many' }, 2, 1)).items.map((r) => r.fileName)).to.deep.equal(['many-5.mp4', 'many-4.mp4']);
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
