// Small pure parts of the routing service: XMLTV parsing, the list query schema, the model
// mirror's stale-event rule, sampled logging and the load shedder.
import { expect } from 'chai';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ModelMirror } from '../../actors/routing/model-mirror.js';
import { tombstoneOf } from '../../actors/routing/cluster-maps.js';
import { RoutingViewHolder } from '../../actors/routing/view-holder.js';
import { buildRoutingView } from '../../actors/routing/view.js';
import { COLLECTION_NAMES, emptyDomainModel } from '../../domain/routing/entities.js';
import { listQuerySchema } from '../../gateway/admin/routes/domain.js';
import { XmltvError, parseXmltv, parseXmltvTime } from '../../gateway/admin/routes/xmltv.js';
import { eventLoopDelaySampler, startLoadShedder, type DelaySampler } from '../../gateway/client/load-shedder.js';
import { sampledLog } from '../../gateway/client/sampled-log.js';
import { createRedirectMetrics } from '../../gateway/client/redirect-metrics.js';
import { Registry } from 'prom-client';
import { waitFor } from '../support/wait.js';
import { captureLogger } from '../support/capture-logger.js';

describe('redirect: pure parts', () => {
  describe('XMLTV', () => {
    it('converts XMLTV times to ISO-8601 UTC', () => {
      expect(parseXmltvTime('20080715003000 +0000')).to.equal('2008-07-15T00:30:00Z');
      expect(parseXmltvTime('20080715003000 +0200')).to.equal('2008-07-14T22:30:00Z');
      expect(parseXmltvTime('20080715003000 -0130')).to.equal('2008-07-15T02:00:00Z');
      expect(parseXmltvTime('200807150030')).to.equal('2008-07-15T00:30:00Z');
      expect(parseXmltvTime('20080715003000')).to.equal('2008-07-15T00:30:00Z');
      for (const bad of ['', '2008-07-15', '20080230003000 +0000', '20081315003000', '20080715246000', 'x', '20080715003000 +9900']) {
        expect(parseXmltvTime(bad), bad).to.equal(undefined);
      }
    });

    it('parses programmes, derives ids, reports what it cannot use', () => {
      const parsed = parseXmltv(`<tv>
        <programme start="20080715003000 +0000" stop="20080715010000 +0000" channel="ch1"><title>A &amp; B</title></programme>
        <programme start="20080715010000 +0000" stop="20080715020000 +0000" channel="ch1" id="x1"><title lang="en">X</title><title lang="de">Y</title></programme>
        <programme start="20080715010000 +0000" stop="20080715020000 +0000" channel="bad id"><title>Z</title></programme>
        <programme start="20080715010000 +0000" channel="ch1"><title>No stop</title></programme>
        <programme start="20080715010000 +0000" stop="20080715020000 +0000" channel="ch1"></programme>
      </tv>`);
      expect(parsed.programmes).to.deep.equal([
        {
          epgId: 'ch1_20080715003000',
          channel: 'ch1',
          name: 'A & B',
          startDatetime: '2008-07-15T00:30:00Z',
          endDatetime: '2008-07-15T01:00:00Z',
        },
        { epgId: 'x1', channel: 'ch1', name: 'X', startDatetime: '2008-07-15T01:00:00Z', endDatetime: '2008-07-15T02:00:00Z' },
      ]);
      expect(parsed.skipped.map((s) => s.reason)).to.have.length(3);
      expect(parseXmltv('<tv/>').programmes).to.deep.equal([]);
    });

    it('refuses malformed XML, other roots and entity declarations', () => {
      for (const bad of ['nope', '<tv><programme></tv>', '<guide/>', '<!DOCTYPE tv [<!ENTITY x "y">]><tv/>']) {
        expect(() => parseXmltv(bad), bad).to.throw(XmltvError);
      }
    });
  });

  describe('list query schema', () => {
    it("takes paging and the collection's own fields only, with no defaults", () => {
      const check = TypeCompiler.Compile(listQuerySchema('servers'));
      expect(check.Check({ limit: 10, offset: 0, type: 'EDGE', availability: true, port: 80 })).to.equal(true);
      expect(check.Check({ color: 'red' })).to.equal(false);
      expect(check.Check({ type: 'NOPE' })).to.equal(false);
      expect(check.Check({ serverGroupIds: 'g1' })).to.equal(false); // derived: not stored, not filterable
      const props = listQuerySchema('servers').properties as Record<string, { default?: unknown }>;
      expect(props.availability!.default).to.equal(undefined);
      for (const collection of COLLECTION_NAMES) expect(() => TypeCompiler.Compile(listQuerySchema(collection))).to.not.throw();
      expect(TypeCompiler.Compile(listQuerySchema('regions')).Check({ serverGroupIds: 'g1' })).to.equal(true);
    });
  });

  describe('model mirror', () => {
    const region = (name: string, version: number, createdAt = '2026-01-01T00:00:00.000Z') => ({
      id: 'r1',
      name,
      status: 'ACTIVE' as const,
      serverGroupIds: [],
      version,
      createdAt,
    });
    const set = (value: object) => ({ type: 'set' as const, key: 'r1', version: 1, value });

    it('takes only newer states of a record, whatever order the snapshot and delta events arrive in', () => {
      const mirror = new ModelMirror();
      mirror.addRecords('regions', [region('two', 2)]);
      expect(mirror.apply('regions', set(region('one', 1)))).to.equal(false);
      expect(mirror.apply('regions', set(region('two again', 2)))).to.equal(false);
      expect(mirror.toModel().regions[0]!.name).to.equal('two');
      expect(mirror.apply('regions', set(region('three', 3)))).to.equal(true);
      expect(mirror.toModel().regions[0]!.name).to.equal('three');
      expect(mirror.apply('regions', { type: 'set', key: 'r2', version: 9, value: region('wrong key', 9) })).to.equal(false);
      // A removal from a delta map says nothing about the record.
      expect(mirror.apply('regions', { type: 'delete', key: 'r1' })).to.equal(false);
      expect(mirror.size).to.equal(1);
    });

    it('a tombstone hides the record and keeps older states out; a record created anew later wins', () => {
      const mirror = new ModelMirror();
      mirror.addRecords('regions', [region('old', 3)]);
      expect(mirror.apply('regions', set(tombstoneOf({ id: 'r1', version: 3, createdAt: '2026-01-01T00:00:00.000Z' })))).to.equal(true);
      expect(mirror.size).to.equal(0);
      expect(mirror.toModel().regions).to.deep.equal([]);
      mirror.addRecords('regions', [region('late snapshot copy', 3)]);
      expect(mirror.size).to.equal(0);
      expect(mirror.apply('regions', set(region('recreated', 1, '2026-02-01T00:00:00.000Z')))).to.equal(true);
      expect(mirror.toModel().regions.map((r) => r.name)).to.deep.equal(['recreated']);
    });
  });

  describe('view holder', () => {
    it('serves an empty view until the first swap, then the swapped one', async () => {
      const holder = new RoutingViewHolder();
      expect(holder.loaded).to.equal(false);
      expect(await holder.whenLoaded(10)).to.equal(false);
      const waiting = holder.whenLoaded(1000);
      const view = buildRoutingView(emptyDomainModel(), 7);
      holder.swap(view);
      expect(await waiting).to.equal(true);
      expect(holder.current()).to.equal(view);
      expect(holder.generation).to.equal(7);
    });
  });

  describe('sampled log', () => {
    it('logs at most N lines per second and says how many it dropped', () => {
      const log = captureLogger();
      let now = 0;
      const sampled = sampledLog(log, 2, () => now);
      for (let i = 0; i < 5; i++) sampled.line({ i }, 'miss');
      now = 1000;
      sampled.line({ i: 5 }, 'miss');
      const lines = log.lines;
      expect(lines).to.have.length(3);
      expect(JSON.stringify(lines[2])).to.contain('"droppedSinceLast":3');
    });
  });

  describe('load shedder', () => {
    function fakeSampler(): DelaySampler & { median: number | undefined } {
      return {
        median: undefined,
        medianMs() {
          return this.median;
        },
        maxMs() {
          return this.median;
        },
        reset() {
          this.median = undefined;
        },
        stop() {},
      };
    }

    it('sheds for a window whose median event-loop delay is over the limit, and only then', () => {
      const sampler = fakeSampler();
      const shedder = startLoadShedder({ maxEventLoopDelayMs: 50, windowMs: 60_000, sampler });
      try {
        expect(shedder.overloaded).to.equal(false);
        sampler.median = 120;
        shedder.closeWindow();
        expect(shedder.overloaded).to.equal(true);
        sampler.median = 10;
        shedder.closeWindow();
        expect(shedder.overloaded).to.equal(false);
        shedder.closeWindow(); // a window without samples is not an overload
        expect(shedder.overloaded).to.equal(false);
      } finally {
        shedder.stop();
      }
    });

    it('starts fresh when the port starts listening: a slow start does not shed the first requests', () => {
      const sampler = fakeSampler();
      const shedder = startLoadShedder({ maxEventLoopDelayMs: 50, windowMs: 60_000, sampler });
      try {
        sampler.median = 500;
        shedder.closeWindow();
        expect(shedder.overloaded).to.equal(true);
        sampler.median = 500;
        shedder.startFresh();
        expect(shedder.overloaded).to.equal(false);
        shedder.closeWindow(); // the blocked start's samples were dropped with the window
        expect(shedder.overloaded).to.equal(false);
      } finally {
        shedder.stop();
      }
    });

    it('can be forced either way regardless of measurements', () => {
      const sampler = fakeSampler();
      const shedder = startLoadShedder({ sampler, windowMs: 60_000 });
      try {
        shedder.force(true);
        expect(shedder.overloaded).to.equal(true);
        sampler.median = 10_000;
        shedder.closeWindow();
        shedder.force(false);
        expect(shedder.overloaded).to.equal(false);
        shedder.force(undefined);
        expect(shedder.overloaded).to.equal(true);
      } finally {
        shedder.stop();
      }
    });

    it('the real sampler sees a loop that is late on every turn', async () => {
      const sampler = eventLoopDelaySampler();
      // Keep the loop busy 40 ms per turn for a while: every 10 ms sample comes ~30+ ms late.
      const busy = setInterval(() => {
        const end = Date.now() + 40;
        while (Date.now() < end) {
          // block the loop
        }
      }, 0);
      try {
        await new Promise((resolve) => setTimeout(resolve, 50));
        sampler.reset();
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(sampler.medianMs() ?? 0).to.be.greaterThan(15);
        expect(sampler.maxMs() ?? 0).to.be.at.least(sampler.medianMs() ?? 0);
      } finally {
        clearInterval(busy);
        sampler.stop();
      }
    });
  });

  describe('redirect metrics', () => {
    it('export the requests shed and the largest event-loop delay of the last second', async () => {
      const registry = new Registry();
      const metrics = createRedirectMetrics(registry, new RoutingViewHolder());
      metrics.shed();
      metrics.shed();
      const end = Date.now() + 120;
      while (Date.now() < end) {
        // block the loop once
      }
      await waitFor('a second with the block in it', 3000, async () => {
        const text = await registry.metrics();
        const lag = /^beamstack_event_loop_lag_max_seconds (\S+)$/m.exec(text)?.[1];
        return lag !== undefined && Number(lag) >= 0.1;
      });
      expect(await registry.metrics()).to.match(/^beamstack_redirects_shed_total 2$/m);
    });
  });
});
