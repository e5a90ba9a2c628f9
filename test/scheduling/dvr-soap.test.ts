// DVR SOAP messages (envelopes built and read), time format, the recording task, and the
// client's fault mapping and failover against the DVR simulator over real HTTP.
import { expect } from 'chai';
import { XMLParser } from 'fast-xml-parser';
import {
  AllDvrsFailedError,
  DvrAssetNotFoundError,
  DvrError,
  DvrServiceError,
  createDvrClient,
  withFailover,
} from '../../actors/scheduling/index.js';
import type { LinearChannel, Program, Server, TvStream } from '../../domain/routing/entities.js';
import {
  DvrProtocolError,
  buildFault,
  buildRequest,
  buildResponse,
  dvrTime,
  readFault,
  readRecording,
  readRequest,
  readStringReturn,
} from '../../domain/scheduling/dvr-soap.js';
import { paramsOf, pickByWeight, placementOf, recordingTask } from '../../domain/scheduling/recording-task.js';
import { DvrSimulator } from '../support/dvr-simulator.js';

const raw = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });

const channel: LinearChannel = {
  id: 'c1',
  name: 'Viasat History',
  codeName: 'viasat_history',
  epgId: 'vh',
  dvrEnabled: true,
  serverGroupId: 'g1',
};
const stream: TvStream = {
  id: 's1',
  linearChannelId: 'c1',
  streamPath: '/live/vh/index.m3u8',
  status: 'ACTIVE',
  protocol: 'HLS',
  encryption: 'WIDEVINE',
};
const program: Program = {
  id: 'p1',
  linearChannelId: 'c1',
  epgId: '120190529123000',
  name: 'Click',
  startDatetime: '2019-05-29T12:30:00Z',
  endDatetime: '2019-05-29T13:30:00Z',
};
const edge = (port: number): Server => ({
  id: 'e1',
  type: 'EDGE',
  domainName: 'edge1.example.com',
  ip: '10.0.0.1',
  port,
  status: 'ACTIVE',
  availability: true,
  weight: 1,
  healthcheckEnabled: true,
});
const dvrServer = (id: string, port: number): Server => ({
  id,
  type: 'DVR',
  domainName: `${id}.example.com`,
  ip: '127.0.0.1',
  port: 80,
  manageIp: '127.0.0.1',
  managePort: port,
  status: 'ACTIVE',
  availability: true,
  weight: 1,
  healthcheckEnabled: false,
  prefix: id,
});

describe('DVR SOAP messages', () => {
  it('builds a document/literal envelope: operation in the DVR namespace, unqualified children', () => {
    const xml = buildRequest('scheduleRecording', recordingTask(channel, stream, program, edge(80)));
    const doc = raw.parse(xml);
    const env = doc['soapenv:Envelope'];
    expect(env['@xmlns:soapenv']).to.equal('http://schemas.xmlsoap.org/soap/envelope/');
    expect(env['@xmlns:ws']).to.equal('http://ws.api.dvr.cti.ru');
    const arg0 = env['soapenv:Body']['ws:scheduleRecording'].arg0;
    expect(arg0).to.deep.equal({
      assetToCapture: 'http://edge1.example.com/live/vh/index.m3u8',
      contentId: '120190529123000',
      params: 'format=hls;encryption=widevine;channel=viasat_history',
      placement: 'viasat_history/HLS/WIDEVINE/120190529123000',
      plannedStartTime: '2019-05-29T12:30:00+00:00',
      plannedEndTime: '2019-05-29T13:30:00+00:00',
    });
  });

  it('escapes text so a path with & and < stays one string', () => {
    const xml = buildRequest('getRecording', 'a&b<c>/x.m3u8');
    expect(readRequest(xml)).to.deep.equal({ operation: 'getRecording', arg0: 'a&b<c>/x.m3u8' });
  });

  it('task details: https only for port 443, storageID when the channel has one, the DVR time format', () => {
    expect(recordingTask(channel, stream, program, edge(443)).assetToCapture).to.equal('https://edge1.example.com/live/vh/index.m3u8');
    expect(recordingTask(channel, stream, program, edge(8080)).assetToCapture).to.equal('http://edge1.example.com/live/vh/index.m3u8');
    expect(paramsOf({ ...channel, storageId: 3 }, { ...stream, protocol: 'MPD', encryption: 'NONE' })).to.equal(
      'format=mpd;encryption=none;channel=viasat_history;storageID=3',
    );
    expect(placementOf(channel, stream, program)).to.equal('viasat_history/HLS/WIDEVINE/120190529123000');
    expect(dvrTime('2019-05-29T12:30:00.500Z')).to.equal('2019-05-29T12:30:00+00:00');
    expect(() => dvrTime('nope')).to.throw(RangeError);
  });

  it('weighted choice follows the weights', () => {
    const items = [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 3 },
    ];
    expect(pickByWeight(items, () => 0.2)?.id).to.equal('a');
    expect(pickByWeight(items, () => 0.3)?.id).to.equal('b');
    expect(pickByWeight([], () => 0.3)).to.equal(undefined);
  });

  it('reads a response, a dvrRecording and a fault with its declared exception', () => {
    expect(readStringReturn('scheduleRecording', buildResponse('scheduleRecording', 'a/b/index.m3u8'))).to.equal('a/b/index.m3u8');
    const rec = readRecording(buildResponse('getRecording', { id: '7', recordingStatus: 'RUNNING', contentId: 'x' }));
    expect(rec).to.deep.equal({ id: '7', recordingStatus: 'RUNNING', contentId: 'x' });
    expect(readFault(buildFault('DvrAssetNotFoundException', 'gone'))).to.deep.equal({
      code: 'soap:Server',
      message: 'gone',
      exception: 'DvrAssetNotFoundException',
    });
    expect(readFault(buildResponse('getRecording', { recordingStatus: 'NEW' }))).to.equal(undefined);
    expect(readFault('not xml')).to.equal(undefined);
  });

  it('refuses garbage: not XML, not an envelope, the wrong response, an unknown status', () => {
    expect(() => readStringReturn('scheduleRecording', '<html>')).to.throw(DvrProtocolError, /not XML/);
    expect(() => readStringReturn('scheduleRecording', '<a/>')).to.throw(DvrProtocolError, /not a SOAP envelope/);
    expect(() => readStringReturn('scheduleRecording', buildResponse('getRecording', 'x'))).to.throw(
      DvrProtocolError,
      /no scheduleRecordingResponse/,
    );
    expect(() => readRecording(buildResponse('getRecording', { recordingStatus: 'DONE' }))).to.throw(
      DvrProtocolError,
      /unknown recordingStatus "DONE"/,
    );
    expect(() => readStringReturn('scheduleRecording', '<!DOCTYPE x [<!ENTITY a "b">]><x/>')).to.throw(DvrProtocolError, /entities/);
  });
});

