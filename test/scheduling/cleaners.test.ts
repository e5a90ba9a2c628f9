// The cleaners (docs/scheduling.md, job 5) against the DVR simulator over HTTP and an
// in-memory domain model that applies the deletes: removeRecording first, the record kept
// while the DVR fails, deleted without asking when its server is gone, then old programmes.
import { expect } from 'chai';
import { DomainError } from '../../actors/routing/index.js';
import { JobRun } from '../../actors/scheduling/job-run.js';
import { clean } from '../../actors/scheduling/jobs/cleaners.js';
import type { DomainWriter, RecordingClaims } from '../../actors/scheduling/ports.js';
import { emptyDomainModel, type DomainModel } from '../../domain/routing/entities.js';
import { captureLogger } from '../support/capture-logger.js';
import { DvrSimulator } from '../support/dvr-simulator.js';
import { SIM_CREDENTIALS, simulatorClient, simulatorServer } from './support/dvr-fixtures.js';

describe('cleaners', function () {
  this.timeout(20_000);
  const sim = new DvrSimulator(SIM_CREDENTIALS);
  const NOW = Date.parse('2030-06-01T00:00:00Z');
  const HOUR = 3_600_000;
  let model: DomainModel;
  let claimCutoff: string | undefined;

  const domain: DomainWriter = {
    async remove(collection, id) {
      if (collection === 'programs') {
        if (model.programRecords.some((r) => r.programId === id)) throw new DomainError('CONFLICT', 'records point at it');
        model.programs = model.programs.filter((p) => p.id !== id);
      } else model.programRecords = model.programRecords.filter((r) => r.id !== id);
    },
    create: () => Promise.reject(new Error('not used')),
    patch: () => Promise.reject(new Error('not used')),
    importPrograms: () => Promise.reject(new Error('not used')),
  };
  const claims: Pick<RecordingClaims, 'removeClaimedBefore'> = {
    async removeClaimedBefore(iso) {
      claimCutoff = iso;
      return 0;
    },
  };

  before(async () => sim.start());
  after(async () => sim.stop());

  async function scheduleOnSim(epgId: string): Promise<string> {
    const client = simulatorClient();
    const server = model.servers[0]!;
    return client.scheduleRecording(server, {
      assetToCapture: 'http://e/x',
      contentId: epgId,
      params: 'format=hls',
      placement: `c/HLS/NONE/${epgId}`,
      plannedStartTime: '2030-05-29T00:00:00+00:00',
      plannedEndTime: '2030-05-29T01:00:00+00:00',
    });
  }

  beforeEach(() => {
    sim.mode = 'ok';
    sim.calls.length = 0;
    model = emptyDomainModel();
    model.servers.push(simulatorServer(sim));
    const at = (h: number) => new Date(NOW + h * HOUR).toISOString();
    model.programs.push(
      { id: 'old_rec', linearChannelId: 'c', epgId: 'old_rec', name: 'A', startDatetime: at(-49), endDatetime: at(-48.5) },
      { id: 'old_bare', linearChannelId: 'c', epgId: 'old_bare', name: 'B', startDatetime: at(-72), endDatetime: at(-71) },
      { id: 'young', linearChannelId: 'c', epgId: 'young', name: 'C', startDatetime: at(-47), endDatetime: at(-46) },
    );
  });

  const run = async (): Promise<JobRun> => {
    const r = new JobRun('cleaners', 'n1', captureLogger(), new AbortController().signal);
    await clean(r, {
      model: { current: () => model },
      domain: () => domain,
      dvr: simulatorClient(),
      claims: claims as RecordingClaims,
      keepMs: 48 * HOUR,
      claimGraceMs: HOUR,
      now: () => NOW,
    });
    return r;
  };

  it('removes old recordings on the DVR, then their records, then old programmes without records', async () => {
    const path = await scheduleOnSim('old_rec');
    const youngPath = await scheduleOnSim('young');
    model.programRecords.push(
      { id: 'r_old', programId: 'old_rec', serverId: 'dvr', status: 'COMPLETED', protocol: 'HLS', encryption: 'NONE', path },
      { id: 'r_young', programId: 'young', serverId: 'dvr', status: 'COMPLETED', protocol: 'HLS', encryption: 'NONE', path: youngPath },
    );
    const first = await run();
    expect(sim.callsOf('removeRecording').map((c) => c.arg0)).to.deep.equal([path]);
    expect(model.programRecords.map((r) => r.id)).to.deep.equal(['r_young']);
    expect(first.counts).to.include({ removedOnDvr: 1, recordsDeleted: 1, programsDeleted: 2 });
    expect(model.programs.map((p) => p.id)).to.deep.equal(['young']);
    expect(claimCutoff).to.equal(new Date(NOW - 49 * HOUR).toISOString());
  });

  it('a DVR that fails keeps the record for the next run; a server that is gone does not', async () => {
    const path = await scheduleOnSim('old_rec');
    model.programRecords.push({
      id: 'r_old',
      programId: 'old_rec',
      serverId: 'dvr',
      status: 'COMPLETED',
      protocol: 'HLS',
      encryption: 'NONE',
      path,
    });
    model.programRecords.push({
      id: 'r_orphan',
      programId: 'old_bare',
      serverId: 'gone',
      status: 'COMPLETED',
      protocol: 'HLS',
      encryption: 'NONE',
      path: 'x/y',
    });
    sim.mode = 'fault';
    const failed = await run();
    expect(failed.errors[0]?.reason).to.match(/removeRecording failed; the record is kept .*DvrServiceException/);
    expect(model.programRecords.map((r) => r.id)).to.deep.equal(['r_old']);
    expect(model.programs.map((p) => p.id)).to.include('old_rec');
    sim.mode = 'ok';
    await run();
    expect(model.programRecords).to.deep.equal([]);
    expect(sim.recordings.get(path)?.removedAt).to.be.a('number');
  });

  it('a DVR that is down is asked once per run, one that faults is asked for every record', async () => {
    for (const id of ['r1', 'r2', 'r3'])
      model.programRecords.push({
        id,
        programId: 'old_rec',
        serverId: 'dvr',
        status: 'COMPLETED',
        protocol: 'HLS',
        encryption: 'NONE',
        path: `c/${id}`,
      });
    sim.mode = 'garbage';
    const down = await run();
    expect(sim.callsOf('removeRecording')).to.have.length(1);
    expect(down.counts).to.include({ keptDvrDown: 2 });
    expect(model.programRecords.map((r) => r.id)).to.deep.equal(['r1', 'r2', 'r3']);
    expect(model.programs.map((p) => p.id)).to.include('old_rec');

    sim.calls.length = 0;
    sim.mode = 'fault';
    const faulted = await run();
    expect(sim.callsOf('removeRecording')).to.have.length(3);
    expect(faulted.counts.keptDvrDown).to.equal(undefined);
    expect(model.programRecords).to.have.length(3);
  });
});
