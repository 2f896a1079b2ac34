import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_DESIGN } from '../store/table-design';
import type { DoiRecordStore, StoredDoi } from './doi-record-store';

/** One item per DOI, `PK=DOI#<doi>`, `SK=DOI`, apart from every model's partition; attributes kept as JSON text. */
const doiKey = (doi: string) => ({ [TABLE_DESIGN.partitionKey]: `DOI#${doi.toLowerCase()}`, [TABLE_DESIGN.sortKey]: 'DOI' });

export class DynamoDoiRecordStore implements DoiRecordStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly tableName: string) {}

  async get(doi: string): Promise<StoredDoi | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: doiKey(doi), ConsistentRead: true }));
    if (!Item) return undefined;
    return { doi: String(Item.doi), state: Item.state as StoredDoi['state'], attributes: JSON.parse(String(Item.attributes)) as Record<string, unknown>, created: String(Item.created), updated: String(Item.updated) };
  }

  async put(record: StoredDoi): Promise<void> {
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...doiKey(record.doi), kind: 'doi', doi: record.doi.toLowerCase(), state: record.state, attributes: JSON.stringify(record.attributes), created: record.created, updated: record.updated },
    }));
  }

  async delete(doi: string): Promise<boolean> {
    const { Attributes } = await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: doiKey(doi), ReturnValues: 'ALL_OLD' }));
    return Attributes !== undefined;
  }
}
