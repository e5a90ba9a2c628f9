// Retention killed halfway: the holder of the zone's retention singleton is SIGKILLed in the
// middle of a run; the other storage node takes the lease over and finishes. The end state is
// the one an uninterrupted run gives, and at no moment is a record marked deleted while its
// file still exists.
import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { MongoVideoStore } from '../../persistence/index.js';
import { useClusterHarness, type HarnessNode } from '../support/cluster-harness.js';
import { waitFor } from '../support/wait.js';
import { sha256, TEST_PATTERN } from './support.js';

const EXPIRED = 400;
const HELD = 20;
const FRESH = 20;
const LEASE = 'singleton.video-retention.kursk';

describe('video retention killed halfway @integration', function () {
  this.timeout(180_000);
  const storageDir = mkdtempSync(join(tmpdir(), 'video-retention-'));
  const h = useClusterHarness({ nodes: 1 });
  let client: MongoClient;

  after(async () => {
    await client?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('the resumed run on the other storage node ends in the uninterrupted state', async () => {
    const zone = await h.api(h.nodes[0]!, 'POST', '/api/v1/video/zones', {
      body: {
        name: 'kursk',
        publicAddress: '127.0.0.1',
        publicPort: 1,
        storageDir,
        fileType: 'mp4',
        fileNamePattern: TEST_PATTERN,
        defaultStorageDays: 30,
        uploadSpeedKbps: 100,
      },
    });
    expect(zone.status, zone.text).to.equal(201);
    client = new MongoClient(h.mongodbUrl);
    const db = client.db();
    const store = new MongoVideoStore(db);
    const now = Date.now();
    const expected = new Map<string, 'deleted' | 'kept'>();
    const make = async (kind: 'expired' | 'held' | 'fresh', i: number): Promise<void> => {
      const recordedAt = kind === 'fresh' ? new Date(now - 86_400_000) : new Date(Date.UTC(2020, 0, 1, 0, 0, i % 60));
      const fileName = `p1_${kind}-${i}_${recordedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}.mp4`;
      const body = `${kind} ${i}`;
      await writeFile(join(storageDir, fileName), body);
      const { recording } = await store.registerRecording({
        zone: 'kursk',
        sessionId: `${kind}-${i}`,
        projectId: 'p1',
        fileName,
        recordedAt: recordedAt.toISOString(),
        storageDays: 30,
        sizeBytes: body.length,
        sha256: sha256(body),
      });
      if (kind === 'held') await store.setLegalHold(recording.id, true);
      expected.set(fileName, kind === 'expired' ? 'deleted' : 'kept');
    };
    for (let i = 0; i < EXPIRED; i++) await make('expired', i);
    for (let i = 0; i < HELD; i++) await make('held', i);
    for (let i = 0; i < FRESH; i++) await make('fresh', i);

    // The invariant, watched all along: a record marked deleted never has its file.
    const violations: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const deleted = await db
          .collection('video_recordings')
          .find({ zone: 'kursk', deletedAt: { $exists: true } }, { projection: { fileName: 1 } })
          .toArray();
        for (const doc of deleted) if (existsSync(join(storageDir, doc['fileName'] as string))) violations.push(doc['fileName'] as string);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const storageEnv = { VIDEO_ZONE: 'kursk', VIDEO_RETENTION_INTERVAL_MS: '4000' };
    const [b, c] = await Promise.all([h.addNode(storageEnv), h.addNode(storageEnv)]);
    const holderOf = async (): Promise<HarnessNode | undefined> => {
      const res = await h.api(h.nodes[0]!, 'GET', '/api/v1/cluster/nodes');
      const name = (res.body.nodes as Array<{ name: string; singletons: string[] }>).find((n) => n.singletons.includes(LEASE))?.name;
      return [b, c].find((n) => n.name === name);
    };
    const holder = await waitFor('a retention lease holder', 20_000, holderOf, { everyMs: 20 });
    const total = expected.size;
    await waitFor(
      'the run to be partly done',
      60_000,
      async () => {
        const left = (await readdir(storageDir)).length;
        return left < total - EXPIRED / 10;
      },
      { everyMs: 10 },
    );
    holder.process.kill('SIGKILL');
    const leftAtKill = (await readdir(storageDir)).length;
    expect(leftAtKill, 'killed before the run ended').to.be.greaterThan(total - EXPIRED + 10);

    const survivor = holder === b ? c : b;
    await waitFor('the survivor to take the lease', 30_000, async () => (await holderOf()) === survivor);
    await waitFor('the resumed run to finish', 60_000, async () => (await readdir(storageDir)).length === HELD + FRESH);
    await waitFor(
      'every expired record to be marked deleted',
      20_000,
      async () => (await db.collection('video_recordings').countDocuments({ zone: 'kursk', deletedAt: { $exists: true } })) === EXPIRED,
    );
    watching = false;
    await watcher;

    const docs = await db.collection('video_recordings').find({ zone: 'kursk' }).toArray();
    expect(docs).to.have.length(total);
    for (const doc of docs) {
      const fileName = doc['fileName'] as string;
      const want = expected.get(fileName);
      if (want === 'deleted') {
        expect(existsSync(join(storageDir, fileName)), fileName).to.equal(false);
        expect(doc['deletedAt'], fileName).to.be.instanceOf(Date);
      } else {
        expect(existsSync(join(storageDir, fileName)), fileName).to.equal(true);
        expect(doc['deletedAt'], fileName).to.equal(undefined);
      }
      expect(doc['deleting'], fileName).to.equal(undefined);
      expect(doc['missing'], fileName).to.equal(undefined);
    }
    expect(violations).to.deep.equal([]);
  });
});
