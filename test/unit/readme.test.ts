import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiTableMarkdown } from '../../scripts/api-table';
import { SEARCH_PARAMETERS } from '../../functions/search/search-parameters';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the run and test commands first', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toContain('npm ci && npm start');
    expect(firstBlock).toContain('npm ci && npm test');
  });

  it('names every parameter that turns GET /models from the array into the search object, and no other', () => {
    const sentence = /a client reads the shape from the\s+parameters it sends \(any of ([^)]*) means the object\)/.exec(readme)?.[1] ?? '';
    const named = [...sentence.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);
    expect(named.sort()).toEqual([...SEARCH_PARAMETERS].sort());
  });

  it('carries the API table generated from the route table', () => {
    const table = /<!-- api-table:start[^>]*-->\n([\s\S]*?)\n<!-- api-table:end -->/.exec(readme)?.[1];
    expect(table).toBe(apiTableMarkdown());
  });
});
