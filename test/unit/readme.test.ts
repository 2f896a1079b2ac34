import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiTableMarkdown } from '../../scripts/api-table';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the run and test commands first', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toContain('npm ci && npm start');
    expect(firstBlock).toContain('npm ci && npm test');
  });

  it('carries the API table generated from the route table', () => {
    const table = /<!-- api-table:start[^>]*-->\n([\s\S]*?)\n<!-- api-table:end -->/.exec(readme)?.[1];
    expect(table).toBe(apiTableMarkdown());
  });
});
