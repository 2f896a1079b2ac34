import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, partitionItems, stripKeys } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';
import { UPLOAD_SORT_PREFIX, modelPartition, uploadSortKey } from '../registry/table-keys';
import type { SessionState, UploadSession } from './upload-records';
import type { UploadSessionStore } from './upload-session-store';

const sessionKey = (name: string, id: string) => ({ [TABLE_DESIGN.partitionKey]: modelPartition(name), [TABLE_DESIGN.sortKey]: uploadSortKey(id) });

/** UploadSessionStore on MLHub's one table: the item `UPLOAD#<id>` in the model's partition. */
export class DynamoUploadSessionStore implements UploadSessionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(session: UploadSession): Promise<void> {
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...sessionKey(session.name, session.id), kind: 'upload', ...session },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey },
    }));
  }

  async get(name: string, id: string): Promise<UploadSession | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: sessionKey(name, id), ConsistentRead: true }));
    return result.Item ? stripKeys<UploadSession>(result.Item) : undefined;
  }

  async list(name: string): Promise<UploadSession[]> {
    const sessions: UploadSession[] = [];
    for await (const item of partitionItems(this.client, this.tableName, modelPartition(name))) {
      if (String(item[TABLE_DESIGN.sortKey]).startsWith(UPLOAD_SORT_PREFIX)) sessions.push(stripKeys<UploadSession>(item));
    }
    return sessions;
  }

  setState(name: string, id: string, from: SessionState, to: SessionState): Promise<boolean> {
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: sessionKey(name, id),
      UpdateExpression: 'SET #state = :to',
      ConditionExpression: '#state = :from',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':from': from, ':to': to },
    })));
  }
}
