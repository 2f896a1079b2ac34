import { invalid } from '../../errors/app-error';
import type { SearchDocument, SearchQuery, SearchViewer } from '../search-engine';
import { documentBoost } from './document-boost';

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

const lower = (value: string | undefined): string | undefined => value?.toLowerCase();

/** Shared by every entry without grantees (most): a Set each was 100k allocations on a load. */
const NO_GRANTEES: ReadonlySet<string> = new Set();

export function indexedEntry(document: SearchDocument): IndexedEntry {
  return {
    document,
    isPublic: document.visibility === 'public',
    grantees: document.grantees.length > 0 ? new Set(document.grantees) : NO_GRANTEES,
    owner: document.owner.toLowerCase(),
    framework: document.framework.toLowerCase(),
    task: lower(document.task),
    license: lower(document.license),
    discipline: lower(document.discipline),
    authors: document.authors.flatMap((author) => [author.name.toLowerCase(), ...(author.orcid ? [author.orcid.toLowerCase()] : [])]),
    keywords: document.keywords.map((keyword) => keyword.toLowerCase()),
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
 * lowercased and whole (`framework=onnx` matches `ONNX`; `author` matches a name or an ORCID iD).
 * `mine` holds only for the viewer's own models, so an anonymous `mine` matches nothing.
 *
 * @throws AppError 400 `invalid_updated_since` when updatedSince is not a date
 */
export function compileFilters(filters: SearchQuery['filters'], viewer: SearchViewer): CompiledFilter {
  const checks: EntryFilter[] = [];
  const equals = (value: string | undefined, read: (entry: IndexedEntry) => string | undefined) => {
    if (value === undefined) return;
    const wanted = value.toLowerCase();
    checks.push((entry) => read(entry) === wanted);
  };
  equals(filters.owner, (entry) => entry.owner);
  equals(filters.framework, (entry) => entry.framework);
  equals(filters.task, (entry) => entry.task);
  equals(filters.license, (entry) => entry.license);
  equals(filters.discipline, (entry) => entry.discipline);
  if (filters.author !== undefined) {
    const wanted = filters.author.toLowerCase();
    checks.push((entry) => entry.authors.includes(wanted));
  }
  if (filters.keyword !== undefined) {
    const wanted = filters.keyword.toLowerCase();
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
