import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';

/**
 * One item per offboarded user, `USER#<id>` / `OFFBOARDED`, kept until an administrator lifts it:
 * while it stands, every credential of that user is refused (functions/identity/user-standing.ts),
 * including sign-in tokens already issued (a Cognito ID token lives up to an hour) and personal
 * access tokens created while the offboarding ran.
 */
const offboardedKey = (user: string) => ({ [TABLE_DESIGN.partitionKey]: `USER#${user}`, [TABLE_DESIGN.sortKey]: 'OFFBOARDED' });

export interface OffboardedRecord {
  readonly user: string;
  /** ISO 8601. */
  readonly offboardedAt: string;
}

/** The offboarding marks in the MLHub table. */
export class DynamoOffboardedUsers {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly tableName: string) {}

  /** Marks the user offboarded; a second mark keeps the first time. Returns the record as stored. */
  async mark(user: string, at: string): Promise<OffboardedRecord> {
    const fresh = await conditionally(() => this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...offboardedKey(user), kind: 'offboarded', user, offboardedAt: at },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey },
    })));
    return fresh ? { user, offboardedAt: at } : ((await this.get(user, { consistent: true })) ?? { user, offboardedAt: at });
  }

  /**
   * The user's mark, if any. An eventually consistent read (half the cost of a consistent one, on
   * every authenticated request): a mark is seen within about a second of being written.
   */
  async get(user: string, options: { consistent?: boolean } = {}): Promise<OffboardedRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: offboardedKey(user), ConsistentRead: options.consistent ?? false }));
    return result.Item ? { user: String(result.Item.user), offboardedAt: String(result.Item.offboardedAt) } : undefined;
  }

  /** Whether the user is offboarded, read consistently: what a grant about to be written must not miss. */
  async has(user: string): Promise<boolean> {
    return (await this.get(user, { consistent: true })) !== undefined;
  }

  /** Lifts the mark (`npm run offboard -- --reinstate`); false if there was none. */
  async lift(user: string): Promise<boolean> {
    const result = await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: offboardedKey(user), ReturnValues: 'ALL_OLD' }));
    return result.Attributes !== undefined;
  }
}
