import { expect } from 'chai';
import { decide } from '../../actors/routing/decide.js';
import { explain } from '../../actors/routing/explain.js';
import { parseIp } from '../../actors/routing/ip.js';
import { parseRequestPath } from '../../actors/routing/request-path.js';
import { seededRandom } from '../../actors/routing/select.js';
import { baseModel, TRUSTED, viewOf } from './helpers.js';

const PIECES = [
  '/',
  '//',
  '/btv',
  '/btv/',
  'live',
  'catchup',
  '/live/',
  '/catchup/',
  'hls',
  'mpd',
  '_wv',
  '_pr',
  '_cenc',
  'ch1',
  'p1',
  '.m3u8',
  '.',
  '..',
  '%',
  '%2e',
  '%zz',
  '?',
  '#',
  '&',
  '=',
  ' ',
  '\t',
  '\r\n',
  '\u0000',
  'é',
  '😀',
  '\\',
  '"',
  '/vod/',
  '/static/',
  'a',
  'Z',
  '_',
  '-',
  '~',
  ':',
  '@',
  '!',
  '*',
  '0',
  '9',
  '\uffff',
  '\ud800',
];
const IP_PIECES = ['1', '12', '123', '255', '256', '.', ':', '::', 'ffff', 'g', ' ', '%', 'eth0', '1.2.3.4', '::ffff:', '/', '-', ',', ''];

const VALID = ['/btv/live/hls_wv/ch1.m3u8', '/btv/catchup/mpd/p1', '/vod/a/b/c', '/static/x/y'];

function randomText(random: () => number, pieces: readonly string[], max: number): string {
  const n = Math.floor(random() * max);
  let out = '';
  for (let i = 0; i < n; i++) out += pieces[Math.floor(random() * pieces.length)]!;
  return out;
}

describe('routing: fuzz (parse + decide never throw)', () => {
  const view = viewOf(baseModel());

  it('thousands of random paths, headers and peers give 302/400/404 only', () => {
    const random = seededRandom(2024);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const path =
        random() < 0.3
          ? VALID[Math.floor(random() * VALID.length)]! + (random() < 0.5 ? randomText(random, PIECES, 3) : '')
          : (random() < 0.7 ? '/' : '') + randomText(random, PIECES, 12);
      const peer = random() < 0.5 ? '127.0.0.1' : randomText(random, IP_PIECES, 8);
      const roll = random();
      const header =
        roll < 0.3
          ? undefined
          : roll < 0.5
            ? '123.123.123.' + Math.floor(random() * 300)
            : roll < 0.6
              ? ['1.1.1.1', randomText(random, IP_PIECES, 5)]
              : randomText(random, IP_PIECES, 8);
      const decision = decide(
        view,
        { path, peerIp: peer, realIpHeader: header, method: random() < 0.9 ? 'GET' : 'PATCH' },
        { trustedProxies: TRUSTED, random },
      );
      statuses.set(decision.status, (statuses.get(decision.status) ?? 0) + 1);
      if (decision.status === 302 && !/^https?:\/\/[a-z0-9.-]+(:\d+)?\/[\x21-\x7e]*$/.test(decision.location)) {
        throw new Error(`unsafe Location for ${JSON.stringify(path)}: ${decision.location}`);
      }
    }
    expect([...statuses.keys()].sort()).to.deep.equal([302, 400, 404]);
  });

  it('random mutations of valid paths never throw in parse or explain', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 5000; i++) {
      const chars = [...VALID[i % VALID.length]!];
      const edits = 1 + Math.floor(random() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(random() * (chars.length + 1));
        const op = random();
        if (op < 0.4) chars.splice(at, 1);
        else if (op < 0.8) chars.splice(at, 0, PIECES[Math.floor(random() * PIECES.length)]!);
        else chars.splice(at, 1, String.fromCharCode(Math.floor(random() * 0x3000)));
      }
      const path = chars.join('');
      parseRequestPath(path);
      if (i % 10 === 0) explain(view, '123.123.123.123', path);
    }
  });

  it('random IP text never throws and round-trips when valid', () => {
    const random = seededRandom(99);
    for (let i = 0; i < 20_000; i++) {
      const text = randomText(random, IP_PIECES, 10);
      const ip = parseIp(text);
      if (ip) expect(ip.family === 4 || ip.family === 6).to.equal(true);
    }
  });
});
