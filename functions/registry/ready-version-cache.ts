import { LRUCache } from 'lru-cache';
import type { Actor } from '../identity/actor';
import type { ModelRecord } from './model-records';
import type { VersionRecord } from '../versions/version-records';

export interface ReadyVersion {
  readonly model: ModelRecord;
  readonly version: VersionRecord;
}

type Lookup = (actor: Actor, name: string, requested?: number) => Promise<ReadyVersion>;

/**
 * Remembers, for a few seconds, which version a caller's predictions run on, so a stream of
 * predictions costs no table reads. Only granted lookups are kept: a new model or version is seen
 * at once, while a revoked grant or a newer upload takes effect within `ttlMs` on a warm function.
 */
export function cacheReadyVersions(lookup: Lookup, options: { ttlMs: number; max?: number }): Lookup {
  if (options.ttlMs <= 0) return lookup;
  const cache = new LRUCache<string, Promise<ReadyVersion>>({ max: options.max ?? 1000, ttl: options.ttlMs });
  return (actor, name, requested) => {
    const key = `${actor.anonymous ? '' : actor.id}\n${name}\n${requested ?? 'latest'}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const pending = lookup(actor, name, requested);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
    return pending;
  };
}
