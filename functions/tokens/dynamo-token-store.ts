import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_DESIGN } from '../store/table-design';
import type { AccessTokenRecord, TokenStore } from './token-records';

const { byOwner } = TABLE_DESIGN.indexes;
const tokenKey = (id: string) => ({ [TABLE_DESIGN.partitionKey]: `TOKEN#${id}`, [TABLE_DESIGN.sortKey]: 'TOKEN' });
/** Tokens share the owner index with models, in a partition of their own. */
const tokensOf = (user: string) => `TOKENS#${user}`;

const toRecord = (item: Record<string, unknown>): AccessTokenRecord => ({
  id: String(item.id),
  user: String(item.user),
  name: String(item.name),
  scope: item.scope === 'read' ? 'read' : 'write',
  secretHash: String(item.secretHash),
  createdAt: String(item.createdAt),
  expiresAt: String(item.expiresAt),
});

/** Personal access tokens in the MLHub table: one item each, found by id, listed per user. */
export class DynamoTokenStore implements TokenStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly tableName: string) {}

  async put(token: AccessTokenRecord): Promise<void> {
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: {
        ...tokenKey(token.id),
        kind: 'token',
        [byOwner.partitionKey]: tokensOf(token.user),
        [byOwner.sortKey]: `${token.createdAt}#${token.id}`,
        // DynamoDB's TTL sweeps expired tokens in the cloud; the expiry is also checked on use.
        [TABLE_DESIGN.timeToLiveAttribute]: Math.floor(Date.parse(token.expiresAt) / 1000),
        ...token,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey },
    }));
  }

  async get(id: string): Promise<AccessTokenRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: tokenKey(id), ConsistentRead: true }));
    return result.Item ? toRecord(result.Item) : undefined;
  }

  async listByUser(user: string): Promise<AccessTokenRecord[]> {
    const records: AccessTokenRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: byOwner.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': byOwner.partitionKey },
        ExpressionAttributeValues: { ':pk': tokensOf(user) },
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
      }));
      records.push(...(page.Items ?? []).map(toRecord));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async delete(user: string, id: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteCommand({
        TableName: this.tableName,
        Key: tokenKey(id),
        ConditionExpression: '#user = :user',
        ExpressionAttributeNames: { '#user': 'user' },
        ExpressionAttributeValues: { ':user': user },
      }));
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
