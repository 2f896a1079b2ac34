import { describe, expect, it } from 'vitest';
import { copyPlan, copySource, MAX_PARTS, MIN_PART_BYTES, type Segment } from '../../../functions/jobs/outputs/object-concatenation';

const range = (key: string, length: number): Segment => ({ key, start: 0, end: length });
const bytes = (length: number): Segment => ({ bytes: new Uint8Array(length) });

describe('the multipart copy plan', () => {
  it('copies ranges of at least 5 MiB and uploads a tail under 5 MiB as the last part', () => {
    expect(copyPlan([range('a', MIN_PART_BYTES), range('b', MIN_PART_BYTES + 1), range('c', 10), bytes(100)])).toEqual({
      copies: [range('a', MIN_PART_BYTES), range('b', MIN_PART_BYTES + 1)],
      tail: [range('c', 10), bytes(100)],
    });
    expect(copyPlan([range('a', MIN_PART_BYTES)])).toEqual({ copies: [range('a', MIN_PART_BYTES)], tail: [] });
    // A lone stored range at the end is copied, whatever its size: the last part has no minimum.
    expect(copyPlan([range('a', MIN_PART_BYTES), range('b', 10)])).toEqual({ copies: [range('a', MIN_PART_BYTES), range('b', 10)], tail: [] });
  });

  it('streams instead when a small range comes before a big one, the tail reaches 5 MiB, or nothing is big', () => {
    expect(copyPlan([range('a', MIN_PART_BYTES), range('b', 10), range('c', MIN_PART_BYTES)])).toBeUndefined();
    expect(copyPlan([range('a', MIN_PART_BYTES), range('b', MIN_PART_BYTES - 1), bytes(1)])).toBeUndefined();
    expect(copyPlan([range('a', 10), bytes(10)])).toBeUndefined();
    expect(copyPlan([bytes(4), range('a', MIN_PART_BYTES)])).toBeUndefined();
  });

  it('streams instead when the parts would exceed S3\'s 10,000', () => {
    const many = Array.from({ length: MAX_PARTS }, (_, index) => range(String(index), MIN_PART_BYTES));
    expect(copyPlan(many)?.copies).toHaveLength(MAX_PARTS);
    expect(copyPlan([...many, bytes(1)])).toBeUndefined();
  });

  it('names the copy source with each path segment URL-encoded', () => {
    expect(copySource('bucket', 'jobs/a b/ü+1.csv')).toBe('bucket/jobs/a%20b/%C3%BC%2B1.csv');
  });
});
