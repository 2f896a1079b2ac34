import { predictModel } from '../contracts/prediction-contracts';
import { jsonDocuments, multipartForms } from '../http/body-parsers';
import { readPredictInput, tooLargeForPrediction } from '../http/predict-body';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { usageRecorder } from '../platform/usage-services';
import { inferenceConfig, inferenceEngine, readyVersionFor } from '../platform/inference-services';

/** Time kept back from the invocation's deadline to answer 504 as JSON rather than be cut off. */
const ANSWER_MARGIN_MS = 1000;

/** Serves POST and GET /model/{name}/predict, and the seed's image form posted to /model/{name}. */
export const handler = routeHandler(predictModel, async ({ actor, params, query, event, rawBody, remainingMs }) => {
  // The model is looked up first: one the caller may not see answers 404 whatever the input.
  const { model, version } = await readyVersionFor()(actor, params.name, query.version);
  const input = readPredictInput(event, rawBody, inferenceConfig().limits);
  // Counted once the inference has succeeded; a counter that cannot be written is logged, never the prediction's failure.
  const result = await usageRecorder().counting(model.name, 'predictions', () => inferenceEngine().predict({ model, version, input, deadlineMs: remainingMs() - ANSWER_MARGIN_MS }));
  return jsonResponse(200, result);
}, { bodyParsers: [jsonDocuments(), multipartForms()], tooLargeMessage: tooLargeForPrediction });
