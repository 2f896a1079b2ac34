import { deleteDataset } from '../contracts/dataset-contracts';
import { removeDataset } from '../datasets/dataset-removal';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { bundleStore } from '../platform/bundle-services';
import { datasetStore } from '../platform/dataset-services';

export const handler = routeHandler(deleteDataset, async ({ actor, params }) => {
  const removed = await removeDataset({ datasets: datasetStore(), objects: bundleStore() }, actor, params.id);
  return jsonResponse(200, { dataset: removed.dataset.id, deleted: true, status: removed.dataset.status, objects_deleted: removed.objects });
});
