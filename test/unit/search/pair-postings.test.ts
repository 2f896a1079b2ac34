import { describe, expect, it } from 'vitest';
import { randomSource } from '../../../bench/support/synthetic-models';
import { PairPostings } from '../../../functions/search/minisearch/pair-postings';

describe('PairPostings', () => {
  it('answers every Map operation MiniSearch uses as a Map does, in ascending id order, without writing the snapshot array it reads', () => {
    const snapshot = Int32Array.from([99, 99, 2, 1, 5, 3, 9, 1, 99, 99]);
    const original = snapshot.slice();
    const postings = new PairPostings(snapshot, 2, 3);
    const reference = new Map([[2, 1], [5, 3], [9, 1]]);
    const random = randomSource(5);
    for (let step = 0; step < 2000; step += 1) {
      const key = Math.floor(random() * 40);
      const operation = random();
      if (operation < 0.45) {
        postings.set(key, step);
        reference.set(key, step);
      } else if (operation < 0.8) expect(postings.delete(key)).toBe(reference.delete(key));
      else expect([postings.get(key), postings.has(key)]).toEqual([reference.get(key), reference.has(key)]);
      expect(postings.size).toBe(reference.size);
    }
    expect([...postings]).toEqual([...reference].sort(([a], [b]) => a - b));
    expect([...postings.keys()]).toEqual([...reference.keys()].sort((a, b) => a - b));
    expect(snapshot).toEqual(original);
    postings.clear();
    expect(postings.size).toBe(0);
  });
});
