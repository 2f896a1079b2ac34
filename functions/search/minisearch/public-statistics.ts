/**
 * What BM25+ needs to know of the collection, counted over PUBLIC documents only, and each live
 * document's field lengths, by MiniSearch's short id.
 *
 * Why public only (fresh-eyes review of #13, finding 14): a score is returned to every caller,
 * and BM25's collection statistics (document count, a term's document frequency, a field's
 * average length) over the whole index let anyone read from their own model's score whether, and
 * roughly how many, hidden models hold a word. Public documents are the same for every viewer, so
 * nothing a viewer cannot see moves any score or any order. Private documents are still indexed
 * and scored (their owners and grantees find them) with the same public statistics.
 *
 * This is where the engine departs from MiniSearch's own scoring, which counts every document; on
 * a corpus that is all public the two agree (test/unit/search/minisearch-ranking.test.ts).
 */
export class PublicStatistics {
  /** Field lengths (MiniSearch's: unique words of the field), flat by `shortId × fieldCount + fieldId`; −1 for a short id not live. */
  private lengthsBuffer = new Int32Array(0);
  /** 1 for a live public document, by short id. */
  private publicBuffer = new Uint8Array(0);
  private readonly publicLengthSums: number[];
  private publicDocuments = 0;

  constructor(readonly fieldCount: number) {
    this.publicLengthSums = new Array<number>(fieldCount).fill(0);
  }

  get lengths(): Int32Array {
    return this.lengthsBuffer;
  }

  /** 1 where the short id is a live public document: read by the scorer for each posting. */
  get publicFlags(): Uint8Array {
    return this.publicBuffer;
  }

  /** Live public documents: BM25's N. */
  get publicCount(): number {
    return this.publicDocuments;
  }

  /** N, then each field's public length total: all that BM25+ reads of the collection besides document frequencies (two equal totals, equal scores). */
  totals(): number[] {
    return [this.publicDocuments, ...this.publicLengthSums];
  }

  /**
   * The average length of a field over public documents; 1 when no public document has words in
   * it, so that a field held only by private documents still scores finitely (and never
   * depends on them).
   */
  averageLength(fieldId: number): number {
    const sum = this.publicLengthSums[fieldId] as number;
    return this.publicDocuments > 0 && sum > 0 ? sum / this.publicDocuments : 1;
  }

  /** Records a short id as live, with its field lengths (absent ones 0) and whether it is public. */
  track(shortId: number, fieldLengths: readonly (number | undefined)[] | undefined, isPublic: boolean): void {
    this.untrack(shortId);
    this.reserve(shortId + 1);
    const base = shortId * this.fieldCount;
    for (let field = 0; field < this.fieldCount; field += 1) {
      const length = fieldLengths?.[field] ?? 0;
      this.lengthsBuffer[base + field] = length;
      if (isPublic) this.publicLengthSums[field] = (this.publicLengthSums[field] as number) + length;
    }
    if (isPublic) {
      this.publicBuffer[shortId] = 1;
      this.publicDocuments += 1;
    }
  }

  /** Forgets a short id (a document removed or replaced); nothing when it is not live. */
  untrack(shortId: number): void {
    if (shortId >= this.publicBuffer.length) return;
    const base = shortId * this.fieldCount;
    if (this.publicBuffer[shortId] === 1) {
      for (let field = 0; field < this.fieldCount; field += 1) this.publicLengthSums[field] = (this.publicLengthSums[field] as number) - (this.lengthsBuffer[base + field] as number);
      this.publicBuffer[shortId] = 0;
      this.publicDocuments -= 1;
    }
    for (let field = 0; field < this.fieldCount; field += 1) this.lengthsBuffer[base + field] = -1;
  }

  private reserve(ids: number): void {
    if (ids <= this.publicBuffer.length) return;
    const capacity = Math.max(ids, Math.ceil(this.publicBuffer.length * 1.5), 1024);
    const lengths = new Int32Array(capacity * this.fieldCount).fill(-1);
    lengths.set(this.lengthsBuffer);
    const flags = new Uint8Array(capacity);
    flags.set(this.publicBuffer);
    this.lengthsBuffer = lengths;
    this.publicBuffer = flags;
  }
}
