// B7: search by session id over 1 000 000 recordings (docs/performance.md). The session index
// slots of the recordings are inserted straight into the node's MongoDB, into their buckets
// (unordered insertMany per bucket of the documents persistence/video-sessions.ts writes):
// search by session id reads only those, never the recordings collection. Then searches by
// session id go over HTTP through a real node, one at a time, each for a random existing
// session; the p99 of their latency is the result. The parts of a search (the slot look-ups,
// the audit insert) are also timed alone through the driver.
import { loadavg } from 'node:os';
import { MongoClient, type Db } from 'mongodb';
import { isDuplicateKeyError } from '../../persistence/errors.js';
import { USERS_COLLECTION } from '../../persistence/users.js';
import { MongoVideoStore, recordingIdOf } from '../../persistence/video.js';
import {
  SESSION_BUCKET_PREFIX,
  SESSION_BUCKETS,
  SessionIndex,
  sessionBucketOf,
  sessionIndexDb,
  sessionSlotOf,
  type SessionEntryDoc,
  type SessionSlotDoc,
} from '../../persistence/video-sessions.js';
import { LatencyHistogram } from '../histogram.js';
import { formatCount, formatMs } from '../report.js';
import type { SuiteContext } from './context.js';
import { verdictOf, type Benchmark } from './types.js';

const TARGET_P99_MS = 50;
/** Recordings generated per round; each round is one unordered insertMany per bucket. */
const BATCH = 250_000;

const sessionOf = (i: number): string => `s${i.toString(36).padStart(6, '0')}`;

function recordingDoc(i: number, base: number): SessionEntryDoc & { expiresAt: Date } {
  const recordedAt = new Date(base - i * 60_000);
  const fileName = `p${i % 500}_${sessionOf(i)}.mp4`;
  return {
    _id: recordingIdOf('bench', fileName),
    zone: 'bench',
    projectId: `p${i % 500}`,
    sessionId: sessionOf(i),
    fileName,
    recordedAt,
    storageDays: 3650,
    expiresAt: new Date(recordedAt.getTime() + 3650 * 86_400_000),
    sizeBytes: 1_000_000 + (i % 1000),
    sha256: i.toString(16).padStart(64, '0'),
    legalHold: false,
  };
}

/** Index of a session's bucket, 0 … SESSION_BUCKETS - 1. */
const bucketNumberOf = (sessionId: string): number => Number.parseInt(sessionBucketOf(sessionId).slice(SESSION_BUCKET_PREFIX.length), 16);

/**
 * Inserts the slots of recordings [start, end) whose bucket is below `buckets` into their
 * buckets (each session has one recording: slot 0); slots already there are kept. Returns how
 * many belong to those buckets.
 */
async function seedBuckets(db: Db, start: number, end: number, base: number, buckets: number): Promise<number> {
  const perBucket = new Map<string, SessionSlotDoc[]>();
  let seeded = 0;
  for (let i = start; i < end; i++) {
    if (bucketNumberOf(sessionOf(i)) >= buckets) continue;
    seeded += 1;
    const slot = sessionSlotOf(recordingDoc(i, base), 0);
    const name = sessionBucketOf(sessionOf(i));
    const list = perBucket.get(name);
    if (list === undefined) perBucket.set(name, [slot]);
    else list.push(slot);
  }
  const index = sessionIndexDb(db);
  for (const [name, slots] of perBucket) {
    await index
      .collection<SessionSlotDoc>(name)
      .insertMany(slots, { ordered: false })
      .catch((error: unknown) => {
        if (!isDuplicateKeyError(error)) throw error;
      });
  }
  return seeded;
}

async function timed(times: number, run: () => Promise<void>): Promise<LatencyHistogram> {
  const histogram = new LatencyHistogram();
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await run();
    histogram.record(performance.now() - started);
  }
  return histogram;
}

const p50p99 = (histogram: LatencyHistogram): string =>
  `p50 ${formatMs(histogram.percentile(50))}, p99 ${formatMs(histogram.percentile(99))}`;

