import { describe, expect, it } from 'vitest';
import { servingLines } from '../../cli/serving-lines';

describe('what mlhub push says of the serving path (review 14b finding 12)', () => {
  it('names the path and framework, the reason when nothing can serve it, and any warning', () => {
    expect(servingLines({ path: 'deployable', framework: 'sklearn' })).toBe('\nserving: deployable (sklearn): mlhub deploy runs it on its own endpoint');
    expect(servingLines({ path: 'none', reason: 'A scikit-learn model is a pickle…' })).toBe('\nserving: none: A scikit-learn model is a pickle…');
    expect(servingLines({ path: 'deployable', framework: 'sklearn', warning: 'The pickle was written by scikit-learn 1.6.1' }))
      .toBe('\nserving: deployable (sklearn): mlhub deploy runs it on its own endpoint\nwarning: The pickle was written by scikit-learn 1.6.1');
    expect(servingLines({ path: 'builtin' })).toMatch(/^\nserving: builtin/);
    expect(servingLines(null)).toBe('');
  });
});
