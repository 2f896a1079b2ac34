import { getDataset } from '../contracts/dataset-contracts';
import { loadAuthorizedDataset } from '../datasets/authorized-dataset';
import { datasetView } from '../datasets/dataset-views';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { datasetStore } from '../platform/dataset-services';

export const handler = routeHandler(getDataset, async ({ actor, params }) => {
  const dataset = await loadAuthorizedDataset(datasetStore(), actor, params.id, 'view');
  return jsonResponse(200, datasetView(dataset), { 'cache-control': 'no-store' });
});
