import { HOLE_PATIENCE_MS, type SearchChange, type SearchChangeLog } from './search-change-log';
import type { SearchEngine } from './search-engine';
import type { SearchEngineKind } from './search-engine-factory';
import { CorruptSnapshotError, type SearchSnapshots, type SnapshotPointer } from './search-snapshots';

/** Where an index came from: a snapshot (its pointer) or a scan of the table. */
export type IndexOrigin = { readonly kind: 'snapshot'; readonly pointer: SnapshotPointer } | { readonly kind: 'rebuilt'; readonly reason: string };

/** What a catch-up found: the changes applied, or that the log no longer reaches back to the index (trimmed past it). */
export type CatchUp = { readonly status: 'current'; readonly applied: number } | { readonly status: 'stale'; readonly reason: string };

export interface LiveIndexDeps {
  readonly engine: SearchEngineKind;
  readonly log: SearchChangeLog;
  readonly snapshots: SearchSnapshots;
  readonly now?: () => number;
}

/**
 * An engine and the log sequence it holds every change up to (its mark), kept current by
 * applying the change log (functions/search/search-change-log.ts). The search functions' loader
 * and the indexer each hold one.
 */
export class LiveSearchIndex {
  /** A hole in the log just above the mark: its sequence and when it was first seen open. */
  private hole: { readonly sequence: number; readonly since: number } | undefined;

  private constructor(
    private readonly deps: LiveIndexDeps,
    readonly engine: SearchEngine,
    private mark: number,
    readonly origin: IndexOrigin,
  ) {}

  /** Every change up to this sequence is in the engine. */
  get sequence(): number {
    return this.mark;
  }

  /**
   * The index the pointer names, or the reason it cannot serve: a snapshot of another format,
   * missing, corrupt (not gzip, or the engine refuses its bytes), or unreadable (S3 answered an
   * error). An unreadable one is rebuilt from the table like a corrupt one: an error S3 answers
   * for one object may be for ever (damaged metadata locally), and the table holds the truth.
   */
  static async fromPointer(deps: LiveIndexDeps, pointer: SnapshotPointer): Promise<LiveSearchIndex | { readonly unusable: string }> {
    if (pointer.format !== deps.engine.format) return { unusable: `the snapshot is of format ${pointer.format}, not ${deps.engine.format}` };
    let content: Awaited<ReturnType<SearchSnapshots['readSnapshot']>>;
    try {
      content = await deps.snapshots.readSnapshot(pointer.key);
    } catch (error) {
      if (error instanceof CorruptSnapshotError) return { unusable: `the snapshot ${pointer.key} is corrupt (${error.message})` };
      return { unusable: `the snapshot ${pointer.key} could not be read (${(error as Error).message})` };
    }
    if (!content) return { unusable: `the snapshot ${pointer.key} is missing` };
    // A pointer naming an older (or newer) snapshot than its sequence says would skip changes for good.
    if (content.sequence !== pointer.sequence) return { unusable: `the pointer says sequence ${pointer.sequence} but the snapshot ${pointer.key} holds ${content.sequence}` };
    try {
      return new LiveSearchIndex(deps, deps.engine.load(content.bytes), pointer.sequence, { kind: 'snapshot', pointer });
    } catch (error) {
      return { unusable: `the snapshot ${pointer.key} is corrupt (${(error as Error).message})` };
    }
  }

  /** A new index of every model, from a scan of the table (SearchChangeLog.scanModels). */
  static async rebuild(deps: LiveIndexDeps, reason: string): Promise<LiveSearchIndex> {
    const { documents, sequence } = await deps.log.scanModels();
    const engine = deps.engine.create();
    for (const document of documents) engine.upsert(document);
    return new LiveSearchIndex(deps, engine, sequence, { kind: 'rebuilt', reason });
  }

  /**
   * Applies the log's entries after the mark (one strongly consistent Query). Entries are applied
   * in sequence order; the mark moves over an unbroken run only, so an entry whose writer has
   * taken its number but not yet written it is read next time, and the ones after it applied
   * again in order; a hole open longer than HOLE_PATIENCE_MS is stepped over. `stale` when the
   * log was trimmed past the mark, or its head is below the mark (the table restored from an older
   * backup, or a bucket of another table): only a newer snapshot or a rebuild can bring it current.
   */
  async catchUp(): Promise<CatchUp> {
    const { changes, head } = await this.deps.log.changesAfter(this.mark);
    if (head.trimmedThrough > this.mark) return { status: 'stale', reason: 'the change log was trimmed past the index' };
    // An index ahead of the log would ignore every change numbered up to its mark (review 13c F1).
    if (head.sequence < this.mark) return { status: 'stale', reason: `the index is at change ${this.mark}, past the change log's head ${head.sequence}` };
    this.apply(changes);
    return { status: 'current', applied: changes.length };
  }

  /** Applies changes already read (the indexer's own, or a catch-up's), advancing the mark as catchUp says. */
  apply(changes: readonly SearchChange[]): void {
    const now = (this.deps.now ?? Date.now)();
    for (const change of [...changes].sort((a, b) => a.sequence - b.sequence)) {
      if (change.sequence <= this.mark) continue;
      if (change.document) this.engine.upsert(change.document);
      else this.engine.remove(change.name);
      if (change.sequence === this.mark + 1) {
        this.mark = change.sequence;
        continue;
      }
      const missing = this.mark + 1;
      if (this.hole?.sequence !== missing) this.hole = { sequence: missing, since: now };
      else if (now - this.hole.since >= HOLE_PATIENCE_MS) this.mark = change.sequence;
    }
    if (this.hole && this.hole.sequence <= this.mark) this.hole = undefined;
  }
}
