import { expect } from 'chai';
import { formatDuration, OptionsError, parseBenchArgs, parseDuration, parseLoadArgs } from '../../load_testing/options.js';

describe('load_testing options', () => {
  describe('parseDuration', () => {
    it('reads k6-style durations', () => {
      expect(parseDuration('40s')).to.equal(40_000);
      expect(parseDuration('20m40s')).to.equal(1_240_000);
      expect(parseDuration('1h30m')).to.equal(5_400_000);
      expect(parseDuration('1h0m5s')).to.equal(3_605_000);
      expect(parseDuration('500ms')).to.equal(500);
      expect(parseDuration('1.5s')).to.equal(1_500);
      expect(parseDuration('300')).to.equal(300_000);
    });

    it('refuses anything else with a clear error', () => {
      for (const bad of ['', 'abc', '10x', '40s20m', '10s10s', '0s', '-5s', '5 s', 's', '0', '1h 5m']) {
        expect(() => parseDuration(bad), bad).to.throw(OptionsError, /duration/);
      }
    });

    it('formats durations back', () => {
      expect(formatDuration(1_240_000)).to.equal('20m40s');
      expect(formatDuration(40_000)).to.equal('40s');
      expect(formatDuration(3_605_000)).to.equal('1h0m5s');
      expect(formatDuration(250)).to.equal('250ms');
    });
  });

  describe('parseLoadArgs', () => {
    it("takes the seed's options", () => {
      const options = parseLoadArgs(['live', '--vus', '300', '--rps', '200', '--duration', '20m40s']);
      expect(options).to.include({ scenario: 'live', vus: 300, rps: 200, durationMs: 1_240_000, fixture: true });
      expect(options.target).to.equal('http://127.0.0.1:4001');
      expect(options.admin).to.equal('http://127.0.0.1:4000');
    });

    it('accepts --name=value, --no-fixture, --html, --json and --target', () => {
      const options = parseLoadArgs([
        'requests',
        '--vus=5',
        '--no-fixture',
        '--html',
        'out.html',
        '--json=out.json',
        '--target',
        'http://10.0.0.1:8080/',
      ]);
      expect(options).to.include({
        scenario: 'requests',
        vus: 5,
        fixture: false,
        html: 'out.html',
        json: 'out.json',
        target: 'http://10.0.0.1:8080',
      });
      expect(options.rps).to.equal(undefined);
    });

    it('defaults chat to the app port and never uploads a fixture for it', () => {
      const options = parseLoadArgs(['chat', '--admin', 'http://127.0.0.1:5000']);
      expect(options).to.include({ scenario: 'chat', target: 'http://127.0.0.1:5000', fixture: false, rooms: 20 });
      expect(parseLoadArgs(['chat', '--target', 'ws://127.0.0.1:4000']).target).to.equal('ws://127.0.0.1:4000');
      expect(parseLoadArgs(['chat', '--target', 'http://127.0.0.1:4000,http://127.0.0.1:4002']).targets).to.deep.equal([
        'http://127.0.0.1:4000',
        'http://127.0.0.1:4002',
      ]);
    });

    it('explains bad input', () => {
      const cases: Array<[string[], RegExp]> = [
        [[], /scenario is required/],
        [['video'], /unknown scenario "video"/],
        [['live', 'vod'], /one scenario at a time/],
        [['live', '--users', '3'], /unknown option --users; known options: --vus/],
        [['live', '--vus'], /--vus needs a value/],
        [['live', '--vus', '--rps', '5'], /--vus needs a value/],
        [['live', '--vus', 'many'], /--vus must be a whole number, got "many"/],
        [['live', '--vus', '0'], /--vus must be between 1 and/],
        [['live', '--rps', '2.5'], /--rps must be a whole number/],
        [['live', '--duration', '20x'], /--duration must look like 40s, 20m40s/],
        [['live', '--target', 'localhost:4001'], /--target must use http or https/],
        [['live', '--target', 'not a url'], /--target must be a URL/],
        [['live', '--target', 'ws://127.0.0.1:4001'], /--target must use http or https/],
        [['live', '--no-fixture=yes'], /--no-fixture takes no value/],
        [['live', '--vus', '1', '--vus', '2'], /--vus given twice/],
        [['live', '--target', 'http://a:1,http://b:2'], /--target takes one URL for HTTP scenarios/],
        [['chat', '--target', 'http://a:1,ftp://b'], /--target must use http or https or ws or wss/],
      ];
      for (const [argv, message] of cases) {
        expect(() => parseLoadArgs(argv), argv.join(' ')).to.throw(OptionsError, message);
      }
    });
  });

  describe('parseBenchArgs', () => {
    it('selects benchmarks in suite order, case-insensitively', () => {
      expect(parseBenchArgs(['b4', 'B1', '--quick'])).to.deep.equal({ benchmarks: ['B1', 'B4'], quick: true, outDir: 'test-output/bench' });
      expect(parseBenchArgs([]).benchmarks).to.deep.equal(['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9']);
      expect(parseBenchArgs(['--out', '/tmp/x']).outDir).to.equal('/tmp/x');
      expect(parseBenchArgs(['B6', '--b6-records', '1000000']).b6Records).to.equal(1_000_000);
      expect(() => parseBenchArgs(['--b6-records', 'lots'])).to.throw(OptionsError, /--b6-records must be a whole number/);
    });

    it('refuses unknown benchmarks and options', () => {
      expect(() => parseBenchArgs(['B10'])).to.throw(OptionsError, /unknown benchmark "B10"/);
      expect(() => parseBenchArgs(['--fast'])).to.throw(OptionsError, /unknown option --fast/);
    });
  });
});
