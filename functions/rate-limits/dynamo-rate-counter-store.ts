import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';
import type { RateCounter, RateCounterStore } from './rate-counter-store';

/**
 * Every rate counter's partition key starts with this, one partition per caller: the functions'
 * IAM grant to update counters names it (dynamodb:LeadingKeys), and reaches no other item.
 */
export const RATE_COUNTER_PREFIX = 'RATE#';

export const rateCounterKey = (counter: RateCounter) => ({
  [TABLE_DESIGN.partitionKey]: `${RATE_COUNTER_PREFIX}${counter.principal}`,
  [TABLE_DESIGN.sortKey]: `${counter.rateClass}#${counter.windowStart}`,
});

/**
 * Rate counters in the MLHub table: one item per caller, class and window, counted with one
 * conditional UpdateItem per request (dynalite, like DynamoDB, applies it atomically), and
 * swept by the table's TTL once its window is over. dynalite has no TTL, so locally the counters
 * of past windows stay, a few dozen bytes each.
 */
export class DynamoRateCounterStore implements RateCounterStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly tableName: string) {}

  async take(counter: RateCounter, limit: number, expiresAt: number): Promise<number | undefined> {
    try {
      const result = await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: rateCounterKey(counter),
        UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'requests', '#ttl': TABLE_DESIGN.timeToLiveAttribute },
        ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': expiresAt },
        ReturnValues: 'UPDATED_NEW',
      }));
      return Number(result.Attributes?.requests);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}
