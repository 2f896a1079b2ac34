import { authorizeDataset, datasetNotFound, type DatasetAction } from '../access/access-policy';
import type { Actor } from '../identity/actor';
import { DATASET_ID, type DatasetRecord } from './dataset-records';
import type { DatasetStore } from './dataset-store';

/**
 * Loads a dataset and lets the action through or refuses it (access-policy.ts authorizeDataset):
 * an id MLHub could not have issued is as missing as one it did not, and is never looked up.
 */
export async function loadAuthorizedDataset(datasets: DatasetStore, actor: Actor, id: string, action: DatasetAction): Promise<DatasetRecord> {
  if (!DATASET_ID.test(id)) throw datasetNotFound(id);
  const dataset = await datasets.get(id);
  authorizeDataset(actor, id, dataset, action);
  return dataset as DatasetRecord;
}
