import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, ownerIndexHead, partitionItems, stateMove, stripKeys, type Item } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';
import { DOI_WORK_PARTITION, PENDING_PARTITION, VERSION_SORT_PREFIX, doiWorkSortKey, modelPartition, pendingSortKey, versionSortKey } from '../registry/table-keys';
import type { Deployment, DeploymentState } from '../frameworks/deployment-records';
import type { Publication } from '../publishing/publication';
import type { VersionOutcome, VersionRecord, VersionStatus } from './version-records';
import type { TransitionOptions, VersionStore } from './version-store';

const { byOwner } = TABLE_DESIGN.indexes;

const versionKey = (name: string, version: number) => ({
  [TABLE_DESIGN.partitionKey]: modelPartition(name),
  [TABLE_DESIGN.sortKey]: versionSortKey(version),
});

/** The fields an outcome writes onto the version item. */
function outcomeFields(outcome: VersionOutcome, now: string): Record<string, unknown> {
  if (outcome.status === 'ready') return { status: 'ready', sha256: outcome.sha256, size: outcome.size, manifest: outcome.manifest, pin: outcome.pin };
  return { status: outcome.status, reason: outcome.reason, endedAt: now, endedBy: outcome.by };
}

/**
 * The assignments that set each field of `fields` inside the version's publication, with the
 * names and values they use (the publication and its state, and the index keys they leave, named
 * too, for the condition and the REMOVE), beside the condition's own values.
 */
function publicationUpdate(fields: object, conditionValues: Item): { assignments: string; names: Record<string, string>; values: Item } {
  const names: Record<string, string> = { '#publication': 'publication', '#state': 'state', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey };
  const values: Item = { ...conditionValues };
  const assignments = Object.entries(fields).map(([field, value]) => {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    return `#publication.#${field} = :${field}`;
  });
  return { assignments: assignments.join(', '), names, values };
}

