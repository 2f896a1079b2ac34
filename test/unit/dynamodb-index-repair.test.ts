import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { startDynamoServer, type EmbeddedServer } from '../../local/dynamodb-server';
import { rebuildIndexes } from '../../local/dynamodb-index-repair';

/*
 * dynalite writes an item's index entries, then the item. A kill -9 between the two leaves the index
 * disagreeing with the table. The test tears a write by hand in the LevelDB files the same way, and
 * the next start must answer index queries from the items again.
 */

interface Store {
  db: {
    iterator(options: { gte: string; lt: string }): AsyncIterable<[string, Record<string, unknown>]>;
    del(key: string, callback: (error?: Error | null) => void): void;
    put(key: string, value: unknown, callback: (error?: Error | null) => void): void;
    close(callback: (error?: Error | null) => void): void;
  };
}
const dynaliteDb = createRequire(import.meta.url)('dynalite/db') as {
  create(options: { path: string }): Store;
  createIndexKey(item: unknown, table: unknown, keySchema: unknown): string;
};
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const INDEX_PREFIX = 'index-global~Tbl~byOwner~';
const s = (value: string) => ({ S: value });
let server: EmbeddedServer | undefined;
let directory: string | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (directory) rmSync(directory, { recursive: true, force: true });
});

async function open(): Promise<DynamoDBClient> {
  server = await startDynamoServer({ directory: join(directory as string, 'db'), host: '127.0.0.1' });
  return new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
}

const owned = async (client: DynamoDBClient, owner: string) => ((await client.send(new QueryCommand({
  TableName: 'Tbl', IndexName: 'byOwner', KeyConditionExpression: '#o = :o', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':o': s(owner) },
}))).Items ?? []).map((item) => item.pk?.S);

async function tear(path: string, change: (store: Store, entries: [string, Record<string, unknown>][]) => Promise<void>): Promise<void> {
  const store = dynaliteDb.create({ path });
  const entries: [string, Record<string, unknown>][] = [];
  for await (const entry of store.db.iterator({ gte: INDEX_PREFIX, lt: `${INDEX_PREFIX}\xff` })) entries.push(entry);
  await change(store, entries);
  await new Promise<void>((resolve, reject) => store.db.close((error) => (error ? reject(error) : resolve())));
}

const callback = (resolve: () => void, reject: (error: Error) => void) => (error?: Error | null) => (error ? reject(error) : resolve());

describe('rebuildIndexes', () => {
  it('restores a lost index entry and drops one whose item says otherwise, before dynalite serves the folder', async () => {
    directory = mkdtempSync(join(tmpdir(), 'mlhub-dynalite-'));
    let client = await open();
    await client.send(new CreateTableCommand({
      TableName: 'Tbl',
      AttributeDefinitions: ['pk', 'sk', 'owner', 'created'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [{ IndexName: 'byOwner', KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }, { AttributeName: 'created', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
    }));
    await client.send(new PutItemCommand({ TableName: 'Tbl', Item: { pk: s('a'), sk: s('v'), owner: s('PENDING'), created: s('1') } }));
    await client.send(new PutItemCommand({ TableName: 'Tbl', Item: { pk: s('b'), sk: s('v'), owner: s('alice'), created: s('2') } }));
    expect(await owned(client, 'PENDING')).toEqual(['a']);
    client.destroy();
    await server?.close();
    server = undefined;

    // Torn: a's entry under PENDING is gone (its update's index half ran), and b has an entry under
    // 'mallory' that its item never took.
    const path = join(directory, 'db');
    const tableStore = dynaliteDb.create({ path });
    let table: unknown;
    for await (const [, value] of tableStore.db.iterator({ gte: 'table~Tbl', lt: 'table~Tbl\xff' })) table = value;
    await new Promise<void>((resolve, reject) => tableStore.db.close(callback(resolve, reject)));
    const keySchema = [{ AttributeName: 'owner', KeyType: 'HASH' }, { AttributeName: 'created', KeyType: 'RANGE' }];
    await tear(path, async (store, entries) => {
      expect(entries).toHaveLength(2);
      for (const [key, value] of entries) {
        if ((value.pk as { S: string }).S === 'a') await new Promise<void>((resolve, reject) => store.db.del(key, callback(resolve, reject)));
        else {
          const moved = { ...value, owner: s('mallory') };
          await new Promise<void>((resolve, reject) => store.db.put(`${INDEX_PREFIX}${dynaliteDb.createIndexKey(moved, table, keySchema)}`, moved, callback(resolve, reject)));
        }
      }
    });

    client = await open();
    expect(await owned(client, 'PENDING')).toEqual(['a']);
    expect(await owned(client, 'mallory')).toEqual([]);
    expect(await owned(client, 'alice')).toEqual(['b']);
    client.destroy();
  });

  it('leaves a folder that does not exist alone', async () => {
    expect(await rebuildIndexes(join(tmpdir(), 'mlhub-no-such-folder', 'db'))).toEqual({ tables: 0, entries: 0 });
  });
});
