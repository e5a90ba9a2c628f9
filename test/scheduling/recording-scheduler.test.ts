// The recording scheduler's restart safety (docs/scheduling.md, "Never twice"), against the DVR
// simulator over HTTP and an in-memory claim store with the same first-insert-wins rule as
// MongoDB's unique _id: a held claim is never asked again, a claim with the DVR's answer gets
// its record, a cut-off claim becomes `unknown`, a failed DVR call frees the claim.
import { expect } from 'chai';
import { DomainError } from '../../actors/routing/index.js';
import { JobRun } from '../../actors/scheduling/job-run.js';
import { scheduleRecordings } from '../../actors/scheduling/jobs/recording-scheduler.js';
import type { DomainWriter, RecordingClaim, RecordingClaims } from '../../actors/scheduling/ports.js';
import { emptyDomainModel, type DomainModel, type Program, type ProgramRecord } from '../../domain/routing/entities.js';
import { captureLogger } from '../support/capture-logger.js';
import { DvrSimulator } from '../support/dvr-simulator.js';
import { SIM_CREDENTIALS, claimHeldByOtherNode, simulatorClient, simulatorServer } from './support/dvr-fixtures.js';

function memoryClaims(): RecordingClaims & { all: Map<string, RecordingClaim> } {
  const all = new Map<string, RecordingClaim>();
  return {
    all,
    async claim(c) {
      if (all.has(c.key)) return false;
      all.set(c.key, { ...c });
      return true;
    },
    get: async (key) => all.get(key),
    async update(key, patch) {
      const c = all.get(key);
      if (c) all.set(key, { ...c, ...patch });
    },
    async release(key) {
      all.delete(key);
    },
    unresolved: async () => [...all.values()].filter((c) => c.state === 'unknown'),
    async removeClaimedBefore() {
      return 0;
    },
  };
}