/** VersionStore on MLHub's one table: the item `VER#<n>` in the model's partition. */
export class DynamoVersionStore implements VersionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(version: VersionRecord): Promise<void> {
    const pending = version.status === 'pending' && version.expiresAt
      ? { [byOwner.partitionKey]: PENDING_PARTITION, [byOwner.sortKey]: pendingSortKey(version.expiresAt, version.name, version.version) }
      : {};
    await this.client.send(new PutCommand({
      TableName: this.tableName,
      Item: { ...versionKey(version.name, version.version), kind: 'version', ...pending, ...version },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_DESIGN.partitionKey },
    }));
  }

  async get(name: string, version: number): Promise<VersionRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: versionKey(name, version), ConsistentRead: true }));
    return result.Item ? stripKeys<VersionRecord>(result.Item) : undefined;
  }

  async list(name: string): Promise<VersionRecord[]> {
    const versions: VersionRecord[] = [];
    for await (const item of partitionItems(this.client, this.tableName, modelPartition(name))) {
      if (String(item[TABLE_DESIGN.sortKey]).startsWith(VERSION_SORT_PREFIX)) versions.push(stripKeys<VersionRecord>(item));
    }
    return versions;
  }

  claim(name: string, version: number, claimant: string, until: string, now: string): Promise<boolean> {
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      UpdateExpression: 'SET #claim = :until, #claimant = :claimant',
      // The holder may renew its own claim; anyone may take one that lapsed.
      ConditionExpression: '#status = :pending AND (attribute_not_exists(#claim) OR #claim < :now OR #claimant = :claimant)',
      ExpressionAttributeNames: { '#status': 'status', '#claim': 'finalizeUntil', '#claimant': 'finalizer' },
      ExpressionAttributeValues: { ':pending': 'pending', ':until': until, ':claimant': claimant, ':now': now },
    })));
  }

  transition(name: string, version: number, from: readonly VersionStatus[], outcome: VersionOutcome, now: string, options: TransitionOptions = {}): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status', '#claim': 'finalizeUntil', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey, '#publication': 'publication', '#state': 'state' };
    const values: Item = { ':failed': 'publish_failed' };
    const move = stateMove(outcomeFields(outcome, now), from, names, values);
    // A version whose DOI is asked for is withdrawn, never plainly deleted: this holds against a publish racing the delete.
    let condition = `${move.condition} AND (attribute_not_exists(#publication) OR #publication.#state = :failed)`;
    if (options.unclaimedAt !== undefined) {
      values[':unclaimedAt'] = options.unclaimedAt;
      condition += ' AND (attribute_not_exists(#claim) OR #claim < :unclaimedAt)';
    }
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      // Leaving pending also leaves the pending index and drops any claim.
      UpdateExpression: `SET ${move.assignments} REMOVE #claim, #gpk, #gsk`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    })));
  }

  listPending(limit: number): Promise<VersionRecord[]> {
    return this.queryIndexPartition(PENDING_PARTITION, limit);
  }

  listDoiWork(limit: number): Promise<VersionRecord[]> {
    return this.queryIndexPartition(DOI_WORK_PARTITION, limit);
  }

  private async queryIndexPartition(partition: string, limit: number): Promise<VersionRecord[]> {
    return (await ownerIndexHead(this.client, this.tableName, partition, limit)).map((item) => stripKeys<VersionRecord>(item));
  }

  async beginPublication(name: string, version: number, publication: Publication): Promise<'started' | 'exists' | 'not_ready'> {
    const started = await conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      // Into the DOI work partition until registration settles, so the sweep finds it if the message is lost.
      UpdateExpression: 'SET #publication = :publication, #gpk = :work, #gsk = :workKey',
      // A failed publication may be asked for again; any other stands, so one version never gets two DOIs.
      ConditionExpression: '#status = :ready AND (attribute_not_exists(#publication) OR #publication.#state = :failed)',
      ExpressionAttributeNames: { '#status': 'status', '#publication': 'publication', '#state': 'state', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey },
      ExpressionAttributeValues: {
        ':ready': 'ready', ':failed': 'publish_failed', ':publication': publication,
        ':work': DOI_WORK_PARTITION, ':workKey': doiWorkSortKey(publication.requestedAt, name, version),
      },
    })));
    if (started) return 'started';
    const current = await this.get(name, version);
    return current?.status === 'ready' && current.publication ? 'exists' : 'not_ready';
  }

  settlePublication(name: string, version: number, outcome: { readonly state: 'published'; readonly publishedAt: string } | { readonly state: 'publish_failed'; readonly reason: string; readonly doiRegistered?: boolean }): Promise<boolean> {
    const update = publicationUpdate(outcome, { ':publishing': 'publishing' });
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      UpdateExpression: `SET ${update.assignments} REMOVE #gpk, #gsk`,
      ConditionExpression: '#publication.#state = :publishing',
      ExpressionAttributeNames: update.names,
      ExpressionAttributeValues: update.values,
    })));
  }

  withdraw(name: string, version: number, withdrawal: { readonly reason: string; readonly by: string; readonly now: string }): Promise<boolean> {
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      // The version ends and its publication turns withdrawn in one write; hiding the DOI is DOI work until the agency confirms it.
      UpdateExpression: 'SET #status = :deleted, #endedAt = :now, #endedBy = :by, #reason = :reason, #publication.#state = :withdrawn, #publication.#withdrawnAt = :now, #publication.#withdrawalReason = :reason, #gpk = :work, #gsk = :workKey',
      ConditionExpression: '#status = :ready AND #publication.#state IN (:publishing, :published)',
      ExpressionAttributeNames: {
        '#status': 'status', '#endedAt': 'endedAt', '#endedBy': 'endedBy', '#reason': 'reason', '#publication': 'publication', '#state': 'state',
        '#withdrawnAt': 'withdrawnAt', '#withdrawalReason': 'withdrawalReason', '#gpk': byOwner.partitionKey, '#gsk': byOwner.sortKey,
      },
      ExpressionAttributeValues: {
        ':deleted': 'deleted', ':ready': 'ready', ':now': withdrawal.now, ':by': withdrawal.by, ':reason': withdrawal.reason,
        ':withdrawn': 'withdrawn', ':publishing': 'publishing', ':published': 'published',
        ':work': DOI_WORK_PARTITION, ':workKey': doiWorkSortKey(withdrawal.now, name, version),
      },
    })));
  }

  settleWithdrawal(name: string, version: number, outcome: { readonly hiddenAt: string; readonly registered: boolean } | { readonly hideFailure: string }): Promise<boolean> {
    const update = publicationUpdate(outcome, { ':withdrawn': 'withdrawn' });
    // A hide that went through clears an earlier refusal.
    const cleared = 'hiddenAt' in outcome ? ', #publication.#hideFailure' : '';
    if (cleared) update.names['#hideFailure'] = 'hideFailure';
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      UpdateExpression: `SET ${update.assignments} REMOVE #gpk, #gsk${cleared}`,
      ConditionExpression: '#publication.#state = :withdrawn',
      ExpressionAttributeNames: update.names,
      ExpressionAttributeValues: update.values,
    })));
  }

  async beginDeployment(name: string, version: number, deployment: Deployment): Promise<'started' | 'exists' | 'not_ready'> {
    const started = await conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      UpdateExpression: 'SET #deployment = :deployment',
      // One deployment per version: a second request finds the first and creates nothing.
      ConditionExpression: '#status = :ready AND attribute_not_exists(#deployment)',
      ExpressionAttributeNames: { '#status': 'status', '#deployment': 'deployment' },
      ExpressionAttributeValues: { ':ready': 'ready', ':deployment': deployment },
    })));
    if (started) return 'started';
    const current = await this.get(name, version);
    return current?.deployment ? 'exists' : 'not_ready';
  }

  moveDeployment(name: string, version: number, endpoint: string, from: readonly DeploymentState[], state: DeploymentState, now: string, reason?: string): Promise<boolean> {
    const values: Item = { ':endpoint': endpoint, ':state': state, ':now': now };
    const allowed = from.map((status, i) => {
      values[`:from${i}`] = status;
      return `:from${i}`;
    });
    if (reason !== undefined) values[':reason'] = reason;
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      UpdateExpression: `SET #deployment.#state = :state, #deployment.#updatedAt = :now${reason === undefined ? ' REMOVE #deployment.#reason' : ', #deployment.#reason = :reason'}`,
      ConditionExpression: `#deployment.#endpoint = :endpoint AND #deployment.#state IN (${allowed.join(', ')})`,
      ExpressionAttributeNames: { '#deployment': 'deployment', '#state': 'state', '#updatedAt': 'updatedAt', '#reason': 'reason', '#endpoint': 'endpoint' },
      ExpressionAttributeValues: values,
    })));
  }

  clearDeployment(name: string, version: number, endpoint: string): Promise<boolean> {
    return conditionally(() => this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: versionKey(name, version),
      UpdateExpression: 'REMOVE #deployment',
      ConditionExpression: '#deployment.#endpoint = :endpoint AND #deployment.#state = :deleting',
      ExpressionAttributeNames: { '#deployment': 'deployment', '#state': 'state', '#endpoint': 'endpoint' },
      ExpressionAttributeValues: { ':endpoint': endpoint, ':deleting': 'deleting' },
    })));
  }
}
