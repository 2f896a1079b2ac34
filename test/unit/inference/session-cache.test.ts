import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SessionCache } from '../../../functions/inference/onnx/session-cache';

/** A loaded session as the cache sees it: something to release. */
function session(name: string, released: string[]): InferenceSession {
  return { release: async () => { released.push(name); } } as unknown as InferenceSession;
}

describe('SessionCache', () => {
  it('keeps sessions within its bytes, dropping and releasing the least recently used', async () => {
    const released: string[] = [];
    const loads: string[] = [];
    const cache = new SessionCache(100);
    const use = (key: string, bytes: number) => cache.with(key, bytes, async () => { loads.push(key); return session(key, released); }, async () => key);
    await use('a', 40);
    await use('b', 40);
    await use('a', 40);
    expect(cache.bytes).toBe(80);
    await use('c', 40);
    // b was the least recently used; a and c stay.
    expect(released).toEqual(['b']);
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBe(80);
    await use('a', 40);
    expect(loads).toEqual(['a', 'b', 'c']);
  });

  it('counts bytes, not sessions: many small ones fit where one large one would not', async () => {
    const released: string[] = [];
    const cache = new SessionCache(100);
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) await cache.with(key, 10, async () => session(key, released), async () => key);
    expect(cache.size).toBe(10);
    expect(released).toEqual([]);
    await cache.with('big', 95, async () => session('big', released), async () => 'big');
    expect(cache.size).toBe(1);
    expect(released).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  });

  it('runs a session larger than the whole budget and releases it afterwards without keeping it', async () => {
    const released: string[] = [];
    const cache = new SessionCache(100);
    await cache.with('small', 30, async () => session('small', released), async () => 'small');
    await expect(cache.with('huge', 500, async () => session('huge', released), async () => 'ran')).resolves.toBe('ran');
    expect(released).toEqual(['huge']);
    expect(cache.size).toBe(1);
  });

  it('releases a dropped session only once the prediction running on it is done', async () => {
    const released: string[] = [];
    const cache = new SessionCache(50);
    let finish!: () => void;
    const running = cache.with('a', 40, async () => session('a', released), () => new Promise<string>((resolve) => { finish = () => resolve('a done'); }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await cache.with('b', 40, async () => session('b', released), async () => 'b');
    expect(released).toEqual([]);
    finish();
    await expect(running).resolves.toBe('a done');
    expect(released).toEqual(['a']);
  });

  it('does not keep a session that failed to load', async () => {
    const cache = new SessionCache(100);
    await expect(cache.with('a', 10, () => Promise.reject(new Error('bad model')), async () => 'never')).rejects.toThrow('bad model');
    expect(cache.size).toBe(0);
    await expect(cache.with('a', 10, async () => session('a', []), async () => 'loaded')).resolves.toBe('loaded');
  });
});
