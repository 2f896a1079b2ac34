import { describe, expect, it } from 'vitest';
import { searchPages, searchPath, searchTable } from '../../cli/search-command';
import type { SearchAnswer } from '../../cli/api-types';

const facets = { author: [], owner: [], framework: [], task: [], license: [], keyword: [], discipline: [] };
const hit = (model: string, extra: Partial<SearchAnswer['hits'][number]> = {}): SearchAnswer['hits'][number] => ({
  model, type: 'ONNX', framework: 'ONNX', title: null, authors: [], description: null, keywords: [], license: null, task: null, discipline: null, owner: 'olive',
  visibility: 'public', created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z', latest_version: 1, doi: null, concept_doi: null,
  published: false, downloads: 0, predictions: 0, ...extra,
});

describe('mlhub search', () => {
  it('asks GET /models with q and each option as its parameter; with neither, sort=updated so that it is a search', () => {
    expect(searchPath('digit classifier', { framework: 'onnx', author: 'Ada Lovelace' }, { limit: 5 })).toBe('/models?q=digit+classifier&author=Ada+Lovelace&framework=onnx&limit=5');
    expect(searchPath(undefined, { license: 'MIT', keyword: 'mnist', sort: 'downloads' })).toBe('/models?license=MIT&keyword=mnist&sort=downloads');
    expect(searchPath('  ', {})).toBe('/models?sort=updated');
    expect(searchPath(undefined, {
      owner: 'ada', task: 'regression', discipline: 'Biology', published: 'true', hasDoi: 'false', updatedSince: '2026-01-31', direction: 'asc', mine: true,
    }, { cursor: 'c' })).toBe('/models?owner=ada&task=regression&discipline=Biology&published=true&has_doi=false&updated_since=2026-01-31&direction=asc&mine=1&cursor=c');
  });

  it('prints a table of name, title, framework, latest version and DOI, then the count and the facets', () => {
    const table = searchTable({
      hits: [hit('mnist', { title: 'Digits', doi: '10.5072/mlhub.mnist.v1' }), hit('draft', { type: 'ONNX', framework: 'PyTorch', latest_version: null })],
      total: 7,
      facets: { ...facets, framework: [{ value: 'ONNX', count: 5 }, { value: 'PyTorch', count: 2 }], license: [{ value: 'MIT', count: 4 }] },
      next_cursor: 'c',
    });
    expect(table.split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+TITLE\s+FRAMEWORK\s+LATEST\s+DOI$/),
      expect.stringMatching(/^mnist\s+Digits\s+ONNX\s+v1\s+10\.5072\/mlhub\.mnist\.v1$/),
      expect.stringMatching(/^draft\s+PyTorch\s+-$/),
      '',
      '2 of 7 models (more: --all, a larger --limit, or --cursor c for the next ones)',
      '  framework: ONNX (5), PyTorch (2)',
      '  license: MIT (4)',
    ]);
    expect(searchTable({ hits: [], total: 0, facets, next_cursor: null })).toBe('No models found.');
  });

  it('follows next_cursor until --limit hits (pages of at most 100) or, with --all, the last page; one page with neither', async () => {
    const asked: string[] = [];
    const pages = (count: number) => async (path: string) => {
      asked.push(path);
      const query = new URLSearchParams(path.split('?')[1]);
      const from = Number(query.get('cursor') ?? 0);
      const size = Number(query.get('limit') ?? 50);
      const to = Math.min(count, from + size);
      return { hits: Array.from({ length: to - from }, (_, i) => hit(`m${from + i}`)), total: count, facets, next_cursor: to < count ? String(to) : null };
    };
    const some = await searchPages(pages(260), 'x', { limit: 230 });
    expect(some.hits.map((h) => h.model)).toEqual(Array.from({ length: 230 }, (_, i) => `m${i}`));
    expect(some).toMatchObject({ total: 260, next_cursor: '230' });
    expect(asked).toEqual(['/models?q=x&limit=100', '/models?q=x&limit=100&cursor=100', '/models?q=x&limit=30&cursor=200']);
    asked.length = 0;
    const all = await searchPages(pages(260), 'x', { all: true, cursor: '10' });
    expect(all.hits).toHaveLength(250);
    expect(all.next_cursor).toBeNull();
    expect(asked).toEqual(['/models?q=x&limit=100&cursor=10', '/models?q=x&limit=100&cursor=110', '/models?q=x&limit=100&cursor=210']);
    asked.length = 0;
    expect((await searchPages(pages(260), 'x', {})).hits).toHaveLength(50);
    expect(asked).toEqual(['/models?q=x']);
  });
});