export function b7Video(ctx: SuiteContext): Benchmark {
  return {
    id: 'B7',
    title: 'video search by session id on 1 000 000 recordings',
    target: `p99 < ${TARGET_P99_MS} ms`,
    async run() {
      // --quick keeps the density of 1 000 000 recordings (~244 per bucket) but fills only a
      // tenth of the buckets: a search reads exactly what it reads at 1 000 000.
      const total = 1_000_000;
      const buckets = ctx.quick ? SESSION_BUCKETS / 10 : SESSION_BUCKETS;
      const searches = ctx.quick ? 500 : 2_000;
      const cluster = await ctx.cluster(1);
      const node = cluster.nodes[0]!;
      const token = await cluster.token();
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const zone = await fetch(`${node.admin}/api/v1/video/zones`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: 'bench',
          publicAddress: '127.0.0.1',
          publicPort: 4000,
          storageDir: '/srv/video/bench',
          fileType: 'mp4',
          fileNamePattern: '(?<sessionId>[^_]+)\\.mp4',
          defaultStorageDays: 3650,
          uploadSpeedKbps: 1000,
        }),
      });
      if (zone.status !== 201 && zone.status !== 409) throw new Error(`creating the zone: ${zone.status} ${await zone.text()}`);

      const client = new MongoClient(cluster.mongodbUrl);
      try {
        const db = client.db();
        const progress = db.collection<{ _id: string; seeded: number }>('bench_b7_progress');
        const existing = (await progress.findOne({ _id: 'seeded' }))?.seeded ?? 0;
        const base = Date.UTC(2026, 0, 1);
        const t0 = performance.now();
        let inserted = 0;
        for (let start = existing; start < total; start += BATCH) {
          const end = Math.min(total, start + BATCH);
          inserted += await seedBuckets(db, start, end, base, buckets);
          await progress.replaceOne({ _id: 'seeded' }, { seeded: end }, { upsert: true });
          ctx.log(
            `B7 ${formatCount(end)} recordings generated, ${formatCount(inserted)} inserted (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
          );
        }
        const insertSeconds = (performance.now() - t0) / 1000;
        ctx.log(`B7 ${formatCount(inserted)} recordings inserted in ${insertSeconds.toFixed(0)} s; searching`);

        const randomSession = (): string => {
          let sessionId = sessionOf(Math.floor(Math.random() * total));
          while (bucketNumberOf(sessionId) >= buckets) sessionId = sessionOf(Math.floor(Math.random() * total));
          return sessionId;
        };
        // The parts of a search alone, straight through the driver: the session's slots (two
        // `_id` look-ups), the user look-up of the bearer token's check (a `find` by `_id` in the
        // node's database), and the audit entry every search writes before it answers.
        const sessions = new SessionIndex(db);
        const slotLookups = await timed(200, async () => {
          const sessionId = randomSession();
          const entries = await sessions.entries(sessionId);
          if (entries.length !== 1 || entries[0]?.sessionId !== sessionId)
            throw new Error(`slots of ${sessionId}: ${entries.length} entries`);
        });
        const users = db.collection<{ _id: string }>(USERS_COLLECTION);
        const userLookup = await timed(200, async () => {
          await users.findOne({ _id: 'bench-user' });
        });
        const store = new MongoVideoStore(db);
        const auditInsert = await timed(200, () =>
          store.appendAudit({
            at: new Date().toISOString(),
            action: 'video.search',
            actor: 'bench',
            ip: '127.0.0.1',
            details: { total: 1 },
          }),
        );
        const parts = [
          `slot look-ups of one session (driver): ${p50p99(slotLookups)}`,
          `a find by _id in the node's database, as the token check does (driver): ${p50p99(userLookup)}`,
          `audit insert (driver): ${p50p99(auditInsert)}`,
        ];
        for (const part of parts) ctx.log(`B7 ${part}`);

        const histogram = new LatencyHistogram();
        let wrong = 0;
        // Warm-up: connections, the zone cache, SQLite pages.
        for (let i = 0; i < 50; i++)
          await fetch(`${node.admin}/api/v1/video/recordings?sessionId=${sessionOf(i)}`, { headers }).then((r) => r.arrayBuffer());
        // The node's HTTP floor under the same load: GET /health, one before each search.
        const floor = new LatencyHistogram();
        for (let i = 0; i < searches; i++) {
          const sessionId = randomSession();
          let started = performance.now();
          await fetch(`${node.admin}/health`).then((r) => r.arrayBuffer());
          floor.record(performance.now() - started);
          started = performance.now();
          const res = await fetch(`${node.admin}/api/v1/video/recordings?sessionId=${sessionId}`, { headers });
          const body = (await res.json()) as { total?: number; items?: Array<{ sessionId: string; playbackUrl: string | null }> };
          histogram.record(performance.now() - started);
          if (
            res.status !== 200 ||
            body.total !== 1 ||
            body.items?.[0]?.sessionId !== sessionId ||
            typeof body.items[0].playbackUrl !== 'string'
          )
            wrong++;
        }
        const p50 = histogram.percentile(50);
        const p99 = histogram.percentile(99);
        return {
          verdict: wrong > 0 ? 'fail' : verdictOf(p99 < TARGET_P99_MS),
          summary: `p99 ${formatMs(p99)}, p50 ${formatMs(p50)} over ${formatCount(searches)} searches, ${formatCount(inserted)} recordings in ${formatCount(buckets)} buckets at the density of ${formatCount(total)}${wrong > 0 ? `, ${wrong} wrong answers` : ''}`,
          notes: [
            ...(ctx.quick
              ? [`--quick: ${formatCount(buckets)} of ${formatCount(SESSION_BUCKETS)} buckets filled as at 1 000 000 recordings`]
              : []),
            ...parts,
            `GET /health, interleaved with the searches: ${p50p99(floor)}`,
            `load average ${loadavg()[0]!.toFixed(1)} at the end`,
          ],
          details: {
            recordings: inserted,
            buckets,
            searches,
            insertSeconds,
            wrong,
            latency: histogram.toJSON(),
            slotLookups: slotLookups.toJSON(),
            userLookup: userLookup.toJSON(),
            auditInsert: auditInsert.toJSON(),
            health: floor.toJSON(),
          },
        };
      } finally {
        await client.close();
      }
    },
  };
}