describe('recording scheduler: claims make it restart-safe', function () {
  this.timeout(20_000);
  const sim = new DvrSimulator(SIM_CREDENTIALS);
  const NOW = Date.now();
  let model: DomainModel;
  let claims: ReturnType<typeof memoryClaims>;
  let created: Array<Record<string, unknown>>;
  /** A programme of channel `c` running from NOW + startMs to NOW + endMs. */
  const programme = (id: string, epgId: string, startMs: number, endMs: number): Program => ({
    id,
    linearChannelId: 'c',
    epgId,
    name: id.toUpperCase(),
    startDatetime: new Date(NOW + startMs).toISOString(),
    endDatetime: new Date(NOW + endMs).toISOString(),
  });

  const domain: DomainWriter = {
    async create(_collection, body) {
      const key = `${String(body.programId)}|${String(body.protocol)}|${String(body.encryption)}`;
      if (model.programRecords.some((r) => `${r.programId}|${r.protocol}|${r.encryption}` === key))
        throw new DomainError('CONFLICT', 'exists');
      created.push(body);
      model.programRecords.push({ id: `r${created.length}`, ...(body as Omit<ProgramRecord, 'id'>) });
      return body as never;
    },
    patch: () => Promise.reject(new Error('not used')),
    remove: () => Promise.reject(new Error('not used')),
    importPrograms: () => Promise.reject(new Error('not used')),
  };

  before(async () => {
    await sim.start();
  });
  after(async () => sim.stop());
  beforeEach(() => {
    sim.mode = 'ok';
    sim.calls.length = 0;
    claims = memoryClaims();
    created = [];
    model = emptyDomainModel();
    model.servers.push(
      {
        id: 'edge',
        type: 'EDGE',
        domainName: 'edge.test',
        ip: '127.0.0.1',
        port: 443,
        status: 'ACTIVE',
        availability: true,
        weight: 1,
        healthcheckEnabled: false,
      },
      simulatorServer(sim),
    );
    model.serverGroups.push({ id: 'g', name: 'g', status: 'ACTIVE', serverIds: ['edge', 'dvr'], strategy: 'random' });
    model.linearChannels.push({ id: 'c', name: 'C', codeName: 'chan', epgId: 'c', dvrEnabled: true, serverGroupId: 'g' });
    model.tvStreams.push({ id: 's', linearChannelId: 'c', streamPath: '/c.m3u8', status: 'ACTIVE', protocol: 'HLS', encryption: 'NONE' });
    model.programs.push(programme('p', 'e1', 60_000, 120_000));
  });

  const run = async (now = NOW): Promise<JobRun> => {
    const r = new JobRun('recording-scheduler', 'n1', captureLogger(), new AbortController().signal);
    await scheduleRecordings(r, {
      model: { current: () => model },
      domain: () => domain,
      claims,
      dvr: simulatorClient(),
      aheadS: 300,
      staleClaimMs: 5000,
      node: 'n1',
      now: () => now,
    });
    return r;
  };

  it('schedules once, records on the accepting DVR, and a second run asks nobody', async () => {
    await run();
    expect(sim.callsOf('scheduleRecording')).to.have.length(1);
    expect(created).to.have.length(1);
    expect(created[0]).to.include({ programId: 'p', serverId: 'dvr', status: 'NEW', protocol: 'HLS', encryption: 'NONE' });
    expect(sim.scheduledTasks()[0]?.assetToCapture).to.equal('https://edge.test/c.m3u8');
    expect(claims.all.get('p|HLS|NONE')?.state).to.equal('recorded');
    await run();
    expect(sim.callsOf('scheduleRecording')).to.have.length(1);
  });

  it('a claim held by another scheduler is not asked again; with the DVR answer it gets its record', async () => {
    await claims.claim(claimHeldByOtherNode(NOW));
    const r = await run();
    expect(sim.callsOf('scheduleRecording')).to.have.length(0);
    expect(r.counts.claimedElsewhere).to.equal(1);
    await claims.update('p|HLS|NONE', { state: 'scheduled', path: 'chan/HLS/NONE/e1/index.m3u8', serverId: 'dvr' });
    await run();
    expect(sim.callsOf('scheduleRecording')).to.have.length(0);
    expect(created).to.have.length(1);
    expect(created[0]).to.include({ path: 'chan/HLS/NONE/e1/index.m3u8', serverId: 'dvr' });
  });

  it('a claim cut off mid-call becomes unknown and is reported, never retried', async () => {
    await claims.claim(claimHeldByOtherNode(NOW - 10_000));
    const r = await run();
    expect(claims.all.get('p|HLS|NONE')?.state).to.equal('unknown');
    expect(r.errors[0]?.reason).to.match(/cut off/);
    await run(NOW + 1000);
    expect(sim.callsOf('scheduleRecording')).to.have.length(0);
  });

  it('a DVR fault frees the claim: the next run asks again', async () => {
    sim.mode = 'fault';
    const r = await run();
    expect(r.errors[0]?.reason).to.match(/DvrServiceException/);
    expect(claims.all.size).to.equal(0);
    expect(created).to.have.length(0);
    sim.mode = 'ok';
    await run();
    expect(created).to.have.length(1);
  });

  it('reads the records only when a programme is in the window, and then those of its programmes only', async () => {
    // Every run used to key each record of the model (70 000 in B6, every 15 s on a serving node).
    let reads = 0;
    const records = model.programRecords;
    const iterate = records[Symbol.iterator].bind(records);
    records[Symbol.iterator] = () => {
      reads++;
      return iterate();
    };
    records.push({
      id: 'other',
      programId: 'elsewhere',
      serverId: 'dvr',
      status: 'COMPLETED',
      protocol: 'HLS',
      encryption: 'NONE',
      path: 'x',
    });
    model.programs[0] = programme('p', 'e1', 600_000, 700_000); // after the window
    await run();
    expect(reads).to.equal(0);
    expect(sim.callsOf('scheduleRecording')).to.have.length(0);

    model.programs[0] = programme('p', 'e1', 60_000, 120_000);
    records.push({ id: 'done', programId: 'p', serverId: 'dvr', status: 'NEW', protocol: 'HLS', encryption: 'NONE', path: 'p/hls' });
    await run();
    expect(reads).to.equal(1);
    expect(sim.callsOf('scheduleRecording'), 'its record exists already').to.have.length(0);
  });

  it('leaves alone programmes outside the window, channels without dvrEnabled, INACTIVE streams', async () => {
    model.programs.push(programme('late', 'e2', 600_000, 700_000), programme('past', 'e3', -60_000, 700_000));
    model.tvStreams.push({
      id: 's2',
      linearChannelId: 'c',
      streamPath: '/c2.mpd',
      status: 'INACTIVE',
      protocol: 'MPD',
      encryption: 'NONE',
    });
    await run();
    expect(sim.scheduledTasks().map((t) => t.contentId)).to.deep.equal(['e1']);
    model.linearChannels[0]!.dvrEnabled = false;
    model.programRecords.length = 0;
    claims.all.clear();
    sim.calls.length = 0;
    await run();
    expect(sim.callsOf('scheduleRecording')).to.have.length(0);
  });
});
