import { LiveSearchIndex, type LiveIndexDeps } from './live-search-index';
import type { SnapshotPointer } from './search-snapshots';

/** When the indexer writes a snapshot: after this many changes applied, or this long after the last one, whichever comes first. */
export interface SnapshotPolicy {
  readonly everyChanges: number;
  readonly everyMs: number;
}

/**
 * Readers catch up from the log, so a snapshot needs to be only as recent as a cold start can
 * afford to read entries (a query returns about a thousand small entries per page): every 1000
 * changes, or 5 minutes after a change.
 */
export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { everyChanges: 1000, everyMs: 300_000 };

/** What one batch did. */
export interface IndexingReport {
  /** Names whose change could not be recorded: the stream gives their records back. */
  readonly failed: readonly string[];
  readonly recorded: number;
  readonly sequence: number;
  readonly documents: number;
  readonly snapshot?: SnapshotPointer;
  readonly trimmed?: number;
  /** Why the index or its snapshot could not be kept this time (the log entries stand). */
  readonly indexError?: Error;
}

/**
 * The indexer (issue 13): one at a time (the stack gives it a concurrency of one), it turns each
 * batch of table changes into change-log entries, keeps the whole index in memory across
 * invocations, and now and then writes it as a snapshot and moves the pointer to it, then trims
 * the log entries the snapshot before it covered (readers still on that one keep catching up;
 * readers older than that find the log trimmed past them and load the new pointer) and deletes
 * the snapshot before that one.
 */
export class SearchIndexer {
  private index: LiveSearchIndex | undefined;
  private starting: Promise<LiveSearchIndex> | undefined;
  private changesSinceSnapshot = 0;
  private snapshotAt = 0;
  /** The pointers written or found, newest last: the one before the current one is still served. */
  private pointers: SnapshotPointer[] = [];

  constructor(private readonly deps: LiveIndexDeps & { readonly policy?: SnapshotPolicy }) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /**
   * The index: on the first call, the snapshot the pointer names caught up from the log; with none
   * usable (no pointer, a pointer or snapshot S3 cannot read, missing, corrupt, other format,
   * trimmed past), a rebuild from the table, written as a snapshot (and the pointer moved to it)
   * at once. `rebuild` skips the snapshot and rebuilds for that reason: for a log known to have
   * missed changes (the local runtime after an unclean stop, local/runtime.ts).
   * @throws what the table or S3 threw rebuilding or writing the snapshot; the next call tries again
   */
  start(options: { readonly rebuild?: string } = {}): Promise<LiveSearchIndex> {
    if (this.index && options.rebuild === undefined) return Promise.resolve(this.index);
    // One start however many callers ask at once (locally, the runtime's warm-up and a first batch).
    this.starting ??= this.open(options.rebuild).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async open(forced: string | undefined): Promise<LiveSearchIndex> {
    const read = forced === undefined
      ? await this.deps.snapshots.readPointer().catch((error: unknown) => ({ status: 'unreadable', error: error as Error }) as const)
      : { status: 'forced' } as const;
    let index: LiveSearchIndex | undefined;
    let reason = forced ?? 'no snapshot pointer';
    if (read.status === 'unreadable') reason = `the snapshot pointer could not be read (${read.error.message})`;
    if (read.status === 'found') {
      const loaded = await LiveSearchIndex.fromPointer(this.deps, read.pointer);
      if (loaded instanceof LiveSearchIndex) {
        const caught = await loaded.catchUp();
        // Only a snapshot in use counts as the previous one: trimming the log through a damaged
        // pointer's sequence (ahead of the log) would cut entries no snapshot holds.
        if (caught.status === 'current') {
          index = loaded;
          this.pointers = [read.pointer];
        } else {
          reason = caught.reason;
        }
      } else {
        reason = loaded.unusable;
      }
    }
    this.snapshotAt = this.now();
    if (!index) {
      index = await LiveSearchIndex.rebuild(this.deps, reason);
      await index.catchUp();
      this.index = index;
      // Due at once, and again at the next batch should this one fail.
      this.changesSinceSnapshot = Number.POSITIVE_INFINITY;
      await this.snapshot();
    }
    this.index = index;
    return index;
  }

  /**
   * Records each name's current state in the log (its collection read after its sequence was
   * taken), then applies the log to the index and writes a snapshot when the policy says so (or
   * `forceSnapshot`). A name whose entry could not be written is reported in `failed`, not thrown:
   * the others stand, and the stream gives back only its records. Keeping the index and its
   * snapshots is reported in `indexError` instead of failing the batch: the log is what searches
   * read, complete without it, and the next batch catches the index up from the log anyway, so
   * holding the stream back for it would only delay every later change.
   */
  async indexModels(names: readonly string[], options: { readonly forceSnapshot?: boolean } = {}): Promise<IndexingReport> {
    // The log first: it needs no index, and is what every search reads.
    const distinct = [...new Set(names)];
    const outcomes = await Promise.allSettled(distinct.map((name) => this.deps.log.record(name)));
    const failed = distinct.filter((_name, i) => outcomes[i]?.status === 'rejected');
    const recorded = distinct.length - failed.length;
    try {
      return { failed, recorded, ...(await this.maintain(options.forceSnapshot === true)) };
    } catch (error) {
      return { failed, recorded, sequence: this.index?.sequence ?? 0, documents: this.index?.engine.size ?? 0, indexError: error as Error };
    }
  }

  /** Catches the index up from the log (rebuilding it when the log was trimmed past it), and writes a snapshot when due. */
  private async maintain(forceSnapshot: boolean): Promise<Pick<IndexingReport, 'sequence' | 'documents' | 'snapshot' | 'trimmed'>> {
    let current = await this.start();
    const caught = await current.catchUp();
    if (caught.status === 'stale') {
      current = await LiveSearchIndex.rebuild(this.deps, caught.reason);
      await current.catchUp();
      this.index = current;
      this.changesSinceSnapshot = Number.POSITIVE_INFINITY;
    } else {
      this.changesSinceSnapshot += caught.applied;
    }
    const policy = this.deps.policy ?? DEFAULT_SNAPSHOT_POLICY;
    const due = forceSnapshot || this.changesSinceSnapshot >= policy.everyChanges
      || (this.changesSinceSnapshot > 0 && this.now() - this.snapshotAt >= policy.everyMs);
    const written = due ? await this.snapshot() : undefined;
    return { sequence: current.sequence, documents: current.engine.size, ...(written ? { snapshot: written.pointer, trimmed: written.trimmed } : {}) };
  }

  /** Writes the index as a snapshot, moves the pointer, trims the log through the previous snapshot, and deletes the one before it. */
  private async snapshot(): Promise<{ pointer: SnapshotPointer; trimmed: number }> {
    const index = this.index as LiveSearchIndex;
    const pointer = await this.deps.snapshots.write(index.engine.serialize(), { format: this.deps.engine.format, sequence: index.sequence, documents: index.engine.size }, new Date(this.now()));
    this.pointers.push(pointer);
    this.changesSinceSnapshot = 0;
    this.snapshotAt = this.now();
    const previous = this.pointers.at(-2);
    const trimmed = previous ? await this.deps.log.trimThrough(previous.sequence) : 0;
    for (const old of this.pointers.slice(0, -2)) await this.deps.snapshots.deleteSnapshot(old.key);
    this.pointers = this.pointers.slice(-2);
    return { pointer, trimmed };
  }
}
