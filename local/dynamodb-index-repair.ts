import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** dynalite's own storage layer (dynalite 4, `db/index.js`): the key layout and index maths it uses itself. */
interface DynaliteStore {
  db: {
    iterator(options: { gte: string; lt: string }): AsyncIterable<[string, unknown]>;
    batch(operations: { type: 'put' | 'del'; key: string; value?: unknown }[], callback: (error?: Error | null) => void): void;
    close(callback: (error?: Error | null) => void): void;
  };
}
interface TableDescription {
  TableName: string;
  KeySchema: { AttributeName: string }[];
  GlobalSecondaryIndexes?: { IndexName: string }[];
  LocalSecondaryIndexes?: { IndexName: string }[];
}
interface DynaliteDb {
  create(options: { path: string }): DynaliteStore;
  getIndexActions(indexes: unknown[], existingItem: unknown, item: unknown, table: TableDescription): { puts: { index: string; key: string; item: unknown }[] };
}

const dynaliteDb = createRequire(import.meta.url)('dynalite/db') as DynaliteDb;
const BATCH = 500;

async function* entries(store: DynaliteStore, prefix: string): AsyncGenerator<[string, unknown]> {
  // '\xff' sorts after every character dynalite writes into a key.
  yield* store.db.iterator({ gte: prefix, lt: `${prefix}\xff` });
}

function batch(store: DynaliteStore, operations: { type: 'put' | 'del'; key: string; value?: unknown }[]): Promise<void> {
  if (operations.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => store.db.batch(operations, (error) => (error ? reject(error) : resolve())));
}

/**
 * Rebuilds every secondary index in a dynalite folder from the table's items, before dynalite opens it.
 *
 * Why: dynalite writes an item's index entries first and the item after, as separate LevelDB writes
 * (`actions/putItem.js`, `updateItem.js`, `deleteItem.js`). A kill -9 between the two leaves an index
 * that disagrees with its table, and nothing ever repairs it; a DynamoDB GSI converges on its own.
 * Without this, a version still `pending` in the table could be missing from the sweep's `PENDING`
 * partition for ever.
 *
 * @param directory dynalite's LevelDB folder; a folder that does not exist yet is left alone.
 * @returns how many tables were seen and how many index entries were written.
 */
export async function rebuildIndexes(directory: string): Promise<{ tables: number; entries: number }> {
  if (!existsSync(directory)) return { tables: 0, entries: 0 };
  const store = dynaliteDb.create({ path: directory });
  let tables = 0;
  let written = 0;
  try {
    const descriptions: TableDescription[] = [];
    for await (const [, table] of entries(store, 'table~')) descriptions.push(table as TableDescription);
    for (const table of descriptions) {
      tables += 1;
      for (const kind of ['Global', 'Local'] as const) {
        const indexes = table[`${kind}SecondaryIndexes`] ?? [];
        for (const index of indexes) {
          const stale: { type: 'del'; key: string }[] = [];
          for await (const [key] of entries(store, `index-${kind.toLowerCase()}~${table.TableName}~${index.IndexName}~`)) {
            stale.push({ type: 'del', key });
            if (stale.length >= BATCH) await batch(store, stale.splice(0));
          }
          await batch(store, stale);
        }
        if (indexes.length === 0) continue;
        const puts: { type: 'put'; key: string; value: unknown }[] = [];
        for await (const [, item] of entries(store, `item-${table.TableName}~`)) {
          for (const action of dynaliteDb.getIndexActions(indexes, null, item, table).puts) {
            puts.push({ type: 'put', key: `index-${kind.toLowerCase()}~${table.TableName}~${action.index}~${action.key}`, value: action.item });
          }
          if (puts.length >= BATCH) {
            written += puts.length;
            await batch(store, puts.splice(0));
          }
        }
        written += puts.length;
        await batch(store, puts);
      }
    }
  } finally {
    await new Promise<void>((resolve, reject) => store.db.close((error) => (error ? reject(error) : resolve())));
  }
  return { tables, entries: written };
}
