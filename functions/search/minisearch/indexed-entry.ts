import { invalid } from '../../errors/app-error';
import type { SearchDocument, SearchQuery, SearchViewer } from '../search-engine';
import { documentBoost } from './document-boost';
import { normalizeUnicode } from './text-analysis';

/**
 * A document with what every search asks of it computed once, when it is indexed: who may see
 * it, its filter values lowercased and its boost (facet value ids: facet-counts.ts). A search then only
 * compares strings and reads arrays, 100k times for a filter-only search.
 */
export interface IndexedEntry {
  readonly document: SearchDocument;
  readonly isPublic: boolean;
  readonly grantees: ReadonlySet<string>;
  readonly owner: string;
  readonly framework: string;
  readonly task?: string;
  readonly license?: string;
  readonly discipline?: string;
  /** Every author's name and ORCID iD, lowercased. */
  readonly authors: readonly string[];
  readonly keywords: readonly string[];
  /** updatedAt in epoch milliseconds. */
  readonly updatedMs: number;
  readonly boost: number;
}

/**
 * A filter value as filters compare it, and as facets count it (facet-counts.ts): Unicode NFKC
 * (so `ﬁ` is `fi`, and `é` one code point however it was typed), then lowercased. Whole values,
 * not text: accents stay (`café` is not `cafe`), unlike the words of `q` (text-analysis.ts).
 */
export const foldFilterValue = (value: string): string => normalizeUnicode(value).toLowerCase();

const lower = (value: string | undefined): string | undefined => (value === undefined ? undefined : foldFilterValue(value));

/** Shared by every entry without grantees (most): a Set each was 100k allocations on a load. */
const NO_GRANTEES: ReadonlySet<string> = new Set();

export function indexedEntry(document: SearchDocument): IndexedEntry {
  return {
    document,
    isPublic: document.visibility === 'public',
    grantees: document.grantees.length > 0 ? new Set(document.grantees) : NO_GRANTEES,
    owner: foldFilterValue(document.owner),
    framework: foldFilterValue(document.framework),
    task: lower(document.task),
    license: lower(document.license),
    discipline: lower(document.discipline),
    authors: document.authors.flatMap((author) => [foldFilterValue(author.name), ...(author.orcid ? [foldFilterValue(author.orcid)] : [])]),
    keywords: document.keywords.map(foldFilterValue),
    updatedMs: Date.parse(document.updatedAt),
    boost: documentBoost(document),
  };
}

/**
 * Whether `viewer` may see the model: public, their own, or granted to them. The access policy's
 * read rule (functions/access/access-policy.ts) as data; nothing else lets a model count.
 */
export const visibleTo = (entry: IndexedEntry, viewer: SearchViewer): boolean =>
  entry.isPublic || (viewer.userId !== undefined && (viewer.userId === entry.document.owner || entry.grantees.has(viewer.userId)));

/** A search's filters, compiled once per search into a predicate over entries. */
export type EntryFilter = (entry: IndexedEntry) => boolean;

/** compileFilters' answer: the predicate, and whether it is visibility alone (no filter set), when a public model passes without its entry being read. */
export interface CompiledFilter {
  readonly admits: EntryFilter;
  readonly visibilityOnly: boolean;
}

/**
 * The predicate of SearchQuery.filters for `viewer`: each set filter must hold, values compared
 * folded (foldFilterValue) and whole (`framework=onnx` matches `ONNX`; `author` matches a name or an ORCID iD).
 * `mine` holds only for the viewer's own models, so an anonymous `mine` matches nothing.
 *
 * @throws AppError 400 `invalid_updated_since` when updatedSince is not a date
 */
export function compileFilters(filters: SearchQuery['filters'], viewer: SearchViewer): CompiledFilter {
  const checks: EntryFilter[] = [];
  const equals = (value: string | undefined, read: (entry: IndexedEntry) => string | undefined) => {
    if (value === undefined) return;
    const wanted = foldFilterValue(value);
    checks.push((entry) => read(entry) === wanted);
  };
  equals(filters.owner, (entry) => entry.owner);
  equals(filters.framework, (entry) => entry.framework);
  equals(filters.task, (entry) => entry.task);
  equals(filters.license, (entry) => entry.license);
  equals(filters.discipline, (entry) => entry.discipline);
  if (filters.author !== undefined) {
    const wanted = foldFilterValue(filters.author);
    checks.push((entry) => entry.authors.includes(wanted));
  }
  if (filters.keyword !== undefined) {
    const wanted = foldFilterValue(filters.keyword);
    checks.push((entry) => entry.keywords.includes(wanted));
  }
  if (filters.published !== undefined) {
    const wanted = filters.published;
    checks.push((entry) => entry.document.published === wanted);
  }
  if (filters.hasDoi !== undefined) {
    const wanted = filters.hasDoi;
    checks.push((entry) => entry.document.hasDoi === wanted);
  }
  if (filters.updatedSince !== undefined) {
    const since = Date.parse(filters.updatedSince);
    if (Number.isNaN(since)) throw invalid('invalid_updated_since', `updated_since must be an ISO 8601 date or time, not '${filters.updatedSince}'`);
    checks.push((entry) => entry.updatedMs >= since);
  }
  if (filters.mine) {
    const me = viewer.userId;
    checks.push((entry) => me !== undefined && entry.document.owner === me);
  }
  const admits: EntryFilter = (entry) => {
    if (!visibleTo(entry, viewer)) return false;
    for (let at = 0; at < checks.length; at += 1) if (!(checks[at] as EntryFilter)(entry)) return false;
    return true;
  };
  return { admits, visibilityOnly: checks.length === 0 };
}
