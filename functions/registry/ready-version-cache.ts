import { LRUCache } from 'lru-cache';
import type { Actor } from '../identity/actor';
import type { ModelRecord } from './model-records';
import type { VersionRecord } from '../versions/version-records';

export interface ReadyVersion {
  readonly model: ModelRecord;
  readonly version: VersionRecord;
}

type Lookup<T extends ReadyVersion> = (actor: Actor, name: string, requested?: number) => Promise<T>;

/** A remembering lookup; `forget` drops what it holds for one caller, name and version, e.g. once it proved stale. */
export type CachedLookup<T extends ReadyVersion> = Lookup<T> & { forget: (actor: Actor, name: string, requested?: number) => void };

export interface ReadyVersionCacheOptions<T extends ReadyVersion> {
  readonly ttlMs: number;
  readonly max?: number;
  /**
   * Whether an answer may be kept: one that can go stale in a way no later step would notice (a
   * version waiting for a deployment another function is making) is looked up anew each time.
   * Everything by default.
   */
  readonly keep?: (found: T) => boolean;
}

/**
 * Remembers, for a few seconds, which version a caller's predictions run on, so a stream of
 * predictions costs no table reads. Only granted lookups are kept: a new model or version is seen
 * at once, while a revoked grant or a newer upload takes effect within `ttlMs` on a warm function.
 * The cache is per process (per Lambda instance): nothing another function does can clear it,
 * which is why `keep` leaves out what must be seen at once.
 */
export function cacheReadyVersions<T extends ReadyVersion>(lookup: Lookup<T>, options: ReadyVersionCacheOptions<T>): CachedLookup<T> {
  if (options.ttlMs <= 0) return Object.assign((actor: Actor, name: string, requested?: number) => lookup(actor, name, requested), { forget: () => undefined });
  const cache = new LRUCache<string, Promise<T>>({ max: options.max ?? 1000, ttl: options.ttlMs });
  const keyOf = (actor: Actor, name: string, requested?: number) => `${actor.anonymous ? '' : actor.id}\n${name}\n${requested ?? 'latest'}`;
  const cached = (actor: Actor, name: string, requested?: number): Promise<T> => {
    const key = keyOf(actor, name, requested);
    const held = cache.get(key);
    if (held) return held;
    const pending = lookup(actor, name, requested);
    cache.set(key, pending);
    pending.then((found) => {
      if (options.keep && !options.keep(found) && cache.peek(key) === pending) cache.delete(key);
    }, () => {
      if (cache.peek(key) === pending) cache.delete(key);
    });
    return pending;
  };
  return Object.assign(cached, { forget: (actor: Actor, name: string, requested?: number) => void cache.delete(keyOf(actor, name, requested)) });
}
