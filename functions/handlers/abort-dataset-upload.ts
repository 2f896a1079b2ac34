import { abortDatasetUpload } from '../contracts/dataset-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { datasetUploads } from '../platform/dataset-services';

export const handler = routeHandler(abortDatasetUpload, async ({ actor, params }) => {
  await datasetUploads().abort(actor, params.id, params.upload);
  return jsonResponse(200, { dataset: params.id, upload_id: params.upload, aborted: true });
});
