import { createModel } from '../contracts/model-contracts';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mediaType } from '../http/request-body';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRegistry } from '../platform/table-services';
import { modelEtag, modelView } from '../registry/model-views';

const create = routeHandler(createModel, async ({ actor, params, body }) => {
  const model = await modelRegistry().createModel(actor, params.name, body);
  return jsonResponse(201, modelView(model, [], { level: 'owner', grants: [] }), { location: `/model/${encodeURIComponent(model.name)}`, etag: modelEtag(model) });
});

/**
 * The seed predicts by posting an image form to the model itself
 * (`curl http://localhost:8083/model/mnist -F 'image=@./img4.png'`); everything else here creates.
 * The predict handler is loaded on the first such form, so creating models never pays its start-up.
 */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  if (mediaType(event.headers?.['content-type']) !== 'multipart/form-data') return create(event, context);
  const { handler: predict } = await import('./predict-model');
  return predict(event, context);
};
