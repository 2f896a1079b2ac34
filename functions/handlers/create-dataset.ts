import { createDataset } from '../contracts/dataset-contracts';
import { datasetPath, datasetUploadStatusView, datasetView } from '../datasets/dataset-views';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { datasetUploads } from '../platform/dataset-services';

export const handler = routeHandler(createDataset, async ({ actor, body }) => {
  const status = await datasetUploads().create(actor, body);
  return jsonResponse(201, { ...datasetView(status.dataset), upload: datasetUploadStatusView(status) }, { location: datasetPath(status.dataset.id), 'cache-control': 'no-store' });
});
