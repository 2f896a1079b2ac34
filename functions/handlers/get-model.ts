import { getModel } from '../contracts/model-contracts';
import { routeHandler } from '../http/route-handler';
import { jsonResponse } from '../http/responses';
import { modelRegistry } from '../platform/table-services';
import { modelEtag, modelView } from '../registry/model-views';

export const handler = routeHandler(getModel, async ({ actor, params }) => {
  const { model, versions, grants, level } = await modelRegistry().getModel(actor, params.name);
  return jsonResponse(200, modelView(model, versions, { level, grants }), { etag: modelEtag(model) });
});