describe('DVR client against the simulator (real HTTP)', function () {
  this.timeout(20_000);
  const sims: DvrSimulator[] = [];
  let one: Server;
  let two: Server;

  before(async () => {
    for (let i = 0; i < 2; i++) sims.push(new DvrSimulator({ user: 'dvr', password: 's3cret' }));
    one = dvrServer('dvr1', await sims[0]!.start());
    two = dvrServer('dvr2', await sims[1]!.start());
  });
  after(async () => {
    for (const sim of sims) await sim.stop();
  });
  beforeEach(() => {
    for (const sim of sims) sim.mode = 'ok';
  });

  const client = (timeoutMs = 2000, password = 's3cret') => createDvrClient({ user: 'dvr', password, timeoutMs });

  it('schedules, reads and removes a recording; a removed one is DvrAssetNotFoundException', async () => {
    const c = client();
    expect(await c.getDvrServerVersion(one)).to.equal('dvr-simulator 1.0');
    const start = new Date(Date.now() + 60_000).toISOString();
    const end = new Date(Date.now() + 120_000).toISOString();
    const path = await c.scheduleRecording(
      one,
      recordingTask(channel, stream, { ...program, startDatetime: start, endDatetime: end }, edge(80)),
    );
    expect(path).to.match(/^viasat_history\/HLS\/WIDEVINE\/120190529123000\/index-\d+-60\.m3u8$/);
    expect((await c.getRecording(one, path)).recordingStatus).to.equal('NEW');
    await c.removeRecording(one, path);
    const err = await c.getRecording(one, path).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DvrAssetNotFoundError);
    expect((err as DvrError).kind).to.equal('asset-not-found');
  });

  it('maps faults, timeouts, garbage and a refused login to typed errors', async () => {
    sims[0]!.mode = 'fault';
    const fault = await client()
      .removeRecording(one, 'x')
      .catch((e: unknown) => e);
    expect(fault).to.be.instanceOf(DvrServiceError);
    expect((fault as Error).message).to.equal('DVR dvr1.example.com: DvrServiceException: storage is full');

    sims[0]!.mode = 'hang';
    const started = Date.now();
    const timeout = await client(300)
      .getRecording(one, 'x')
      .catch((e: unknown) => e);
    expect((timeout as DvrError).kind).to.equal('timeout');
    expect(Date.now() - started).to.be.lessThan(2000);

    sims[0]!.mode = 'garbage';
    const garbage = await client()
      .getRecording(one, 'x')
      .catch((e: unknown) => e);
    expect((garbage as DvrError).kind).to.equal('protocol');
    expect((garbage as Error).message).to.match(/not XML/);

    sims[0]!.mode = 'ok';
    const refused = await client(2000, 'wrong')
      .getRecording(one, 'x')
      .catch((e: unknown) => e);
    expect((refused as DvrError).kind).to.equal('protocol');
    expect((refused as Error).message).to.match(/HTTP 401.*DVR_USER/);
    expect((refused as Error).message).to.not.include('wrong');

    const unreachable = await client()
      .getRecording({ ...one, managePort: 1 }, 'x')
      .catch((e: unknown) => e);
    expect((unreachable as DvrError).kind).to.equal('unreachable');
  });

  it('fails over to the next DVR on a fault or a timeout, and reports every failure', async () => {
    const c = client(300);
    sims[0]!.mode = 'hang';
    const result = await withFailover([one, two], (s) => c.getDvrServerVersion(s));
    expect(result.server.id).to.equal('dvr2');
    expect(result.failures.map((f) => f.kind)).to.deep.equal(['timeout']);
    sims[1]!.mode = 'fault';
    const all = await withFailover([one, two], (s) => c.getDvrServerVersion(s)).catch((e: unknown) => e);
    expect(all).to.be.instanceOf(AllDvrsFailedError);
    expect((all as AllDvrsFailedError).failures.map((f) => f.kind)).to.deep.equal(['timeout', 'service']);
  });
});
