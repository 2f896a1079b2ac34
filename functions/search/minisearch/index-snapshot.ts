import MiniSearch, { type Options } from 'minisearch';
import type { SearchDocument } from '../search-engine';
import { FacetDictionary } from './facet-counts';
import { PairPostings } from './pair-postings';
import { internalsOf } from './term-scorer';

/** The format tag and version of a snapshot; a snapshot of another version is refused, and the caller rebuilds from the table. */
export const SNAPSHOT_FORMAT = 'mlhub-search-minisearch';
/**
 * 5: terms cut at MAX_TERM_LENGTH (text-analysis.ts), so a longer word of an older snapshot would
 * be a term no query reaches. 4: terms folded (text-analysis.ts: NFKD, Latin diacritics removed). 3: with the facet
 * dictionary and each document's facet value ids (recording them again was a tenth of a load),
 * postings ascending by short id. 2: postings as a flat Int32Array. 1: MiniSearch's toJSON beside
 * the documents, 5 s to load at 100k models.
 */
export const SNAPSHOT_VERSION = 5;

/** A snapshot that cannot be loaded: not this format, another version, or damaged. The message says which. */
export class SearchSnapshotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SearchSnapshotError';
  }
}

/**
 * A snapshot: a header, UTF-8 JSON on one line (JSON.stringify writes no raw newline), padded with
 * spaces so that the binary part after its newline starts 4-aligned, then three little-endian
 * Int32Arrays back to back:
 *
 *   { format, version, nextId, postingsLength, facetIdsLength,
 *     documents:   SearchDocument[], in short id order,
 *     terms:       string[], every index term,
 *     facetValues: string[], every facet value by id, and facetOf: number[], each one's facet (facet-counts.ts) }
 *   shortIds:     one per document, its MiniSearch short id
 *   fieldLengths: fieldCount per document (MiniSearch's _fieldLength)
 *   facetCounts:  one per document, how many facet value ids it has
 *   facetIds:     facetIdsLength integers: each document's facet value ids, back to back
 *   postings:     postingsLength integers: per term, its field count, then per field: fieldId, n, n × (shortId, frequency),
 *                 ascending by short id (as MiniSearch's Maps iterate, and as pair-postings.ts searches them)
 *
 * Integers in typed arrays rather than MiniSearch's toJSON (objects keyed by numbers, which
 * JSON.parse and loadJS then turn into 5 million Map entries): loading reads the arrays in place
 * and keeps the postings as pairs in it (pair-postings.ts) until a write changes them. A version 1
 * snapshot (JSON only, no newline) is read as a header alone, to be refused by its version.
 */
interface SnapshotHeader {
  format?: unknown;
  version?: unknown;
  nextId?: unknown;
  postingsLength?: unknown;
  facetIdsLength?: unknown;
  facetValues?: unknown;
  facetOf?: unknown;
  documents?: unknown;
  terms?: unknown;
}

/** A growable Int32Array, written once front to back. */
class IntWriter {
  private buffer = new Int32Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Int32Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length] = value;
    this.length += 1;
  }

  pushAll(values: Int32Array): void {
    for (let at = 0; at < values.length; at += 1) this.push(values[at] as number);
  }

  bytes(): Buffer {
    return Buffer.from(this.buffer.buffer, 0, this.length * 4);
  }
}

/** The bytes of a snapshot of `index`; `documentOf` gives the document held under each live short id, `facets` their facet values. */
export function encodeSnapshot(index: MiniSearch<SearchDocument>, fieldCount: number, documentOf: (shortId: number) => SearchDocument, facets: FacetDictionary): Buffer {
  const internals = internalsOf(index);
  const documents: SearchDocument[] = [];
  const shortIds = new IntWriter();
  const fieldLengths = new IntWriter();
  const facetCounts = new IntWriter();
  const facetIds = new IntWriter();
  for (const [shortId] of internals._documentIds) {
    documents.push(documentOf(shortId));
    shortIds.push(shortId);
    const ids = facets.idsOf(shortId);
    facetCounts.push(ids.length);
    for (const id of ids) facetIds.push(id);
    const lengths = internals._fieldLength.get(shortId);
    for (let field = 0; field < fieldCount; field += 1) fieldLengths.push(lengths?.[field] ?? 0);
  }
  const terms: string[] = [];
  const postings = new IntWriter();
  for (const [term, data] of internals._index as unknown as Iterable<[string, Map<number, Map<number, number>>]>) {
    terms.push(term);
    postings.push(data.size);
    for (const [fieldId, frequencies] of data) {
      postings.push(fieldId);
      postings.push(frequencies.size);
      if (frequencies instanceof PairPostings) {
        const { source, from, count } = frequencies.pairs();
        postings.pushAll(source.subarray(from, from + 2 * count));
      } else {
        frequencies.forEach((frequency, shortId) => {
          postings.push(shortId);
          postings.push(frequency);
        });
      }
    }
  }
  const { values: facetValues, facetOf } = facets.dictionary();
  const header = Buffer.from(JSON.stringify({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, nextId: internals._nextId, postingsLength: postings.length, facetIdsLength: facetIds.length, documents, terms, facetValues, facetOf }), 'utf8');
  const padding = (4 - ((header.length + 1) % 4)) % 4;
  return Buffer.concat([header, Buffer.from(`${' '.repeat(padding)}\n`), shortIds.bytes(), fieldLengths.bytes(), facetCounts.bytes(), facetIds.bytes(), postings.bytes()]);
}

