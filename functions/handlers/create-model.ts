import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createModel } from '../contracts/model-contracts';
import { errorResponses } from '../http/error-response';
import { mediaType } from '../http/request-body';
import { routeHandler } from '../http/route-handler';
import { jsonResponse, type HttpResult } from '../http/responses';
import { observeRequests } from '../observability/request-observer';
import { createLambdaClient } from '../platform/aws-clients';
import { CONFIG_ENV } from '../platform/function-config';
import { invokeHttpFunction } from '../platform/function-invoker';
import { lazy } from '../platform/lazy';
import { modelRegistry } from '../platform/table-services';
import { modelEtag, modelView } from '../registry/model-views';

const create = routeHandler(createModel, async ({ actor, params, body }) => {
  const model = await modelRegistry().createModel(actor, params.name, body);
  return jsonResponse(201, modelView(model, [], { level: 'owner', grants: [] }), { location: `/model/${encodeURIComponent(model.name)}`, etag: modelEtag(model) });
});

const lambda = lazy(() => createLambdaClient());

function predictFunction(): string {
  const name = process.env[CONFIG_ENV.predictFunction];
  if (!name) throw new Error(`Environment variable ${CONFIG_ENV.predictFunction} is not set`);
  return name;
}

/** Observed and answered as createModel; everything else about the request is the predict function's business. */
const forwardImageForm = middy<APIGatewayProxyEventV2, HttpResult, Error, Context>()
  .use(observeRequests('createModel'))
  .use(errorResponses())
  .handler(async (event, context) => invokeHttpFunction(lambda(), predictFunction(), event, context.getRemainingTimeInMillis()));

/**
 * POST /model/{name} creates a model, except that the seed predicts by posting an image form to
 * the model itself (`curl http://localhost:8083/model/mnist -F 'image=@./img4.png'`). API
 * Gateway's HTTP APIs route on method and path only, never on the content type, so this function
 * receives both. It stays a small metadata function (512 MB, no ONNX Runtime layer, no inference
 * code in its bundle): a multipart/form-data request is handed whole, as the same API Gateway
 * event, to the predict function (MLHUB_PREDICT_FUNCTION) through a synchronous Lambda Invoke, and
 * that function's answer is returned as is. The predict function checks the caller, the limits and
 * the form as on POST /model/{name}/predict. This function may invoke that one function only
 * (lib/functions/route-functions.ts); locally, the runtime's Lambda endpoint runs it in process
 * (local/lambda-server.ts).
 *
 * The seed's form costs a second invocation (tens of milliseconds, and this function's time while
 * it waits: its timeout is the predict route's); every other caller of POST /model/{name} gets a
 * cold start without the predict path. Errors of the hand-over: 502 predict_function_failed, 503
 * predict_function_busy, 504 timeout (functions/platform/function-invoker.ts).
 */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  if (mediaType(event.headers?.['content-type']) === 'multipart/form-data') return forwardImageForm(event, context);
  return create(event, context);
};
