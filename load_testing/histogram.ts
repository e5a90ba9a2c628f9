// A latency histogram in the spirit of HdrHistogram: microsecond values, exact below
// 1.024 ms, then 512 buckets per power of two (relative error under 0.2 %), up to ~71 min.
// Fixed memory whatever the run length; mergeable; serialisable for a child process' reply.

const SUB_BUCKETS = 1024;
const HALF = SUB_BUCKETS / 2;
const SUB_BITS = 10; // log2(SUB_BUCKETS)
const MAX_US = 2 ** 32 - 1;
const BUCKETS = SUB_BUCKETS + (32 - SUB_BITS) * HALF;

function indexOf(us: number): number {
  if (us < SUB_BUCKETS) return us;
  const k = 31 - Math.clz32(us); // us in [2^k, 2^(k+1)), k >= 10
  const shift = k - (SUB_BITS - 1);
  return SUB_BUCKETS + (k - SUB_BITS) * HALF + ((us >>> shift) - HALF);
}

/** The highest microsecond value that lands in bucket `index`. */
function upperBoundOf(index: number): number {
  if (index < SUB_BUCKETS) return index;
  const k = Math.floor((index - SUB_BUCKETS) / HALF) + SUB_BITS;
  const shift = k - (SUB_BITS - 1);
  const sub = ((index - SUB_BUCKETS) % HALF) + HALF;
  return (sub + 1) * 2 ** shift - 1;
}

export interface HistogramJson {
  /** [bucket index, count] pairs of the non-empty buckets. */
  buckets: Array<[number, number]>;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
}

export class LatencyHistogram {
  private counts = new Float64Array(BUCKETS);
  private total = 0;
  private sumUs = 0;
  private minUs = Number.POSITIVE_INFINITY;
  private maxUs = 0;

  get count(): number {
    return this.total;
  }

  /** Records one latency in milliseconds (negative values count as 0). */
  record(ms: number, times = 1): void {
    if (!(ms >= 0)) ms = 0;
    const us = Math.min(MAX_US, Math.round(ms * 1000));
    this.counts[indexOf(us)]! += times;
    this.total += times;
    this.sumUs += us * times;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /**
   * Records a latency measured by a client that waits for each answer before sending the next
   * request on a schedule of one per `expectedIntervalMs` (coordinated omission): the requests
   * that schedule would have sent while this one was outstanding are added with the latencies
   * they would have seen (HdrHistogram's recordValueWithExpectedInterval).
   */
  recordCorrected(ms: number, expectedIntervalMs: number): void {
    this.record(ms);
    if (!(expectedIntervalMs > 0) || ms <= expectedIntervalMs) return;
    for (let missing = ms - expectedIntervalMs; missing >= expectedIntervalMs; missing -= expectedIntervalMs) {
      this.record(missing);
    }
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) {
      const c = other.counts[i]!;
      if (c !== 0) this.counts[i]! += c;
    }
    this.total += other.total;
    this.sumUs += other.sumUs;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  /** Latency in ms at percentile p (0..100): the smallest value with at least p % of the samples at or below it. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    if (p >= 100) return this.maxUs / 1000;
    const wanted = Math.max(1, Math.ceil((p / 100) * this.total - 1e-9)); // 99.9 % of 1000 is 999, not 999.0000000000001
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= wanted) return Math.max(this.minUs, Math.min(this.maxUs, upperBoundOf(i))) / 1000;
    }
    return this.maxUs / 1000;
  }

  get maxMs(): number {
    return this.maxUs / 1000;
  }

  get minMs(): number {
    return this.total === 0 ? 0 : this.minUs / 1000;
  }

  get meanMs(): number {
    return this.total === 0 ? 0 : this.sumUs / this.total / 1000;
  }

  toJSON(): HistogramJson {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] !== 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.total, sumUs: this.sumUs, minUs: this.total === 0 ? 0 : this.minUs, maxUs: this.maxUs };
  }

  static fromJSON(json: HistogramJson): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [index, count] of json.buckets) {
      if (!Number.isInteger(index) || index < 0 || index >= BUCKETS) throw new Error(`histogram bucket ${index} out of range`);
      h.counts[index] = count;
    }
    h.total = json.count;
    h.sumUs = json.sumUs;
    h.minUs = json.count === 0 ? Number.POSITIVE_INFINITY : json.minUs;
    h.maxUs = json.maxUs;
    return h;
  }
}
