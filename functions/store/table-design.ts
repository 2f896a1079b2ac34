/**
 * The shape of MLHub's single DynamoDB table. The CDK stack and the local runtime both create
 * the table from this, so the two worlds cannot drift apart.
 */
export interface IndexDesign {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export const TABLE_DESIGN = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /**
   * Epoch seconds after which DynamoDB may sweep an item: expired personal access tokens, and
   * rate counters of windows that are over (`RATE#` partitions, functions/rate-limits/).
   */
  timeToLiveAttribute: 'ttl',
  indexes: {
    /** A user's own models, newest first. */
    byOwner: { indexName: 'byOwner', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    /** Sparse: only public models carry these keys, newest first. */
    publicModels: { indexName: 'publicModels', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  },
} as const satisfies { partitionKey: string; sortKey: string; timeToLiveAttribute: string; indexes: Record<string, IndexDesign> };

export const ALL_INDEXES: readonly IndexDesign[] = Object.values(TABLE_DESIGN.indexes);
