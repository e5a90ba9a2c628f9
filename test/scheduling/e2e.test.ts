// Programme scheduling end to end (docs/scheduling.md): FerretDB + Hazelcast + two node
// processes, a real FTP server (ftp-srv) holding Kaltura-flavour EPG files and two DVR
// simulators speaking the SOAP protocol. Intervals are shortened by configuration.
import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useClusterHarness, type ClusterHarnessOptions, type HarnessNode } from '../support/cluster-harness.js';
import { DvrSimulator } from '../support/dvr-simulator.js';
import { startTestFtpServer, type TestFtpServer } from '../support/ftp-server.js';
import { headerExact, rawRequest } from '../support/raw-http.js';
import { sleep, waitFor } from '../support/wait.js';

const DVR_USER = 'dvr-api';
const DVR_PASSWORD = 'dvr-pass-42';
const FTP_USER = 'epg';
const FTP_PASSWORD = 'ftp-pass-17';
const SCHEDULE_INTERVAL_MS = 2000;
const CHANNEL_EPG = '000000014';

/** `YYYYMMDDhhmmss` (UTC) of now + offset. */
function kalturaTime(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function kalturaFile(channel: string, programmes: Array<{ id: string; title: string; startMs: number; lengthMs: number }>): string {
  const items = programmes
    .map(
      (p) =>
        `<programme channel="${channel}" external_id="${p.id}" start="${kalturaTime(p.startMs)}" stop="${kalturaTime(p.startMs + p.lengthMs)}">` +
        `<title lang="kaz">${p.title}</title><desc lang="kaz">…</desc><metas><meta name="x">y</meta></metas><tags/><crid>979049</crid></programme>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<EpgChannels group-id="3057" main-lang="kaz">\n<channel id="${channel}"><display-name lang="kaz">BBC World News</display-name></channel>\n${items}\n</EpgChannels>\n`;
}

describe('programme scheduling end to end (FTP + DVR simulators + 2 nodes) @integration', function () {
  this.timeout(120_000);
  const dvr1 = new DvrSimulator({ user: DVR_USER, password: DVR_PASSWORD, plannedAfterMs: 200, completeAfterMs: 500 });
  const dvr2 = new DvrSimulator({ user: DVR_USER, password: DVR_PASSWORD, plannedAfterMs: 200, completeAfterMs: 500 });
  let ftp: TestFtpServer;
  const epgDirs: string[] = [];
  const opts: ClusterHarnessOptions = { nodes: 2 };

  before(async function () {
    this.timeout(30_000);
    await Promise.all([dvr1.start(), dvr2.start()]);
    ftp = await startTestFtpServer(FTP_USER, FTP_PASSWORD);
    for (let i = 0; i < 2; i++) epgDirs.push(await mkdtemp(join(tmpdir(), 'beamstack-epg-')));
    opts.nodes = epgDirs.map((dir) => ({ EPG_DIR: dir }));
    opts.env = {
      SCHEDULING_ENABLED: 'true',
      EPG_FTP_URL: ftp.url(),
      EPG_FTP_DELETE: 'true',
      EPG_FETCH_INTERVAL_MS: '500',
      EPG_IMPORT_INTERVAL_MS: '200',
      EPG_MIN_LEAD_S: '5',
      DVR_SCHEDULE_INTERVAL_MS: String(SCHEDULE_INTERVAL_MS),
      DVR_SCHEDULE_AHEAD_S: '40',
      DVR_STATUS_INTERVAL_MS: '300',
      DVR_USER,
      DVR_PASSWORD,
      // Long enough that a loaded test machine does not time out a working DVR (a timed-out
      // scheduleRecording fails over, and the slow DVR may still have accepted it).
      DVR_TIMEOUT_MS: '3000',
      CLEANUP_INTERVAL_MS: '1000',
      RECORDS_KEEP_HOURS: '0.006',
    };
  });
  const h = useClusterHarness(opts);
  after(async () => {
    await Promise.all([dvr1.stop(), dvr2.stop(), ftp?.stop()]);
    for (const dir of epgDirs) await rm(dir, { recursive: true, force: true });
  });

  let a: HarnessNode;
  let b: HarnessNode;
  const ids = { edge: 'edge-1', dvr1: 'dvr-1', dvr2: 'dvr-2', group: 'group-1', region: 'region-1', channel: 'channel-bbc' };

  async function create(collection: string, body: Record<string, unknown>): Promise<void> {
    const res = await h.api(a, 'POST', `/api/v1/${collection}`, { body });
    expect(res.status, `${collection}: ${res.text}`).to.equal(201);
  }

  before(async function () {
    this.timeout(30_000);
    a = h.nodes[0]!;
    b = h.nodes[1]!;
    const dvr = (id: string, prefix: string, port: number) => ({
      id,
      type: 'DVR',
      domainName: `${prefix}.dvr.test`,
      ip: '127.0.0.1',
      port: 80,
      manageIp: '127.0.0.1',
      managePort: port,
      status: 'ACTIVE',
      prefix,
      healthcheckEnabled: false,
    });
    await create('servers', {
      id: ids.edge,
      type: 'EDGE',
      domainName: 'edge1.cdn.test',
      ip: '127.0.0.1',
      port: 80,
      status: 'ACTIVE',
      healthcheckEnabled: false,
    });
    await create('servers', dvr(ids.dvr1, 'dvr1', dvr1.port));
    await create('servers', dvr(ids.dvr2, 'dvr2', dvr2.port));
    await create('server-groups', { id: ids.group, name: 'almaty', status: 'ACTIVE', serverIds: [ids.edge, ids.dvr1, ids.dvr2] });
    await create('regions', { id: ids.region, name: 'kz', status: 'ACTIVE', serverGroupIds: [ids.group] });
    await create('subnets', { name: 'loopback', cidr: '127.0.0.0/8', regionId: ids.region });
    await create('linear-channels', {
      id: ids.channel,
      name: 'BBC World News',
      codeName: 'bbc_world',
      epgId: CHANNEL_EPG,
      dvrEnabled: true,
      serverGroupId: ids.group,
      storageId: 2,
    });
    await create('tv-streams', {
      linearChannelId: ids.channel,
      streamPath: '/live/bbc/hls.m3u8',
      status: 'ACTIVE',
      protocol: 'HLS',
      encryption: 'NONE',
    });
    await create('tv-streams', {
      linearChannelId: ids.channel,
      streamPath: '/live/bbc/wv.mpd',
      status: 'ACTIVE',
      protocol: 'MPD',
      encryption: 'WIDEVINE',
    });
    await create('tv-streams', {
      linearChannelId: ids.channel,
      streamPath: '/live/bbc/off.m3u8',
      status: 'INACTIVE',
      protocol: 'HLS',
      encryption: 'CENC',
    });
  });

  async function programByEpgId(epgId: string): Promise<Record<string, string> | undefined> {
    const res = await h.api(a, 'GET', `/api/v1/programs?epgId=${epgId}`);
    return res.body?.items?.[0];
  }

  async function recordsOf(programId: string, node = a): Promise<Array<Record<string, string>>> {
    const res = await h.api(node, 'GET', `/api/v1/program-records?programId=${programId}`);
    expect(res.status, res.text).to.equal(200);
    return res.body.items;
  }

  async function status(node = a): Promise<any> {
    const res = await h.api(node, 'GET', '/api/v1/scheduling');
    expect(res.status, res.text).to.equal(200);
    return res.body;
  }

  const jobOf = (s: any, job: string): any => s.jobs.find((j: any) => j.job === job);

  it('EPG from FTP → programmes → recordings on the DVR → statuses → catch-up redirect on the other node → cleanup', async () => {
    await ftp.put(
      'bbc_world_1.xml',
      kalturaFile(CHANNEL_EPG, [
        { id: '30190406003000', title: 'Click', startMs: 22_000, lengthMs: 6_000 },
        { id: '30190406003001', title: 'Too soon', startMs: 2_000, lengthMs: 6_000 },
      ]),
    );
    const program = await waitFor('the programme from the FTP file', 15_000, () => programByEpgId('30190406003000'));
    expect(program.name).to.equal('Click');
    expect(await programByEpgId('30190406003001'), 'starts within EPG_MIN_LEAD_S: dropped').to.equal(undefined);

    // Imported → processed/, and the remote copy deleted (EPG_FTP_DELETE=true).
    await waitFor('the remote file to be deleted after import', 10_000, async () => !(await readdir(ftp.root)).includes('bbc_world_1.xml'));
    const s1 = await status(b);
    expect(s1.files.processed).to.include('bbc_world_1.xml');
    expect(jobOf(s1, 'epg-import').lastRun.counts.created).to.be.at.least(1);

    // One recording per ACTIVE stream, asked before the programme starts.
    const records = await waitFor('two records', 10_000, async () => {
      const list = await recordsOf(program.id!);
      return list.length === 2 ? list : undefined;
    });
    const start = Date.parse(program.startDatetime!);
    const tasks = [...dvr1.scheduledTasks(), ...dvr2.scheduledTasks()].filter((t) => t.contentId === program.epgId);
    expect(tasks.map((t) => t.placement).sort()).to.deep.equal([
      'bbc_world/HLS/NONE/30190406003000',
      'bbc_world/MPD/WIDEVINE/30190406003000',
    ]);
    const byPlacement = new Map(tasks.map((t) => [t.placement, t]));
    expect(byPlacement.get('bbc_world/HLS/NONE/30190406003000')).to.deep.include({
      assetToCapture: 'http://edge1.cdn.test/live/bbc/hls.m3u8',
      params: 'format=hls;encryption=none;channel=bbc_world;storageID=2',
      plannedStartTime: `${program.startDatetime!.slice(0, 19)}+00:00`,
      plannedEndTime: `${program.endDatetime!.slice(0, 19)}+00:00`,
    });
    expect(byPlacement.get('bbc_world/MPD/WIDEVINE/30190406003000')?.params).to.equal(
      'format=mpd;encryption=widevine;channel=bbc_world;storageID=2',
    );
    const scheduleCalls = [...dvr1.callsOf('scheduleRecording'), ...dvr2.callsOf('scheduleRecording')];
    for (const call of scheduleCalls) expect(call.at).to.be.lessThan(start);
    for (const record of records) {
      expect(record.status).to.equal('NEW');
      const sim = record.serverId === ids.dvr1 ? dvr1 : dvr2;
      expect(sim.recordings.has(record.path!), 'the serverId is the DVR that accepted it').to.equal(true);
    }

    // Before COMPLETED: no catch-up.
    const hls = records.find((r) => r.protocol === 'HLS')!;
    const before = await rawRequest(b.apiPort, `/btv/catchup/hls/${program.epgId}.m3u8`);
    expect(before.status).to.equal(404);

    // Statuses follow the simulator; COMPLETED reaches the other node's redirects within 1 s.
    const seen: string[] = [];
    await waitFor(
      'the HLS record to be COMPLETED',
      30_000,
      async () => {
        const current = (await h.api(a, 'GET', `/api/v1/program-records/${hls.id}`)).body.status as string;
        if (seen[seen.length - 1] !== current) seen.push(current);
        return current === 'COMPLETED';
      },
      { everyMs: 25 },
    );
    const completedAt = Date.now();
    expect(seen).to.include('RUNNING');
    const dvrPrefix = hls.serverId === ids.dvr1 ? 'dvr1' : 'dvr2';
    const redirect = await waitFor(
      'a catch-up 302 on the other node',
      1000,
      async () => {
        const res = await rawRequest(b.apiPort, `/btv/catchup/hls/${program.epgId}.m3u8`);
        return res.status === 302 ? res : undefined;
      },
      { everyMs: 20 },
    );
    expect(Date.now() - completedAt).to.be.lessThan(1000);
    expect(headerExact(redirect, 'Location')).to.equal(`http://edge1.cdn.test/dvr/${dvrPrefix}/${hls.path}`);

    // After the keep period (counted from the start): records and programme gone, removeRecording sent.
    await waitFor('the records to be cleaned up', 40_000, async () => (await recordsOf(program.id!)).length === 0);
    const removed = [...dvr1.callsOf('removeRecording'), ...dvr2.callsOf('removeRecording')].map((c) => c.arg0);
    expect(removed).to.include.members(records.map((r) => r.path));
    await waitFor('the programme to be deleted', 10_000, async () => (await programByEpgId(program.epgId!)) === undefined);
    const s2 = await status(b);
    expect(jobOf(s2, 'cleaners').lastRun).to.not.equal(null);
    for (const job of ['epg-fetch', 'epg-import', 'recording-scheduler', 'status-poller', 'cleaners']) {
      expect([a.name, b.name], job).to.include(jobOf(s2, job).holder);
      expect(jobOf(s2, job).enabled).to.equal(true);
    }
  });

  it('an EPG file that is not XML, or names only unknown channels, is moved to failed/ with its reason', async () => {
    await ftp.put('broken_epg.xml', 'this is not XML at all');
    await ftp.put(
      'unknown_channel.xml',
      kalturaFile('999999', [{ id: '40190406003000', title: 'Nobody', startMs: 3_600_000, lengthMs: 600_000 }]),
    );
    const failed = await waitFor('two failed files', 15_000, async () => {
      const list = (await status(b)).files.failed as Array<{ name: string; reason: string }>;
      return list.length >= 2 ? list : undefined;
    });
    const reasons = new Map(failed.map((f) => [f.name, f.reason]));
    expect(reasons.get('broken_epg.xml')).to.match(/not an EPG document: .*not well-formed XML/);
    expect(reasons.get('unknown_channel.xml')).to.match(/names no known channel \(999999\)/);
    // The failed files stay on the FTP server (only imported ones are deleted), and are not fetched again.
    expect(await readdir(ftp.root)).to.include.members(['broken_epg.xml', 'unknown_channel.xml']);
    const importHolder = jobOf(await status(), 'epg-import').holder as string;
    const holderDir = epgDirs[h.nodes.findIndex((n) => n.name === importHolder)]!;
    expect((await readdir(join(holderDir, 'failed'))).sort()).to.include.members(['broken_epg.xml', 'broken_epg.xml.reason.txt']);
    expect(await readdir(join(holderDir, 'inbox'))).to.deep.equal([]);
  });

  it('an FTP server that refuses the login or drops the connection: reported, nothing half-written, retried next run', async () => {
    ftp.mode = 'refuse-login';
    const refused = await h.api(a, 'POST', '/api/v1/scheduling/epg-fetch/run');
    expect(refused.status, refused.text).to.equal(200);
    expect(refused.body.ok).to.equal(false);
    expect(refused.body.errors[0].reason).to.match(/cannot log in to the EPG server ftp:\/\/127\.0\.0\.1:\d+\/: .*530/);
    expect(refused.text).to.not.include(FTP_PASSWORD);

    ftp.mode = 'drop-on-download';
    await ftp.put(
      'dropped_1.xml',
      kalturaFile(CHANNEL_EPG, [{ id: '50190406003000', title: 'Later', startMs: 3_600_000, lengthMs: 600_000 }]),
    );
    const dropped = await h.api(a, 'POST', '/api/v1/scheduling/epg-fetch/run');
    expect(dropped.body.ok).to.equal(false);
    expect(dropped.body.errors.map((e: any) => `${e.item}: ${e.reason}`).join('\n')).to.match(/dropped_1\.xml: download failed/);
    const dirA = epgDirs[0]!;
    expect(await readdir(join(dirA, 'inbox'))).to.not.include('dropped_1.xml');
    expect(await readdir(join(dirA, 'tmp')), 'no partial download left').to.deep.equal([]);
    const seenBy = jobOf(await status(), 'epg-fetch').lastRun;
    expect(seenBy.ok).to.equal(false);

    ftp.mode = 'ok';
    await waitFor(
      'the dropped file to be imported on a later run',
      15_000,
      async () => (await programByEpgId('50190406003000')) !== undefined,
    );
  });

  it('a DVR that faults, hangs past the timeout or answers garbage: reported, failed over, never half-written', async () => {
    const create = async (epgId: string, startMs: number) => {
      const res = await h.api(a, 'POST', '/api/v1/programs', {
        body: {
          linearChannelId: ids.channel,
          epgId,
          name: epgId,
          startDatetime: new Date(Date.now() + startMs).toISOString().replace(/\.\d+Z$/, 'Z'),
          endDatetime: new Date(Date.now() + startMs + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      });
      expect(res.status, res.text).to.equal(201);
      return res.body as Record<string, string>;
    };
    dvr1.mode = 'fault';
    dvr2.mode = 'garbage';
    const p1 = await create('fault_garbage_1', 30_000);
    const report = await waitFor('a scheduler report naming both failures', 10_000, async () => {
      const last = jobOf(await status(), 'recording-scheduler').lastRun;
      const text = JSON.stringify(last?.errors ?? []);
      return last && text.includes('fault_garbage_1') && text.includes('DvrServiceException') && text.includes('not XML')
        ? last
        : undefined;
    });
    expect(report.ok).to.equal(false);
    expect(await recordsOf(p1.id!)).to.deep.equal([]);

    // One DVR hangs past DVR_TIMEOUT_MS, the other works: every record lands on the working one.
    dvr1.mode = 'hang';
    dvr2.mode = 'ok';
    const records = await waitFor('records after failover', 25_000, async () => {
      const list = await recordsOf(p1.id!);
      return list.length === 2 ? list : undefined;
    });
    for (const record of records) expect(record.serverId).to.equal(ids.dvr2);
    dvr1.mode = 'ok';
    const placements = dvr2
      .scheduledTasks()
      .filter((t) => t.contentId === 'fault_garbage_1')
      .map((t) => t.placement);
    expect(placements.sort()).to.deep.equal(['bbc_world/HLS/NONE/fault_garbage_1', 'bbc_world/MPD/WIDEVINE/fault_garbage_1']);
  });

  it('a recording the DVR does not know (DvrAssetNotFoundException) becomes ERROR', async () => {
    const iso = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
    const prog = await h.api(a, 'POST', '/api/v1/programs', {
      body: {
        linearChannelId: ids.channel,
        epgId: 'on_air_ghost',
        name: 'Ghost',
        startDatetime: iso(-60_000),
        endDatetime: iso(3_600_000),
      },
    });
    expect(prog.status, prog.text).to.equal(201);
    const rec = await h.api(a, 'POST', '/api/v1/program-records', {
      body: {
        programId: prog.body.id,
        serverId: ids.dvr1,
        status: 'PLANNED',
        protocol: 'HLS',
        encryption: 'NONE',
        path: 'ghost/index.m3u8',
      },
    });
    expect(rec.status, rec.text).to.equal(201);
    await waitFor(
      'the record to become ERROR',
      10_000,
      async () => (await h.api(b, 'GET', `/api/v1/program-records/${rec.body.id}`)).body.status === 'ERROR',
    );
    // Logged with its reason (the report of that run is soon replaced by the next runs').
    const logged = await waitFor('the reason in the log', 5000, () =>
      h.nodes.flatMap((n) => n.output).find((line) => line.includes('DvrAssetNotFoundException') && line.includes('ghost/index.m3u8')),
    );
    expect(logged).to.include('status-poller');
    await h.api(a, 'DELETE', `/api/v1/program-records/${rec.body.id}`);
  });

  it('POST /api/v1/epg takes the Kaltura flavour too; the scheduling routes are in the OpenAPI document', async () => {
    const doc = kalturaFile(CHANNEL_EPG, [{ id: '60190406003000', title: 'Uploaded', startMs: 7_200_000, lengthMs: 600_000 }]);
    const res = await h.api(b, 'POST', '/api/v1/epg', { rawBody: doc, contentType: 'application/xml' });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.include({ created: 1, skippedCount: 0 });
    expect((await programByEpgId('60190406003000'))?.name).to.equal('Uploaded');
    const again = await h.api(b, 'POST', '/api/v1/epg', { rawBody: doc, contentType: 'application/xml' });
    expect(again.body).to.include({ created: 0, updated: 0, unchanged: 1 });

    const openapi = await h.api(a, 'GET', '/api/v1/openapi.json');
    expect(openapi.body.paths).to.have.property('/api/v1/scheduling');
    expect(openapi.body.paths).to.have.property('/api/v1/scheduling/{job}/run');
    const unknown = await h.api(a, 'POST', '/api/v1/scheduling/nope/run');
    expect(unknown.status).to.equal(404);
    expect(unknown.body.message).to.match(/epg-fetch, epg-import, recording-scheduler, status-poller, cleaners/);
    expect((await h.api(a, 'GET', '/api/v1/scheduling', { token: null })).status).to.equal(401);
  });

  it('SIGKILL of the node running the scheduler mid-run: the other takes over within 2 periods, nothing is scheduled twice', async () => {
    dvr1.delayMs = 250;
    dvr2.delayMs = 250;
    const holderName = jobOf(await status(), 'recording-scheduler').holder as string;
    const victim = h.nodes.find((n) => n.name === holderName)!;
    const survivor = h.nodes.find((n) => n.name !== holderName)!;
    const programIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const startMs = 25_000 + i * 1000;
      const res = await h.api(survivor, 'POST', '/api/v1/programs', {
        body: {
          linearChannelId: ids.channel,
          epgId: `kill_${i}`,
          name: `kill ${i}`,
          startDatetime: new Date(Date.now() + startMs).toISOString().replace(/\.\d+Z$/, 'Z'),
          endDatetime: new Date(Date.now() + startMs + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      });
      expect(res.status, res.text).to.equal(201);
      programIds.push(res.body.id);
    }
    // Mid-run: the holder is asking the DVRs for the new programmes.
    await waitFor(
      'the scheduler to start on the new programmes',
      10_000,
      () =>
        [...dvr1.callsOf('scheduleRecording'), ...dvr2.callsOf('scheduleRecording')].some((c) => JSON.stringify(c.arg0).includes('kill_')),
      { everyMs: 10 },
    );
    await sleep(400);
    victim.process.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      'the survivor to hold the scheduler',
      2 * SCHEDULE_INTERVAL_MS + 1000,
      async () => jobOf(await status(survivor), 'recording-scheduler').holder === survivor.name,
      { everyMs: 50 },
    );
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).to.be.lessThan(2 * SCHEDULE_INTERVAL_MS);

    // Every (programme, protocol, encryption) ends with a record, or as an unresolved claim if its DVR call was cut off.
    await waitFor(
      'every programme scheduled or reported',
      40_000,
      async () => {
        const unresolved = new Set(((await status(survivor)).unresolvedClaims as Array<{ programId: string }>).map((c) => c.programId));
        for (const id of programIds) {
          const count = (await recordsOf(id, survivor)).length;
          if (count !== 2 && !unresolved.has(id)) return false;
        }
        return true;
      },
      { everyMs: 250 },
    );
    const calls = [...dvr1.callsOf('scheduleRecording'), ...dvr2.callsOf('scheduleRecording')];
    const keys = calls.map((c) => (c.arg0 as { placement: string }).placement).filter((k) => k.includes('/kill_'));
    expect(keys.length, 'the new programmes were asked for').to.be.greaterThan(0);
    const duplicates = keys.filter((k, i) => keys.indexOf(k) !== i);
    expect(duplicates, 'placements asked twice').to.deep.equal([]);
    dvr1.delayMs = 0;
    dvr2.delayMs = 0;
  });

  it("no password reaches the nodes' output", () => {
    const output = h.nodes.map((n) => n.output.join('\n')).join('\n');
    expect(output).to.include('cannot log in to the EPG server');
    expect(output).to.not.include(FTP_PASSWORD);
    expect(output).to.not.include(DVR_PASSWORD);
  });
});
