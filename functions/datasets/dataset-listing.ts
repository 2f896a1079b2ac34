import type { Actor } from '../identity/actor';
import { encodeCursor, listingStart } from '../registry/list-cursor';
import type { DatasetRecord } from './dataset-records';
import type { DatasetStore } from './dataset-store';

/**
 * The caller's own datasets, newest first, `limit` at a time: the cursor is the sort key of the
 * last one served (functions/registry/list-cursor.ts), as model listings page.
 */
export async function listOwnDatasets(datasets: DatasetStore, actor: Actor, options: { limit: number; cursor?: string }): Promise<{ datasets: readonly DatasetRecord[]; nextCursor?: string }> {
  const before = listingStart(options.cursor);
  const page = await datasets.listByOwner(actor.id, { limit: options.limit, ...(before === undefined ? {} : { before }) });
  return { datasets: page.datasets, ...(page.last ? { nextCursor: encodeCursor(page.last) } : {}) };
}
