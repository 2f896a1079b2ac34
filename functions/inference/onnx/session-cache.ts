import type { InferenceSession } from 'onnxruntime-node';

interface Entry {
  readonly session: Promise<InferenceSession>;
  users: number;
  evicted: boolean;
}

/**
 * Loaded ONNX Runtime sessions by bundle sha256, the least recently used dropped beyond a
 * limit. A dropped session is released only once no prediction is still running on it.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limit: number) {}

  /** Runs `use` on the session for `key`, loading it once however many requests ask at the same time. */
  async with<T>(key: string, load: () => Promise<InferenceSession>, use: (session: InferenceSession) => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      entry = { session: load(), users: 0, evicted: false };
      this.entries.set(key, entry);
      const loading = entry;
      // A failed load is not cached: the next request tries again.
      loading.session.catch(() => {
        if (this.entries.get(key) === loading) this.entries.delete(key);
      });
      this.evictBeyondLimit();
    }
    entry.users += 1;
    try {
      return await use(await entry.session);
    } finally {
      entry.users -= 1;
      if (entry.evicted && entry.users === 0) await this.release(entry);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private evictBeyondLimit(): void {
    while (this.entries.size > this.limit) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldestKey);
      oldest.evicted = true;
      if (oldest.users === 0) void this.release(oldest);
    }
  }

  private async release(entry: Entry): Promise<void> {
    try {
      await (await entry.session).release();
    } catch {
      // A session that failed to load, or is already gone, has nothing to release.
    }
  }
}
