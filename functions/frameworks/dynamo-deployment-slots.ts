import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';
import { slotOf, slotText, type DeploymentSlots, type Slot, type SlotHolder } from './deployment-slots';

/** The partition of a holder's slots, one item each: apart from the model's own partition, whose items other readers walk. */
export const DEPLOYMENT_SLOTS_PREFIX = 'DEPLOYMENTS#';

const holderKey = (holder: SlotHolder) => ({
  [TABLE_DESIGN.partitionKey]: 'model' in holder ? `${DEPLOYMENT_SLOTS_PREFIX}model#${holder.model}` : `${DEPLOYMENT_SLOTS_PREFIX}owner#${holder.owner}`,
  [TABLE_DESIGN.sortKey]: 'SLOTS',
});

/**
 * DeploymentSlots in MLHub's table: a string set per holder, grown with a conditional ADD (the
 * set's size under the cap, or the slot in it already) and shrunk with DELETE.
 */
export class DynamoDeploymentSlots implements DeploymentSlots {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly tableName: string) {}

  async take(holder: SlotHolder, slot: Slot, cap: number): Promise<'taken' | 'held' | 'full'> {
    const text = slotText(slot);
    try {
      const result = await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: holderKey(holder),
        UpdateExpression: 'ADD #slots :slot',
        ConditionExpression: 'attribute_not_exists(#slots) OR contains(#slots, :text) OR size(#slots) < :cap',
        ExpressionAttributeNames: { '#slots': 'slots' },
        ExpressionAttributeValues: { ':slot': new Set([text]), ':text': text, ':cap': cap },
        ReturnValues: 'UPDATED_OLD',
      }));
      const before = result.Attributes?.slots as Set<string> | undefined;
      return before?.has(text) ? 'held' : 'taken';
    } catch (error) {
      if (isConditionFailure(error)) return 'full';
      throw error;
    }
  }

  async release(holder: SlotHolder, slot: Slot): Promise<void> {
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: holderKey(holder),
      UpdateExpression: 'DELETE #slots :slot',
      ExpressionAttributeNames: { '#slots': 'slots' },
      ExpressionAttributeValues: { ':slot': new Set([slotText(slot)]) },
    }));
  }

  async held(holder: SlotHolder): Promise<Slot[]> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: holderKey(holder), ConsistentRead: true }));
    const slots = (result.Item?.slots as Set<string> | undefined) ?? new Set<string>();
    return [...slots].flatMap((text) => slotOf(text) ?? []);
  }
}
