import { completeDatasetUpload } from '../contracts/dataset-contracts';
import { datasetView } from '../datasets/dataset-views';
import { AppError } from '../errors/app-error';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { datasetUploads } from '../platform/dataset-services';

/** Time kept back from the invocation's deadline to answer while the inspection goes on. */
const ANSWER_MARGIN_MS = 2000;

/** 200 with the ready dataset; 202 while a large one is still being inspected; 400 with the reason when it was refused. */
export const handler = routeHandler(completeDatasetUpload, async ({ actor, params, remainingMs }) => {
  const dataset = await datasetUploads().complete(actor, params.id, params.upload, Date.now() + remainingMs() - ANSWER_MARGIN_MS);
  if (dataset.status === 'rejected') throw new AppError('invalid', 'dataset_rejected', `The dataset was refused: ${dataset.reason ?? 'it failed its inspection'}`);
  return jsonResponse(dataset.status === 'ready' ? 200 : 202, datasetView(dataset));
});
