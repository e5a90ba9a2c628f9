// Longest-prefix match over IPv4 and IPv6 CIDRs, built once per routing view; lookups
// allocate nothing. IPv4: one hash map per prefix length present, probed longest first (real
// tables use a handful of lengths, so this beats a 32-level trie walk). IPv6: a binary trie
// in typed arrays (no per-node objects). Every match links to the next less specific one,
// so "all matching subnets, most specific first" is a walk along `next` from mostSpecific().
import { maskBits, wordAt, type Cidr, type IpAddress } from './ip.js';
import { drain, YIELD_EVERY_MASK } from './slices.js';

export interface CidrMatch<T> {
  readonly value: T;
  readonly cidr: Cidr;
  /** The next match for the same address: a same-CIDR duplicate, else the next less specific CIDR. */
  readonly next: CidrMatch<T> | null;
}

interface Match<T> {
  value: T;
  cidr: Cidr;
  next: Match<T> | null;
}

function bitAt(addr: IpAddress, depth: number): number {
  return (wordAt(addr, depth >>> 5) >>> (31 - (depth & 31))) & 1;
}

/** Same-CIDR items in order, then `inherited`; returns the head. */
function chain<T>(list: Match<T>[], inherited: Match<T> | null): Match<T> {
  for (let i = 0; i < list.length; i++) list[i]!.next = list[i + 1] ?? inherited;
  return list[0]!;
}

/** IPv4: prefix length → (network → head of that CIDR's matches). */
class PrefixMaps<T> {
  private readonly byLength = new Map<number, Map<number, Match<T>[]>>();
  private lengths: number[] = [];
  private masks: number[] = [];
  private maps: Array<Map<number, Match<T>>> = [];

  insert(cidr: Cidr, value: T): void {
    let map = this.byLength.get(cidr.prefix);
    if (!map) {
      map = new Map();
      this.byLength.set(cidr.prefix, map);
    }
    const key = cidr.network.w3;
    const match: Match<T> = { value, cidr, next: null };
    const list = map.get(key);
    if (list) list.push(match);
    else map.set(key, [match]);
  }

  seal(): void {
    this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    this.masks = this.lengths.map(maskBits);
    this.maps = this.lengths.map(() => new Map<number, Match<T>>());
    // Shortest first, so every less specific CIDR is already linked when a longer one asks.
    for (let i = this.lengths.length - 1; i >= 0; i--) {
      for (const [key, list] of this.byLength.get(this.lengths[i]!)!) {
        this.maps[i]!.set(key, chain(list, this.probe(key, i + 1)));
      }
    }
    this.byLength.clear();
  }

  /** The most specific match among lengths[from..]. */
  private probe(w: number, from: number): Match<T> | null {
    const lengths = this.lengths.length;
    for (let i = from; i < lengths; i++) {
      const m = this.maps[i]!.get((w & this.masks[i]!) >>> 0);
      if (m !== undefined) return m;
    }
    return null;
  }

  lookup(addr: IpAddress): Match<T> | null {
    return this.probe(addr.w3, 0);
  }

  get count(): number {
    return this.maps.reduce((n, m) => n + m.size, 0);
  }
}

/** IPv6. Node 0 is the root; child index 0 therefore means "no child". */
class BitTrie<T> {
  private zero: Int32Array = new Int32Array(64);
  private one: Int32Array = new Int32Array(64);
  private head: Int32Array = new Int32Array(64).fill(-1);
  private used = 1;
  private readonly pending = new Map<number, Match<T>[]>();
  readonly matches: Match<T>[] = [];

  get nodeCount(): number {
    return this.used;
  }

  private newNode(): number {
    if (this.used === this.zero.length) {
      const size = this.zero.length * 2;
      const grow = (from: Int32Array, fill: number): Int32Array => {
        const to = new Int32Array(size).fill(fill);
        to.set(from);
        return to;
      };
      this.zero = grow(this.zero, 0);
      this.one = grow(this.one, 0);
      this.head = grow(this.head, -1);
    }
    return this.used++;
  }

