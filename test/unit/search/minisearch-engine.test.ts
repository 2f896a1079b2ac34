import { describe, expect, it } from 'vitest';
import { syntheticCorpus, randomSource } from '../../../bench/support/synthetic-models';
import { isAppError } from '../../../functions/errors/app-error';
import { createMiniSearchEngine, loadMiniSearchEngine, SearchSnapshotError, SNAPSHOT_VERSION } from '../../../functions/search/minisearch/minisearch-engine';
import type { IndexWrite } from '../../../functions/search/minisearch/index-write';
import { ScoringCache } from '../../../functions/search/minisearch/term-scorer';
import { highlight, MAX_TERM_LENGTH, processTerm, tokenizeDocument } from '../../../functions/search/minisearch/text-analysis';
import { SEARCH_SORTS, type SearchDocument, type SearchQuery, type SearchSort, type SearchViewer } from '../../../functions/search/search-engine';
import { allPages, bruteFacets, mayRead, names, query, searchDocument } from './search-fixtures';

function appErrorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isAppError(error)) return `${error.kind}:${error.code}`;
    throw error;
  }
  throw new Error('did not throw');
}

const corpus = [
  searchDocument({ name: 'alpha', framework: 'ONNX', task: 'image-classification', license: 'MIT', keywords: ['Vision', 'digits'], discipline: 'Computer Science', authors: [{ name: 'Ada Lovelace', orcid: '0000-0002-1825-0097' }], owner: 'alice', published: true, hasDoi: true, updatedAt: '2026-03-01T00:00:00.000Z', createdAt: '2025-01-01T00:00:00.000Z', downloads: 10, predictions: 3 }),
  searchDocument({ name: 'beta', framework: 'PyTorch', task: 'regression', license: 'Apache-2.0', keywords: ['tabular'], discipline: 'Economics', authors: [{ name: 'Alan Turing' }], owner: 'bob', hasDoi: true, updatedAt: '2026-02-01T00:00:00.000Z', createdAt: '2025-02-01T00:00:00.000Z', downloads: 50, predictions: 1 }),
  searchDocument({ name: 'gamma', framework: 'onnx', task: 'regression', license: undefined, keywords: ['vision'], discipline: undefined, authors: [{ name: 'ada lovelace' }], owner: 'alice', updatedAt: '2026-01-01T00:00:00.000Z', createdAt: '2025-03-01T00:00:00.000Z', downloads: 50, predictions: 7 }),
  searchDocument({ name: 'secret', framework: 'ONNX', task: 'image-classification', keywords: ['vision', 'classified'], authors: [{ name: 'Hidden Author' }], owner: 'alice', visibility: 'private', grantees: ['carol'], updatedAt: '2026-04-01T00:00:00.000Z', createdAt: '2025-04-01T00:00:00.000Z', downloads: 99, predictions: 99 }),
];

describe('MiniSearchEngine filters', () => {
  const engine = createMiniSearchEngine(corpus);
  const filtered = (filters: SearchQuery['filters'], viewer: SearchViewer = {}) => names(engine.search(query({ filters, sort: 'name' }), viewer).hits);

  it.each<[SearchQuery['filters'], string[]]>([
    [{ author: 'ADA LOVELACE' }, ['alpha', 'gamma']],
    [{ author: '0000-0002-1825-0097' }, ['alpha']],
    [{ author: 'Ada' }, []],
    [{ owner: 'Alice' }, ['alpha', 'gamma']],
    [{ framework: 'onnx' }, ['alpha', 'gamma']],
    [{ framework: 'pytorch' }, ['beta']],
    [{ task: 'regression' }, ['beta', 'gamma']],
    [{ license: 'mit' }, ['alpha']],
    [{ keyword: 'vision' }, ['alpha', 'gamma']],
    [{ keyword: 'visio' }, []],
    [{ discipline: 'economics' }, ['beta']],
    [{ published: true }, ['alpha']],
    [{ published: false }, ['beta', 'gamma']],
    [{ hasDoi: true }, ['alpha', 'beta']],
    [{ hasDoi: false }, ['gamma']],
    [{ updatedSince: '2026-02-01T00:00:00Z' }, ['alpha', 'beta']],
    [{ updatedSince: '2026-02-01' }, ['alpha', 'beta']],
    [{ framework: 'onnx', task: 'regression' }, ['gamma']],
  ])('%o finds %o', (filters, expected) => {
    expect(filtered(filters)).toEqual(expected);
  });

  it('mine: the viewer\'s own, nothing for an anonymous caller', () => {
    expect(filtered({ mine: true }, { userId: 'alice' })).toEqual(['alpha', 'gamma', 'secret']);
    expect(filtered({ mine: true }, { userId: 'carol' })).toEqual([]);
    expect(filtered({ mine: true })).toEqual([]);
  });

  it('combines filters with text', () => {
    expect(names(engine.search(query({ q: 'vision', filters: { framework: 'ONNX' } }), {}).hits).sort()).toEqual(['alpha', 'gamma']);
  });

  it('refuses an updatedSince that is no date', () => {
    expect(appErrorCode(() => engine.search(query({ filters: { updatedSince: 'yesterday' } }), {}))).toBe('invalid:invalid_updated_since');
  });
});

