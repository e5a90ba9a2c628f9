// The status poller (docs/scheduling.md, job 4) against the DVR simulator over HTTP: a changed
// recordingStatus is written; a DVR that is down is asked once per run, not once per record.
import { expect } from 'chai';
import { JobRun } from '../../actors/scheduling/job-run.js';
import { pollStatuses } from '../../actors/scheduling/jobs/status-poller.js';
import type { DomainWriter } from '../../actors/scheduling/ports.js';
import { emptyDomainModel, type DomainModel, type ProgramRecord } from '../../domain/routing/entities.js';
import { captureLogger } from '../support/capture-logger.js';
import { DvrSimulator } from '../support/dvr-simulator.js';
import { SIM_CREDENTIALS, simulatorClient, simulatorServer } from './support/dvr-fixtures.js';

const NOW = Date.parse('2030-06-01T00:00:00Z');
const at = (hours: number): string => new Date(NOW + hours * 3_600_000).toISOString();

describe('status poller', function () {
  this.timeout(20_000);
  const sim = new DvrSimulator(SIM_CREDENTIALS);
  let model: DomainModel;
  let patched: Array<{ id: string; status: unknown }>;

  const domain: DomainWriter = {
    async patch(_collection, id, fields) {
      patched.push({ id, status: (fields as Partial<ProgramRecord>).status });
      return undefined as never;
    },
    remove: () => Promise.reject(new Error('not used')),
    create: () => Promise.reject(new Error('not used')),
    importPrograms: () => Promise.reject(new Error('not used')),
  };

  before(async () => sim.start());
  after(async () => sim.stop());

  beforeEach(() => {
    sim.mode = 'ok';
    sim.calls.length = 0;
    patched = [];
    model = emptyDomainModel();
    model.servers.push(simulatorServer(sim));
    model.programs.push({ id: 'ended', linearChannelId: 'c', epgId: 'ended', name: 'A', startDatetime: at(-3), endDatetime: at(-2) });
    for (const id of ['r1', 'r2', 'r3'])
      model.programRecords.push({
        id,
        programId: 'ended',
        serverId: 'dvr',
        status: 'NEW',
        protocol: 'HLS',
        encryption: 'NONE',
        path: `c/${id}`,
      });
  });

  const run = async (): Promise<JobRun> => {
    const r = new JobRun('status-poller', 'n1', captureLogger(), new AbortController().signal);
    await pollStatuses(r, { model: { current: () => model }, domain: () => domain, dvr: simulatorClient(), now: () => NOW });
    return r;
  };

  it('a DVR that is down is asked once per run; its other records wait for the next run', async () => {
    sim.mode = 'garbage';
    const down = await run();
    expect(sim.callsOf('getRecording')).to.have.length(1);
    expect(down.counts).to.include({ due: 3, skippedDvrDown: 2 });
    expect(down.errors).to.have.length(1);
    expect(patched).to.deep.equal([]);

    sim.calls.length = 0;
    sim.mode = 'fault';
    await run();
    expect(sim.callsOf('getRecording')).to.have.length(3);
  });
});
