/**
 * A test double of the SearchEngine interface (functions/search/search-engine.ts) over a Map, for
 * the pipeline's tests: it holds documents exactly as upsert/remove leave them and serializes them
 * as JSON, so a test sees what the pipeline gave the engine. It is not shipped; MLHub runs the
 * engine functions/search/search-engine-factory.ts names.
 */
import { SEARCH_FACETS, type SearchDocument, type SearchEngine, type SearchQuery, type SearchResult, type SearchViewer } from '../../functions/search/search-engine';
import type { SearchEngineKind } from '../../functions/search/search-engine-factory';

const FORMAT = 'array-test/1';

const visible = (document: SearchDocument, viewer: SearchViewer): boolean =>
  document.visibility === 'public' || (viewer.userId !== undefined && (viewer.userId === document.owner || document.grantees.includes(viewer.userId)));

export class ArraySearchEngine implements SearchEngine {
  private readonly documents = new Map<string, SearchDocument>();

  upsert(document: SearchDocument): void {
    this.documents.set(document.name, document);
  }

  remove(name: string): void {
    this.documents.delete(name);
  }

  get(name: string): SearchDocument | undefined {
    return this.documents.get(name);
  }

  get size(): number {
    return this.documents.size;
  }

  /** Every visible document whose name or title holds `q`, by name: enough to see what the pipeline indexed. */
  search(query: SearchQuery, viewer: SearchViewer): SearchResult {
    const q = query.q?.toLowerCase();
    const hits = [...this.documents.values()]
      .filter((document) => visible(document, viewer))
      .filter((document) => !q || document.name.toLowerCase().includes(q) || (document.title ?? '').toLowerCase().includes(q))
      .sort((a, b) => a.name.localeCompare(b.name));
    const facets = Object.fromEntries(SEARCH_FACETS.map((facet) => [facet, []])) as unknown as SearchResult['facets'];
    return { hits: hits.slice(0, query.limit).map((document) => ({ document })), total: hits.length, facets };
  }

  serialize(): Buffer {
    return Buffer.from(JSON.stringify({ format: FORMAT, documents: [...this.documents.values()] }));
  }

  static load(bytes: Buffer): ArraySearchEngine {
    const parsed = JSON.parse(bytes.toString('utf8')) as { format?: unknown; documents?: SearchDocument[] };
    if (parsed.format !== FORMAT || !Array.isArray(parsed.documents)) throw new Error(`not an ${FORMAT} snapshot`);
    const engine = new ArraySearchEngine();
    for (const document of parsed.documents) engine.upsert(document);
    return engine;
  }
}

/** The double as the pipeline takes an engine, counting the snapshots it loaded and the engines it created. */
export function arrayEngineKind(): SearchEngineKind & { readonly counts: { loads: number; creates: number } } {
  const counts = { loads: 0, creates: 0 };
  return {
    format: FORMAT,
    counts,
    create: () => {
      counts.creates += 1;
      return new ArraySearchEngine();
    },
    load: (bytes) => {
      counts.loads += 1;
      return ArraySearchEngine.load(bytes);
    },
  };
}