describe('MiniSearchEngine sorts', () => {
  const engine = createMiniSearchEngine(corpus);
  it.each<[SearchSort, 'asc' | 'desc', string[]]>([
    ['updated', 'desc', ['alpha', 'beta', 'gamma']],
    ['updated', 'asc', ['gamma', 'beta', 'alpha']],
    ['created', 'desc', ['gamma', 'beta', 'alpha']],
    ['name', 'asc', ['alpha', 'beta', 'gamma']],
    ['name', 'desc', ['gamma', 'beta', 'alpha']],
    ['downloads', 'desc', ['beta', 'gamma', 'alpha']], // beta and gamma tie at 50: by name
    ['downloads', 'asc', ['alpha', 'beta', 'gamma']],
    ['predictions', 'desc', ['gamma', 'alpha', 'beta']],
  ])('%s %s', (sort, direction, expected) => {
    expect(names(engine.search(query({ sort, direction }), {}).hits)).toEqual(expected);
  });

  it('relevance without q orders as updated', () => {
    expect(names(engine.search(query({ sort: 'relevance' }), {}).hits)).toEqual(['alpha', 'beta', 'gamma']);
  });
});

describe('MiniSearchEngine privacy', () => {
  const engine = createMiniSearchEngine(corpus);
  const viewers: [string, SearchViewer, boolean][] = [['anonymous', {}, false], ['a stranger', { userId: 'mallory' }, false], ['the owner', { userId: 'alice' }, true], ['a grantee', { userId: 'carol' }, true]];

  it.each(viewers)('%s: the private model counts only for those who may read it', (_who, viewer, sees) => {
    for (const search of [query({ q: 'classified' }), query({ q: 'vision' }), query({ filters: { owner: 'alice' } }), query({ filters: { author: 'hidden author' } }), query()]) {
      const result = engine.search(search, viewer);
      const all = allPages(engine, { ...search, limit: 1 }, viewer);
      expect(names(all).includes('secret')).toBe(sees);
      expect(result.total).toBe(all.length);
      const authorValues = result.facets.author.map((facet) => facet.value);
      expect(authorValues.includes('Hidden Author')).toBe(sees && names(all).includes('secret'));
      expect(result.facets).toEqual(bruteFacets(all.map((hit) => hit.document)));
    }
    expect(engine.search(query({ q: 'classified' }), viewer).total).toBe(sees ? 1 : 0);
  });
});

describe('MiniSearchEngine relevance never depends on models the viewer may not see (review finding 14)', () => {
  const probes = [
    searchDocument({ name: 'probe', owner: 'bob', title: 'quasarcodename probe', description: 'short', keywords: [] }),
    searchDocument({ name: 'probe-two', owner: 'bob', title: 'Another model', description: 'quasarcodename appears in a longer description of this model', keywords: ['quasarcodename'] }),
    searchDocument({ name: 'bystander', owner: 'carol', title: 'Unrelated zebra model', visibility: 'private', grantees: ['bob'] }),
  ];
  const hidden = Array.from({ length: 5 }, (_, index) => searchDocument({ name: `alice-quasar-${index}`, owner: 'alice', visibility: 'private', title: `quasarcodename internal ${'padding '.repeat(index * 5)}`, keywords: ['quasarcodename', 'zebra'], description: 'quasarcodename '.repeat(index + 1) }));
  const searches = ['quasarcodename', 'quasarcode', 'quasarcodenme', 'quasarcodename zebra', 'zebra model', 'probe'];
  const seen = (engine: ReturnType<typeof createMiniSearchEngine>, viewer: SearchViewer) =>
    searches.map((q) => engine.search(query({ q }), viewer).hits.map((hit) => [hit.document.name, hit.score, hit.highlights]));

  it.each([['anonymous', {}], ['bob', { userId: 'bob' }], ['a stranger', { userId: 'mallory' }]] as [string, SearchViewer][])('%s: scores and order are the same before and after other users add, then remove, private models holding the words', (_who, viewer) => {
    const engine = createMiniSearchEngine(probes);
    const before = seen(engine, viewer);
    expect(before[0]?.length).toBeGreaterThan(0);
    for (const document of hidden) engine.upsert(document);
    expect(seen(engine, viewer)).toEqual(before);
    expect(seen(createMiniSearchEngine([...probes, ...hidden]), viewer)).toEqual(before);
    for (const document of hidden.slice(2)) engine.remove(document.name);
    expect(seen(engine, viewer)).toEqual(before);
  });

  it('the owner of the private models still finds them, with finite positive scores, even when no public model holds the word', () => {
    const engine = createMiniSearchEngine(hidden);
    for (const q of searches.slice(0, 4)) {
      const hits = engine.search(query({ q }), { userId: 'alice' }).hits;
      expect(hits.length, q).toBe(5);
      for (const hit of hits) expect(Number.isFinite(hit.score) && (hit.score as number) > 0, q).toBe(true);
    }
    expect(engine.search(query({ q: 'quasarcodename' }), {}).total).toBe(0);
  });
});

