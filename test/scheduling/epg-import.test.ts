// The EPG import job's rules (docs/scheduling.md, job 2) on real folders, against an
// in-memory domain model that applies the writes: lead time, replacement of a channel's span,
// idempotence, failed/ with the reason, nothing to do when the inbox is empty.
import { expect } from 'chai';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError, type EpgReport, type ProgramDraft } from '../../actors/routing/index.js';
import { EpgFolders } from '../../actors/scheduling/epg-folders.js';
import { JobRun } from '../../actors/scheduling/job-run.js';
import { importEpg } from '../../actors/scheduling/jobs/epg-import.js';
import type { DomainWriter } from '../../actors/scheduling/ports.js';
import { emptyDomainModel, type DomainModel, type Program } from '../../domain/routing/entities.js';
import { parseEpgDocument } from '../../gateway/admin/routes/epg-document.js';
import { captureLogger } from '../support/capture-logger.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const iso = (minutes: number): string => new Date(NOW + minutes * 60_000).toISOString().replace('.000Z', 'Z');
const kt = (minutes: number): string => iso(minutes).replace(/[-:TZ]/g, '');

/** Applies writes to a model the way the domain-model actor would (epgId unique, records refuse deletes). */
function memoryDomain(model: DomainModel): DomainWriter & { writes: string[] } {
  let next = 1;
  const writes: string[] = [];
  return {
    writes,
    async importPrograms(drafts: ProgramDraft[]): Promise<EpgReport> {
      const report: EpgReport = { created: 0, updated: 0, unchanged: 0, skippedCount: 0, skipped: [] };
      for (const d of drafts) {
        const channel = model.linearChannels.find((c) => c.epgId === d.channel)!;
        const existing = model.programs.find((p) => p.epgId === d.epgId);
        const fields = {
          linearChannelId: channel.id,
          epgId: d.epgId,
          name: d.name,
          startDatetime: d.startDatetime,
          endDatetime: d.endDatetime,
        };
        if (existing && JSON.stringify({ ...existing, id: undefined }) === JSON.stringify({ ...fields, id: undefined })) report.unchanged++;
        else if (existing) {
          Object.assign(existing, fields);
          writes.push(`update ${d.epgId}`);
          report.updated++;
        } else {
          model.programs.push({ id: `new${next++}`, ...fields });
          writes.push(`create ${d.epgId}`);
          report.created++;
        }
      }
      return report;
    },
    async remove(collection, id) {
      if (model.programRecords.some((r) => r.programId === id)) throw new DomainError('CONFLICT', 'records point at it');
      model.programs = model.programs.filter((p) => p.id !== id);
      writes.push(`delete ${collection} ${id}`);
    },
    create: () => Promise.reject(new Error('not used')),
    patch: () => Promise.reject(new Error('not used')),
  };
}

function kaltura(programmes: Array<[string, number, number, string]>): string {
  const items = programmes.map(
    ([id, from, to, title]) =>
      `<programme channel="ch14" external_id="${id}" start="${kt(from)}" stop="${kt(to)}"><title>${title}</title></programme>`,
  );
  return `<EpgChannels><channel id="ch14"/>${items.join('')}</EpgChannels>`;
}

describe('EPG import job', () => {
  let dir: string;
  let folders: EpgFolders;
  let model: DomainModel;
  let domain: ReturnType<typeof memoryDomain>;
  const program = (id: string, epgId: string, from: number, to: number, name = epgId): Program => ({
    id,
    linearChannelId: 'c14',
    epgId,
    name,
    startDatetime: iso(from),
    endDatetime: iso(to),
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'beamstack-import-'));
    folders = new EpgFolders(dir);
    await folders.ensure();
    model = emptyDomainModel();
    model.linearChannels.push({ id: 'c14', name: 'BBC', codeName: 'bbc', epgId: 'ch14', dvrEnabled: true });
    model.programs.push(
      program('old_in_span', 'e_old', 120, 150),
      program('recorded_in_span', 'e_rec', 150, 180),
      program('outside', 'e_out', 600, 630),
      program('listed', 'e_listed', 60, 90, 'Old name'),
    );
    model.programRecords.push({
      id: 'r1',
      programId: 'recorded_in_span',
      serverId: 'd1',
      status: 'NEW',
      protocol: 'HLS',
      encryption: 'NONE',
      path: 'a/b',
    });
    domain = memoryDomain(model);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const run = async (): Promise<JobRun> => {
    const r = new JobRun('epg-import', 'n1', captureLogger(), new AbortController().signal);
    await importEpg(r, {
      folders,
      parse: parseEpgDocument,
      model: { current: () => model },
      domain: () => domain,
      minLeadS: 1800,
      now: () => NOW,
    });
    return r;
  };

  it('drops programmes inside the lead time, replaces the span, keeps recorded and outside programmes; twice changes nothing', async () => {
    const file = kaltura([
      ['e_soon', 10, 60, 'Too soon'],
      ['e_listed', 60, 90, 'New name'],
      ['e_new', 90, 200, 'New'],
    ]);
    await writeFile(join(folders.inbox, 'bbc.xml'), file);
    const first = await run();
    expect(first.counts).to.include({ files: 1, tooSoon: 1, deleted: 1, created: 1, updated: 1, processed: 1 });
    expect(domain.writes).to.deep.equal(['delete programs old_in_span', 'update e_listed', 'create e_new']);
    expect(model.programs.map((p) => p.epgId).sort()).to.deep.equal(['e_listed', 'e_new', 'e_out', 'e_rec']);
    expect(await readdir(folders.processed)).to.deep.equal(['bbc.xml']);
    expect(await readdir(folders.inbox)).to.deep.equal([]);

    domain.writes.length = 0;
    await writeFile(join(folders.inbox, 'bbc.xml'), file);
    const second = await run();
    expect(domain.writes).to.deep.equal([]);
    expect(second.counts).to.include({ unchanged: 2, processed: 1 });
    expect(second.counts.created ?? 0).to.equal(0);
  });

  it('a file that is not XML goes to failed/ with the reason beside it', async () => {
    await writeFile(join(folders.inbox, 'junk.xml'), 'garbage');
    const r = await run();
    expect(r.errors[0]).to.deep.include({ item: 'junk.xml' });
    expect(r.errors[0]?.reason).to.match(/not an EPG document: .*not well-formed XML/);
    expect(await readdir(folders.failed)).to.have.members(['junk.xml', 'junk.xml.reason.txt']);
    expect(await readFile(join(folders.failed, 'junk.xml.reason.txt'), 'utf8')).to.match(/not well-formed XML/);
    expect(domain.writes).to.deep.equal([]);
  });

  it('oldest file first, one per run; an empty inbox is an idle run', async () => {
    await writeFile(join(folders.inbox, 'b_second.xml'), kaltura([['e_b', 300, 330, 'B']]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeFile(join(folders.inbox, 'a_third.xml'), kaltura([['e_a', 400, 430, 'A']]));
    await run();
    expect(await readdir(folders.processed)).to.deep.equal(['b_second.xml']);
    await run();
    const idle = await run();
    expect(idle.idle).to.equal(true);
  });
});
