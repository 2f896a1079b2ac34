import { predictModel } from '../contracts/prediction-contracts';
import { AppError, conflict } from '../errors/app-error';
import type { PredictedVersion } from '../frameworks/predicted-versions';
import { jsonDocuments, multipartForms } from '../http/body-parsers';
import { readPredictInput, tooLargeForPrediction } from '../http/predict-body';
import { tooLargeForPredictionAnswer } from '../http/response-size';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { usageRecorder } from '../platform/usage-services';
import { inferenceConfig, inferenceEngine, predictedVersions, readyVersionFor } from '../platform/inference-services';

/** Time kept back from the invocation's deadline to answer 504 as JSON rather than be cut off. */
const ANSWER_MARGIN_MS = 1000;

/** SageMaker said the version's own endpoint is not in service: what this function remembered of it is stale. */
const endpointWentAway = (error: unknown, used: PredictedVersion): boolean =>
  error instanceof AppError && error.code === 'endpoint_not_in_service' && used.version.deployment !== undefined;

/**
 * Serves POST and GET /model/{name}/predict, and the seed's image form posted to /model/{name}.
 * The answer's `version` is the version that ran; `X-MLHub-Latest-Version` names the latest ready
 * version when the prediction ran on an earlier, deployed one instead (predicted-versions.ts).
 */
export const handler = routeHandler(predictModel, async ({ actor, params, query, event, rawBody, remainingMs }) => {
  // The model is looked up first: one the caller may not see answers 404 whatever the input.
  let used = await readyVersionFor()(actor, params.name, query.version);
  const input = readPredictInput(event, rawBody, inferenceConfig().limits);
  // Counted once the inference has succeeded; a counter that cannot be written is logged, never the prediction's failure.
  const run = ({ model, version }: PredictedVersion) =>
    usageRecorder().counting(model.name, 'predictions', () => inferenceEngine().predict({ model, version, input, deadlineMs: remainingMs() - ANSWER_MARGIN_MS }));
  let result;
  try {
    result = await run(used);
  } catch (error) {
    if (!endpointWentAway(error, used)) throw error;
    // Undeployed (or being undeployed) since this function looked: look again, past the cache, and run on what is there now.
    readyVersionFor().forget(actor, params.name, query.version);
    const stale = used.version.deployment?.endpoint;
    used = await predictedVersions().lookup(actor, params.name, query.version);
    if (used.version.deployment?.endpoint === stale && used.version.deployment?.state === 'in_service') {
      throw conflict('no_backend', `Version ${used.version.version} of model '${used.model.name}' is recorded in service, but SageMaker has no endpoint ${stale} in service (deleted outside MLHub?); DELETE /model/${used.model.name}/versions/${used.version.version}/deploy, then deploy it again`);
    }
    result = await run(used);
  }
  return jsonResponse(200, result, used.latest === undefined ? {} : { 'x-mlhub-latest-version': String(used.latest) });
}, { bodyParsers: [jsonDocuments(), multipartForms()], tooLargeMessage: tooLargeForPrediction, tooLargeAnswer: tooLargeForPredictionAnswer });
