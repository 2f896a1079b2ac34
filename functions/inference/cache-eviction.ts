/** One bundle's folder in the model file cache, as eviction sees it. */
export interface CachedBundle {
  readonly key: string;
  /** Bytes its files take on disk. */
  readonly bytes: number;
  /** In use by a running prediction (or being unpacked): never evicted. */
  readonly pinned: boolean;
}

/**
 * Which bundles to evict so that `incoming` more bytes fit in `capacity`: the least recently used
 * first (`bundles` is in order of use, oldest first), skipping pinned ones, and no more than
 * needed. When even evicting every unpinned bundle leaves too little room, all of them are
 * evicted and the caller goes over capacity for as long as the pinned ones are in use (a
 * prediction in progress keeps its files). All sizes in bytes.
 */
export function bundlesToEvict(bundles: readonly CachedBundle[], incoming: number, capacity: number): string[] {
  let used = bundles.reduce((total, bundle) => total + bundle.bytes, 0);
  const evicted: string[] = [];
  for (const bundle of bundles) {
    if (used + incoming <= capacity) break;
    if (bundle.pinned) continue;
    evicted.push(bundle.key);
    used -= bundle.bytes;
  }
  return evicted;
}
