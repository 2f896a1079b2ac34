import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { modelPartition, USAGE_SORT_KEY } from '../registry/table-keys';
import { TABLE_DESIGN } from '../store/table-design';
import type { Usage, UsageCounter, UsageCounters } from './usage-counters';

/** The key of a model's usage item: `PK=MODEL#<name>`, `SK=USAGE`, in the model's own partition. */
export const usageKey = (name: string) => ({ [TABLE_DESIGN.partitionKey]: modelPartition(name), [TABLE_DESIGN.sortKey]: USAGE_SORT_KEY });

/**
 * Usage counters as one item per model in the table, numbers `downloads` and `predictions` raised
 * with UpdateItem ADD, which creates the item and the number on first use and never loses a
 * concurrent increment. Deleting the model deletes the item with its partition's other children
 * (DynamoModelStore.endModel). A count that lands after the delete finished (a download served
 * while the delete ran) leaves an item behind, which a model created again under the name would
 * start from: a usage signal may be that far off.
 */
export class DynamoUsageCounters implements UsageCounters {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly tableName: string) {}

  async count(name: string, counter: UsageCounter, delta = 1): Promise<void> {
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: usageKey(name),
      UpdateExpression: 'SET #kind = :kind ADD #counter :delta',
      ExpressionAttributeNames: { '#kind': 'kind', '#counter': counter },
      ExpressionAttributeValues: { ':kind': 'usage', ':delta': delta },
    }));
  }

  async read(name: string): Promise<Usage> {
    const { Item: item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: usageKey(name) }));
    return { downloads: Number(item?.downloads ?? 0), predictions: Number(item?.predictions ?? 0) };
  }
}
