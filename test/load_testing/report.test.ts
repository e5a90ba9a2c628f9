import { expect } from 'chai';
import { LatencyHistogram } from '../../load_testing/histogram.js';
import {
  escapeHtml,
  formatMs,
  formatReport,
  renderHtml,
  spectrumOf,
  summarizeLatency,
  textTable,
  type HttpLoadReport,
} from '../../load_testing/report.js';
import { httpReport, timelineOf } from '../../load_testing/summaries.js';

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

describe('load_testing histogram and reports', () => {
  describe('LatencyHistogram', () => {
    it('gives exact percentiles below a millisecond and 0.2 % above', () => {
      const h = histogramOf(Array.from({ length: 1000 }, (_, i) => (i + 1) / 1000)); // 0.001 .. 1.000 ms
      expect(h.count).to.equal(1000);
      expect(h.percentile(50)).to.equal(0.5);
      expect(h.percentile(90)).to.equal(0.9);
      expect(h.percentile(99)).to.equal(0.99);
      expect(h.percentile(99.9)).to.equal(0.999);
      expect(h.percentile(100)).to.equal(1);
      expect(h.minMs).to.equal(0.001);
      expect(h.meanMs).to.be.closeTo(0.5005, 1e-9);

      const wide = histogramOf(Array.from({ length: 10_000 }, (_, i) => i + 1)); // 1 .. 10 000 ms
      for (const [p, exact] of [
        [50, 5000],
        [90, 9000],
        [99, 9900],
        [99.9, 9990],
      ] as const) {
        expect(wide.percentile(p), `p${p}`).to.be.within(exact, exact * 1.002);
      }
      expect(wide.maxMs).to.equal(10_000);
      expect(wide.percentile(100)).to.equal(10_000);
    });

    it('uses the nearest-rank definition on small samples', () => {
      const h = histogramOf([5, 1, 3, 2, 4]);
      expect(h.percentile(0)).to.equal(1);
      expect(h.percentile(20)).to.equal(1);
      expect(h.percentile(21)).to.be.within(2, 2.004);
      expect(h.percentile(50)).to.be.within(3, 3.006);
      expect(h.percentile(100)).to.equal(5);
    });

    it('is empty-safe and clamps negative values to 0', () => {
      const h = new LatencyHistogram();
      expect(h.percentile(99)).to.equal(0);
      expect(h.meanMs).to.equal(0);
      expect(h.minMs).to.equal(0);
      h.record(-3);
      expect(h.maxMs).to.equal(0);
      expect(h.count).to.equal(1);
    });

    it('corrects coordinated omission with the expected interval', () => {
      const h = new LatencyHistogram();
      h.recordCorrected(100, 10); // one 100 ms stall hides the requests due at 10, 20, ... 90 ms
      expect(h.count).to.equal(10);
      expect(h.percentile(100)).to.equal(100);
      expect(h.percentile(10)).to.be.within(10, 10.02);
      const fast = new LatencyHistogram();
      fast.recordCorrected(5, 10);
      expect(fast.count).to.equal(1);
    });

    it('merges and survives a JSON round trip', () => {
      const a = histogramOf([1, 2, 3]);
      const b = histogramOf([100, 200]);
      a.merge(b);
      expect(a.count).to.equal(5);
      expect(a.maxMs).to.equal(200);
      const copy = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
      expect(summarizeLatency(copy)).to.deep.equal(summarizeLatency(a));
      expect(() => LatencyHistogram.fromJSON({ buckets: [[99_999, 1]], count: 1, sumUs: 0, minUs: 0, maxUs: 0 })).to.throw(/out of range/);
    });
  });

  describe('reports', () => {
    const latency = histogramOf(Array.from({ length: 100 }, (_, i) => i + 1));
    const uncorrected = histogramOf(Array.from({ length: 100 }, (_, i) => (i + 1) / 2));

    function report(): HttpLoadReport {
      return httpReport(
        {
          startedAt: '2026-01-01T00:00:00.000Z',
          durationS: 10,
          connections: 50,
          responses: 1000,
          statusCounts: { 302: 900, 404: 100 },
          errors: { ECONNRESET: 2 },
          errorTotal: 2,
          timeouts: 0,
          latency: latency.toJSON(),
          uncorrected: uncorrected.toJSON(),
          expectedIntervalMs: 25,
          timeline: [
            { count: 600, errors: 0, sumMs: 600, maxMs: 4 },
            { count: 400, errors: 2, sumMs: 800, maxMs: 9 },
          ],
        },
        { scenario: 'live', target: 'http://127.0.0.1:4001', requestedRps: 2000 },
      );
    }

    it('summarises a fixed-rate run and flags a missed rate', () => {
      const r = report();
      expect(r.achievedRps).to.equal(100);
      expect(r.latency.p50).to.be.within(50, 50.1);
      expect(r.latency.p99).to.be.within(99, 99.2);
      expect(r.latency.maxMs).to.equal(100);
      expect(r.uncorrected!.p50).to.be.within(25, 25.1);
      expect(r.notes.join(' '))
        .to.match(/coordinated omission/)
        .and.match(/2,000 req\/s was not reached/);
      expect(r.timeline).to.deep.equal([
        { second: 0, count: 600, errors: 0, meanMs: 1, maxMs: 4 },
        { second: 1, count: 400, errors: 2, meanMs: 2, maxMs: 9 },
      ]);
    });

    it('prints a table with rate, percentiles, statuses and errors', () => {
      const text = formatReport(report());
      expect(text).to.include('fixed rate 2,000 req/s');
      expect(text).to.include('achieved 100 req/s');
      expect(text).to.include('302: 900, 404: 100');
      expect(text).to.include('errors: 2 (timeouts 0) ECONNRESET: 2');
      expect(text).to.match(/latency \(ms\)\s+p50\s+p90\s+p99\s+p99\.9\s+max\s+mean/);
      // Above 1 ms a percentile is the top of its 0.2 % bucket (HdrHistogram reports it the same way).
      expect(text).to.match(/response\s+50\.0\s+90\.1\s+99\.1\s+100\s+100\s+50\.5/);
      expect(text).to.match(/as measured/);
    });

    it('renders a self-contained HTML page with SVG charts, escaping text', () => {
      const r = report();
      r.notes.push('<script>alert(1)</script>');
      const html = renderHtml(r, 'machine & co');
      expect(html).to.match(/^<!doctype html>/);
      expect(html).to.include('<svg');
      expect(html).to.include('Latency by percentile');
      expect(html).to.include('Responses per second');
      expect(html).to.include('machine &amp; co');
      expect(html).to.not.include('<script>');
      expect(html).to.not.match(/(src|href)="http/);
    });

    it('spectrum, table and number helpers', () => {
      const spectrum = spectrumOf(latency);
      expect(spectrum[0]).to.deep.equal({ percentile: 0, ms: 1 });
      expect(spectrum[spectrum.length - 1]).to.deep.equal({ percentile: 100, ms: 100 });
      expect(spectrumOf(new LatencyHistogram())).to.deep.equal([]);
      expect(
        textTable([
          ['a', 'bb'],
          ['ccc', 'd'],
        ]),
      ).to.equal('a    bb\n---  --\nccc   d');
      expect([formatMs(0), formatMs(0.4123), formatMs(4.123), formatMs(41.23), formatMs(412.3)]).to.deep.equal([
        '0',
        '0.412',
        '4.12',
        '41.2',
        '412',
      ]);
      expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
      expect(timelineOf([{ count: 0, errors: 1, sumMs: 0, maxMs: 0 }])).to.deep.equal([
        { second: 0, count: 0, errors: 1, meanMs: 0, maxMs: 0 },
      ]);
    });
  });
});