describe('MiniSearchEngine over random corpora', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: totals, facets and every page agree with a brute-force count`, () => {
      const { documents, vocabulary, users } = syntheticCorpus({ count: 400, seed, vocabularySize: 300, owners: 8, privateShare: 0.2 });
      const engine = createMiniSearchEngine(documents);
      const random = randomSource(seed * 7919);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      for (let round = 0; round < 25; round += 1) {
        const viewer: SearchViewer = random() < 0.3 ? {} : { userId: pick(users) };
        const some = pick(documents);
        const filters: { -readonly [K in keyof SearchQuery['filters']]: SearchQuery['filters'][K] } = {};
        if (random() < 0.3) filters.framework = some.framework.toUpperCase();
        if (random() < 0.3 && some.keywords[0]) filters.keyword = some.keywords[0];
        if (random() < 0.2 && some.authors[0]) filters.author = some.authors[0].name;
        if (random() < 0.2 && some.license) filters.license = some.license.toLowerCase();
        if (random() < 0.2) filters.published = random() < 0.5;
        if (random() < 0.2) filters.updatedSince = some.updatedAt;
        if (random() < 0.1) filters.owner = some.owner;
        const sort = pick(SEARCH_SORTS.filter((value) => value !== 'relevance'));
        const direction = random() < 0.5 ? 'asc' : 'desc';
        const expected = documents.filter((document) => mayRead(document, viewer) && matchesFilters(document, filters))
          .sort((a, b) => compareBrute(a, b, sort, direction));
        const search = query({ filters, sort, direction, limit: 1 + Math.floor(random() * 30) });
        const first = engine.search(search, viewer);
        expect(first.total).toBe(expected.length);
        expect(first.facets).toEqual(bruteFacets(expected));
        expect(names(allPages(engine, search, viewer))).toEqual(expected.map((document) => document.name));

        const q = `${pick(vocabulary.slice(0, 60))}${random() < 0.5 ? ` ${pick(vocabulary.slice(0, 60))}` : ''}`;
        const textSearch = query({ q, filters, limit: 7 });
        const ranked = allPages(engine, textSearch, viewer);
        const whole = engine.search({ ...textSearch, limit: 100 }, viewer);
        expect(ranked.every((hit) => mayRead(hit.document, viewer) && matchesFilters(hit.document, filters))).toBe(true);
        expect(whole.total).toBe(ranked.length);
        expect(whole.facets).toEqual(bruteFacets(ranked.map((hit) => hit.document)));
        expect(names(ranked).slice(0, 100)).toEqual(names(whole.hits));
        const scores = ranked.map((hit) => hit.score as number);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
      }
    });
  }
});

function matchesFilters(document: SearchDocument, filters: SearchQuery['filters']): boolean {
  const same = (a: string | undefined, b: string | undefined) => b === undefined || a?.toLowerCase() === b.toLowerCase();
  return same(document.framework, filters.framework) && same(document.license, filters.license) && same(document.owner, filters.owner)
    && (filters.keyword === undefined || document.keywords.some((keyword) => keyword.toLowerCase() === filters.keyword?.toLowerCase()))
    && (filters.author === undefined || document.authors.some((author) => author.name.toLowerCase() === filters.author?.toLowerCase() || author.orcid === filters.author))
    && (filters.published === undefined || document.published === filters.published)
    && (filters.updatedSince === undefined || Date.parse(document.updatedAt) >= Date.parse(filters.updatedSince));
}

function compareBrute(a: SearchDocument, b: SearchDocument, sort: SearchSort, direction: 'asc' | 'desc'): number {
  const key = (document: SearchDocument): string | number => ({ updated: document.updatedAt, created: document.createdAt, name: document.name, downloads: document.downloads, predictions: document.predictions, relevance: 0 })[sort];
  const [x, y] = [key(a), key(b)];
  if (x !== y) return (x < y ? -1 : 1) * (direction === 'asc' ? 1 : -1);
  return a.name < b.name ? -1 : 1;
}

describe('MiniSearchEngine cursors', () => {
  const many = Array.from({ length: 30 }, (_, index) => searchDocument({ name: `model-${String(index).padStart(2, '0')}`, description: `river ${index % 3 === 0 ? 'delta' : 'bank'}`, downloads: index % 4, updatedAt: `2026-01-${String(1 + (index % 7)).padStart(2, '0')}T00:00:00.000Z` }));

  it('paging through a whole result equals the result unpaged, for every sort', () => {
    const engine = createMiniSearchEngine(many);
    for (const search of [query({ q: 'river' }), query({ q: 'delta' }), ...SEARCH_SORTS.slice(1).flatMap((sort) => [query({ sort, direction: 'asc' }), query({ sort, direction: 'desc' })])]) {
      const whole = engine.search(search, {});
      expect(whole.nextCursor).toBeUndefined();
      expect(names(allPages(engine, { ...search, limit: 4 }, {}))).toEqual(names(whole.hits));
    }
  });

  it('a model added before the cursor does not repeat a hit on the next page', () => {
    const engine = createMiniSearchEngine(many);
    const search = query({ sort: 'name', direction: 'asc', limit: 10 });
    const first = engine.search(search, {});
    engine.upsert(searchDocument({ name: 'model-00a' }));
    const second = engine.search({ ...search, cursor: first.nextCursor as string }, {});
    expect(names(second.hits)[0]).toBe('model-10');
  });

  /** Every hit, page by page, with `write` run before each page after the first. */
  const pagesWithWrites = (engine: ReturnType<typeof createMiniSearchEngine>, search: SearchQuery, write: (page: number, seen: readonly string[]) => void) => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page += 1) {
      if (page > 0) write(page, seen);
      const result = engine.search({ ...search, ...(cursor === undefined ? {} : { cursor }) }, {});
      seen.push(...names(result.hits));
      cursor = result.nextCursor;
      if (cursor === undefined) return seen;
    }
    throw new Error('paging did not end');
  };

  it.each([
    ['unrelated public models are added (every score rises)', (page: number) => Array.from({ length: 30 }, (_, index) => searchDocument({ name: `other-${page}-${index}`, title: 'Unrelated', description: 'lake' }))],
    ['public models holding the word are added (every score falls)', (page: number) => Array.from({ length: 10 }, (_, index) => searchDocument({ name: `zz-river-${page}-${index}`, title: 'Unrelated', description: 'river lake', downloads: 0 }))],
  ])('paging by relevance skips and repeats nothing when %s between pages (review finding 15)', (_what, written) => {
    const engine = createMiniSearchEngine(many);
    const search = query({ q: 'river', limit: 5 });
    const expected = names(engine.search({ ...search, limit: 100 }, {}).hits);
    const seen = pagesWithWrites(engine, search, (page) => {
      for (const document of written(page)) engine.upsert(document);
    });
    expect(seen.filter((name) => name.startsWith('model-'))).toEqual(expected);
  });

  it('paging by downloads shows every unchanged model once while the last hit shown gains downloads between pages', () => {
    const engine = createMiniSearchEngine(many);
    const search = query({ sort: 'downloads', limit: 4 });
    const expected = names(engine.search({ ...search, limit: 100 }, {}).hits);
    const seen = pagesWithWrites(engine, search, (_page, shown) => {
      const document = engine.get(shown[shown.length - 1] as string) as SearchDocument;
      engine.upsert({ ...document, downloads: document.downloads + 100 });
    });
    expect(seen).toEqual(expected);
  });

  it('refuses a forged cursor, one of another query, and one whose value has the wrong type with 400 invalid_cursor', () => {
    const engine = createMiniSearchEngine(many);
    const search = query({ q: 'river', limit: 5 });
    const { nextCursor } = engine.search(search, {});
    const forged = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
    const decoded = JSON.parse(Buffer.from(nextCursor as string, 'base64url').toString()) as { v: number; n: string; h: string };
    for (const [attempt, cursor] of [
      [search, 'not-a-cursor!'],
      [search, forged({ v: 1, n: 'model-01' })],
      [search, forged({ ...decoded, v: 'high' })],
      [search, forged({ ...decoded, h: 'AAAAAAAAAAAAAAAA' })],
      [query({ q: 'delta', limit: 5 }), nextCursor],
      [query({ q: 'river', limit: 5, filters: { license: 'MIT' } }), nextCursor],
      [query({ q: 'river', limit: 5, sort: 'downloads' }), nextCursor],
    ] as const) {
      expect(appErrorCode(() => engine.search({ ...attempt, cursor: cursor as string }, {}))).toBe('invalid:invalid_cursor');
    }
    expect(engine.search({ ...search, limit: 7, cursor: nextCursor as string }, {}).hits.length).toBeGreaterThan(0);
  });
});

describe('MiniSearchEngine facets, folded as the filters fold', () => {
  const spellings = ['vision', 'Vision', 'VISION', 'Physics', 'physics', 'ＰＨＹＳＩＣＳ', 'café', 'cafe\u0301', 'Café'];
  const random = randomSource(4242);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const documents = Array.from({ length: 120 }, (_unused, i) => searchDocument({
    name: `fold-${i}`,
    title: 'foldcorpus',
    keywords: Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(spellings)),
    discipline: pick(spellings),
    task: pick(spellings),
    authors: [{ name: pick(['Ada Lovelace', 'ada lovelace', 'ADA LOVELACE']) }],
    framework: pick(['ONNX', 'onnx', 'Onnx']),
    visibility: random() < 0.2 ? 'private' : 'public',
    owner: pick(['alice', 'bob']),
  }));

  it('count each value once per model in any case (the most given spelling shown), as a brute-force count, and as many as its filter finds', () => {
    const engine = createMiniSearchEngine(documents);
    for (const viewer of [{}, { userId: 'alice' }] as SearchViewer[]) {
      for (const search of [query({ q: 'foldcorpus' }), query(), query({ filters: { keyword: 'VISION' } })]) {
        const result = engine.search({ ...search, limit: 100 }, viewer);
        const matching = allPages(engine, search, viewer).map((hit) => hit.document);
        expect(result.facets).toEqual(bruteFacets(matching));
        for (const [facet, filter] of [['keyword', 'keyword'], ['discipline', 'discipline'], ['task', 'task'], ['author', 'author'], ['framework', 'framework']] as const) {
          // A filter takes one value: a second keyword would replace the search's own, not narrow it.
          if (search.filters[filter] !== undefined) continue;
          const values = result.facets[facet].map((count) => count.value);
          expect(new Set(values.map((value) => value.normalize('NFKC').toLowerCase())).size, `${facet}: ${values.join(', ')}`).toBe(values.length);
          for (const { value, count } of result.facets[facet]) {
            expect(engine.search({ ...search, filters: { ...search.filters, [filter]: value } }, viewer).total, `${facet}=${value}`).toBe(count);
          }
        }
      }
    }
  });
});

describe('MiniSearchEngine writes', () => {
  it('upsert replaces a model\'s document and remove forgets it, both idempotent', () => {
    const engine = createMiniSearchEngine(corpus);
    // Searched first, so that what the engine reuses between searches is there to go stale.
    expect(engine.search(query({ q: 'avalanche' }), {}).total).toBe(0);
    expect(engine.search(query({ q: 'tabular' }), {}).total).toBe(1);
    const changed = searchDocument({ name: 'beta', title: 'Avalanche forecaster', framework: 'Keras', keywords: ['snow'] });
    engine.upsert(changed);
    engine.upsert(changed);
    expect(engine.size).toBe(4);
    expect(engine.get('beta')).toBe(changed);
    expect(names(engine.search(query({ q: 'avalanche' }), {}).hits)).toEqual(['beta']);
    expect(engine.search(query({ filters: { framework: 'pytorch' } }), {}).total).toBe(0);
    expect(engine.search(query({ q: 'tabular' }), {}).total).toBe(0);
    engine.remove('beta');
    engine.remove('beta');
    expect(engine.size).toBe(3);
    expect(engine.search(query({ q: 'avalanche' }), {}).total).toBe(0);
    expect(engine.search(query(), {}).facets.framework).toEqual([{ value: 'ONNX', count: 2 }]);
  });

  it('scores a model updated in place as an engine built afresh scores it, never below zero', () => {
    const engine = createMiniSearchEngine(corpus);
    // Each update of the same model: npm start's demo model is updated this way after its upload.
    for (let round = 0; round < 3; round += 1) for (const document of corpus) engine.upsert({ ...document });
    const fresh = createMiniSearchEngine(corpus);
    for (const q of ['vision', 'ada', 'regression tabular', 'lovelac']) {
      const scores = (from: typeof engine) => from.search(query({ q }), { userId: 'alice' }).hits.map((hit) => [hit.document.name, hit.score]);
      expect(scores(engine), q).toEqual(scores(fresh));
      for (const [, score] of scores(engine)) expect(score as number, q).toBeGreaterThan(0);
    }
  });
});

describe('MiniSearchEngine scoring cache across writes', () => {
  it('after every write, searches (warmed before it) answer as an engine built afresh from the same documents', () => {
    const { documents, vocabulary, users } = syntheticCorpus({ count: 200, seed: 11, vocabularySize: 120, owners: 5, privateShare: 0.3 });
    const engine = createMiniSearchEngine(documents);
    const current = new Map(documents.map((document) => [document.name, document]));
    const random = randomSource(4242);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const searches = [...vocabulary.slice(0, 8), ...vocabulary.slice(0, 8).map((word) => word.slice(0, 3)), 'zyxwvutq', 'zyxw', 'zyxwvutr'];
    const answer = (of: ReturnType<typeof createMiniSearchEngine>, q: string, viewer: SearchViewer) => {
      const result = of.search(query({ q }), viewer);
      return { total: result.total, facets: result.facets, hits: result.hits.map((hit) => `${hit.document.name} ${(hit.score as number).toFixed(6)}`).sort() };
    };
    for (let round = 0; round < 40; round += 1) {
      const viewer: SearchViewer = random() < 0.5 ? {} : { userId: pick(users) };
      for (const q of searches) answer(engine, q, viewer);
      const some = pick([...current.values()]);
      const kind = random();
      if (kind < 0.2) {
        engine.remove(some.name);
        current.delete(some.name);
      } else {
        // Sometimes a word the index never held, which cached prefixes and typos must then reach.
        const changed: SearchDocument = { ...some, title: `${pick(vocabulary)} ${random() < 0.3 ? 'zyxwvutq' : pick(vocabulary)}`, visibility: random() < 0.5 ? 'public' : 'private', downloads: some.downloads + 1 };
        engine.upsert(changed);
        current.set(changed.name, changed);
      }
      const fresh = createMiniSearchEngine([...current.values()]);
      for (const q of searches) expect(answer(engine, q, viewer), `round ${round} q=${q}`).toEqual(answer(fresh, q, viewer));
    }
  }, 120_000);
});

describe('MiniSearchEngine term scores patched across writes that leave the statistics alone', () => {
  // Writes that move neither N, an average field length nor a public document count: a public
  // model rewritten with the same words, a private model rewritten, added or removed. The cached
  // scores are then patched rather than dropped (ScoringCache.afterWrite), and must equal, to the
  // last bit, what a cache that never saw them computes on the same index.
  const { documents, vocabulary, users } = syntheticCorpus({ count: 300, seed: 23, vocabularySize: 60, owners: 5, privateShare: 0.3 });
  const searches = [...vocabulary.slice(0, 6), ...vocabulary.slice(0, 4).map((word) => word.slice(0, 3)), `${vocabulary[0] as string} ${vocabulary[1] as string}`];

  it.each([['loaded from a snapshot (pair postings)', true], ['built (Map postings)', false]])('%s', (_, loaded) => {
    const built = createMiniSearchEngine(documents);
    const engine = loaded ? loadMiniSearchEngine(built.serialize()) : built;
    const internals = engine as unknown as { cache: ScoringCache };
    const current = new Map(documents.map((document) => [document.name, document]));
    const random = randomSource(77);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const answers = (viewer: SearchViewer) => searches.map((q) => engine.search(query({ q, limit: 100 }), viewer));
    for (let round = 0; round < 30; round += 1) {
      const viewer: SearchViewer = random() < 0.5 ? {} : { userId: pick(users) };
      answers(viewer);
      const kind = round % 4;
      const some = pick([...current.values()].filter((document) => (document.visibility === 'public') === (kind === 0)));
      if (kind === 0) engine.upsert({ ...some, downloads: some.downloads + 1 });
      else if (kind === 1) engine.upsert({ ...some, title: `${pick(vocabulary)} ${pick(vocabulary)}`, keywords: [pick(vocabulary)] });
      else if (kind === 2) engine.upsert({ ...some, name: `added-${round}`, title: pick(vocabulary) });
      else {
        engine.remove(some.name);
        current.delete(some.name);
      }
      const patched = answers(viewer);
      const kept = internals.cache;
      internals.cache = new ScoringCache();
      expect(patched, `round ${round}`).toEqual(answers(viewer));
      internals.cache = kept;
    }
  }, 120_000);
});

describe('ScoringCache.afterWrite', () => {
  const vector = (ids: number[]) => ({ ids: Int32Array.from(ids), scores: Float64Array.from(ids, (id) => id / 10) });
  const derived = (term: string) => [{ term, weight: 1, data: new Map() }];
  const write = (change: Partial<IndexWrite>): IndexWrite => ({ statisticsMoved: false, recounted: new Set(), touched: new Set(), ...change });

  function cached(): ScoringCache {
    const cache = new ScoringCache();
    for (const term of ['alpha', 'beta', 'gamma']) {
      cache.expansions(term, () => derived(term));
      cache.termScores(term, () => vector([1, 2, 3]));
    }
    return cache;
  }
  const scoresOf = (cache: ScoringCache, term: string) => {
    const { ids, scores } = cache.termScores(term, () => vector([]));
    return [...ids].map((id, at) => `${id}:${scores[at] as number}`);
  };

  it('moves the document written from its old short id to its new one, scored afresh, where a term reaches it, and keeps the rest', () => {
    const cache = cached();
    const removed = { shortId: 2, isPublic: true, terms: [['alpha']] };
    const added = { shortId: 9, isPublic: true, terms: [['alpha', 'beta']] };
    cache.afterWrite(write({ touched: new Set(['alpha', 'beta']), removed, added }), (terms, shortId) => (terms[0]?.term === 'alpha' ? shortId : undefined));
    expect(scoresOf(cache, 'alpha')).toEqual(['1:0.1', '9:9', '3:0.3']);
    expect(scoresOf(cache, 'beta')).toEqual(['1:0.1', '3:0.3']);
    expect(scoresOf(cache, 'gamma')).toEqual(['1:0.1', '2:0.2', '3:0.3']);
  });

  it('drops the scores of a term that reaches a recount, and all of them when the statistics moved', () => {
    const cache = cached();
    cache.afterWrite(write({ recounted: new Set(['beta']) }), () => undefined);
    expect(scoresOf(cache, 'beta')).toEqual([]);
    expect(scoresOf(cache, 'alpha')).toHaveLength(3);
    cache.afterWrite(write({ statisticsMoved: true }), () => undefined);
    expect(scoresOf(cache, 'alpha')).toEqual([]);
  });
});

describe('MiniSearchEngine snapshots', () => {
  const { documents } = syntheticCorpus({ count: 300, seed: 5, vocabularySize: 200, owners: 6, privateShare: 0.2 });

  it('serialize then load answers every search the same', () => {
    const engine = createMiniSearchEngine(documents);
    engine.remove(documents[0]?.name as string);
    engine.upsert({ ...(documents[1] as SearchDocument), title: 'renamed glacier' });
    const loaded = loadMiniSearchEngine(engine.serialize());
    expect(loaded.size).toBe(engine.size);
    for (const [search, viewer] of [[query({ q: 'glacier' }), {}], [query({ q: 'model image' }), { userId: 'user-1' }], [query({ filters: { framework: 'onnx' } }), { userId: 'user-2' }], [query({ sort: 'downloads', limit: 50 }), {}]] as const) {
      expect(loaded.search(search, viewer)).toEqual(engine.search(search, viewer));
    }
  });

  it('a loaded engine (postings still encoded) takes writes, and serializes again, as an engine built afresh', () => {
    const current = new Map(documents.map((document) => [document.name, document]));
    let engine = loadMiniSearchEngine(createMiniSearchEngine(documents).serialize());
    const searches: [SearchQuery, SearchViewer][] = [[query({ q: 'model' }), {}], [query({ q: 'glacier avalanche' }), { userId: 'user-1' }], [query({ q: 'gla' }), {}], [query({ filters: { framework: 'onnx' } }), { userId: 'user-2' }]];
    for (let round = 0; round < 3; round += 1) {
      // Warmed first, so that what the scorer derived from the encoded postings is there to go stale.
      for (const [search, viewer] of searches) engine.search(search, viewer);
      for (const document of documents.slice(round * 10, round * 10 + 10)) {
        const changed: SearchDocument = { ...document, title: `glacier avalanche ${round}`, visibility: round === 1 ? 'private' : 'public' };
        engine.upsert(changed);
        current.set(changed.name, changed);
      }
      engine.remove(documents[200 + round]?.name as string);
      current.delete(documents[200 + round]?.name as string);
      const fresh = createMiniSearchEngine([...current.values()]);
      for (const [search, viewer] of searches) expect(engine.search(search, viewer)).toEqual(fresh.search(search, viewer));
      engine = loadMiniSearchEngine(engine.serialize());
      for (const [search, viewer] of searches) expect(engine.search(search, viewer)).toEqual(fresh.search(search, viewer));
    }
  });

  it('refuses damaged, foreign and other-version snapshots with a SearchSnapshotError saying which', () => {
    const bytes = createMiniSearchEngine(documents).serialize();
    const newline = bytes.indexOf(0x0a);
    const snapshot = JSON.parse(bytes.subarray(0, newline).toString()) as Record<string, unknown> & { documents: SearchDocument[]; terms: string[]; postingsLength: number };
    const binary = bytes.subarray(newline + 1);
    const as = (header: unknown, rest: Buffer = binary) => Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), rest]);
    /** The snapshot with one of its binary part's integers replaced (review 13b finding 7: gzip intact, values wrong). */
    const withInt = (offset: number, value: number): Buffer => {
      const copy = Buffer.from(bytes);
      copy.writeInt32LE(value, newline + 1 + offset);
      return copy;
    };
    // After the header line: a short id per document, then fieldCount lengths per document; the postings last.
    const firstLength = 4 * snapshot.documents.length;
    const firstFrequency = binary.length - 4 * snapshot.postingsLength + 4 * 4;
    for (const [bad, message] of [
      [Buffer.from([0x1f, 0x8b, 0x08, 0x00]), /not JSON/],
      [bytes.subarray(0, newline - 10), /not JSON/],
      [Buffer.from(JSON.stringify([1, 2])), /not in the mlhub-search-minisearch format/],
      [Buffer.from(JSON.stringify({ ...snapshot, version: 1 })), new RegExp(`version 1; this engine reads version ${SNAPSHOT_VERSION} only`)],
      [bytes.subarray(0, bytes.length - 8), /binary part is not as long as its header says/],
      [as({ ...snapshot, documents: snapshot.documents.slice(1) }), /disagree/],
      [as({ ...snapshot, documents: [{ name: 'x' }] }), /documents are missing or malformed/],
      [as({ ...snapshot, postingsLength: snapshot.postingsLength - 2 }, binary.subarray(0, binary.length - 8)), /index cannot be loaded: its postings are damaged/],
      [as({ ...snapshot, terms: snapshot.terms.slice(1) }), /index cannot be loaded: its postings are damaged/],
      [as({ ...snapshot, terms: [...snapshot.terms, 'extra'] }), /index cannot be loaded: its postings end early/],
      [as({ ...snapshot, facetOf: [] }), /facet values are missing or malformed/],
      [as({ ...snapshot, facetOf: (snapshot.facetOf as number[]).map(() => 9) }), /facet values are damaged/],
      [as({ ...snapshot, facetValues: [], facetOf: [] }), /facet values are damaged/],
      [withInt(firstLength, -5), /field lengths are damaged/],
      [withInt(firstFrequency, 0), /a term frequency below 1/],
    ] as const) {
      expect(() => loadMiniSearchEngine(bad)).toThrow(SearchSnapshotError);
      expect(() => loadMiniSearchEngine(bad)).toThrow(message);
    }
  });
});

describe('MiniSearchEngine text whose folding expands it (review 13c F5)', () => {
  // U+FDFA is one letter that NFKD spells in 18 characters (4 words): 10,000 of them were one
  // 10,000-letter word and a 180,000-character term, and tokenizing it took quadratic work.
  const ligature = '\ufdfa';
  const bomb = searchDocument({ name: 'lig-3', title: 'ligbomb3 test', description: ligature.repeat(10_000), keywords: Array.from({ length: 20 }, () => ligature.repeat(40)), visibility: 'public' });
  const plain = searchDocument({ name: 'plain', title: 'a test model', description: `${'x'.repeat(50_000)}-y`, visibility: 'public' });
  const engine = createMiniSearchEngine([bomb, plain]);
  const terms = (JSON.parse(engine.serialize().subarray(0, engine.serialize().indexOf(0x0a)).toString('utf8')) as { terms: string[] }).terms;

  it('indexes no term longer than MAX_TERM_LENGTH, before or after folding', () => {
    expect(processTerm(ligature.repeat(10_000)).length).toBeLessThanOrEqual(MAX_TERM_LENGTH);
    expect(Math.max(...terms.map((term) => term.length))).toBeLessThanOrEqual(MAX_TERM_LENGTH);
    // Work measured as what was indexed: a handful of terms, each capped.
    expect(terms.reduce((sum, term) => sum + term.length, 0)).toBeLessThanOrEqual(30 * MAX_TERM_LENGTH);
  });

  it('finds and highlights the long word by its capped term, marking it once and whole', () => {
    const hit = engine.search(query({ q: ligature.repeat(10_000) }), {}).hits;
    expect(names(hit)).toEqual(['lig-3']);
    expect(hit[0]?.highlights?.description).toBe(`<mark>${ligature.repeat(10_000)}</mark>`);
    expect(names(engine.search(query({ q: 'test' }), {}).hits).sort()).toEqual(['lig-3', 'plain']);
  });

  it('still finds a long word joined to another whole, without its joiner', () => {
    expect(tokenizeDocument(`${'x'.repeat(50_000)}-y`).map((word) => word.length)).toEqual([50_000, 1, 50_001]);
    expect(tokenizeDocument('resnet_50 mnist-cnn v1.2 a..b')).toEqual(['resnet', '50', 'mnist', 'cnn', 'v1', '2', 'a', 'b', 'resnet50', 'mnistcnn', 'v12']);
    expect(highlight('see mnist-cnn and resnet_50', new Set(['mnistcnn', 'resnet']))).toBe('see <mark>mnist-cnn</mark> and <mark>resnet</mark>_50');
  });
});
