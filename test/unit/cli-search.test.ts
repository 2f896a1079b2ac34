import { describe, expect, it } from 'vitest';
import { searchPath, searchTable } from '../../cli/search-command';
import type { SearchAnswer } from '../../cli/api-types';

const facets = { author: [], owner: [], framework: [], task: [], license: [], keyword: [], discipline: [] };
const hit = (model: string, extra: Partial<SearchAnswer['hits'][number]> = {}): SearchAnswer['hits'][number] => ({
  model, type: 'ONNX', title: null, authors: [], description: null, keywords: [], license: null, task: null, discipline: null, owner: 'olive',
  visibility: 'public', created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z', latest_version: 1, doi: null, concept_doi: null,
  published: false, downloads: 0, predictions: 0, ...extra,
});

describe('mlhub search', () => {
  it('asks GET /models with q and each option as its parameter; with neither, sort=updated so that it is a search', () => {
    expect(searchPath('digit classifier', { framework: 'onnx', author: 'Ada Lovelace', limit: 5 })).toBe('/models?q=digit+classifier&author=Ada+Lovelace&framework=onnx&limit=5');
    expect(searchPath(undefined, { license: 'MIT', keyword: 'mnist', sort: 'downloads' })).toBe('/models?license=MIT&keyword=mnist&sort=downloads');
    expect(searchPath('  ', {})).toBe('/models?sort=updated');
  });

  it('prints a table of name, title, framework, latest version and DOI, then the count and the facets', () => {
    const table = searchTable({
      hits: [hit('mnist', { title: 'Digits', doi: '10.5072/mlhub.mnist.v1' }), hit('draft', { type: 'PyTorch', latest_version: null })],
      total: 7,
      facets: { ...facets, framework: [{ value: 'ONNX', count: 5 }, { value: 'PyTorch', count: 2 }], license: [{ value: 'MIT', count: 4 }] },
      next_cursor: 'c',
    });
    expect(table.split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+TITLE\s+FRAMEWORK\s+LATEST\s+DOI$/),
      expect.stringMatching(/^mnist\s+Digits\s+ONNX\s+v1\s+10\.5072\/mlhub\.mnist\.v1$/),
      expect.stringMatching(/^draft\s+PyTorch\s+-$/),
      '',
      '2 of 7 models (more: raise --limit, up to 100)',
      '  framework: ONNX (5), PyTorch (2)',
      '  license: MIT (4)',
    ]);
    expect(searchTable({ hits: [], total: 0, facets, next_cursor: null })).toBe('No models found.');
  });
});
