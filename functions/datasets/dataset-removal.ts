import type { BundleStore } from '../bundles/bundle-store';
import type { Actor } from '../identity/actor';
import { datasetNotFound } from '../access/access-policy';
import { loadAuthorizedDataset } from './authorized-dataset';
import { datasetPrefix } from './dataset-keys';
import type { DatasetRecord } from './dataset-records';
import type { DatasetStore } from './dataset-store';

export interface RemovedDataset {
  readonly dataset: DatasetRecord;
  /** Objects deleted under the dataset's prefix (data, plain, layout). */
  readonly objects: number;
}

/**
 * Deletes a dataset (owner only), whatever its state: its items first, so that no reader finds it
 * from then on and a check under way fails its conditional write (and removes what it wrote); then
 * its open multipart upload and every object under its prefix. A single-PUT URL still alive may
 * write its data key again: the storage event finds no dataset and deletes the bytes
 * (DatasetFinalizer.finalizeKey). Of two deletes at once, the one whose removal found the items
 * gone answers 404 dataset_not_found, as it would a moment later: one delete reports deleting.
 */
export async function removeDataset(deps: { datasets: DatasetStore; objects: BundleStore }, actor: Actor, id: string): Promise<RemovedDataset> {
  await loadAuthorizedDataset(deps.datasets, actor, id, 'delete');
  const dataset = await deps.datasets.remove(id);
  if (!dataset) throw datasetNotFound(id);
  const { upload } = dataset;
  if (upload.s3UploadId && upload.state === 'open') await deps.objects.abortMultipart(upload.key, upload.s3UploadId);
  const objects = await deps.objects.deletePrefix(datasetPrefix(id));
  return { dataset, objects };
}
