/** One side of a write: a document as indexed, before the write (removed) or after it (added). */
export interface WrittenDocument {
  readonly shortId: number;
  readonly isPublic: boolean;
  /** Its index terms per field id. */
  readonly terms: readonly (readonly string[])[];
}

/**
 * What one write (an upsert or a removal) changed that cached term scores depend on
 * (ScoringCache.afterWrite): what BM25+ reads of the collection, and which documents.
 */
export interface IndexWrite {
  /** Whether N or a field's public length total moved: every score depends on them. */
  readonly statisticsMoved: boolean;
  /** Index terms whose public document count moved in some field: their IDF moved. */
  readonly recounted: ReadonlySet<string>;
  /** Every index term of the document before the write and after: what reaches either short id. */
  readonly touched: ReadonlySet<string>;
  readonly removed?: WrittenDocument;
  readonly added?: WrittenDocument;
}

/**
 * The IndexWrite of replacing `removed` by `added` (either absent). A field's postings of a term
 * count one public document more or less only when the term is in that field on one side of the
 * write as a public document and not on the other: a model rewritten with the same words and
 * visibility (a download count, a new version) recounts nothing.
 */
export function describeWrite(removed: WrittenDocument | undefined, added: WrittenDocument | undefined, statisticsMoved: boolean): IndexWrite {
  const publicTerms = (side: WrittenDocument | undefined, fieldId: number): ReadonlySet<string> => new Set(side?.isPublic ? side.terms[fieldId] : []);
  const recounted = new Set<string>();
  const touched = new Set<string>();
  const fieldCount = Math.max(removed?.terms.length ?? 0, added?.terms.length ?? 0);
  for (let fieldId = 0; fieldId < fieldCount; fieldId += 1) {
    const before = publicTerms(removed, fieldId);
    const after = publicTerms(added, fieldId);
    for (const term of before) if (!after.has(term)) recounted.add(term);
    for (const term of after) if (!before.has(term)) recounted.add(term);
    for (const term of removed?.terms[fieldId] ?? []) touched.add(term);
    for (const term of added?.terms[fieldId] ?? []) touched.add(term);
  }
  return { statisticsMoved, recounted, touched, ...(removed ? { removed } : {}), ...(added ? { added } : {}) };
}
