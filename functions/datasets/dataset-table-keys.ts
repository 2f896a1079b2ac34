/**
 * Key scheme of datasets in MLHub's one table (functions/store/table-design.ts): one partition per
 * dataset, `DATASET#<id>`, holding its record (`META`) and, while it is pending, a mark (`PENDING`).
 */
export const datasetPartition = (id: string): string => `DATASET#${id}`;
export const DATASET_RECORD_SORT_KEY = 'META';
export const DATASET_PENDING_SORT_KEY = 'PENDING';

/** The record sits in the owner index under this partition, so "my datasets" is one query, newest first. */
export const ownerDatasetsPartition = (owner: string): string => `DATASETS#${owner}`;
/** Creation time, then the id: unique, and newest first when read backwards. */
export const datasetListingSortKey = (createdAt: string, id: string): string => `${createdAt}#${id}`;

/**
 * A pending dataset's mark sits in the owner index under this partition, ordered by expiry, so the
 * sweep finds the datasets to finish or expire in one query (as PENDING does for versions: the
 * record itself is in its owner's partition of the same index, and an item has one place there).
 */
export const PENDING_DATASETS_PARTITION = 'PENDING_DATASETS';
export const pendingDatasetSortKey = (expiresAt: string, id: string): string => `${expiresAt}#${id}`;
