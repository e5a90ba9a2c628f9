import { expect } from 'chai';
import {
  cumulativeWeights,
  fnv1a32,
  pickRendezvous,
  pickWeighted,
  resourceHash,
  seededRandom,
  serverHash,
} from '../../actors/routing/select.js';

interface Edge {
  id: string;
  weight: number;
  hash: number;
}

function edges(weights: Record<string, number>): Edge[] {
  return Object.entries(weights).map(([id, weight]) => ({ id, weight, hash: serverHash(id) }));
}

function shares(counts: Map<string, number>, total: number): Record<string, number> {
  return Object.fromEntries([...counts].map(([id, n]) => [id, n / total]));
}

describe('routing: edge selection', () => {
  it('FNV-1a matches its reference values', () => {
    expect(fnv1a32('')).to.equal(0x811c9dc5);
    expect(fnv1a32('a')).to.equal(0xe40c292c);
    expect(fnv1a32('foobar')).to.equal(0xbf9cf968);
  });

  it('weighted random: 10 000 draws land within 2 points of the weights', () => {
    const list = edges({ e1: 25, e2: 30, e3: 45 });
    const cumulative = cumulativeWeights(list);
    const random = seededRandom(1);
    const counts = new Map<string, number>();
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      const e = pickWeighted(list, cumulative, random);
      counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
    }
    const got = shares(counts, draws);
    expect(got.e1).to.be.closeTo(0.25, 0.02);
    expect(got.e2).to.be.closeTo(0.3, 0.02);
    expect(got.e3).to.be.closeTo(0.45, 0.02);
  });

  it('weighted random: edge values of the random source stay in range', () => {
    const list = edges({ a: 1, b: 1, c: 98 });
    const cumulative = cumulativeWeights(list);
    expect(pickWeighted(list, cumulative, () => 0).id).to.equal('a');
    expect(pickWeighted(list, cumulative, () => 0.0099).id).to.equal('a');
    expect(pickWeighted(list, cumulative, () => 0.01).id).to.equal('b');
    expect(pickWeighted(list, cumulative, () => 0.999999).id).to.equal('c');
    expect(pickWeighted(list, cumulative, () => 1).id).to.equal('c');
    expect(pickWeighted(list, cumulative, () => Number.NaN).id).to.equal('c');
    expect(pickWeighted([list[0]!], cumulativeWeights([list[0]!]), () => 0.5).id).to.equal('a');
  });

  it('consistent: the same resource always gets the same edge', () => {
    const list = edges({ e1: 25, e2: 30, e3: 45, e4: 10 });
    for (let r = 0; r < 500; r++) {
      const key = resourceHash(`/live/ch_${r}/index.m3u8`);
      const first = pickRendezvous(list, key).id;
      expect(pickRendezvous(list, key).id).to.equal(first);
      expect(pickRendezvous([...list].reverse(), key).id, 'order does not matter').to.equal(first);
    }
  });

  it('consistent: only the resources of an edge that drops out move', () => {
    const list = edges({ e1: 25, e2: 30, e3: 45, e4: 10, e5: 60 });
    const without = list.filter((e) => e.id !== 'e3');
    let moved = 0;
    for (let r = 0; r < 5000; r++) {
      const key = resourceHash(`/vod/asset_${r}`);
      const before = pickRendezvous(list, key).id;
      const after = pickRendezvous(without, key).id;
      if (before !== 'e3') expect(after, `resource ${r}`).to.equal(before);
      else moved++;
    }
    expect(moved).to.be.greaterThan(0);
    // And when it comes back, its resources return to it.
    for (let r = 0; r < 200; r++) {
      const key = resourceHash(`/vod/asset_${r}`);
      expect(pickRendezvous(list, key).id).to.equal(pickRendezvous([...without, list[2]!], key).id);
    }
  });

  it('consistent: resources spread roughly by weight', () => {
    const list = edges({ e1: 10, e2: 20, e3: 30, e4: 40 });
    const counts = new Map<string, number>();
    const total = 20_000;
    for (let r = 0; r < total; r++) {
      const e = pickRendezvous(list, resourceHash(`/btv/resource_${r}`));
      counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
    }
    const got = shares(counts, total);
    expect(got.e1).to.be.closeTo(0.1, 0.02);
    expect(got.e2).to.be.closeTo(0.2, 0.02);
    expect(got.e3).to.be.closeTo(0.3, 0.02);
    expect(got.e4).to.be.closeTo(0.4, 0.02);
  });

  it('seededRandom is deterministic and uniform enough', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    let sum = 0;
    let same = true;
    let inRange = true;
    for (let i = 0; i < 10_000; i++) {
      const x = a();
      same &&= x === b();
      inRange &&= x >= 0 && x < 1;
      sum += x;
    }
    expect(same).to.equal(true);
    expect(inRange).to.equal(true);
    expect(sum / 10_000).to.be.closeTo(0.5, 0.02);
  });
});
