/**
 * One field's postings of one term (short id → term frequency), with the Map interface MiniSearch
 * reads and writes them through, but held as pairs `[id, frequency, id, frequency, …]` in an
 * Int32Array, in ascending short id order (MiniSearch gives every added document a short id above
 * all others, so its own Maps iterate in that order too, and a snapshot stores them so).
 *
 * Why not a Map: at 100k models a snapshot holds some 5 million postings, and building them as
 * Map entries was most of a load's time and heap; the scorer reads the pairs in place (`pairs`,
 * ScoringCache.compact). A write then edits the pairs in place too (a lookup is a binary search,
 * an insertion or a deletion shifts the pairs after it) instead of turning a common word's 89k
 * postings into a Map that the scorer had to copy back into an array after every write.
 *
 * Until its first write a posting reads the snapshot's own array; it copies its pairs out then.
 *
 * Not a Map subclass: MiniSearch only calls these methods, and a Map's own hash table, empty but
 * allocated for each of some 300k postings, was a tenth of a load's time in the collector. It
 * enters MiniSearch's index typed as a Map (`asMap`).
 */
export class PairPostings {
  private source: Int32Array;
  private from: number;
  private count: number;
  /** Whether `source` is this posting's own array (else a snapshot's, shared and never written). */
  private owned = false;
  /**
   * How many of the ids are public documents, once the scorer has counted them
   * (ScoringCache.compact); the engine moves it on each write (ScoringCache.recount), so that a
   * write does not make the next search count a common word's 89k postings again.
   */
  publicCount: number | undefined;

  constructor(source: Int32Array, from: number, count: number) {
    this.source = source;
    this.from = from;
    this.count = count;
  }

  /** The pairs: `count` of them from index `from` of `source`; valid until the next write. */
  pairs(): { readonly source: Int32Array; readonly from: number; readonly count: number } {
    return { source: this.source, from: this.from, count: this.count };
  }

  /** The pair index of `key`, or where it would be inserted (as the bitwise complement, negative). */
  private find(key: number): number {
    const { source, from } = this;
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const id = source[from + 2 * middle] as number;
      if (id < key) low = middle + 1;
      else if (id > key) high = middle - 1;
      else return middle;
    }
    return ~low;
  }

  /** Makes `source` this posting's own, with room for `room` more pairs, before a write. */
  private own(room: number): void {
    if (this.owned && this.from + 2 * (this.count + room) <= this.source.length) return;
    const copy = new Int32Array(2 * Math.max(this.count + room, Math.ceil(this.count * 1.25), 4));
    copy.set(this.source.subarray(this.from, this.from + 2 * this.count));
    this.source = copy;
    this.from = 0;
    this.owned = true;
  }

  get(key: number): number | undefined {
    const at = this.find(key);
    return at < 0 ? undefined : this.source[this.from + 2 * at + 1];
  }

  has(key: number): boolean {
    return this.find(key) >= 0;
  }

  set(key: number, value: number): this {
    let at = this.find(key);
    if (at < 0) {
      at = ~at;
      this.own(1);
      const start = this.from + 2 * at;
      this.source.copyWithin(start + 2, start, this.from + 2 * this.count);
      this.source[start] = key;
      this.count += 1;
    } else this.own(0);
    this.source[this.from + 2 * at + 1] = value;
    return this;
  }

  delete(key: number): boolean {
    const at = this.find(key);
    if (at < 0) return false;
    this.own(0);
    const start = this.from + 2 * at;
    this.source.copyWithin(start, start + 2, this.from + 2 * this.count);
    this.count -= 1;
    return true;
  }

  clear(): void {
    this.publicCount = undefined;
    this.count = 0;
  }

  forEach(callback: (value: number, key: number, map: PairPostings) => void, thisArg?: unknown): void {
    const { source, from, count } = this;
    for (let at = from, end = from + 2 * count; at < end; at += 2) callback.call(thisArg, source[at + 1] as number, source[at] as number, this);
  }

  /** Iteration (MiniSearch's own search, tests) is not on a hot path: it goes through an array of the entries. */
  entries(): ArrayIterator<[number, number]> {
    const entries: [number, number][] = [];
    this.forEach((value, key) => entries.push([key, value]));
    return entries.values();
  }

  keys(): ArrayIterator<number> {
    const keys: number[] = [];
    this.forEach((_, key) => keys.push(key));
    return keys.values();
  }

  values(): ArrayIterator<number> {
    const values: number[] = [];
    this.forEach((value) => values.push(value));
    return values.values();
  }

  [Symbol.iterator](): ArrayIterator<[number, number]> {
    return this.entries();
  }

  get size(): number {
    return this.count;
  }

  /** This posting, as the Map MiniSearch's index holds (it calls only what this class has). */
  asMap(): Map<number, number> {
    return this as unknown as Map<number, number>;
  }
}
