import type MiniSearch from 'minisearch';
import { describe, expect, it } from 'vitest';
import type { SearchDocument } from '../../../functions/search/search-engine';
import { createMiniSearchEngine, fuzzyDistance, prefixSearch, SEARCH_BOOSTS } from '../../../functions/search/minisearch/minisearch-engine';
import { PublicStatistics } from '../../../functions/search/minisearch/public-statistics';
import { internalsOf, scoreTerms, withinEdits } from '../../../functions/search/minisearch/term-scorer';
import { highlight, processTerm, stem, tokenizeDocument, tokenizeQuery } from '../../../functions/search/minisearch/text-analysis';
import { names, query, searchDocument } from './search-fixtures';

const corpus = [
  searchDocument({ name: 'mnist-cnn', title: 'Handwritten digit classifier', description: 'A small convolutional network trained on MNIST', keywords: ['vision', 'digits'] }),
  searchDocument({ name: 'resnet_50', title: 'Residual network for images', description: 'Fifty layers deep', keywords: ['vision', 'imagenet'] }),
  searchDocument({ name: 'tumour-segmentation', title: 'Brain tumour segmentation', description: 'U-Net on MRI scans', keywords: ['medical', 'mri'], discipline: 'Medicine' }),
  searchDocument({ name: 'wheat-yield', title: 'Crop yield regression', description: 'Predicts wheat yield from weather', keywords: ['agriculture'] }),
  searchDocument({ name: 'speech-models', title: 'Spoken word recognition', description: 'Libraries of acoustic models', keywords: ['audio'] }),
];

describe('Unicode: one word however it is written', () => {
  const accented = createMiniSearchEngine([
    searchDocument({ name: 'accents', title: 'Notes on café naïve résumé', description: 'Straße STRASSE İstanbul ﬁnance cafe\u0301 ＭＮＩＳＴ', authors: [{ name: 'Antonín Dvořák' }] }),
    searchDocument({ name: 'plain', title: 'Plain ascii words', description: 'nothing accented here', authors: [{ name: 'Pat Doe' }] }),
  ]);
  const hit = (q: string) => accented.search(query({ q }), {}).hits;

  it('folds NFC, NFD, compatibility forms and Latin diacritics alike, in documents and in q', () => {
    for (const q of ['café', 'cafe\u0301', 'cafe', 'CAFÉ', 'resume', 'résumé', 'naive', 'dvorak', 'Dvořák', 'antonin', 'finance', 'ﬁnance', 'strasse', 'straße', 'istanbul', 'mnist', 'ＭＮＩＳＴ']) {
      expect(names(hit(q)), q).toEqual(['accents']);
    }
    expect(processTerm('cafe\u0301')).toBe(processTerm('café'));
    expect(processTerm('Ｄｖｏřáｋ')).toBe('dvorak');
    // Other scripts keep their marks: a dakuten makes another kana.
    expect(processTerm('が')).not.toBe(processTerm('か'));
    expect(tokenizeQuery('cafe\u0301 au lait')).toEqual(['cafe\u0301', 'au', 'lait']);
  });

  it('highlights the original text, a combining accent inside the mark with its letter', () => {
    const [found] = hit('cafe');
    expect(found?.highlights?.title).toBe('Notes on <mark>café</mark> naïve résumé');
    expect(found?.highlights?.description).toBe('Straße STRASSE İstanbul ﬁnance <mark>cafe\u0301</mark> ＭＮＩＳＴ');
    expect(hit('strasse')[0]?.highlights?.description).toBe('<mark>Straße</mark> <mark>STRASSE</mark> İstanbul ﬁnance cafe\u0301 ＭＮＩＳＴ');
    expect(hit('dvorak')[0]?.highlights?.authors).toBe('Antonín <mark>Dvořák</mark>');
  });
});

