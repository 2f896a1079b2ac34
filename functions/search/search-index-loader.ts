import { LiveSearchIndex, type LiveIndexDeps } from './live-search-index';
import type { SearchEngine } from './search-engine';
import type { PointerRead } from './search-snapshots';

/** How often at most a search function asks S3 whether the pointer moved (a conditional GET). */
export const POINTER_CHECK_INTERVAL_MS = 5_000;

/** What the last refresh did, for logs and tests. */
export interface LoaderState {
  readonly sequence: number;
  readonly origin: LiveSearchIndex['origin'];
  readonly documents: number;
}

/**
 * The search index a search function answers from (issue 13, "one engine, two homes"): loaded
 * at the first call from the snapshot the pointer names; then on each call, at most every
 * POINTER_CHECK_INTERVAL_MS, the pointer is checked with If-None-Match (304: keep), a newer
 * snapshot replacing the index; and on every call the change log's entries past the index are
 * applied (one strongly consistent Query), so a change recorded before a write answered is in the
 * next search. With no pointer, a pointer or snapshot S3 cannot read, a snapshot missing, corrupt
 * or of another format, or the log trimmed past the index, it rebuilds from the table instead.
 *
 * Calls are serialized: one refresh runs at a time, and a call that arrives while one runs waits
 * for the next, which every call arriving meanwhile shares (so a rebuild happens once, not once
 * per concurrent call, and no call is answered by a refresh that began before it arrived).
 */
export class SearchIndexLoader {
  private current: LiveSearchIndex | undefined;
  private pointerEtag: string | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private tail: Promise<unknown> = Promise.resolve();
  private waiting: Promise<SearchEngine> | undefined;

  constructor(private readonly deps: LiveIndexDeps & {
    readonly pointerCheckMs?: number;
    readonly onLoaded?: (state: LoaderState) => void;
    /** A pointer check that failed while an index was in hand (it goes on serving from the log). */
    readonly onPointerError?: (error: Error) => void;
  }) {}

  /** The index, current as of this call. @throws what the table threw (a rebuild failed too); the next call tries again. */
  index(): Promise<SearchEngine> {
    if (this.waiting) return this.waiting;
    const run = this.tail.catch(() => undefined).then(() => {
      this.waiting = undefined;
      return this.refresh();
    });
    this.waiting = run;
    this.tail = run;
    return run;
  }

  /** The index's state now (undefined before the first load). */
  state(): LoaderState | undefined {
    const current = this.current;
    return current && { sequence: current.sequence, origin: current.origin, documents: current.engine.size };
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private async refresh(): Promise<SearchEngine> {
    if (!this.current) await this.checkPointer();
    else if (this.now() - this.checkedAt >= (this.deps.pointerCheckMs ?? POINTER_CHECK_INTERVAL_MS)) {
      // With an index in hand, S3 failing only delays a newer snapshot: the log still brings every change.
      await this.checkPointer().catch((error: unknown) => {
        this.checkedAt = this.now();
        this.deps.onPointerError?.(error as Error);
      });
    }
    let current = this.current as LiveSearchIndex;
    if ((await current.catchUp()).status === 'stale') {
      // The log no longer reaches back to this index (or is behind it): a newer snapshot, or the table.
      this.pointerEtag = undefined;
      await this.checkPointer().catch((error: unknown) => this.deps.onPointerError?.(error as Error));
      current = this.current as LiveSearchIndex;
      const again = await current.catchUp();
      if (again.status === 'stale') {
        current = await this.rebuild(again.reason);
        await current.catchUp();
      }
    }
    return current.engine;
  }

  /** Reads the pointer (conditionally once one was read) and loads the snapshot it names when it is newer than the index. */
  private async checkPointer(): Promise<void> {
    let read: PointerRead;
    try {
      read = await this.deps.snapshots.readPointer(this.current ? this.pointerEtag : undefined);
    } catch (error) {
      // With an index in hand the log still brings every change; without one, the table is the
      // truth: an error S3 answers for this object may be for ever (damaged metadata locally).
      if (this.current) throw error;
      await this.rebuild(`the snapshot pointer could not be read (${(error as Error).message})`);
      return;
    }
    this.checkedAt = this.now();
    if (read.status === 'unchanged') return;
    if (read.status === 'missing') {
      if (!this.current) await this.rebuild('no snapshot pointer');
      return;
    }
    this.pointerEtag = read.etag;
    if (this.current && read.pointer.sequence <= this.current.sequence) return;
    const loaded = await LiveSearchIndex.fromPointer(this.deps, read.pointer);
    if (loaded instanceof LiveSearchIndex) this.use(loaded);
    else if (!this.current) await this.rebuild(loaded.unusable);
  }

  private async rebuild(reason: string): Promise<LiveSearchIndex> {
    return this.use(await LiveSearchIndex.rebuild(this.deps, reason));
  }

  private use(index: LiveSearchIndex): LiveSearchIndex {
    this.current = index;
    this.deps.onLoaded?.({ sequence: index.sequence, origin: index.origin, documents: index.engine.size });
    return index;
  }
}
