/**
 * One field's postings of one term (short id → term frequency), as MiniSearch keeps them (a Map),
 * but read from a snapshot's flat Int32Array `[id, frequency, id, frequency, …]` and turned into
 * Map entries only when MiniSearch first changes or reads them as a Map (a write of a document
 * holding the term). At 100k models a snapshot holds some 5 million postings: building them all
 * as Maps was most of a load's time and heap. The scorer copies the pairs straight from the array
 * (`encoded`, ScoringCache.compact) and never decodes them.
 */
export class LazyPostings extends Map<number, number> {
  private source: Int32Array | undefined;
  /** What the scorer derived from the encoded pairs (ScoringCache.compact), until they change. */
  scorerCopy: unknown;
  private readonly from: number;
  private readonly count: number;

  constructor(source: Int32Array, from: number, count: number) {
    super();
    this.source = source;
    this.from = from;
    this.count = count;
  }

  /** The pairs still in the snapshot's array (`count` pairs from `from`), or undefined once decoded into the Map. */
  encoded(): { readonly source: Int32Array; readonly from: number; readonly count: number } | undefined {
    return this.source && { source: this.source, from: this.from, count: this.count };
  }

  private decode(): void {
    const source = this.source;
    if (source === undefined) return;
    this.source = undefined;
    this.scorerCopy = undefined;
    for (let at = this.from, end = this.from + 2 * this.count; at < end; at += 2) super.set(source[at] as number, source[at + 1] as number);
  }

  override get(key: number): number | undefined {
    this.decode();
    return super.get(key);
  }

  override set(key: number, value: number): this {
    this.decode();
    return super.set(key, value);
  }

  override has(key: number): boolean {
    this.decode();
    return super.has(key);
  }

  override delete(key: number): boolean {
    this.decode();
    return super.delete(key);
  }

  override clear(): void {
    this.source = undefined;
    this.scorerCopy = undefined;
    super.clear();
  }

  override forEach(callback: (value: number, key: number, map: Map<number, number>) => void, thisArg?: unknown): void {
    this.decode();
    super.forEach(callback, thisArg);
  }

  override entries(): MapIterator<[number, number]> {
    this.decode();
    return super.entries();
  }

  override keys(): MapIterator<number> {
    this.decode();
    return super.keys();
  }

  override values(): MapIterator<number> {
    this.decode();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[number, number]> {
    this.decode();
    return super[Symbol.iterator]();
  }
}

// Map's `size` is an accessor on its prototype; redefined here (TypeScript will not override a
// declared property with an accessor) so that an undecoded posting answers without decoding.
Object.defineProperty(LazyPostings.prototype, 'size', {
  get(this: LazyPostings): number {
    return this.encoded()?.count ?? (Reflect.get(Map.prototype, 'size', this) as number);
  },
});