describe('MiniSearchEngine ranking', () => {
  const engine = createMiniSearchEngine(corpus);
  const top = (q: string) => names(engine.search(query({ q }), {}).hits);

  it('finds an exact word first in the field it is in', () => {
    expect(top('digit')[0]).toBe('mnist-cnn');
    expect(top('wheat')[0]).toBe('wheat-yield');
  });

  it('forgives one edit in a word of 5 letters or more', () => {
    expect(top('clasifier')[0]).toBe('mnist-cnn');
    expect(top('segmentatoin')).toEqual([]); // a transposition is two edits
    expect(top('segmentaton')[0]).toBe('tumour-segmentation');
  });

  it('forgives no edit in a word of 4 letters or fewer', () => {
    expect(top('whet')).toEqual([]);
    expect(top('mri')).toEqual(['tumour-segmentation']);
    expect(top('mra')).toEqual([]);
  });

  it('matches a prefix', () => {
    expect(top('segm')[0]).toBe('tumour-segmentation');
    expect(top('convol')).toEqual(['mnist-cnn']);
  });

  it('splits names at hyphens and underscores, and knows them joined', () => {
    expect(top('cnn')).toEqual(['mnist-cnn']);
    expect(top('resnet')[0]).toBe('resnet_50');
    expect(top('resnet50')[0]).toBe('resnet_50');
    expect(top('resnet-50')[0]).toBe('resnet_50');
    expect(top('mnist cnn')[0]).toBe('mnist-cnn');
  });

  it('reduces English plurals both ways', () => {
    expect(stem('models')).toBe('model');
    expect(stem('libraries')).toBe('library');
    expect(stem('class')).toBe('class');
    expect(top('library')).toEqual(['speech-models']);
    expect(top('digit')).toContain('mnist-cnn'); // keywords: digits
  });

  it('needs every word, unless no model has them all', () => {
    expect(top('wheat regression')).toEqual(['wheat-yield']);
    expect(engine.search(query({ q: 'wheat mri' }), {}).total).toBe(2);
  });

  it('weighs name over title over keywords over authors over description', () => {
    const fields = ['name', 'title', 'keywords', 'authors', 'description'] as const;
    const docs = fields.map((field, index) => searchDocument({
      name: field === 'name' ? 'glacier-tracker' : `model-${index}`,
      title: field === 'title' ? 'Glacier tracker' : 'Some tracker',
      keywords: [field === 'keywords' ? 'glacier' : 'ice', 'tracker'],
      authors: [{ name: field === 'authors' ? 'Glacier Smith' : 'Pat Smith' }],
      description: field === 'description' ? 'Tracks a glacier' : 'Tracks a river',
    }));
    const weighted = createMiniSearchEngine([...docs].reverse());
    expect(names(weighted.search(query({ q: 'glacier' }), {}).hits)).toEqual(['glacier-tracker', 'model-1', 'model-2', 'model-3', 'model-4']);
  });

  it('ranks a published, fully described, used model above an equal match that is none of these', () => {
    const bare = searchDocument({ name: 'ocean-a', title: undefined, description: 'Ocean currents', keywords: [], authors: [], license: undefined });
    const full = searchDocument({ name: 'ocean-b', description: 'Ocean currents', published: true, hasDoi: true, downloads: 5000, predictions: 100 });
    const ranked = createMiniSearchEngine([bare, full]).search(query({ q: 'ocean' }), {});
    expect(names(ranked.hits)).toEqual(['ocean-b', 'ocean-a']);
    expect(ranked.hits[0]?.score).toBeGreaterThan(ranked.hits[1]?.score as number);
  });

  it('finds authors by name and by ORCID iD, and highlights both', () => {
    const withOrcid = createMiniSearchEngine([searchDocument({ name: 'orcid-model', authors: [{ name: 'Josiah Carberry', orcid: '0000-0002-1825-0097' }] })]);
    const byOrcid = withOrcid.search(query({ q: '0000-0002-1825-0097' }), {});
    expect(names(byOrcid.hits)).toEqual(['orcid-model']);
    expect(byOrcid.hits[0]?.highlights?.authors).toBe('Josiah Carberry (<mark>0000</mark>-<mark>0002</mark>-<mark>1825</mark>-<mark>0097</mark>)');
    expect(withOrcid.search(query({ q: 'carberry' }), {}).hits[0]?.highlights?.authors).toBe('Josiah <mark>Carberry</mark> (0000-0002-1825-0097)');
  });

  it('highlights each field q matched, HTML-escaped, and only those', () => {
    const [hit] = engine.search(query({ q: 'digit' }), {}).hits;
    expect(hit?.highlights).toEqual({ title: 'Handwritten <mark>digit</mark> classifier', keywords: 'vision, <mark>digits</mark>' });
    expect(highlight('<b>digit</b> & co', new Set(['digit']))).toBe('&lt;b&gt;<mark>digit</mark>&lt;/b&gt; &amp; co');
    expect(engine.search(query({ q: 'resnet50' }), {}).hits[0]?.highlights?.name).toBe('<mark>resnet_50</mark>');
    expect(engine.search(query({ q: 'resnet' }), {}).hits[0]?.highlights?.name).toBe('<mark>resnet</mark>_50');
    expect(engine.search(query({ filters: { framework: 'onnx' } }), {}).hits[0]?.highlights).toBeUndefined();
  });

  it('counts edits as MiniSearch\'s fuzzy search does (Levenshtein), for forgetting cached typo expansions', () => {
    expect(withinEdits('segmentation', 'segmentaton', 1)).toBe(true);
    expect(withinEdits('segmentation', 'segmentatoin', 1)).toBe(false);
    expect(withinEdits('wheat', 'wheats', 1)).toBe(true);
    expect(withinEdits('wheat', 'whet', 1)).toBe(true);
    expect(withinEdits('wheat', 'wheaten', 1)).toBe(false);
    expect(withinEdits('wheat', 'wheat', 0)).toBe(true);
  });

  it('indexes joined words whole beside their parts', () => {
    expect(tokenizeDocument('resnet_50 and mnist-cnn')).toEqual(['resnet', '50', 'and', 'mnist', 'cnn', 'resnet50', 'mnistcnn']);
  });

  const options = { boost: SEARCH_BOOSTS, prefix: prefixSearch, fuzzy: fuzzyDistance, weights: { prefix: 0.375, fuzzy: 0.45 }, bm25: { k: 1.2, b: 0.7, d: 0.5 } };
  const indexOf = (of: ReturnType<typeof createMiniSearchEngine>) => (of as unknown as { index: MiniSearch<SearchDocument> }).index;
  /** The statistics of an index whose documents all count as public: what MiniSearch itself assumes. */
  const allPublic = (index: MiniSearch<SearchDocument>) => {
    const statistics = new PublicStatistics(6);
    for (const [shortId, fieldLengths] of internalsOf(index)._fieldLength) statistics.track(shortId, fieldLengths, true);
    return statistics;
  };
  const QUERIES = ['digit', 'clasifier', 'segm', 'wheat regression', 'vision network', 'resnet-50'];

  it('scores as MiniSearch\'s own search does on an all-public corpus, through the internals it reads', () => {
    const index = indexOf(engine);
    const byShortId = internalsOf(index)._documentIds;
    for (const q of QUERIES) {
      for (const combineWith of ['AND', 'OR'] as const) {
        const expected = index.search(q, { combineWith }).map((hit) => [hit.id as string, hit.score.toFixed(9)]);
        const scored = scoreTerms(index, tokenizeQuery(q).map(processTerm), combineWith, options, allPublic(index));
        const actual = scored.ids.map((shortId) => [byShortId.get(shortId) as string, (scored.scores[shortId] as number).toFixed(9)]);
        expect(actual.sort()).toEqual(expected.sort());
        expect(actual.length).toBeGreaterThan(0);
        expect([...scored.reached].sort()).toEqual([...new Set(index.search(q, { combineWith }).flatMap((hit) => hit.terms))].sort());
      }
    }
  });

  it('scores a public model as MiniSearch does over the public models alone, whatever private models the index holds (review finding 14)', () => {
    const hidden = corpus.map((document) => ({ ...document, name: `hidden-${document.name}`, visibility: 'private' as const, owner: 'alice', title: `${document.title ?? ''} digit segmentation network regression`, description: 'vision '.repeat(20) }));
    const mixed = createMiniSearchEngine([...corpus, ...hidden]);
    const mixedIndex = indexOf(mixed);
    const publicOnly = indexOf(createMiniSearchEngine(corpus));
    for (const q of QUERIES) {
      const expected = publicOnly.search(q).map((hit) => [hit.id as string, hit.score.toFixed(9)]);
      const scored = scoreTerms(mixedIndex, tokenizeQuery(q).map(processTerm), 'AND', options, (mixed as unknown as { statistics: PublicStatistics }).statistics);
      const actual = scored.ids.map((shortId) => [internalsOf(mixedIndex)._documentIds.get(shortId) as string, (scored.scores[shortId] as number).toFixed(9)])
        .filter(([name]) => !(name as string).startsWith('hidden-'));
      expect(actual.sort(), q).toEqual(expected.sort());
    }
  });
});
