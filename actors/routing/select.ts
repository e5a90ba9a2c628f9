// Choosing one edge among candidates: weighted random (probability ∝ weight) or weighted
// rendezvous hashing (the same resource keeps the same edge while that edge is eligible; when
// it drops out only its resources move). Fast non-crypto hashing: FNV-1a + murmur3 finalizer.

/** A source of uniform numbers in [0, 1); injectable for tests. */
export type RandomSource = () => number;

export interface WeightedCandidate {
  readonly weight: number;
  /** serverHash(id), precomputed when the view is built. */
  readonly hash: number;
}

/** 32-bit FNV-1a over UTF-16 code units. */
export function fnv1a32(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's fmix32: full avalanche of a 32-bit value. */
export function mix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function serverHash(id: string): number {
  return mix32(fnv1a32(id));
}

export function resourceHash(resource: string): number {
  return mix32(fnv1a32(resource));
}

/** Running sums of the weights (the last one is the total). */
export function cumulativeWeights(items: ReadonlyArray<{ readonly weight: number }>): Float64Array {
  const out = new Float64Array(items.length);
  let sum = 0;
  for (let i = 0; i < items.length; i++) {
    sum += Math.max(0, items[i]!.weight);
    out[i] = sum;
  }
  return out;
}

/** Weighted random choice; `cumulative` from cumulativeWeights(items). Items must not be empty. */
export function pickWeighted<T>(items: readonly T[], cumulative: Float64Array, random: RandomSource): T {
  const n = items.length;
  if (n === 1) return items[0]!;
  const total = cumulative[n - 1]!;
  const r = random() * total;
  // First index whose running sum exceeds r (binary search; n is small but may be hundreds).
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > r) hi = mid;
    else lo = mid + 1;
  }
  return items[lo]!;
}

/** The score of one candidate for one resource: -weight / ln(u), u uniform in (0, 1). */
export function rendezvousScore(keyHash: number, candidate: WeightedCandidate): number {
  const u = (mix32((keyHash ^ candidate.hash) + Math.imul(keyHash, 0x9e3779b1)) + 0.5) / 4294967296;
  return -candidate.weight / Math.log(u);
}

/** Weighted rendezvous hashing: the candidate with the highest score for this key. Not empty. */
export function pickRendezvous<T extends WeightedCandidate>(items: readonly T[], keyHash: number): T {
  let best = items[0]!;
  let bestScore = rendezvousScore(keyHash, best);
  for (let i = 1; i < items.length; i++) {
    const score = rendezvousScore(keyHash, items[i]!);
    if (score > bestScore) {
      best = items[i]!;
      bestScore = score;
    }
  }
  return best;
}

/** A small deterministic PRNG (mulberry32) for tests, fixtures and explain. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
