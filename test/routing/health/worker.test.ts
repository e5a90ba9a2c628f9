// The health-check worker against real HTTP servers on loopback. Rounds are driven with
// `check-now` (the timer interval is an hour), so every round is one deterministic step.
import { expect } from 'chai';
import { ask, startActorSystem, stopActor, type ActorRef, type ActorSystem } from '../../../actors/kernel/index.js';
import {
  healthWorkerSpec,
  type HealthWorkerMsg,
  type HealthWorkerOptions,
  type RoundSummary,
} from '../../../actors/routing/health/index.js';
import type { Server } from '../../../domain/routing/entities.js';
import { captureLogger, type CaptureLogger } from '../../support/capture-logger.js';
import { FakeServerSource, RecordingWriter, serverAt, startFakeEdge, until, type FakeEdge } from './support.js';

const HOUR = 3_600_000;

describe('health-check worker @integration', () => {
  let system: ActorSystem | undefined;
  let edge: FakeEdge;
  let source: FakeServerSource;
  let writer: RecordingWriter;
  let log: CaptureLogger;
  let rounds: RoundSummary[];
  let transitions: Array<[string, boolean]>;

  beforeEach(async () => {
    edge = await startFakeEdge('ok');
    source = new FakeServerSource();
    writer = new RecordingWriter(source);
    log = captureLogger();
    rounds = [];
    transitions = [];
  });

  afterEach(async () => {
    await system?.stop();
    system = undefined;
    await edge.close();
  });

  /** Starts the worker and waits for its first (automatic) round. */
  async function startWorker(overrides: Partial<HealthWorkerOptions> = {}): Promise<ActorRef<HealthWorkerMsg>> {
    system = startActorSystem({ log });
    const ref = system.spawn(
      healthWorkerSpec('healthcheck-worker', {
        node: 'node-a',
        servers: source,
        writer,
        intervalMs: HOUR,
        fall: 2,
        rise: 2,
        timeoutMs: 300,
        onRound: (summary) => rounds.push(summary),
        onTransition: (server, available) => transitions.push([server.id, available]),
        ...overrides,
      }),
    );
    await until(() => rounds.length === 1, 2_000, 'the first round');
    return ref;
  }

  function checkNow(ref: ActorRef<HealthWorkerMsg>): Promise<RoundSummary> {
    return ask(ref, (replyTo) => ({ type: 'check-now', replyTo }), 5_000);
  }

  function add(overrides: Partial<Server> = {}): Server {
    const server = serverAt(edge.port, overrides);
    source.servers.push(server);
    return server;
  }

  it('falls after HEALTHCHECK_FALL failures, rises after HEALTHCHECK_RISE successes, writes only the changes', async () => {
    const server = add({ domainName: '127.0.0.1' });
    const ref = await startWorker({ fall: 2, rise: 3 });
    expect(rounds[0]).to.include({ probed: 1, healthy: 1, transitions: 0, node: 'node-a' });

    edge.mode = 'status-500';
    expect((await checkNow(ref)).transitions).to.equal(0); // 1 failure
    expect(writer.writes).to.deep.equal([]);
    expect((await checkNow(ref)).transitions).to.equal(1); // 2 failures: down
    expect(writer.writes).to.deep.equal([{ serverId: server.id, available: false, reason: 'unavailable after 2 failures: status 500' }]);
    await checkNow(ref);
    await checkNow(ref); // still failing: nothing more to write
    expect(writer.writes).to.have.length(1);

    edge.mode = 'ok';
    await checkNow(ref);
    await checkNow(ref);
    expect(writer.writes).to.have.length(1); // 2 successes < rise 3
    expect((await checkNow(ref)).transitions).to.equal(1);
    expect(writer.writes[1]).to.deep.equal({ serverId: server.id, available: true, reason: 'available after 3 successes' });
    await checkNow(ref);
    expect(writer.writes).to.have.length(2);

    expect(transitions).to.deep.equal([
      [server.id, false],
      [server.id, true],
    ]);
    const changes = log.lines.filter((l) => l.level === 'info' && l.msg.startsWith('127.0.0.1: '));
    expect(changes.map((l) => l.msg)).to.deep.equal([
      '127.0.0.1: unavailable after 2 failures: status 500',
      '127.0.0.1: available after 3 successes',
    ]);
    expect(changes[0]!.fields).to.include({ serverId: server.id, available: false, type: 'EDGE' });
  });

  it('a flapping server (failures not consecutive) stays available', async () => {
    add();
    const ref = await startWorker({ fall: 2 });
    for (const mode of ['status-500', 'ok', 'wrong-body', 'ok', 'slow', 'ok'] as const) {
      edge.mode = mode;
      await checkNow(ref);
    }
    expect(writer.writes).to.deep.equal([]);
  });

  it('unhealthy answers: wrong body and slow (timeout) both count as failures, with their reason', async () => {
    const wrong = add({ healthcheckPath: '/wrong' });
    const slow = add({ healthcheckPath: '/slow' });
    add({ healthcheckPath: '/fine' });
    edge.modes.set('/wrong', 'wrong-body');
    edge.modes.set('/slow', 'slow');
    edge.slowMs = 1_000;
    const ref = await startWorker({ fall: 2, timeoutMs: 200 });
    await checkNow(ref);
    expect(writer.writes).to.have.deep.members([
      { serverId: wrong.id, available: false, reason: 'unavailable after 2 failures: body is not OK' },
      { serverId: slow.id, available: false, reason: 'unavailable after 2 failures: timeout after 200 ms' },
    ]);
  });

  it('probes EDGE and DVR servers; skips INACTIVE and healthcheckEnabled=false ones, whose availability stays', async () => {
    const edgeServer = add({ type: 'EDGE', healthcheckPath: '/edge' });
    const dvr = add({ type: 'DVR', healthcheckPath: '/dvr' });
    add({ healthcheckPath: '/disabled', healthcheckEnabled: false });
    add({ healthcheckPath: '/inactive', status: 'INACTIVE' });
    edge.mode = 'status-500';
    const ref = await startWorker({ fall: 1 });
    await checkNow(ref);
    await checkNow(ref);
    const paths = new Set(edge.requests.map((r) => r.path));
    expect([...paths].sort()).to.deep.equal(['/dvr', '/edge']);
    expect(writer.writes.map((w) => w.serverId).sort()).to.deep.equal([dvr.id, edgeServer.id].sort());
    expect(
      source.servers
        .filter((s) => s.availability)
        .map((s) => s.healthcheckPath)
        .sort(),
    ).to.deep.equal(['/disabled', '/inactive']);
  });

  it('probes concurrently with the concurrency bound respected', async () => {
    for (let i = 0; i < 12; i += 1) add({ healthcheckPath: `/s${i}` });
    edge.delayMs = 60;
    const ref = await startWorker({ concurrency: 4 });
    edge.maxInFlight = 0;
    edge.requests.length = 0;
    const summary = await checkNow(ref);
    expect(summary).to.include({ probed: 12, healthy: 12 });
    expect(new Set(edge.requests.map((r) => r.path)).size).to.equal(12);
    expect(edge.maxInFlight).to.equal(4);
  });

  it('a failed write is logged and retried on the next failure; nothing is lost or doubled', async () => {
    const server = add();
    edge.mode = 'status-500';
    writer.failNext = 1;
    const ref = await startWorker({ fall: 1 }); // round 1: the write fails
    expect(writer.writes).to.deep.equal([]);
    expect(log.lines.some((l) => l.level === 'warn' && /could not write availability/.test(l.msg))).to.equal(true);
    await checkNow(ref);
    expect(writer.writes).to.deep.equal([{ serverId: server.id, available: false, reason: 'unavailable after 2 failures: status 500' }]);
    await checkNow(ref);
    expect(writer.writes).to.have.length(1);
  });

  it('a view that lags behind the write does not cause a second write', async () => {
    const server = add();
    writer.applyToSource = false; // the cluster map has not caught up yet
    edge.mode = 'status-500';
    const ref = await startWorker({ fall: 1 });
    await checkNow(ref);
    await checkNow(ref);
    expect(writer.writes).to.have.length(1);
    source.set(server.id, { availability: false }); // the view catches up
    await checkNow(ref);
    expect(writer.writes).to.have.length(1);
  });

  it('an operator change of availability is adopted and counting starts again from it', async () => {
    const server = add();
    const ref = await startWorker({ rise: 2 });
    source.set(server.id, { availability: false }); // e.g. set by hand through the admin API
    await checkNow(ref); // 1 success from "unavailable"
    expect(writer.writes).to.deep.equal([]);
    await checkNow(ref);
    expect(writer.writes).to.deep.equal([{ serverId: server.id, available: true, reason: 'available after 2 successes' }]);
  });

  it('starts counting from the current availability: an unavailable server needs RISE successes', async () => {
    const server = add({ availability: false });
    const ref = await startWorker({ rise: 2 }); // round 1: one success
    expect(writer.writes).to.deep.equal([]);
    await checkNow(ref);
    expect(writer.writes).to.deep.equal([{ serverId: server.id, available: true, reason: 'available after 2 successes' }]);
  });

  it('the mailbox stays free during a round: stopping mid-round is immediate and writes nothing', async () => {
    add();
    const ref = await startWorker({ fall: 1, timeoutMs: 5_000 });
    edge.mode = 'slow';
    edge.slowMs = 3_000;
    edge.requests.length = 0;
    const pending = checkNow(ref).catch((error: Error) => error);
    await until(() => edge.requests.length === 1, 2_000, 'the slow probe');
    const started = Date.now();
    await stopActor(ref);
    expect(Date.now() - started).to.be.lessThan(500);
    expect(String(await pending)).to.match(/the health checker stopped/);
    expect(writer.writes).to.deep.equal([]);
  });

  it('runs rounds on its own every interval, the first one at once', async () => {
    add();
    system = startActorSystem({ log });
    system.spawn(
      healthWorkerSpec('healthcheck-worker', {
        node: 'node-a',
        servers: source,
        writer,
        intervalMs: 100,
        fall: 2,
        rise: 2,
        onRound: (summary) => rounds.push(summary),
      }),
    );
    const started = Date.now();
    await until(() => rounds.length >= 4, 3_000, 'four rounds');
    expect(rounds[0]!.startedAt - started).to.be.lessThan(90);
    expect(rounds.slice(0, 4).map((r) => r.round)).to.deep.equal([1, 2, 3, 4]);
    // fixed rate: round k starts about (k-1) intervals after the first
    expect(rounds[3]!.startedAt - rounds[0]!.startedAt).to.be.within(250, 1_500);
    expect(edge.requests[0]!.userAgent).to.equal('beamstack-healthcheck/1 (node-a)');
  });

  it('rejects bad options with a clear error', () => {
    expect(() => healthWorkerSpec('w', { node: 'n', servers: source, writer, intervalMs: 0, fall: 2, rise: 2 })).to.throw(
      /intervalMs must be a whole number >= 1/,
    );
    expect(() => healthWorkerSpec('w', { node: 'n', servers: source, writer, intervalMs: 10, fall: 2, rise: 2, concurrency: 0 })).to.throw(
      /concurrency must be a whole number >= 1/,
    );
  });

  it('a server list that cannot be read skips the round with a warning', async () => {
    add();
    const ref = await startWorker();
    source.activeServers = () => {
      throw new Error('view not loaded');
    };
    let error: unknown;
    try {
      await checkNow(ref);
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/round skipped: view not loaded/);
    expect(log.lines.some((l) => l.level === 'warn' && /round skipped/.test(l.msg))).to.equal(true);
  });
});