  insert(cidr: Cidr, value: T): void {
    let node = 0;
    for (let depth = 0; depth < cidr.prefix; depth++) {
      const bit = bitAt(cidr.network, depth);
      let child = (bit === 1 ? this.one : this.zero)[node]!;
      if (child === 0) {
        child = this.newNode();
        // newNode may have replaced the arrays: write through the current one.
        (bit === 1 ? this.one : this.zero)[node] = child;
      }
      node = child;
    }
    const list = this.pending.get(node);
    const match: Match<T> = { value, cidr, next: null };
    if (list) list.push(match);
    else this.pending.set(node, [match]);
  }

  /** Link every node's matches to the nearest less specific ones (depth-first from the root). */
  seal(): void {
    const stack: Array<[number, Match<T> | null]> = [[0, null]];
    while (stack.length > 0) {
      const [node, inherited] = stack.pop()!;
      let best = inherited;
      const list = this.pending.get(node);
      if (list) {
        best = chain(list, inherited);
        this.head[node] = this.matches.length;
        this.matches.push(best);
      }
      if (this.zero[node]! !== 0) stack.push([this.zero[node]!, best]);
      if (this.one[node]! !== 0) stack.push([this.one[node]!, best]);
    }
    this.pending.clear();
  }

  lookup(addr: IpAddress): Match<T> | null {
    const zero = this.zero;
    const one = this.one;
    const head = this.head;
    let best = head[0]!;
    let node = 0;
    outer: for (let word = 0; word < 4; word++) {
      const w = wordAt(addr, word);
      for (let bit = 31; bit >= 0; bit--) {
        node = ((w >>> bit) & 1) === 1 ? one[node]! : zero[node]!;
        if (node === 0) break outer;
        const h = head[node]!;
        if (h >= 0) best = h;
      }
    }
    return best >= 0 ? this.matches[best]! : null;
  }
}

export class CidrIndex<T> {
  private constructor(
    private readonly v4: PrefixMaps<T>,
    private readonly v6: BitTrie<T>,
    /** Number of CIDRs indexed. */
    readonly size: number,
  ) {}

  /** Items with the same CIDR are kept in the given order (put the preferred one first). */
  static build<T>(items: Iterable<{ cidr: Cidr; value: T }>): CidrIndex<T> {
    return drain(CidrIndex.buildSteps(items));
  }

  /** build() as steps that yield every few hundred items (see ./slices.ts). */
  static *buildSteps<T>(items: Iterable<{ cidr: Cidr; value: T }>): Generator<void, CidrIndex<T>> {
    const v4 = new PrefixMaps<T>();
    const v6 = new BitTrie<T>();
    let size = 0;
    for (const item of items) {
      (item.cidr.family === 4 ? v4 : v6).insert(item.cidr, item.value);
      size++;
      if ((size & YIELD_EVERY_MASK) === 0) yield;
    }
    v4.seal();
    yield;
    v6.seal();
    return new CidrIndex(v4, v6, size);
  }

  /** The most specific CIDR containing `addr`; follow `next` for the less specific ones. */
  mostSpecific(addr: IpAddress): CidrMatch<T> | null {
    return (addr.family === 4 ? this.v4 : this.v6).lookup(addr);
  }

  /** Every value whose CIDR contains `addr`, most specific first (allocates; for tools and tests). */
  matches(addr: IpAddress): T[] {
    const out: T[] = [];
    for (let m = this.mostSpecific(addr); m; m = m.next) out.push(m.value);
    return out;
  }

  /** Distinct IPv4 CIDRs and IPv6 trie nodes (memory indicators). */
  get stats(): { v4Networks: number; v6Nodes: number } {
    return { v4Networks: this.v4.count, v6Nodes: this.v6.nodeCount };
  }
}
