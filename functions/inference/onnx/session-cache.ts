import { LRUCache } from 'lru-cache';
import type { InferenceSession } from 'onnxruntime-node';

interface Entry {
  readonly session: Promise<InferenceSession>;
  /** Estimated bytes of memory the loaded session takes. */
  readonly bytes: number;
  users: number;
  evicted: boolean;
}

/**
 * Loaded ONNX Runtime sessions by key (bundle sha256 and model file), kept within a memory budget
 * in bytes: each session counts its estimated size, given when it is first asked for, and the
 * least recently used are dropped beyond the budget (lru-cache's maxSize). A session larger than
 * the whole budget is loaded for its requests and not kept. A dropped session is released only
 * once no prediction is still running on it.
 */
export class SessionCache {
  private readonly entries: LRUCache<string, Entry>;

  constructor(maxBytes: number) {
    this.entries = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (entry) => Math.max(1, entry.bytes),
      dispose: (entry) => this.drop(entry),
    });
  }

  /**
   * Runs `use` on the session for `key`, loading it once however many requests ask at the same
   * time; `bytes` is its estimated memory, used when it is loaded.
   */
  async with<T>(key: string, bytes: number, load: () => Promise<InferenceSession>, use: (session: InferenceSession) => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { session: load(), bytes, users: 0, evicted: false };
      this.entries.set(key, entry);
      // Too large to keep: lru-cache stored nothing, so it is released after this use.
      if (this.entries.get(key) !== entry) entry.evicted = true;
      const loading = entry;
      // A failed load is not cached: the next request tries again.
      loading.session.catch(() => {
        if (this.entries.peek(key) === loading) this.entries.delete(key);
      });
    }
    entry.users += 1;
    try {
      return await use(await entry.session);
    } finally {
      entry.users -= 1;
      if (entry.evicted && entry.users === 0) await this.release(entry);
    }
  }

  /** Sessions kept. */
  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes of the sessions kept. */
  get bytes(): number {
    return this.entries.calculatedSize;
  }

  private drop(entry: Entry): void {
    entry.evicted = true;
    if (entry.users === 0) void this.release(entry);
  }

  private async release(entry: Entry): Promise<void> {
    try {
      await (await entry.session).release();
    } catch {
      // A session that failed to load, or is already gone, has nothing to release.
    }
  }
}
