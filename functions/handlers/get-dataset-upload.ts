import { getDatasetUpload } from '../contracts/dataset-contracts';
import { datasetUploadStatusView } from '../datasets/dataset-views';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { datasetUploads } from '../platform/dataset-services';
import { requestedParts } from '../uploads/upload-transfer';

export const handler = routeHandler(getDatasetUpload, async ({ actor, params, query }) => {
  const status = await datasetUploads().status(actor, params.id, params.upload, requestedParts(query.parts));
  return jsonResponse(200, datasetUploadStatusView(status), { 'cache-control': 'no-store' });
});