/** `length` Int32s from byte `offset` of `bytes`, in place when 4-aligned (else copied). */
function int32s(bytes: Uint8Array, offset: number, length: number): Int32Array {
  const start = bytes.byteOffset + offset;
  if (start % 4 === 0) return new Int32Array(bytes.buffer, start, length);
  const copy = new Uint8Array(4 * length);
  copy.set(bytes.subarray(offset, offset + 4 * length));
  return new Int32Array(copy.buffer);
}

/**
 * The MiniSearch index, documents and facet values a snapshot holds, with the index's internals
 * filled as MiniSearch's own add would have left them (options must be those it was built with).
 *
 * @throws SearchSnapshotError when the bytes are not such a snapshot, of SNAPSHOT_VERSION, whole
 */
export function decodeSnapshot(bytes: Uint8Array, options: Options<SearchDocument>, fieldCount: number, isDocument: (value: unknown) => value is SearchDocument): { index: MiniSearch<SearchDocument>; documents: SearchDocument[]; facets: FacetDictionary } {
  const newline = bytes.indexOf(0x0a);
  const headerEnd = newline === -1 ? bytes.length : newline;
  let snapshot: SnapshotHeader;
  try {
    snapshot = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, headerEnd).toString('utf8')) as SnapshotHeader;
  } catch (error) {
    throw new SearchSnapshotError('The search snapshot is not JSON: it is damaged or not a search snapshot', { cause: error });
  }
  if (snapshot === null || typeof snapshot !== 'object' || snapshot.format !== SNAPSHOT_FORMAT) throw new SearchSnapshotError(`The search snapshot is not in the ${SNAPSHOT_FORMAT} format`);
  if (snapshot.version !== SNAPSHOT_VERSION) throw new SearchSnapshotError(`The search snapshot is version ${String(snapshot.version)}; this engine reads version ${SNAPSHOT_VERSION} only: rebuild it`);
  const { documents, nextId, terms, postingsLength, facetIdsLength, facetValues, facetOf } = snapshot;
  if (!Array.isArray(documents) || !documents.every(isDocument)) throw new SearchSnapshotError('The search snapshot\'s documents are missing or malformed');
  if (typeof nextId !== 'number' || !Number.isSafeInteger(nextId) || typeof postingsLength !== 'number' || !Number.isSafeInteger(postingsLength) || postingsLength < 0
    || !Array.isArray(terms) || !terms.every((term) => typeof term === 'string')) {
    throw new SearchSnapshotError('The search snapshot\'s index cannot be loaded: its terms, next id or postings length are missing');
  }
  if (typeof facetIdsLength !== 'number' || !Number.isSafeInteger(facetIdsLength) || facetIdsLength < 0 || !Array.isArray(facetValues) || !facetValues.every((value) => typeof value === 'string')
    || !Array.isArray(facetOf) || facetOf.length !== facetValues.length) {
    throw new SearchSnapshotError('The search snapshot\'s facet values are missing or malformed');
  }
  const binary = headerEnd + 1;
  if (bytes.length - binary !== 4 * (documents.length * (2 + fieldCount) + facetIdsLength + postingsLength)) {
    throw new SearchSnapshotError('The search snapshot\'s index and documents disagree: it is damaged (its binary part is not as long as its header says)');
  }
  const shortIds = int32s(bytes, binary, documents.length);
  const fieldLengths = int32s(bytes, binary + 4 * documents.length, documents.length * fieldCount);
  const facetCounts = int32s(bytes, binary + 4 * documents.length * (1 + fieldCount), documents.length);
  const facetIds = int32s(bytes, binary + 4 * documents.length * (2 + fieldCount), facetIdsLength);
  const postings = int32s(bytes, binary + 4 * (documents.length * (2 + fieldCount) + facetIdsLength), postingsLength);
  const facets = restoreFacets(facetValues as string[], facetOf as number[], shortIds, facetCounts, facetIds);

  const index = new MiniSearch<SearchDocument>(options);
  const internals = internalsOf(index) as ReturnType<typeof internalsOf> & { _documentCount: number; _avgFieldLength: number[]; _index: { set(term: string, data: Map<number, Map<number, number>>): void } };
  const sums = new Array<number>(fieldCount).fill(0);
  if (!Number.isSafeInteger(nextId) || nextId < 0 || nextId > 2 ** 31) throw new SearchSnapshotError('The search snapshot\'s index cannot be loaded: its next id is out of range');
  const live = new Uint8Array(nextId);
  documents.forEach((document, at) => {
    const shortId = shortIds[at] as number;
    if (shortId < 0 || shortId >= nextId || internals._documentIds.has(shortId) || internals._idToShortId.has(document.name)) {
      throw new SearchSnapshotError('The search snapshot\'s index and documents disagree: it is damaged');
    }
    const lengths = new Array<number>(fieldCount);
    for (let field = 0; field < fieldCount; field += 1) {
      const length = fieldLengths[at * fieldCount + field] as number;
      // A negative length would lift its document's BM25 score, or make it NaN and drop it from every text search.
      if (!(length >= 0)) throw new SearchSnapshotError('The search snapshot\'s field lengths are damaged');
      lengths[field] = length;
      sums[field] = (sums[field] as number) + length;
    }
    internals._documentIds.set(shortId, document.name);
    internals._idToShortId.set(document.name, shortId);
    internals._fieldLength.set(shortId, lengths);
    live[shortId] = 1;
  });
  internals._documentCount = documents.length;
  internals._nextId = nextId;
  // MiniSearch keeps these up to date on each add and remove (the scorer reads public-statistics.ts instead).
  internals._avgFieldLength = sums.map((sum) => (documents.length > 0 ? sum / documents.length : 0));

  let at = 0;
  const read = (): number => {
    if (at >= postings.length) throw new SearchSnapshotError('The search snapshot\'s index cannot be loaded: its postings end early');
    return postings[at++] as number;
  };
  for (const term of terms as string[]) {
    const fields = read();
    const data = new Map<number, Map<number, number>>();
    for (let field = 0; field < fields; field += 1) {
      const fieldId = read();
      const count = read();
      if (fieldId < 0 || fieldId >= fieldCount || count < 1 || at + 2 * count > postings.length) throw new SearchSnapshotError('The search snapshot\'s index cannot be loaded: its postings are damaged');
      for (let pair = at; pair < at + 2 * count; pair += 2) {
        if (live[postings[pair] as number] !== 1 || (pair > at && (postings[pair] as number) <= (postings[pair - 2] as number))) throw new SearchSnapshotError('The search snapshot\'s index and documents disagree: it is damaged');
        if (!((postings[pair + 1] as number) >= 1)) throw new SearchSnapshotError('The search snapshot\'s index cannot be loaded: its postings are damaged (a term frequency below 1)');
      }
      data.set(fieldId, new PairPostings(postings, at, count).asMap());
      at += 2 * count;
    }
    internals._index.set(term, data);
  }
  if (at !== postings.length) throw new SearchSnapshotError('The search snapshot\'s index cannot be loaded: its postings are damaged');
  return { index, documents, facets };
}

/** The facet dictionary of a snapshot, each document recorded under its short id by its value ids. */
function restoreFacets(values: readonly string[], facetOf: readonly number[], shortIds: Int32Array, counts: Int32Array, ids: Int32Array): FacetDictionary {
  try {
    const facets = FacetDictionary.restore(values, facetOf);
    let from = 0;
    shortIds.forEach((shortId, at) => {
      const count = counts[at] as number;
      if (!(count >= 0 && from + count <= ids.length)) throw new RangeError('facet value ids end early');
      facets.recordIds(shortId, ids, from, count);
      from += count;
    });
    if (from !== ids.length) throw new RangeError('facet value ids left over');
    return facets;
  } catch (error) {
    throw new SearchSnapshotError('The search snapshot\'s facet values are damaged', { cause: error });
  }
}
